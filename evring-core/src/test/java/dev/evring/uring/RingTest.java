package dev.evring.uring;

import dev.evring.ErrnoException;
import dev.evring.TestFds;
import dev.evring.linux.Libc;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static dev.evring.linux.IoUring.*;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The ring's mechanics, without a loop: setup, mappings, SQ and CQ bookkeeping, close. */
class RingTest {
    static final int ALL_FLAGS = IORING_SETUP_CLAMP | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN
            | IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_NO_SQARRAY;

    static Ring open(int sq, int cq, int flags, boolean single) {
        try {
            return Ring.open(new Ring.Config(sq, cq, flags, single, true), Libc.threadCallState());
        } catch (ErrnoException e) {
            assumeTrue(false, "io_uring unavailable: " + e.getMessage());
            throw e;
        }
    }

    static void nop(Ring ring, long payload) {
        long sqe = ring.nextSqe();
        Sqe.prepNop(ring.sqes(), sqe, UserData.pack(20, payload));
    }

    static List<Long> reapPayloads(Ring ring) {
        List<Long> out = new ArrayList<>();
        ring.reap((ud, res, flags) -> out.add(UserData.payload(ud)));
        return out;
    }

    @ParameterizedTest(name = "single mmap {0}")
    @ValueSource(booleans = {true, false})
    void setsUpMapsSubmitsReapsAndCloses(boolean single) {
        int fds = TestFds.openFdCount();
        int maps = TestFds.mappingCount();
        Ring ring = open(8, 32, ALL_FLAGS, single);
        assertEquals(8, ring.sqEntries());
        assertEquals(32, ring.cqEntries(), "the CQ is sized on its own (CQSIZE)");
        assertEquals(single && ring.hasFeature(IORING_FEAT_SINGLE_MMAP), ring.singleMmap());
        for (int i = 0; i < 20; i++) nop(ring, i); // more than the SQ holds: nextSqe submits as it fills
        assertEquals(4, ring.flush(), "the last four are still queued");
        assertEquals(4, ring.submit(true));
        assertEquals(20, ring.cqCount());
        List<Long> got = reapPayloads(ring);
        assertEquals(20, got.size());
        for (int i = 0; i < 20; i++) assertEquals(i, got.get(i));
        MemorySegment sqes = ring.sqes();
        ring.close();
        ring.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> sqes.get(JAVA_BYTE, 0), "a segment of a closed ring must not reach unmapped memory");
        assertEquals(fds, TestFds.openFdCount());
        assertTrue(TestFds.mappingCount() <= maps + 2, "mappings left behind");
    }

    @Test
    void claimSqeSaysWhenTheQueueIsFull() {
        try (Ring ring = open(4, 0, IORING_SETUP_CLAMP, true)) {
            for (int i = 0; i < 4; i++) assertTrue(ring.claimSqe() >= 0);
            assertEquals(-1, ring.claimSqe());
            assertEquals(0, ring.sqSpace());
            assertThrows(IllegalArgumentException.class, () -> ring.reserve(5));
            ring.reserve(4); // submits the four claimed ones (zeroed entries: NOPs) to make room
            assertEquals(4, ring.sqSpace());
        }
    }

    @Test
    void stashedCompletionsAreDeliveredFirstAndInOrder() {
        try (Ring ring = open(8, 16, ALL_FLAGS, true)) {
            for (int i = 0; i < 5; i++) nop(ring, i);
            ring.submit(true);
            ring.stash(); // what the ring does when the kernel says EBUSY: make room without running handlers
            assertEquals(0, ring.cqCount());
            assertTrue(ring.cqReady(), "stashed completions count as ready");
            for (int i = 5; i < 10; i++) nop(ring, i);
            ring.submit(true);
            assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L), reapPayloads(ring));
        }
    }

    @Test
    void aSinkThatSubmitsAndStashesWhileReapingKeepsTheOrder() {
        try (Ring ring = open(8, 64, ALL_FLAGS, true)) {
            for (int i = 0; i < 6; i++) nop(ring, i);
            ring.submit(true);
            List<Long> order = new ArrayList<>();
            ring.reap((ud, res, flags) -> {
                long p = UserData.payload(ud);
                order.add(p);
                if (p == 1) {
                    nop(ring, 100);
                    ring.submit(true);
                    ring.stash(); // moves 2..5 and 100 aside while 1 is being handled
                }
            });
            assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 100L), order);
        }
    }

    @Test
    void refusedSetupFlagsAreDroppedAndWhatWasAcceptedIsRecorded() {
        try (Ring ring = open(8, 0, ALL_FLAGS, true)) {
            int accepted = ring.setupFlags();
            assertEquals(0, accepted & ~ALL_FLAGS, "flags we never asked for");
            if ((accepted & IORING_SETUP_DEFER_TASKRUN) != 0) {
                assertTrue((accepted & IORING_SETUP_SINGLE_ISSUER) != 0, "DEFER_TASKRUN without SINGLE_ISSUER");
            }
            assertTrue(ring.opcodeSupported(IORING_OP_POLL_ADD) || !ring.probeAvailable());
        }
    }
}
