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
 * adds exactly one for the whole window. The iowait ticks of {@code /proc/stat} and PSI's io "some" time are shown
 * too, but neither can decide: the ticks count only CPU time left idle while a task waits (a loaded machine has none),
 * and PSI's "some" does not add up when another task is already in iowait on the same CPU. Other processes' I/O adds
 * to every window alike; the medians over the rounds are compared.
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

    /** What the system counted as iowait during one window. */
    record Window(double meanBlocked, long statTicks, long psiMillis) {}

    /** Reads {@code procs_blocked} every few milliseconds while {@link #on}. */
    static final class BlockedSampler implements AutoCloseable {
        final Thread thread;
        volatile boolean on;
        volatile boolean stop;
        long sum;
        long samples;

        BlockedSampler() {
            thread = Thread.ofPlatform().daemon().name("procs_blocked sampler").start(this::run);
        }

        private void run() {
            while (!stop) {
                if (on) {
                    long b = procStat("procs_blocked", 1);
                    synchronized (this) {
                        sum += b;
                        samples++;
                    }
                }
                LockSupport.parkNanos(3_000_000);
            }
        }

        /** Samples while {@code idle} runs; what was counted meanwhile. */
        Window measure(Runnable idle) {
            synchronized (this) {
                sum = 0;
                samples = 0;
            }
            long ticks = procStat("cpu ", 5);
            long psi = psiIoSome();
            on = true;
            idle.run();
            on = false;
            synchronized (this) {
                return new Window(samples == 0 ? 0 : sum / (double) samples, procStat("cpu ", 5) - ticks,
                        psi < 0 ? -1 : (psiIoSome() - psi) / 1000);
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

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    @Test
    void anIdleLoopWithRequestsArmedIsNotIowait() {
        EventLoop on = armedLoop();
        Ring ring = IoUringFixture.backend(on).currentRing();
        assumeTrue(ring.hasFeature(IORING_FEAT_NO_IOWAIT), "this kernel lacks IORING_FEAT_NO_IOWAIT (Linux 6.15)");
        assertTrue(ring.noIowait(), "the backend does not enter with IORING_ENTER_NO_IOWAIT by default");
        EventLoop off = armedLoop("io_uring.no_iowait", "false");
        int rounds = 5;
        long millis = 300;
        EventLoop[] who = {null, on, off};
        Window[][] w = new Window[3][rounds];
        try (BlockedSampler sampler = new BlockedSampler()) {
            for (int i = 0; i < rounds; i++) {
                for (int k = 0; k < 3; k++) {
                    EventLoop l = who[k];
                    w[k][i] = sampler.measure(() -> idle(l, millis));
                }
            }
        }
        double[] excessOn = new double[rounds];
        double[] excessOff = new double[rounds];
        for (int i = 0; i < rounds; i++) {
            excessOn[i] = w[1][i].meanBlocked() - w[0][i].meanBlocked();
            excessOff[i] = w[2][i].meanBlocked() - w[0][i].meanBlocked();
        }
        String[] names = {"machine alone", "loop with NO_IOWAIT", "loop without"};
        StringBuilder figures = new StringBuilder(rounds + " rounds of " + millis + " ms windows:");
        for (int k = 0; k < 3; k++) {
            figures.append("\n  ").append(names[k]).append(": tasks in iowait (mean)");
            for (Window x : w[k]) figures.append(String.format(" %.2f", x.meanBlocked()));
            figures.append("; /proc/stat iowait ticks");
            for (Window x : w[k]) figures.append(' ').append(x.statTicks());
            figures.append("; PSI io some ms");
            for (Window x : w[k]) figures.append(' ').append(x.psiMillis());
        }
        System.out.println("IoWaitTest: " + figures);
        assumeTrue(median(excessOff) >= 0.5, "a loop's iowait is not visible here (the control loop added "
                + median(excessOff) + " tasks in iowait): " + figures);
        assertTrue(median(excessOn) < 0.5, "an idle loop with requests armed counts as iowait: " + figures);
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
