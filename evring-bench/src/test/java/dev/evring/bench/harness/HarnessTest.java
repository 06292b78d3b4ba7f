package dev.evring.bench.harness;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HarnessTest {
    @Test
    void resultLinesCarryTheCaseAndEveryValue() {
        DriverProtocol.Line l = DriverProtocol.parse("result 100x1t ns_per_event=123.5 events=20001");
        assertEquals(DriverProtocol.Kind.RESULT, l.kind());
        assertEquals("100x1t", l.caseId());
        assertEquals(Map.of("ns_per_event", 123.5, "events", 20001.0), l.values());
    }

    @Test
    void skipFailAndDoneCarryTheirReason() {
        DriverProtocol.Line s = DriverProtocol.parse("skip 100x1 the JDK Selector has no timers");
        assertEquals(DriverProtocol.Kind.SKIP, s.kind());
        assertEquals("100x1", s.caseId());
        assertEquals("the JDK Selector has no timers", s.text());
        assertEquals(DriverProtocol.Kind.FAIL, DriverProtocol.parse("fail start boom").kind());
        assertEquals(DriverProtocol.Kind.DONE, DriverProtocol.parse("done stop").kind());
        assertEquals(DriverProtocol.Kind.INFO, DriverProtocol.parse("info libev 4.33").kind());
    }

    @Test
    void malformedLinesAreKeptAsOtherNotMisread() {
        assertEquals(DriverProtocol.Kind.OTHER, DriverProtocol.parse("result 100x1 ns_per_event=abc").kind());
        assertEquals(DriverProtocol.Kind.OTHER, DriverProtocol.parse("result 100x1").kind());
        assertEquals(DriverProtocol.Kind.OTHER, DriverProtocol.parse("done").kind());
        assertEquals(DriverProtocol.Kind.OTHER, DriverProtocol.parse("window-start").kind());
        assertEquals("window-start", DriverProtocol.parse("window-start").text());
    }

    @Test
    void cpuTicksAreReadPastACommandNameWithSpacesAndParentheses() {
        String stat = "4242 (java (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 1234 567 0 0 20 0 30 0 100 0 0";
        assertEquals(1234 + 567, ProcStat.parseCpuTicks(stat));
    }

    @Test
    void machineBusyTimeLeavesOutIdleAndIowait() {
        assertEquals(10 + 1 + 20 + 3 + 4 + 5, ProcStat.parseBusyTicks("cpu  10 1 20 1000 50 3 4 5 7 0"));
    }

    @Test
    void ourOwnCpuTimeIsReadable() {
        double s = ProcStat.cpuSeconds(ProcessHandle.current().pid());
        assertTrue(s >= 0, "cpu seconds " + s);
        assertTrue(Double.isNaN(ProcStat.cpuSeconds(Long.MAX_VALUE)));
    }

    @Test
    void signalDeathsAreCrashesAndOurTimeoutIsAHang() {
        DriverProcess.Ending segv = new DriverProcess.Ending(128 + 11, false, "");
        assertTrue(segv.crashed());
        assertEquals("killed by SIGSEGV", segv.describe(java.time.Duration.ofSeconds(5)));
        DriverProcess.Ending hung = new DriverProcess.Ending(-1, true, "");
        assertTrue(!hung.crashed() && !hung.ok());
        assertTrue(hung.describe(java.time.Duration.ofSeconds(5)).startsWith("hung"));
        assertEquals("exit status 3 (bad)", new DriverProcess.Ending(3, false, "bad").describe(java.time.Duration.ofSeconds(1)));
    }
}
