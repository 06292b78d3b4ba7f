package dev.evring;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link EventLoop#stats()}: what a known workload shows (iterations, time waiting and working, callbacks, tasks,
 * the backend's system calls, SQEs and CQEs), on every backend; the same figures from another thread and after close;
 * and what taking a snapshot allocates.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.LoopVariants#all")
class LoopStatsTest extends LoopTestBase {

    @Test
    void aKnownWorkloadIsCounted() {
        int[] sp = socketpair();
        int[] reads = {0};
        loop.io(sp[0], Events.READ, (w, ev) -> {
            TestFds.drain(sp[0]);
            reads[0]++;
        }).start();
        loop.runNoWait();
        LoopStats before = loop.stats();
        for (int i = 0; i < 10; i++) {
            TestFds.write(sp[1], (byte) i);
            int want = i + 1;
            runUntil(() -> reads[0] == want);
        }
        int[] ran = {0};
        for (int i = 0; i < 5; i++) loop.execute(() -> ran[0]++);
        runUntil(() -> ran[0] == 5);
        // a wait of about 30 ms, then a callback that works for about 30 ms
        boolean[] done = {false};
        loop.updateNow();
        loop.timer(Duration.ofMillis(30), Duration.ZERO, (w, ev) -> {
            long end = System.nanoTime() + 30_000_000L;
            while (System.nanoTime() < end) Thread.onSpinWait();
            done[0] = true;
        }).start();
        runUntil(() -> done[0]);
        loop.runNoWait(); // one more wait, which ends the worker's work time
        LoopStats after = loop.stats();

        assertEquals(loop.backend(), after.backend());
        assertEquals(loop.iteration(), after.iterations());
        assertTrue(after.iterations() - before.iterations() >= 11, after.toString());
        assertTrue(after.callbacks() - before.callbacks() >= 10 + 1 + 1, "10 reads, a task batch, the timer: " + after);
        assertEquals(5, after.tasksExecuted() - before.tasksExecuted(), after.toString());
        assertEquals(0, after.tasksQueued());
        assertTrue(after.waitNanos() - before.waitNanos() >= 20_000_000L, "waited for the timer: " + after);
        assertTrue(after.workNanos() - before.workNanos() >= 30_000_000L, "worked in the timer's callback: " + after);
        switch (loop.backend()) {
            case IO_URING -> {
                // a read's CQE may be in the CQ before the loop polls (posted when the writing thread left write(2)):
                // that poll reaps it without a wait, or without any enter; the timer's wait is always an enter
                assertTrue(after.enterWait() - before.enterWait() >= 1, "the timer's wait: " + after);
                assertEquals(after.enterWait() + after.enterSubmit(), after.systemCalls(), after.toString());
                assertTrue(after.sqesSubmitted() - before.sqesSubmitted() >= 10, "a re-armed poll per read: " + after);
                assertTrue(after.cqesReaped() - before.cqesReaped() >= 10, after.toString());
                assertEquals(after.cqesReaped(), after.cqesBackend() + after.cqesHandlers() + after.cqesStray(), after.toString());
            }
            case EPOLL -> {
                assertTrue(after.epollWaits() - before.epollWaits() >= 11, after.toString());
                assertTrue(after.epollEvents() - before.epollEvents() >= 10, after.toString());
                assertEquals(0, after.enterWait() + after.enterSubmit() + after.sqesSubmitted() + after.cqesReaped());
            }
            case POLL -> {
                assertTrue(after.pollCalls() - before.pollCalls() >= 11, after.toString());
                assertTrue(after.pollEvents() - before.pollEvents() >= 10, after.toString());
            }
        }
        assertEquals(0, after.cqOverflows() + after.ringRebuilds() + after.movesToEpoll(), after.toString());
    }

    @Test
    void anotherThreadReadsTheSameFiguresAlsoAfterClose() throws Exception {
        int[] ran = {0};
        loop.execute(() -> ran[0]++);
        runUntil(() -> ran[0] == 1);
        LoopStats here = loop.stats();
        LoopStats there = CompletableFuture.supplyAsync(loop::stats).get(10, TimeUnit.SECONDS);
        assertEquals(here, there, "the loop is idle: nothing moved between the two");

        loop.close();
        AtomicReference<LoopStats> closed = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> closed.set(loop.stats()));
        t.join(10_000);
        assertEquals(here.iterations(), closed.get().iterations());
        assertEquals(here.tasksExecuted(), closed.get().tasksExecuted());
        assertEquals(here.systemCalls(), closed.get().systemCalls());
        assertEquals(here, loop.stats(), "after close, on the loop's thread too");
    }

    @Test
    void aSnapshotOnTheLoopThreadAllocatesOnlyTheRecord() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long sink = 0;
        for (int i = 0; i < 20_000; i++) sink += loop.stats().iterations(); // warm up (and let C2 have it)
        int n = 10_000;
        long before = mx.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < n; i++) sink += loop.stats().cqesReaped();
        long perCall = (mx.getCurrentThreadAllocatedBytes() - before) / n;
        // the record: a header, one reference, one int and 26 longs (about 232 bytes); not the 168-byte array as well
        assertTrue(perCall <= 240, perCall + " bytes per stats() (" + sink + ")");
    }
}
