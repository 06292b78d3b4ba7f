package dev.evring.net;

import dev.evring.linux.Errno;
import dev.evring.linux.Fcntl;
import dev.evring.linux.SysSocket;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.ProtocolFamily;
import java.net.StandardProtocolFamily;

/**
 * Moving a connected stream socket into a {@link Net}: {@link Net#adoptStream} for an fd of unknown origin (checked,
 * made non-blocking), and the loop group's hand-off ({@link GroupListener}), which detaches a socket it has just
 * accepted from the accepting loop's Net and adopts its fd, unchecked, into the target loop's.
 */
final class Adoption {
    private Adoption() {}

    /** {@link Net#adoptStream}: checks what {@code fd} is, makes it non-blocking, and wraps it. Loop thread. */
    static StreamSocket stream(Net net, int fd) {
        if (fd < 0) throw new IllegalArgumentException("fd " + fd + " is negative");
        int type = intOption(net, fd, SysSocket.SO_TYPE);
        if (type != SysSocket.SOCK_STREAM) {
            throw new IllegalArgumentException("fd " + fd + " is not a stream socket (SO_TYPE " + type + ")");
        }
        if (intOption(net, fd, SysSocket.SO_ACCEPTCONN) != 0) {
            throw new IllegalArgumentException("fd " + fd + " is a listening socket, not a connection");
        }
        ProtocolFamily family = switch (intOption(net, fd, SysSocket.SO_DOMAIN)) {
            case SysSocket.AF_INET -> StandardProtocolFamily.INET;
            case SysSocket.AF_INET6 -> StandardProtocolFamily.INET6;
            case SysSocket.AF_UNIX -> StandardProtocolFamily.UNIX;
            default -> throw new IllegalArgumentException("fd " + fd + " is a socket of a family evring does not handle");
        };
        int flags = Errno.check(Fcntl.fcntl(net.callState, fd, Fcntl.F_GETFL, 0), "fcntl(fd " + fd + ", F_GETFL)");
        if ((flags & Fcntl.O_NONBLOCK) == 0) {
            Errno.check(Fcntl.fcntl(net.callState, fd, Fcntl.F_SETFL, flags | Fcntl.O_NONBLOCK),
                    "fcntl(fd " + fd + ", F_SETFL, O_NONBLOCK)");
        }
        return new StreamSocket(net, fd, family);
    }

    private static int intOption(Net net, int fd, int name) {
        MemorySegment v = net.optScratch;
        MemorySegment len = net.addrLenScratch;
        len.set(ValueLayout.JAVA_INT, 0, 4);
        int r = SysSocket.getsockopt(net.callState, fd, SysSocket.SOL_SOCKET, name, v, len);
        if (r == -Errno.EBADF) throw new IllegalArgumentException("fd " + fd + " is not open");
        if (r == -Errno.ENOTSOCK) throw new IllegalArgumentException("fd " + fd + " is not a socket");
        Errno.check(r, "getsockopt(fd " + fd + ", SOL_SOCKET, " + name + ")");
        return v.get(ValueLayout.JAVA_INT, 0);
    }

    /**
     * Takes {@code s}, a socket its Net has just accepted and nobody has seen, out of that Net without closing its fd,
     * and returns the fd for another loop's Net to {@link #adopt}. Nothing runs on it yet (no operation, no watcher,
     * nothing queued): the old handle is simply closed for good without close(2). Its loop's thread.
     */
    static int detach(StreamSocket s) {
        if (s.closed || s.liveHead != null || s.sendHead != null || s.readOp != null || s.readWatcher != null
                || s.writeWatcher != null) {
            throw new IllegalStateException(s + " is in use: only a socket nothing ran on can move to another loop");
        }
        s.closed = true;
        s.net.removeHandle(s);
        return s.fd;
    }

    /** The fd of a socket accepted on another loop, {@link #detach detached} there, as this Net's. Loop thread. */
    static StreamSocket adopt(Net net, int fd, ProtocolFamily family) {
        return new StreamSocket(net, fd, family);
    }
}
