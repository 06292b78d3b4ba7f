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

    private static final class Connection {
        private final StreamSocket socket;
        private final IoWatcher watcher;
        private final byte[] buf = new byte[16384];
        private int off;
        private int len; // bytes read but not yet written back

        Connection(EventLoop loop, StreamSocket socket) {
            this.socket = socket;
            socket.setOption(StandardSocketOptions.TCP_NODELAY, true); // echoes leave at once, not after an ACK
            this.watcher = loop.io(socket.fd(), Events.READ, (w, ev) -> ready());
            watcher.start();
        }

        private void ready() {
            if (len == 0) {                                   // readable: take what arrived
                int n = socket.read(buf, 0, buf.length);
                if (n < 0) {                                  // end of stream, or an error (the peer reset it)
                    close();
                    return;
                }
                off = 0;
                len = n;
            }
            int w = socket.write(buf, off, len);              // echo it; the kernel may take only part
            if (w < 0) {                                      // the peer is gone
                close();
                return;
            }
            off += w;
            len -= w;
            int want = len > 0 ? Events.WRITE : Events.READ;
            if (watcher.events() != want) watcher.events(want); // wait for room, or for more data
        }

        private void close() {
            watcher.stop();                                   // stop watching before the fd goes
            socket.close();
        }
    }
}
