package dev.evring;

import dev.evring.linux.Errno;
import dev.evring.linux.Fcntl;
import dev.evring.linux.Libc;
import dev.evring.linux.SysSocket;
import dev.evring.linux.Unistd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Raw fds for tests: pipes, socketpairs, reads and writes, through the project's own ABI layer. */
public final class TestFds {
    private TestFds() {}

    private static MemorySegment cs() {
        return Libc.threadCallState();
    }

    /** A non-blocking pipe: {read end, write end}. */
    public static int[] pipe() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment fds = a.allocate(ValueLayout.JAVA_INT, 2);
            Errno.check(Unistd.pipe2(cs(), fds, Fcntl.O_NONBLOCK | Fcntl.O_CLOEXEC), "pipe2");
            return new int[] {fds.get(ValueLayout.JAVA_INT, 0), fds.get(ValueLayout.JAVA_INT, 4)};
        }
    }

    /** A non-blocking AF_UNIX stream socketpair. */
    public static int[] socketpair() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment fds = a.allocate(ValueLayout.JAVA_INT, 2);
            Errno.check(SysSocket.socketpair(cs(), SysSocket.AF_UNIX,
                    SysSocket.SOCK_STREAM | SysSocket.SOCK_NONBLOCK | SysSocket.SOCK_CLOEXEC, 0, fds), "socketpair");
            return new int[] {fds.get(ValueLayout.JAVA_INT, 0), fds.get(ValueLayout.JAVA_INT, 4)};
        }
    }

    public static long write(int fd, byte... bytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(Math.max(1, bytes.length));
            MemorySegment.copy(bytes, 0, buf, ValueLayout.JAVA_BYTE, 0, bytes.length);
            return Unistd.write(cs(), fd, buf, bytes.length);
        }
    }

    /** Reads up to {@code max} bytes; returns them, or null on EAGAIN. */
    public static byte[] read(int fd, int max) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(max);
            long n = Unistd.read(cs(), fd, buf, max);
            if (n == -Errno.EAGAIN) return null;
            Errno.check(n, "read(" + fd + ")");
            return buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
        }
    }

    /** Reads until EAGAIN; returns the byte count. */
    public static int drain(int fd) {
        int total = 0;
        byte[] b;
        while ((b = read(fd, 4096)) != null && b.length > 0) total += b.length;
        return total;
    }

    public static void close(int... fds) {
        for (int fd : fds) Unistd.close(cs(), fd);
    }

    /** Opens a regular file read-only. */
    public static int openFile(Path path) {
        try (Arena a = Arena.ofConfined()) {
            return Errno.check(Fcntl.open(cs(), a.allocateFrom(path.toString()), Fcntl.O_RDONLY | Fcntl.O_CLOEXEC, 0), "open " + path);
        }
    }

    public static int openFdCount() {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return (int) s.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static int mappingCount() {
        try {
            return (int) Files.readAllLines(Path.of("/proc/self/maps")).size();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
