package dev.evring.bench.pipes;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * The pipes benchmark on the JDK's NIO {@link Selector} (epoll underneath), written as a careful user would: the
 * allocation-free {@code select(Consumer)} form, direct buffers, interest ops toggled rather than keys cancelled.
 * NIO cannot make socketpairs, so each pair is an AF_UNIX stream connection through a listening socket: the same
 * kernel objects as socketpair(2). The JDK Selector has no timers, so the timeouts cases are skipped.
 */
final class NioPipes implements PipeChains {
    private Selector selector;
    private SocketChannel[] readEnds;
    private SocketChannel[] writeEnds;
    private SelectionKey[] keys;
    private final ByteBuffer in = ByteBuffer.allocateDirect(1);
    private final ByteBuffer out = ByteBuffer.allocateDirect(1).put(0, (byte) 'e');
    private final Consumer<SelectionKey> onReadable = this::onReadable;
    private int n;
    private long count, fired, writes, deadline;
    private Path dir;

    @Override
    public boolean hasTimers() {
        return false;
    }

    @Override
    public void open(int pipes, boolean timeouts) throws IOException {
        n = pipes;
        selector = Selector.open();
        readEnds = new SocketChannel[pipes];
        writeEnds = new SocketChannel[pipes];
        keys = new SelectionKey[pipes];
        dir = Files.createTempDirectory("evring-nio-pipes");
        Path sock = dir.resolve("s");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock), pipes);
            for (int i = 0; i < pipes; i++) {
                writeEnds[i] = SocketChannel.open(UnixDomainSocketAddress.of(sock));
                readEnds[i] = server.accept();
                writeEnds[i].configureBlocking(false);
                readEnds[i].configureBlocking(false);
                keys[i] = readEnds[i].register(selector, 0, i);
            }
        }
        Files.deleteIfExists(sock);
    }

    @Override
    public long[] run(int active, long numWrites, long capNanos) throws IOException {
        for (SelectionKey k : keys) k.interestOps(SelectionKey.OP_READ);
        selector.selectNow(); // set-up pass: pushes the interest changes to epoll
        int space = n / active;
        fired = 0;
        for (int i = 0; i < active; i++, fired++) writeByte(writeEnds[i * space]);
        count = 0;
        writes = numWrites;
        long t0 = System.nanoTime();
        deadline = t0 + capNanos;
        while (count != fired) selector.select(onReadable);
        long t1 = System.nanoTime();
        for (SelectionKey k : keys) k.interestOps(0);
        selector.selectNow();
        return new long[] {count, t1 - t0};
    }

    private void onReadable(SelectionKey key) {
        try {
            int idx = (Integer) key.attachment();
            in.clear();
            int r = readEnds[idx].read(in);
            if (r != 1) throw new IllegalStateException("read returned " + r);
            count++;
            if (writes > 0) {
                int widx = idx + 1;
                if (widx >= n) widx -= n;
                writeByte(writeEnds[widx]);
                writes--;
                fired++;
            }
            if ((count & 63) == 0 && System.nanoTime() > deadline) writes = 0;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private void writeByte(SocketChannel ch) throws IOException {
        out.clear();
        if (ch.write(out) != 1) throw new IllegalStateException("write did not take the byte");
    }

    @Override
    public void close() throws IOException {
        if (selector != null) selector.close();
        if (readEnds != null) {
            for (int i = 0; i < n; i++) {
                if (readEnds[i] != null) readEnds[i].close();
                if (writeEnds[i] != null) writeEnds[i].close();
            }
        }
        if (dir != null) Files.deleteIfExists(dir);
    }
}
