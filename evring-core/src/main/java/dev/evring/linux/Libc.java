package dev.evring.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

/**
 * Downcalls into the C library through the FFM linker: the one place that looks up symbols and builds method handles.
 *
 * <p>Every call that can fail is linked with {@code captureCallState("errno")}: its method handle takes a
 * <em>call-state segment</em> as first argument, into which the linker stores errno right after the call, before the
 * JVM can clobber it. Callers own that segment (one per event loop, allocated once from its arena) so the wrappers
 * allocate nothing and stay thread-safe. Wrappers return the kernel's convention: a result {@code >= 0}, or
 * {@code -errno}.
 *
 * <p>Hot calls (read, write, recv, send, accept4, the waits) first go through a handle that does not capture errno,
 * and only when that fails repeat the call through the capturing one. The reason is the JDK: every capturing downcall
 * slices the call-state segment ({@code SharedUtils.checkCaptureSegment}), a 40-byte allocation that only C2's escape
 * analysis removes, and only when the type profiles of {@code MemorySegment.asSlice} happen to allow inlining. A
 * failed read, write, send, receive or accept moved no data, so repeating it is safe (if it now succeeds, that result
 * stands); a failed wait is repeated without blocking. The success path then allocates nothing whatever the JIT does.
 */
public final class Libc {
    private Libc() {}

    static final Linker LINKER = Linker.nativeLinker();
    static final SymbolLookup LIBC = LINKER.defaultLookup();

    private static final StructLayout CALL_STATE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CALL_STATE_LAYOUT.varHandle(groupElement("errno")).withInvokeExactBehavior();
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    /** Allocates a segment for {@link #errno(MemorySegment)} to read errno from; callers keep and reuse it. */
    public static MemorySegment allocateCallState(Arena arena) {
        return arena.allocate(CALL_STATE_LAYOUT);
    }

    private static final ThreadLocal<MemorySegment> THREAD_CALL_STATE =
            ThreadLocal.withInitial(() -> allocateCallState(Arena.ofAuto()));

    /**
     * A call-state segment for the current thread, for cold paths (setup, probing, tools) that have no loop of their
     * own. Hot paths pass their loop's segment instead.
     */
    public static MemorySegment threadCallState() {
        return THREAD_CALL_STATE.get();
    }

    /** errno as captured by the last call made with {@code callState}. */
    public static int errno(MemorySegment callState) {
        return (int) ERRNO.get(callState, 0L);
    }

    /** The address of a libc symbol; fails at class initialisation, loudly, if libc lacks it. */
    static MemorySegment symbol(String name) {
        return LIBC.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc has no symbol " + name));
    }

    /** A downcall whose handle takes the call-state segment first and stores errno into it. */
    static MethodHandle errnoCall(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(symbol(name), descriptor, CAPTURE_ERRNO);
    }

    /** A downcall that never fails or whose failure is ignored (wakeups from foreign threads). */
    static MethodHandle plainCall(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(symbol(name), descriptor);
    }

    /**
     * {@code long syscall(long number, ...)}: the variadic entry that reaches system calls without a libc wrapper
     * (io_uring, pidfd_open, seccomp). Every variadic argument is passed as a {@code long}, as C's default promotions
     * and the x86_64/aarch64 calling conventions allow for integers and pointers.
     */
    static MethodHandle syscall(int argCount) {
        MemoryLayout[] args = new MemoryLayout[argCount + 1];
        java.util.Arrays.fill(args, ValueLayouts.C_LONG);
        return LINKER.downcallHandle(symbol("syscall"), FunctionDescriptor.of(ValueLayouts.C_LONG, args),
                Linker.Option.firstVariadicArg(1), CAPTURE_ERRNO);
    }

    /** {@link #syscall(int)} without errno capture: for the fast path of a hot call (see the class comment). */
    static MethodHandle syscallIgnoringErrno(int argCount) {
        MemoryLayout[] args = new MemoryLayout[argCount + 1];
        java.util.Arrays.fill(args, ValueLayouts.C_LONG);
        return LINKER.downcallHandle(symbol("syscall"), FunctionDescriptor.of(ValueLayouts.C_LONG, args),
                Linker.Option.firstVariadicArg(1));
    }

    /**
     * Turns a {@link Throwable} thrown by {@code MethodHandle.invokeExact} into an unchecked one. Downcalls do not
     * throw checked exceptions; this only satisfies the compiler.
     */
    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException("downcall failed", t);
    }
}
