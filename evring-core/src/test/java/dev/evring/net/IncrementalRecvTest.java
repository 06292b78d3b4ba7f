package dev.evring.net;

import dev.evring.LoopVariant;
import dev.evring.LoopVariants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Incremental buffer consumption in net's receive path ({@code net.recv_incremental}, IOU_PBUF_RING_INC, 6.12): many
 * connections each holding a small received message hold bytes of the receive pool, not whole buffers. 200 connections
 * each send one 64-byte message to a server that keeps every received {@link Buffer}: with incremental buffers all 200
 * arrive into two of the pool's eight 16 KiB buffers; with whole buffers only eight arrive (one per buffer) and the
 * rest wait. A received buffer is a slice that can write only its own bytes (its capacity is what it received while
 * the kernel fills the rest of its buffer), so rewriting one leaves every other connection's message as it was; the
 * pool's buffers go back only once the kernel let go of them and every slice came back. Skips where the kernel lacks
 * incremental buffer rings.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("variants")
class IncrementalRecvTest extends NetTestBase {
    /** Larger runs for the note's figures: {@code -Devring.test.inc.connections=N -Devring.test.inc.buffers=B}. */
    static final int CONNECTIONS = Integer.getInteger("evring.test.inc.connections", 200);
    static final int MESSAGE = 64;
    static final int BUFFERS = Integer.getInteger("evring.test.inc.buffers", 8);
    static final int BUFFER_SIZE = 16384;

    static List<LoopVariant> variants() {
        LoopVariant ring = LoopVariants.ioUring().getFirst();
        return List.of(derive(ring, "incremental", "true"), derive(ring, "whole-buffers", "false"));
    }

    private static LoopVariant derive(LoopVariant base, String name, String incremental) {
        Map<String, String> options = new HashMap<>(base.options());
        options.put("net.recv_incremental", incremental);
        return new LoopVariant(base.name() + " " + name, base.backend(), Map.copyOf(options), base.unsupported());
    }

    @Override
    Net openNet() {
        return Net.builder(loop).recvBuffers(BUFFERS, BUFFER_SIZE).open();
    }

    boolean incremental() {
        boolean on = variant.options().get("net.recv_incremental").equals("true");
        String features = net.stats().features();
        assumeTrue(!on || features.contains("incremental buffer ring"), "no incremental buffer rings: " + features);
        return on;
    }

    /** Connection {@code id}'s message: its id in the first four bytes, then bytes that depend on it. */
    static byte messageByte(int id, int k) {
        return k < 4 ? (byte) (id >>> (24 - 8 * k)) : (byte) (id * 31 + k * 7 + 1);
    }

    static int idOf(Buffer b) {
        if (b.length() < 4) return -1;
        int id = (b.get(0) & 0xFF) << 24 | (b.get(1) & 0xFF) << 16 | (b.get(2) & 0xFF) << 8 | (b.get(3) & 0xFF);
        return id >= 0 && id < CONNECTIONS ? id : -1;
    }

    static boolean holdsMessage(Buffer b, int id, byte[] expected) {
        return b.length() == MESSAGE && b.contentEquals(expected);
    }

    static byte[] message(int id) {
        byte[] m = new byte[MESSAGE];
        for (int k = 0; k < MESSAGE; k++) m[k] = messageByte(id, k);
        return m;
    }

