package dev.evring.examples;

import dev.evring.Backend;
import dev.evring.EventLoop;
import dev.evring.TimerWatcher;
import dev.evring.net.Net;
import dev.evring.net.StreamListener;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Both echo servers of the examples serve the example load client, on every backend. */
class EchoExamplesTest {

    static Stream<Arguments> servers() {
        List<Arguments> a = new ArrayList<>();
        for (Backend b : Backend.values()) {
            a.add(Arguments.of(b, "readiness"));
            a.add(Arguments.of(b, "completion"));
        }
        return a.stream();
    }

    @ParameterizedTest(name = "{1} on {0}")
    @MethodSource("servers")
    void echoServerAnswersEveryMessage(Backend backend, String mode) {
        EventLoop loop;
        try {
            loop = EventLoop.builder().backend(backend).open();
        } catch (IllegalStateException e) {
            assumeTrue(false, backend + " is not available here: " + e.getMessage());
            return;
        }
        try (loop) {
            Net net = Net.builder(loop).buffers(1024, 4096).open();
            StreamListener listener = net.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            if (mode.equals("readiness")) ReadinessEcho.serve(loop, listener);
            else CompletionEcho.serve(listener);
            EchoClient client = new EchoClient(net, listener.localAddress(), 20, 8, 200, 64);
            TimerWatcher guard = loop.timer(5_000_000L, 5_000_000L, (w, ev) -> {});
            guard.start();
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (!client.done() && System.nanoTime() < deadline) loop.runOnce();
            assertTrue(client.done(), "timed out: " + client.echoed + " echoed");
            assertEquals(0, client.failure);
            assertEquals(20 * 200, client.echoed);
        }
    }
}
