package dev.evring.net;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 10's receive rules, on every backend and variant: a parser works in place on whole messages however the
 * stream is split (the accumulating receive keeps the tail, no kernel buffer is held across chunks); read-only views
 * die with their handle; pause and resume are one call each, with no callback of their own and nothing lost.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.net.NetVariants#all")
class RecvInPlaceTest extends NetTestBase {
    static final byte[] CRLFCRLF = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    /** Two pipelined HTTP requests, the second with a body (Content-Length). */
    static final byte[] REQUESTS = ("GET /plaintext HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n"
            + "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world").getBytes(StandardCharsets.US_ASCII);

    /** A tiny in-place parser: whole requests only, looked at in the Inbound, never copied first. */
    static final class Parser implements InboundCallback {
        final List<String> requests = new ArrayList<>();
        int calls;
        int end = 1;

        @Override
        public int onInbound(StreamSocket s, Inbound in, int status) {
            calls++;
            if (status <= 0) {
                end = status;
                return 0;
            }
            int at = 0;
            while (true) {
                int headersEnd = in.indexOf(CRLFCRLF, at);
                if (headersEnd < 0) return at;
                int bodyLength = 0;
                byte[] cl = "Content-Length: ".getBytes(StandardCharsets.US_ASCII);
                int c = in.indexOf(cl, at);
                if (c >= 0 && c < headersEnd) {
                    for (int i = c + cl.length; in.get(i) != '\r'; i++) bodyLength = bodyLength * 10 + (in.get(i) - '0');
                }
                int next = headersEnd + 4 + bodyLength;
                if (next > in.length()) return at;
                int lineEnd = in.indexOf((byte) '\r', at);
                String line = in.toString(at, lineEnd - at, StandardCharsets.US_ASCII);
                String body = in.toString(headersEnd + 4, bodyLength, StandardCharsets.US_ASCII);
                requests.add(line + (body.isEmpty() ? "" : " [" + body + "]"));
                at = next;
            }
        }
    }

    /**
     * Parse in place across every split point: for each k, the requests arrive as bytes [0, k) and then the rest, and
     * the parser sees exactly the two requests, whole, once each. Then byte by byte.
     */
    @Test
    void parsingInPlaceHoldsAcrossEverySplitPointOfARequest() {
        List<String> expected = List.of("GET /plaintext HTTP/1.1", "POST /echo HTTP/1.1 [hello world]");
        for (int k = 1; k < REQUESTS.length; k++) {
            StreamSocket[] pair = net.socketPair();
            Parser p = new Parser();
            pair[0].recvAccumulated(p);
            assertEquals(k, pair[1].write(REQUESTS, 0, k));
            int split = k;
            runUntil(() -> p.calls >= 1, "the first part at split " + split);
            assertEquals(REQUESTS.length - k, pair[1].write(REQUESTS, k, REQUESTS.length - k));
            runUntil(() -> p.requests.size() == 2, "both requests at split " + split);
            assertEquals(expected, p.requests, "split at " + k);
            assertEquals(0, net.stats().recvAccumulatedBytes(), "nothing kept once both were consumed");
            pair[0].close();
            pair[1].close();
        }
        StreamSocket[] pair = net.socketPair();
        Parser p = new Parser();
        pair[0].recvAccumulated(p);
        for (byte b : REQUESTS) {
            int calls = p.calls;
            assertEquals(1, pair[1].write(new byte[] {b}, 0, 1));
            runUntil(() -> p.calls > calls, "a byte");
        }
        assertEquals(expected, p.requests, "byte by byte");
        assertEquals(0, net.stats().recvBuffersHeld(), "no receive buffer held across chunks");
    }

