package dev.evring;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 9 defect 18: reporting a failure must not need what the failure may have exhausted. Each case runs in a fresh
 * JVM (where nothing was logged yet, so the logger's lazy loading is still ahead) that has used up its fds.
 */
class ExceptionReportingTest {

    @Test
    void theDefaultHandlerStillLogsWhenTheProcessIsOutOfFds() throws Exception {
        ChildJvm.Result r = ChildJvm.run(ReportingAtEmfileChild.class, "default");
        assertEquals(0, r.exit(), "the child died:\n" + r.output());
        assertTrue(r.lines().contains("OTHER CALLBACK RAN"), r.output());
        assertTrue(r.lines().contains("SURVIVED"), r.output());
        assertTrue(r.output().contains("callback failed at EMFILE"), "the failure was not logged:\n" + r.output());
    }

    @Test
    void whenLoggingItselfFailsTheLastResortWritesALineToStandardError() throws Exception {
        ChildJvm.Result r = ChildJvm.run(ReportingAtEmfileChild.class, "broken-logging");
        assertEquals(0, r.exit(), "the child died:\n" + r.output());
        assertTrue(r.lines().contains("OTHER CALLBACK RAN"), r.output());
        assertTrue(r.lines().contains("SURVIVED"), r.output());
        assertTrue(r.output().contains("evring: a callback threw java.lang.IllegalStateException; reporting it failed with "
                + "java.lang.IllegalStateException; the loop carries on"), r.output());
    }
}
