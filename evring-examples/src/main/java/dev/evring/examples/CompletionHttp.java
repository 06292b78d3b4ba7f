package dev.evring.examples;

import dev.evring.net.Inbound;
import dev.evring.net.StreamListener;
import dev.evring.net.StreamSocket;

import java.net.StandardSocketOptions;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * An HTTP/1.1 server in the completion style: each connection's accumulating receive shows the parser every byte not
 * yet answered, in place (a request split across chunks is seen whole once its last byte came); the answers to every
 * whole request of a pass are written into one array and sent as one copy, in order (pipelining); a malformed request
 * gets a 400 and the connection closes gracefully, as it does at end of stream. No allocation per request.
 */
public final class CompletionHttp {
    private CompletionHttp() {}

    /** Serves HTTP on every connection {@code listener} accepts, until the loop closes. */
    public static void serve(StreamListener listener, Http http) {
        Consumer<StreamSocket> server = server(http);
        listener.accept((l, socket, status) -> {
            if (socket == null) return;                         // EMFILE pauses by itself; ECANCELED at shutdown
            server.accept(socket);
        });
    }

    /**
     * One loop's HTTP server: serves each connection given to it, on the loop of {@code http} (a loop group's
     * listener hands connections over on their own loop's thread), until it ends. The connections share its output
     * array, so make one per loop.
     */
    public static Consumer<StreamSocket> server(Http http) {
        byte[] out = new byte[64 * Http.MAX_ANSWER]; // the answers of a pass: send copies them, so one array serves all
        InboundBytes bytes = new InboundBytes();
        return socket -> {
            socket.setOption(StandardSocketOptions.TCP_NODELAY, true); // answers leave at once, not after an ACK
            socket.recvAccumulated((s, in, n) -> {
                if (n <= 0) {                                   // end of stream (or an error): answers queued go out
                    s.closeGracefully(Duration.ofSeconds(5), null);
                    return 0;
                }
                bytes.in = in;
                int at = 0;
                int len = 0;
                int end;
                boolean close = false;
                while (!close && (end = http.parse(bytes, at)) != Http.MORE) { // every whole request, in place
                    if (len > out.length - Http.MAX_ANSWER) {
                        s.send(out, 0, len, null);
                        len = 0;
                    }
                    if (end == Http.BAD) {
                        len = http.badRequest(out, len);        // 400, then close
                        close = true;
                    } else {
                        len = http.answer(out, len);
                        close = !http.keepAlive;
                        at = end;
                    }
                }
                if (len > 0) s.send(out, 0, len, null);
                if (close) s.closeGracefully(Duration.ofSeconds(5), null);
                return at;                                      // the rest stays for the next chunk
            });
        };
    }

    /** The parser's view of a callback's {@link Inbound}. */
    private static final class InboundBytes implements Http.Bytes {
        Inbound in;

        @Override
        public int length() {
            return in.length();
        }

        @Override
        public byte get(int index) {
            return in.get(index);
        }
    }
}
