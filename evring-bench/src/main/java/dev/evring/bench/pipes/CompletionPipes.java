package dev.evring.bench.pipes;

import dev.evring.Backend;
import dev.evring.net.Buffer;
import dev.evring.net.Net;
import dev.evring.net.RecvCallback;
import dev.evring.net.StreamSocket;

/**
 * The pipes benchmark in evring's completion mode ({@code dev.evring.net}): a continuous receive on every read end
 * (multishot on io_uring, the kernel picking buffers from the shared ring) and a send of the received buffer itself to
 * the next pipe, so the bytes hop without a read(2) or write(2) of ours: on io_uring every receive and send of an
 * iteration rides in the loop's one io_uring_enter. On epoll and poll the same API is emulated with readiness.
 * Each received byte is one event, as in the readiness rows.
 */
final class CompletionPipes extends LoopPipes implements RecvCallback {
    private Net net;
    private StreamSocket[] writeEnds;

    CompletionPipes(Backend backend) {
        super(backend);
    }

    @Override
    public void open(int pipes, boolean timeouts) {
        openLoop(pipes);
        // enough buffers for every pipe to hold one while its callback runs, and the sends in flight
        int buffers = Integer.highestOneBit(Math.max(64, Math.min(32768, pipes * 2)) - 1) << 1;
        net = Net.builder(loop).recvBuffers(buffers, 64).buffers(buffers, 64).open();
        StreamSocket[] readEnds = new StreamSocket[pipes];
        writeEnds = new StreamSocket[pipes];
        int[] readFds = new int[pipes];
        for (int i = 0; i < pipes; i++) {
            StreamSocket[] pair = net.socketPair();
            readEnds[i] = pair[0];
            writeEnds[i] = pair[1];
            readFds[i] = pair[0].fd();
        }
        indexPipes(readFds, timeouts);
        for (StreamSocket s : readEnds) s.recv(this); // continuous: stays armed across runs
    }

    @Override
    void sendFirst(int pipe) {
        Buffer b = net.allocate();
        b.put((byte) 'e');
        writeEnds[pipe].send(b, null);
    }

    @Override
    public void onRecv(StreamSocket socket, Buffer data, int status) {
        if (status <= 0) {
            if (net.isClosed() || loop.isClosed()) return;
            throw new IllegalStateException("receive on fd " + socket.fd() + " ended with status " + status);
        }
        int pipe = pipeOf(socket.fd());
        long forward = onBytes(pipe, status);
        if (forward > 0) {
            data.length((int) forward);
            writeEnds[next(pipe)].send(data, null); // the received buffer itself goes on: no copy, no allocation
        } else {
            data.release();
        }
    }
}
