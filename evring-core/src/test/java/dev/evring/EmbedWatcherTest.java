package dev.evring;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Embedding on every backend: the variant is the outer loop, and the inner (embedded) one too where its backend can
 * be embedded (poll cannot: its refusal is a test of its own).
 */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.LoopVariants#all")
class EmbedWatcherTest extends LoopTestBase {

    /** The variant's own loop, except on poll, which has no fd to embed: then epoll inside a poll outer loop. */
    EventLoop openInner() {
        return open(variant.backend() == Backend.POLL ? EventLoop.builder().backend(Backend.EPOLL) : builder());
    }

    @Test
    void theInnerLoopsIoWatchersRunFromTheOuterLoop() {
        int[] sp = TestFds.socketpair();
        EventLoop inner = openInner();
        EventLoop outer = open(builder());
        try {
            List<Integer> got = new ArrayList<>();
            IoWatcher r = inner.io(sp[0], Events.READ, (w, ev) -> got.add(TestFds.drain(sp[0])));
            EmbedWatcher e = outer.embed(inner, null);
            e.start();
            r.start(); // started after the embed: the outer prepare phase hands it to the inner backend
            outer.runNoWait();
            assertEquals(List.of(), got);
            TestFds.write(sp[1], (byte) 1, (byte) 2, (byte) 3);
            runUntil(outer, () -> !got.isEmpty(), "the inner watcher ran");
            assertEquals(List.of(3), got);
            assertSame(inner, e.other());
            r.stop();
            e.stop();
        } finally {
            TestFds.close(sp);
        }
    }

    /** The variant as the embedded loop inside an epoll and a poll loop (io_uring with DEFER_TASKRUN included). */
    @Test
    void theVariantRunsEmbeddedInEpollAndPollLoops() {
        if (variant.backend() == Backend.POLL) return; // cannot be embedded: aPollLoopCannotBeEmbedded
        for (Backend outerBackend : new Backend[] {Backend.EPOLL, Backend.POLL}) {
            int[] sp = TestFds.socketpair();
            EventLoop inner = open(builder());
            EventLoop outer = open(EventLoop.builder().backend(outerBackend));
            try {
                List<Integer> got = new ArrayList<>();
                IoWatcher r = inner.io(sp[0], Events.READ, (w, ev) -> got.add(TestFds.drain(sp[0])));
                r.start();
                EmbedWatcher e = outer.embed(inner, null);
                e.start();
                outer.runNoWait();
                TestFds.write(sp[1], (byte) 1, (byte) 2);
                runUntil(outer, () -> !got.isEmpty(), variant + " inside " + outerBackend);
                assertEquals(List.of(2), got);
                r.stop();
                e.stop();
            } finally {
                TestFds.close(sp);
            }
        }
    }

    @Test
    void withACallbackTheOuterLoopOnlySweepsWhenAsked() {
        int[] sp = TestFds.socketpair();
        EventLoop inner = openInner();
        EventLoop outer = open(builder());
        try {
            AtomicInteger innerRuns = new AtomicInteger();
            AtomicInteger embedCalls = new AtomicInteger();
            IoWatcher r = inner.io(sp[0], Events.READ, (w, ev) -> {
                innerRuns.incrementAndGet();
                TestFds.drain(sp[0]);
            });
            r.start();
            EmbedWatcher e = outer.embed(inner, (w, ev) -> {
                assertEquals(Events.EMBED, ev);
                if (embedCalls.incrementAndGet() == 2) w.sweep(); // the second time only
            });
            e.start();
            outer.runNoWait(); // its prepare phase hands r to the inner backend (and sweeps once, as libev's does)
            TestFds.write(sp[1], (byte) 1);
            runUntil(outer, () -> embedCalls.get() >= 1, "the embed callback ran");
            assertEquals(0, innerRuns.get(), "not swept yet");
            runUntil(outer, () -> innerRuns.get() == 1, "swept on the second call");
            r.stop();
            e.stop();
        } finally {
            TestFds.close(sp);
        }
    }

    @Test
    void anAsyncSendToTheInnerLoopWakesTheOuterLoop() throws Exception {
        EventLoop inner = openInner();
        EventLoop outer = open(builder());
        AtomicInteger got = new AtomicInteger();
        AsyncWatcher a = inner.async((w, ev) -> got.incrementAndGet());
        a.start();
        outer.embed(inner, null).start();
        outer.runNoWait();
        CompletableFuture.runAsync(() -> {
            try {
                TimeUnit.MILLISECONDS.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            a.send();
        });
        runUntil(outer, () -> got.get() == 1, "the inner async watcher ran");
        a.stop();
    }

    @Test
    void aStoppedEmbedNoLongerKeepsTheOuterLoopAlive() {
        EventLoop inner = openInner();
        EventLoop outer = open(builder());
        EmbedWatcher e = outer.embed(inner, null);
        e.start();
        assertTrue(e.isActive());
        assertTrue(outer.runNoWait(), "an active embed keeps the outer loop alive");
        e.stop();
        assertFalse(outer.runNoWait());
    }

    @Test
    void closingTheInnerLoopStopsTheEmbedWithAReport() {
        List<Throwable> errors = new ArrayList<>();
        EventLoop inner = openInner();
        EventLoop outer = open(builder().exceptionHandler((w, x) -> errors.add(x)));
        EmbedWatcher e = outer.embed(inner, null);
        e.start();
        inner.close();
        outer.runNoWait();
        assertFalse(e.isActive());
        assertEquals(1, errors.size(), errors.toString());
        assertTrue(errors.get(0).getMessage().contains("closed"), errors.get(0).getMessage());
    }

    @Test
    void aPollLoopCannotBeEmbedded() {
        EventLoop inner = open(EventLoop.builder().backend(Backend.POLL));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> loop.embed(inner, null));
        assertTrue(e.getMessage().contains("poll"), e.getMessage());
    }

    @Test
    void aLoopOfAnotherThreadOrItselfCannotBeEmbedded() throws Exception {
        EventLoop outer = open(builder());
        assertThrows(IllegalArgumentException.class, () -> outer.embed(outer, null));
        assertThrows(IllegalArgumentException.class, () -> outer.embed(null, null));
        CompletableFuture<EventLoop> elsewhere = new CompletableFuture<>();
        CompletableFuture<Void> release = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try (EventLoop l = EventLoop.builder().backend(Backend.EPOLL).open()) {
                elsewhere.complete(l);
                release.join();
            }
        });
        t.start();
        try {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> outer.embed(elsewhere.get(10, TimeUnit.SECONDS), null));
            assertTrue(e.getMessage().contains("thread"), e.getMessage());
        } finally {
            release.complete(null);
            t.join(10_000);
        }
    }
}
