package dev.evring.net;

import dev.evring.linux.Errno;
import dev.evring.linux.IoUring;
import dev.evring.linux.NetinetIn;
import dev.evring.linux.Poll;
import dev.evring.linux.SysSocket;
import dev.evring.linux.SysUio;
import dev.evring.linux.Time;
import dev.evring.uring.BufferRing;
import dev.evring.uring.CompletionHandler;
import dev.evring.uring.RingOps;
import dev.evring.uring.Sqe;
import dev.evring.uring.UserData;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Completion I/O done by the kernel on the loop's io_uring (the {@link RingOps} the io_uring backend offers): each
 * operation is an SQE written into the loop's ring, submitted with the loop's one {@code io_uring_enter} per iteration,
 * and its CQE comes back here, through the handler tag this engine registered.
 *
 * <h2>Forms, and their fallbacks</h2>
 * <ul>
 * <li>Accept: multishot (IORING_ACCEPT_MULTISHOT, 5.19), one SQE for every connection; single-shot re-armed after each
 * connection where the kernel lacks it, with a timeout, or with {@code net.multishot_accept=false}.</li>
 * <li>Receive: buffers the kernel picks from a provided-buffer ring (IORING_REGISTER_PBUF_RING, 5.19) filled with the
 * receive pool: idle connections hold no buffer. Single-shot under a per-connection share (the default: a multishot
 * receive would take as many buffers as the socket has data for within one enter); multishot
 * (IORING_RECV_MULTISHOT, 6.0) with {@code recvShare(0)}; single-shot without multishot ({@code
 * net.multishot_recv=false}, or an idle timeout); single-shot into a buffer taken from the pool per operation without
 * a buffer ring ({@code net.buffer_ring=false}).</li>
 * <li>With {@code net.recv_incremental} (off by default) the buffer ring is consumed incrementally (IOU_PBUF_RING_INC,
 * 6.12; a whole-buffer ring where the kernel refuses the flag): a receive takes only the bytes it got, delivered as a
 * slice of its buffer ({@link BufferPool#sliceFilled}); no bundles then.</li>
 * <li>When the buffer ring is empty, a receive ends with ENOBUFS: it waits (counted) and is re-armed as soon as the
 * application gives a buffer back. Nothing is lost: the data stays in the socket.</li>
 * <li>A ring reset (the backend lost completions and rebuilt its ring, or moved to epoll): see
 * {@link #onRingReset}.</li>
 * <li>Timeouts are IORING_OP_LINK_TIMEOUT SQEs linked (IOSQE_IO_LINK) to the operation, so they ride in the same
 * submission; a fired timeout turns the operation's -ECANCELED into -ETIMEDOUT.</li>
 * </ul>
 *
 * <h2>user_data</h2>
 * This engine's handler tag in bits 56..63 ({@link UserData}), the operation's {@link OpId} payload below it (slot
 * index, generation, and the role: the operation, its linked timeout, a cancel of it). Every CQE is checked against
 * the slot's current generation before it is used, and a buffer id the kernel reports is checked against the pool: a
 * stale or corrupt completion is counted and dropped, never followed.
 */
final class RingEngine extends Engine implements CompletionHandler {
    private static final int ACCEPT_FLAGS = SysSocket.SOCK_NONBLOCK | SysSocket.SOCK_CLOEXEC;

    private final RingOps ring;
    private final int tag;

    /** This engine's handler tag: the tag of every CQE of its operations (fault-injection tests rewrite by it). */
    int tag() {
        return tag;
    }
    private boolean multishotAccept;
    private boolean multishotRecv;
    private BufferRing pbuf;
    /**
     * Multishot receives as bundles (IORING_RECVSEND_BUNDLE, 6.10): a CQE for as many ring buffers as the socket had
     * data for. Only where there is no per-connection share (the kernel appends to a bundle past any length given, up
     * to the whole ring), like multishot itself. {@code bundle} holds one CQE's buffers while they are delivered.
     */
    private final boolean recvBundle;
    private final BufferSlot[] bundle;
    /**
     * The buffer ring is consumed incrementally (IOU_PBUF_RING_INC, 6.12, {@code net.recv_incremental}): a receive
     * takes only the bytes it got, and each CQE's bytes are handed out as a slice of its buffer
     * ({@link BufferPool#sliceFilled}). Its registration flags, for the fresh ring of a reset.
     */
    private final boolean incremental;
    private final int pbufFlags;
    /** Writes of at least this many bytes go zero-copy (0: never); the forms the kernel has for it. */
    private final int zeroCopyMin;
    private final boolean sendZc;
    private final boolean sendMsgZc;
    /**
     * Datagram receives as multishot IORING_OP_RECVMSG over the receive pool's buffer ring ({@code net.udp_multishot},
     * 6.0): one request for every datagram, each CQE naming a ring buffer that starts with the kernel's
     * {@code io_uring_recvmsg_out} header and the sender's address, then the payload ({@link #takeDatagram}).
     */
    private boolean udpMultishot;
    /**
     * The most datagrams of one socket's queue sent by one sendmmsg(2) ({@code net.udp_send_batch}; 1: none, each
     * datagram its own SENDMSG request), and the {@code struct mmsghdr}s for it.
     */
    private final int udpSendBatch;
    private final MemorySegment mmsg;
    private final StringBuilder notes = new StringBuilder();
    /** Stream connections in the ring's file table ({@code net.direct_descriptors}); null when off or refused. */
    private DirectDescriptors direct;
    /** Zero-copy writes' memory, pinned from their submission to their notification. */
    private final ZeroCopyHolds zeroCopyHolds;

    RingEngine(Net net, RingOps ring) {
        super(net);
        this.ring = ring;
        // The kernel's probe lists opcodes, not flags: IORING_OP_SOCKET came with 5.19 (multishot accept, buffer
        // rings), IORING_OP_SEND_ZC with 6.0 (multishot recv). A flag still refused with EINVAL falls back at run time.
        // Probed before the handler tag is taken: nothing of the loop changes until the last step.
        boolean has519 = ring.opcodeSupported(IoUring.IORING_OP_SOCKET);
        boolean has60 = ring.opcodeSupported(IoUring.IORING_OP_SEND_ZC);
        NetSettings s = net.settings;
        // a refused probe (io_uring_register denied) is not an old kernel: say what was observed
        String before519 = ring.opcodeProbeFailure().isEmpty() ? "kernel < 5.19" : ring.opcodeProbeFailure();
        this.multishotAccept = s.multishotAccept() && note(has519, "multishot accept", before519);
        boolean wantRing = s.bufferRing() && note(has519, "buffer ring", before519);
        this.tag = ring.registerHandler(this);
        int flags = 0;
        if (wantRing) {
            BufferRing br = new BufferRing(net.arena, BufferRing.entriesFor(net.recvPool.count()), tag);
            int r = -Errno.EINVAL;
            if (s.recvIncremental()) { // the kernel says whether it has the flag: EINVAL before 6.12
                r = br.register(ring, IoUring.IOU_PBUF_RING_INC);
                if (note(r == 0, "incremental buffers", r == -Errno.EINVAL ? "kernel < 6.12" : Errno.name(-r))) {
                    flags = IoUring.IOU_PBUF_RING_INC;
                }
            }
            if (r != 0) r = br.register(ring);
            if (r == 0) {
                pbuf = br;
                net.recvPool.attachRing(br, flags != 0);
            } else {
                flags = 0;
                note(false, "buffer ring", "IORING_REGISTER_PBUF_RING: " + Errno.name(-r));
            }
        }
        this.pbufFlags = flags;
        this.incremental = flags != 0;
        this.zeroCopyMin = s.sendZeroCopyMin();
        this.sendZc = has60;
        this.sendMsgZc = ring.opcodeSupported(IoUring.IORING_OP_SENDMSG_ZC);
        this.multishotRecv = pbuf != null && s.multishotRecv() && note(has60, "multishot recv",
                ring.opcodeProbeFailure().isEmpty() ? "kernel < 6.0" : ring.opcodeProbeFailure());
        // (not with incremental buffers: a bundle would start inside its first buffer and go on into whole ones, a
        // second way of mapping a CQE onto buffers that no test holds yet)
        this.recvBundle = multishotRecv && s.recvBundle() && !incremental
                && note((ring.features() & IoUring.IORING_FEAT_RECVSEND_BUNDLE) != 0, "recv bundles", "kernel < 6.10");
        this.bundle = recvBundle ? new BufferSlot[pbuf.entries()] : null;
        if (s.directDescriptors() && note(has519, "direct descriptors", before519)) openDirectDescriptors(s.directTable());
        this.zeroCopyHolds = new ZeroCopyHolds(net.outbound);
        this.udpSendBatch = s.udpSendBatch();
        this.mmsg = udpSendBatch > 1 ? net.arena.allocate(udpSendBatch * SysSocket.MMSGHDR_SIZE, 8) : null;
        // (not with incremental buffers either: a datagram's header and payload are read from byte 0 of its buffer)
        this.udpMultishot = pbuf != null && s.udpMultishot() && !incremental && note(has60, "multishot recvmsg",
                ring.opcodeProbeFailure().isEmpty() ? "kernel < 6.0" : ring.opcodeProbeFailure());
    }

    /** The ring's file table for stream connections: its own handler tag, once the table registered. */
    private void openDirectDescriptors(int slots) {
        DirectDescriptors d = new DirectDescriptors(net, ring, slots);
        if (d.active()) direct = d;
        else note(false, "direct descriptors", d.failure);
    }

    @Override
    boolean datagramsFromRecvRing() {
        return udpMultishot && pbuf != null;
    }

    private boolean note(boolean ok, String what, String why) {
        if (!ok) notes.append(notes.isEmpty() ? "" : ", ").append("no ").append(what).append(" (").append(why).append(")");
        return ok;
    }

    @Override
    String name() {
        return "io_uring";
    }

    @Override
    String features() {
        StringBuilder f = new StringBuilder();
        f.append(multishotAccept ? "multishot accept" : "single-shot accept");
        f.append(pbuf != null ? (incremental ? ", incremental buffer ring" : ", buffer ring") : ", per-operation recv buffers");
        f.append(multishotRecv && net.recvShare == 0 ? (recvBundle ? ", multishot recv bundles" : ", multishot recv")
                : multishotRecv ? ", single-shot recv (per-connection share " + net.recvShare + ")" : ", single-shot recv");
        if (udpMultishot) f.append(", multishot recvmsg (UDP)");
        if (udpSendBatch > 1) f.append(", datagram sends by sendmmsg (up to ").append(udpSendBatch).append(")");
        f.append(", linked timeouts");
        if (direct != null) f.append(", ").append(direct.describe());
        if (zeroCopyMin > 0) f.append(sendZc ? ", zero-copy writes from " + zeroCopyMin + " bytes" : ", no zero-copy writes (kernel < 6.0)");
        String n = notes.toString();
        if (!n.isEmpty()) f.append(" [").append(n).append("]");
        if (net.settings.fallbacksForced()) f.append(" [fallbacks forced by net.* options]");
        return f.toString();
    }

    // ------------------------------------------------------------------------------------------------------------
    // user_data

    private long userData(Op op, int role) {
        return UserData.pack(tag, OpId.payload(op.index, op.gen, role));
    }

    // ------------------------------------------------------------------------------------------------------------
    // submission

    @Override
    void submit(Op op) {
        IoHandle h = op.handle;
        int fd = h.fd;
        if (op.kind == Op.SHUTDOWN) {
            // shutdown(2) now, on the loop's thread, never IORING_OP_SHUTDOWN: the kernel marks that opcode
            // REQ_F_FORCE_ASYNC, so an io-wq worker looks its fd number up only when it runs. A close(2) of this
            // handle before then (close(), or its Net closing) let the worker half-close whatever socket took the
            // number next: GroupListenerTest saw connections of the next test end under their clients (clean ends on
            // the server, EPIPE on the client's writes) from the previous test's graceful closes. One system call.
            net.complete(op, SysSocket.shutdown(net.callState, fd, SysSocket.SHUT_WR), null, true);
            return;
        }
        boolean timed = op.timeoutNanos > 0;
        boolean fixed = false;
        if (direct != null && (op.kind == Op.RECV || op.kind == Op.SEND)) {
            if (h.directLive) {
                fd = h.directSlot; // IOSQE_FIXED_FILE below
                fixed = true;
            } else if (!h.directTried && h instanceof StreamSocket) {
                direct.attach(h); // its update goes before this request, which still names the real fd
            }
        }
        if (timed) ring.reserveSqes(2); // the operation and its linked timeout must go in one submission
        long sqe;
        MemorySegment sqes;
        long ud = userData(op, OpId.ROLE_OP);
        op.ringMultishot = false;
        switch (op.kind) {
            case Op.ACCEPT -> {
                boolean multi = multishotAccept && !timed;
                sqe = ring.nextSqe();
                sqes = ring.sqes();
                Sqe.prepAccept(sqes, sqe, fd, MemorySegment.NULL, MemorySegment.NULL, ACCEPT_FLAGS, multi, ud);
                op.ringMultishot = multi;
            }
            case Op.CONNECT -> {
                sqe = ring.nextSqe();
                sqes = ring.sqes();
                Sqe.prepConnect(sqes, sqe, fd, op.scratch, op.addrLength, ud);
            }
            case Op.RECV -> {
                if (h.recvPaused) {
                    net.recvPool.wokenEnded(op); // (it goes nowhere now)
                    op.userPaused = true; // resumed by recvPauseChanged
                    return;
                }
                if (net.shareFull(h)) {
                    net.recvPool.wokenEnded(op); // (it goes nowhere now)
                    net.pauseForShare(op); // resumed by shareAvailable when the connection gives buffers back
                    return;
                }
                if (pbuf != null) {
                    // Multishot only without a per-connection share: a multishot receive takes as many ring buffers
                    // as the socket has data for in one io_uring_enter (the kernel loops over the socket), so no share
                    // could hold. A single-shot receive takes one buffer, and the next is armed only under the share.
                    boolean multi = multishotRecv && !timed && net.recvShare == 0;
                    // The kernel picks a buffer before it looks at the socket: without POLL_FIRST an empty ring ends
                    // the receive with ENOBUFS whether or not data is there. Poll first unless the socket is known
                    // to hold data (cheaper then: the receive completes at once).
                    boolean pollFirst = !op.recvReadable;
                    sqe = ring.nextSqe();
                    sqes = ring.sqes();
                    Sqe.prepRecvSelect(sqes, sqe, fd, pbuf.groupId(), 0, multi, pollFirst, multi && recvBundle, 0, ud);
                    op.ringMultishot = multi;
                    op.ringPollFirst = pollFirst;
                    op.ringAddSeq = net.recvPool.added();
                } else if (op.recvReadable || op.bufferGranted) {
                    BufferSlot b = net.recvPool.take(op);
                    if (b == null) {
                        net.recvPool.await(op); // resubmitted by bufferAvailable
                        return;
                    }
                    op.buffer = b;
                    net.recvPool.assign(b, h);
                    sqe = ring.nextSqe();
                    sqes = ring.sqes();
                    Sqe.prepRecv(sqes, sqe, fd, b.memory, 0, b.capacity(), 0, ud);
                    op.ringPollFirst = false;
                } else {
                    // Without a buffer ring the receive names its buffer up front, and would hold it in the kernel
                    // for as long as the peer sends nothing: an idle connection must hold no buffer, so it waits for
                    // data with a POLL_ADD of its own, and takes a buffer once the socket is readable.
                    sqe = ring.nextSqe();
                    sqes = ring.sqes();
                    Sqe.prepPollAdd(sqes, sqe, fd, Poll.POLLIN, 0, ud);
                    op.ringPolling = true;
                    op.ringPollFirst = true;
                }
            }
            case Op.RECVFROM -> {
                BufferPool from = net.bufferPoolOf(op);
                if (net.shareFull(h)) {
                    from.wokenEnded(op); // (it goes nowhere now)
                    net.pauseForShare(op);
                    return;
                }
                if (op.recvRing && pbuf != null) {
                    // the kernel picks the buffer; multishot writes the sender's address into it (room for an
                    // IPv6 one), single-shot into the operation's scratch
                    boolean multi = udpMultishot && !timed;
                    boolean pollFirst = !op.recvReadable; // as for stream receives: an empty ring fails at once
                    if (multi) writeMsghdr(op, MemorySegment.NULL, DATAGRAM_NAME_ROOM, 0);
                    else writeMsghdr(op, op.scratch, (int) SysSocket.SOCKADDR_STORAGE_SIZE, 0);
                    sqe = ring.nextSqe();
                    sqes = ring.sqes();
                    Sqe.prepRecvMsgSelect(sqes, sqe, fd, op.msghdr, pbuf.groupId(), multi, pollFirst, ud);
                    op.ringMultishot = multi;
                    op.ringPollFirst = pollFirst;
                    op.ringAddSeq = net.recvPool.added();
                } else {
                    BufferSlot b = from.take(op);
                    if (b == null) {
                        from.await(op);
                        return;
                    }
                    op.buffer = b;
                    from.assign(b, h);
                    MemorySegment iov = op.scratch;
                    iov.set(ValueLayout.ADDRESS, Op.SCRATCH_IOVEC + SysUio.OFF_IOV_BASE, b.memory);
                    iov.set(ValueLayout.JAVA_LONG, Op.SCRATCH_IOVEC + SysUio.OFF_IOV_LEN, b.capacity());
                    writeMsghdr(op, b.peer, (int) SysSocket.SOCKADDR_STORAGE_SIZE);
                    sqe = ring.nextSqe();
                    sqes = ring.sqes();
                    Sqe.prepRecvMsg(sqes, sqe, fd, op.msghdr, 0, ud);
                    op.ringPollFirst = false;
                }
            }
            case Op.SEND -> {
                // the head and the sends behind it, gathered: one SEND for one run, else one SENDMSG
                Outbound out = net.outbound;
                int g = out.takeGather();
                MemorySegment msg = out.gatherMemory(g);
                int runs = out.gather(h, msg);
                op.gather = g;
                h.sendCarrier = op;
                sqe = ring.nextSqe();
                sqes = ring.sqes();
                op.position = out.gatherBytes; // what the request asks the kernel to take
                op.ringZc = zeroCopyMin > 0 && out.gatherBytes >= zeroCopyMin && !h.zeroCopyRefused
                        && (runs == 1 ? sendZc : runs > 1 && sendMsgZc);
                if (runs == 0) {
                    fixed = false; // (a NOP names no file)
                    Sqe.prepNop(sqes, sqe, ud); // empty sends only: they complete in their turn
                } else if (op.ringZc) {
                    net.zeroCopyWrites++;
                    Sqe.prepSendZc(sqes, sqe, fd, out.firstMem, out.firstOff, out.firstLen, runs == 1 ? null : msg,
                            SysSocket.MSG_NOSIGNAL, ud);
                    zeroCopyHolds.pin(h, ud); // until its notification, whenever the write itself ends
                } else if (runs == 1) {
                    Sqe.prepSend(sqes, sqe, fd, out.firstMem, out.firstOff, out.firstLen, SysSocket.MSG_NOSIGNAL, ud);
                } else {
                    Sqe.prepSendMsg(sqes, sqe, fd, msg, SysSocket.MSG_NOSIGNAL, ud);
                }
                if (h.sendPollFirst && runs > 0 && !op.ringZc) {
                    h.sendPollFirst = false;
                    if (pbuf != null) Sqe.pollFirst(sqes, sqe); // (a buffer ring means 5.19, POLL_FIRST's kernel)
                }
            }
            case Op.SENDTO -> {
                BufferSlot b = op.buffer;
                h.sendCarrier = op;
                MemorySegment iov = op.scratch;
                iov.set(ValueLayout.ADDRESS, Op.SCRATCH_IOVEC + SysUio.OFF_IOV_BASE, b.memory);
                iov.set(ValueLayout.JAVA_LONG, Op.SCRATCH_IOVEC + SysUio.OFF_IOV_LEN, b.length);
                writeMsghdr(op, op.scratch, op.addrLength);
                sqe = ring.nextSqe();
                sqes = ring.sqes();
                Sqe.prepSendMsg(sqes, sqe, fd, op.msghdr, SysSocket.MSG_NOSIGNAL, ud);
            }
            case Op.READ -> {
                BufferSlot b = op.buffer;
                sqe = ring.nextSqe();
                sqes = ring.sqes();
                Sqe.prepRead(sqes, sqe, fd, b.memory, b.length, b.capacity() - b.length, op.position, ud);
            }
            case Op.WRITE -> {
                BufferSlot b = op.buffer;
                sqe = ring.nextSqe();
                sqes = ring.sqes();
                Sqe.prepWrite(sqes, sqe, fd, b.memory, op.done, b.length - op.done, op.position + op.done, ud);
            }
            case Op.CLOSE -> {
                sqe = ring.nextSqe();
                sqes = ring.sqes();
                Sqe.prepClose(sqes, sqe, fd, ud);
            }
            default -> throw new IllegalStateException("unknown operation " + op);
        }
        if (fixed) Sqe.flags(sqes, sqe, Sqe.flags(sqes, sqe) | IoUring.IOSQE_FIXED_FILE);
        op.ringSqe = sqe;
        op.ringRevoked = false;
        op.ringCqes = 1;
        op.ringResult = 0;
        op.ringTimeoutFired = false;
        if (timed) {
            Sqe.flags(sqes, sqe, Sqe.flags(sqes, sqe) | IoUring.IOSQE_IO_LINK);
            Time.setTimespec(op.timespec, op.timeoutNanos);
            long t = ring.nextSqe();
            Sqe.prepLinkTimeout(ring.sqes(), t, op.timespec, 0, userData(op, OpId.ROLE_LINK_TIMEOUT));
            op.ringCqes = 2;
        }
    }

    /** The operation's msghdr: one iovec (already written), the address buffer and its room. */
    private static void writeMsghdr(Op op, MemorySegment name, int nameLength) {
        writeMsghdr(op, name, nameLength, 1);
    }

    /** As above with {@code iovs} iovecs: 1 (the scratch's), or 0 for a receive into a buffer the kernel picks. */
    private static void writeMsghdr(Op op, MemorySegment name, int nameLength, int iovs) {
        MemorySegment m = op.msghdr;
        m.set(ValueLayout.ADDRESS, SysSocket.OFF_MSG_NAME, name);
        m.set(ValueLayout.JAVA_INT, SysSocket.OFF_MSG_NAMELEN, nameLength);
        m.set(ValueLayout.JAVA_LONG, SysSocket.OFF_MSG_IOV, iovs == 0 ? 0L : op.scratch.address() + Op.SCRATCH_IOVEC);
        m.set(ValueLayout.JAVA_LONG, SysSocket.OFF_MSG_IOVLEN, iovs);
        m.set(ValueLayout.JAVA_LONG, SysSocket.OFF_MSG_CONTROL, 0L);
        m.set(ValueLayout.JAVA_LONG, SysSocket.OFF_MSG_CONTROLLEN, 0L);
        m.set(ValueLayout.JAVA_INT, SysSocket.OFF_MSG_FLAGS, 0);
    }

    // ------------------------------------------------------------------------------------------------------------
    // completion

    @Override
    public void onCompletion(long userData, int res, int flags) {
        if (net.closed) return; // late completions of a closed Net: its pools and slots are gone with it
        if ((flags & IoUring.IORING_CQE_F_NOTIF) != 0) { // a zero-copy write's pages are free: its memory may go back
            if (!zeroCopyHolds.release(userData)) net.staleCompletions++;
            return;
        }
        long payload = UserData.payload(userData);
        int index = OpId.index(payload);
        int role = OpId.role(payload);
        int gen = OpId.generation(payload);
        // A CQE that carries a provided buffer hands it to us whatever became of its operation: account for it first.
        BufferSlot selected = null;
        int bundled = 0; // buffers after the first of a bundle's CQE
        if ((flags & IoUring.IORING_CQE_F_BUFFER) != 0 && incremental) {
            // the bytes are a slice of the buffer; a CQE without bytes leaves the buffer with the kernel
            int bid = flags >>> IoUring.IORING_CQE_BUFFER_SHIFT;
            boolean fits;
            if (pbuf == null) {
                fits = false;
            } else if (res > 0) {
                selected = net.recvPool.sliceFilled(bid, res, (flags & IoUring.IORING_CQE_F_BUF_MORE) != 0);
                fits = selected != null;
            } else {
                fits = net.recvPool.heldByKernel(bid);
            }
            if (!fits) {
                net.staleCompletions++; // not a buffer the kernel holds, or more bytes than it has left: not trusted
                return;
            }
        } else if ((flags & IoUring.IORING_CQE_F_BUFFER) != 0) {
            int bid = flags >>> IoUring.IORING_CQE_BUFFER_SHIFT;
            selected = pbuf == null ? null : net.recvPool.pickedByKernel(bid);
            if (selected == null) {
                net.staleCompletions++; // a buffer id we never gave the kernel: ignore the CQE rather than trust it
                return;
            }
            if (recvBundle && res > selected.capacity() && (bundled = pickBundle(bid, res, selected)) < 0) {
                net.staleCompletions++; // more bytes than the ring's next buffers could hold: not trusted either
                return;
            }
        }
        if (role == OpId.ROLE_CANCEL) return; // its target reports for itself
        Op op = net.opAt(index, gen);
        if (op == null || op.state != Op.ACTIVE || op.ringCqes == 0) {
            net.staleCompletions++;
            if (selected != null) net.recvPool.recycle(selected);
            recycleBundle(bundled);
            return;
        }
        if (op.ringRevoked && role == OpId.ROLE_OP) {
            res = Status.ECANCELED; // the NOP its SQE became: the operation never ran
            flags = 0;
        }
        if (role == OpId.ROLE_LINK_TIMEOUT) {
            if (res == -Errno.ETIME) op.ringTimeoutFired = true;
            if (--op.ringCqes == 0) requestEnded(op);
            return;
        }
        boolean more = (flags & IoUring.IORING_CQE_F_MORE) != 0;
        switch (op.kind) {
            case Op.ACCEPT -> {
                if (res >= 0) net.complete(op, res, null, false);
            }
            case Op.RECV -> {
                if (op.bufferWoken && res != -Errno.ENOBUFS) net.recvPool.wokenEnded(op); // (ENOBUFS: await)
                if (op.ringPolling) { // the POLL_ADD before a receive into a pool buffer
                    op.ringPolling = false;
                    if (res > 0) op.recvReadable = true; // res: the poll mask
                    break;
                }
                BufferSlot b = selected != null ? selected : op.buffer;
                if (selected == null) op.buffer = null;
                else net.recvPool.assign(selected, op.handle); // counts toward the connection's share
                if (res > 0 && b != null) {
                    op.recvReadable = (flags & IoUring.IORING_CQE_F_SOCK_NONEMPTY) != 0;
                    if (bundled == 0) {
                        b.length = res;
                        net.complete(op, res, b, false);
                    } else {
                        deliverBundle(op, b, res, bundled);
                    }
                } else if (b != null) {
                    net.recvPool.recycle(b);
                    recycleBundle(bundled);
                }
            }
            case Op.RECVFROM -> {
                if (op.bufferWoken && res != -Errno.ENOBUFS) net.bufferPoolOf(op).wokenEnded(op); // (ENOBUFS: await)
                recycleBundle(bundled); // (a datagram is never a bundle: takeDatagram refuses a CQE that says so)
                BufferSlot b = op.buffer;
                op.buffer = null;
                if (selected != null) {
                    if (!op.recvRing || b != null) { // a ring buffer for a receive that named its own: not ours to trust
                        net.staleCompletions++;
                        net.recvPool.recycle(selected);
                        if (b != null) b.pool.recycle(b);
                        break;
                    }
                    b = selected;
                    net.recvPool.assign(b, op.handle); // counts toward the socket's share
                }
                if (b == null) break; // (no buffer: ENOBUFS, a cancel, an error)
                int len = res < 0 ? -1 : op.ringMultishot ? takeDatagram(b, res)
                        : takeAddress(op, b, res, selected != null ? op.scratch : b.peer);
                if (len < 0) {
                    if (res >= 0) net.staleCompletions++; // lengths that do not fit the buffer: dropped, never followed
                    b.pool.recycle(b);
                    break;
                }
                op.recvReadable = (flags & IoUring.IORING_CQE_F_SOCK_NONEMPTY) != 0;
                net.complete(op, len, b, false);
                if (more && op.ringMultishot && net.shareFull(op.handle) && !op.cancelRequested && !op.ringShareStop
                        && !op.handle.closed) {
                    // The socket holds its share: stop the request (the kernel would go on filling buffers); its end
                    // pauses the receive until the socket gives buffers back (requestEnded -> submit -> shareFull).
                    op.ringShareStop = true;
                    cancelRequest(op);
                }
            }
            case Op.SEND -> {
                if (op.ringZc) {
                    // The write ends at its result: callbacks, the socket's next write, a cancel or close at once. Its
                    // memory stays pinned until the notification (F_MORE says one follows), so nothing the kernel may
                    // still send is handed out again; without F_MORE none follows, so it goes back now.
                    if (more) more = false;
                    else zeroCopyHolds.release(userData);
                }
            }
            case Op.WRITE -> {
                if (res > 0) op.done += res;
            }
            case Op.READ -> {
                if (res > 0) op.buffer.length += res;
            }
            default -> {
            }
        }
        if (more) return; // a multishot request goes on
        op.ringResult = res;
        if (--op.ringCqes == 0) requestEnded(op);
    }

    /** Room for the sender's address in each multishot datagram buffer: a {@code sockaddr_in6}, UDP's largest. */
    static final int DATAGRAM_NAME_ROOM = (int) NetinetIn.SOCKADDR_IN6_SIZE;

    /**
     * A multishot RECVMSG's buffer {@code b} ({@code res} bytes written): {@code io_uring_recvmsg_out}, the name in
     * {@link #DATAGRAM_NAME_ROOM} bytes, no control data, the payload. Every length is checked against the buffer and
     * {@code res} before use; the address goes to the slot's {@code peer} and the payload is moved to the buffer's
     * start (the Buffer model has no offset; one memmove of the datagram, which for UDP's sizes costs less than a
     * cache miss, and leaves the whole buffer to the user as from any other receive). A datagram longer than the room
     * left is delivered truncated (MSG_TRUNC), as the single-shot path delivers it. Returns the payload length, or -1
     * for a CQE that does not fit (not trusted).
     */
    static int takeDatagram(BufferSlot b, int res) {
        int hdr = (int) IoUring.RECVMSG_OUT_SIZE + DATAGRAM_NAME_ROOM;
        if (res < hdr || res > b.capacity()) return -1;
        MemorySegment m = b.memory;
        int nameLen = m.get(ValueLayout.JAVA_INT, IoUring.OFF_RECVMSG_OUT_NAMELEN);
        int controlLen = m.get(ValueLayout.JAVA_INT, IoUring.OFF_RECVMSG_OUT_CONTROLLEN);
        int payloadLen = m.get(ValueLayout.JAVA_INT, IoUring.OFF_RECVMSG_OUT_PAYLOADLEN);
        int copied = res - hdr;
        // payloadlen is the datagram's length before truncation: never less than what was copied (unsigned: a
        // negative int is above 2 GiB, no datagram); a name longer than its room would have been cut: not trusted
        if (nameLen < 0 || nameLen > DATAGRAM_NAME_ROOM || controlLen != 0 || payloadLen < copied) return -1;
        MemorySegment.copy(m, IoUring.RECVMSG_OUT_SIZE, b.peer, 0, nameLen);
        b.peerLength = nameLen;
        MemorySegment.copy(m, hdr, m, 0, copied); // overlapping: MemorySegment.copy moves as memmove does
        b.length = copied;
        return copied;
    }

    /** A single-shot RECVMSG's {@code res} payload bytes in {@code b}, its sender's address at {@code name}: the length, or -1. */
    private static int takeAddress(Op op, BufferSlot b, int res, MemorySegment name) {
        int nameLen = op.msghdr.get(ValueLayout.JAVA_INT, SysSocket.OFF_MSG_NAMELEN); // the kernel's, written back
        if (res > b.capacity() || nameLen < 0 || nameLen > SysSocket.SOCKADDR_STORAGE_SIZE) return -1;
        if (name != b.peer) MemorySegment.copy(name, 0, b.peer, 0, nameLen);
        b.peerLength = nameLen;
        b.length = res;
        return res;
    }

    /**
     * A bundle's buffers after {@code first} (buffer {@code firstBid}, already taken): the ring entries after its own,
     * every one full but the last ({@code res} bytes in all), taken from the pool into {@link #bundle}. Returns how many,
     * or -1 (all given back) when an entry is not a buffer the kernel held.
     */
    private int pickBundle(int firstBid, int res, BufferSlot first) {
        int size = first.capacity();
        int n = (int) (((long) res + size - 1) / size) - 1;
        for (int k = 0; k < n; k++) {
            int bid = k < bundle.length ? pbuf.bundleBid(firstBid, k + 1) : -1;
            BufferSlot s = bid < 0 ? null : net.recvPool.pickedByKernel(bid);
            if (s == null) {
                net.recvPool.recycle(first);
                recycleBundle(k);
                return -1;
            }
            bundle[k] = s;
        }
        return n;
    }

    private void recycleBundle(int n) {
        for (int k = 0; k < n; k++) {
            net.recvPool.recycle(bundle[k]);
            bundle[k] = null;
        }
    }

    /** A bundle's bytes, one buffer per delivery, in order: {@code first} full, then {@link #bundle}'s {@code n}. */
    private void deliverBundle(Op op, BufferSlot first, int res, int n) {
        int size = first.capacity();
        first.length = size;
        net.complete(op, size, first, false);
        int left = res - size;
        for (int k = 0; k < n; k++) {
            BufferSlot s = bundle[k];
            bundle[k] = null;
            net.recvPool.assign(s, op.handle);
            int len = Math.min(size, left);
            s.length = len;
            left -= len;
            net.complete(op, len, s, false);
        }
    }

    /** Every CQE of the operation's request arrived: end the operation, continue it, or re-arm it. */
    private void requestEnded(Op op) {
        int res = op.ringResult;
        if (res == -Errno.ECANCELED && op.ringTimeoutFired) res = Status.ETIMEDOUT;
        IoHandle h = op.handle;
        switch (op.kind) {
            case Op.ACCEPT -> acceptEnded(op, res);
            case Op.RECV, Op.RECVFROM -> recvEnded(op, res);
            case Op.SEND -> {
                Outbound out = net.outbound;
                out.releaseGather(op.gather);
                op.gather = -1;
                h.sendCarrier = null;
                if (res == -Errno.EOPNOTSUPP && op.ringZc) {
                    h.zeroCopyRefused = true; // (a Unix socket): nothing was written, write it the ordinary way
                    res = 0;
                    op.position = 0;
                } else if (res == -Errno.EAGAIN || res == -Errno.EINTR) {
                    // Nothing was written and the connection is fine: the kernel could not wait for room itself (it
                    // does so for a non-blocking socket whose request it could not poll-arm, seen with a multishot
                    // receive on the same socket). Write again, waiting for room first. (It once broke the output:
                    // every queued send failed with EAGAIN and a graceful close cut the echo short.)
                    h.sendPollFirst = true;
                    res = 0;
                    op.position = 0;
                }
                if (res > 0) out.written(h, res);
                // a write that took nothing of what it asked: the peer is gone
                out.requestEnded(h, res == 0 && op.position > 0 ? Status.EPIPE : res, op.ringTimeoutFired);
                if (h.sendHead != null) net.sendQueueChanged(h);
            }
            case Op.WRITE -> {
                int total = op.buffer.length;
                if (res < 0) {
                    net.complete(op, res, null, true);
                } else if (op.done < total && res > 0 && !op.cancelRequested && !h.closed) {
                    submit(op); // a short write: the rest, at once
                } else if (op.done < total) {
                    net.complete(op, op.cancelRequested || h.closed ? Status.ECANCELED : Status.EPIPE, null, true);
                } else {
                    net.complete(op, op.done, null, true);
                }
            }
            case Op.READ -> {
                BufferSlot b = op.buffer;
                op.buffer = null;
                net.complete(op, res, b, true);
            }
            // connect, sendto, shutdown, close; a close interrupted closed the fd all the same (Linux frees the number
            // before anything can be interrupted), so it succeeded, as the emulation's close(2) says
            default -> net.complete(op, op.kind == Op.CLOSE && res == -Errno.EINTR ? 0 : res, null, true);
        }
    }

    private void acceptEnded(Op op, int res) {
        IoHandle h = op.handle;
        boolean stop = op.cancelRequested || h.closed;
        if (res >= 0 || StreamListener.transientAcceptError(res) || res == -Errno.EAGAIN) { // EAGAIN: nothing to take yet
            if (stop) {
                net.complete(op, Status.ECANCELED, null, true);
            } else {
                if (op.ringMultishot) net.recvRearms++; // the kernel ended a multishot accept: re-arm it
                submit(op);
            }
        } else if (Status.isAcceptPause(res) && !stop) {
            pauseAccepting(h, op, res); // the connection waits in the backlog; re-arming now would fail at once, forever
        } else if (res == -Errno.EINVAL && op.ringMultishot && !stop) {
            multishotAccept = false; // the kernel refused the flag: single-shot from now on
            note(false, "multishot accept", "EINVAL");
            submit(op);
        } else {
            net.complete(op, stop && res >= 0 ? Status.ECANCELED : res, null, true);
        }
    }

    @Override
    void acceptResume(IoHandle h) {
        Op op = h.readOp;
        if (op != null && op.state == Op.ACTIVE && op.ringCqes == 0 && !h.closed) submit(op);
    }

    private void recvEnded(Op op, int res) {
        IoHandle h = op.handle;
        boolean stop = op.cancelRequested || h.closed;
        if (op.ringShareStop) {
            op.ringShareStop = false;
            if (!stop && (res >= 0 || res == -Errno.ECANCELED)) {
                submit(op); // stopped at its share: paused until the socket gives buffers back, or re-armed if it did
                return;
            }
        }
        if (res > 0 || (res == 0 && op.kind == Op.RECVFROM)) {
            if (stop) {
                net.complete(op, Status.ECANCELED, null, true);
            } else {
                if (op.ringMultishot) net.recvRearms++; // the kernel ended a multishot recv (CQ pressure): re-arm
                submit(op);
            }
        } else if (res == -Errno.ENOBUFS && (op.kind == Op.RECV || op.recvRing) && pbuf != null && !stop) {
            if (op.ringPollFirst || op.recvReadable) {
                // The buffer ring ran dry with data waiting: it stays in the socket until a buffer comes back.
                op.recvReadable = true;
                net.recvPool.await(op);
            } else {
                submit(op); // refused before the kernel looked at the socket: wait in the kernel for data first
            }
        } else if ((res == -Errno.EAGAIN || res == -Errno.EINTR) && !stop) {
            op.recvReadable = false; // the kernel did not wait for data itself: receive again, waiting for data first
            submit(op);
        } else if (res == -Errno.EINVAL && op.ringMultishot && !stop) {
            if (op.kind == Op.RECVFROM) udpMultishot = false; // (single-shot from the ring from now on)
            else multishotRecv = false;
            note(false, op.kind == Op.RECVFROM ? "multishot recvmsg" : "multishot recv", "EINVAL");
            submit(op);
        } else {
            net.complete(op, res == 0 ? 0 : stop && res > 0 ? Status.ECANCELED : res, null, true);
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // ending early

    @Override
    void cancel(Op op) {
        if (op.ringCqes == 0) {
            // not in the kernel: paused after EMFILE, waiting for a buffer, for its connection's share, or by the application
            op.sharePaused = false;
            op.userPaused = false;
            if (op.waitingForBuffer) net.bufferPoolOf(op).cancelWait(op);
            if (op.handle.acceptPause != null && op.handle.readOp == op) op.handle.acceptPause.stop();
            net.complete(op, Status.ECANCELED, null, true);
            return;
        }
        cancelRequest(op);
    }

    /** Cancels {@code op}'s request in the kernel: taken back if not submitted yet, else an ASYNC_CANCEL. */
    private void cancelRequest(Op op) {
        long ud = userData(op, OpId.ROLE_OP);
        if (ring.revokeSqe(op.ringSqe, ud)) {
            // Prepared, not submitted: its SQE becomes a NOP (its CQE ends it with ECANCELED), so the fd it names is
            // never looked up. That is what lets close(2) run at once: the kernel resolves a request's fd to a file
            // when it first issues the request (io_issue_sqe -> io_assign_file, inside the io_uring_enter that
            // submits it; before 5.18 already in io_init_req), and from then on holds the file, not the number. A
            // request linked behind another, or flagged IOSQE_ASYNC or IO_DRAIN, would resolve it later, in io-wq or
            // when its predecessor completes; evring never sets those, and links only a LINK_TIMEOUT (no fd) behind
            // an operation. Nor does it use an opcode the kernel always sends to io-wq (IORING_OP_SHUTDOWN is one:
            // REQ_F_FORCE_ASYNC; shutdowns are made with shutdown(2), see submit). So once close() returns, nothing
            // of this handle can reach the file that reuses its number.
            op.ringRevoked = true;
            return;
        }
        long sqe = ring.nextSqe();
        Sqe.prepCancel(ring.sqes(), sqe, ud, 0, userData(op, OpId.ROLE_CANCEL));
    }

    @Override
    void recvPauseChanged(IoHandle h) {
        // pausing: a request in the kernel may still complete (Net keeps its results); resuming: re-arm one held back
        Op op = h.readOp;
        if (!h.recvPaused && op != null && op.userPaused && op.state == Op.ACTIVE && op.ringCqes == 0 && !h.closed) {
            op.userPaused = false;
            submit(op);
        }
    }

    @Override
    void flushSends(IoHandle h) {
        Op head = h.sendHead;
        if (head.kind == Op.SENDTO && udpSendBatch > 1 && head.timeoutNanos == 0 && !sendDatagrams(h)) return;
        head = h.sendHead;
        head.state = Op.ACTIVE;
        submit(head);
    }

    /**
     * The untimed datagrams at the head of {@code h}'s queue, sent now by sendmmsg(2), up to {@link #udpSendBatch} a
     * call, until the queue is empty (false) or its head must go as a request of its own (true): a timed one, the
     * last one alone, or one that would block (the request waits in the kernel for room, the rest behind it). In order, as one SENDMSG each
     * would send them (sendmmsg stops at the first that does not go); a datagram that fails ends with its own errno
     * and the next go on. Without this a socket's datagrams leave one per loop iteration: its queue has one request
     * in the kernel at a time. A system call on the socket's own fd, now: no request of the ring is involved.
     */
    private boolean sendDatagrams(IoHandle h) {
        while (true) {
            int n = 0;
            for (Op o = h.sendHead; o != null && n < udpSendBatch && o.kind == Op.SENDTO && o.timeoutNanos == 0; o = o.next) {
                BufferSlot b = o.buffer;
                MemorySegment iov = o.scratch;
                iov.set(ValueLayout.ADDRESS, Op.SCRATCH_IOVEC + SysUio.OFF_IOV_BASE, b.memory);
                iov.set(ValueLayout.JAVA_LONG, Op.SCRATCH_IOVEC + SysUio.OFF_IOV_LEN, b.length);
                long m = n * SysSocket.MMSGHDR_SIZE;
                mmsg.set(ValueLayout.ADDRESS, m + SysSocket.OFF_MSG_NAME, o.scratch); // (the address, at SCRATCH_ADDR)
                mmsg.set(ValueLayout.JAVA_INT, m + SysSocket.OFF_MSG_NAMELEN, o.addrLength);
                mmsg.set(ValueLayout.JAVA_LONG, m + SysSocket.OFF_MSG_IOV, o.scratch.address() + Op.SCRATCH_IOVEC);
                mmsg.set(ValueLayout.JAVA_LONG, m + SysSocket.OFF_MSG_IOVLEN, 1L);
                mmsg.set(ValueLayout.JAVA_LONG, m + SysSocket.OFF_MSG_CONTROL, 0L);
                mmsg.set(ValueLayout.JAVA_LONG, m + SysSocket.OFF_MSG_CONTROLLEN, 0L);
                mmsg.set(ValueLayout.JAVA_INT, m + SysSocket.OFF_MSG_FLAGS, 0);
                n++;
            }
            if (n < 2) return h.sendHead != null; // one alone rides the loop's enter as a SENDMSG: no system call of its own
            int r = SysSocket.sendmmsg(net.callState, h.fd, mmsg, n, SysSocket.MSG_NOSIGNAL | SysSocket.MSG_DONTWAIT);
            if (r == -Errno.EINTR) continue;
            if (r == -Errno.EAGAIN || r == 0) return true;
            if (r < 0) { // the head's own failure
                Op head = h.sendHead;
                head.state = Op.ACTIVE;
                net.complete(head, r, null, true);
                continue;
            }
            if (r > n) r = n; // (never more than asked)
            for (int i = 0; i < r; i++) {
                Op head = h.sendHead;
                head.state = Op.ACTIVE;
                net.complete(head, mmsg.get(ValueLayout.JAVA_INT, i * SysSocket.MMSGHDR_SIZE + SysSocket.OFF_MMSG_LEN), null, true);
            }
        }
    }

    @Override
    void cancelSends(IoHandle h) {
        Op carrier = h.sendCarrier;
        if (carrier != null && carrier.ringCqes > 0) cancelRequest(carrier);
    }

    @Override
    void ended(IoHandle h) {
        // nothing is watched: the kernel holds the requests
    }

    @Override
    void bufferAvailable(Op op) {
        if (op.state == Op.ACTIVE && op.ringCqes == 0 && !op.handle.closed) submit(op);
        else net.bufferPoolOf(op).wokenEnded(op);
    }

    @Override
    void shareAvailable(Op op) {
        if (op.state == Op.ACTIVE && op.ringCqes == 0 && !op.handle.closed) submit(op);
    }

    /** For tests: the ring's file table for direct descriptors, or null. */
    DirectDescriptors directDescriptors() {
        return direct;
    }

    /**
     * For tests: how many buffers the kernel's view of the buffer ring holds (our tail less its head,
     * IORING_REGISTER_PBUF_STATUS, 6.8), or -1 without a buffer ring or on a kernel that cannot say.
     */
    int kernelRingBuffers() {
        if (pbuf == null) return -1;
        int head = pbuf.kernelHead(ring);
        return head < 0 ? -1 : (pbuf.tail() - head) & 0xFFFF;
    }

    @Override
    void handleClosing(IoHandle h) {
        if (h.acceptPause != null) h.acceptPause.stop();
        if (direct != null) direct.release(h);
    }

    @Override
    void close() {
        if (direct != null) direct.close();
        if (pbuf != null) {
            pbuf.unregister(ring);
            net.recvPool.detachRing();
            pbuf = null;
        }
    }

    /**
     * The backend rebuilt its ring (no CQE will come for what was in flight: some completions were lost) or left
     * io_uring for epoll. Accepts start again, on the new ring or, without one, on the readiness emulation: a lost
     * accept completion loses nothing the listener can still serve. Everything else in flight ends with ECANCELED,
     * receives included: data a lost completion carried is gone, so a stream that went on would silently miss bytes;
     * ending it tells the application the connection cannot be trusted.
     */
    @Override
    public void onRingReset(boolean ringAvailable) {
        if (net.closed) return;
        // the old ring's zero-copy notifications never come, and its pages may still be sent: that memory stays out
        zeroCopyHolds.retireAll();
        // What the old ring may still touch: on the kernels that lose completions (before 5.5) closing a ring waits
        // for its requests (io_ring_ctx_wait_and_kill); since then close kills the ring's refs at once and its task
        // work cancels requests instead of issuing them (io_should_terminate_tw), but a file read or write already
        // running in an io-wq worker finishes. So: socket buffers come back; file buffers are retired for good; and
        // the buffer ring gets fresh memory, the old entries cleared, so that nothing of the old registration can
        // ever name a buffer the new one hands out.
        if (pbuf != null) {
            net.recvPool.detachRing();
            pbuf.clearEntries();
            BufferRing fresh = ringAvailable ? new BufferRing(net.arena, pbuf.entries(), pbuf.groupId()) : null;
            if (fresh != null && fresh.register(ring, pbufFlags) == 0) {
                pbuf = fresh;
                net.recvPool.attachRing(fresh, incremental);
            } else {
                pbuf = null;
                multishotRecv = false;
                note(false, "buffer ring", "ring reset");
            }
        }
        Engine next = ringAvailable ? this : new ReadinessEngine(net);
        net.engine = next;
        // every operation the old ring held, of open handles and of closed ones still waiting for their end
        OpTable ops = net.ops();
        for (int i = 0; i < ops.size(); i++) {
            Op op = ops.get(i);
            if (op.state != Op.ACTIVE || op.ringCqes == 0) continue;
            op.ringCqes = 0;
            BufferSlot b = op.buffer;
            if (b != null && (op.kind == Op.READ || op.kind == Op.WRITE)) {
                op.buffer = null;
                b.pool.retire(b); // an io-wq worker may still be reading or filling it
            } else if (b != null && (op.kind == Op.RECV || op.kind == Op.RECVFROM)) {
                op.buffer = null;
                b.pool.recycle(b); // a per-operation receive buffer the kernel will not fill now
            }
            IoHandle h = op.handle;
            if (op.kind == Op.ACCEPT && !op.cancelRequested && !h.closed) {
                next.submit(op);
            } else if (op.kind == Op.SEND && h.sendCarrier == op) {
                // how much of the write went out died with its completion: nothing behind it can follow in order
                net.outbound.releaseGather(op.gather);
                op.gather = -1;
                h.sendCarrier = null;
                net.outbound.failAll(h, Status.ECANCELED);
            } else {
                net.complete(op, Status.ECANCELED, null, true);
            }
        }
        net.recvPool.serveWaiters(); // the fresh ring's buffers, or the free list, for receives that waited
    }

}
