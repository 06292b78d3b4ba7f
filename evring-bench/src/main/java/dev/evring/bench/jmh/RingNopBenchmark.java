package dev.evring.bench.jmh;

import dev.evring.Backend;
import dev.evring.EventLoop;
import dev.evring.internal.LoopAccess;
import dev.evring.uring.CompletionHandler;
import dev.evring.uring.RingOps;
import dev.evring.uring.Sqe;
import dev.evring.uring.UserData;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The ring's own cost per operation: a batch of IORING_OP_NOPs queued through {@link RingOps} (the interface evring's
 * completion I/O uses), submitted and reaped by one loop iteration ({@code runOnce}: one io_uring_enter), each CQE
 * dispatched to a {@link CompletionHandler}. Reported per NOP: the floor under every completion operation.
 * Runs only where the io_uring backend opens (the benchmark fails its setup, saying why, elsewhere).
 */
@State(Scope.Thread)
public class RingNopBenchmark implements CompletionHandler {
    static final int BATCH = 32;

    @Param({"1", "32"})
    public int batch;

    private EventLoop loop;
    private RingOps ring;
    private int tag;
    private int completed;

    @Setup(Level.Trial)
    public void setUp() {
        loop = EventLoop.builder().backend(Backend.IO_URING).open();
        if (!(LoopAccess.get().backend(loop).ringOps() instanceof RingOps r)) {
            throw new IllegalStateException("the io_uring backend does not offer RingOps");
        }
        ring = r;
        tag = ring.registerHandler(this);
        loop.ref(); // NOPs in flight are not watchers: keep run() from returning for lack of them
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        loop.unref();
        loop.close();
    }

    @Override
    public void onCompletion(long userData, int res, int flags) {
        if (res < 0) throw new IllegalStateException("NOP failed: " + res);
        completed++;
    }

    /** Queues {@code batch} NOPs and runs the loop until all came back; the score is per NOP when batch is 32. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int nops() {
        int total = 0;
        for (int round = 0; round < BATCH / batch; round++) {
            completed = 0;
            for (int i = 0; i < batch; i++) {
                long sqe = ring.nextSqe();
                Sqe.prepNop(ring.sqes(), sqe, UserData.pack(tag, i));
            }
            while (completed < batch) loop.runOnce();
            total += completed;
        }
        return total;
    }
}
