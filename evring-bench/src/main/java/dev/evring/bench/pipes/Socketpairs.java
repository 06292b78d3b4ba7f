package dev.evring.bench.pipes;

import dev.evring.linux.Errno;
import dev.evring.linux.Libc;
import dev.evring.linux.SysSocket;
import dev.evring.linux.Unistd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * N non-blocking AF_UNIX stream socketpairs, as the C drivers make them: {@code read[i]} is watched, {@code write[i]}
 * written. Uses evring's own Linux ABI layer (the bench runs on the class path, where it is visible).
 */
final class Socketpairs implements AutoCloseable {
    final int[] read;
    final int[] write;

    Socketpairs(int n) {
        read = new int[n];
        write = new int[n];
        MemorySegment cs = Libc.threadCallState();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment sv = a.allocate(ValueLayout.JAVA_INT, 2);
            for (int i = 0; i < n; i++) {
                int r = SysSocket.socketpair(cs, SysSocket.AF_UNIX, SysSocket.SOCK_STREAM | SysSocket.SOCK_NONBLOCK | SysSocket.SOCK_CLOEXEC, 0, sv);
                if (r < 0) {
                    closeFirst(i);
                    throw Errno.exception("socketpair #" + i + " of " + n, -r);
                }
                read[i] = sv.getAtIndex(ValueLayout.JAVA_INT, 0);
                write[i] = sv.getAtIndex(ValueLayout.JAVA_INT, 1);
            }
        }
    }

    private void closeFirst(int count) {
        MemorySegment cs = Libc.threadCallState();
        for (int i = 0; i < count; i++) {
            Unistd.close(cs, read[i]);
            Unistd.close(cs, write[i]);
        }
    }

    @Override
    public void close() {
        closeFirst(read.length);
    }
}
