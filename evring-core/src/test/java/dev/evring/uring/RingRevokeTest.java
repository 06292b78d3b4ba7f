package dev.evring.uring;

import dev.evring.TestFds;
import dev.evring.linux.Libc;
import dev.evring.linux.Unistd;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static dev.evring.linux.IoUring.IOSQE_IO_LINK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Ring#revoke}: an SQE claimed but not yet read by the kernel can be taken back (turned into a NOP that
 * reaches no file), one the kernel consumed cannot, and one that was claimed again for something else is left alone.
 */
class RingRevokeTest {

    @Test
    void aRevokedWriteNeverReachesItsFileAndAConsumedOneCannotBeRevoked() {
        Ring ring = RingTest.open(8, 32, RingTest.ALL_FLAGS, true);
        int[] pipe = TestFds.pipe();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(4);
            data.fill((byte) 'x');
            long ud = UserData.pack(20, 1);
            long sqe = ring.nextSqe();
            Sqe.prepWrite(ring.sqes(), sqe, pipe[1], data, 0, 4, 0, ud);
            Sqe.flags(ring.sqes(), sqe, Sqe.flags(ring.sqes(), sqe) | IOSQE_IO_LINK);
            long other = ring.nextSqe();
            Sqe.prepNop(ring.sqes(), other, UserData.pack(20, 2)); // the end of the link
            assertFalse(ring.revoke(sqe, UserData.pack(20, 99)), "another request's user_data: left alone");
            assertTrue(ring.revoke(sqe, ud), "not submitted yet: taken back");
            assertEquals(IOSQE_IO_LINK, Sqe.flags(ring.sqes(), sqe), "the link is kept");
            assertEquals(2, ring.submit(true));
            List<int[]> cqes = new ArrayList<>();
            ring.reap((u, res, flags) -> cqes.add(new int[] {(int) UserData.payload(u), res}));
            assertEquals(2, cqes.size());
            assertEquals(1, cqes.get(0)[0]);
            assertEquals(0, cqes.get(0)[1], "the revoked write completes as a NOP");
            MemorySegment buf = arena.allocate(8);
            assertEquals(-dev.evring.linux.Errno.EAGAIN, Unistd.read(Libc.threadCallState(), pipe[0], buf, 8),
                    "nothing was written to the pipe");
            assertFalse(ring.revoke(sqe, ud), "consumed by the kernel: too late to take back");

            long again = ring.nextSqe();
            Sqe.prepWrite(ring.sqes(), again, pipe[1], data, 0, 4, 0, ud);
            ring.submit(true);
            assertFalse(ring.revoke(again, ud), "submitted: too late");
            ring.reap((u, res, flags) -> assertEquals(4, res));
            assertEquals(4, Unistd.read(Libc.threadCallState(), pipe[0], buf, 8), "an SQE left alone does its work");
        } finally {
            TestFds.close(pipe);
            ring.close();
        }
    }
}