    /** What a parser leaves may outgrow a pool buffer: the accumulation grows, then the end of stream shows the rest. */
    @Test
    void aMessageLargerThanABufferIsShownWholeAndTheEndShowsWhatIsLeft() {
        StreamSocket[] pair = net.socketPair();
        byte[] message = pattern(300_000, 3);
        List<Integer> lengths = new ArrayList<>();
        byte[][] seen = new byte[1][];
        int[] end = {1};
        int[] leftAtEnd = {-1};
        pair[0].recvAccumulated((s, in, status) -> {
            if (status <= 0) {
                end[0] = status;
                leftAtEnd[0] = in.length();
                return 0;
            }
            lengths.add(in.length());
            if (in.length() < message.length) return 0; // wait for all of it
            seen[0] = in.toArray(0, message.length);
            return message.length;
        });
        pair[1].send(message, null);
        pair[1].send("tail".getBytes(), null);
        pair[1].shutdown(null);
        runUntil(() -> end[0] != 1, "the end of stream");
        assertArrayEquals(message, seen[0]);
        assertEquals(0, end[0]);
        assertEquals(4, leftAtEnd[0], "the unconsumed tail is shown at the end");
        for (int i = 1; i < lengths.size(); i++) assertTrue(lengths.get(i) > lengths.get(i - 1), "kept bytes grow: " + lengths);
        assertEquals(0, net.stats().recvAccumulatedBytes());
    }

    @Test
    void keepingMoreThanTheLimitEndsTheReceiveWithEmsgsize() {
        net.close();
        net = Net.builder(loop).recvAccumulationLimit(64 * 1024).open();
        StreamSocket[] pair = net.socketPair();
        List<Integer> statuses = new ArrayList<>();
        pair[0].recvAccumulated((s, in, status) -> {
            statuses.add(status);
            return 0; // never consumes: waits for a message that never ends
        });
        pair[1].send(new byte[200_000], null);
        runUntil(() -> !statuses.isEmpty() && statuses.get(statuses.size() - 1) <= 0, "the end");
        assertEquals(Status.EMSGSIZE, statuses.get(statuses.size() - 1));
        assertFalse(pair[0].isReceiving());
        assertEquals(0, net.stats().recvAccumulatedBytes());
        assertThrows(IllegalArgumentException.class, () -> Net.builder(loop).recvAccumulationLimit(10));
    }

    @Test
    void anInboundRefusesEveryAccessOutsideItsCallbackAndItsViewsDieWithIt() {
        StreamSocket[] pair = net.socketPair();
        Inbound[] kept = new Inbound[1];
        MemorySegment[] view = new MemorySegment[1];
        ByteBuffer[] bb = new ByteBuffer[1];
        pair[0].recvAccumulated((s, in, status) -> {
            if (status <= 0) return 0;
            kept[0] = in;
            view[0] = in.segment();
            bb[0] = in.asByteBuffer();
            assertEquals('h', view[0].get(ValueLayout.JAVA_BYTE, 0));
            assertTrue(bb[0].isReadOnly());
            assertThrows(IllegalArgumentException.class, () -> view[0].set(ValueLayout.JAVA_BYTE, 0, (byte) 1), "read-only");
            return in.length();
        });
        pair[1].write("hi".getBytes(), 0, 2);
        runUntil(() -> kept[0] != null, "a chunk");
        assertThrows(IllegalStateException.class, () -> kept[0].length());
        assertThrows(IllegalStateException.class, () -> kept[0].get(0));
        assertThrows(IllegalStateException.class, () -> view[0].get(ValueLayout.JAVA_BYTE, 0));
        assertThrows(IllegalStateException.class, () -> bb[0].get(0));
    }

