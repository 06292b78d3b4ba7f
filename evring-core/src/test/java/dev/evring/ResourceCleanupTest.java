package dev.evring;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** close() gives back every fd and mapping, on every backend. */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.LoopVariants#all")
class ResourceCleanupTest extends LoopTestBase {

    private void openUseClose() {
        try (EventLoop loop = variant.open()) { // opens and closes a loop of its own: the leak check counts them
            int[] sp = TestFds.socketpair();
            try {
                IoWatcher w = loop.io(sp[0], Events.READ | Events.WRITE, (x, ev) -> x.stop());
                w.start();
                loop.timer(Duration.ofMillis(1), Duration.ZERO, (x, ev) -> {}).start();
                AsyncWatcher a = loop.async((x, ev) -> x.stop());
                a.start();
                a.send();
                loop.runNoWait();
            } finally {
                TestFds.close(sp);
            }
        }
    }

    @Test
    void thousandOpenCloseCyclesLeaveNoFdOrMappingBehind() {
        for (int i = 0; i < 50; i++) openUseClose(); // warm up: class loading, JIT, thread-local call states
        int fds = TestFds.openFdCount();
        int maps = TestFds.mappingCount();
        for (int i = 0; i < 1000; i++) openUseClose();
        assertEquals(fds, TestFds.openFdCount(), "open fds before and after 1,000 loops");
        int mapsAfter = TestFds.mappingCount();
        // The JVM maps and unmaps memory of its own (code cache, GC, thread stacks) while we run, so compare with a
        // tolerance far below one mapping per cycle: a leak of one per loop would add 1,000.
        assertTrue(Math.abs(mapsAfter - maps) <= 10, "mappings before " + maps + ", after " + mapsAfter);
    }
}
