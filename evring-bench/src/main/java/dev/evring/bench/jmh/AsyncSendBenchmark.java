package dev.evring.bench.jmh;

import dev.evring.AsyncWatcher;
import dev.evring.EventLoop;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@link AsyncWatcher#send()} from another thread into a loop running on its own thread: the cost of a send while
 * sends coalesce ({@code send}), and a full round trip, send then wait until the callback ran on the loop's thread
 * ({@code sendAndAwaitCallback}: the wake-up latency of a sleeping loop).
 */
@State(Scope.Benchmark)
public class AsyncSendBenchmark {
    private Thread loopThread;
    private volatile AsyncWatcher watcher;
    private volatile boolean stopping;
    private final AtomicLong callbacks = new AtomicLong();

    @Setup(Level.Trial)
    public void setUp() throws InterruptedException {
        CountDownLatch ready = new CountDownLatch(1);
        loopThread = Thread.ofPlatform().name("evring-loop").start(() -> {
            try (EventLoop loop = EventLoop.open()) {
                AsyncWatcher w = loop.async((a, revents) -> {
                    callbacks.incrementAndGet();
                    if (stopping) loop.breakLoop(EventLoop.Break.ALL);
                });
                w.start();
                watcher = w;
                ready.countDown();
                loop.run();
            }
        });
        ready.await();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
        stopping = true;
        watcher.send();
        loopThread.join(10_000);
    }

    /** One send; most coalesce with one the loop has not consumed yet. */
    @Benchmark
    public void send() {
        watcher.send();
    }

    /** Send, then spin until the loop's thread has run the callback. */
    @Benchmark
    public long sendAndAwaitCallback() {
        long before = callbacks.get();
        watcher.send();
        long now;
        while ((now = callbacks.get()) == before) Thread.onSpinWait();
        return now;
    }
}
