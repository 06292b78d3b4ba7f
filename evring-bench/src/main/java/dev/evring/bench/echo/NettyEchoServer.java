package dev.evring.bench.echo;

import dev.evring.bench.netty.NettyServer;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Netty 4.2's echo server on {@code loops} event-loop threads (one unless {@code --loops} says more; acceptor and
 * connections on the same group), on its native epoll or io_uring transport: write on read, flush when the read
 * batch completes, as Netty's own EchoServer example.
 */
final class NettyEchoServer {
    private NettyEchoServer() {}

    @ChannelHandler.Sharable
    static final class Echo extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.write(msg, ctx.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // the load generator resets its connections when it exits
        }
    }

    static void run(String transport, int port, int loops) throws InterruptedException {
        NettyServer.serve(transport, loops, port, new Echo());
    }
}
