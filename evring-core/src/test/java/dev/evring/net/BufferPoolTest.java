package dev.evring.net;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The pools: who may touch a buffer when, and what running dry does (wait, never drop or lose). */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.net.NetVariants#all")
class BufferPoolTest extends NetTestBase {

    @Override
    Net openNet() {
        return Net.builder(loop).recvBuffers(4, 4096).buffers(8, 4096).open();
    }

    @Test
    void exhaustingTheReceivePoolMakesReceivesWaitWithoutLosingAByte() {
        StreamSocket[] pair = net.socketPair();
        List<Buffer> held = new ArrayList<>();
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        boolean[] hold = {true};
        pair[0].recv((s, data, n) -> {
            if (n <= 0) return;
            if (hold[0]) {
                held.add(data); // keep it: the pool drains
            } else {
                got.write(data.toArray(), 0, n);
                data.release();
            }
        });
        byte[] payload = pattern(200_000, 5);
        pair[1].send(payload, 0, 4096 * 4, null);
        runUntil(() -> held.size() == 4, "the four receive buffers to be delivered and held");
        int rest = 4096 * 4;
        // more data arrives while every buffer is held: the receive must wait
        pair[1].send(payload, rest, 4096 * 2, null);
        runUntil(() -> net.stats().recvWaiting() == 1, "the receive to wait for a buffer");
        runFor(30);
        NetStats st = net.stats();
        assertEquals(4, held.size(), "nothing delivered without a buffer");
        assertTrue(st.recvBufferWaits() >= 1, "the wait shows in the stats: " + st);
        assertEquals(4, st.recvBuffersHeld());
        assertEquals(0, st.recvBuffersFree());
        assertTrue(pair[0].isReceiving(), "the connection was not dropped");
        // hand the buffers back: receiving resumes where it stopped
        hold[0] = false;
        for (Buffer b : held) {
            got.write(b.toArray(), 0, b.length());
            b.release();
        }
        int sentSoFar = rest + 4096 * 2;
        pair[1].send(payload, sentSoFar, 4096, null); // the general pool (8) is the limit per call
        int total = sentSoFar + 4096;
        runUntil(() -> got.size() == total, "every byte after the pool refilled");
        byte[] expect = java.util.Arrays.copyOf(payload, total);
        assertArrayEquals(expect, got.toByteArray());
        assertEquals(0, net.stats().recvWaiting());
    }

    @Test
    void twoConnectionsWaitingForBuffersBothResume() {
        StreamSocket[] a = net.socketPair();
        StreamSocket[] b = net.socketPair();
        List<Buffer> held = new ArrayList<>();
        int[] bytes = new int[2];
        boolean[] hold = {true};
        StreamSocket[] readers = {a[0], b[0]};
        for (int i = 0; i < 2; i++) {
            int k = i;
            readers[i].recv((s, data, n) -> {
                if (n <= 0) return;
                bytes[k] += n;
                if (hold[0]) held.add(data);
                else data.release();
            });
        }
        a[1].send(pattern(4096 * 3, 1), 0, 4096 * 3, null);
        b[1].send(pattern(4096 * 3, 2), 0, 4096 * 3, null);
        runUntil(() -> net.stats().recvWaiting() == 2 || bytes[0] + bytes[1] == 6 * 4096 && held.size() == 4,
                "both receives to wait for buffers");
        hold[0] = false;
        for (Buffer x : held) x.release();
        runUntil(() -> bytes[0] == 3 * 4096 && bytes[1] == 3 * 4096, "both connections to get everything");
    }

