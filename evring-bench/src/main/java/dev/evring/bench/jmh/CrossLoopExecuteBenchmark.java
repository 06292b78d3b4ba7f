package dev.evring.bench.jmh;

import dev.evring.Backend;
import dev.evring.EventLoop;
import dev.evring.LoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code execute} from one loop's thread to another loop, evring's {@link LoopGroup} against Netty's
 * {@code MultiThreadIoEventLoopGroup}, each with two loops (threads) on io_uring and on epoll:
 * <ul>
 * <li>{@code burst}: a task on loop A hands {@value #BURST} tasks to loop B, which runs them; per task. What a loop
 * handing work to another pays: a queue insertion per task, and a wakeup per burst where B sleeps.</li>
 * <li>{@code roundTrip}: a task on A hands one to B, which hands one back to A, {@value #TRIPS} times; per round trip.
 * Each hop finds its target asleep (the other side has nothing else to do), so each pays a whole wakeup: the
 * cross-loop latency.</li>
 * </ul>
 * The benchmark's own thread starts an invocation and sleeps until it is done (it does not spin, on a machine that
 * may have just two cores for the two loops). evring wakes a sleeping loop through its eventfd here; where the ring
 * mechanics for IORING_OP_MSG_RING are in, a loop running on io_uring will wake another by a message from its ring.
 */
@State(Scope.Benchmark)
public class CrossLoopExecuteBenchmark {
    static final int BURST = 1_000;
    static final int TRIPS = 1_000;

    @Param({"evring-io_uring", "evring-io_uring-eventfd", "evring-epoll", "netty-io_uring", "netty-epoll"})
    public String impl;

    private AutoCloseable group;
    private Executor a;
    private Executor b;

    /** Loop B's count of burst tasks run (B only); A's count of round trips (A only). */
    private int ranOnB;
    private int trips;
    private volatile boolean done;
    private volatile Thread waiter;

    private final Runnable resetOnB = () -> ranOnB = 0;
    private final Runnable countOnB = () -> {
        if (++ranOnB == BURST) finish();
    };
    private final Runnable burstFromA = () -> {
        for (int i = 0; i < BURST; i++) b.execute(countOnB);
    };
    private final Runnable[] ping = new Runnable[1];
    private final Runnable pongOnB = () -> a.execute(ping[0]);

    private final Runnable startOnA = () -> {
        trips = 0;
        ping[0].run();
    };

    {
        ping[0] = () -> {
            if (++trips > TRIPS) finish();
            else b.execute(pongOnB);
        };
    }

    @Setup(Level.Trial)
    public void setUp() {
        switch (impl) {
            case "evring-io_uring", "evring-io_uring-eventfd", "evring-epoll" -> {
                Backend backend = impl.equals("evring-epoll") ? Backend.EPOLL : Backend.IO_URING;
                EventLoop.Builder loop = EventLoop.builder().backend(backend);
                if (impl.equals("evring-io_uring-eventfd")) loop.option("loop.wakeup_messages", "false");
                LoopGroup g = LoopGroup.builder().loops(2).loop(loop).open();
                group = g;
                a = g.loop(0);
                b = g.loop(1);
            }
            case "netty-io_uring", "netty-epoll" -> {
                IoHandlerFactory factory;
                if (impl.equals("netty-io_uring")) {
                    if (!IoUring.isAvailable()) throw new IllegalStateException("Netty's io_uring transport is not available: " + IoUring.unavailabilityCause());
                    factory = IoUringIoHandler.newFactory();
                } else {
                    if (!Epoll.isAvailable()) throw new IllegalStateException("Netty's epoll transport is not available: " + Epoll.unavailabilityCause());
                    factory = EpollIoHandler.newFactory();
                }
                MultiThreadIoEventLoopGroup g = new MultiThreadIoEventLoopGroup(2, factory);
                group = () -> g.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
                a = g.next();
                b = g.next();
                if (a == b) throw new IllegalStateException("Netty's group gave the same loop twice");
            }
            default -> throw new IllegalArgumentException("impl " + impl);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        if (group instanceof LoopGroup g) {
            g.shutdownGracefully(Duration.ZERO);
            g.awaitTermination(Duration.ofSeconds(10));
        } else if (group != null) {
            group.close();
        }
    }

    private void finish() {
        done = true;
        LockSupport.unpark(waiter);
    }

    private void awaitDone() {
        while (!done) LockSupport.park(this);
    }

    /** A hands {@value #BURST} tasks to B; per task. */
    @Benchmark
    @OperationsPerInvocation(BURST)
    public void burst() {
        done = false;
        waiter = Thread.currentThread();
        b.execute(resetOnB); // queued on B before any task of the burst (A starts it after this call)
        a.execute(burstFromA);
        awaitDone();
    }

    /** A to B and back, {@value #TRIPS} times; per round trip. */
    @Benchmark
    @OperationsPerInvocation(TRIPS)
    public void roundTrip() {
        done = false;
        waiter = Thread.currentThread();
        a.execute(startOnA);
        awaitDone();
    }
}
