package dev.evring.bench.harness;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;

/** A blocking echo server on virtual threads on 127.0.0.1: the load generator's counterpart in tests. */
public final class TestEchoServer {
    private TestEchoServer() {}

    /** Echoes every byte; close the socket to stop it. */
    public static ServerSocket start() throws IOException {
        return start(false);
    }

    /** Like {@link #start()}, but when {@code lying} it answers every byte with its bits flipped. */
    public static ServerSocket start(boolean lying) throws IOException {
        ServerSocket server = new ServerSocket(0, 1024, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    Thread.ofVirtual().start(() -> serve(s, lying));
                } catch (IOException closed) {
                    return;
                }
            }
        });
        return server;
    }

    private static void serve(Socket s, boolean lying) {
        try (s) {
            s.setTcpNoDelay(true);
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            byte[] buf = new byte[64 * 1024];
            int n;
            while ((n = in.read(buf)) > 0) {
                if (lying) for (int i = 0; i < n; i++) buf[i] = (byte) ~buf[i];
                out.write(buf, 0, n);
            }
        } catch (IOException ignored) {
            // the client went away
        }
    }
}
