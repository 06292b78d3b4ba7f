package dev.evring.examples;

import dev.evring.EventLoop;
import dev.evring.Events;
import dev.evring.IoWatcher;
import dev.evring.net.StreamListener;
import dev.evring.net.StreamSocket;

import java.net.StandardSocketOptions;
import java.time.Duration;
import java.util.Arrays;

/**
 * An HTTP/1.1 server in the readiness style: when a connection is readable, read what arrived after what is kept,
 * answer every whole request into the output array, write it (the kernel may take part: the rest waits for WRITE),
 * keep the unfinished request for the next read. A malformed request gets a 400, then, once the answers are written,
 * the socket is handed to {@code closeGracefully} (its watcher stopped first): half-close, drain what the peer still
 * sends, close, so that the 400 is not lost to a reset. Two system calls per batch of requests; no allocation per
 * request.
 */
public final class ReadinessHttp {
    private ReadinessHttp() {}

    /** Serves HTTP on every connection {@code listener} accepts, until the loop closes. */
    public static void serve(EventLoop loop, StreamListener listener, Http http) {
        loop.io(listener.fd(), Events.READ, (w, ev) -> {
            StreamSocket s;
            while ((s = listener.tryAccept(w)) != null) {          // out of fds: w rests, then resumes
                s.setOption(StandardSocketOptions.TCP_NODELAY, true); // answers leave at once, not after an ACK
                new Connection(loop, s, http);
            }
        }).start();
    }

    /**
     * Serves HTTP on one connection (a loop group's listener hands it over on its own loop's thread) with that loop's
     * {@code http}, until it ends.
     */
    public static void serve(StreamSocket socket, Http http) {
        socket.setOption(StandardSocketOptions.TCP_NODELAY, true);
        new Connection(socket.net().loop(), socket, http);
    }

    private static final class Connection implements Http.Bytes {
        private final StreamSocket socket;
        private final IoWatcher watcher;
        private final Http http;
        private byte[] in = new byte[16384];
        private int inLen;                                     // bytes read and not yet parsed
        private byte[] out = new byte[16384];
        private int outOff;
        private int outLen;                                    // answers not yet written: out[outOff, outLen)
        private boolean closing;                               // after a 400 or Connection: close, once written

        Connection(EventLoop loop, StreamSocket socket, Http http) {
            this.socket = socket;
            this.http = http;
            this.watcher = loop.io(socket.fd(), Events.READ, (w, ev) -> ready());
            watcher.start();
        }

        private void ready() {
            if (outLen == outOff && !closing) {                 // readable: read, then answer what is whole
                if (inLen == in.length) in = Arrays.copyOf(in, in.length * 2); // a long request (bounded by Http)
                int n = socket.read(in, inLen, in.length - inLen);
                if (n < 0) {                                   // end of stream or an error
                    close();
                    return;
                }
                inLen += n;
                int at = 0;
                int end;
                while (!closing && (end = http.parse(this, at)) != Http.MORE) {
                    if (outLen > out.length - Http.MAX_ANSWER) out = Arrays.copyOf(out, out.length * 2);
                    if (end == Http.BAD) {
                        outLen = http.badRequest(out, outLen);
                        closing = true;
                    } else {
                        outLen = http.answer(out, outLen);
                        closing = !http.keepAlive;
                        at = end;
                    }
                }
                System.arraycopy(in, at, in, 0, inLen - at);    // keep the unfinished request
                inLen -= at;
            }
            if (outLen > outOff) {
                int w = socket.write(out, outOff, outLen - outOff); // the kernel may take only part
                if (w < 0) {                                   // the peer is gone
                    close();
                    return;
                }
                outOff += w;
            }
            if (outOff == outLen) {
                outOff = outLen = 0;
                if (closing) {                                 // all written: half-close, drain the peer, close
                    watcher.stop();
                    socket.closeGracefully(Duration.ofSeconds(5), null);
                    return;
                }
            }
            int want = outLen > 0 ? Events.WRITE : Events.READ;
            if (watcher.events() != want) watcher.events(want); // wait for room, or for more requests
        }

        private void close() {
            watcher.stop();                                    // stop watching before the fd goes
            socket.close();
        }

        @Override
        public int length() {
            return inLen;
        }

        @Override
        public byte get(int index) {
            return in[index];
        }
    }
}
