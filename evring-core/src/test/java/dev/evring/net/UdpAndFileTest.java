package dev.evring.net;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Datagrams with their addresses, and positioned file I/O, through the completion API. */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.net.NetVariants#datagrams")
class UdpAndFileTest extends NetTestBase {

    void udpEcho(InetSocketAddress any) {
        UdpSocket server = net.bindUdp(any);
        server.recvFrom((s, data, n) -> {
            if (n >= 0) s.reply(data, data, null); // echo to the sender, in the same buffer
        });
        UdpSocket client = net.bindUdp(any);
        SocketAddress to = server.localAddress();
        List<String> got = new ArrayList<>();
        List<SocketAddress> from = new ArrayList<>();
        client.recvFrom((s, data, n) -> {
            if (n < 0) return;
            got.add(data.toString(StandardCharsets.US_ASCII));
            from.add(data.sender());
            data.release();
        });
        for (int i = 0; i < 50; i++) {
            client.sendTo(net.allocate().put(("datagram " + i).getBytes(StandardCharsets.US_ASCII)), to, null);
        }
        runUntil(() -> got.size() == 50, "50 echoed datagrams");
        for (int i = 0; i < 50; i++) {
            assertTrue(got.contains("datagram " + i), "datagram " + i + " missing from " + got);
        }
        assertEquals(to, from.get(0), "the sender of the echo is the server");
    }

    @Test
    void udpOverIpv4EchoesDatagramsToTheirSender() {
        udpEcho(loopback4());
    }

    @Test
    void udpOverIpv6EchoesDatagramsToTheirSender() {
        udpEcho(loopback6());
    }

    @Test
    void anEmptyDatagramIsADatagramNotTheEnd() {
        UdpSocket a = net.bindUdp(loopback4());
        UdpSocket b = net.bindUdp(loopback4());
        List<Integer> sizes = new ArrayList<>();
        b.recvFrom((s, data, n) -> {
            sizes.add(n);
            if (data != null) data.release();
        });
        a.sendTo(net.allocate(), b.localAddress(), null);
        a.sendTo(net.allocate().put((byte) 7), b.localAddress(), null);
        runUntil(() -> sizes.size() == 2, "two datagrams");
        assertEquals(List.of(0, 1), sizes);
    }

    @Test
    void readinessStyleUdpReceivesWhatCompletionStyleSent() {
        UdpSocket a = net.bindUdp(loopback4());
        UdpSocket b = net.bindUdp(loopback4());
        Buffer in = net.allocate();
        assertEquals(-1, b.receive(in), "nothing there yet");
        Buffer hi = net.allocate().put("hi".getBytes());
        assertTrue(a.send(hi, b.localAddress()), "a datagram to loopback does not block");
        hi.release();
        runFor(5);
        assertEquals(2, b.receive(in));
        assertEquals(a.localAddress(), in.sender());
        in.release();
    }

    @Test
    void fileWritesAndReadsAtPositions() throws Exception {
        Path f = Files.createTempFile("evring-file", ".bin");
        try {
            AsyncFile file = net.openFile(f, StandardOpenOption.READ, StandardOpenOption.WRITE);
            byte[] first = pattern(5000, 1);
            byte[] second = pattern(3000, 2);
            int[] written = {0, 0};
            file.write(0, net.allocate().put(first), (x, n) -> written[0] = n);
            file.write(5000, net.allocate().put(second), (x, n) -> written[1] = n);
            runUntil(() -> written[0] != 0 && written[1] != 0, "both writes");
            assertEquals(5000, written[0]);
            assertEquals(3000, written[1]);
            byte[][] read = new byte[2][];
            file.read(4000, net.allocate(), (x, data, n) -> {
                read[0] = data.toArray();
                data.release();
            });
            file.read(8000, net.allocate(), (x, data, n) -> {
                assertEquals(0, n, "at end of file");
                read[1] = data.toArray();
                data.release();
            });
            runUntil(() -> read[0] != null && read[1] != null, "both reads");
            byte[] expect = new byte[4000];
            System.arraycopy(first, 4000, expect, 0, 1000);
            System.arraycopy(second, 0, expect, 1000, 3000);
            assertArrayEquals(expect, read[0]);
            assertEquals(0, read[1].length);
            assertArrayEquals(java.nio.ByteBuffer.allocate(8000).put(first).put(second).array(), Files.readAllBytes(f));
            file.close();
        } finally {
            Files.deleteIfExists(f);
        }
    }

    @Test
    void openingAMissingFileThrowsWithItsErrno() {
        dev.evring.ErrnoException e = org.junit.jupiter.api.Assertions.assertThrows(dev.evring.ErrnoException.class,
                () -> net.openFile(Path.of("/nonexistent/evring/file")));
        assertEquals("ENOENT", e.errnoName());
    }
}
