package dev.evring;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 9 defect 18: reporting a failure must not need what the failure may have exhausted. Each case runs in a fresh
 * JVM (where nothing was logged yet, so the logger's lazy loading is still ahead) that has used up its fds.
 */
class ExceptionReportingTest {

    /** Runs the child in {@code mode}; it must survive and run the other callback. Returns its output. */
    static String survivingChild(String mode) throws Exception {
        ChildJvm.Result r = ChildJvm.run(ReportingAtEmfileChild.class, mode);
        assertEquals(0, r.exit(), "the child died:\n" + r.output());
        assertTrue(r.lines().contains("OTHER CALLBACK RAN"), r.output());
        assertTrue(r.lines().contains("SURVIVED"), r.output());
        return r.output();
    }

    @Test
    void theDefaultHandlerStillLogsWhenTheProcessIsOutOfFds() throws Exception {
        String out = survivingChild("default");
        assertTrue(out.contains("callback failed at EMFILE"), "the failure was not logged:\n" + out);
    }

    @Test
    void whenLoggingItselfFailsTheLastResortWritesALineToStandardError() throws Exception {
        String out = survivingChild("broken-logging");
        assertTrue(out.contains("evring: a callback threw java.lang.IllegalStateException; reporting it failed with "
                + "java.lang.IllegalStateException; the loop carries on"), out);
    }
}
