package dev.evring.uring;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

import static dev.evring.linux.IoUring.IORING_ACCEPT_MULTISHOT;
import static dev.evring.linux.IoUring.IORING_MSG_DATA;
import static dev.evring.linux.IoUring.IORING_OP_ACCEPT;
import static dev.evring.linux.IoUring.IORING_OP_SENDMSG_ZC;
import static dev.evring.linux.IoUring.IORING_OP_SEND_ZC;
import static dev.evring.linux.IoUring.IORING_RECVSEND_POLL_FIRST;
import static dev.evring.linux.IoUring.IORING_RECVSEND_BUNDLE;
import static dev.evring.linux.IoUring.IORING_OP_ASYNC_CANCEL;
import static dev.evring.linux.IoUring.IORING_OP_CLOSE;
import static dev.evring.linux.IoUring.IORING_OP_CONNECT;
import static dev.evring.linux.IoUring.IORING_OP_FILES_UPDATE;
import static dev.evring.linux.IoUring.IORING_OP_LINK_TIMEOUT;
import static dev.evring.linux.IoUring.IORING_OP_MSG_RING;
import static dev.evring.linux.IoUring.IORING_OP_NOP;
import static dev.evring.linux.IoUring.IORING_OP_POLL_ADD;
import static dev.evring.linux.IoUring.IORING_OP_POLL_REMOVE;
import static dev.evring.linux.IoUring.IORING_OP_READ;
import static dev.evring.linux.IoUring.IORING_OP_RECV;
import static dev.evring.linux.IoUring.IORING_OP_RECVMSG;
import static dev.evring.linux.IoUring.IORING_OP_SEND;
import static dev.evring.linux.IoUring.IORING_OP_SENDMSG;
import static dev.evring.linux.IoUring.IORING_OP_TIMEOUT;
import static dev.evring.linux.IoUring.IORING_OP_TIMEOUT_REMOVE;
import static dev.evring.linux.IoUring.IORING_OP_WRITE;
import static dev.evring.linux.IoUring.IORING_POLL_UPDATE_USER_DATA;
import static dev.evring.linux.IoUring.IORING_RECV_MULTISHOT;
import static dev.evring.linux.IoUring.IOSQE_BUFFER_SELECT;
import static dev.evring.linux.IoUring.OFF_SQE_ADDR;
import static dev.evring.linux.IoUring.OFF_SQE_BUF_INDEX;
import static dev.evring.linux.IoUring.OFF_SQE_FD;
import static dev.evring.linux.IoUring.OFF_SQE_FILE_INDEX;
import static dev.evring.linux.IoUring.OFF_SQE_FLAGS;
import static dev.evring.linux.IoUring.OFF_SQE_IOPRIO;
import static dev.evring.linux.IoUring.OFF_SQE_LEN;
import static dev.evring.linux.IoUring.OFF_SQE_OFF;
import static dev.evring.linux.IoUring.OFF_SQE_OPCODE;
import static dev.evring.linux.IoUring.OFF_SQE_OP_FLAGS;
import static dev.evring.linux.IoUring.OFF_SQE_USER_DATA;
import static dev.evring.linux.IoUring.SQE_SIZE;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * Writes SQEs: {@code prep*} helpers in the manner of liburing's {@code io_uring_prep_*}, each filling the SQE at
 * byte offset {@code sqe} of the SQE array {@code sqes} (as {@link RingOps#nextSqe()} returns it, already zeroed) and
 * setting its user_data. {@link #flags} adjusts sqe->flags afterwards. Buffers are given as a segment plus an offset and length, checked against the segment's bounds, so no
 * slice is allocated per operation; the segment must stay alive until the operation's CQE arrives.
 *
 * <p>Every helper writes plain stores: the SQ tail store that publishes the entry (with release) comes later, at
 * submit.
 */
public final class Sqe {
    private Sqe() {}

    /** Zeroes the SQE (eight 8-byte stores; no slice). {@link RingOps#nextSqe()} does it for you. */
    public static void clear(MemorySegment sqes, long sqe) {
        for (long i = 0; i < SQE_SIZE; i += 8) sqes.set(JAVA_LONG, sqe + i, 0L);
    }

    /**
     * The common shape of most operations (liburing's {@code io_uring_prep_rw}): opcode, fd, addr, len, off and
     * user_data; the other fields are left as they are (zero on a fresh SQE).
     */
    public static void prepRw(MemorySegment sqes, long sqe, int opcode, int fd, long addr, int len, long offset, long userData) {
        sqes.set(JAVA_BYTE, sqe + OFF_SQE_OPCODE, (byte) opcode);
        sqes.set(JAVA_INT, sqe + OFF_SQE_FD, fd);
        sqes.set(JAVA_LONG, sqe + OFF_SQE_OFF, offset);
        sqes.set(JAVA_LONG, sqe + OFF_SQE_ADDR, addr);
        sqes.set(JAVA_INT, sqe + OFF_SQE_LEN, len);
        sqes.set(JAVA_LONG, sqe + OFF_SQE_USER_DATA, userData);
    }

    /** The address of {@code len} bytes at {@code offset} of {@code buf}, after checking they lie inside it. */
    private static long address(MemorySegment buf, long offset, int len) {
        Objects.checkFromIndexSize(offset, len, buf.byteSize());
        return buf.address() + offset;
    }

    public static void prepNop(MemorySegment sqes, long sqe, long userData) {
        prepRw(sqes, sqe, IORING_OP_NOP, -1, 0, 0, 0, userData);
    }

    /**
     * POLL_ADD for {@code pollMask} (POLLIN, POLLOUT, ... of {@code dev.evring.linux.Poll}). {@code addFlags} is 0
     * (oneshot) or {@code IORING_POLL_ADD_MULTI}.
     */
    public static void prepPollAdd(MemorySegment sqes, long sqe, int fd, int pollMask, int addFlags, long userData) {
        prepRw(sqes, sqe, IORING_OP_POLL_ADD, fd, 0, addFlags, 0, userData);
        sqes.set(JAVA_INT, sqe + OFF_SQE_OP_FLAGS, pollMask); // poll32_events
    }

    /** POLL_REMOVE of the poll whose user_data is {@code targetUserData} (the kernel matches user_data, not the fd). */
    public static void prepPollRemove(MemorySegment sqes, long sqe, long targetUserData, long userData) {
        prepRw(sqes, sqe, IORING_OP_POLL_REMOVE, -1, targetUserData, 0, 0, userData);
    }

    /**
     * POLL_UPDATE (5.13): changes the poll whose user_data is {@code oldUserData}. {@code updateFlags} holds
     * {@code IORING_POLL_UPDATE_EVENTS} (then {@code pollMask} is the new mask), {@code IORING_POLL_UPDATE_USER_DATA}
     * (then {@code newUserData} replaces its user_data; it is ignored otherwise) and {@code IORING_POLL_ADD_MULTI} for a multishot poll. The
     * kernel re-arms the poll, checking the file's readiness anew.
     */
    public static void prepPollUpdate(MemorySegment sqes, long sqe, long oldUserData, long newUserData, int pollMask,
                                      int updateFlags, long userData) {
        // off must stay 0 unless the user_data is updated: the kernel rejects the SQE with EINVAL otherwise
        long off = (updateFlags & IORING_POLL_UPDATE_USER_DATA) != 0 ? newUserData : 0;
        prepRw(sqes, sqe, IORING_OP_POLL_REMOVE, -1, oldUserData, updateFlags, off, userData);
        sqes.set(JAVA_INT, sqe + OFF_SQE_OP_FLAGS, pollMask);
    }

    /**
     * TIMEOUT: completes with -ETIME when the {@code struct __kernel_timespec} at {@code ts} expires (relative, or
     * absolute with {@code IORING_TIMEOUT_ABS}), or with 0 once {@code count} other completions happened
     * (0: a pure timer). The kernel reads {@code ts} when the SQE is submitted.
     */
    public static void prepTimeout(MemorySegment sqes, long sqe, MemorySegment ts, int count, int timeoutFlags, long userData) {
        prepRw(sqes, sqe, IORING_OP_TIMEOUT, -1, address(ts, 0, 16), 1, count, userData);
        sqes.set(JAVA_INT, sqe + OFF_SQE_OP_FLAGS, timeoutFlags);
    }

    /**
     * TIMEOUT_REMOVE of the timeout whose user_data is {@code targetUserData}.
     */
    public static void prepTimeoutRemove(MemorySegment sqes, long sqe, long targetUserData, int timeoutFlags, long userData) {
        prepRw(sqes, sqe, IORING_OP_TIMEOUT_REMOVE, -1, targetUserData, 0, 0, userData);
        sqes.set(JAVA_INT, sqe + OFF_SQE_OP_FLAGS, timeoutFlags);
    }

    /** ASYNC_CANCEL of the request whose user_data is {@code targetUserData} ({@code cancelFlags}: IORING_ASYNC_CANCEL_*). */
    public static void prepCancel(MemorySegment sqes, long sqe, long targetUserData, int cancelFlags, long userData) {
        prepRw(sqes, sqe, IORING_OP_ASYNC_CANCEL, -1, targetUserData, 0, 0, userData);
        sqes.set(JAVA_INT, sqe + OFF_SQE_OP_FLAGS, cancelFlags);
    }

    /** READ of up to {@code len} bytes into {@code buf} at {@code bufOffset}, from file offset {@code fileOffset} (-1: current position). */
    public static void prepRead(MemorySegment sqes, long sqe, int fd, MemorySegment buf, long bufOffset, int len, long fileOffset, long userData) {
        prepRw(sqes, sqe, IORING_OP_READ, fd, address(buf, bufOffset, len), len, fileOffset, userData);
    }

    /** WRITE of {@code len} bytes from {@code buf} at {@code bufOffset}, at file offset {@code fileOffset} (-1: current position). */
    public static void prepWrite(MemorySegment sqes, long sqe, int fd, MemorySegment buf, long bufOffset, int len, long fileOffset, long userData) {
        prepRw(sqes, sqe, IORING_OP_WRITE, fd, address(buf, bufOffset, len), len, fileOffset, userData);
    }

    /** RECV of up to {@code len} bytes into {@code buf} at {@code bufOffset}, with recv(2) {@code msgFlags}. */
    public static void prepRecv(MemorySegment sqes, long sqe, int fd, MemorySegment buf, long bufOffset, int len, int msgFlags, long userData) {
        prepRw(sqes, sqe, IORING_OP_RECV, fd, address(buf, bufOffset, len), len, 0, userData);
        sqes.set(JAVA_INT, sqe + OFF_SQE_OP_FLAGS, msgFlags);
    }

    /**
     * RECV into a buffer the kernel picks from buffer group {@code bufGroup} (IOSQE_BUFFER_SELECT), multishot when
     * {@code multishot} (IORING_RECV_MULTISHOT, 6.0): the CQE's flags carry the buffer id above
     * {@code IORING_CQE_BUFFER_SHIFT}. The kernel picks the buffer before it looks at the socket (io_recv: buffer
     * select, then sock_recvmsg), so with the ring empty the request ends with ENOBUFS whether or not data is there;
     * {@code pollFirst} (IORING_RECVSEND_POLL_FIRST, 5.19) makes it wait for the socket to turn readable first, so that
     * ENOBUFS then means "data waiting, no buffer".
     */
    public static void prepRecvSelect(MemorySegment sqes, long sqe, int fd, int bufGroup, int msgFlags, boolean multishot,
                                      boolean pollFirst, long userData) {
        prepRecvSelect(sqes, sqe, fd, bufGroup, msgFlags, multishot, pollFirst, false, 0, userData);
    }

    /**
     * {@link #prepRecvSelect(MemorySegment, long, int, int, int, boolean, boolean, long)}, as a bundle when
     * {@code bundle} (IORING_RECVSEND_BUNDLE, 6.10, {@code IORING_FEAT_RECVSEND_BUNDLE}): the kernel fills as many
     * consecutive buffers from the ring's head as the socket has data for, up to {@code maxBytes} (0: as many as it
     * sees fit; give a whole number of buffers, or the kernel shortens the first buffer's ring entry), and reports them
     * in one CQE: the first buffer's id and the bytes received, every buffer full but the last. Only on stream
     * sockets.
     */
    public static void prepRecvSelect(MemorySegment sqes, long sqe, int fd, int bufGroup, int msgFlags, boolean multishot,
                                      boolean pollFirst, boolean bundle, int maxBytes, long userData) {
        if (maxBytes < 0) throw new IllegalArgumentException("bundle of " + maxBytes + " bytes");
        prepRw(sqes, sqe, IORING_OP_RECV, fd, 0, bundle ? maxBytes : 0, 0, userData);
        sqes.set(JAVA_INT, sqe + OFF_SQE_OP_FLAGS, msgFlags);
        sqes.set(JAVA_BYTE, sqe + OFF_SQE_FLAGS, (byte) IOSQE_BUFFER_SELECT);
        sqes.set(JAVA_SHORT, sqe + OFF_SQE_BUF_INDEX, (short) bufGroup);
        int ioprio = (multishot ? IORING_RECV_MULTISHOT : 0) | (pollFirst ? IORING_RECVSEND_POLL_FIRST : 0)
                | (bundle ? IORING_RECVSEND_BUNDLE : 0);
        if (ioprio != 0) sqes.set(JAVA_SHORT, sqe + OFF_SQE_IOPRIO, (short) ioprio);
    }

    /**
     * The zero-copy form of {@link #prepSend} (IORING_OP_SEND_ZC, 6.0) or of {@link #prepSendMsg} (IORING_OP_SENDMSG_ZC,
     * 6.1, when {@code msghdr} is given instead of {@code buf}): the kernel pins the pages instead of copying them, and
     * posts two CQEs, the result (IORING_CQE_F_MORE set) and later a notification (IORING_CQE_F_NOTIF) once it no
     * longer reads the memory: only then may the buffer be reused.
     */
    public static void prepSendZc(MemorySegment sqes, long sqe, int fd, MemorySegment buf, long bufOffset, int len,
                                  MemorySegment msghdr, int msgFlags, long userData) {
        if (msghdr != null) prepRw(sqes, sqe, IORING_OP_SENDMSG_ZC, fd, msghdr.address(), 1, 0, userData);
        else prepRw(sqes, sqe, IORING_OP_SEND_ZC, fd, address(buf, bufOffset, len), len, 0, userData);
        sqes.set(JAVA_INT, sqe + OFF_SQE_OP_FLAGS, msgFlags);
    }

    /** SEND of {@code len} bytes from {@code buf} at {@code bufOffset}, with send(2) {@code msgFlags}. */
    public static void prepSend(MemorySegment sqes, long sqe, int fd, MemorySegment buf, long bufOffset, int len, int msgFlags, long userData) {
        prepRw(sqes, sqe, IORING_OP_SEND, fd, address(buf, bufOffset, len), len, 0, userData);
        sqes.set(JAVA_INT, sqe + OFF_SQE_OP_FLAGS, msgFlags);
    }

    /**
     * ACCEPT on listening socket {@code fd}; {@code addr}/{@code addrLen} receive the peer's address (a sockaddr
     * buffer and a socklen_t holding its size) or are {@link MemorySegment#NULL}. {@code flags}: accept4(2) flags
     * (SOCK_NONBLOCK, SOCK_CLOEXEC). Multishot (5.19) serves every connection with one SQE.
     */
    public static void prepAccept(MemorySegment sqes, long sqe, int fd, MemorySegment addr, MemorySegment addrLen, int flags,
                                  boolean multishot, long userData) {
        prepRw(sqes, sqe, IORING_OP_ACCEPT, fd, addr.address(), 0, addrLen.address(), userData);
        sqes.set(JAVA_INT, sqe + OFF_SQE_OP_FLAGS, flags);
        if (multishot) sqes.set(JAVA_SHORT, sqe + OFF_SQE_IOPRIO, (short) IORING_ACCEPT_MULTISHOT);
    }

    /** CONNECT {@code fd} to the {@code addrLen}-byte sockaddr at the start of {@code addr}. */
    public static void prepConnect(MemorySegment sqes, long sqe, int fd, MemorySegment addr, int addrLen, long userData) {
        prepRw(sqes, sqe, IORING_OP_CONNECT, fd, address(addr, 0, addrLen), 0, addrLen, userData);
    }

    public static void prepClose(MemorySegment sqes, long sqe, int fd, long userData) {
        prepRw(sqes, sqe, IORING_OP_CLOSE, fd, 0, 0, 0, userData);
    }

    /**
     * CLOSE of slot {@code slot} of the ring's registered file table (5.15): the table lets go of its file (the file
     * itself closes once nothing else holds it: a request still running on it, a real fd). fd 0 and
     * {@code file_index = slot + 1}, as the kernel wants it; never with IOSQE_FIXED_FILE.
     */
    public static void prepCloseFixed(MemorySegment sqes, long sqe, int slot, long userData) {
        prepRw(sqes, sqe, IORING_OP_CLOSE, 0, 0, 0, 0, userData);
        sqes.set(JAVA_INT, sqe + OFF_SQE_FILE_INDEX, slot + 1);
    }

    /**
     * FILES_UPDATE (5.6): slots {@code slot..slot+count-1} of the ring's registered file table get the fds in the
     * {@code count} ints at {@code offset} of {@code fds} (-1 empties a slot); the kernel reads them when it issues the
     * request. The result is how many slots it updated, or -errno.
     */
    public static void prepFilesUpdate(MemorySegment sqes, long sqe, MemorySegment fds, long offset, int count, int slot,
                                       long userData) {
        prepRw(sqes, sqe, IORING_OP_FILES_UPDATE, -1, address(fds, offset, count * 4), count, slot, userData);
    }

    /** SENDMSG with the {@code struct msghdr} at the start of {@code msghdr} (UDP with a destination address). */
    public static void prepSendMsg(MemorySegment sqes, long sqe, int fd, MemorySegment msghdr, int msgFlags, long userData) {
        prepRw(sqes, sqe, IORING_OP_SENDMSG, fd, msghdr.address(), 1, 0, userData);
        sqes.set(JAVA_INT, sqe + OFF_SQE_OP_FLAGS, msgFlags);
    }

    /**
     * Adds IORING_RECVSEND_POLL_FIRST (5.19) to a prepared send, sendmsg, recv or recvmsg: the kernel waits for the
     * socket to be ready before it tries, instead of trying at once.
     */
    public static void pollFirst(MemorySegment sqes, long sqe) {
        short ioprio = sqes.get(JAVA_SHORT, sqe + OFF_SQE_IOPRIO);
        sqes.set(JAVA_SHORT, sqe + OFF_SQE_IOPRIO, (short) (ioprio | IORING_RECVSEND_POLL_FIRST));
    }

    /** RECVMSG into the {@code struct msghdr} at the start of {@code msghdr} (UDP, learning the source address). */
    public static void prepRecvMsg(MemorySegment sqes, long sqe, int fd, MemorySegment msghdr, int msgFlags, long userData) {
        prepRw(sqes, sqe, IORING_OP_RECVMSG, fd, msghdr.address(), 1, 0, userData);
        sqes.set(JAVA_INT, sqe + OFF_SQE_OP_FLAGS, msgFlags);
    }

    /**
     * {@link #prepRecvMsg} into a buffer the kernel picks from the provided-buffer ring {@code bufGroup}
     * (IOSQE_BUFFER_SELECT; the msghdr names no iovec). Single-shot, the payload fills the buffer from its start and
     * the sender's address goes to the msghdr's name. {@code multishot} (IORING_RECV_MULTISHOT, 6.0): one CQE per
     * datagram, each buffer starting with {@code struct io_uring_recvmsg_out} ({@link
     * dev.evring.linux.IoUring#IO_URING_RECVMSG_OUT}), then the name in the msghdr's {@code msg_namelen} bytes, the
     * control data in its {@code msg_controllen}, then the payload. {@code pollFirst}: IORING_RECVSEND_POLL_FIRST.
     */
    public static void prepRecvMsgSelect(MemorySegment sqes, long sqe, int fd, MemorySegment msghdr, int bufGroup,
                                         boolean multishot, boolean pollFirst, long userData) {
        prepRecvMsg(sqes, sqe, fd, msghdr, 0, userData);
        sqes.set(JAVA_BYTE, sqe + OFF_SQE_FLAGS, (byte) IOSQE_BUFFER_SELECT);
        sqes.set(JAVA_SHORT, sqe + OFF_SQE_BUF_INDEX, (short) bufGroup);
        int ioprio = (multishot ? IORING_RECV_MULTISHOT : 0) | (pollFirst ? IORING_RECVSEND_POLL_FIRST : 0);
        if (ioprio != 0) sqes.set(JAVA_SHORT, sqe + OFF_SQE_IOPRIO, (short) ioprio);
    }

    /**
     * LINK_TIMEOUT: placed right after an SQE flagged IOSQE_IO_LINK, cancels it when the timespec at {@code ts}
     * expires (reserve both entries first with {@link RingOps#reserveSqes}).
     */
    public static void prepLinkTimeout(MemorySegment sqes, long sqe, MemorySegment ts, int timeoutFlags, long userData) {
        prepRw(sqes, sqe, IORING_OP_LINK_TIMEOUT, -1, address(ts, 0, 16), 1, 0, userData);
        sqes.set(JAVA_INT, sqe + OFF_SQE_OP_FLAGS, timeoutFlags);
    }

    /**
     * MSG_RING of IORING_MSG_DATA (5.18): posts a CQE to the ring whose fd is {@code targetRingFd}, with user_data
     * {@code targetUserData} and res {@code targetRes} (liburing's {@code io_uring_prep_msg_ring}). The fd is the
     * target's real ring fd (not an index of IORING_REGISTER_RING_FDS, which only io_uring_enter and io_uring_register
     * understand), or with IOSQE_FIXED_FILE an index of this ring's own file table. This ring gets its own CQE (res 0
     * or -errno: EBADFD when the fd is no io_uring, EOVERFLOW when the target could not post, EOWNERDEAD when the
     * target ring's task is gone) under {@code userData}.
     */
    public static void prepMsgRing(MemorySegment sqes, long sqe, int targetRingFd, int targetRes, long targetUserData,
                                   int msgRingFlags, long userData) {
        prepRw(sqes, sqe, IORING_OP_MSG_RING, targetRingFd, IORING_MSG_DATA, targetRes, targetUserData, userData);
        sqes.set(JAVA_INT, sqe + OFF_SQE_OP_FLAGS, msgRingFlags); // msg_ring_flags
    }

    // ---------------------------------------------------------------------------------------------------------------
    // single fields

    /** Sets sqe->flags (IOSQE_*). */
    public static void flags(MemorySegment sqes, long sqe, int iosqeFlags) {
        sqes.set(JAVA_BYTE, sqe + OFF_SQE_FLAGS, (byte) iosqeFlags);
    }

    /** sqe->flags. */
    public static int flags(MemorySegment sqes, long sqe) {
        return sqes.get(JAVA_BYTE, sqe + OFF_SQE_FLAGS) & 0xFF;
    }

    /** sqe->user_data. */
    public static long userData(MemorySegment sqes, long sqe) {
        return sqes.get(JAVA_LONG, sqe + OFF_SQE_USER_DATA);
    }

    /** sqe->opcode. */
    public static int opcode(MemorySegment sqes, long sqe) {
        return sqes.get(JAVA_BYTE, sqe + OFF_SQE_OPCODE) & 0xFF;
    }
}
