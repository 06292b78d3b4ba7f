package dev.evring.backend;

import dev.evring.Backend;
import dev.evring.EventLoop;
import dev.evring.linux.Errno;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Where io_uring cannot work, {@code EventLoop.open()} still opens, on epoll, and says why. */
class IoUringFallbackTest {

    /** Runs {@link SeccompChild} refusing {@code calls} with EPERM; returns its output lines (skips where it cannot). */
    private static List<String> childRefusing(String calls) throws Exception {
        String java = ProcessHandle.current().info().command().orElse(null);
        assumeTrue(java != null, "cannot tell which java runs this test, to start a child JVM");
        Backend.Availability here = Backend.IO_URING.availability();
        assumeTrue(here.available(), () -> "io_uring is already refused in this process (" + here.reason()
                + "): a seccomp filter would add nothing to prove");
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xshare:auto", "-cp", cp,
                SeccompChild.class.getName(), calls);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().remove("EVRING_BACKEND");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM hung:\n" + out);
        assertEquals(0, p.exitValue(), "child JVM failed:\n" + out);
        List<String> lines = out.lines().toList();
        for (String l : lines) assumeTrue(!l.startsWith("SKIP "), () -> "seccomp unavailable here: " + l.substring(5));
        return lines;
    }

    private static List<String> refusals(List<String> lines) {
        List<String> refusals = new ArrayList<>();
        for (String l : lines) if (l.startsWith("REFUSAL ")) refusals.add(l);
        return refusals;
    }

    /** Asserts the child's loop fell back to epoll with one refusal; returns it. */
    private static String fellBackToEpoll(List<String> lines) {
        String out = String.join("\n", lines);
        assertTrue(lines.contains("BACKEND epoll"), "the loop did not fall back to epoll:\n" + out);
        assertTrue(lines.contains("RAN true"), "the loop on epoll does not run:\n" + out);
        List<String> refusals = refusals(lines);
        assertEquals(1, refusals.size(), out);
        return refusals.get(0);
    }

    @Test
    void aSeccompFilterThatRefusesIoUringSetupMakesOpenFallBackToEpollSayingWhy() throws Exception {
        List<String> lines = childRefusing("setup");
        String why = fellBackToEpoll(lines);
        assertTrue(why.contains("io_uring_setup") && why.contains("EPERM") && why.contains("seccomp"), why);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("AVAILABILITY false") && l.contains("EPERM")), why);
    }

    @Test
    void aSeccompFilterThatRefusesOnlyIoUringEnterMakesOpenFallBackToEpollSayingWhy() throws Exception {
        String why = fellBackToEpoll(childRefusing("enter"));
        assertTrue(why.contains("io_uring_enter failed with EPERM") && why.contains("although io_uring_setup succeeded")
                && why.contains("seccomp"), why);
    }

    @Test
    void aSeccompFilterThatRefusesOnlyIoUringRegisterLeavesIoUringWorkingAndSaysSo() throws Exception {
        List<String> lines = childRefusing("register");
        String out = String.join("\n", lines);
        // io_uring_register serves options (registered ring fd, opcode probe, buffer rings): without it the loop runs
        // on io_uring, and the details say what was refused rather than blaming the kernel's version.
        assertTrue(lines.contains("BACKEND io_uring"), out);
        assertTrue(refusals(lines).isEmpty(), out);
        assertTrue(lines.contains("RAN true"), "the loop does not run:\n" + out);
        assertTrue(out.contains("IORING_REGISTER_PROBE) failed with EPERM"), out);
    }

    @Test
    void badOptionValuesAreRejectedNamingThem() {
        String[][] bad = {
                {"io_uring.poll", "sometimes"},
                {"io_uring.wait", "forever"},
                {"io_uring.mmap", "double"},
                {"io_uring.sq_entries", "0"},
                {"io_uring.sq_entries", "many"},
                {"io_uring.defer_taskrun", "maybe"},
                {"io_uring.sq_entries", "abc"},
                {"io_uring.cq_entries", "99999999"},
                {"io_uring.coop_taskrun", "2"},
                {"io_uring.test.no_nodrop", "true"}, // test switches are no options any more
                {"io_uring.sq_entrys", "64"},
        };
        // whatever backend the loop ends up on: a bad value is a mistake even where io_uring is unavailable
        for (Backend backend : new Backend[] {Backend.IO_URING, Backend.EPOLL, Backend.POLL, null}) {
            for (String[] kv : bad) {
                var e = assertThrows(IllegalArgumentException.class, () -> {
                    EventLoop.Builder b = EventLoop.builder().option(kv[0], kv[1]);
                    if (backend != null) b.backend(backend);
                    b.open().close();
                }, kv[0] + "=" + kv[1] + " on " + backend);
                assertTrue(e.getMessage().contains(kv[0] + "=" + kv[1]), e.getMessage());
            }
        }
        var e = assertThrows(IllegalArgumentException.class, () -> EventLoop.builder().backend(Backend.IO_URING)
                .option("io_uring.cq_entries", "8").option("io_uring.sq_entries", "16").open());
        assertTrue(e.getMessage().contains("io_uring.cq_entries=8"), e.getMessage());
    }

    @Test
    void reasonsSayWhatWasObserved() {
        assertTrue(IoUringRefusal.reason("io_uring_setup", Errno.ENOSYS, "4.19.0", "", -1).contains("5.1"));
        String oldMemlock = IoUringRefusal.reason("io_uring_setup", Errno.ENOMEM, "5.10.0-21-amd64", "", 65536);
        assertTrue(oldMemlock.contains("charges them to RLIMIT_MEMLOCK (RLIMIT_MEMLOCK is 64 KiB)"), oldMemlock);
        String newMemlock = IoUringRefusal.reason("io_uring_setup", Errno.ENOMEM, "6.18.44-fc", "", 65536);
        assertTrue(newMemlock.contains("memory cgroup, not to RLIMIT_MEMLOCK") && newMemlock.contains("Linux 6.18.44-fc"), newMemlock);
        assertFalse(newMemlock.contains("before 5.12"), newMemlock);
        String sysctl = IoUringRefusal.reason("io_uring_setup", Errno.EPERM, "6.18", "2", -1);
        assertTrue(sysctl.contains("kernel.io_uring_disabled=2"), sysctl);
        String seccomp = IoUringRefusal.reason("io_uring_setup", Errno.EPERM, "6.18", "0", -1);
        assertTrue(seccomp.contains("seccomp") && seccomp.contains("kernel.io_uring_disabled=0"), seccomp);
        String enter = IoUringRefusal.reason("io_uring_enter", Errno.EPERM, "6.18", "0", -1);
        assertTrue(enter.contains("io_uring_enter failed with EPERM") && enter.contains("although io_uring_setup succeeded"), enter);
        assertTrue(IoUringRefusal.kernelBefore("5.11.22", 5, 12));
        assertFalse(IoUringRefusal.kernelBefore("6.1.0", 5, 12));
        assertFalse(IoUringRefusal.kernelBefore("garbage", 5, 12));
    }

    @Test
    void openPicksIoUringFirstWhereItWorks() {
        assumeTrue(System.getenv("EVRING_BACKEND") == null, "EVRING_BACKEND is set");
        Backend.Availability a = Backend.IO_URING.availability();
        assumeTrue(a.available(), () -> "io_uring unavailable here: " + a.reason());
        try (EventLoop loop = EventLoop.open()) {
            assertEquals(Backend.IO_URING, loop.backend());
            assertTrue(loop.backendRefusals().isEmpty());
            String d = loop.backendDetails();
            for (String f : List.of("SINGLE_MMAP", "NODROP", "EXT_ARG", "multishot poll", "DEFER_TASKRUN", "SINGLE_ISSUER",
                    "COOP_TASKRUN", "SUBMIT_ALL", "NO_SQARRAY", "registered ring fd")) {
                assertTrue(d.contains(f), "details do not mention " + f + ":\n" + d);
            }
        }
    }
}