    @Test
    void aBufferRefusesAccessOnceReleasedAndCannotBeReleasedTwice() {
        Buffer b = net.allocate();
        b.put(new byte[] {1, 2, 3});
        assertEquals(3, b.length());
        assertEquals(2, b.get(1));
        assertTrue(b.isOwned());
        b.release();
        assertFalse(b.isOwned());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> b.get(0));
        assertTrue(e.getMessage().contains("released"), e.getMessage());
        assertThrows(IllegalStateException.class, b::release);
        assertThrows(IllegalStateException.class, () -> b.put((byte) 1));
        assertThrows(IllegalStateException.class, b::length);
    }

    @Test
    void aBufferHandedToSendIsNoLongerYours() {
        StreamSocket[] pair = net.socketPair();
        Buffer b = net.allocate().put(new byte[] {9});
        pair[0].send(b, null);
        assertFalse(b.isOwned());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> b.get(0));
        assertTrue(e.getMessage().contains("not yours"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> pair[0].send(b, null), "sending it twice");
        runFor(10);
        assertEquals(8, net.stats().buffersFree(), "back in the pool once sent");
    }

    @Test
    void indicesAreCheckedAgainstTheData() {
        Buffer b = net.allocate().put(new byte[] {1, 2});
        assertThrows(IndexOutOfBoundsException.class, () -> b.get(2));
        assertThrows(IndexOutOfBoundsException.class, () -> b.get(-1));
        assertThrows(IndexOutOfBoundsException.class, () -> b.get(1, new byte[4], 0, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> b.put(new byte[b.capacity()]));
        assertThrows(IndexOutOfBoundsException.class, () -> b.length(b.capacity() + 1));
        assertEquals(1, b.indexOf((byte) 2, 0));
        assertTrue(b.contentEquals(new byte[] {1, 2}));
        b.release();
    }

    @Test
    void theGeneralPoolRunsDryVisiblyAndRecovers() {
        List<Buffer> all = new ArrayList<>();
        for (int i = 0; i < 8; i++) all.add(net.allocate());
        assertNull(net.tryAllocate());
        IllegalStateException e = assertThrows(IllegalStateException.class, net::allocate);
        assertTrue(e.getMessage().contains("exhausted"), e.getMessage());
        StreamSocket[] pair = net.socketPair();
        int[] status = {1};
        pair[0].send(new byte[10], 0, 10, (s, st) -> status[0] = st);
        runUntil(() -> status[0] != 1, "the send");
        assertEquals(10, status[0], "a copy sent with the pool dry goes out all the same (in memory of its own)");
        assertEquals(1, net.stats().sendSpills(), net.stats().toString());
        all.forEach(Buffer::release);
        assertEquals(8, net.stats().buffersFree());
    }

    @Test
    void buffersOfAnotherNetAreRefused() {
        Net other = Net.builder(loop).buffers(1, 128).recvBuffers(1, 128).open();
        Buffer foreign = other.allocate();
        StreamSocket[] pair = net.socketPair();
        assertThrows(IllegalArgumentException.class, () -> pair[0].send(foreign, null));
        foreign.release();
        other.close();
    }

    /**
     * Issue 9 defect 12 (the p99 at 1,000 connections): receives that waited for a buffer are served in the order they
     * began to wait, before newcomers. A woken waiter used to go to the back of the line whenever a socket that had not
     * waited was readable in the same iteration, and some connections waited dozens of iterations. With a kernel
     * buffer ring the kernel hands buffers to whichever receive has data first: this holds where evring hands them out.
     */
    @Test
    void receivesThatWaitedForABufferAreServedFirstInTheirOrder() {
        assumeTrue(!net.stats().features().contains("buffer ring"),
                "with a kernel buffer ring the kernel, not evring, picks which receive gets a returned buffer");
        StreamSocket[] hog = net.socketPair();
        List<Buffer> held = new ArrayList<>();
        hog[0].recv((s, d, n) -> {
            if (d != null) held.add(d);
        });
        for (int i = 0; i < 4; i++) {
            hog[1].send(new byte[] {1}, 0, 1, null);
            int k = i;
            runUntil(() -> held.size() == k + 1, "chunk " + k + " held");
        }
        hog[0].stopRecv(); // (without a buffer ring its receive would wait for a fifth buffer itself)
        runUntil(() -> !hog[0].isReceiving(), "the hog's receive to end");
        List<String> order = new ArrayList<>();
        List<StreamSocket[]> waiters = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            StreamSocket[] p = net.socketPair();
            String name = "waiter" + i;
            p[0].recv((s, d, n) -> {
                if (d != null) {
                    order.add(name);
                    d.release();
                }
            });
            p[1].send(new byte[] {2}, 0, 1, null);
            int k = i;
            runUntil(() -> net.stats().recvWaiting() == k + 1, name + " to wait");
            waiters.add(p);
        }
        StreamSocket[] late = net.socketPair();
        late[0].recv((s, d, n) -> {
            if (d != null) {
                order.add("newcomer");
                d.release();
            }
        });
        runFor(10);
        held.remove(0).release();
        assertEquals(1, late[1].write(new byte[] {3}, 0, 1)); // a newcomer readable as the buffer comes back
        runUntil(() -> !order.isEmpty(), "a chunk for the returned buffer");
        assertEquals("waiter0", order.get(0), "the oldest waiter gets the returned buffer: " + order);
        // waiter0 gave its buffer back at once: it went to the next in line, and so on, the newcomer last
        runUntil(() -> order.size() == 4, "everyone served, one buffer at a time");
        assertEquals(List.of("waiter0", "waiter1", "waiter2", "newcomer"), order);
        for (Buffer b : held) b.release();
    }

    /**
     * The stall of a thousand echoes on io_uring without DEFER_TASKRUN: a receive that finds the buffer ring empty is
     * refused with ENOBUFS before the kernel looks at its socket, so receives with nothing to read waited beside
     * receives with data; a returned buffer woke the oldest, which had nothing to read and parked in the kernel
     * without taking it, and the receives with data waited for good beside a ring full of buffers. Returned buffers
     * must reach the receives that have data, whatever order they began to wait in, and once traffic settles no receive
     * may wait while a buffer is free.
     */
    @Test
    void returnedBuffersReachTheReceivesWithDataNotIdleOnes() {
        StreamSocket[] hog = net.socketPair();
        List<Buffer> held = new ArrayList<>();
        hog[0].recv((s, d, n) -> {
            if (d != null) held.add(d);
        });
        for (int i = 0; i < 4; i++) {
            hog[1].send(new byte[] {1}, 0, 1, null);
            int k = i;
            runUntil(() -> held.size() == k + 1, "chunk " + k + " held");
        }
        hog[0].stopRecv();
        runUntil(() -> !hog[0].isReceiving(), "the hog's receive to end");
        // receives that start while the pool is dry and have nothing to read, then receives with data waiting
        List<Collector> idle = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            StreamSocket[] p = net.socketPair();
            Collector c = new Collector();
            p[0].recv(c);
            idle.add(c);
        }
        runFor(20);
        List<Collector> busy = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            StreamSocket[] p = net.socketPair();
            Collector c = new Collector();
            p[0].recv(c);
            assertEquals(100, p[1].write(pattern(100, i), 0, 100));
            busy.add(c);
        }
        runFor(20);
        for (Buffer b : held) b.release();
        held.clear();
        runUntil(() -> busy.stream().allMatch(c -> c.bytes.size() == 100), 5, "every receive with data to get it");
        for (int i = 0; i < 4; i++) assertArrayEquals(pattern(100, i), busy.get(i).bytes.toByteArray());
        runFor(20);
        assertReceivePoolSettled();
        assertTrue(idle.stream().allMatch(c -> c.bytes.size() == 0 && !c.ended), "idle receives got nothing and go on");
    }
}
