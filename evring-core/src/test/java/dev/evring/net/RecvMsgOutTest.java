package dev.evring.net;

import dev.evring.linux.IoUring;
import dev.evring.linux.SysSocket;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * What a multishot RECVMSG's buffer holds ({@code io_uring_recvmsg_out}, the name, the payload) is checked against the
 * buffer and the CQE's result before anything is used ({@link RingEngine#takeDatagram}): a CQE that does not fit is
 * refused (-1), a good one moves its payload to the buffer's start and its address to the slot's peer.
 */
class RecvMsgOutTest {
    private static final int HDR = (int) IoUring.RECVMSG_OUT_SIZE + RingEngine.DATAGRAM_NAME_ROOM;

    private final Arena arena = Arena.ofAuto();

    private BufferSlot slot(int size) {
        return new BufferSlot(null, 0, arena.allocate(size, 8), arena.allocate(SysSocket.SOCKADDR_STORAGE_SIZE, 8));
    }

    /** Writes the kernel's header, a 16-byte name of 0x11s and {@code copied} payload bytes (i + 1). Returns the CQE's res. */
    private static int fill(BufferSlot b, int nameLen, int controlLen, int payloadLen, int copied) {
        MemorySegment m = b.memory;
        m.set(ValueLayout.JAVA_INT, IoUring.OFF_RECVMSG_OUT_NAMELEN, nameLen);
        m.set(ValueLayout.JAVA_INT, IoUring.OFF_RECVMSG_OUT_CONTROLLEN, controlLen);
        m.set(ValueLayout.JAVA_INT, IoUring.OFF_RECVMSG_OUT_PAYLOADLEN, payloadLen);
        m.set(ValueLayout.JAVA_INT, IoUring.OFF_RECVMSG_OUT_FLAGS, payloadLen > copied ? SysSocket.MSG_TRUNC : 0);
        for (int i = 0; i < 16; i++) m.set(ValueLayout.JAVA_BYTE, IoUring.RECVMSG_OUT_SIZE + i, (byte) 0x11);
        for (int i = 0; i < copied; i++) m.set(ValueLayout.JAVA_BYTE, HDR + i, (byte) (i + 1));
        return HDR + copied;
    }

    @Test
    void theLayoutIsTheKernels() {
        assertEquals(16, IoUring.RECVMSG_OUT_SIZE);
        assertEquals(0, IoUring.OFF_RECVMSG_OUT_NAMELEN);
        assertEquals(4, IoUring.OFF_RECVMSG_OUT_CONTROLLEN);
        assertEquals(8, IoUring.OFF_RECVMSG_OUT_PAYLOADLEN);
        assertEquals(12, IoUring.OFF_RECVMSG_OUT_FLAGS);
        assertEquals(28, RingEngine.DATAGRAM_NAME_ROOM, "sizeof(struct sockaddr_in6)");
    }

    @Test
    void aDatagramMovesToTheStartWithItsAddress() {
        BufferSlot b = slot(256);
        int res = fill(b, 16, 0, 100, 100);
        assertEquals(100, RingEngine.takeDatagram(b, res));
        assertEquals(100, b.length);
        assertEquals(16, b.peerLength);
        for (int i = 0; i < 100; i++) assertEquals((byte) (i + 1), b.memory.get(ValueLayout.JAVA_BYTE, i), "byte " + i);
        for (int i = 0; i < 16; i++) assertEquals((byte) 0x11, b.peer.get(ValueLayout.JAVA_BYTE, i), "address byte " + i);
    }

    @Test
    void anEmptyDatagramAndATruncatedOneAreDelivered() {
        BufferSlot b = slot(256);
        assertEquals(0, RingEngine.takeDatagram(b, fill(b, 16, 0, 0, 0)), "an empty datagram is a datagram");
        int room = 256 - HDR;
        assertEquals(room, RingEngine.takeDatagram(b, fill(b, 28, 0, 5000, room)), "cut at the room left (MSG_TRUNC)");
        assertEquals(28, b.peerLength);
    }

    @Test
    void lengthsThatDoNotFitAreRefused() {
        BufferSlot b = slot(256);
        int room = 256 - HDR;
        assertEquals(-1, RingEngine.takeDatagram(b, HDR - 1), "shorter than the header");
        assertEquals(-1, RingEngine.takeDatagram(b, 257), "longer than the buffer");
        assertEquals(-1, RingEngine.takeDatagram(b, fill(b, 29, 0, 10, 10)), "a name longer than its room");
        assertEquals(-1, RingEngine.takeDatagram(b, fill(b, -1, 0, 10, 10)), "a negative name length");
        assertEquals(-1, RingEngine.takeDatagram(b, fill(b, 16, 8, 10, 10)), "control data never asked for");
        assertEquals(-1, RingEngine.takeDatagram(b, fill(b, 16, 0, 9, 10)), "a payload shorter than what was copied");
        assertEquals(-1, RingEngine.takeDatagram(b, fill(b, 16, 0, -5, room)), "a payload length past 2 GiB");
    }
}
