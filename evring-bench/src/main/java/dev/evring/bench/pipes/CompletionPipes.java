package dev.evring.bench.pipes;

import dev.evring.Backend;
import dev.evring.EventLoop;
import dev.evring.TimerWatcher;
import dev.evring.Watcher;
import dev.evring.net.Buffer;
import dev.evring.net.Net;
import dev.evring.net.RecvCallback;
import dev.evring.net.StreamSocket;

import java.util.SplittableRandom;

/**
 * The pipes benchmark in evring's completion mode ({@code dev.evring.net}): a continuous receive on every read end
 * (multishot on io_uring, the kernel picking buffers from the shared ring) and a send of the received buffer itself to
 * the next pipe, so the bytes hop without a read(2) or write(2) of ours: on io_uring every receive and send of an
 * iteration rides in the loop's one io_uring_enter. On epoll and poll the same API is emulated with readiness.
 * Each received byte is one event, as in the readiness rows.
 */
final class CompletionPipes implements PipeChains, RecvCallback {
    private static final long TEN_SECONDS = 10_000_000_000L;

    private final Backend backend;
    private EventLoop loop;
    private Net net;
    private StreamSocket[] readEnds, writeEnds;
    private int[] indexByFd;
    private TimerWatcher[] timers;
    private int n;
    private long count, fired, writes, deadline;
    private Throwable failure;

    CompletionPipes(Backend backend) {
        this.backend = backend;
    }

    @Override
    public void open(int pipes, boolean timeouts) {
        n = pipes;
        loop = EventLoop.builder().backend(backend).exceptionHandler((w, error) -> {
            failure = error;
            loop.breakLoop(EventLoop.Break.ALL);
        }).open();
        // enough receive buffers for every pipe to hold one while its callback runs, and sends in flight
        int buffers = Integer.highestOneBit(Math.max(64, Math.min(32768, pipes * 2)) - 1) << 1;
        net = Net.builder(loop).recvBuffers(buffers, 64).buffers(buffers, 64).open();
        readEnds = new StreamSocket[pipes];
        writeEnds = new StreamSocket[pipes];
        int maxFd = 0;
        for (int i = 0; i < pipes; i++) {
            StreamSocket[] pair = net.socketPair();
            readEnds[i] = pair[0];
            writeEnds[i] = pair[1];
            maxFd = Math.max(maxFd, pair[0].fd());
        }
        indexByFd = new int[maxFd + 1];
        for (int i = 0; i < pipes; i++) indexByFd[readEnds[i].fd()] = i;
        timers = timeouts ? new TimerWatcher[pipes] : null;
        if (timeouts) {
            SplittableRandom rnd = new SplittableRandom(42);
            Watcher.Callback<TimerWatcher> noop = (w, revents) -> { };
            for (int i = 0; i < pipes; i++) {
                long t = TEN_SECONDS + rnd.nextLong(1_000_000_000L);
                timers[i] = loop.timer(t, t, noop);
            }
        }
        for (StreamSocket s : readEnds) s.recv(this); // continuous: stays armed across runs
        loop.runNoWait();
    }

    @Override
    public long[] run(int active, long numWrites, long capNanos) {
        if (timers != null) for (TimerWatcher t : timers) t.again();
        loop.runNoWait(); // set-up pass, as the readiness rows do
        int space = n / active;
        fired = 0;
        for (int i = 0; i < active; i++, fired++) {
            Buffer b = net.allocate();
            b.put((byte) 'e');
            writeEnds[i * space].send(b, null);
        }
        count = 0;
        writes = numWrites;
        failure = null;
        long t0 = System.nanoTime();
        deadline = t0 + capNanos;
        while (count != fired && failure == null) loop.runOnce();
        long t1 = System.nanoTime();
        if (timers != null) for (TimerWatcher t : timers) t.stop();
        if (failure != null) throw new IllegalStateException("callback failed: " + failure, failure);
        return new long[] {count, t1 - t0};
    }

    @Override
    public void onRecv(StreamSocket socket, Buffer data, int status) {
        if (status <= 0) {
            if (net.isClosed() || loop.isClosed()) return;
            throw new IllegalStateException("receive on fd " + socket.fd() + " ended with status " + status);
        }
        int idx = indexByFd[socket.fd()];
        count += status;
        if (timers != null) timers[idx].again();
        long forward = Math.min(status, writes);
        if (forward > 0) {
            int widx = idx + 1;
            if (widx >= n) widx -= n;
            data.length((int) forward);
            writeEnds[widx].send(data, null); // the received buffer itself goes on: no copy, no allocation
            writes -= forward;
            fired += forward;
        } else {
            data.release();
        }
        if ((count & 63) == 0 && System.nanoTime() > deadline) writes = 0;
    }

    @Override
    public void close() {
        if (loop != null) loop.close(); // closes the Net and its sockets
    }
}
