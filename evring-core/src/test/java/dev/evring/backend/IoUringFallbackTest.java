package dev.evring.backend;

import dev.evring.Backend;
import dev.evring.EventLoop;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Where io_uring cannot work, {@code EventLoop.open()} still opens, on epoll, and says why. */
class IoUringFallbackTest {

    @Test
    void aSeccompFilterThatRefusesIoUringSetupMakesOpenFallBackToEpollSayingWhy() throws Exception {
        String java = ProcessHandle.current().info().command().orElse(null);
        assumeTrue(java != null, "cannot tell which java runs this test, to start a child JVM");
        Backend.Availability here = Backend.IO_URING.availability();
        assumeTrue(here.available(), () -> "io_uring is already refused in this process (" + here.reason()
                + "): a seccomp filter would add nothing to prove");
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xshare:auto", "-cp", cp,
                SeccompChild.class.getName());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().remove("EVRING_BACKEND");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM hung:\n" + out);
        assertEquals(0, p.exitValue(), "child JVM failed:\n" + out);
        List<String> lines = out.lines().toList();
        for (String l : lines) assumeTrue(!l.startsWith("SKIP "), () -> "seccomp unavailable here: " + l.substring(5));
        assertTrue(lines.contains("BACKEND epoll"), "the loop did not fall back to epoll:\n" + out);
        List<String> refusals = new ArrayList<>();
        for (String l : lines) if (l.startsWith("REFUSAL ")) refusals.add(l);
        assertEquals(1, refusals.size(), out);
        String why = refusals.get(0);
        assertTrue(why.contains("io_uring") && why.contains("EPERM") && why.contains("seccomp"), why);
        assertTrue(out.contains("AVAILABILITY false") && out.contains("EPERM"), out);
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
                {"io_uring.test.einval_fds", "3,x"},
        };
        for (String[] kv : bad) {
            var e = assertThrows(IllegalArgumentException.class,
                    () -> EventLoop.builder().backend(Backend.IO_URING).option(kv[0], kv[1]).open(), kv[0] + "=" + kv[1]);
            assertTrue(e.getMessage().contains(kv[0] + "=" + kv[1]), e.getMessage());
        }
        var e = assertThrows(IllegalArgumentException.class, () -> EventLoop.builder().backend(Backend.IO_URING)
                .option("io_uring.cq_entries", "8").option("io_uring.sq_entries", "16").open());
        assertTrue(e.getMessage().contains("io_uring.cq_entries=8"), e.getMessage());
    }

    @Test
    void reasonsNameTheCauseAUserCanFix() {
        assertTrue(IoUringBackend.unavailableReason(dev.evring.linux.Errno.ENOSYS).contains("5.1"));
        assertTrue(IoUringBackend.unavailableReason(dev.evring.linux.Errno.ENOMEM).contains("RLIMIT_MEMLOCK"));
        String eperm = IoUringBackend.unavailableReason(dev.evring.linux.Errno.EPERM);
        assertTrue(eperm.contains("EPERM") && (eperm.contains("io_uring_disabled") || eperm.contains("seccomp")), eperm);
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
