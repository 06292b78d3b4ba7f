package dev.evring.backend;

import dev.evring.Events;
import dev.evring.EventLoop;
import dev.evring.LoopVariant;
import dev.evring.LoopVariants;
import dev.evring.internal.LoopAccess;
import dev.evring.TestFds;
import dev.evring.uring.Ring;
import dev.evring.uring.RingFaults;
import dev.evring.uring.RingOps;
import dev.evring.uring.Sqe;
import dev.evring.uring.UserData;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.locks.LockSupport;

import static dev.evring.linux.IoUring.IORING_FEAT_NO_IOWAIT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * An idle loop with receives armed is not counted as iowait (IORING_ENTER_NO_IOWAIT, 6.15). Without the flag the
 * kernel marks a task sleeping in io_uring_enter as in iowait whenever it has requests in flight (io_uring.c,
 * {@code current_pending_io()}), and an idle evring loop always has some: its wakeup read, its polls, the receives of
 * its connections.
 *
 * <p>Measured over idle windows of a loop with the flag (the default), alternating with the same loop without it
 * ({@code io_uring.no_iowait=false}: the control, which shows this machine lets a loop's iowait be seen) and with a
 * plain sleep (the machine alone). In each window a sampler thread reads {@code procs_blocked} of {@code /proc/stat},
 * the number of tasks in iowait at that instant (the kernel's {@code nr_iowait()}, vmstat's "b"): a loop in iowait
 * adds exactly one for the whole window, so it raises the window's minimum. The iowait ticks of {@code /proc/stat} and
 * PSI's io "some" time are shown too, but neither can decide: the ticks count only CPU time left idle while a task
 * waits (a loaded machine has none), and PSI's "some" does not add up when another task is already in iowait on the
 * same CPU.
 */
class IoWaitTest {
    final IoUringFixture fixture = new IoUringFixture();

    @AfterEach
    void close() {
        fixture.close();
    }

    /** Receives armed per loop: enough that the kernel's count of requests in flight is never read as 0. */
    static final int RECEIVES = 64;

    /** A loop with an io watcher's poll, {@link #RECEIVES} ring receives and its wakeup read armed. */
    EventLoop armedLoop(String... options) {
        EventLoop loop = fixture.open(LoopVariants.ioUring().getFirst(), options);
        int[] sp = fixture.socketpair();
        int[] sp2 = fixture.socketpair();
        loop.io(sp[0], Events.READ, (w, ev) -> fail("nothing was written")).start();
        RingOps ring = LoopAccess.get().backend(loop).ringOps();
        int tag = ring.registerHandler((u, r, f) -> fail("nothing was written"));
        MemorySegment buf = Arena.ofAuto().allocate(64);
        for (int i = 0; i < RECEIVES; i++) Sqe.prepRecv(ring.sqes(), ring.nextSqe(), sp2[0], buf, 0, 64, 0, UserData.pack(tag, i));
        loop.runNoWait(); // submits the poll and the receives: requests in flight from now on
        return loop;
    }

    /** What the system counted as iowait during one window: the fewest tasks in iowait at once, ticks, PSI time. */
    record Window(long minBlocked, long statTicks, long psiMicros) {}

    /** Reads {@code procs_blocked} every few milliseconds while {@link #on}, keeping the window's minimum. */
    static final class BlockedSampler implements AutoCloseable {
        final Thread thread;
        volatile boolean on;
        volatile boolean stop;
        long min;
        long samples;

        BlockedSampler() {
            thread = Thread.ofPlatform().daemon().name("procs_blocked sampler").start(this::run);
        }

        private void run() {
            while (!stop) {
                if (on) {
                    long b = procStat("procs_blocked", 1);
                    synchronized (this) {
                        min = Math.min(min, b);
                        samples++;
                    }
                }
                LockSupport.parkNanos(2_000_000);
            }
        }

        /** Samples while {@code idle} runs; what was counted meanwhile. */
        Window measure(Runnable idle) {
            synchronized (this) {
                min = Long.MAX_VALUE;
                samples = 0;
            }
            long ticks = procStat("cpu ", 5);
            long psi = psiIoSome();
            on = true;
            idle.run();
            on = false;
            synchronized (this) {
                return new Window(samples == 0 ? -1 : min, procStat("cpu ", 5) - ticks, psi < 0 ? -1 : psiIoSome() - psi);
            }
        }

        @Override
        public void close() {
            stop = true;
            LockSupport.unpark(thread);
        }
    }

    /** Field {@code index} (0: the name) of the first line of /proc/stat starting with {@code prefix}. */
    static long procStat(String prefix, int index) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/stat"))) {
                if (line.startsWith(prefix)) return Long.parseLong(line.trim().split("\\s+")[index]);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        throw new IllegalStateException("/proc/stat has no " + prefix.trim() + " line");
    }

    /** PSI's io "some" total in microseconds, or -1 on a kernel without PSI. */
    static long psiIoSome() {
        try {
            String first = Files.readAllLines(Path.of("/proc/pressure/io")).getFirst(); // some avg10=.. total=N
            return Long.parseLong(first.substring(first.indexOf("total=") + 6).trim());
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Lets {@code loop} idle, blocked in its wait, for {@code millis}; a plain sleep (not iowait) when null. */
    static void idle(EventLoop loop, long millis) {
        if (loop == null) {
            LockSupport.parkNanos(millis * 1_000_000);
            return;
        }
        loop.updateNow(); // the loops take turns on this thread: each one's cached time is a window behind
        loop.timer(Duration.ofMillis(millis), Duration.ZERO, (w, ev) -> loop.breakLoop(EventLoop.Break.ALL)).start();
        loop.run();
    }

    @Test
    void anIdleLoopWithRequestsArmedIsNotIowait() {
        EventLoop on = armedLoop();
        Ring ring = IoUringFixture.backend(on).currentRing();
        assumeTrue(ring.hasFeature(IORING_FEAT_NO_IOWAIT), "this kernel lacks IORING_FEAT_NO_IOWAIT (Linux 6.15)");
        assertTrue(ring.noIowait(), "the backend does not enter with IORING_ENTER_NO_IOWAIT by default");
        EventLoop off = armedLoop("io_uring.no_iowait", "false");
        // Short windows in quick turns (the machine alone, the loop with the flag, the loop without), so that other
        // processes' iowait, which comes and goes, falls on the three alike. A loop in iowait is one more task for its
        // whole window: it raises the window's minimum by one, which bursts of other tasks do not fake.
        int cycles = 30;
        long millis = 60;
        EventLoop[] who = {null, on, off};
        long[] raised = new long[3]; // cycles where a window's minimum was above the machine-alone window's
        long[] ticks = new long[3];
        long[] psi = new long[3];
        StringBuilder minima = new StringBuilder();
        try (BlockedSampler sampler = new BlockedSampler()) {
            for (int i = 0; i < cycles; i++) {
                Window[] w = new Window[3];
                for (int k = 0; k < 3; k++) {
                    EventLoop l = who[k];
                    w[k] = sampler.measure(() -> idle(l, millis));
                    ticks[k] += w[k].statTicks();
                    psi[k] += w[k].psiMicros();
                }
                for (int k = 1; k < 3; k++) if (w[k].minBlocked() > w[0].minBlocked()) raised[k]++;
                minima.append(' ').append(w[0].minBlocked()).append('/').append(w[1].minBlocked()).append('/').append(w[2].minBlocked());
            }
        }
        String figures = cycles + " cycles of three " + millis + " ms windows (machine alone / loop with NO_IOWAIT / loop"
                + " without): windows whose fewest tasks in iowait were above the machine alone's: with NO_IOWAIT "
                + raised[1] + ", without " + raised[2] + "; /proc/stat iowait ticks " + ticks[0] + " / " + ticks[1] + " / "
                + ticks[2] + "; PSI io some ms " + psi[0] / 1000 + " / " + psi[1] / 1000 + " / " + psi[2] / 1000
                + "\n  minima:" + minima;
        System.out.println("IoWaitTest: " + figures);
        assumeTrue(raised[2] >= cycles / 3, "a loop's iowait is not visible here (the control loop showed in "
                + raised[2] + " of " + cycles + " cycles): " + figures);
        assertTrue(raised[1] <= raised[2] / 2, "an idle loop with requests armed counts as iowait: " + figures);
    }

    @Test
    void everyIoUringPathEntersWithNoIowaitWhereTheKernelHasIt() {
        for (LoopVariant v : LoopVariants.ioUring()) {
            if (v.unsupported().get().isPresent()) continue;
            EventLoop loop = fixture.open(v);
            Ring ring = IoUringFixture.backend(loop).currentRing();
            assertEquals(ring.hasFeature(IORING_FEAT_NO_IOWAIT), ring.noIowait(), v.name());
            assertTrue(loop.backendDetails().contains("NO_IOWAIT"), loop.backendDetails());
        }
        EventLoop off = fixture.open(LoopVariants.ioUring().getFirst(), "io_uring.no_iowait", "false");
        assertTrue(!IoUringFixture.backend(off).currentRing().noIowait());
    }

    @Test
    void aKernelWithoutNoIowaitGetsNoFlagAndWaitsAsBefore() {
        // Before 6.15 io_uring_enter rejects the unknown flag with EINVAL: every wait would fail.
        RingFaults.withoutFeatures(IORING_FEAT_NO_IOWAIT);
        EventLoop loop = fixture.open(LoopVariants.ioUring().getFirst());
        assertTrue(!IoUringFixture.backend(loop).currentRing().noIowait());
        int[] sp = fixture.socketpair();
        int[] got = {0};
        loop.io(sp[0], Events.READ, (w, ev) -> {
            got[0]++;
            w.stop();
        }).start();
        loop.timer(Duration.ofMillis(20), Duration.ZERO, (w, ev) -> TestFds.write(sp[1], (byte) 1)).start();
        loop.run(); // waits 20 ms, then for the byte
        assertEquals(1, got[0]);
        assertTrue(loop.backendDetails().lines().anyMatch(l -> l.contains("NO_IOWAIT") && l.contains(" no ")), loop.backendDetails());
    }
}
