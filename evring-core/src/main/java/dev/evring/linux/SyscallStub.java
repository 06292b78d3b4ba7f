package dev.evring.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static dev.evring.linux.ValueLayouts.C_INT;
import static dev.evring.linux.ValueLayouts.C_LONG;
import static dev.evring.linux.ValueLayouts.C_POINTER;

/**
 * A raw system call stub: 26 bytes of x86_64 machine code in a page of its own, called through the FFM linker like
 * any C function, that moves its arguments into the kernel's registers and executes {@code syscall}. The kernel's
 * result comes back as the function's result: {@code >= 0}, or {@code -errno}. No libc, no errno, no capture segment,
 * so a failed call is reported by the call that failed and the success path allocates nothing whatever the JIT does
 * (see {@link Libc} for why the capture segment allocates).
 *
 * <p>The stub is {@code long stub(long nr, a1, a2, a3, a4, a5, a6)}: by the System V ABI {@code nr, a1..a5} arrive in
 * rdi, rsi, rdx, rcx, r8, r9 and {@code a6} on the stack above the return address; the kernel wants nr in rax and the
 * arguments in rdi, rsi, rdx, r10, r8, r9. {@code syscall} clobbers rcx and r11, which the caller does not expect to
 * keep. Handles linked to it may declare fewer or narrower integer arguments (the kernel ignores registers beyond a
 * call's arity and truncates each argument to its declared C type); pointers may stay {@code MemorySegment}s, so the
 * linker keeps checking them.
 *
 * <p>The page is mapped read-write, filled, then made read-execute with mprotect (never writable and executable at
 * once), and the stub is proven at class initialisation: raw getpid must equal libc's, a raw read of fd -1 must give
 * -EBADF, and a raw six-argument mmap with an unaligned offset must give -EINVAL (the sixth argument travels on the
 * stack). Where the stub cannot be made or fails a check (another architecture: only x86_64 code is shipped, because
 * only x86_64 is tested here; mmap or mprotect refused, e.g. by an SELinux execmem policy), {@link #STUB} is null,
 * {@link #WHY_NOT} says why, and {@link Libc} captures errno instead. {@code -Devring.syscall_stub=false} forces that
 * fallback (for diagnosis, and for the tests of the fallback).
 */
final class SyscallStub {
    private SyscallStub() {}

    /** x86_64 system call numbers used by the proof below ({@code <asm/unistd_64.h>}). */
    private static final long NR_READ = 0;
    private static final long NR_MMAP = 9;
    private static final long NR_MUNMAP = 11;
    private static final long NR_GETPID = 39;

    private static final byte[] X86_64 = {
            0x48, (byte) 0x89, (byte) 0xf8,        // mov rax, rdi      system call number
            0x48, (byte) 0x89, (byte) 0xf7,        // mov rdi, rsi      1st argument
            0x48, (byte) 0x89, (byte) 0xd6,        // mov rsi, rdx      2nd
            0x48, (byte) 0x89, (byte) 0xca,        // mov rdx, rcx      3rd
            0x4d, (byte) 0x89, (byte) 0xc2,        // mov r10, r8       4th
            0x4d, (byte) 0x89, (byte) 0xc8,        // mov r8, r9        5th
            0x4c, (byte) 0x8b, 0x4c, 0x24, 0x08,   // mov r9, [rsp+8]   6th, from the stack
            0x0f, 0x05,                            // syscall
            (byte) 0xc3,                           // ret
    };

    /** The stub's entry, or null where system calls go through libc with errno captured. */
    static final MemorySegment STUB;
    /** Why {@link #STUB} is null; empty when it is not. */
    static final String WHY_NOT;

