package dev.evring.bench.echo;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.function.Consumer;

/**
 * The JDK peer of the echo benchmarks: one thread, one {@link Selector}, written as a careful user would (the
 * allocation-free {@code select(Consumer)}, write interest only while a write is short). Every read goes into one
 * 64 KiB direct buffer shared by all connections and is written straight back; only a connection whose write falls
 * short gets a buffer of its own (kept for its next short write), so an idle connection holds no buffer. With more
 * loops, each is such a thread with a listener of its own on the same port (SO_REUSEPORT: the kernel spreads the
 * connections over them), as libuv users scale a server.
 */
final class NioEchoServer implements Consumer<SelectionKey> {
    static final int BUFFER_SIZE = 64 * 1024;

    private final Selector selector;
    private final ServerSocketChannel server;
    private final ByteBuffer shared = ByteBuffer.allocateDirect(BUFFER_SIZE);

    NioEchoServer(int port, boolean reusePort) throws IOException {
        selector = Selector.open();
        server = ServerSocketChannel.open();
        server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        if (reusePort) server.setOption(StandardSocketOptions.SO_REUSEPORT, true);
        server.bind(new InetSocketAddress("127.0.0.1", port), 4096);
        server.configureBlocking(false);
        server.register(selector, SelectionKey.OP_ACCEPT);
    }

    void run() throws IOException {
        while (true) selector.select(this);
    }

    /** Serves 127.0.0.1:{@code port} on {@code loops} selector threads (this one and {@code loops - 1} more), until killed. */
    static void run(int port, int loops) throws IOException {
        if (loops == 1) {
            new NioEchoServer(port, false).run();
            return;
        }
        for (int i = 1; i < loops; i++) {
            NioEchoServer s = new NioEchoServer(port, true);
            Thread.ofPlatform().name("nio-echo-" + i).start(() -> {
                try {
                    s.run();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
        }
        new NioEchoServer(port, true).run();
    }

    @Override
    public void accept(SelectionKey key) {
        try {
            if (key.isAcceptable()) {
                SocketChannel c;
                while ((c = server.accept()) != null) {
                    c.configureBlocking(false);
                    c.setOption(StandardSocketOptions.TCP_NODELAY, true);
                    c.register(selector, SelectionKey.OP_READ);
                }
                return;
            }
            SocketChannel c = (SocketChannel) key.channel();
            ByteBuffer pending = (ByteBuffer) key.attachment(); // the connection's own buffer, once it has needed one
            if (key.isWritable()) {                               // the rest of a short write
                c.write(pending);
                if (pending.hasRemaining()) return;
                pending.clear();
                key.interestOps(SelectionKey.OP_READ);
                return;
            }
            if (key.isReadable()) {
                shared.clear();
                int n = c.read(shared);
                if (n < 0) {
                    key.cancel();
                    c.close();
                    return;
                }
                shared.flip();
                c.write(shared);
                if (shared.hasRemaining()) {                      // keep the rest until the socket has room
                    if (pending == null) key.attach(pending = ByteBuffer.allocateDirect(BUFFER_SIZE));
                    pending.clear();
                    pending.put(shared).flip();
                    key.interestOps(SelectionKey.OP_WRITE);
                }
            }
        } catch (IOException e) {
            key.cancel();
            try {
                key.channel().close();
            } catch (IOException ignored) {
                // closing a broken connection: nothing more to do
            }
        }
    }
}
