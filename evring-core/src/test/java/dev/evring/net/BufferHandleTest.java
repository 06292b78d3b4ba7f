package dev.evring.net;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A {@link Buffer} handle is yours from the moment it is handed to you until you give it back, and refuses everything
 * after that for good, whatever happens to the memory behind it (generations, not identity: the next owner gets a
 * handle of its own). Only the loop's thread may touch a buffer; another thread is refused before anything changes.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.net.NetVariants#all")
class BufferHandleTest extends NetTestBase {

    @Override
    Net openNet() {
        return Net.builder(loop).recvBuffers(4, 4096).buffers(8, 4096).open();
    }

    /** Every public method of Buffer, called once (toString excepted: it never throws). */
    static Map<String, Consumer<Buffer>> everyMethod(Buffer other) {
        Map<String, Consumer<Buffer>> m = new LinkedHashMap<>();
        m.put("isOwned", Buffer::isOwned);
        m.put("capacity", Buffer::capacity);
        m.put("length()", Buffer::length);
        m.put("writable", Buffer::writable);
        m.put("length(int)", b -> b.length(0));
        m.put("clear", Buffer::clear);
        m.put("get(int)", b -> b.get(0));
        m.put("get(int, byte[], int, int)", b -> b.get(0, new byte[1], 0, 1));
        m.put("get(ByteBuffer)", b -> b.get(ByteBuffer.allocate(4)));
        m.put("get(int, MemorySegment, long, int)", b -> b.get(0, MemorySegment.ofArray(new byte[4]), 0, 1));
        m.put("set", b -> b.set(0, (byte) 1));
        m.put("put(byte)", b -> b.put((byte) 1));
        m.put("put(byte[])", b -> b.put(new byte[] {1}));
        m.put("put(byte[], int, int)", b -> b.put(new byte[] {1}, 0, 1));
        m.put("put(ByteBuffer)", b -> b.put(ByteBuffer.wrap(new byte[] {1})));
        m.put("put(MemorySegment, long, int)", b -> b.put(MemorySegment.ofArray(new byte[] {1}), 0, 1));
        m.put("put(Buffer)", b -> b.put(other));
        m.put("indexOf", b -> b.indexOf((byte) 1, 0));
        m.put("contentEquals", b -> b.contentEquals(new byte[] {1}));
        m.put("toArray", Buffer::toArray);
        m.put("toString(Charset)", b -> b.toString(StandardCharsets.UTF_8));
        m.put("sender", Buffer::sender);
        m.put("release", Buffer::release);
        return m;
    }

    private static void assertRefusesEverything(Buffer stale, Buffer other, String why) {
        for (Map.Entry<String, Consumer<Buffer>> e : everyMethod(other).entrySet()) {
            if (e.getKey().equals("isOwned")) {
                assertFalse(stale.isOwned(), why + ": isOwned");
                continue;
            }
            if (e.getKey().equals("capacity")) continue; // a constant of the pool: harmless
            assertThrows(IllegalStateException.class, () -> e.getValue().accept(stale), why + ": " + e.getKey());
        }
    }

    @Test
    void aReleasedHandleRefusesEveryAccessAfterItsMemoryIsHandedOutAgain() {
        Buffer stale = net.allocate().put(new byte[] {1, 2, 3});
        stale.release();
        List<Buffer> all = new ArrayList<>();
        for (int i = 0; i < 8; i++) all.add(net.allocate().put(new byte[] {(byte) (100 + i)})); // reuses every slot
        Buffer other = all.get(0);
        assertRefusesEverything(stale, other, "a released handle whose memory has a new owner");
        for (int i = 0; i < 8; i++) {
            assertTrue(all.get(i).isOwned(), "the new owner keeps its buffer");
            assertEquals(100 + i, all.get(i).get(0), "the new owner's data is untouched");
        }
        all.forEach(Buffer::release);
        assertEquals(8, net.stats().buffersFree());
    }

