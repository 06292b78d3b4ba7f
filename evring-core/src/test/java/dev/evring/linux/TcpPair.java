package dev.evring.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/** A connected pair of non-blocking TCP sockets over 127.0.0.1, and a reset (RST) of one end: for tests. */
public final class TcpPair {
    private TcpPair() {}

    /** {accepted end, connecting end}, both non-blocking and close-on-exec. */
    public static int[] open() {
        MemorySegment cs = Libc.threadCallState();
        int type = SysSocket.SOCK_STREAM | SysSocket.SOCK_NONBLOCK | SysSocket.SOCK_CLOEXEC;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment addr = a.allocate(NetinetIn.SOCKADDR_IN);
            addr.set(JAVA_SHORT, NetinetIn.OFF_SIN_FAMILY, (short) SysSocket.AF_INET);
            addr.set(JAVA_BYTE, NetinetIn.OFF_SIN_ADDR, (byte) 127);
            addr.set(JAVA_BYTE, NetinetIn.OFF_SIN_ADDR + 3, (byte) 1);
            MemorySegment len = a.allocate(JAVA_INT);
            len.set(JAVA_INT, 0, (int) NetinetIn.SOCKADDR_IN_SIZE);
            int l = Errno.check(SysSocket.socket(cs, SysSocket.AF_INET, type, 0), "socket");
            try {
                Errno.check(SysSocket.bind(cs, l, addr, (int) NetinetIn.SOCKADDR_IN_SIZE), "bind");
                Errno.check(SysSocket.listen(cs, l, 1), "listen");
                Errno.check(SysSocket.getsockname(cs, l, addr, len), "getsockname");
                int c = Errno.check(SysSocket.socket(cs, SysSocket.AF_INET, type, 0), "socket");
                int r = SysSocket.connect(cs, c, addr, (int) NetinetIn.SOCKADDR_IN_SIZE);
                if (r < 0 && r != -Errno.EINPROGRESS) throw Errno.exception("connect", -r);
                long deadline = System.nanoTime() + 5_000_000_000L;
                while (true) {
                    int s = SysSocket.accept4(cs, l, MemorySegment.NULL, MemorySegment.NULL,
                            SysSocket.SOCK_NONBLOCK | SysSocket.SOCK_CLOEXEC);
                    if (s >= 0) return new int[] {s, c};
                    if (s != -Errno.EAGAIN || System.nanoTime() > deadline) throw Errno.exception("accept4", -s);
                    Thread.onSpinWait();
                }
            } finally {
                Unistd.close(cs, l);
            }
        }
    }

    /** Closes {@code fd} with SO_LINGER {on, 0}: the kernel sends RST instead of FIN, so the peer gets ECONNRESET. */
    public static void reset(int fd) {
        MemorySegment cs = Libc.threadCallState();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment linger = a.allocate(SysSocket.LINGER);
            linger.set(JAVA_INT, SysSocket.OFF_L_ONOFF, 1);
            linger.set(JAVA_INT, SysSocket.OFF_L_LINGER, 0);
            Errno.check(SysSocket.setsockopt(cs, fd, SysSocket.SOL_SOCKET, SysSocket.SO_LINGER, linger,
                    (int) SysSocket.LINGER_SIZE), "setsockopt(SO_LINGER)");
        }
        Errno.check(Unistd.close(cs, fd), "close");
    }
}
