package dev.evring.net;

import dev.evring.linux.Errno;
import dev.evring.linux.SysSocket;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.time.Duration;

/**
 * A UDP socket (IPv4 or IPv6). Made by {@link Net#bindUdp} or {@link Net#openUdp}.
 *
 * <p>Completion style: {@link #recvFrom(DatagramCallback)} delivers every datagram, each in a buffer of the general
 * pool (whose buffer size bounds a datagram: a longer one is delivered truncated to it) with its sender;
 * {@link #sendTo} queues datagrams, sent in call order. On io_uring these are IORING_OP_RECVMSG / IORING_OP_SENDMSG,
 * one datagram each, except that the datagrams queued when the loop is about to wait leave by sendmmsg(2), up to
 * {@code net.udp_send_batch} (64) a call; with {@code net.udp_multishot=true} a receive is one multishot
 * IORING_OP_RECVMSG over the receive pool's buffer ring instead, whose buffers then hold the datagrams (the receive
 * pool's buffer size less 44 bytes, the kernel's header and the sender's address, bounds a datagram there).
 * Readiness style: watch {@link #fd()} and call {@link #receive(Buffer)} / {@link #trySend(Buffer, SocketAddress)}:
 * failures come back as {@code -errno} statuses, as from the stream sockets' readiness calls.
 */
public final class UdpSocket extends NetSocket {
    UdpSocket(Net net, int fd, ProtocolFamily family) {
        super(net, fd, family);
    }

    /** bind(2) to {@code local}. One system call. */
    public UdpSocket bind(SocketAddress local) {
        bindNow(local);
        return this;
    }

    @Override
    public <T> UdpSocket setOption(SocketOption<T> option, T value) {
        super.setOption(option, value);
        return this;
    }

    /**
     * Receives every datagram (see {@link DatagramCallback}) until an error or {@link #stopRecv()}. One receive may run
     * at a time. Waits, without losing what the kernel queued, when the general pool has no free buffer.
     *
     * @return the operation id
     */
    public long recvFrom(DatagramCallback callback) {
        return net.startContinuous(this, Op.RECVFROM, callback, 0);
    }

    /** As {@link #recvFrom(DatagramCallback)}, ending with {@link Status#ETIMEDOUT} when no datagram comes for {@code idleTimeout}. */
    public long recvFrom(Duration idleTimeout, DatagramCallback callback) {
        return net.startContinuous(this, Op.RECVFROM, callback, StreamSocket.timeoutNanos(idleTimeout));
    }

    /** Stops receiving; the callback gets {@link Status#ECANCELED}. Returns whether a receive was running. */
    public boolean stopRecv() {
        return cancelReadSide();
    }

    /**
     * Queues {@code data} as one datagram to {@code target}, and takes the buffer (back to its pool once sent). The
     * callback (may be null) gets the byte count, or {@code -errno}.
     *
     * @return the operation id
     */
    public long sendTo(Buffer data, SocketAddress target, CompletionCallback<UdpSocket> callback) {
        return sendTo(data, target, null, callback);
    }

    /** As {@link #sendTo(Buffer, SocketAddress, CompletionCallback)}, failing with {@link Status#ETIMEDOUT} after {@code timeout}. */
    public long sendTo(Buffer data, SocketAddress target, Duration timeout, CompletionCallback<UdpSocket> callback) {
        checkOpen();
        long t = StreamSocket.timeoutNanos(timeout);
        int len = SockAddr.write(target, domain, net.addrScratch);
        BufferSlot slot = net.lend(data);
        return net.enqueue(this, Op.SENDTO, slot, callback, t, slot.length, net.addrScratch, len);
    }

    /**
     * Queues {@code data} as one datagram to the sender of {@code request} (a buffer {@link #recvFrom} delivered; it
     * may be {@code data} itself). Nothing is allocated: the address is copied natively.
     */
    public long reply(Buffer data, Buffer request, CompletionCallback<UdpSocket> callback) {
        checkOpen();
        if (request == null) throw new IllegalArgumentException("request is null");
        BufferSlot from = request.own();
        if (from.peerLength == 0) throw new IllegalArgumentException(request + " carries no sender address");
        int len = from.peerLength;
        MemorySegment.copy(from.peer, 0, net.addrScratch, 0, len);
        BufferSlot slot = net.lend(data);
        return net.enqueue(this, Op.SENDTO, slot, callback, 0, slot.length, net.addrScratch, len);
    }

    /**
     * Readiness style: receives one datagram into {@code dst} (replacing its data; {@link Buffer#sender()} tells who
     * sent it): its length (a longer one is truncated to the buffer), -1 if none is waiting, or a failure as
     * {@code -errno} ({@link Status#ECONNREFUSED} after an ICMP port-unreachable on a connected socket, ...), nothing
     * thrown (recvfrom(2) never fails with EPERM, the one errno -1 could stand for).
     */
    public int receive(Buffer dst) {
        checkOpen();
        BufferSlot s = dst.own();
        s.length = 0;
        MemorySegment len = net.addrLenScratch;
        while (true) {
            len.set(ValueLayout.JAVA_INT, 0, (int) SysSocket.SOCKADDR_STORAGE_SIZE);
            long n = SysSocket.recvfrom(net.callState, fd, s.memory, s.capacity(), 0, s.peer(), len);
            if (n >= 0) {
                s.length = (int) n;
                s.peerLength = len.get(ValueLayout.JAVA_INT, 0);
                return (int) n;
            }
            if (n == -Errno.EAGAIN) return -1;
            if (n == -Errno.EPERM) throw Errno.exception("recvfrom(fd " + fd + ")", Errno.EPERM); // (never -1: none waiting)
            if (n != -Errno.EINTR) return (int) n;
        }
    }

    /**
     * Readiness style: sends {@code src}'s data as one datagram to {@code target}: its length, {@link Status#EAGAIN}
     * if it would block, or a failure as {@code -errno} ({@link Status#EMSGSIZE} for a datagram too long for UDP,
     * EACCES for a broadcast address without SO_BROADCAST, ENETUNREACH, EPERM from a firewall, ...), nothing thrown.
     * The buffer stays yours.
     */
    public int trySend(Buffer src, SocketAddress target) {
        checkOpen();
        BufferSlot s = src.own();
        int len = SockAddr.write(target, domain, net.addrScratch);
        while (true) {
            long n = SysSocket.sendto(net.callState, fd, s.memory, s.length, SysSocket.MSG_NOSIGNAL, net.addrScratch, len);
            if (n != -Errno.EINTR) return (int) n;
        }
    }

    /**
     * Readiness style: as {@link #trySend}, true once sent, false if it would block; a failure is thrown as
     * {@link dev.evring.ErrnoException} (its errno and the call). Kept for callers of the first API; {@code trySend}
     * reports failures as statuses.
     */
    public boolean send(Buffer src, SocketAddress target) {
        int n = trySend(src, target);
        if (n >= 0) return true;
        if (n == Status.EAGAIN) return false;
        throw Errno.exception("sendto(fd " + fd + ", " + target + ")", -n);
    }
}
