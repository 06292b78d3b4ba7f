package dev.evring;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Issue 9 defect 19: loops of one process on different backends, because the first choice was refused, is logged. */
class BackendFallbackTest {

    @Test
    void aMoveAwayFromTheFirstChoiceIsLoggedOncePerProcessAtWarning() throws Exception {
        assumeTrue(System.getenv("EVRING_BACKEND") == null, "EVRING_BACKEND is set");
        Backend.Availability here = Backend.IO_URING.availability();
        assumeTrue(here.available(), () -> "io_uring is refused in this process already (" + here.reason() + ")");
        ChildJvm.Result r = ChildJvm.run(FallbackWarningChild.class);
        assertEquals(0, r.exit(), r.output());
        for (String l : r.lines()) assumeTrue(!l.startsWith("SKIP "), () -> "seccomp unavailable here: " + l.substring(5));
        assertEquals(List.of("LOOP refused epoll", "LOOP refused epoll", "LOOP main io_uring"),
                r.lines().stream().filter(l -> l.startsWith("LOOP ")).toList());
        List<String> warnings = r.lines().stream().filter(l -> l.startsWith("WARNING:")).toList();
        assertEquals(1, warnings.size(), "one WARNING for two loops that fell back:\n" + r.output());
        String text = r.output().substring(r.output().indexOf("WARNING:"));
        assertTrue(text.contains("opened on epoll instead of its first choice") && text.contains("io_uring")
                && text.contains("EPERM"), r.output());
    }
}
