package dev.evring;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** libev's ev_once on every backend: fd or timeout, whichever first, exactly once. */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.LoopVariants#all")
class OnceTest extends LoopTestBase {

    @Test
    void aReadyFdWinsOverTheTimeout() {
        int[] sp = TestFds.socketpair();
        ManualClock clock = new ManualClock();
        EventLoop loop = open(builder().clock(clock));
        try {
            List<Integer> calls = new ArrayList<>();
            loop.once(sp[0], Events.READ, Duration.ofSeconds(1), calls::add);
            TestFds.write(sp[1], (byte) 1);
            loop.runNoWait();
            assertEquals(List.of(Events.READ), calls);
            clock.advance(TimeUnit.SECONDS.toNanos(2));
            assertFalse(loop.runNoWait(), "both watchers are gone: nothing keeps the loop alive");
            assertEquals(List.of(Events.READ), calls, "the timeout does not fire afterwards");
        } finally {
            TestFds.close(sp);
        }
    }

    @Test
    void theTimeoutWinsOverAnIdleFd() {
        int[] sp = TestFds.socketpair();
        ManualClock clock = new ManualClock();
        EventLoop loop = open(builder().clock(clock));
        try {
            List<Integer> calls = new ArrayList<>();
            loop.once(sp[0], Events.READ, Duration.ofMillis(10), calls::add);
            loop.runNoWait();
            assertEquals(List.of(), calls);
            clock.advanceMillis(11);
            loop.runNoWait();
            assertEquals(List.of(Events.TIMER), calls);
            TestFds.write(sp[1], (byte) 1);
            assertFalse(loop.runNoWait());
            assertEquals(List.of(Events.TIMER), calls, "the fd does not fire afterwards");
        } finally {
            TestFds.close(sp);
        }
    }

    @Test
    void onlyAnFdOrOnlyATimeoutWorkToo() {
        int[] sp = TestFds.socketpair();
        try {
            List<Integer> calls = new ArrayList<>();
            loop.once(sp[0], Events.WRITE, null, calls::add); // writable at once
            loop.once(-1, 0, Duration.ofMillis(1), calls::add);
            loop.run();
            assertTrue(calls.containsAll(List.of(Events.WRITE, Events.TIMER)) && calls.size() == 2, calls.toString());
        } finally {
            TestFds.close(sp);
        }
    }

    /** Issue 9 defect 9: a timeout already past is due at once, as libev's. */
    @Test
    void aNegativeTimeoutFiresAtTheNextIteration() {
        List<Integer> got = new ArrayList<>();
        loop.once(-1, 0, Duration.ofSeconds(-1), got::add);
        loop.runNoWait();
        assertEquals(List.of(Events.TIMER), got);
    }

    @Test
    void badArgumentsAreRefusedByValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> loop.once(-1, 0, null, ev -> {}));
        assertTrue(e.getMessage().contains("fd -1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> loop.once(0, 0, null, ev -> {}));
        assertThrows(IllegalArgumentException.class, () -> loop.once(-1, 0, Duration.ZERO, null));
    }
}
