package dev.evring;

import dev.evring.internal.LoopAccess;
import dev.evring.uring.RingFaults;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The narrow way in to the ring for the layers above the loop (issue 11): there while a ring is, null otherwise. */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.LoopVariants#all")
class LoopAccessTest extends LoopTestBase {

    @Test
    void theRingIsHandedOutOnlyOnIoUring() {
        if (variant.backend() == Backend.IO_URING) assertNotNull(LoopAccess.get().ring(loop));
        else assertNull(LoopAccess.get().ring(loop), variant + " has no ring");
    }

    @Test
    void onlyOnTheLoopsThread() throws Exception {
        Throwable[] got = new Throwable[1];
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                LoopAccess.get().ring(loop);
            } catch (Throwable e) {
                got[0] = e;
            }
        });
        t.join();
        assertEquals(IllegalStateException.class, got[0] == null ? null : got[0].getClass());
    }

    /** After a move to epoll (lost completions at the ring's size limit) there is no ring to hand out. */
    @Test
    void noRingAfterTheLoopMovedToEpoll() {
        assumeTrue(variant.backend() == Backend.IO_URING && variant.options().isEmpty(), "the default io_uring variant only");
        RingFaults.withoutNodrop(); // as on a kernel without IORING_FEAT_NODROP
        RingFaults.maxCqEntries(8); // the kernel's ring size limit
        try {
            movesToEpoll(open(builder().option("io_uring.sq_entries", "4").option("io_uring.cq_entries", "8")));
        } finally {
            RingFaults.clear();
        }
    }

    private void movesToEpoll(EventLoop l) {
        assertNotNull(LoopAccess.get().ring(l));
        List<IoWatcher> ws = new ArrayList<>();
        for (int i = 0; i < 40; i++) { // forty ready fds: far more completions than an 8-entry CQ holds
            int[] sp = socketpair();
            TestFds.write(sp[1], (byte) 1);
            IoWatcher w = l.io(sp[0], Events.READ, (x, ev) -> {});
            w.start();
            ws.add(w);
        }
        runUntil(l, () -> l.backendDetails().contains("moved to epoll"), "the move to epoll");
        assertNull(LoopAccess.get().ring(l));
        for (IoWatcher w : ws) w.stop();
        l.close();
        assertThrows(IllegalStateException.class, () -> LoopAccess.get().ring(l));
    }
}
