package dev.evring.bench.timers;

import org.junit.jupiter.api.Test;

import java.util.BitSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TimersTest {
    @Test
    void visitOrderIsAPermutation() {
        for (int n : new int[] {1000, 1_000_000}) {
            BitSet seen = new BitSet(n);
            for (int i = 0; i < n; i++) seen.set(TimersDriver.visit(i, n));
            assertEquals(n, seen.cardinality(), "n=" + n);
        }
    }

    @Test
    void timeoutsNeverFallDueDuringARun() {
        for (long i = 0; i < 200_000; i += 997) {
            long t = TimersDriver.afterNanos(i);
            assertTrue(t >= 100_000_000_000L && t < 200_000_000_000L, "timeout " + t);
        }
    }

    @Test
    void everyImplementationStartsPushesBackAndStops() {
        for (TimersDriver.Timers t : new TimersDriver.Timers[] {
                new TimersDriver.EvringTimers(1000), new TimersDriver.StpeTimers(1000), new TimersDriver.WheelTimers(1000)}) {
            try (t) {
                for (int i = 0; i < 1000; i++) t.start(i);
                for (int i = 0; i < 1000; i++) t.again(TimersDriver.visit(i, 1000));
                for (int i = 0; i < 1000; i++) t.stop(i);
            }
        }
    }
}
