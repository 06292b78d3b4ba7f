package dev.evring.net;

import dev.evring.EventLoop;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad values get an {@link IllegalArgumentException} naming them, before anything changes, on every backend: never an
 * internal exception (ArithmeticException, NullPointerException, OutOfMemoryError) and never a silent acceptance.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.net.NetVariants#datagrams")
class BadInputTest extends NetTestBase {

    private static void assertRefused(String mustName, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage() != null && e.getMessage().contains(mustName), "the message names " + mustName + ": " + e.getMessage());
    }

    /** A Duration too long for a long of nanoseconds (about 292 years) is refused by name, not an ArithmeticException. */
    @Test
    void durationsTooLongForNanosecondsAreRefusedByName() {
        Duration huge = Duration.ofSeconds(Long.MAX_VALUE);
        StreamSocket[] pair = net.socketPair();
        assertRefused("too long", () -> pair[0].recv(huge, (s, d, n) -> {}));
        assertRefused("too long", () -> pair[0].send(net.allocate(), huge, null));
        assertRefused("too long", () -> net.connect(loopback4(), huge, (s, st) -> {}));
        StreamListener l = net.listen(loopback4());
        assertRefused("too long", () -> l.accept(huge, (x, s, st) -> {}));
        UdpSocket u = net.bindUdp(loopback4());
        assertRefused("too long", () -> u.recvFrom(huge, (s, d, n) -> {}));
        assertRefused("too long", () -> Net.builder(loop).acceptBackoff(huge));
        assertRefused("must be positive", () -> Net.builder(loop).acceptBackoff(Duration.ZERO));
        assertRefused("must be positive", () -> pair[0].recv(Duration.ofMillis(-1), (s, d, n) -> {}));
        assertEquals(0, net.stats().operationsRunning(), "nothing was started by a refused call");
        assertEquals(net.stats().buffers(), net.stats().buffersFree() + 1, "only the buffer given to the refused send is out");
    }

    @Test
    void nullsAreRefusedByName() throws Exception {
        StreamSocket[] pair = net.socketPair();
        assertRefused("buffer is null", () -> pair[0].send((Buffer) null, null));
        assertRefused("src is null", () -> pair[0].send((byte[]) null, 0, 0, null));
        assertRefused("callback is null", () -> pair[0].recv(null));
        assertRefused("dst is null", () -> pair[0].read((byte[]) null, 0, 1));
        assertRefused("src is null", () -> pair[0].write((byte[]) null, 0, 1));
        assertRefused("address is null", () -> net.connect(null, (s, st) -> {}));
        assertRefused("address is null", () -> net.listen(null));
        UdpSocket u = net.bindUdp(loopback4());
        assertRefused("buffer is null", () -> u.sendTo(null, loopback4(), null));
        assertRefused("address is null", () -> u.sendTo(net.allocate(), null, null));
        assertRefused("request is null", () -> u.reply(net.allocate(), null, null));
        Path f = Files.createTempFile("evring-bad", ".bin");
        try {
            AsyncFile file = net.openFile(f, StandardOpenOption.READ, StandardOpenOption.WRITE);
            assertRefused("buffer is null", () -> file.read(0, null, (x, d, n) -> {}));
            assertRefused("buffer is null", () -> file.write(0, null, null));
            assertRefused("path is null", () -> net.openFile(null));
            file.close();
        } finally {
            Files.deleteIfExists(f);
        }
        assertEquals(0, net.stats().operationsRunning(), "nothing was started by a refused call");
    }

    /** 32768 buffers of 16 MiB are 512 GiB: said so, not an OutOfMemoryError, and nothing of the loop changes. */
    @Test
    void poolsThatDoNotFitInMemoryAreRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Net.builder(loop).recvBuffers(32768, 16 << 20).open());
        assertTrue(e.getMessage().contains("512 GiB") && e.getMessage().contains("does not fit"), e.getMessage());
        assertRefused("count 0", () -> Net.builder(loop).recvBuffers(0, 4096));
        assertRefused("size 17", () -> Net.builder(loop).buffers(8, 17));
        Net ok = Net.builder(loop).recvBuffers(4, 4096).buffers(4, 4096).open(); // the loop is untouched
        ok.close();
    }

    /** Every net.* option is checked when a Net opens, whatever the backend (the io_uring switches on epoll too). */
    @Test
    void badNetOptionsAreRefusedOnEveryBackend() {
        Map<String, String> bad = Map.ofEntries(
                Map.entry("net.completion", "sometimes"),
                Map.entry("net.multishot_accept", "abc"),
                Map.entry("net.buffer_ring", "2"),
                Map.entry("net.multishot_recv", "maybe"),
                Map.entry("net.recv_buffers", "0"),
                Map.entry("net.recv_buffer_size", "abc"),
                Map.entry("net.buffers", "99999999"),
                Map.entry("net.buffer_size", "12"),
                Map.entry("net.accept_backoff_ms", "0"),
                Map.entry("net.recv_share", "-1"));
        for (Map.Entry<String, String> o : bad.entrySet()) {
            EventLoop l2 = variant.builder().option(o.getKey(), o.getValue()).open();
            try {
                assertRefused(o.getKey(), () -> Net.open(l2));
            } finally {
                l2.close();
            }
        }
    }
}
