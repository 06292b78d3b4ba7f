package dev.evring.bench.netty;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringDatagramChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;

/**
 * A Netty 4.2 server as the benchmarks run one: on its native epoll or io_uring transport, {@code threads} event-loop
 * threads that accept and serve alike (one in every row today), TCP_NODELAY, a 4,096 backlog, on 127.0.0.1 until
 * the process is killed.
 */
public final class NettyServer {
    private NettyServer() {}

    /**
     * Serves {@code childHandler} (added to every accepted channel's pipeline) on 127.0.0.1:{@code port}; returns
     * when the server channel closes.
     *
     * @param transport {@code epoll} or {@code io_uring}
     */
    public static void serve(String transport, int threads, int port, ChannelHandler childHandler) throws InterruptedException {
        Class<? extends ServerChannel> channel = transport.equals("epoll") ? EpollServerSocketChannel.class : IoUringServerSocketChannel.class;
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(threads, factory(transport));
        Channel ch = new ServerBootstrap()
                .group(group)
                .channel(channel)
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(childHandler)
                .bind("127.0.0.1", port).sync().channel();
        ch.closeFuture().addListener((ChannelFutureListener) f -> group.shutdownGracefully());
        ch.closeFuture().sync();
    }

    /**
     * Serves {@code handler} on a UDP socket bound to 127.0.0.1:{@code port} (one event-loop thread, SO_RCVBUF
     * {@code receiveBuffer}); returns when the channel closes.
     */
    public static void serveDatagrams(String transport, int port, int receiveBuffer, ChannelHandler handler) throws InterruptedException {
        Class<? extends Channel> channel = transport.equals("epoll") ? EpollDatagramChannel.class : IoUringDatagramChannel.class;
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, factory(transport));
        Channel ch = new Bootstrap()
                .group(group)
                .channel(channel)
                .option(ChannelOption.SO_RCVBUF, receiveBuffer)
                .handler(handler)
                .bind("127.0.0.1", port).sync().channel();
        ch.closeFuture().addListener((ChannelFutureListener) f -> group.shutdownGracefully());
        ch.closeFuture().sync();
    }

    /** The transport's I/O handler, once the transport is known to load here. */
    private static IoHandlerFactory factory(String transport) {
        switch (transport) {
            case "epoll" -> {
                Epoll.ensureAvailability();
                return EpollIoHandler.newFactory();
            }
            case "io_uring" -> {
                IoUring.ensureAvailability();
                return IoUringIoHandler.newFactory();
            }
            default -> throw new IllegalArgumentException("unknown Netty transport \"" + transport + "\"");
        }
    }
}