    static {
        MemorySegment stub = null;
        String why;
        String arch = System.getProperty("os.arch", "");
        if (!Boolean.parseBoolean(System.getProperty("evring.syscall_stub", "true"))) {
            why = "turned off by -Devring.syscall_stub=false";
        } else if (!arch.equals("amd64") && !arch.equals("x86_64")) {
            why = "no system call stub for " + arch + " (only x86_64 code is shipped, being the one tested)";
        } else {
            String[] reason = new String[1];
            stub = make(reason);
            why = stub == null ? reason[0] : "";
        }
        STUB = stub;
        WHY_NOT = why;
    }

    private static MemorySegment make(String[] why) {
        try {
            MethodHandle mmap = Libc.plainCall("mmap", FunctionDescriptor.of(C_POINTER, C_POINTER, C_LONG, C_INT, C_INT, C_INT, C_LONG));
            MethodHandle mprotect = Libc.plainCall("mprotect", FunctionDescriptor.of(C_INT, C_POINTER, C_LONG, C_INT));
            MethodHandle munmap = Libc.plainCall("munmap", FunctionDescriptor.of(C_INT, C_POINTER, C_LONG));
            long size = 4096;
            MemorySegment page = (MemorySegment) mmap.invokeExact(MemorySegment.NULL, size, Mman.PROT_READ | Mman.PROT_WRITE,
                    Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS, -1, 0L);
            if (Mman.failed(page)) {
                why[0] = "mmap of the system call stub's page was refused";
                return null;
            }
            page = page.reinterpret(size);
            MemorySegment.copy(X86_64, 0, page, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, X86_64.length);
            int r = (int) mprotect.invokeExact(page, size, Mman.PROT_READ | Mman.PROT_EXEC);
            if (r != 0) {
                int u = (int) munmap.invokeExact(page, size);
                why[0] = "mprotect(PROT_READ|PROT_EXEC) of the system call stub was refused (a W^X or execmem policy?)";
                return null;
            }
            String failed = prove(page);
            if (failed != null) {
                int u = (int) munmap.invokeExact(page, size);
                why[0] = "the system call stub failed its check: " + failed;
                return null;
            }
            return page;
        } catch (Throwable t) {
            why[0] = "the system call stub could not be made: " + t;
            return null;
        }
    }

    /** Null if the stub behaves as the kernel's system call, else what went wrong. */
    private static String prove(MemorySegment stub) throws Throwable {
        MethodHandle getpid = Libc.LINKER.downcallHandle(stub, FunctionDescriptor.of(C_LONG, C_LONG));
        long pid = (long) getpid.invokeExact(NR_GETPID);
        if (pid != ProcessHandle.current().pid()) return "getpid gave " + pid + ", not " + ProcessHandle.current().pid();
        MethodHandle read = Libc.LINKER.downcallHandle(stub, FunctionDescriptor.of(C_LONG, C_LONG, C_INT, C_POINTER, C_LONG));
        try (Arena a = Arena.ofConfined()) {
            long r = (long) read.invokeExact(NR_READ, -1, a.allocate(8), 8L);
            if (r != -Errno.EBADF) return "read(-1) gave " + r + ", not -EBADF";
        }
        MethodHandle six = Libc.LINKER.downcallHandle(stub,
                FunctionDescriptor.of(C_LONG, C_LONG, C_LONG, C_LONG, C_LONG, C_LONG, C_LONG, C_LONG));
        long anon = Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS;
        long bad = (long) six.invokeExact(NR_MMAP, 0L, 4096L, 0L, anon, -1L, 4095L); // offset not page-aligned
        if (bad != -Errno.EINVAL) {
            if (bad > 0) {
                long u = (long) six.invokeExact(NR_MUNMAP, bad, 4096L, 0L, 0L, 0L, 0L);
            }
            return "mmap with an unaligned 6th argument gave " + bad + ", not -EINVAL";
        }
        long good = (long) six.invokeExact(NR_MMAP, 0L, 4096L, 0L, anon, -1L, 0L);
        if (good <= 0) return "mmap with offset 0 gave " + good;
        long u = (long) six.invokeExact(NR_MUNMAP, good, 4096L, 0L, 0L, 0L, 0L);
        return u == 0 ? null : "munmap gave " + u;
    }
}
