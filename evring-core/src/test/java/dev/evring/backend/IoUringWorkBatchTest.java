package dev.evring.backend;

import dev.evring.EventLoop;
import dev.evring.Events;
import dev.evring.FdLimit;
import dev.evring.LoopStats;
import dev.evring.TestFds;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * With DEFER_TASKRUN the kernel runs at most 20 items of completion work per {@code io_uring_enter} unless the caller
 * asks for more events: a round of 1,000 sockets turning readable while their polls are armed (what an echo server
 * sees at 1,000 connections x 1 message) must be reported in one iteration and a handful of enters, not fifty.
 * On every io_uring variant (without DEFER_TASKRUN the kernel runs the work as it comes, and this holds as well).
 */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.LoopVariants#ioUring")
class IoUringWorkBatchTest extends VariantFixtureTest {
    static final int SOCKETS = 1_000;

    @Test
    void aThousandSocketsTurningReadableTakeOneIterationAndAFewEnters() {
        EventLoop loop = fixture.open(variant);
        int n = Math.min(SOCKETS, FdLimit.reserve(2 * SOCKETS, 2 * SOCKETS) / 2);
        int[][] pairs = new int[n][];
        int[] calls = new int[n];
        for (int i = 0; i < n; i++) {
            int[] sp = fixture.socketpair();
            pairs[i] = sp;
            int index = i;
            loop.io(sp[0], Events.READ, (w, ev) -> {
                TestFds.drain(sp[0]);
                calls[index]++;
            }).start();
        }
        loop.runNoWait(); // every poll armed, nothing ready
        for (int round = 0; round < 5; round++) {
            int[] before = calls.clone();
            for (int[] sp : pairs) TestFds.write(sp[1], (byte) round); // each wakes its armed poll: completion work
            LoopStats s0 = loop.stats();
            loop.runOnce();
            LoopStats s1 = loop.stats();
            int missed = 0;
            for (int i = 0; i < n; i++) if (calls[i] == before[i]) missed++;
            long enters = s1.enterWait() + s1.enterSubmit() - s0.enterWait() - s0.enterSubmit();
            String what = variant + ", round " + round + ": " + enters + " enters, " + (s1.cqesReaped() - s0.cqesReaped())
                    + " CQEs for " + n + " sockets";
            assertEquals(0, missed, missed + " of " + n + " readable sockets not reported in the iteration (" + what + ")");
            assertEquals(1, s1.iterations() - s0.iterations());
            // one wait, one enter that runs the rest, one that finds nothing left; and from round 1 the submits of the
            // 1,000 re-arms of the round before, which fill the 256-entry SQ three times (fifty enters without the fix)
            assertTrue(enters <= 8, what);
            if (round == 4) System.out.println("IoUringWorkBatchTest " + what);
        }
    }
}
