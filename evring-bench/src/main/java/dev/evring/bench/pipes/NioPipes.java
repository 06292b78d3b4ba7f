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
final class NioPipes extends ChainedPipes {
    private Selector selector;
    private SocketChannel[] readEnds;
    private SocketChannel[] writeEnds;
    private SelectionKey[] keys;
    private final ByteBuffer in = ByteBuffer.allocateDirect(1);
    private final ByteBuffer out = ByteBuffer.allocateDirect(1).put(0, (byte) 'e');
    private final Consumer<SelectionKey> onReadable = this::onReadable;
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
    void arm() {
        for (SelectionKey k : keys) k.interestOps(SelectionKey.OP_READ);
    }

    @Override
    void setUpPass() throws IOException {
        selector.selectNow(); // pushes the interest changes to epoll
    }

    @Override
    void sendFirst(int pipe) throws IOException {
        writeByte(writeEnds[pipe]);
    }

    @Override
    void awaitEvents() throws IOException {
        selector.select(onReadable);
    }

    @Override
    void disarm() throws IOException {
        for (SelectionKey k : keys) k.interestOps(0);
        selector.selectNow();
    }

    private void onReadable(SelectionKey key) {
        try {
            int idx = (Integer) key.attachment();
            in.clear();
            int r = readEnds[idx].read(in);
            if (r != 1) throw new IllegalStateException("read returned " + r);
            if (onBytes(1) > 0) writeByte(writeEnds[next(idx)]);
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
