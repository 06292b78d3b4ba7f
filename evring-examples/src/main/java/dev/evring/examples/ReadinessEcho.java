package dev.evring.examples;

import dev.evring.EventLoop;
import dev.evring.Events;
import dev.evring.IoWatcher;
import dev.evring.net.StreamListener;
import dev.evring.net.StreamSocket;

import java.net.StandardSocketOptions;

/**
 * An echo server in the readiness style, libev's: the loop tells you when an fd is ready, you make the non-blocking
 * calls. One read and one write system call per message; a write that does not fit waits for writability. TCP_NODELAY
 * is on, as in {@link CompletionEcho}.
 */
public final class ReadinessEcho {
    private ReadinessEcho() {}

    /** Echoes every connection {@code listener} accepts, until the loop closes. */
    public static void serve(EventLoop loop, StreamListener listener) {
        loop.io(listener.fd(), Events.READ, (w, ev) -> {
            StreamSocket s;
            while ((s = listener.tryAccept(w)) != null) new Connection(loop, s); // out of fds: w rests, then resumes
        }).start();
    }

    /** Echoes one connection (a loop group's listener hands it over on its own loop's thread), until it ends. */
    public static void serve(StreamSocket socket) {
        new Connection(socket.net().loop(), socket);
    }

    /**
     * One read buffer per loop thread, shared by its connections: a read is written back at once, so only what the
     * kernel did not take stays with the connection. An idle connection holds no buffer (a 16 KiB array each made an
     * echo server of 10,000 idle connections 17 KB per connection; now a few hundred bytes).
     */
    private static final ThreadLocal<byte[]> READ_BUFFER = ThreadLocal.withInitial(() -> new byte[16384]);

    private static final class Connection {
        private final StreamSocket socket;
        private final IoWatcher watcher;
        private byte[] rest;                                  // written back only in part: the remainder, until it goes
        private int off;

        Connection(EventLoop loop, StreamSocket socket) {
            this.socket = socket;
            socket.setOption(StandardSocketOptions.TCP_NODELAY, true); // echoes leave at once, not after an ACK
            this.watcher = loop.io(socket.fd(), Events.READ, (w, ev) -> ready());
            watcher.start();
        }

        private void ready() {
            if (rest == null) {                               // readable: take what arrived, echo it
                byte[] buf = READ_BUFFER.get();
                int n = socket.read(buf, 0, buf.length);
                if (n < 0) {                                  // end of stream, or an error (the peer reset it)
                    close();
                    return;
                }
                if (n == 0) return;                           // nothing after all: wait again
                int w = socket.write(buf, 0, n);              // the kernel may take only part
                if (w < 0) {                                  // the peer is gone
                    close();
                    return;
                }
                if (w < n) {                                  // keep the rest, wait for room
                    rest = java.util.Arrays.copyOfRange(buf, w, n);
                    off = 0;
                    watcher.events(Events.WRITE);
                }
                return;
            }
            int w = socket.write(rest, off, rest.length - off); // writable: more of the rest
            if (w < 0) {
                close();
                return;
            }
            off += w;
            if (off == rest.length) {                         // all out: back to reading
                rest = null;
                watcher.events(Events.READ);
            }
        }

        private void close() {
            watcher.stop();                                   // stop watching before the fd goes
            socket.close();
        }
    }
}
