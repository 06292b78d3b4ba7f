package dev.evring.bench.http;

import dev.evring.bench.netty.NettyServer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;

/**
 * Netty 4.2's HTTP server for the plaintext test, as TechEmpower's Netty entry writes it: {@link HttpServerCodec} per
 * connection, one prebuilt body buffer shared by every response, headers set without validation, responses written as
 * requests are decoded and flushed once per read batch (so a pipelined batch goes out in one write, in request order),
 * keep-alive unless the request asks to close, a request the codec cannot decode answered 400 and closed.
 */
final class NettyHttpServer {
    private NettyHttpServer() {}

    private static final ByteBuf BODY = Unpooled.unreleasableBuffer(Unpooled.directBuffer(Plaintext.BODY.length).writeBytes(Plaintext.BODY));
    private static final AsciiString CONTENT_TYPE = AsciiString.cached(Plaintext.CONTENT_TYPE);
    private static final AsciiString CONTENT_LENGTH = AsciiString.cached(Integer.toString(Plaintext.BODY.length));
    private static final AsciiString SERVER = AsciiString.cached("Netty");

    /** One per connection: its Date cache is the connection's, so it needs no sharing between loop threads. */
    static final class PlaintextHandler extends ChannelInboundHandlerAdapter {
        private String dateText = "";
        private AsciiString date = AsciiString.EMPTY_STRING;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (!(msg instanceof HttpRequest request)) return; // the (empty) content of a GET
                if (request.decoderResult().isFailure()) {
                    FullHttpResponse bad = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_REQUEST);
                    bad.headers().set(HttpHeaderNames.CONTENT_LENGTH, 0);
                    ctx.writeAndFlush(bad).addListener(ChannelFutureListener.CLOSE);
                    return;
                }
                FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, BODY.duplicate(), false);
                response.headers()
                        .set(HttpHeaderNames.CONTENT_TYPE, CONTENT_TYPE)
                        .set(HttpHeaderNames.SERVER, SERVER)
                        .set(HttpHeaderNames.DATE, date())
                        .set(HttpHeaderNames.CONTENT_LENGTH, CONTENT_LENGTH);
                if (HttpUtil.isKeepAlive(request)) {
                    ctx.write(response, ctx.voidPromise());
                } else {
                    ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        /** The Date header, as an AsciiString made when Plaintext's text changes (once a second). */
        private AsciiString date() {
            String now = Plaintext.date();
            if (now != dateText) { // the same String all second long
                dateText = now;
                date = new AsciiString(now);
            }
            return date;
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // wrk resets its connections when it exits
        }
    }

    static void run(String transport, int threads, int port) throws InterruptedException {
        NettyServer.serve(transport, threads, port, new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                ch.pipeline().addLast(new HttpServerCodec(), new PlaintextHandler());
            }
        });
    }
}
