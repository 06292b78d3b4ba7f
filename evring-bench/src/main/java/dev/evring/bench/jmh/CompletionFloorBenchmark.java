package dev.evring.bench.jmh;

import dev.evring.Backend;
import dev.evring.EventLoop;
import dev.evring.net.AsyncFile;
import dev.evring.net.Buffer;
import dev.evring.net.Net;
import dev.evring.net.ReadCallback;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.nio.file.Path;

/**
 * The floor under every completion operation, through evring's public API: batches of 1 and 32 reads of 64 bytes
 * from {@code /dev/zero} ({@link AsyncFile#read}, a kernel read that does next to nothing), started, then completed
 * by loop iterations ({@code runOnce}) that submit and reap them and run each callback. Reported per read. On
 * io_uring a batch is one io_uring_enter (IORING_OP_READ, done inline: /dev/zero never blocks); on epoll the same
 * calls run as pread(2) when started and report from the loop, the path every completion operation takes there.
 * Fails its setup, saying why, where the backend does not open.
 */
@State(Scope.Thread)
public class CompletionFloorBenchmark implements ReadCallback {
    static final int OPS = 32;
    static final int READ_SIZE = 64;

    @Param({"1", "32"})
    public int batch;

    @Param({"io_uring", "epoll"})
    public String backend;

    private EventLoop loop;
    private Net net;
    private AsyncFile zero;
    private int completed;

    @Setup(Level.Trial)
    public void setUp() {
        loop = EventLoop.builder().backend(Backend.parse(backend)).open();
        net = Net.builder(loop).buffers(2 * OPS, READ_SIZE).open();
        zero = net.openFile(Path.of("/dev/zero"));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        loop.close();
    }

    @Override
    public void onRead(AsyncFile file, Buffer data, int status) {
        data.release();
        if (status != READ_SIZE) throw new IllegalStateException("read of /dev/zero returned " + status);
        completed++;
    }

    /** Starts {@code batch} reads and runs the loop until all came back, 32 reads in all. */
    @Benchmark
    @OperationsPerInvocation(OPS)
    public int reads() {
        int total = 0;
        for (int round = 0; round < OPS / batch; round++) {
            completed = 0;
            for (int i = 0; i < batch; i++) zero.read(0, net.allocate(), this);
            while (completed < batch) loop.runOnce();
            total += completed;
        }
        return total;
    }
}
