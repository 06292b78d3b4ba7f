package dev.evring;

import dev.evring.linux.Libc;
import dev.evring.linux.SysSignal;
import dev.evring.linux.Unistd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;
import sun.misc.Signal;
import sun.misc.SignalHandler;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Signal watchers on every backend, with real signals sent to the test JVM. SIGUSR2 is free only because the build
 * starts the test JVM with {@code _JAVA_SR_SIGNUM=39} (see evring-core's pom); elsewhere the USR2 tests skip.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.LoopVariants#all")
class SignalWatcherTest extends LoopTestBase {

    static void assumeUsr2IsFree() {
        String why = SignalRegistry.reservedReason(SysSignal.SIGUSR2, System.getenv(SignalRegistry.SR_SIGNUM_ENV));
        assumeTrue(why == null, () -> "SIGUSR2 belongs to HotSpot in this JVM (" + why + ")");
    }

    static void killSelf(int sig) {
        int r = SysSignal.kill(Libc.threadCallState(), Unistd.getpid(), sig);
        assertEquals(0, r, "kill(getpid(), " + sig + ")");
    }

    @Test
    void aRealKillOfTheProcessReachesTheWatcher() {
        assumeUsr2IsFree();
        AtomicInteger got = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        SignalWatcher w = loop.signal("USR2", (x, ev) -> {
            assertEquals(Events.SIGNAL, ev);
            threads.add(Thread.currentThread());
            got.incrementAndGet();
        });
        w.start();
        assertEquals(SysSignal.SIGUSR2, w.signum());
        assertEquals("USR2", w.signalName());
        killSelf(SysSignal.SIGUSR2);
        runUntil(loop, () -> got.get() > 0, "the first USR2");
        assertEquals(List.of(Thread.currentThread()), threads, "the callback ran on the loop's thread, once");
        killSelf(SysSignal.SIGUSR2); // and again: the handler stays installed while the watcher is active
        runUntil(loop, () -> got.get() > 1, "the second USR2");
        w.stop();
    }

    @Test
    void everyLoopWatchingASignalGetsIt() throws Exception {
        assumeUsr2IsFree();
        CountDownLatch otherWatching = new CountDownLatch(1);
        CompletableFuture<Integer> otherGot = new CompletableFuture<>();
        Thread other = new Thread(() -> {
            try (EventLoop loop2 = variant.open()) { // a loop of this thread
                AtomicInteger n = new AtomicInteger();
                SignalWatcher w2 = loop2.signal("SIGUSR2", (x, ev) -> n.incrementAndGet());
                w2.start();
                otherWatching.countDown();
                runUntil(loop2, () -> n.get() > 0, "USR2 in the second loop");
                w2.stop();
                otherGot.complete(n.get());
            } catch (Throwable t) {
                otherWatching.countDown();
                otherGot.completeExceptionally(t);
            }
        }, "second-loop");
        try {
            AtomicInteger a = new AtomicInteger();
            AtomicInteger b = new AtomicInteger();
            SignalWatcher w1 = loop.signal("usr2", (x, ev) -> a.incrementAndGet());
            SignalWatcher w1b = loop.signal("USR2", (x, ev) -> b.incrementAndGet());
            w1.start();
            w1b.start();
            other.start();
            assertTrue(otherWatching.await(10, TimeUnit.SECONDS));
            killSelf(SysSignal.SIGUSR2);
            runUntil(loop, () -> a.get() > 0 && b.get() > 0, "USR2 for both watchers");
            assertEquals(1, otherGot.get(10, TimeUnit.SECONDS), "the loop of the other thread got it too");
            w1.stop();
            w1b.stop();
        } finally {
            other.join(10_000);
        }
    }

    @Test
    void theLastWatcherToStopPutsThePreviousHandlerBack() {
        assumeUsr2IsFree();
        Signal usr2 = new Signal("USR2");
        AtomicInteger probeCalls = new AtomicInteger();
        SignalHandler probe = s -> probeCalls.incrementAndGet();
        SignalHandler original = Signal.handle(usr2, probe);
        try {
            SignalWatcher w1 = loop.signal("USR2", (x, ev) -> {});
            SignalWatcher w2 = loop.signal("USR2", (x, ev) -> {});
            w1.start();
            w2.start();
            w1.stop();
            SignalHandler mid = Signal.handle(usr2, probe);
            assertFalse(mid == probe, "one watcher left: evring's handler is still installed");
            Signal.handle(usr2, mid); // put evring's back
            w2.stop();
            SignalHandler after = Signal.handle(usr2, probe);
            assertSame(probe, after, "the handler from before the first watcher is back");
        } finally {
            Signal.handle(usr2, original);
        }
        assertEquals(0, probeCalls.get());
    }

    @Test
    void closingTheLoopLeavesTheSignalAndRestoresTheHandler() {
        assumeUsr2IsFree();
        Signal usr2 = new Signal("USR2");
        SignalHandler probe = s -> {};
        SignalHandler original = Signal.handle(usr2, probe);
        try {
            EventLoop loop = open(builder()); // closed by the test itself
            loop.signal("USR2", (x, ev) -> {}).start();
            loop.close();
            assertSame(probe, Signal.handle(usr2, probe), "closing with an active watcher restores the handler");
        } finally {
            Signal.handle(usr2, original);
        }
    }

    @Test
    void feedSignalDeliversToEveryWatchingLoopWithoutAKill() {
        AtomicInteger got = new AtomicInteger();
        SignalWatcher w = loop.signal("WINCH", (x, ev) -> got.incrementAndGet());
        w.start();
        EventLoop.feedSignal("SIGWINCH"); // as the JVM's signal thread would: through the wakeup
        runUntil(loop, () -> got.get() == 1, "the fed WINCH");
        loop.feedSignalEvent("WINCH"); // straight into this loop's pending queue
        loop.runNoWait();
        assertEquals(2, got.get());
        w.stop();
    }

    @Test
    void signalsTheJvmKeepsAreRefusedSayingWhy() {
        for (String name : new String[] {"SEGV", "BUS", "FPE", "ILL", "QUIT", "KILL", "STOP", "PIPE", "XFSZ"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> loop.signal(name, (x, ev) -> {}), name);
            assertTrue(e.getMessage().startsWith("cannot watch SIG" + name + ": "), e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> loop.signal("NOPE", (x, ev) -> {}));
        assertTrue(e.getMessage().contains("\"NOPE\""), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> loop.signal(null, (x, ev) -> {}));
    }

    @Test
    void hotSpotsSuspendResumeSignalIsRefusedUnlessMoved() {
        String reason = SignalRegistry.reservedReason(SysSignal.SIGUSR2, null);
        assertNotNull(reason, "USR2 is HotSpot's by default");
        assertTrue(reason.contains("_JAVA_SR_SIGNUM"), reason);
        assertNull(SignalRegistry.reservedReason(SysSignal.SIGUSR2, "39"));
        assertNotNull(SignalRegistry.reservedReason(39, "39"));
        assertNotNull(SignalRegistry.reservedReason(SysSignal.SIGUSR2, "7"), "HotSpot refuses 7 and keeps USR2");
        assertNotNull(SignalRegistry.reservedReason(SysSignal.SIGUSR2, "x"));
        assertNull(SignalRegistry.reservedReason(SysSignal.SIGTERM, null));
        assertNull(SignalRegistry.reservedReason(SysSignal.SIGWINCH, null));
    }
}
