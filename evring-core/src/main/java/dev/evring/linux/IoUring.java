package dev.evring.linux;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;

import static dev.evring.linux.ValueLayouts.C_INT;
import static dev.evring.linux.ValueLayouts.C_LONG;
import static dev.evring.linux.ValueLayouts.C_POINTER;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * {@code <linux/io_uring.h>}: the io_uring system calls, their flags, opcodes and structs, with the kernel's names.
 *
 * <p>Struct layouts declare the fields of the oldest header we build against (Linux 6.1's uapi header, as Debian 12
 * ships it), so that the ABI test compiles everywhere; where a newer kernel renamed a reserved field (the
 * {@code pad} of {@code io_uring_getevents_arg} became {@code min_wait_usec} in 6.12, the {@code pad} of
 * {@code io_uring_buf_reg} became {@code flags}), the offset constant carries the new name and the comment says so.
 * Constants newer than that header are declared with the kernel version that added them.
 *
 * <p>glibc has no wrappers for the three system calls: io_uring_enter and io_uring_register go through
 * {@link Libc#systemCall} (the raw stub, else {@code syscall(2)}), io_uring_setup through {@code syscall(2)}. Each
 * returns the kernel's result or {@code -errno}.
 */
public final class IoUring {
    private IoUring() {}

    public static final String HEADER = "linux/io_uring.h";

    // ---------------------------------------------------------------------------------------------------------------
    // io_uring_setup(2) flags (io_uring_params.flags)

    public static final int IORING_SETUP_IOPOLL = 1 << 0;
    public static final int IORING_SETUP_SQPOLL = 1 << 1;
    public static final int IORING_SETUP_SQ_AFF = 1 << 2;
    /** The CQ size is given in {@code cq_entries} (5.5). */
    public static final int IORING_SETUP_CQSIZE = 1 << 3;
    /** Sizes above the kernel's maxima are clamped instead of failing with EINVAL (5.6). */
    public static final int IORING_SETUP_CLAMP = 1 << 4;
    public static final int IORING_SETUP_ATTACH_WQ = 1 << 5;
    /** The ring starts disabled; {@link #IORING_REGISTER_ENABLE_RINGS} enables it (5.10). */
    public static final int IORING_SETUP_R_DISABLED = 1 << 6;
    /** A failing SQE does not stop the submission of the rest of the batch (5.18). */
    public static final int IORING_SETUP_SUBMIT_ALL = 1 << 7;
    /** Completion work waits for the task's next kernel entry instead of interrupting it with an IPI (5.19). */
    public static final int IORING_SETUP_COOP_TASKRUN = 1 << 8;
    /** Sets {@link #IORING_SQ_TASKRUN} while completion work is pending (5.19). */
    public static final int IORING_SETUP_TASKRUN_FLAG = 1 << 9;
    public static final int IORING_SETUP_SQE128 = 1 << 10;
    public static final int IORING_SETUP_CQE32 = 1 << 11;
    /** Only the creating task submits; the kernel drops its locking (6.0). */
    public static final int IORING_SETUP_SINGLE_ISSUER = 1 << 12;
    /** Completion work runs only inside {@code io_uring_enter(GETEVENTS)} of the issuer (6.1; needs SINGLE_ISSUER). */
    public static final int IORING_SETUP_DEFER_TASKRUN = 1 << 13;
    /** The application provides the ring memory (6.5). */
    public static final int IORING_SETUP_NO_MMAP = 1 << 14;
    public static final int IORING_SETUP_REGISTERED_FD_ONLY = 1 << 15;
    /** No SQ index array: the SQE at {@code tail & mask} is the next one (6.6). */
    public static final int IORING_SETUP_NO_SQARRAY = 1 << 16;

    // ---------------------------------------------------------------------------------------------------------------
    /** {@code struct io_uring_buf_status}: the argument of {@link #IORING_REGISTER_PBUF_STATUS} (6.8). */
    public static final StructLayout IO_URING_BUF_STATUS = MemoryLayout.structLayout(
            JAVA_INT.withName("buf_group"),
            JAVA_INT.withName("head"),
            MemoryLayout.sequenceLayout(8, JAVA_INT).withName("resv")
    ).withName("struct io_uring_buf_status");

    /**
     * {@code struct io_uring_recvmsg_out} (6.0): what a multishot IORING_OP_RECVMSG writes at the start of each
     * buffer it picks, followed by the name ({@code msg_namelen} bytes of the request's msghdr, whatever the sender's
     * address takes), the control data ({@code msg_controllen} bytes), then the payload. {@code namelen} and
     * {@code payloadlen} are the lengths before truncation; {@code flags} the recvmsg flags (MSG_TRUNC, MSG_CTRUNC).
     */
    public static final StructLayout IO_URING_RECVMSG_OUT = MemoryLayout.structLayout(
            JAVA_INT.withName("namelen"),
            JAVA_INT.withName("controllen"),
            JAVA_INT.withName("payloadlen"),
            JAVA_INT.withName("flags")
    ).withName("struct io_uring_recvmsg_out");
    public static final long RECVMSG_OUT_SIZE = IO_URING_RECVMSG_OUT.byteSize();
    public static final long OFF_RECVMSG_OUT_NAMELEN = IO_URING_RECVMSG_OUT.byteOffset(groupElement("namelen"));
    public static final long OFF_RECVMSG_OUT_CONTROLLEN = IO_URING_RECVMSG_OUT.byteOffset(groupElement("controllen"));
    public static final long OFF_RECVMSG_OUT_PAYLOADLEN = IO_URING_RECVMSG_OUT.byteOffset(groupElement("payloadlen"));
    public static final long OFF_RECVMSG_OUT_FLAGS = IO_URING_RECVMSG_OUT.byteOffset(groupElement("flags"));

    // io_uring_params.features

    /** SQ and CQ rings share one mmap (5.4). */
    public static final int IORING_FEAT_SINGLE_MMAP = 1 << 0;
    /** CQEs are never dropped: overflow is kept by the kernel and flushed later (5.5). */
    public static final int IORING_FEAT_NODROP = 1 << 1;
    public static final int IORING_FEAT_SUBMIT_STABLE = 1 << 2;
    public static final int IORING_FEAT_RW_CUR_POS = 1 << 3;
    public static final int IORING_FEAT_CUR_PERSONALITY = 1 << 4;
    /** Reads and writes that would block are retried through internal poll, not a worker thread (5.7). */
    public static final int IORING_FEAT_FAST_POLL = 1 << 5;
    public static final int IORING_FEAT_POLL_32BITS = 1 << 6;
    public static final int IORING_FEAT_SQPOLL_NONFIXED = 1 << 7;
    /** {@link #IORING_ENTER_EXT_ARG}: a timeout for the wait (5.11). */
    public static final int IORING_FEAT_EXT_ARG = 1 << 8;
    public static final int IORING_FEAT_NATIVE_WORKERS = 1 << 9;
    /** Resource tags (5.13, the release that also brought multishot poll and POLL_UPDATE). */
    public static final int IORING_FEAT_RSRC_TAGS = 1 << 10;
    /** {@link #IOSQE_CQE_SKIP_SUCCESS} (5.17). */
    public static final int IORING_FEAT_CQE_SKIP = 1 << 11;
    public static final int IORING_FEAT_LINKED_FILE = 1 << 12;
    /** Registered ring fds can be used with io_uring_register (6.3). */
    public static final int IORING_FEAT_REG_REG_RING = 1 << 13;
    public static final int IORING_FEAT_RECVSEND_BUNDLE = 1 << 14;
    public static final int IORING_FEAT_MIN_TIMEOUT = 1 << 15;
    public static final int IORING_FEAT_RW_ATTR = 1 << 16;
    /** {@link #IORING_ENTER_NO_IOWAIT} is understood (6.15). */
    public static final int IORING_FEAT_NO_IOWAIT = 1 << 17;

    // ---------------------------------------------------------------------------------------------------------------
    // io_uring_enter(2) flags

    public static final int IORING_ENTER_GETEVENTS = 1 << 0;
    public static final int IORING_ENTER_SQ_WAKEUP = 1 << 1;
    public static final int IORING_ENTER_SQ_WAIT = 1 << 2;
    /** The last two arguments are an {@link #IO_URING_GETEVENTS_ARG} and its size (5.11). */
    public static final int IORING_ENTER_EXT_ARG = 1 << 3;
    /** The fd argument is an index into the registered ring fds (5.18). */
    public static final int IORING_ENTER_REGISTERED_RING = 1 << 4;
    /** The EXT_ARG timespec is an absolute time (6.12). */
    public static final int IORING_ENTER_ABS_TIMER = 1 << 5;
    /** The EXT_ARG argument is an offset into a registered wait region (6.13). */
    public static final int IORING_ENTER_EXT_ARG_REG = 1 << 6;
    /**
     * A task sleeping in this enter is not marked as in iowait, even with requests in flight (6.15, with
     * {@link #IORING_FEAT_NO_IOWAIT}; earlier kernels reject the flag with EINVAL). Without it the kernel sets
     * {@code current->in_iowait} whenever the waiting task has any request in flight (io_uring.c,
     * {@code current_pending_io()}), so an idle server with receives armed shows as 100 % iowait.
     */
    public static final int IORING_ENTER_NO_IOWAIT = 1 << 7;

    // ---------------------------------------------------------------------------------------------------------------
    // sq_ring->flags and cq_ring->flags

    public static final int IORING_SQ_NEED_WAKEUP = 1 << 0;
    /** The kernel holds CQEs that did not fit the CQ ring (NODROP): enter with GETEVENTS to flush them. */
    public static final int IORING_SQ_CQ_OVERFLOW = 1 << 1;
    /** Completion work is pending (with TASKRUN_FLAG): enter with GETEVENTS to run it. */
    public static final int IORING_SQ_TASKRUN = 1 << 2;
    public static final int IORING_CQ_EVENTFD_DISABLED = 1 << 0;

    // ---------------------------------------------------------------------------------------------------------------
    // mmap offsets

    public static final long IORING_OFF_SQ_RING = 0L;
    public static final long IORING_OFF_CQ_RING = 0x8000000L;
    public static final long IORING_OFF_SQES = 0x10000000L;

    // ---------------------------------------------------------------------------------------------------------------
    // opcodes (enum io_uring_op)

    public static final int IORING_OP_NOP = 0;
    public static final int IORING_OP_READV = 1;
    public static final int IORING_OP_WRITEV = 2;
    public static final int IORING_OP_FSYNC = 3;
    public static final int IORING_OP_READ_FIXED = 4;
    public static final int IORING_OP_WRITE_FIXED = 5;
    public static final int IORING_OP_POLL_ADD = 6;
    /** Also POLL_UPDATE, with {@link #IORING_POLL_UPDATE_EVENTS} / {@link #IORING_POLL_UPDATE_USER_DATA} in len. */
    public static final int IORING_OP_POLL_REMOVE = 7;
    public static final int IORING_OP_SYNC_FILE_RANGE = 8;
    public static final int IORING_OP_SENDMSG = 9;
    public static final int IORING_OP_RECVMSG = 10;
    public static final int IORING_OP_TIMEOUT = 11;
    public static final int IORING_OP_TIMEOUT_REMOVE = 12;
    public static final int IORING_OP_ACCEPT = 13;
    public static final int IORING_OP_ASYNC_CANCEL = 14;
    public static final int IORING_OP_LINK_TIMEOUT = 15;
    public static final int IORING_OP_CONNECT = 16;
    public static final int IORING_OP_FALLOCATE = 17;
    public static final int IORING_OP_OPENAT = 18;
    public static final int IORING_OP_CLOSE = 19;
    public static final int IORING_OP_FILES_UPDATE = 20;
    public static final int IORING_OP_STATX = 21;
    public static final int IORING_OP_READ = 22;
    public static final int IORING_OP_WRITE = 23;
    public static final int IORING_OP_FADVISE = 24;
    public static final int IORING_OP_MADVISE = 25;
    public static final int IORING_OP_SEND = 26;
    public static final int IORING_OP_RECV = 27;
    public static final int IORING_OP_OPENAT2 = 28;
    public static final int IORING_OP_EPOLL_CTL = 29;
    public static final int IORING_OP_SPLICE = 30;
    public static final int IORING_OP_PROVIDE_BUFFERS = 31;
    public static final int IORING_OP_REMOVE_BUFFERS = 32;
    public static final int IORING_OP_TEE = 33;
    public static final int IORING_OP_SHUTDOWN = 34;
    public static final int IORING_OP_RENAMEAT = 35;
    public static final int IORING_OP_UNLINKAT = 36;
    public static final int IORING_OP_MKDIRAT = 37;
    public static final int IORING_OP_SYMLINKAT = 38;
    public static final int IORING_OP_LINKAT = 39;
    /** A CQE posted to another ring (5.18). */
    public static final int IORING_OP_MSG_RING = 40;
    public static final int IORING_OP_FSETXATTR = 41;
    public static final int IORING_OP_SETXATTR = 42;
    public static final int IORING_OP_FGETXATTR = 43;
    public static final int IORING_OP_GETXATTR = 44;
    public static final int IORING_OP_SOCKET = 45;
    public static final int IORING_OP_URING_CMD = 46;
    public static final int IORING_OP_SEND_ZC = 47;
    public static final int IORING_OP_SENDMSG_ZC = 48;
    /** 6.7. */
    public static final int IORING_OP_READ_MULTISHOT = 49;
    /** 6.7. */
    public static final int IORING_OP_WAITID = 50;
    /** 6.7. */
    public static final int IORING_OP_FUTEX_WAIT = 51;
    public static final int IORING_OP_FUTEX_WAKE = 52;
    public static final int IORING_OP_FUTEX_WAITV = 53;
    /** 6.8. */
    public static final int IORING_OP_FIXED_FD_INSTALL = 54;
    /** 6.9. */
    public static final int IORING_OP_FTRUNCATE = 55;
    /** 6.11. */
    public static final int IORING_OP_BIND = 56;
    /** 6.11. */
    public static final int IORING_OP_LISTEN = 57;

    // ---------------------------------------------------------------------------------------------------------------
    // sqe->flags (IOSQE_*)

    public static final int IOSQE_FIXED_FILE = 1 << 0;
    public static final int IOSQE_IO_DRAIN = 1 << 1;
    public static final int IOSQE_IO_LINK = 1 << 2;
    public static final int IOSQE_IO_HARDLINK = 1 << 3;
    /** Always punt to a worker thread. evring never sets it (it turns cheap inline completions into thread hops). */
    public static final int IOSQE_ASYNC = 1 << 4;
    public static final int IOSQE_BUFFER_SELECT = 1 << 5;
    /** No CQE when the request succeeds (5.17, {@link #IORING_FEAT_CQE_SKIP}). */
    public static final int IOSQE_CQE_SKIP_SUCCESS = 1 << 6;

    // ---------------------------------------------------------------------------------------------------------------
    // POLL_ADD / POLL_REMOVE command flags, in sqe->len

    /** Multishot poll: every CQE carries {@link #IORING_CQE_F_MORE} while the poll stays armed (5.13). */
    public static final int IORING_POLL_ADD_MULTI = 1 << 0;
    public static final int IORING_POLL_UPDATE_EVENTS = 1 << 1;
    public static final int IORING_POLL_UPDATE_USER_DATA = 1 << 2;
    /** Level-triggered poll: internal to the kernel; POLL_ADD rejects it with EINVAL. */
    public static final int IORING_POLL_ADD_LEVEL = 1 << 3;

    // ---------------------------------------------------------------------------------------------------------------
    // sqe->timeout_flags

    public static final int IORING_TIMEOUT_ABS = 1 << 0;
    public static final int IORING_TIMEOUT_UPDATE = 1 << 1;
    public static final int IORING_TIMEOUT_BOOTTIME = 1 << 2;
    public static final int IORING_TIMEOUT_REALTIME = 1 << 3;
    public static final int IORING_LINK_TIMEOUT_UPDATE = 1 << 4;
    public static final int IORING_TIMEOUT_ETIME_SUCCESS = 1 << 5;
    /** 6.4. */
    public static final int IORING_TIMEOUT_MULTISHOT = 1 << 6;

    // ---------------------------------------------------------------------------------------------------------------
    // sqe->cancel_flags

    public static final int IORING_ASYNC_CANCEL_ALL = 1 << 0;
    public static final int IORING_ASYNC_CANCEL_FD = 1 << 1;
    public static final int IORING_ASYNC_CANCEL_ANY = 1 << 2;
    public static final int IORING_ASYNC_CANCEL_FD_FIXED = 1 << 3;
    public static final int IORING_ASYNC_CANCEL_USERDATA = 1 << 4;
    public static final int IORING_ASYNC_CANCEL_OP = 1 << 5;

    // ---------------------------------------------------------------------------------------------------------------
    // send/recv flags (sqe->ioprio) and accept flags (sqe->ioprio)

    public static final int IORING_RECVSEND_POLL_FIRST = 1 << 0;
    /** Multishot recv, with buffer select (6.0). */
    public static final int IORING_RECV_MULTISHOT = 1 << 1;
    public static final int IORING_RECVSEND_FIXED_BUF = 1 << 2;
    public static final int IORING_SEND_ZC_REPORT_USAGE = 1 << 3;
    /** 6.10, {@link #IORING_FEAT_RECVSEND_BUNDLE}. */
    public static final int IORING_RECVSEND_BUNDLE = 1 << 4;
    /** Multishot accept (5.19). */
    public static final int IORING_ACCEPT_MULTISHOT = 1 << 0;
    /** 6.10. */
    public static final int IORING_ACCEPT_DONTWAIT = 1 << 1;
    /** 6.10. */
    public static final int IORING_ACCEPT_POLL_FIRST = 1 << 2;

    // ---------------------------------------------------------------------------------------------------------------
    // IORING_OP_MSG_RING commands (sqe->addr) and flags (sqe->msg_ring_flags)

    /** Post a CQE to the target ring: res = sqe->len, user_data = sqe->off. */
    public static final int IORING_MSG_DATA = 0;
    public static final int IORING_MSG_SEND_FD = 1;
    public static final int IORING_MSG_RING_CQE_SKIP = 1 << 0;
    /** Pass sqe->file_index as the target CQE's flags (6.3). */
    public static final int IORING_MSG_RING_FLAGS_PASS = 1 << 1;

    // ---------------------------------------------------------------------------------------------------------------
    // cqe->flags

    /** The upper 16 bits of the flags are the id of the provided buffer used. */
    public static final int IORING_CQE_F_BUFFER = 1 << 0;
    /** The request stays armed and will post more CQEs (multishot). */
    public static final int IORING_CQE_F_MORE = 1 << 1;
    public static final int IORING_CQE_F_SOCK_NONEMPTY = 1 << 2;
    /** A zero-copy send's notification CQE. */
    public static final int IORING_CQE_F_NOTIF = 1 << 3;
    /** 6.12: the buffer is only partly consumed (incremental buffer rings). */
    public static final int IORING_CQE_F_BUF_MORE = 1 << 4;
    public static final int IORING_CQE_BUFFER_SHIFT = 16;

    // ---------------------------------------------------------------------------------------------------------------
    // io_uring_register(2) opcodes

    public static final int IORING_REGISTER_BUFFERS = 0;
    public static final int IORING_UNREGISTER_BUFFERS = 1;
    public static final int IORING_REGISTER_FILES = 2;
    public static final int IORING_UNREGISTER_FILES = 3;
    public static final int IORING_REGISTER_EVENTFD = 4;
    public static final int IORING_UNREGISTER_EVENTFD = 5;
    public static final int IORING_REGISTER_FILES_UPDATE = 6;
    public static final int IORING_REGISTER_EVENTFD_ASYNC = 7;
    public static final int IORING_REGISTER_PROBE = 8;
    public static final int IORING_REGISTER_PERSONALITY = 9;
    public static final int IORING_UNREGISTER_PERSONALITY = 10;
    public static final int IORING_REGISTER_RESTRICTIONS = 11;
    public static final int IORING_REGISTER_ENABLE_RINGS = 12;
    public static final int IORING_REGISTER_FILES2 = 13;
    public static final int IORING_REGISTER_FILES_UPDATE2 = 14;
    public static final int IORING_REGISTER_BUFFERS2 = 15;
    public static final int IORING_REGISTER_BUFFERS_UPDATE = 16;
    public static final int IORING_REGISTER_IOWQ_AFF = 17;
    public static final int IORING_UNREGISTER_IOWQ_AFF = 18;
    /**
     * Bounds the io-wq workers of the calling task (and of every task using the ring): arg is {@code __u32[2]},
     * {@link #IO_WQ_BOUND} and {@link #IO_WQ_UNBOUND} (0 leaves one as it is); the previous limits are written back
     * (5.15).
     */
    public static final int IORING_REGISTER_IOWQ_MAX_WORKERS = 19;
    /** Register the ring's own fd, so enter skips the fd table lookup (5.18). */
    public static final int IORING_REGISTER_RING_FDS = 20;
    public static final int IORING_UNREGISTER_RING_FDS = 21;
    /** A provided buffer ring (5.19). */
    public static final int IORING_REGISTER_PBUF_RING = 22;
    public static final int IORING_UNREGISTER_PBUF_RING = 23;
    public static final int IORING_REGISTER_SYNC_CANCEL = 24;
    public static final int IORING_REGISTER_FILE_ALLOC_RANGE = 25;
    public static final int IORING_REGISTER_PBUF_STATUS = 26;
    /**
     * MSG_RING from a task without a ring (6.13): io_uring_register(-1, this, sqe, 1) runs one IORING_OP_MSG_RING SQE
     * of IORING_MSG_DATA synchronously (no sqe->flags allowed); the result is the op's (0 or -errno).
     */
    public static final int IORING_REGISTER_SEND_MSG_RING = 31;
    /** 6.13, DEFER_TASKRUN rings only. */
    public static final int IORING_REGISTER_RESIZE_RINGS = 33;

    /** io-wq worker classes, the indices of IORING_REGISTER_IOWQ_MAX_WORKERS's array. Bounded: regular files and block devices. */
    public static final int IO_WQ_BOUND = 0;
    /** Unbounded: work that may block for ever (sockets, pipes, any other file). */
    public static final int IO_WQ_UNBOUND = 1;

    /** io_uring_probe_op.flags: the opcode is supported. */
    public static final int IO_URING_OP_SUPPORTED = 1 << 0;

    /** io_uring_buf_reg.flags (named {@code pad} in headers before 6.7): the buffer ring memory is mapped by the kernel. */
    public static final int IOU_PBUF_RING_MMAP = 1;
    /** io_uring_buf_reg.flags: buffers are consumed incrementally (6.12). */
    public static final int IOU_PBUF_RING_INC = 2;

    /** The kernel's maximum SQ size; the CQ may be twice as large. */
    public static final int IORING_MAX_ENTRIES = 32768;
    public static final int IORING_MAX_CQ_ENTRIES = 2 * IORING_MAX_ENTRIES;

    // ---------------------------------------------------------------------------------------------------------------
    // structs

    /** {@code struct io_sqring_offsets}: where the SQ ring's fields are, in the SQ ring mapping. */
    public static final StructLayout IO_SQRING_OFFSETS = MemoryLayout.structLayout(
            JAVA_INT.withName("head"),
            JAVA_INT.withName("tail"),
            JAVA_INT.withName("ring_mask"),
            JAVA_INT.withName("ring_entries"),
            JAVA_INT.withName("flags"),
            JAVA_INT.withName("dropped"),
            JAVA_INT.withName("array"),
            JAVA_INT.withName("resv1"),
            JAVA_LONG.withName("resv2") // user_addr since 6.5 (IORING_SETUP_NO_MMAP)
    ).withName("struct io_sqring_offsets");

    /** {@code struct io_cqring_offsets}: where the CQ ring's fields are, in the CQ ring mapping. */
    public static final StructLayout IO_CQRING_OFFSETS = MemoryLayout.structLayout(
            JAVA_INT.withName("head"),
            JAVA_INT.withName("tail"),
            JAVA_INT.withName("ring_mask"),
            JAVA_INT.withName("ring_entries"),
            JAVA_INT.withName("overflow"),
            JAVA_INT.withName("cqes"),
            JAVA_INT.withName("flags"),
            JAVA_INT.withName("resv1"),
            JAVA_LONG.withName("resv2") // user_addr since 6.5
    ).withName("struct io_cqring_offsets");

    /** {@code struct io_uring_params}: passed to io_uring_setup, filled in by the kernel. */
    public static final StructLayout IO_URING_PARAMS = MemoryLayout.structLayout(
            JAVA_INT.withName("sq_entries"),
            JAVA_INT.withName("cq_entries"),
            JAVA_INT.withName("flags"),
            JAVA_INT.withName("sq_thread_cpu"),
            JAVA_INT.withName("sq_thread_idle"),
            JAVA_INT.withName("features"),
            JAVA_INT.withName("wq_fd"),
            MemoryLayout.sequenceLayout(3, JAVA_INT).withName("resv"),
            IO_SQRING_OFFSETS.withName("sq_off"),
            IO_CQRING_OFFSETS.withName("cq_off")
    ).withName("struct io_uring_params");

    /**
     * {@code struct io_uring_sqe}, 64 bytes. The anonymous unions are unnamed union layouts whose members carry the C
     * names, so the ABI test checks each member as a member of the SQE.
     */
    public static final StructLayout IO_URING_SQE = MemoryLayout.structLayout(
            JAVA_BYTE.withName("opcode"),
            JAVA_BYTE.withName("flags"),
            JAVA_SHORT.withName("ioprio"),
            JAVA_INT.withName("fd"),
            MemoryLayout.unionLayout(
                    JAVA_LONG.withName("off"),
                    JAVA_LONG.withName("addr2"),
                    MemoryLayout.structLayout(
                            JAVA_INT.withName("cmd_op"),
                            JAVA_INT.withName("__pad1"))),
            MemoryLayout.unionLayout(
                    JAVA_LONG.withName("addr"),
                    JAVA_LONG.withName("splice_off_in")),
            JAVA_INT.withName("len"),
            MemoryLayout.unionLayout(
                    JAVA_INT.withName("rw_flags"),
                    JAVA_INT.withName("fsync_flags"),
                    JAVA_SHORT.withName("poll_events"),
                    JAVA_INT.withName("poll32_events"),
                    JAVA_INT.withName("sync_range_flags"),
                    JAVA_INT.withName("msg_flags"),
                    JAVA_INT.withName("timeout_flags"),
                    JAVA_INT.withName("accept_flags"),
                    JAVA_INT.withName("cancel_flags"),
                    JAVA_INT.withName("open_flags"),
                    JAVA_INT.withName("statx_flags"),
                    JAVA_INT.withName("fadvise_advice"),
                    JAVA_INT.withName("splice_flags"),
                    JAVA_INT.withName("rename_flags"),
                    JAVA_INT.withName("unlink_flags"),
                    JAVA_INT.withName("hardlink_flags"),
                    JAVA_INT.withName("xattr_flags"),
                    JAVA_INT.withName("msg_ring_flags"),
                    JAVA_INT.withName("uring_cmd_flags")),
            JAVA_LONG.withName("user_data"),
            MemoryLayout.unionLayout(
                    JAVA_SHORT.withName("buf_index"),
                    JAVA_SHORT.withName("buf_group")),
            JAVA_SHORT.withName("personality"),
            MemoryLayout.unionLayout(
                    JAVA_INT.withName("splice_fd_in"),
                    JAVA_INT.withName("file_index"),
                    MemoryLayout.structLayout(
                            JAVA_SHORT.withName("addr_len"),
                            MemoryLayout.sequenceLayout(1, JAVA_SHORT).withName("__pad3"))),
            MemoryLayout.unionLayout(
                    MemoryLayout.structLayout(
                            JAVA_LONG.withName("addr3"),
                            MemoryLayout.sequenceLayout(1, JAVA_LONG).withName("__pad2")),
                    MemoryLayout.sequenceLayout(0, JAVA_BYTE).withName("cmd"))
    ).withName("struct io_uring_sqe");

    /** {@code struct io_uring_cqe}, 16 bytes (rings set up without IORING_SETUP_CQE32). */
    public static final StructLayout IO_URING_CQE = MemoryLayout.structLayout(
            JAVA_LONG.withName("user_data"),
            JAVA_INT.withName("res"),
            JAVA_INT.withName("flags")
    ).withName("struct io_uring_cqe");

    /** {@code struct io_uring_getevents_arg}: the argument of {@link #IORING_ENTER_EXT_ARG}. */
    public static final StructLayout IO_URING_GETEVENTS_ARG = MemoryLayout.structLayout(
            JAVA_LONG.withName("sigmask"),
            JAVA_INT.withName("sigmask_sz"),
            JAVA_INT.withName("pad"), // min_wait_usec since 6.12
            JAVA_LONG.withName("ts")
    ).withName("struct io_uring_getevents_arg");

    /** {@code struct io_uring_probe_op}. */
    public static final StructLayout IO_URING_PROBE_OP = MemoryLayout.structLayout(
            JAVA_BYTE.withName("op"),
            JAVA_BYTE.withName("resv"),
            JAVA_SHORT.withName("flags"),
            JAVA_INT.withName("resv2")
    ).withName("struct io_uring_probe_op");

    /** {@code struct io_uring_probe}, without its flexible {@code ops[]} array (which follows it). */
    public static final StructLayout IO_URING_PROBE = MemoryLayout.structLayout(
            JAVA_BYTE.withName("last_op"),
            JAVA_BYTE.withName("ops_len"),
            JAVA_SHORT.withName("resv"),
            MemoryLayout.sequenceLayout(3, JAVA_INT).withName("resv2"),
            MemoryLayout.sequenceLayout(0, IO_URING_PROBE_OP).withName("ops")
    ).withName("struct io_uring_probe");

    /** {@code struct io_uring_rsrc_update}: one entry of IORING_REGISTER_RING_FDS (and FILES_UPDATE). */
    public static final StructLayout IO_URING_RSRC_UPDATE = MemoryLayout.structLayout(
            JAVA_INT.withName("offset"),
            JAVA_INT.withName("resv"),
            JAVA_LONG.withName("data")
    ).withName("struct io_uring_rsrc_update");

    /** {@code struct io_uring_buf}: one entry of a provided buffer ring. */
    public static final StructLayout IO_URING_BUF = MemoryLayout.structLayout(
            JAVA_LONG.withName("addr"),
            JAVA_INT.withName("len"),
            JAVA_SHORT.withName("bid"),
            JAVA_SHORT.withName("resv")
    ).withName("struct io_uring_buf");

    /** {@code struct io_uring_buf_reg}: the argument of {@link #IORING_REGISTER_PBUF_RING}. */
    public static final StructLayout IO_URING_BUF_REG = MemoryLayout.structLayout(
            JAVA_LONG.withName("ring_addr"),
            JAVA_INT.withName("ring_entries"),
            JAVA_SHORT.withName("bgid"),
            JAVA_SHORT.withName("pad"), // flags since 6.7
            MemoryLayout.sequenceLayout(3, JAVA_LONG).withName("resv")
    ).withName("struct io_uring_buf_reg");

    // io_uring_params
    public static final long PARAMS_SIZE = IO_URING_PARAMS.byteSize();
    public static final long OFF_PARAMS_SQ_ENTRIES = IO_URING_PARAMS.byteOffset(groupElement("sq_entries"));
    public static final long OFF_PARAMS_CQ_ENTRIES = IO_URING_PARAMS.byteOffset(groupElement("cq_entries"));
    public static final long OFF_PARAMS_FLAGS = IO_URING_PARAMS.byteOffset(groupElement("flags"));
    public static final long OFF_PARAMS_FEATURES = IO_URING_PARAMS.byteOffset(groupElement("features"));
    public static final long OFF_PARAMS_SQ_OFF = IO_URING_PARAMS.byteOffset(groupElement("sq_off"));
    public static final long OFF_PARAMS_CQ_OFF = IO_URING_PARAMS.byteOffset(groupElement("cq_off"));

    // io_sqring_offsets (relative to sq_off)
    public static final long OFF_SQ_HEAD = IO_SQRING_OFFSETS.byteOffset(groupElement("head"));
    public static final long OFF_SQ_TAIL = IO_SQRING_OFFSETS.byteOffset(groupElement("tail"));
    public static final long OFF_SQ_RING_MASK = IO_SQRING_OFFSETS.byteOffset(groupElement("ring_mask"));
    public static final long OFF_SQ_RING_ENTRIES = IO_SQRING_OFFSETS.byteOffset(groupElement("ring_entries"));
    public static final long OFF_SQ_FLAGS = IO_SQRING_OFFSETS.byteOffset(groupElement("flags"));
    public static final long OFF_SQ_DROPPED = IO_SQRING_OFFSETS.byteOffset(groupElement("dropped"));
    public static final long OFF_SQ_ARRAY = IO_SQRING_OFFSETS.byteOffset(groupElement("array"));

    // io_cqring_offsets (relative to cq_off)
    public static final long OFF_CQ_HEAD = IO_CQRING_OFFSETS.byteOffset(groupElement("head"));
    public static final long OFF_CQ_TAIL = IO_CQRING_OFFSETS.byteOffset(groupElement("tail"));
    public static final long OFF_CQ_RING_MASK = IO_CQRING_OFFSETS.byteOffset(groupElement("ring_mask"));
    public static final long OFF_CQ_RING_ENTRIES = IO_CQRING_OFFSETS.byteOffset(groupElement("ring_entries"));
    public static final long OFF_CQ_OVERFLOW = IO_CQRING_OFFSETS.byteOffset(groupElement("overflow"));
    public static final long OFF_CQ_CQES = IO_CQRING_OFFSETS.byteOffset(groupElement("cqes"));
    public static final long OFF_CQ_FLAGS = IO_CQRING_OFFSETS.byteOffset(groupElement("flags"));

    // io_uring_sqe
    public static final long SQE_SIZE = IO_URING_SQE.byteSize();
    public static final long OFF_SQE_OPCODE = IO_URING_SQE.byteOffset(groupElement("opcode"));
    public static final long OFF_SQE_FLAGS = IO_URING_SQE.byteOffset(groupElement("flags"));
    public static final long OFF_SQE_IOPRIO = IO_URING_SQE.byteOffset(groupElement("ioprio"));
    public static final long OFF_SQE_FD = IO_URING_SQE.byteOffset(groupElement("fd"));
    /** off / addr2 */
    public static final long OFF_SQE_OFF = IO_URING_SQE.byteOffset(groupElement(4), groupElement("off"));
    public static final long OFF_SQE_ADDR = IO_URING_SQE.byteOffset(groupElement(5), groupElement("addr"));
    public static final long OFF_SQE_LEN = IO_URING_SQE.byteOffset(groupElement("len"));
    /** The op-flags union: rw_flags, poll32_events, timeout_flags, msg_flags, cancel_flags, accept_flags, ... */
    public static final long OFF_SQE_OP_FLAGS = IO_URING_SQE.byteOffset(groupElement(7), groupElement("rw_flags"));
    public static final long OFF_SQE_USER_DATA = IO_URING_SQE.byteOffset(groupElement("user_data"));
    /** buf_index / buf_group */
    public static final long OFF_SQE_BUF_INDEX = IO_URING_SQE.byteOffset(groupElement(9), groupElement("buf_index"));
    public static final long OFF_SQE_PERSONALITY = IO_URING_SQE.byteOffset(groupElement("personality"));
    /** file_index / splice_fd_in / addr_len */
    public static final long OFF_SQE_FILE_INDEX = IO_URING_SQE.byteOffset(groupElement(11), groupElement("file_index"));
    public static final long OFF_SQE_ADDR3 = IO_URING_SQE.byteOffset(groupElement(12), groupElement(0), groupElement("addr3"));

    // io_uring_cqe
    public static final long CQE_SIZE = IO_URING_CQE.byteSize();
    public static final long OFF_CQE_USER_DATA = IO_URING_CQE.byteOffset(groupElement("user_data"));
    public static final long OFF_CQE_RES = IO_URING_CQE.byteOffset(groupElement("res"));
    public static final long OFF_CQE_FLAGS = IO_URING_CQE.byteOffset(groupElement("flags"));

    // io_uring_getevents_arg
    public static final long GETEVENTS_ARG_SIZE = IO_URING_GETEVENTS_ARG.byteSize();
    public static final long OFF_GETEVENTS_ARG_SIGMASK = IO_URING_GETEVENTS_ARG.byteOffset(groupElement("sigmask"));
    public static final long OFF_GETEVENTS_ARG_SIGMASK_SZ = IO_URING_GETEVENTS_ARG.byteOffset(groupElement("sigmask_sz"));
    /** Named {@code pad} before 6.12. */
    public static final long OFF_GETEVENTS_ARG_MIN_WAIT_USEC = IO_URING_GETEVENTS_ARG.byteOffset(groupElement("pad"));
    public static final long OFF_GETEVENTS_ARG_TS = IO_URING_GETEVENTS_ARG.byteOffset(groupElement("ts"));

    // io_uring_probe
    public static final long PROBE_SIZE = IO_URING_PROBE.byteSize();
    public static final long OFF_PROBE_LAST_OP = IO_URING_PROBE.byteOffset(groupElement("last_op"));
    public static final long OFF_PROBE_OPS_LEN = IO_URING_PROBE.byteOffset(groupElement("ops_len"));
    public static final long OFF_PROBE_OPS = IO_URING_PROBE.byteOffset(groupElement("ops"));
    public static final long PROBE_OP_SIZE = IO_URING_PROBE_OP.byteSize();
    public static final long OFF_PROBE_OP_OP = IO_URING_PROBE_OP.byteOffset(groupElement("op"));
    public static final long OFF_PROBE_OP_FLAGS = IO_URING_PROBE_OP.byteOffset(groupElement("flags"));

    // io_uring_rsrc_update
    public static final long RSRC_UPDATE_SIZE = IO_URING_RSRC_UPDATE.byteSize();
    public static final long OFF_RSRC_UPDATE_OFFSET = IO_URING_RSRC_UPDATE.byteOffset(groupElement("offset"));
    public static final long OFF_RSRC_UPDATE_DATA = IO_URING_RSRC_UPDATE.byteOffset(groupElement("data"));

    // io_uring_buf and io_uring_buf_reg
    public static final long BUF_SIZE = IO_URING_BUF.byteSize();
    public static final long OFF_BUF_ADDR = IO_URING_BUF.byteOffset(groupElement("addr"));
    public static final long OFF_BUF_LEN = IO_URING_BUF.byteOffset(groupElement("len"));
    public static final long OFF_BUF_BID = IO_URING_BUF.byteOffset(groupElement("bid"));
    /** The buffer ring's tail: a u16 over {@code bufs[0].resv} (struct io_uring_buf_ring). Store it with release. */
    public static final long OFF_BUF_RING_TAIL = IO_URING_BUF.byteOffset(groupElement("resv"));
    public static final long BUF_REG_SIZE = IO_URING_BUF_REG.byteSize();
    public static final long BUF_STATUS_SIZE = IO_URING_BUF_STATUS.byteSize();
    public static final long OFF_BUF_STATUS_BUF_GROUP = IO_URING_BUF_STATUS.byteOffset(groupElement("buf_group"));
    public static final long OFF_BUF_STATUS_HEAD = IO_URING_BUF_STATUS.byteOffset(groupElement("head"));
    public static final long OFF_BUF_REG_RING_ADDR = IO_URING_BUF_REG.byteOffset(groupElement("ring_addr"));
    public static final long OFF_BUF_REG_RING_ENTRIES = IO_URING_BUF_REG.byteOffset(groupElement("ring_entries"));
    public static final long OFF_BUF_REG_BGID = IO_URING_BUF_REG.byteOffset(groupElement("bgid"));
    /** Named {@code pad} before 6.7. */
    public static final long OFF_BUF_REG_FLAGS = IO_URING_BUF_REG.byteOffset(groupElement("pad"));

    // ---------------------------------------------------------------------------------------------------------------
    // system calls

    private static final MethodHandle ENTER = Libc.systemCall(null, Syscall.SYS_io_uring_enter,
            FunctionDescriptor.of(C_LONG, C_INT, C_INT, C_INT, C_INT, C_POINTER, C_LONG));
    private static final MethodHandle REGISTER = Libc.systemCall(null, Syscall.SYS_io_uring_register,
            FunctionDescriptor.of(C_LONG, C_INT, C_INT, C_POINTER, C_INT));

    /** {@code io_uring_setup(entries, params)}: the new ring's fd, or {@code -errno}. */
    public static int ioUringSetup(MemorySegment callState, int entries, MemorySegment params) {
        int f;
        if (Faults.ENABLED && (f = Faults.check(Faults.Call.IO_URING_SETUP, -1)) < 0) return f;
        return (int) Syscall.syscall2(callState, Syscall.SYS_io_uring_setup, entries & 0xFFFF_FFFFL, params.address());
    }

    /**
     * {@code io_uring_enter(fd, to_submit, min_complete, flags, arg, argsz)}: the number of SQEs consumed, or
     * {@code -errno}. {@code arg} is a sigset (argsz its size) or, with {@link #IORING_ENTER_EXT_ARG}, an
     * {@link #IO_URING_GETEVENTS_ARG}; pass {@link MemorySegment#NULL} and 0 for none. A fault rule's limit cuts
     * {@code toSubmit}: the kernel then consumes only that many, a partial submission.
     */
    public static int ioUringEnter(MemorySegment callState, int fd, int toSubmit, int minComplete, int flags,
                                   MemorySegment arg, long argSize) {
        if (Faults.ENABLED) {
            long n = Faults.apply(Faults.Call.IO_URING_ENTER, fd, toSubmit);
            if (n < 0) return (int) n;
            toSubmit = (int) n;
        }
        try {
            return (int) (long) ENTER.invokeExact(callState, fd, toSubmit, minComplete, flags, arg, argSize);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /** {@code io_uring_register(fd, opcode, arg, nr_args)}: the result, or {@code -errno}. */
    public static int ioUringRegister(MemorySegment callState, int fd, int opcode, MemorySegment arg, int nrArgs) {
        int f;
        if (Faults.ENABLED && (f = Faults.check(Faults.Call.IO_URING_REGISTER, fd)) < 0) return f;
        try {
            return (int) (long) REGISTER.invokeExact(callState, fd, opcode, arg, nrArgs);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }
}
