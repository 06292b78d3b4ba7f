package dev.evring.net;

import dev.evring.EventLoop;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the README promises about {@link GroupListener.Mode#REUSE_PORT} when one loop's listener closes, which is the
 * kernel's doing and the same on every backend: connections the kernel had queued on that listener (accepted by TCP,
 * not yet by the application) are reset, unless {@code net.ipv4.tcp_migrate_req} is 1, when they move to another
 * listener of the port; connections on the other listeners are untouched.
 */
class ReusePortBacklogTest {
    @Test
    void connectionsQueuedOnAClosedReusePortListenerAreResetUnlessTheKernelMigratesThem() throws Exception {
        boolean migrate = Files.exists(Path.of("/proc/sys/net/ipv4/tcp_migrate_req"))
                && Files.readString(Path.of("/proc/sys/net/ipv4/tcp_migrate_req")).trim().equals("1");
        int clients = 32; // the kernel hashes each onto one of the two: none on the closed one with p = 2^-32
        List<Socket> cs = new ArrayList<>();
        try (EventLoop loop = EventLoop.open()) {
            Net net = Net.open(loop);
            StreamListener closing = reusePort(net, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            InetSocketAddress at = (InetSocketAddress) closing.localAddress();
            StreamListener staying = reusePort(net, at);
            for (int i = 0; i < clients; i++) {
                Socket c = new Socket();
                cs.add(c);
                c.setSoTimeout(5_000);
                c.connect(at, 5_000); // completes from the backlog: nobody accepted yet
            }
            closing.close();
            int kept = 0;
            StreamSocket s;
            while ((s = staying.tryAccept()) != null) { // the survivors wait, complete, in the other backlog
                kept++;
                assertEquals(2, s.write(new byte[] {'o', 'k'}, 0, 2));
            }
            int reset = 0;
            for (Socket c : cs) {
                try {
                    byte[] got = c.getInputStream().readNBytes(2);
                    assertEquals("ok", new String(got), "a survivor is served by the other listener");
                } catch (IOException e) {
                    assertTrue(e.getMessage().contains("reset"), "a lost connection is reset, not ended cleanly: " + e);
                    reset++;
                }
            }
            assertEquals(clients, kept + reset, "each connection was either served or reset");
            if (migrate) assertEquals(0, reset, "tcp_migrate_req=1 moves the closed listener's queue to the other");
            else assertTrue(reset > 0 && kept > 0, "tcp_migrate_req=0: the closed listener's queue is reset ("
                    + reset + " reset, " + kept + " served)");
        } finally {
            for (Socket c : cs) c.close();
        }
    }

    private static StreamListener reusePort(Net net, InetSocketAddress local) {
        StreamListener l = net.openListener(StandardProtocolFamily.INET);
        l.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        l.setOption(StandardSocketOptions.SO_REUSEPORT, true);
        return l.bind(local).listen(64);
    }
}
