package dev.evring.backend;

import dev.evring.EventLoop;
import dev.evring.Events;
import dev.evring.LoopVariant;
import dev.evring.LoopTestBase;
import dev.evring.linux.Errno;
import dev.evring.linux.Libc;
import dev.evring.linux.SysSocket;
import dev.evring.linux.TcpPair;
import dev.evring.linux.Unistd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A peer that resets the connection (RST, by SO_LINGER 0) is reported by the readiness read as ECONNRESET, on every
 * backend: the read that meets the error reports it, so it is never taken for a clean end of stream (issue 9,
 * defect 2: a wrapper that repeated the failed call to learn its errno read 0 the second time).
 */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.LoopVariants#all")
class ResetPeerTest {
    @Parameter
    LoopVariant variant;

    @Test
    void aResetPeerIsReadAsEconnresetThenEndOfStream() {
        try (EventLoop loop = variant.open(); Arena arena = Arena.ofConfined()) {
            MemorySegment cs = Libc.allocateCallState(arena);
            MemorySegment buf = arena.allocate(64);
            int[] pair = TcpPair.open();
            List<Long> reads = new ArrayList<>();
            var w = loop.io(pair[0], Events.READ, (x, ev) -> {
                long r = SysSocket.recv(cs, pair[0], buf, 64, 0);
                if (r != -Errno.EAGAIN) reads.add(r);
                if (r <= 0 && r != -Errno.EAGAIN && reads.size() >= 2) x.stop();
            });
            w.start();
            TcpPair.reset(pair[1]);
            LoopTestBase.runUntil(loop, () -> reads.size() >= 2, "the reset and the end of stream after it");
            assertEquals(List.of((long) -Errno.ECONNRESET, 0L), reads.subList(0, 2),
                    "the first read after a reset must report ECONNRESET (" + variant + ")");
            Unistd.close(cs, pair[0]);
        }
    }
}
