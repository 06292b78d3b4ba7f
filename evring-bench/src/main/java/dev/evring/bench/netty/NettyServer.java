package dev.evring.bench.netty;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.uring.IoUring;
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
        IoHandlerFactory factory;
        Class<? extends ServerChannel> channel;
        switch (transport) {
            case "epoll" -> {
                Epoll.ensureAvailability();
                factory = EpollIoHandler.newFactory();
                channel = EpollServerSocketChannel.class;
            }
            case "io_uring" -> {
                IoUring.ensureAvailability();
                factory = IoUringIoHandler.newFactory();
                channel = IoUringServerSocketChannel.class;
            }
            default -> throw new IllegalArgumentException("unknown Netty transport \"" + transport + "\"");
        }
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(threads, factory);
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
}
