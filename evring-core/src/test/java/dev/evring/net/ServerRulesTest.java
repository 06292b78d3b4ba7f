package dev.evring.net;

import dev.evring.Events;
import dev.evring.IoWatcher;
import dev.evring.linux.Faults;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The rules of the README's "Request/response servers" section not held elsewhere (SendQueueTest, RecvInPlaceTest,
 * GracefulCloseTest, NetFaultsTest hold the rest), on every backend and variant: copying sends copy at the call; the
 * sends of one pass leave in one write; the readiness style's statuses for a broken peer, its reads into memory of
 * the application's, and a readiness socket closed gracefully.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.net.NetVariants#all")
class ServerRulesTest extends NetTestBase {

    /** The source each exception reached the loop's handler with, in order. */
    final List<Object> errorSources = new ArrayList<>();

    @Override
    dev.evring.EventLoop.Builder builder() {
        return variant.builder().exceptionHandler((source, e) -> {
            errorSources.add(source);
            callbackErrors.add(e);
        });
    }

    @AfterEach
    void clearFaults() {
        Faults.clear();
    }

    /**
     * "The exception handler is told the handle whose callback threw" (issue 10: it was told null): a throwing
     * accept, receive, send or file callback reaches the handler with its listener, socket or file, and that handle
     * goes on (the receive delivers the next chunk).
     */
    @Test
    void aThrowingCallbackReachesTheHandlerWithItsHandleAndTheHandleGoesOn() throws Exception {
        callbacksMayThrow = true;
        StreamListener l = net.listen(loopback4());
        l.accept((x, s, st) -> {
            if (s == null) return; // the end, at close
            s.close();
            throw new IllegalStateException("accept");
        });
        StreamSocket[] pair = net.socketPair();
        int[] chunks = {0};
        pair[0].recv((s, d, n) -> {
            if (d == null) return;
            d.release();
            chunks[0]++;
            throw new IllegalStateException("recv");
        });
        pair[0].send(new byte[] {1}, (s, st) -> {
            throw new IllegalStateException("send");
        });
        java.nio.file.Path f = java.nio.file.Files.createTempFile("evring-rules", ".bin");
        try {
            java.nio.file.Files.write(f, new byte[] {1, 2, 3});
            AsyncFile file = net.openFile(f, java.nio.file.StandardOpenOption.READ);
            file.read(0, net.allocate(), (x, d, n) -> {
                if (d != null) d.release();
                throw new IllegalStateException("read");
            });
            try (java.net.Socket client = new java.net.Socket()) {
                client.connect(l.localAddress());
                assertEquals(1, pair[1].write(new byte[] {2}, 0, 1));
                runUntil(() -> callbackErrors.size() == 4, "the four callbacks' exceptions");
                assertEquals(1, pair[1].write(new byte[] {3}, 0, 1));
                runUntil(() -> chunks[0] == 2 && callbackErrors.size() == 5, "the receive's next chunk");
            }
            java.util.Map<String, Object> bySource = new java.util.HashMap<>();
            for (int i = 0; i < callbackErrors.size(); i++) bySource.put(callbackErrors.get(i).getMessage(), errorSources.get(i));
            assertEquals(l, bySource.get("accept"));
            assertEquals(pair[0], bySource.get("recv"));
            assertEquals(pair[0], bySource.get("send"));
            assertEquals(file, bySource.get("read"));
            file.close();
        } finally {
            java.nio.file.Files.deleteIfExists(f);
            callbackErrors.clear(); // thrown on purpose
        }
    }

