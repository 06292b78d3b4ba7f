package dev.evring.net.blocking;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's blocking-sockets example runs, and the README shows it as it is here. */
class BlockingSocketsReadmeTest {

    static void example() throws IOException {
        // README:begin
        try (BlockingSockets sockets = BlockingSockets.open();                  // one loop, on a thread of its own
             ServerSocket listener = sockets.serverSocketFactory().createServerSocket(0)) {
            Thread.ofVirtual().start(() -> {
                while (true) {
                    Socket s;
                    try {
                        s = listener.accept();                                  // a java.net.Socket
                    } catch (IOException e) {
                        return;                                                 // the listener was closed
                    }
                    Thread.ofVirtual().start(() -> {
                        try (s) {
                            s.getInputStream().transferTo(s.getOutputStream()); // echo until end of stream
                        } catch (IOException e) {
                            // "Connection reset", "Socket closed": this connection ends
                        }
                    });
                }
            });
            try (Socket c = sockets.socketFactory().createSocket(InetAddress.getLoopbackAddress(), listener.getLocalPort())) {
                c.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
                c.shutdownOutput();                                             // the server sees end of stream
                System.out.println(new String(c.getInputStream().readAllBytes(), StandardCharsets.US_ASCII));
            }
        }                                                                       // closes the loop and every socket
        // README:end
    }

    @Test
    void theExampleEchoes() throws Exception {
        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            example();
        } finally {
            System.setOut(out);
        }
        assertEquals("hello", captured.toString(StandardCharsets.UTF_8).strip());
    }

    @Test
    void theReadmeShowsTheExampleAsItIsHere() throws IOException {
        Path root = Path.of("").toAbsolutePath();
        while (root != null && !Files.exists(root.resolve("README.md"))) root = root.getParent();
        assertTrue(root != null, "README.md not found above " + Path.of("").toAbsolutePath());
        String source = Files.readString(root.resolve("evring-core/src/test/java/dev/evring/net/blocking/BlockingSocketsReadmeTest.java"));
        String block = source.substring(source.indexOf("// README:begin\n") + "// README:begin\n".length(),
                source.indexOf("        // README:end"));
        String expected = block.lines().map(l -> l.length() >= 8 ? l.substring(8) : l.strip()).reduce((a, b) -> a + "\n" + b).orElseThrow();
        String readme = Files.readString(root.resolve("README.md"));
        assertTrue(readme.contains("```java\n" + expected + "\n```"), "README.md's blocking sockets example differs from the test's:\n" + expected);
    }
}
