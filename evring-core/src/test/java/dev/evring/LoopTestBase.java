package dev.evring;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.Parameter;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * What every behavioural test of the loop shares: the variant under test (a subclass declares
 * {@code @ParameterizedClass(name = "{0}") @MethodSource("dev.evring.LoopVariants#all")}), a loop opened on it before
 * each test and closed after, further loops and fds closed after the test, and waiting for the outside world.
 *
 * <p>Callbacks' exceptions are collected in {@link #thrown}; a test fails at its end if any arrived, unless it set
 * {@link #callbacksMayThrow} (and then checks {@link #thrown} itself).
 */
public abstract class LoopTestBase {
    @Parameter
    public LoopVariant variant;

    /** The test's loop, on the variant; null only when the variant was skipped. */
    protected EventLoop loop;
    /** What callbacks threw, in order, with the source the loop reported. */
    protected final List<Throwable> thrown = new ArrayList<>();
    protected final List<Object> thrownSources = new ArrayList<>();
    /** Set by a test whose callbacks throw on purpose. */
    protected boolean callbacksMayThrow;
    private final List<EventLoop> loops = new ArrayList<>();
    private final List<Integer> fds = new ArrayList<>();

    @BeforeEach
    final void openTestLoop() {
        loop = open(builder());
    }

    @AfterEach
    final void closeTestLoops() {
        try {
            for (int i = loops.size() - 1; i >= 0; i--) {
                EventLoop l = loops.get(i);
                if (!l.isClosed()) l.close();
            }
        } finally {
            for (int fd : fds) TestFds.close(fd);
        }
        if (!thrown.isEmpty() && !callbacksMayThrow) {
            throw new AssertionError("callbacks threw " + thrown.size() + " exception(s) on " + variant, thrown.get(0));
        }
    }

    /** A builder for the variant whose exception handler records into {@link #thrown}. */
    protected EventLoop.Builder builder() {
        return variant.builder().exceptionHandler((source, e) -> {
            thrownSources.add(source);
            thrown.add(e);
        });
    }

    /** Opens a further loop (of this thread), closed after the test. */
    protected EventLoop open(EventLoop.Builder b) {
        EventLoop l = b.open();
        loops.add(l);
        return l;
    }

    /** A socketpair closed after the test. */
    protected int[] socketpair() {
        int[] sp = TestFds.socketpair();
        fds.add(sp[0]);
        fds.add(sp[1]);
        return sp;
    }

    /** Closes {@code fd} after the test. */
    protected int closeAfter(int fd) {
        fds.add(fd);
        return fd;
    }

    /** Closes {@code fd} now (it will not be closed again after the test). */
    protected void closeNow(int fd) {
        fds.remove(Integer.valueOf(fd));
        TestFds.close(fd);
    }

    /** A pipe (read end, write end) closed after the test. */
    protected int[] pipe() {
        int[] p = TestFds.pipe();
        fds.add(p[0]);
        fds.add(p[1]);
        return p;
    }

    /** {@link #runUntil(EventLoop, BooleanSupplier, String)} on the test's loop. */
    protected void runUntil(BooleanSupplier done) {
        runUntil(loop, done, "the awaited event");
    }

    /** {@link #runUntil(EventLoop, BooleanSupplier, String)} on the test's loop. */
    protected void runUntil(BooleanSupplier done, String what) {
        runUntil(loop, done, what);
    }

    /**
     * Runs {@code loop} one iteration at a time until {@code done}, failing after 10 seconds (an event that never
     * comes must fail the test, not hang the build); a 10 ms safety timer keeps each iteration from blocking for long
     * (and the loop alive while the test waits for something that is no watcher).
     */
    public static void runUntil(EventLoop loop, BooleanSupplier done, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        TimerWatcher guard = loop.timer(10_000_000L, 10_000_000L, (w, ev) -> {});
        guard.start();
        try {
            while (!done.getAsBoolean()) {
                if (System.nanoTime() > deadline) fail("timed out after 10 s waiting for " + what + " on " + loop);
                loop.runOnce();
            }
        } finally {
            guard.stop();
        }
    }

    /** {@link #runUntil(EventLoop, BooleanSupplier, String)} without saying what was awaited. */
    public static void runUntil(EventLoop loop, BooleanSupplier done) {
        runUntil(loop, done, "the awaited event");
    }
}
