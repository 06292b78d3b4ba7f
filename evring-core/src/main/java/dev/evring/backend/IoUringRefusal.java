package dev.evring.backend;

import dev.evring.linux.Errno;
import dev.evring.linux.Libc;
import dev.evring.linux.Resource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Why io_uring cannot be used here, in words a user can act on: the call that failed, its errno, and only what was
 * observed (the kernel version, the {@code kernel.io_uring_disabled} sysctl, RLIMIT_MEMLOCK), never a guess stated
 * as fact.
 */
final class IoUringRefusal {
    private IoUringRefusal() {}

    /** Why io_uring cannot be used: {@code call} (io_uring_setup, io_uring_enter) failed with {@code errno}. */
    static String reason(String call, int errno) {
        return reason(call, errno, System.getProperty("os.version", "?"), readSysctl(), memlockLimit());
    }

    /**
     * Why {@code call} failed with {@code errno}, in words a user can act on, saying only what was observed: the
     * kernel version, the sysctl, the memlock limit (pass "" / -1 where unknown).
     */
    static String reason(String call, int errno, String kernel, String sysctl, long memlockBytes) {
        String failed = call + " failed with " + Errno.name(errno) + " (Linux " + kernel + ")";
        boolean setup = call.equals("io_uring_setup");
        return switch (errno) {
            case Errno.ENOSYS -> failed + ": this kernel has no io_uring; it needs Linux 5.1 or later built with CONFIG_IO_URING";
            case Errno.EPERM -> {
                if (setup && sysctl.equals("2")) {
                    yield failed + ": io_uring is disabled by the sysctl kernel.io_uring_disabled=2 (set it to 0 to allow io_uring)";
                }
                if (setup && sysctl.equals("1")) {
                    yield failed + ": kernel.io_uring_disabled=1 allows io_uring only to processes with CAP_SYS_ADMIN or in"
                            + " the group kernel.io_uring_group (set the sysctl to 0, or add the user to that group)";
                }
                yield failed + (setup ? "" : " although io_uring_setup succeeded") + ": a seccomp filter refuses " + call
                        + " (containers: Docker's and containerd's default seccomp profiles block io_uring; allow"
                        + " io_uring_setup, io_uring_enter and io_uring_register in the profile, or run with"
                        + " --security-opt seccomp=unconfined)"
                        + (sysctl.isEmpty() ? "" : "; kernel.io_uring_disabled=" + sysctl);
            }
            case Errno.ENOMEM -> {
                String memlock = memlockBytes < 0 ? "" : " (RLIMIT_MEMLOCK is " + (memlockBytes == Long.MAX_VALUE
                        ? "unlimited" : memlockBytes / 1024 + " KiB") + ")";
                yield failed + ": the rings could not be allocated; " + (kernelBefore(kernel, 5, 12)
                        ? "this kernel charges them to RLIMIT_MEMLOCK" + memlock + ": raise it (ulimit -l)"
                        : "this kernel charges them to the memory cgroup, not to RLIMIT_MEMLOCK" + memlock
                        + ": give the process more memory, or ask for smaller rings (io_uring.sq_entries, io_uring.cq_entries)");
            }
            case Errno.EINVAL -> failed + (setup ? ": every parameter set was rejected; this kernel's io_uring is too old"
                    + " for evring (it needs Linux 5.1 or later)" : ": " + Errno.description(errno));
            default -> failed + ": " + Errno.description(errno);
        };
    }

    /** Whether {@code version} ("6.18.44-...") is older than major.minor; false when it cannot be read. */
    static boolean kernelBefore(String version, int major, int minor) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^(\\d+)\\.(\\d+)").matcher(version);
        if (!m.find()) return false;
        int ma = Integer.parseInt(m.group(1));
        int mi = Integer.parseInt(m.group(2));
        return ma < major || ma == major && mi < minor;
    }

    private static long memlockLimit() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment rl = a.allocate(Resource.RLIMIT);
            if (Resource.getrlimit(Libc.threadCallState(), Resource.RLIMIT_MEMLOCK, rl) < 0) return -1;
            long cur = rl.get(JAVA_LONG, Resource.OFF_RLIM_CUR);
            return cur < 0 ? Long.MAX_VALUE : cur; // RLIM_INFINITY is ~0
        }
    }

    private static String readSysctl() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/io_uring_disabled")).trim();
        } catch (Exception e) {
            return "";
        }
    }
}
