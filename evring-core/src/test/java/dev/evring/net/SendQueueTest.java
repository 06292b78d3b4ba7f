package dev.evring.net;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 10's send rules, on every backend and variant: sends of any size and form are queued in call order, written
 * in that order and never refused for want of pool buffers; a producer that follows the writability signal keeps a
 * connection's memory flat when its peer stops reading; a cancel or a timeout never tears the stream silently.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.net.NetVariants#all")
class SendQueueTest extends NetTestBase {

    /** A reader that checks every byte against what the sender promised, in order. */
    static final class OrderedReader implements RecvCallback {
        final byte[] expected;
        long got;
        int end = 1;
        String mismatch;

        OrderedReader(byte[] expected) {
            this.expected = expected;
        }

        @Override
        public void onRecv(StreamSocket s, Buffer data, int n) {
            if (data == null) {
                end = n;
                return;
            }
            if (mismatch == null) {
                byte[] a = data.toArray();
                for (int i = 0; i < n; i++) {
                    if (got + i >= expected.length || a[i] != expected[(int) (got + i)]) {
                        mismatch = "byte " + (got + i) + " differs";
                        break;
                    }
                }
            }
            got += n;
            data.release();
        }
    }

    /** The bytes of {@code parts} one after the other. */
    static byte[] concat(List<byte[]> parts) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (byte[] p : parts) all.write(p, 0, p.length);
        return all.toByteArray();
    }

    /**
     * 64 MiB through the default pools (256 x 16 KiB, 4 MiB in all) in every form, queued at once: one byte[] of 24 MiB,
     * a heap and a direct ByteBuffer, a gather of ByteBuffers, Buffers handed over, a gather of Buffers. Every byte
     * arrives, in call order, each callback with its own count, in order.
     */
    @Test
    void sixtyFourMebibytesInEveryFormThroughTheDefaultPoolsArriveWholeAndInOrder() {
        StreamSocket[] pair = net.socketPair();
        byte[] big = pattern(24 << 20, 1);
        byte[] heap = pattern(12 << 20, 2);
        byte[] direct = pattern(12 << 20, 3);
        byte[] g1 = pattern(8 << 20, 4);
        byte[] g2 = pattern(4 << 20, 5);
        byte[] handed = pattern(4 << 20, 6); // the rest: in Buffers handed over
        OrderedReader reader = new OrderedReader(concat(List.of(big, heap, direct, g1, g2, handed)));
        pair[1].recv(reader);
        List<String> done = new ArrayList<>();
        pair[0].send(big, (s, st) -> done.add("bytes:" + st));
        pair[0].send(ByteBuffer.wrap(heap), (s, st) -> done.add("heap:" + st));
        ByteBuffer d = ByteBuffer.allocateDirect(direct.length).put(direct).flip();
        pair[0].send(d, (s, st) -> done.add("direct:" + st));
        assertEquals(0, d.remaining(), "the ByteBuffer was consumed at the call");
        pair[0].send(new ByteBuffer[] {ByteBuffer.wrap(g1), ByteBuffer.wrap(g2)}, (s, st) -> done.add("gather:" + st));
        int sent = 0;
        while (sent < handed.length) { // one by one and in gathers of three, as the pool gives buffers
            List<Buffer> gather = new ArrayList<>();
            while (gather.size() < 3 && sent < handed.length) {
                Buffer b = net.tryAllocate();
                if (b == null) { // the pool is the application's to wait for: buffers come back as they are written
                    runFor(2);
                    continue;
                }
                int n = Math.min(b.capacity(), handed.length - sent);
                b.put(handed, sent, n);
                sent += n;
                gather.add(b);
            }
            if (gather.size() == 1) pair[0].send(gather.get(0), null);
            else pair[0].send(gather.toArray(new Buffer[0]), null);
        }
        runUntil(() -> reader.got == 64L << 20 || reader.mismatch != null, 60, "64 MiB");
        assertEquals(null, reader.mismatch);
        assertEquals(64L << 20, reader.got);
        runUntil(() -> done.size() == 4, "the callbacks");
        assertEquals(List.of("bytes:" + (24 << 20), "heap:" + (12 << 20), "direct:" + (12 << 20), "gather:" + (12 << 20)), done);
        runUntil(() -> net.stats().buffersFree() == net.stats().buffers(), "every general buffer back");
        assertEquals(0, net.stats().sendQueuedBytes());
        assertEquals(0, net.outbound.piecesInUse());
    }

    /**
     * A server answers 1,000 pipelined requests (one byte each, sent in one write) with replies of mixed sizes and
     * forms (1 byte to 200 KiB; byte[], ByteBuffer, Buffer, gathers), one send per reply as the natural program does:
     * the client gets every reply whole and in order.
     */
    @Test
    void aThousandPipelinedRepliesOfMixedSizesArriveInOrder() {
        StreamSocket[] pair = net.socketPair();
        StreamSocket server = pair[0];
        List<byte[]> replies = new ArrayList<>();
        int[] sizes = {1, 13, 100, 1500, 4096, 16384, 16385, 65536, 200_000, 7};
        for (int i = 0; i < 1000; i++) replies.add(pattern(sizes[i % sizes.length] + (i % 3), i));
        int[] next = {0};
        server.recvAccumulated((s, in, status) -> {
            if (status <= 0) return 0;
            int n = in.length();
            for (int k = 0; k < n; k++) {
                int i = next[0]++;
                byte[] r = replies.get(i);
                switch (i % 5) {
                    case 0 -> s.send(r, null);
                    case 1 -> s.send(ByteBuffer.wrap(r), null);
                    case 2 -> s.send(new ByteBuffer[] {ByteBuffer.wrap(r, 0, r.length / 2), ByteBuffer.wrap(r, r.length / 2, r.length - r.length / 2)}, null);
                    case 3 -> {
                        if (r.length <= net.bufferSize() && net.stats().buffersFree() > 8) {
                            s.send(net.allocate().put(r), null);
                        } else {
                            s.send(r, 0, r.length, null);
                        }
                    }
                    default -> s.send(r, 0, r.length, null);
                }
            }
            return n;
        });
        OrderedReader reader = new OrderedReader(concat(replies));
        pair[1].recv(reader);
        pair[1].send(new byte[1000], null); // 1,000 requests in one write
        long total = reader.expected.length;
        runUntil(() -> reader.got == total || reader.mismatch != null, 30, "1,000 replies");
        assertEquals(null, reader.mismatch);
        assertEquals(1000, next[0]);
        assertEquals(total, reader.got);
    }

    /**
     * A producer that sends while the socket is writable and waits for the writability callback otherwise: against a
     * peer that stops reading, it stops at the high-water mark, and what the connection holds stays flat (queued
     * bytes, pool buffers, spills) however long the peer stalls; once the peer reads again the producer resumes and
     * every byte arrives.
     */
    @Test
    void aPeerThatDoesNotReadStopsTheProducerAtTheHighWaterMarkWithMemoryFlat() {
        StreamSocket[] pair = net.socketPair();
        StreamSocket producer = pair[0];
        int high = 256 * 1024;
        producer.sendWaterMarks(high / 2, high);
        byte[] chunk = pattern(8192, 9);
        long[] produced = {0};
        List<Boolean> changes = new ArrayList<>();
        long limit = 64L << 20;
        Runnable produce = () -> {
            while (producer.isWritable() && produced[0] < limit) {
                producer.send(chunk, null);
                produced[0] += chunk.length;
            }
        };
        producer.onWritabilityChanged((s, writable) -> {
            changes.add(writable);
            if (writable) produce.run();
        });
        produce.run();
        assertFalse(producer.isWritable(), "the first burst fills the queue past the mark");
        runFor(100);
        long stalledAt = produced[0];
        NetStats first = net.stats();
        runFor(300);
        NetStats later = net.stats();
        assertEquals(stalledAt, produced[0], "the producer waits while the peer does not read");
        assertTrue(later.sendQueuedBytes() <= high + chunk.length, "queued bytes stay at the mark: " + later);
        assertEquals(first.sendQueuedBytes(), later.sendQueuedBytes(), "nothing grows while the peer stalls");
        assertEquals(first.buffersFree(), later.buffersFree(), "pool buffers held stay flat");
        assertEquals(first.sendSpills(), later.sendSpills(), "no more memory of its own");
        assertTrue(later.buffersFree() >= later.buffers() - net.sendShare, "one connection holds at most its share: " + later);
        assertEquals(1, later.unwritableSockets());
        // the peer reads: the producer is told, resumes, and everything arrives in order
        long[] got = {0};
        String[] bad = {null};
        pair[1].recv((s, d, n) -> {
            if (d == null) return;
            for (int i = 0; i < n && bad[0] == null; i++) {
                if (d.get(i) != chunk[(int) ((got[0] + i) % chunk.length)]) bad[0] = "byte " + (got[0] + i);
            }
            got[0] += n;
            d.release();
        });
        runUntil(() -> got[0] == limit || bad[0] != null, 60, "every byte once the peer reads");
        assertEquals(null, bad[0]);
        assertTrue(changes.size() >= 2 && !changes.get(0), "told unwritable, then writable: " + changes);
        for (int i = 1; i < changes.size(); i++) assertTrue(changes.get(i) != changes.get(i - 1), "only real changes: " + changes);
        runUntil(() -> producer.isWritable() && net.stats().sendQueuedBytes() == 0, "the queue drained");
    }

    /** Cancelling a send none of whose bytes were written takes it out cleanly: the stream stays whole around it. */
    @Test
    void aCancelledQueuedSendLeavesTheStreamWhole() {
        StreamSocket[] pair = net.socketPair();
        List<String> ends = new ArrayList<>();
        pair[0].send("one,".getBytes(), (s, st) -> ends.add("one:" + st));
        long two = pair[0].send("two,".getBytes(), (s, st) -> ends.add("two:" + Status.name(st)));
        pair[0].send("three".getBytes(), (s, st) -> ends.add("three:" + st));
        assertTrue(net.cancel(two), "a queued send is cancellable");
        assertFalse(net.cancel(two), "once");
        Collector c = new Collector();
        pair[1].recv(c);
        runUntil(() -> c.bytes.size() == 9, "what was not cancelled");
        runFor(20);
        assertEquals("one,three", c.bytes.toString());
        assertEquals(List.of("two:ECANCELED", "one:4", "three:5"), ends, "the cancel is reported first (at once), the others in order");
    }

    /**
     * Cancelling a send the kernel has written part of cannot take those bytes back: the stream would be torn, so it,
     * every send behind it and every later send end with ECANCELED (the JDK's asynchronous channels do the same).
     */
    @Test
    void cancellingAHalfWrittenSendBreaksTheOutputRatherThanTearTheStream() {
        StreamSocket[] pair = net.socketPair();
        pair[0].setOption(java.net.StandardSocketOptions.SO_SNDBUF, 4096);
        List<String> ends = new ArrayList<>();
        byte[] big = pattern(4 << 20, 1);
        long id = pair[0].send(big, (s, st) -> ends.add("big:" + Status.name(st)));
        pair[0].send("after".getBytes(), (s, st) -> ends.add("after:" + Status.name(st)));
        runFor(50); // part of it is written, the rest waits for the peer
        assertTrue(net.cancel(id));
        runUntil(() -> ends.size() == 2, "both ends");
        assertEquals(List.of("big:ECANCELED", "after:ECANCELED"), ends);
        int[] later = {1};
        pair[0].send("later".getBytes(), (s, st) -> later[0] = st);
        runUntil(() -> later[0] != 1, "a later send");
        assertEquals(Status.ECANCELED, later[0], "the output stays broken");
        assertEquals(0, net.stats().sendQueuedBytes());
    }

    /** Sends after the connection broke fail at once with the same error, and nothing is held for them. */
    @Test
    void sendsAfterABrokenConnectionFailAtOnceWithItsError() {
        StreamSocket[] pair = net.socketPair();
        pair[1].close();
        int[] first = {1};
        pair[0].send(new byte[100], (s, st) -> first[0] = st);
        runUntil(() -> first[0] != 1, "the first send");
        assertEquals(Status.EPIPE, first[0]);
        List<Integer> later = new ArrayList<>();
        for (int i = 0; i < 3; i++) pair[0].send(new byte[10], (s, st) -> later.add(st));
        runUntil(() -> later.size() == 3, "later sends");
        assertEquals(List.of(Status.EPIPE, Status.EPIPE, Status.EPIPE), later);
        assertEquals(0, net.stats().sendQueuedBytes());
        assertEquals(net.stats().buffers(), net.stats().buffersFree());
    }

    @Test
    void badGathersAreRefusedBeforeAnythingIsTaken() {
        StreamSocket[] pair = net.socketPair();
        Buffer a = net.allocate().put((byte) 1);
        assertThrows(IllegalArgumentException.class, () -> pair[0].send(new Buffer[] {a, a}, null));
        assertThrows(IllegalArgumentException.class, () -> pair[0].send(new Buffer[] {a, null}, null));
        assertThrows(IllegalArgumentException.class, () -> pair[0].send(new Buffer[0], null));
        Buffer b = net.allocate();
        b.release();
        assertThrows(IllegalStateException.class, () -> pair[0].send(new Buffer[] {a, b}, null));
        assertTrue(a.isOwned(), "a refused gather takes none of its buffers");
        a.release();
        assertThrows(IllegalArgumentException.class, () -> pair[0].sendWaterMarks(10, 10));
        assertThrows(IllegalArgumentException.class, () -> Net.builder(loop).sendWaterMarks(-1, 10));
    }

    /**
     * Zero-copy writes (IORING_OP_SEND_ZC / SENDMSG_ZC on io_uring, ignored elsewhere): every byte arrives in order
     * over TCP, and a Unix socket, which refuses them (EOPNOTSUPP), gets its bytes the ordinary way; buffers go back
     * only after the kernel's notification, and all of them do.
     */
    @Test
    void zeroCopyWritesDeliverEveryByteAndFallBackWhereRefused() {
        net.close();
        net = Net.builder(loop).sendZeroCopyAbove(1).open();
        StreamListener l = net.listen(loopback4());
        StreamSocket[] accepted = new StreamSocket[1];
        l.accept((x, s, st) -> {
            if (s != null) accepted[0] = s;
        });
        StreamSocket client = net.connect(l.localAddress(), (s, st) -> {});
        runUntil(() -> accepted[0] != null, "the connection");
        StreamSocket[] unix = net.socketPair();
        for (StreamSocket[] pair : List.of(new StreamSocket[] {client, accepted[0]}, unix)) {
            byte[] data = pattern(8 << 20, 4);
            OrderedReader reader = new OrderedReader(data);
            pair[1].recv(reader);
            for (int off = 0; off < data.length; ) {
                Buffer b = net.tryAllocate();
                if (b == null) {
                    runFor(2);
                    continue;
                }
                int n = Math.min(b.capacity(), data.length - off);
                pair[0].send(b.put(data, off, n), null);
                off += n;
            }
            runUntil(() -> reader.got == data.length || reader.mismatch != null, 30, "8 MiB");
            assertEquals(null, reader.mismatch);
            runUntil(() -> net.stats().buffersFree() == net.stats().buffers(), "every buffer back after its notification");
        }
        NetStats st = net.stats();
        if (st.features().contains("zero-copy writes from")) assertTrue(st.zeroCopyWrites() > 0, st.toString());
    }

    /**
     * A zero-copy write cancelled, or ended by a close, while the kernel holds it (its peer reads nothing, so it waits
     * for room): its callback comes at once, one per write, never two (netty#15599: a cancelled SEND_ZC posts its
     * result and a notification, and Netty completed the write on both); its buffers stay out of the pool while the
     * kernel may still send them and every one comes back once the notifications came (the peer gone); the next
     * connection on the same Net is unharmed. (Before, a write ended only at its notification: the callbacks waited
     * for a peer that read nothing.)
     */
    @Test
    void aZeroCopyWriteCancelledOrClosedInFlightEndsOnceAndGivesItsBuffersBack() {
        net.close();
        net = Net.builder(loop).sendZeroCopyAbove(1).open();
        StreamListener l = net.listen(loopback4());
        List<StreamSocket> accepted = new ArrayList<>();
        l.accept((x, s, st) -> {
            if (s != null) accepted.add(s);
        });
        for (boolean byClose : new boolean[] {false, true}) {
            int before = accepted.size();
            StreamSocket client = net.connect(l.localAddress(), (s, st) -> {});
            runUntil(() -> accepted.size() == before + 1, "the connection");
            client.setOption(java.net.StandardSocketOptions.SO_SNDBUF, 32 * 1024); // small: 1 MiB cannot all go
            accepted.get(before).setOption(java.net.StandardSocketOptions.SO_RCVBUF, 32 * 1024);
            List<Integer> ends = new ArrayList<>();
            List<Long> ids = new ArrayList<>();
            for (int i = 0; i < 64; i++) { // 1 MiB: more than the socket buffers take while the peer does not read
                Buffer b = net.tryAllocate();
                if (b == null) break;
                b.put(pattern(b.capacity(), i));
                ids.add(client.send(b, (s, st) -> ends.add(st)));
            }
            runFor(50); // the head write is in the kernel, waiting for room
            assertTrue(ends.size() < ids.size(), "every write done already: the test would prove nothing " + ends);
            if (byClose) {
                client.close();
            } else {
                for (long id : ids) net.cancel(id); // the one in the kernel (ASYNC_CANCEL) and the queued ones
            }
            runUntil(() -> ends.size() >= ids.size(), "a callback for every write");
            if (!byClose) client.close();
            // the kernel holds the pages (pinned: out of the pool) until the bytes are acknowledged or dropped: the
            // peer goes (a reset frees what was queued for it), and then everything comes back
            accepted.get(before).close();
            runUntil(() -> net.stats().buffersFree() == net.stats().buffers(), "every buffer back after its notification");
            runFor(50);
            assertEquals(ids.size(), ends.size(), "one callback per write, never two: " + ends);
            for (int st : ends) assertTrue(st > 0 || st == Status.ECANCELED, "a write's end: " + Status.describe(st));
        }
        // the Net is unharmed: a fresh connection echoes through zero-copy writes
        int before = accepted.size();
        StreamSocket client = net.connect(l.localAddress(), (s, st) -> {});
        runUntil(() -> accepted.size() == before + 1, "the third connection");
        byte[] data = pattern(1 << 20, 9);
        OrderedReader reader = new OrderedReader(data);
        accepted.get(before).recv(reader);
        client.send(data, 0, data.length, null);
        runUntil(() -> reader.got == data.length || reader.mismatch != null, 30, "1 MiB after the cancels");
        assertEquals(null, reader.mismatch);
    }
}
