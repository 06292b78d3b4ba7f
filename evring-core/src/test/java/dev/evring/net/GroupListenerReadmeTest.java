package dev.evring.net;

import dev.evring.LoopGroup;
import dev.evring.ReadmeExample;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's example of listening on a loop group runs, and the README shows it as it is here. */
class GroupListenerReadmeTest {

    static void example() throws IOException, InterruptedException {
        // README:begin
        try (LoopGroup group = LoopGroup.open(2)) {
            NetGroup nets = NetGroup.open(group);                   // a Net on every loop, opened on its thread
            GroupListener listener = nets.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                    GroupListener.Mode.REUSE_PORT,                  // or HAND_OFF_ROUND_ROBIN, HAND_OFF_LEAST_LOADED
                    (socket, status) -> {                           // on the thread of the loop that serves it
                        if (socket == null) return;                 // EMFILE pauses by itself; ECANCELED once closed
                        socket.recv((s, data, n) -> {
                            if (n > 0) s.send(data, null);
                            else s.closeGracefully(Duration.ofSeconds(5), null);
                        });
                    });
            SocketAddress at = listener.localAddress();             // port 0: the one the kernel chose
            for (int i = 0; i < 32; i++) {
                try (Socket c = new Socket()) {
                    c.connect(at);
                    c.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
                    c.getInputStream().readNBytes(5);
                }
            }
            System.out.println("connections per loop: " + nets.stats().accepted()); // e.g. [15, 17]
            group.shutdownGracefully(Duration.ofSeconds(5));        // listeners close; connections drain
            group.awaitTermination(Duration.ofSeconds(10));
        }
        // README:end
    }

    @Test
    void theExampleSpreadsConnectionsOverBothLoops() throws Exception {
        List<String> lines = ReadmeExample.printedBy(GroupListenerReadmeTest::example);
        assertEquals(1, lines.size(), lines.toString());
        String[] counts = lines.get(0).replaceAll(".*\\[|\\]", "").split(", ");
        assertEquals(2, counts.length, lines.get(0));
        assertEquals(32, Integer.parseInt(counts[0]) + Integer.parseInt(counts[1]), lines.get(0));
        assertTrue(Integer.parseInt(counts[0]) > 0 && Integer.parseInt(counts[1]) > 0, lines.get(0));
    }

    @Test
    void theReadmeShowsTheExampleAsItIsHere() throws IOException {
        ReadmeExample.assertReadmeShows("evring-core/src/test/java/dev/evring/net/GroupListenerReadmeTest.java",
                "group listener example");
    }
}
