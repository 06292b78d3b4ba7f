package dev.evring.uring;

import dev.evring.linux.Errno;
import dev.evring.linux.EventFd;
import dev.evring.linux.IoUring;
import dev.evring.linux.Libc;
import dev.evring.linux.Unistd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static dev.evring.linux.IoUring.IORING_REGISTER_SEND_MSG_RING;
import static dev.evring.linux.IoUring.SQE_SIZE;

/**
 * Messages between rings (IORING_OP_MSG_RING, 5.18): the layout of the CQE a message posts in its target ring, and
 * the send from a thread without a ring (IORING_REGISTER_SEND_MSG_RING, 6.13).
 *
 * <p>A message CQE has user_data {@code TAG << 56 | payload} (56 bits of payload, {@link UserData}) and res
 * {@code mark << 8 | handlerTag}: the target ring's 24-bit mark (a number each {@link Ring} of the process gets in turn,
 * so a message meant for a closed ring whose fd number a new ring took is told apart) and the tag of the handler it
 * goes to. The target's owner checks both before handing the payload to {@link CompletionHandler#onMessage}. The
 * kernel posts it without the target doing anything but its normal wait: with DEFER_TASKRUN as completion work for the
 * target ring's task, which its wait runs; otherwise straight into its CQ.
 */
public final class RingMessage {
    private RingMessage() {}

    /** The user_data tag of a message CQE: one of the tags below 16, which belong to the ring's owner. */
    public static final int TAG = 15;
    /** The handler tag of a message for the ring's owner itself (handlers have 16..255): a wakeup. */
    public static final int OWNER = 0;

    private static final int MARK_SHIFT = 8;
    private static final int HANDLER_MASK = 0xFF;
    /** The ring marks: 24 bits, 0 never used. */
    static final int MARK_MASK = 0xFF_FFFF;

    /**
     * The target for handler {@code handlerTag} of the ring whose fd is {@code ringFd} and whose mark is {@code mark}
     * (its {@link Ring#messageMark()}): what that ring's owner hands out, and checks a message's res against.
     */
    public static MessageTarget target(int ringFd, int mark, int handlerTag) {
        return new MessageTarget(ringFd, route(mark, handlerTag));
    }

    /** The res of a message for handler {@code handlerTag} of the ring marked {@code mark} (a target's route). */
    public static int route(int mark, int handlerTag) {
        return mark << MARK_SHIFT | (handlerTag & HANDLER_MASK);
    }

    /** The handler tag of a message CQE's res (a target's route). */
    public static int handlerTag(int res) {
        return res & HANDLER_MASK;
    }

    /** The target's user_data of a message carrying {@code payload}; rejects a payload over 56 bits. */
    public static long userData(long payload) {
        return UserData.pack(TAG, payload);
    }

    /** An SQE's bytes per thread, for {@link #send}: off-heap, freed when the thread is gone. */
    private static final ThreadLocal<MemorySegment> SQE = ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(SQE_SIZE, 8));
    /** IORING_REGISTER_SEND_MSG_RING's probe: 0 until probed, 1 supported, else -errno of the probe. */
    private static volatile int sendProbe;

    /**
     * Posts {@code payload} to {@code target} from any thread, without a ring of its own: one io_uring_register
     * system call that runs the MSG_RING at once (6.13). Returns 0, or -errno (EBADFD: the fd is no ring; EOWNERDEAD:
     * the target's task is gone; EINVAL or EBADF: a kernel without it, see {@link #sendSupported()}). No allocation
     * once the thread has sent once.
     *
     * @throws IllegalArgumentException if {@code payload} does not fit 56 bits
     */
    public static int send(MessageTarget target, long payload) {
        long userData = userData(payload);
        MemorySegment sqe = SQE.get();
        Sqe.clear(sqe, 0);
        Sqe.prepMsgRing(sqe, 0, target.ringFd(), target.route(), userData, 0, 0);
        return IoUring.ioUringRegister(Libc.threadCallState(), -1, IORING_REGISTER_SEND_MSG_RING, sqe, 1);
    }

    /** Whether {@link #send} works on this kernel (IORING_REGISTER_SEND_MSG_RING, 6.13); probed once per process. */
    public static boolean sendSupported() {
        return probeSend() == 1;
    }

    /** Why {@link #send} does not work here, in words that say what was observed; empty when it does. */
    public static String sendUnsupportedReason() {
        int p = probeSend();
        if (p == 1) return "";
        String call = "io_uring_register(-1, IORING_REGISTER_SEND_MSG_RING) failed with " + Errno.name(-p);
        return p == -Errno.EINVAL || p == -Errno.EBADF ? call + ": Linux before 6.13" : call;
    }

    /**
     * Sends a message to an eventfd, which is no ring: 6.13 looks at the target and answers EBADFD, and no message
     * goes anywhere. An older kernel refuses the opcode (EINVAL) or takes fd -1 for a ring fd (EBADF); a seccomp
     * filter answers EPERM.
     */
    private static int probeSend() {
        int p = sendProbe;
        if (p != 0) return p;
        MemorySegment cs = Libc.threadCallState();
        int efd = EventFd.eventfd(cs, 0, EventFd.EFD_CLOEXEC);
        if (efd < 0) return efd; // not remembered: out of fds now says nothing of the kernel
        try {
            MemorySegment sqe = SQE.get();
            Sqe.clear(sqe, 0);
            Sqe.prepMsgRing(sqe, 0, efd, 0, 0, 0, 0);
            int r = IoUring.ioUringRegister(cs, -1, IORING_REGISTER_SEND_MSG_RING, sqe, 1);
            p = r == -Errno.EBADFD ? 1 : r < 0 ? r : -Errno.EINVAL;
        } finally {
            Unistd.close(cs, efd);
        }
        sendProbe = p;
        return p;
    }
}