    @Test
    void aReleasedChunkCannotReadTheChunksThatReuseItsBuffer() {
        StreamSocket[] pair = net.socketPair();
        List<Buffer> stale = new ArrayList<>();
        List<byte[]> seen = new ArrayList<>();
        Buffer[] current = {null};
        pair[0].recv((s, data, n) -> {
            if (n <= 0) return;
            seen.add(data.toArray());
            if (current[0] != null) {
                current[0].release();
                stale.add(current[0]); // a reference kept past release, as a careless application might
            }
            current[0] = data; // the newest chunk stays held: its memory is one an older chunk had
        });
        for (int i = 0; i < 12; i++) { // three times the receive pool: every buffer is reused
            int k = i;
            pair[1].send(new byte[] {(byte) k}, 0, 1, null);
            runUntil(() -> seen.size() == k + 1, "chunk " + k);
        }
        Buffer other = net.allocate().put(new byte[] {7});
        for (int i = 0; i < stale.size(); i++) {
            assertArrayEquals(new byte[] {(byte) i}, seen.get(i));
            assertRefusesEverything(stale.get(i), other, "chunk " + i + " after release");
        }
        assertTrue(current[0].isOwned());
        assertArrayEquals(new byte[] {11}, current[0].toArray(), "the holder of the reused memory sees its own data");
        current[0].release();
        other.release();
    }

    @Test
    void aHandleGivenToSendRefusesEveryAccessForGood() {
        StreamSocket[] pair = net.socketPair();
        Buffer sent = net.allocate().put(new byte[] {5});
        pair[0].send(sent, null);
        Buffer other = net.allocate().put(new byte[] {6});
        assertRefusesEverything(sent, other, "a handle given to send");
        runUntil(() -> net.stats().buffersFree() == 7, "the sent buffer back in its pool");
        List<Buffer> all = new ArrayList<>();
        for (int i = 0; i < 7; i++) all.add(net.allocate()); // the sent buffer's memory is handed out again
        assertRefusesEverything(sent, other, "a sent handle whose memory has a new owner");
        all.forEach(Buffer::release);
        other.release();
    }

    /** Runs {@code action} on another thread and returns what it threw (null if nothing). */
    private static Throwable onAnotherThread(Runnable action) {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                action.run();
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        try {
            t.join();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        return thrown.get();
    }

    @Test
    void everyBufferMethodRefusesAnotherThreadBeforeTouchingAnything() {
        Buffer b = net.allocate().put(new byte[] {1, 2, 3});
        Buffer other = net.allocate().put(new byte[] {4});
        for (Map.Entry<String, Consumer<Buffer>> e : everyMethod(other).entrySet()) {
            Throwable t = onAnotherThread(() -> e.getValue().accept(b));
            if (!(t instanceof IllegalStateException)) {
                fail(e.getKey() + " from another thread: expected IllegalStateException, got " + t, t);
            }
            assertTrue(b.isOwned(), e.getKey() + " from another thread changed the owner");
            assertEquals(3, b.length(), e.getKey() + " from another thread changed the data");
        }
        assertArrayEquals(new byte[] {1, 2, 3}, b.toArray());
        b.release();
        other.release();
        assertEquals(8, net.stats().buffersFree(), "nothing lost to the refused calls");
    }

    @Test
    void aReleaseFromAnotherThreadLosesNoReceiveBuffer() {
        StreamSocket[] pair = net.socketPair();
        List<Buffer> held = new ArrayList<>();
        int[] bytes = {0};
        boolean[] hold = {true};
        pair[0].recv((s, data, n) -> {
            if (n <= 0) return;
            bytes[0] += n;
            if (hold[0]) held.add(data);
            else data.release();
        });
        for (int i = 0; i < 4; i++) {
            int k = i;
            pair[1].send(new byte[100], 0, 100, null);
            runUntil(() -> held.size() == k + 1, "chunk " + k + " delivered and held");
        }
        for (Buffer b : held) {
            Throwable t = onAnotherThread(b::release);
            assertTrue(t instanceof IllegalStateException, "release from another thread: " + t);
            assertTrue(b.isOwned(), "a refused release leaves the buffer with its owner");
        }
        hold[0] = false;
        for (Buffer b : held) b.release();
        assertEquals(0, net.stats().recvBuffersHeld());
        // every buffer is back: many more chunks than the pool holds still flow
        for (int i = 0; i < 16; i++) {
            int k = i;
            pair[1].send(new byte[100], 0, 100, null);
            runUntil(() -> bytes[0] == (5 + k) * 100, "chunk " + (4 + k) + " with every buffer back");
        }
        assertEquals(0, net.stats().recvWaiting());
    }
}