    /** "send(byte[]), send(ByteBuffer) and send(ByteBuffer[]) copy at the call: reuse the array at once." */
    @Test
    void copyingSendsCopyAtTheCallSoTheSourceIsYoursAgainAtOnce() {
        StreamSocket[] pair = net.socketPair();
        Collector c = new Collector();
        pair[1].recv(c);
        List<byte[]> expected = new ArrayList<>();
        byte[] array = new byte[3000];
        ByteBuffer heap = ByteBuffer.allocate(2000);
        ByteBuffer direct = ByteBuffer.allocateDirect(2500);
        ByteBuffer[] gather = {ByteBuffer.allocate(700), ByteBuffer.allocateDirect(900)};
        for (int round = 0; round < 5; round++) { // the same sources every round, overwritten right after each send
            Arrays.fill(array, (byte) round);
            expected.add(array.clone());
            pair[0].send(array, null);
            Arrays.fill(array, (byte) 0x55);

            heap.clear().put(pattern(2000, round)).flip();
            expected.add(pattern(2000, round));
            pair[0].send(heap, null);
            assertEquals(heap.limit(), heap.position(), "the position moved to the limit");
            heap.clear().put(new byte[2000]);

            direct.clear().put(pattern(2500, round + 10)).flip();
            expected.add(pattern(2500, round + 10));
            pair[0].send(direct, null);
            assertEquals(0, direct.remaining());
            direct.clear().put(new byte[2500]);

            gather[0].clear().put(pattern(700, round + 20)).flip();
            gather[1].clear().put(pattern(900, round + 30)).flip();
            expected.add(pattern(700, round + 20));
            expected.add(pattern(900, round + 30));
            pair[0].send(gather, null);
            assertEquals(0, gather[0].remaining() + gather[1].remaining());
            gather[0].clear().put(new byte[700]);
            gather[1].clear().put(new byte[900]);
        }
        byte[] all = SendQueueTest.concat(expected);
        runUntil(() -> c.bytes.size() == all.length, "every byte");
        assertArrayEquals(all, c.bytes.toByteArray(), "what each send held at its call, in call order");
    }

    /**
     * "The sends of one pass of callbacks leave together": sixteen answers sent in one callback go out in one
     * sendmsg(2), counted at the system call seam where sends are system calls (the emulation; on io_uring one
     * IORING_OP_SENDMSG SQE, which no system call shows).
     */
    @Test
    void theSendsOfOnePassLeaveInOneWrite() {
        assumeTrue(!(net.engine instanceof RingEngine), "io_uring writes with SQEs: no system call to count");
        StreamSocket[] pair = net.socketPair();
        Collector c = new Collector();
        pair[1].recv(c);
        List<byte[]> answers = new ArrayList<>();
        for (int i = 0; i < 16; i++) answers.add(pattern(100 + i, i));
        try (Faults.Rule writes = Faults.on(Faults.Call.SENDMSG).fd(pair[0].fd()).times(Integer.MAX_VALUE).limit(Long.MAX_VALUE);
             Faults.Rule single = Faults.on(Faults.Call.SEND).fd(pair[0].fd()).times(Integer.MAX_VALUE).limit(Long.MAX_VALUE)) {
            loop.timer(0, 0, (w, ev) -> {
                for (byte[] a : answers) pair[0].send(a, null); // one pass of callbacks
            }).start();
            byte[] all = SendQueueTest.concat(answers);
            runUntil(() -> c.bytes.size() == all.length, "the answers");
            assertArrayEquals(all, c.bytes.toByteArray());
            assertEquals(1, writes.hits() + single.hits(), "system calls that wrote the 16 answers");
        }
    }

    /** Connects {@code peer} (a JDK socket, outside the loop) to {@code l} and returns the server's end of it. */
    StreamSocket acceptFrom(StreamListener l, java.net.Socket peer) throws java.io.IOException {
        StreamSocket[] accepted = new StreamSocket[1];
        l.accept((x, s, st) -> {
            if (s != null) accepted[0] = s;
        });
        peer.connect(l.localAddress());
        runUntil(() -> accepted[0] != null, "the connection");
        l.stopAccept();
        return accepted[0];
    }

