package dev.evring.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Run in a child JVM with {@code -Devring.syscall_stub=false} by {@link SyscallStubTest}: the capturing fallback (what
 * aarch64 gets) must report the errno of the call that failed too. Prints {@code STUB <in use> <why not>}, then one
 * {@code <call> <result>} line per call.
 */
public final class SyscallFallbackChild {
    private SyscallFallbackChild() {}

    public static void main(String[] args) {
        System.out.println("STUB " + Libc.syscallStubInUse() + " " + Libc.syscallStubAbsence());
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cs = Libc.allocateCallState(a);
            MemorySegment buf = a.allocate(64);
            int[] pair = TcpPair.open();
            TcpPair.reset(pair[1]);
            System.out.println("RECV " + SyscallStubTest.awaitNotEagain(() -> SysSocket.recv(cs, pair[0], buf, 64, 0)));
            System.out.println("RECV_AGAIN " + SysSocket.recv(cs, pair[0], buf, 64, 0));
            Unistd.close(cs, pair[0]);
            System.out.println("READ_BADF " + Unistd.read(cs, pair[0], buf, 64));
            System.out.println("ENTER_BADF " + IoUring.ioUringEnter(cs, -1, 0, 0, 0, MemorySegment.NULL, 0));
            System.out.println("EPOLL_WAIT_BADF " + SysEpoll.epollWait(cs, -1, buf, 1, 0));
        }
    }
}
