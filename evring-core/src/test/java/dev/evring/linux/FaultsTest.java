package dev.evring.linux;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The fault seam does what its Javadoc says, and only to the calls it names. */
class FaultsTest {

    @AfterEach
    void clear() {
        Faults.clear();
    }

    @Test
    void theTestJvmHasFaultInjectionOn() {
        assertTrue(Faults.ENABLED, "evring-core's surefire configuration sets -Devring.test.faults=true");
    }

    @Test
    void aFailRuleReturnsMinusErrnoWithoutMakingTheCall() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cs = Libc.allocateCallState(a);
            MemorySegment buf = a.allocate(16);
            int[] p = dev.evring.TestFds.pipe();
            dev.evring.TestFds.write(p[1], (byte) 1, (byte) 2, (byte) 3);
            try (Faults.Rule r = Faults.on(Faults.Call.READ).fd(p[0]).fail(Errno.EINTR)) {
                assertEquals(-Errno.EINTR, Unistd.read(cs, p[0], buf, 16));
                assertEquals(1, r.hits());
                assertTrue(r.spent());
                assertEquals(3, Unistd.read(cs, p[0], buf, 16), "the injected failure consumed nothing");
            }
            dev.evring.TestFds.close(p);
        }
    }

    @Test
    void aLimitRuleMakesShortTransfersAndSkipAndTimesCount() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cs = Libc.allocateCallState(a);
            MemorySegment buf = a.allocate(16);
            int[] p = dev.evring.TestFds.pipe();
            Faults.Rule w = Faults.on(Faults.Call.WRITE).fd(p[1]).skip(1).times(2).limit(1);
            assertEquals(4, Unistd.write(cs, p[1], buf, 4), "skipped");
            assertEquals(1, Unistd.write(cs, p[1], buf, 4));
            assertEquals(1, Unistd.write(cs, p[1], buf, 4));
            assertEquals(4, Unistd.write(cs, p[1], buf, 4), "spent");
            assertEquals(2, w.hits());
            dev.evring.TestFds.close(p);
        }
    }

    @Test
    void aRuleAppliesToItsFdAndItsThreadOnly() throws Exception {
        try (Arena a = Arena.ofShared()) {
            MemorySegment buf = a.allocate(16);
            int[] p = dev.evring.TestFds.pipe();
            int[] q = dev.evring.TestFds.pipe();
            try (Faults.Rule r = Faults.on(Faults.Call.WRITE).fd(p[1]).times(Integer.MAX_VALUE).fail(Errno.ENOMEM)) {
                assertEquals(2, Unistd.write(Libc.threadCallState(), q[1], buf, 2), "another fd");
                AtomicLong other = new AtomicLong();
                Thread t = Thread.ofPlatform().start(() -> other.set(Unistd.write(Libc.threadCallState(), p[1], buf, 2)));
                t.join();
                assertEquals(2, other.get(), "another thread");
                assertEquals(-Errno.ENOMEM, Unistd.write(Libc.threadCallState(), p[1], buf, 2));
                assertFalse(r.spent());
            }
            try (Faults.Rule r = Faults.on(Faults.Call.WRITE).fd(p[1]).anyThread().fail(Errno.EBADF)) {
                AtomicLong other = new AtomicLong();
                Thread t = Thread.ofPlatform().start(() -> other.set(Unistd.write(Libc.threadCallState(), p[1], buf, 2)));
                t.join();
                assertEquals(-Errno.EBADF, other.get(), "anyThread");
            }
            assertEquals(2, Unistd.write(Libc.threadCallState(), p[1], buf, 2), "closed rules are gone");
            dev.evring.TestFds.close(p);
            dev.evring.TestFds.close(q);
        }
    }
}
