package dev.evring.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

/**
 * Downcalls into the C library and the kernel through the FFM linker: the one place that looks up symbols and builds
 * method handles. Wrappers return the kernel's convention: a result {@code >= 0}, or {@code -errno}.
 *
 * <h2>errno, from the call that failed</h2>
 * A failed system call is never repeated to learn its errno: a failed call is not free of side effects (a recv that
 * fails with ECONNRESET consumed the socket's pending error, and a repeat reads 0, end of stream; accept's errors, a
 * signal's EINTR and a wait that partly ran are the same). Two ways give the errno of the call itself:
 * <ul>
 * <li><b>The raw stub</b> ({@link SyscallStub}, x86_64): the call goes to the kernel through a few bytes of machine
 * code, and the kernel's own {@code -errno} is the result. No errno, no capture: the success path and the failure path
 * allocate nothing, whatever the JIT does. Used by {@link #systemCall} wherever the stub could be made and proven.</li>
 * <li><b>Capture</b>: libc's function linked with {@code captureCallState("errno")}, whose method handle takes a
 * <em>call-state segment</em> first and stores errno into it right after the call, before the JVM can clobber it.
 * Callers own that segment (one per event loop, allocated once from its arena). Correct, but the JDK slices the
 * segment on every call ({@code SharedUtils.checkCaptureSegment} in JDK 25), a 40-byte allocation that only C2's
 * escape analysis removes, and only when the profile of {@code MemorySegment.asSlice} lets it inline. It is what
 * cold calls use everywhere, and what every call uses where the stub is unavailable (aarch64, or a system that
 * refuses executable memory): there a loop may allocate about 40 bytes per system call.</li>
 * </ul>
 * Every wrapper takes the call-state segment whichever way it goes, so callers need not know.
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

    /** Stores {@code errno} as if a call had failed with it: for injected faults ({@link Faults}). */
    static void setErrno(MemorySegment callState, int errno) {
        ERRNO.set(callState, 0L, errno);
    }

    /** The address of a libc symbol; fails at class initialisation, loudly, if libc lacks it. */
    static MemorySegment symbol(String name) {
        return LIBC.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc has no symbol " + name));
    }

    /** A downcall whose handle takes the call-state segment first and stores errno into it. */
    static MethodHandle errnoCall(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(symbol(name), descriptor, CAPTURE_ERRNO);
    }

    /**
     * A system call that returns its result or {@code -errno} as a long, whichever way it is made: the handle takes
     * the call-state segment, then the arguments of {@code descriptor}. Through the raw stub where there is one (the
     * segment is then unused), else through libc's {@code name} (its C signature is {@code descriptor}) with errno
     * captured. {@code name} null: a call without a libc wrapper, made through {@code syscall(2)}.
     *
     * @param x86Number the call's number on x86_64 ({@code <asm/unistd_64.h>}), the only architecture with a stub
     */
    static MethodHandle systemCall(String name, long x86Number, FunctionDescriptor descriptor) {
        MethodType type = descriptor.toMethodType().changeReturnType(long.class).insertParameterTypes(0, MemorySegment.class);
        MemorySegment stub = SyscallStub.STUB;
        if (stub != null) {
            MemoryLayout[] args = new MemoryLayout[descriptor.argumentLayouts().size() + 1];
            args[0] = ValueLayouts.C_LONG;
            for (int i = 1; i < args.length; i++) args[i] = descriptor.argumentLayouts().get(i - 1);
            MethodHandle raw = LINKER.downcallHandle(stub, FunctionDescriptor.of(ValueLayouts.C_LONG, args));
            return MethodHandles.dropArguments(MethodHandles.insertArguments(raw, 0, x86Number), 0, MemorySegment.class);
        }
        MethodHandle captured;
        if (name == null) {
            captured = LINKER.downcallHandle(symbol("syscall"), descriptor.insertArgumentLayouts(0, ValueLayouts.C_LONG),
                    Linker.Option.firstVariadicArg(1), CAPTURE_ERRNO);
            captured = MethodHandles.insertArguments(captured, 1, x86Number);
        } else {
            captured = LINKER.downcallHandle(symbol(name), descriptor, CAPTURE_ERRNO);
        }
        captured = MethodHandles.explicitCastArguments(captured, captured.type().changeReturnType(long.class));
        // (callState, args...) -> orErrno(captured(callState, args...), callState)
        MethodHandle combined = MethodHandles.collectArguments(OR_ERRNO, 0, captured);
        int[] order = new int[type.parameterCount() + 1];
        for (int i = 0; i < type.parameterCount(); i++) order[i] = i;
        return MethodHandles.permuteArguments(combined, type, order); // the last parameter is callState again: 0
    }

    /** Whether {@link #systemCall} goes through the raw stub; if not, {@link #syscallStubAbsence()} says why. */
    public static boolean syscallStubInUse() {
        return SyscallStub.STUB != null;
    }

    /** Why system calls capture errno instead of using the raw stub; empty when they use the stub. */
    public static String syscallStubAbsence() {
        return SyscallStub.WHY_NOT;
    }

    private static long orErrno(long result, MemorySegment callState) {
        return result == -1 ? -errno(callState) : result;
    }

    private static final MethodHandle OR_ERRNO;
    static {
        try {
            OR_ERRNO = MethodHandles.lookup().findStatic(Libc.class, "orErrno",
                    MethodType.methodType(long.class, long.class, MemorySegment.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** A downcall that never fails or whose failure is ignored (wakeups from foreign threads). */
    static MethodHandle plainCall(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(symbol(name), descriptor);
    }

    /**
     * {@code long syscall(long number, ...)} with errno captured: the variadic entry that reaches cold system calls
     * without a libc wrapper (io_uring_setup, pidfd_open, seccomp). Every variadic argument is passed as a
     * {@code long}, as C's default promotions and the x86_64/aarch64 calling conventions allow for integers and
     * pointers.
     */
    static MethodHandle syscall(int argCount) {
        MemoryLayout[] args = new MemoryLayout[argCount + 1];
        java.util.Arrays.fill(args, ValueLayouts.C_LONG);
        return LINKER.downcallHandle(symbol("syscall"), FunctionDescriptor.of(ValueLayouts.C_LONG, args),
                Linker.Option.firstVariadicArg(1), CAPTURE_ERRNO);
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