    /** Issue 9 defects 13 and 19 for views: a view of a handle given back can never read the memory's next owner. */
    @Test
    void aBufferViewDiesWhenItsHandleIsGivenBack() {
        Buffer a = net.allocate().put("secret".getBytes());
        MemorySegment seg = a.segment();
        ByteBuffer bb = a.asByteBuffer();
        assertEquals(6, seg.byteSize());
        assertEquals('s', bb.get(0));
        a.release();
        assertThrows(IllegalStateException.class, () -> seg.get(ValueLayout.JAVA_BYTE, 0));
        assertThrows(IllegalStateException.class, () -> bb.get(0));
        StreamSocket[] pair = net.socketPair();
        Buffer b = net.allocate().put("sent".getBytes());
        MemorySegment sv = b.segment();
        pair[0].send(b, null);
        assertThrows(IllegalStateException.class, () -> sv.get(ValueLayout.JAVA_BYTE, 0), "a view of a buffer handed to send");
        Throwable[] other = new Throwable[1];
        Buffer c = net.allocate().put((byte) 1);
        MemorySegment cv = c.segment();
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                cv.get(ValueLayout.JAVA_BYTE, 0);
            } catch (Throwable e) {
                other[0] = e;
            }
        });
        try {
            t.join();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        assertTrue(other[0] instanceof WrongThreadException, "a view is confined to the loop's thread: " + other[0]);
        c.release();
    }

    /**
     * Pause and resume are one call each: while paused no receive callback runs (the receive keeps running, nothing
     * reports the pause), data waits in the socket; on resume what was kept comes first, then the rest, in order.
     * A stop while paused delivers what was kept, then ECANCELED.
     */
    @Test
    void pauseAndResumeAreOneCallEachAndLoseNothing() {
        StreamSocket[] pair = net.socketPair();
        Collector c = new Collector();
        pair[0].recv(c);
        pair[1].write("ab".getBytes(), 0, 2);
        runUntil(() -> c.bytes.size() == 2, "the first chunk");
        pair[0].pauseRecv();
        assertTrue(pair[0].isRecvPaused());
        assertTrue(pair[0].isReceiving(), "the receive keeps running");
        for (int i = 0; i < 50; i++) pair[1].write(("<" + i + ">").getBytes(), 0, ("<" + i + ">").length());
        runFor(50);
        int whilePaused = c.bytes.size();
        assertTrue(whilePaused <= 2 + "<0>".length() * 50, "at most a chunk already on its way may be kept, not shown");
        assertEquals(2, whilePaused, "no callback while paused");
        assertTrue(c.statuses.isEmpty());
        pair[0].resumeRecv();
        StringBuilder want = new StringBuilder("ab");
        for (int i = 0; i < 50; i++) want.append('<').append(i).append('>');
        runUntil(() -> c.bytes.size() == want.length(), "everything after the resume");
        assertEquals(want.toString(), c.bytes.toString());
        pair[0].pauseRecv();
        pair[1].write("z".getBytes(), 0, 1);
        runFor(30);
        assertTrue(pair[0].stopRecv());
        runUntil(() -> c.ended, "the end");
        assertEquals(List.of(Status.ECANCELED), c.statuses);
        assertTrue(c.bytes.toString().equals(want.toString()) || c.bytes.toString().equals(want + "z"),
                "a chunk kept while paused comes before the end: " + c.bytes);
        // a receive started while paused starts paused
        Collector d = new Collector();
        pair[0].pauseRecv();
        pair[0].recv(d);
        pair[1].write("q".getBytes(), 0, 1);
        runFor(30);
        assertEquals(0, d.bytes.size() + d.statuses.size());
        pair[0].resumeRecv();
        runUntil(() -> d.bytes.size() >= 1, "after the resume");
        pair[0].resumeRecv(); // again: nothing
    }

    /** The same with the accumulating receive: pausing holds the parser, resuming shows it everything in order. */
    @Test
    void anAccumulatingReceivePausesAndResumesToo() {
        StreamSocket[] pair = net.socketPair();
        Parser p = new Parser();
        pair[0].recvAccumulated(p);
        pair[0].pauseRecv();
        pair[1].write(REQUESTS, 0, REQUESTS.length);
        runFor(50);
        assertEquals(0, p.calls);
        pair[0].resumeRecv();
        runUntil(() -> p.requests.size() == 2, "both requests");
    }
}
