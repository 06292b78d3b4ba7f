package dev.evring.backend;

import dev.evring.Backend;
import dev.evring.EventLoop;
import dev.evring.linux.Filter;
import dev.evring.linux.Libc;
import dev.evring.linux.Prctl;
import dev.evring.linux.Seccomp;
import dev.evring.linux.Syscall;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * Run in a child JVM by {@link IoUringFallbackTest}: installs a seccomp filter that fails one io_uring call with EPERM
 * (argument: {@code setup}, as Docker's default profile does; {@code enter} or {@code register}, as partial profiles
 * do), then opens a loop and prints what it got. Lines: {@code SKIP <why>}, {@code BACKEND <id>},
 * {@code REFUSAL <text>}, {@code DETAILS <text>}, {@code RAN <whether a timer fired>}, {@code AVAILABILITY <text>}.
 */
public final class SeccompChild {
    private SeccompChild() {}

    public static void main(String[] args) {
        long refused = switch (args.length == 0 ? "setup" : args[0]) {
            case "setup" -> Syscall.SYS_io_uring_setup;
            case "enter" -> Syscall.SYS_io_uring_enter;
            case "register" -> Syscall.SYS_io_uring_register;
            default -> throw new IllegalArgumentException("refuse what? " + args[0]);
        };
        String skip = refuseOnThisThread(refused);
        if (skip != null) {
            System.out.println("SKIP " + skip);
            return;
        }
        try (EventLoop loop = EventLoop.open()) {
            System.out.println("BACKEND " + loop.backend().id());
            for (String refusal : loop.backendRefusals()) System.out.println("REFUSAL " + refusal);
            loop.backendDetails().lines().forEach(l -> System.out.println("DETAILS " + l));
            boolean[] fired = {false};
            loop.timer(1_000_000L, 0, (w, ev) -> fired[0] = true).start();
            loop.run();
            System.out.println("RAN " + fired[0]);
        }
        Backend.Availability a = Backend.IO_URING.availability();
        System.out.println("AVAILABILITY " + a.available() + " " + a.reason());
    }

    /** Installs, for the calling thread only, a seccomp filter that fails io_uring_setup with EPERM; null, or why not. */
    public static String refuseIoUringSetupOnThisThread() {
        return refuseOnThisThread(Syscall.SYS_io_uring_setup);
    }

    /**
     * Installs, for the calling thread only, a seccomp filter that fails system call {@code refused} with EPERM.
     * Returns null, or why it could not (the caller skips).
     */
    public static String refuseOnThisThread(long refused) {
        MemorySegment cs = Libc.threadCallState();
        int r = Prctl.prctl(cs, Prctl.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        if (r < 0) return "prctl(PR_SET_NO_NEW_PRIVS) failed with errno " + -r;
        Arena arena = Arena.global();
        MemorySegment program = arena.allocate(Filter.SOCK_FILTER.byteSize() * 6, 8);
        int ldW = Filter.BPF_LD | Filter.BPF_W | Filter.BPF_ABS;
        int jeq = Filter.BPF_JMP | Filter.BPF_JEQ | Filter.BPF_K;
        int ret = Filter.BPF_RET | Filter.BPF_K;
        Filter.instruction(program, 0, ldW, 0, 0, (int) Seccomp.OFF_DATA_ARCH);
        Filter.instruction(program, 1, jeq, 0, 3, Seccomp.auditArch()); // another ABI: allow
        Filter.instruction(program, 2, ldW, 0, 0, (int) Seccomp.OFF_DATA_NR);
        Filter.instruction(program, 3, jeq, 0, 1, (int) refused);
        Filter.instruction(program, 4, ret, 0, 0, Seccomp.SECCOMP_RET_ERRNO | (dev.evring.linux.Errno.EPERM & Seccomp.SECCOMP_RET_DATA));
        Filter.instruction(program, 5, ret, 0, 0, Seccomp.SECCOMP_RET_ALLOW);
        MemorySegment fprog = arena.allocate(Filter.SOCK_FPROG);
        fprog.set(JAVA_SHORT, Filter.OFF_FPROG_LEN, (short) 6);
        fprog.set(ADDRESS, Filter.OFF_FPROG_FILTER, program);
        r = Seccomp.setModeFilter(cs, 0, fprog); // this thread only: the loop opens on it
        return r < 0 ? "seccomp(SECCOMP_SET_MODE_FILTER) failed with errno " + -r : null;
    }
}
