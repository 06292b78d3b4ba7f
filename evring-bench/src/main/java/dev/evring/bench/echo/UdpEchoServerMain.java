package dev.evring.bench.echo;

import dev.evring.Backend;
import dev.evring.EventLoop;
import dev.evring.bench.netty.NettyServer;
import dev.evring.net.Net;
import dev.evring.net.Status;
import dev.evring.net.UdpSocket;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;

/**
 * The UDP echo servers the udp benchmark measures, each in a JVM of its own:
 * {@code UdpEchoServerMain <evring-io_uring|evring-epoll|evring-poll|nio|netty-epoll|netty-io_uring> <port>}. Each
 * serves on 127.0.0.1:port until killed, one thread, sending every datagram back to its sender, with SO_RCVBUF asked
 * at {@value #RECEIVE_BUFFER} bytes (the kernel caps it at twice net.core.rmem_max), the same for every row.
 */
public final class UdpEchoServerMain {
    private UdpEchoServerMain() {}

    static final int RECEIVE_BUFFER = 4 << 20;

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: UdpEchoServerMain <evring-io_uring|evring-epoll|evring-poll|nio|netty-epoll|netty-io_uring> <port>");
            System.exit(2);
        }
        int port = Integer.parseInt(args[1]);
        switch (args[0]) {
            case "evring-io_uring" -> evring(Backend.IO_URING, port);
            case "evring-epoll" -> evring(Backend.EPOLL, port);
            case "evring-poll" -> evring(Backend.POLL, port);
            case "nio" -> nio(port);
            case "netty-epoll", "netty-io_uring" -> NettyServer.serveDatagrams(args[0].substring("netty-".length()), port,
                    RECEIVE_BUFFER, new NettyEcho());
            default -> throw new IllegalArgumentException("unknown UDP echo server \"" + args[0] + "\"");
        }
    }

    /** evring's completion API: one recvFrom for every datagram, each answered by {@code reply} in the same buffer. */
    static void evring(Backend backend, int port) {
        try (EventLoop loop = EventLoop.builder().backend(backend).open()) {
            Net net = Net.open(loop);
            UdpSocket u = net.openUdp(StandardProtocolFamily.INET);
            u.setOption(StandardSocketOptions.SO_RCVBUF, RECEIVE_BUFFER);
            u.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            receive(u);
            System.out.println("udp echo server on port " + port + ", " + loop.backend().id() + ", completion mode ("
                    + net.stats().features() + ")");
            loop.run();
        }
    }

    private static void receive(UdpSocket u) {
        u.recvFrom((s, data, n) -> {
            if (n >= 0) {
                s.reply(data, data, null);
            } else if (n != Status.ECANCELED && s.isOpen()) {
                System.out.println("udp echo server: receive ended with " + Status.name(n) + "; receiving again");
                receive(s);
            }
        });
    }

    /** The JDK: a non-blocking DatagramChannel on a Selector, every waiting datagram received and sent back. */
    static void nio(int port) throws IOException {
        try (Selector selector = Selector.open(); DatagramChannel ch = DatagramChannel.open(StandardProtocolFamily.INET)) {
            ch.setOption(StandardSocketOptions.SO_RCVBUF, RECEIVE_BUFFER);
            ch.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            ch.configureBlocking(false);
            ch.register(selector, SelectionKey.OP_READ);
            ByteBuffer b = ByteBuffer.allocateDirect(65536);
            while (true) {
                selector.select();
                selector.selectedKeys().clear();
                while (true) {
                    b.clear();
                    SocketAddress from = ch.receive(b);
                    if (from == null) break;
                    b.flip();
                    ch.send(b, from); // 0 when the socket's send buffer is full: a datagram lost, as UDP may
                }
            }
        }
    }

    /** Netty: each DatagramPacket's content written back to its sender, flushed when the read batch ends. */
    @ChannelHandler.Sharable
    static final class NettyEcho extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            DatagramPacket p = (DatagramPacket) msg;
            ctx.write(new DatagramPacket(p.content(), p.sender()), ctx.voidPromise()); // the content moves on, no copy
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // an ICMP error for an earlier datagram: UDP goes on
        }
    }
}
