package dev.evring.bench.pipes;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The system calls the Java pipes rows make themselves, declared with the FFM API as a user of {@code IoWatcher}
 * declares them: evring's own ABI layer is not exported, and the benchmark uses evring's public API only. read and
 * write are plain downcalls (the benchmark moves one byte a call and a failure ends the run, so the count is all it
 * needs); socketpair captures errno for its message.
 */
final class Syscalls {
    private Syscalls() {}

    // <sys/socket.h>
    private static final int AF_UNIX = 1;
    private static final int SOCK_STREAM = 1;
    private static final int SOCK_NONBLOCK = 04000;
    private static final int SOCK_CLOEXEC = 02000000;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(groupElement("errno"));

    private static final MethodHandle READ = downcall("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle WRITE = downcall("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle CLOSE = downcall("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle SOCKETPAIR = downcall("socketpair",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS), Linker.Option.captureCallState("errno"));

    private static MethodHandle downcall(String name, FunctionDescriptor fd, Linker.Option... options) {
        MemorySegment symbol = LINKER.defaultLookup().find(name).orElseThrow(() -> new IllegalStateException("libc has no " + name));
        return LINKER.downcallHandle(symbol, fd, options);
    }

    /** read(2): the byte count, or -1. */
    static long read(int fd, MemorySegment buf, long count) {
        try {
            return (long) READ.invokeExact(fd, buf, count);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** write(2): the byte count, or -1. */
    static long write(int fd, MemorySegment buf, long count) {
        try {
            return (long) WRITE.invokeExact(fd, buf, count);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static void close(int fd) {
        try {
            int ignored = (int) CLOSE.invokeExact(fd); // closing at the end of a run: nothing to do about a failure
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * A non-blocking AF_UNIX stream socketpair into {@code fds[0]} and {@code fds[1]}.
     *
     * @throws IllegalStateException naming the errno when the kernel refuses (EMFILE: the open-file limit)
     */
    static void socketpair(int[] fds) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment capture = a.allocate(CAPTURE);
            MemorySegment sv = a.allocate(JAVA_INT, 2);
            int r = (int) SOCKETPAIR.invokeExact(capture, AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv);
            if (r < 0) {
                int errno = (int) ERRNO.get(capture, 0L);
                throw new IllegalStateException("socketpair failed: errno " + errno + (errno == 24 ? " (EMFILE: too many open files)" : ""));
            }
            fds[0] = sv.getAtIndex(ValueLayout.JAVA_INT, 0);
            fds[1] = sv.getAtIndex(ValueLayout.JAVA_INT, 1);
        } catch (IllegalStateException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
