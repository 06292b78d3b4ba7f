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
 * The JDK peer of the echo benchmark: one thread, one {@link Selector}, a direct buffer per connection, written as a
 * careful user would (the allocation-free {@code select(Consumer)}, write interest only while a write is short).
 */
final class NioEchoServer implements Consumer<SelectionKey> {
    private final Selector selector;
    private final ServerSocketChannel server;

    NioEchoServer(int port) throws IOException {
        selector = Selector.open();
        server = ServerSocketChannel.open();
        server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        server.bind(new InetSocketAddress("127.0.0.1", port), 4096);
        server.configureBlocking(false);
        server.register(selector, SelectionKey.OP_ACCEPT);
    }

    void run() throws IOException {
        while (true) selector.select(this);
    }

    @Override
    public void accept(SelectionKey key) {
        try {
            if (key.isAcceptable()) {
                SocketChannel c;
                while ((c = server.accept()) != null) {
                    c.configureBlocking(false);
                    c.setOption(StandardSocketOptions.TCP_NODELAY, true);
                    c.register(selector, SelectionKey.OP_READ, ByteBuffer.allocateDirect(64 * 1024));
                }
                return;
            }
            SocketChannel c = (SocketChannel) key.channel();
            ByteBuffer buf = (ByteBuffer) key.attachment();
            if (key.isWritable()) {
                c.write(buf);
                if (buf.hasRemaining()) return;
                buf.clear();
                key.interestOps(SelectionKey.OP_READ);
            }
            if (key.isReadable()) {
                int n = c.read(buf);
                if (n < 0) {
                    key.cancel();
                    c.close();
                    return;
                }
                buf.flip();
                c.write(buf);
                if (buf.hasRemaining()) {
                    buf.compact().flip();
                    key.interestOps(SelectionKey.OP_WRITE);
                } else {
                    buf.clear();
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