    /** "read returns -1 at end of stream and a failure as -errno below -1; write returns -errno: nothing thrown." */
    @Test
    void readinessCallsReportABrokenPeerAsAStatus() throws Exception {
        // a peer that resets: ECONNRESET from read, then the end
        StreamListener l = net.listen(loopback4());
        java.net.Socket peer = new java.net.Socket();
        StreamSocket[] accepted = {acceptFrom(l, peer)};
        peer.setSoLinger(true, 0);
        peer.close(); // linger 0: a reset, not an end of stream
        byte[] buf = new byte[16];
        List<Integer> reads = new ArrayList<>();
        runUntil(() -> {
            int n = accepted[0].read(buf, 0, buf.length);
            if (n != 0) reads.add(n);
            return n < 0;
        }, "the reset");
        assertEquals(Status.ECONNRESET, reads.get(reads.size() - 1), "reads " + reads);
        int after = accepted[0].read(buf, 0, buf.length);
        assertTrue(after == StreamSocket.END_OF_STREAM || after == Status.ECONNRESET, "then " + after);
        accepted[0].close();
        l.close();

        // a peer that closed: -1 from read, EPIPE from write
        StreamSocket[] pair = net.socketPair();
        pair[1].close();
        assertEquals(StreamSocket.END_OF_STREAM, pair[0].read(buf, 0, buf.length));
        assertEquals(Status.EPIPE, pair[0].write(buf, 0, 4));
        pair[0].close();
    }

    /** "In the readiness style, read(MemorySegment) and read(Buffer) read into memory of yours." */
    @Test
    void readinessReadsGoIntoTheApplicationsMemory() {
        StreamSocket[] pair = net.socketPair();
        byte[] msg = pattern(1000, 9);
        assertEquals(msg.length, pair[1].write(msg, 0, msg.length));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mine = arena.allocate(600);
            assertEquals(600, pair[0].read(mine));
            assertArrayEquals(Arrays.copyOf(msg, 600), mine.toArray(ValueLayout.JAVA_BYTE));
            Buffer b = net.allocate();
            b.put(new byte[] {42});
            assertEquals(400, pair[0].read(b), "appended after what the buffer held");
            byte[] got = b.toArray();
            assertEquals(401, got.length);
            assertEquals(42, got[0]);
            assertArrayEquals(Arrays.copyOfRange(msg, 600, 1000), Arrays.copyOfRange(got, 1, 401));
            b.release();
            assertEquals(0, pair[0].read(mine), "nothing more yet");
        }
        pair[0].close();
        pair[1].close();
    }

    /**
     * "A readiness socket may be handed to closeGracefully once its watcher is stopped": what it wrote itself and
     * what it queued with send reach the peer, then the end; the callback says 0.
     */
    @Test
    void aReadinessSocketClosesGracefullyOnceItsWatcherStopped() throws Exception {
        StreamListener l = net.listen(loopback4());
        java.net.Socket peer = new java.net.Socket();
        StreamSocket s = acceptFrom(l, peer);
        s.setOption(StandardSocketOptions.TCP_NODELAY, true);
        byte[] request = "GET / HTTP/1.1\r\nbad\r\n\r\n".getBytes();
        peer.getOutputStream().write(request);
        byte[] answer = pattern(200_000, 4); // more than fits at once: the rest goes through the send queue
        List<Integer> closed = new ArrayList<>();
        IoWatcher[] w = new IoWatcher[1];
        w[0] = loop.io(s.fd(), Events.READ, (x, ev) -> {
            byte[] buf = new byte[64];
            if (s.read(buf, 0, buf.length) <= 0) return;
            int wrote = Math.max(0, s.write(answer, 0, answer.length)); // readiness: what fits now
            x.stop();                                                  // then the watcher stops ...
            s.send(answer, wrote, answer.length - wrote, null);        // ... and the rest is queued
            s.closeGracefully(Duration.ofSeconds(5), (y, st) -> closed.add(st));
        });
        w[0].start();
        java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
        Thread reader = Thread.ofPlatform().start(() -> {
            try {
                peer.setSoTimeout(10_000);
                got.write(peer.getInputStream().readAllBytes());
                peer.close(); // our end of stream lets the graceful close finish
            } catch (java.io.IOException e) {
                got.reset();
            }
        });
        runUntil(() -> !closed.isEmpty(), "the graceful close");
        reader.join(10_000);
        assertEquals(List.of(0), closed);
        assertArrayEquals(answer, got.toByteArray(), "every byte, then the end");
        l.close();
    }
}
