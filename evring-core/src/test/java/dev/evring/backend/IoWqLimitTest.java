package dev.evring.backend;

import dev.evring.EventLoop;
import dev.evring.LoopVariants;
import dev.evring.TestFds;
import dev.evring.internal.LoopAccess;
import dev.evring.linux.Fcntl;
import dev.evring.uring.Ring;
import dev.evring.uring.RingOps;
import dev.evring.uring.Sqe;
import dev.evring.uring.UserData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static dev.evring.linux.IoUring.IOSQE_ASYNC;
import static dev.evring.linux.IoUring.IO_WQ_BOUND;
import static dev.evring.linux.IoUring.IO_WQ_UNBOUND;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The io-wq workers of a loop are bounded ({@code io_uring.iowq_max_workers}, IORING_REGISTER_IOWQ_MAX_WORKERS). Reads
 * of a file that is not in the page cache, forced to workers (IOSQE_ASYNC), start at most the bound: io-wq starts
 * another worker whenever one sleeps (here, waiting for the disk) while reads are queued. Without a bound (the
 * control) the kernel starts more. Workers are threads of this process named
 * {@code iou-wrk-<tid>} after the task whose io-wq they serve, so each case runs its loop on a thread of its own and
 * counts that thread's workers.
 */
class IoWqLimitTest {
    static final int READS = 256;
    static final int CHUNK = 16 * 1024;

    @TempDir
    Path dir;

    /** The native thread id of the calling thread ({@code /proc/thread-self} is {@code <pid>/task/<tid>}). */
    static String tid() throws IOException {
        return Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString();
    }

    /** Threads of this process named {@code iou-wrk-<tid>}: the io-wq workers of thread {@code tid}. */
    static int workersOf(String tid) {
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            return (int) tasks.filter(t -> {
                try {
                    return Files.readString(t.resolve("comm")).trim().equals("iou-wrk-" + tid);
                } catch (IOException e) {
                    return false; // the thread ended meanwhile
                }
            }).count();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** What one loop did: the most workers seen at once, and the ring's view of the limits. */
    record Run(int maxWorkers, int limitResult, int kernelBounded, String details) {}

    /**
     * On a fresh thread (a fresh io-wq), a loop with {@code io_uring.iowq_max_workers=limit} reads {@code file} in
     * {@link #READS} chunks, every read forced to a worker; the workers of that thread are counted while they run.
     */
    static Run readThroughWorkers(Path file, String limit) throws Exception {
        AtomicReference<Object> out = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> {
            try (EventLoop loop = LoopVariants.ioUring().getFirst().builder().option("io_uring.iowq_max_workers", limit).open();
                 Arena arena = Arena.ofConfined()) {
                String tid = tid();
                int fd = TestFds.openFile(file);
                try {
                    // Out of the page cache (the file was synced): each read waits for the disk, in its worker, and
                    // the io-wq starts another worker for the reads still queued while that one sleeps.
                    assertEquals(0, Fcntl.posixFadvise(fd, 0, 0, Fcntl.POSIX_FADV_DONTNEED));
                    assertEquals(0, Fcntl.posixFadvise(fd, 0, 0, Fcntl.POSIX_FADV_RANDOM)); // no readahead: a wait per read
                    RingOps ring = LoopAccess.get().backend(loop).ringOps();
                    int[] done = {0};
                    int[] bad = {0};
                    int tag = ring.registerHandler((u, res, f) -> {
                        done[0]++;
                        if (res != CHUNK) bad[0] = res;
                    });
                    MemorySegment buf = arena.allocate((long) READS * CHUNK);
                    for (int i = 0; i < READS; i++) {
                        long sqe = ring.nextSqe();
                        long at = (long) ((i * 37) % READS) * CHUNK; // out of order: nothing reads ahead of it
                        Sqe.prepRead(ring.sqes(), sqe, fd, buf, (long) i * CHUNK, CHUNK, at, UserData.pack(tag, i));
                        Sqe.flags(ring.sqes(), sqe, IOSQE_ASYNC); // straight to an io-wq worker, as a read that would block
                    }
                    int max = 0;
                    loop.ref();
                    long deadline = System.nanoTime() + 10_000_000_000L;
                    while (done[0] < READS && System.nanoTime() < deadline) {
                        loop.runNoWait();
                        max = Math.max(max, workersOf(tid));
                    }
                    loop.unref();
                    max = Math.max(max, workersOf(tid)); // idle workers linger for seconds before they exit
                    assertEquals(READS, done[0], "not every read completed");
                    assertEquals(0, bad[0], "a read did not read its whole chunk");
                    Ring r = IoUringFixture.backend(loop).currentRing();
                    out.set(new Run(max, r.iowqLimitResult(), r.iowqPreviousLimit(IO_WQ_BOUND), loop.backendDetails()));
                } finally {
                    TestFds.close(fd);
                }
            } catch (Throwable e) {
                out.set(e);
            }
        });
        t.join();
        if (out.get() instanceof Throwable e) throw new AssertionError(e);
        return (Run) out.get();
    }

    @Test
    void fileReadsForcedToWorkersStartNoMoreWorkersThanTheBound() throws Exception {
        Path file = dir.resolve("data");
        Files.write(file, new byte[READS * CHUNK], StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.SYNC);
        Run bounded = readThroughWorkers(file, "2");
        assumeTrue(bounded.limitResult() == 0, "IORING_REGISTER_IOWQ_MAX_WORKERS refused (Linux before 5.15?): " + bounded.details());
        Run unbounded = readThroughWorkers(file, "0"); // the control: the kernel's own limit
        System.out.println("IoWqLimitTest: " + READS + " reads forced to io-wq: at most " + bounded.maxWorkers()
                + " iou-wrk threads at once with io_uring.iowq_max_workers=2, " + unbounded.maxWorkers()
                + " with the kernel's limit (" + bounded.kernelBounded() + " bounded)");
        assertTrue(bounded.maxWorkers() >= 1, "no read went to a worker: the test shows nothing");
        assertTrue(bounded.maxWorkers() <= 2, bounded.maxWorkers() + " workers for a bound of 2");
        assertTrue(bounded.details().contains("at most 2 bounded / 2 unbounded"), bounded.details());
        assumeTrue(unbounded.maxWorkers() > 2, "without a bound the kernel started only " + unbounded.maxWorkers()
                + " workers here (a disk too fast to keep them waiting): the bound was not put to the test");
    }

    @Test
    void theDefaultBoundIsSmallAndShownInTheDetails() throws Exception {
        try (EventLoop loop = LoopVariants.ioUring().getFirst().open()) {
            Ring r = IoUringFixture.backend(loop).currentRing();
            assertEquals(4, r.iowqLimit(IO_WQ_BOUND));
            assertEquals(4, r.iowqLimit(IO_WQ_UNBOUND));
            assumeTrue(r.iowqLimitResult() == 0, loop.backendDetails());
            assertTrue(loop.backendDetails().contains("io-wq worker limit"), loop.backendDetails());
        }
    }
}