    @Test
    void smallMessagesHeldByManyConnectionsTakeBytesNotBuffers() {
        boolean incremental = incremental();
        List<Buffer> held = new ArrayList<>();
        List<StreamSocket> heldBy = new ArrayList<>();
        StreamListener server = net.listen(loopback4());
        server.accept((l, s, st) -> {
            if (s == null) return;
            s.recv((sock, data, n) -> {
                if (n > 0) { // kept: the application holds every message
                    held.add(data);
                    heldBy.add(sock);
                }
            });
        });
        SocketAddress addr = server.localAddress();
        int[] echoed = new int[CONNECTIONS];
        byte[][] echoes = new byte[CONNECTIONS][MESSAGE];
        for (int i = 0; i < CONNECTIONS; i++) {
            int id = i;
            net.connect(addr, (s, st) -> {
                if (st == Status.ECANCELED) return; // still connecting when the test ended
                assertEquals(0, st, "connect");
                s.send(message(id), 0, MESSAGE, null); // (a copy: thousands of clients need no general buffer each)
                s.recv((sock, data, n) -> {
                    if (n <= 0) return;
                    int room = Math.min(n, MESSAGE - echoed[id]);
                    data.get(0, echoes[id], echoed[id], room);
                    echoed[id] += room;
                    data.release();
                });
            });
        }
        if (!incremental) {
            runUntil(() -> held.size() == BUFFERS, 60, "a message in every buffer");
            runFor(200);
            assertEquals(BUFFERS, held.size(), "whole buffers: one held message per buffer");
            assertEquals(BUFFERS, net.recvPool.buffersOut());
            System.out.println("IncrementalRecvTest whole buffers: " + CONNECTIONS + " connections each sending a "
                    + MESSAGE + "-byte message the server keeps: " + held.size() + " arrived, holding " + BUFFERS + " of "
                    + BUFFERS + " buffers of " + BUFFER_SIZE + " bytes; the others wait");
            for (Buffer b : held) b.release();
            held.clear();
            runUntil(() -> held.size() == BUFFERS, "the next messages, into the buffers given back");
            for (Buffer b : held) b.release();
            return;
        }
        runUntil(() -> held.size() == CONNECTIONS, 60, "every connection's message, held");
        int out = net.recvPool.buffersOut();
        NetStats st = net.stats();
        System.out.println("IncrementalRecvTest incremental: " + CONNECTIONS + " connections each sending a " + MESSAGE
                + "-byte message the server keeps: all arrived, holding " + out + " of " + BUFFERS + " buffers of "
                + BUFFER_SIZE + " bytes (" + st.recvBuffersHeld() + " received buffers held; whole buffers would need "
                + CONNECTIONS + " buffers, " + (long) CONNECTIONS * BUFFER_SIZE / 1024 + " KiB, for the same)");
        assertTrue(out <= (CONNECTIONS * MESSAGE + BUFFER_SIZE - 1) / BUFFER_SIZE + 1, out + " buffers out for "
                + CONNECTIONS * MESSAGE + " bytes held");
        assertEquals(CONNECTIONS, st.recvBuffersHeld(), st.toString());
        int[] ids = new int[CONNECTIONS];
        boolean[] seen = new boolean[CONNECTIONS];
        for (int i = 0; i < CONNECTIONS; i++) {
            Buffer b = held.get(i);
            int id = idOf(b);
            assertTrue(id >= 0 && holdsMessage(b, id, message(id)), "a held message is not one a client sent: " + b);
            assertTrue(!seen[id], "connection " + id + "'s message twice");
            seen[id] = true;
            ids[i] = id;
            // a slice of a buffer the kernel still fills ends where its bytes end; else at its buffer's end
            assertTrue(b.capacity() == MESSAGE || (b.capacity() > MESSAGE && b.capacity() <= BUFFER_SIZE), b.toString());
        }
        // Rewrite every other message in place: only its own bytes change.
        byte[] x = new byte[MESSAGE];
        java.util.Arrays.fill(x, (byte) 'x');
        int full = 0;
        for (int i = 0; i < CONNECTIONS; i += 2) {
            Buffer b = held.get(i);
            if (b.capacity() == MESSAGE) {
                full++;
                assertThrows(IndexOutOfBoundsException.class, () -> b.put((byte) 1), "a full slice takes no byte more");
                assertThrows(IndexOutOfBoundsException.class, () -> b.set(MESSAGE, (byte) 1), "nor past its end");
            }
            b.clear().put(x);
        }
        assertTrue(full > 0, "no slice ended where its bytes end: the kernel never kept a buffer for the next receive");
        for (int i = 1; i < CONNECTIONS; i += 2) {
            assertTrue(holdsMessage(held.get(i), ids[i], message(ids[i])), "a message changed when its neighbour was rewritten");
        }
        // Each goes back to its client (the rewritten ones as x's): a send consumes its slice, which comes back once
        // written; the buffers come back with the last slice of each.
        for (int i = 0; i < CONNECTIONS - 1; i++) heldBy.get(i).send(held.get(i), null);
        int last = ids[CONNECTIONS - 1];
        runUntil(() -> {
            for (int id = 0; id < CONNECTIONS; id++) if (id != last && echoed[id] < MESSAGE) return false;
            return true;
        }, 60, "the echoes but the last");
        assertTrue(net.recvPool.buffersOut() >= 1, "the buffer of the last slice still out");
        assertEquals(1, net.stats().recvBuffersHeld());
        heldBy.get(CONNECTIONS - 1).send(held.get(CONNECTIONS - 1), null);
        runUntil(() -> echoed[last] == MESSAGE, "the last echo");
        for (int i = 0; i < CONNECTIONS; i++) {
            byte[] want = i % 2 == 0 ? x : message(ids[i]);
            assertTrue(java.util.Arrays.equals(want, echoes[ids[i]]), "connection " + ids[i] + " got back the wrong bytes");
        }
        runUntil(() -> net.recvPool.buffersOut() == 0, "every buffer back once every slice is");
        NetStats end = net.stats();
        assertEquals(0, end.recvBuffersHeld() + end.recvBuffersLent(), end.toString());
        assertEquals(BUFFERS, end.recvBuffersFree(), end.toString());
        assertEquals(0, end.staleCompletions(), end.toString());
        assertReceivePoolSettled();
    }
}
