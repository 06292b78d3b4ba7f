package dev.evring.net;

import dev.evring.EventLoop;
import dev.evring.Events;
import dev.evring.linux.Errno;
import dev.evring.linux.Faults;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Net's JFR events ({@link NetEvents}) on every variant: the receive pool running dry, accepting paused for lack of
 * fds (in both styles), and a slow completion callback reported by the loop under its socket and callback.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.net.NetVariants#all")
class NetEventsTest extends NetTestBase {
    @TempDir
    Path dir;

    @Override
    EventLoop.Builder builder() {
        return super.builder().option("loop.slow_callback_ms", "20");
    }

    @Override
    Net openNet() {
        return Net.builder(loop).recvBuffers(4, 4096).buffers(8, 4096).acceptBackoff(Duration.ofMillis(20)).open();
    }

    interface Body {
        void run() throws Exception;
    }

    private List<RecordedEvent> record(Body body, String... names) throws Exception {
        try (Recording r = new Recording()) {
            for (String n : names) r.enable(n);
            r.start();
            body.run();
            r.stop();
            Path file = dir.resolve("net.jfr");
            r.dump(file);
            List<RecordedEvent> all = RecordingFile.readAllEvents(file);
            return all.stream().filter(e -> List.of(names).contains(e.getEventType().getName())).toList();
        }
    }

    @Test
    void theReceivePoolRunningDryIsRecordedOnce() throws Exception {
        List<Buffer> held = new ArrayList<>();
        List<RecordedEvent> events = record(() -> {
            StreamSocket[] pair = net.socketPair();
            pair[0].recv((s, data, n) -> {
                if (n > 0) held.add(data); // keep it: the pool drains
            });
            pair[1].send(new byte[4096 * 4], 0, 4096 * 4, null);
            runUntil(() -> held.size() == 4, "the four receive buffers to be delivered and held");
            pair[1].send(new byte[4096 * 2], 0, 4096 * 2, null);
            runUntil(() -> net.stats().recvWaiting() == 1, "the receive to wait for a buffer");
            runFor(30);
        }, "dev.evring.BufferPoolExhausted");
        for (Buffer b : held) b.release();
        assertEquals(1, events.size(), events.toString());
        RecordedEvent e = events.getFirst();
        assertEquals("receive", e.getString("pool"));
        assertEquals(4, e.getInt("buffers"));
        assertEquals(4096, e.getInt("bufferSize"));
        assertEquals(net.stats().recvBufferWaits(), e.getLong("waits"), e.toString());
    }

    @Test
    void aReadinessAcceptPausedForLackOfFdsIsRecorded() throws Exception {
        StreamListener l = net.listen(loopback4());
        List<StreamSocket> accepted = new ArrayList<>();
        List<RecordedEvent> events = record(() -> {
            loop.io(l.fd(), Events.READ, (w, ev) -> {
                StreamSocket s;
                while ((s = l.tryAccept(w)) != null) accepted.add(s);
            }).start();
            try (Faults.Rule emfile = Faults.on(Faults.Call.ACCEPT4).fd(l.fd()).fail(Errno.EMFILE)) {
                net.connect(l.localAddress(), (s, st) -> {});
                runUntil(() -> emfile.hits() == 1, "accept4 to fail with EMFILE");
            }
            runUntil(() -> accepted.size() == 1, "the connection, accepted after the pause");
        }, "dev.evring.AcceptPause");
        assertEquals(1, events.size(), events.toString());
        RecordedEvent e = events.getFirst();
        assertEquals(l.toString(), e.getString("listener"));
        assertEquals(Duration.ofMillis(20), e.getDuration("backoff"));
        assertEquals(1, e.getLong("pauses"));
    }

    @Test
    void aCompletionAcceptPausedForLackOfFdsIsRecorded() throws Exception {
        assumeTrue(net.stats().driver().equals("readiness"),
                "the ring's accept is no system call a fault can fail here; AcceptOutOfFdsTest pauses it for real");
        StreamListener l = net.listen(loopback4());
        List<Integer> statuses = new ArrayList<>();
        List<RecordedEvent> events = record(() -> {
            try (Faults.Rule emfile = Faults.on(Faults.Call.ACCEPT4).fd(l.fd()).fail(Errno.EMFILE)) {
                l.accept((lis, s, st) -> statuses.add(st));
                net.connect(l.localAddress(), (s, st) -> {});
                runUntil(() -> statuses.contains(Status.EMFILE), "the accept callback told of EMFILE");
            }
            runUntil(() -> statuses.contains(0), "the connection, accepted after the pause");
        }, "dev.evring.AcceptPause");
        assertEquals(1, events.size(), events.toString());
        assertEquals("EMFILE", events.getFirst().getString("error"));
        assertEquals(l.toString(), events.getFirst().getString("listener"));
    }

    @Test
    void aSlowCompletionCallbackIsNamedByItsSocket() throws Exception {
        StreamSocket[] pair = net.socketPair();
        int[] got = {0};
        RecvCallback slow = (s, data, n) -> {
            if (n > 0) data.release();
            Thread.sleep(40);
            got[0]++;
        };
        List<RecordedEvent> events = record(() -> {
            pair[0].recv(slow);
            pair[1].send(new byte[10], 0, 10, null);
            runUntil(() -> got[0] >= 1, "the slow receive callback");
        }, "dev.evring.SlowCallback");
        assertEquals(1, events.size(), "the socket's callback, not the delivery watcher around it: " + events);
        RecordedEvent e = events.getFirst();
        assertEquals(pair[0].toString(), e.getString("source"));
        assertTrue(e.getClass("callbackClass").getName().startsWith(NetEventsTest.class.getName()), e.toString());
        assertTrue(e.getDuration("callbackTime").toMillis() >= 40, e.toString());
    }
}
