package dev.evring.bench.memory;

import dev.evring.bench.harness.NativeTools;
import dev.evring.bench.harness.ProcStat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The readers of the memory benchmark: each parser on real output, and each source read for real here. */
class MemoryProbeTest {
    @TempDir
    Path dir;

    @Test
    void vmRssIsReadInKilobytesAndAMissingLineIsRefused() {
        assertEquals(575_076, ProcStat.parseVmRssKb("Name:\tjava\nVmHWM:\t  580000 kB\nVmRSS:\t  575076 kB\nRssAnon:\t 1 kB\n"));
        assertThrows(IllegalArgumentException.class, () -> ProcStat.parseVmRssKb("Name:\tkthreadd\n"));
        assertEquals(156_968, ProcStat.kbField("MemTotal:       24683548 kB\nSlab:             156968 kB\n", "Slab"));
    }

    @Test
    void theLiveHeapIsTheUsedOfEveryTopLevelSpace() {
        String parallel = """
                PSYoungGen      total 153088K, used 2048K [0x00000000f5580000, 0x0000000100000000, 0x0000000100000000)
                 eden space 131584K, 1% used [0x00000000f5580000,0x00000000f5580000,0x00000000fd600000)
                 from space 21504K, 0% used [0x00000000feb00000,0x00000000feb00000,0x0000000100000000)
                ParOldGen       total 349696K, used 1944K [0x00000000e0000000, 0x00000000f5580000, 0x00000000f5580000)
                 object space 349696K, 0% used [0x00000000e0000000,0x00000000e01e6318,0x00000000f5580000)
                Metaspace       used 9876K, committed 10112K, reserved 1114112K
                """;
        assertEquals((2048 + 1944) * 1024L, MemoryProbe.parseHeapUsedBytes(parallel));
        String g1 = "garbage-first heap   total reserved 65536K, committed 10240K, used 12345K [0x00000000fc000000, 0x0000000100000000)\n"
                + "  region size 1024K, 2 young (2048K), 0 survivors (0K)\n Metaspace       used 1K, committed 2K, reserved 3K\n";
        assertEquals(12_345 * 1024L, MemoryProbe.parseHeapUsedBytes(g1));
        assertThrows(IllegalArgumentException.class, () -> MemoryProbe.parseHeapUsedBytes("Command executed successfully\n"));
    }

    @Test
    void theJitsScratchMemoryIsNativeMemoryTrackingsArenaChunk() {
        String summary = """
                Total: reserved=1902345KB, committed=612345KB
                -                 Java Heap (reserved=524288KB, committed=524288KB)
                                            (mmap: reserved=524288KB, committed=524288KB)
                -               Arena Chunk (reserved=7534KB, committed=7534KB)
                                            (malloc=7534KB tag=Arena Chunk #286) (peak=11200KB #316)
                """;
        assertEquals(7534 * 1024L, MemoryProbe.parseArenaChunkBytes(summary));
        assertEquals(0, MemoryProbe.parseArenaChunkBytes("Native memory tracking is not enabled\n"));
    }

    @Test
    void socketBuffersSumReceiveWriteForwardAndOptionMemoryPerSocket() {
        String ss = "5000   0      127.0.0.1:48695 127.0.0.1:54272\n\t skmem:(r5832,rb131072,t0,tb3939840,f2360,w0,o0,bl0,d0)\n"
                + "0      0      127.0.0.1:48695 127.0.0.1:54274\n\t skmem:(r0,rb131072,t700,tb2626560,f100,w1400,o16,bl300,d2)\n";
        assertEquals(new MemoryProbe.SocketBuffers(2, 5832 + 2360 + 100 + 1400 + 16), MemoryProbe.parseSkmem(ss));
        assertEquals(new MemoryProbe.SocketBuffers(0, 0), MemoryProbe.parseSkmem(""));
        assertEquals(1, MemoryProbe.parseUnread("64     0      127.0.0.1:7007 127.0.0.1:40000\n0      0      127.0.0.1:7007 127.0.0.1:40002\n"));
        assertEquals(7, MemoryProbe.parseAcceptQueue("LISTEN 7      4096   [::ffff:127.0.0.1]:17020 *:*\n"));
        assertEquals(-1, MemoryProbe.parseAcceptQueue(""));
    }

    @Test
    void sockstatGivesSocketsTcpInUseAndTcpPages() {
        String text = "sockets: used 25\nTCP: inuse 1 orphan 0 tw 10365 alloc 1 mem 381\nUDP: inuse 0 mem 0\n";
        assertEquals(new MemoryProbe.Sockstat(25, 1, 381), MemoryProbe.parseSockstat(text));
        assertThrows(IllegalArgumentException.class, () -> MemoryProbe.parseSockstat("UDP: inuse 0 mem 0\n"));
    }

    @Test
    void theSourcesAreReadForRealHere() {
        assertTrue(ProcStat.treeRssBytes(ProcessHandle.current().pid()) > 10e6, "this JVM's RSS");
        assertTrue(Double.isNaN(ProcStat.treeRssBytes(Long.MAX_VALUE / 2)), "a process that does not exist has none");
        assertTrue(MemoryProbe.slabBytes() > 0);
        assertTrue(MemoryProbe.sockstat() != null);
    }

    @Test
    void aJvmsLiveHeapIsReadThroughTheAttachApiAndThroughJcmd() throws Exception {
        Process jvm = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx64m",
                "-cp", System.getProperty("java.class.path"), "dev.evring.bench.echo.EchoServerMain", "nio", "0")
                .redirectErrorStream(true).redirectOutput(dir.resolve("jvm.log").toFile()).start();
        try {
            long heap = 0;
            for (int i = 0; i < 100 && heap == 0; i++) { // until the JVM answers
                try {
                    heap = MemoryProbe.liveHeapBytes(jvm.pid());
                } catch (java.io.IOException notYet) {
                    Thread.sleep(100);
                }
            }
            assertTrue(heap > 0 && heap < 64L << 20, "live heap " + heap);
            assertTrue(MemoryProbe.parseHeapUsedBytes(MemoryProbe.jcmdProgram(jvm.pid(), "GC.heap_info")) > 0);
            assertEquals(0, MemoryProbe.jitScratchBytes(jvm.pid(), java.time.Duration.ZERO), "no -XX:NativeMemoryTracking, no figure");
            // the surefire JVM, like the evring launcher, exports jdk.attach's internals: the fast path is the one taken
            String viaAttach = MemoryProbe.attachJcmd(jvm.pid(), "GC.heap_info");
            assertTrue(viaAttach != null && MemoryProbe.parseHeapUsedBytes(viaAttach) > 0, String.valueOf(viaAttach));
            assertThrows(java.io.IOException.class, () -> MemoryProbe.liveHeapBytes(ProcessHandle.current().pid() + 1_000_000));
        } finally {
            jvm.destroyForcibly();
            jvm.waitFor();
        }
    }

    @Test
    void ssCountsTheServersEndsAndTheirQueuedBytes() throws Exception {
        NativeTools tools = new NativeTools(dir.resolve("cache"), dir.resolve("setup.log"), s -> { }).prepare(false);
        NativeTools.Binary ss = MemoryProbe.ss(tools);
        assumeTrue(ss.ok(), "no ss here: " + ss.missing());
        List<Socket> open = new ArrayList<>();
        try (ServerSocket server = new ServerSocket()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
            int port = server.getLocalPort();
            for (int i = 0; i < 3; i++) {
                open.add(new Socket(InetAddress.getLoopbackAddress(), port));
                open.add(server.accept());
            }
            assertEquals(0, MemoryProbe.acceptQueue(ss.path(), port));
            assertEquals(0, MemoryProbe.socketBuffers(ss.path(), port).bytes());
            OutputStream out = open.get(0).getOutputStream();
            out.write(new byte[10_000]);  // unread at the server's end: its receive queue holds it
            out.flush();
            MemoryProbe.SocketBuffers b = MemoryProbe.socketBuffers(ss.path(), port);
            for (int i = 0; i < 50 && b.bytes() < 10_000; i++) {
                Thread.sleep(20);
                b = MemoryProbe.socketBuffers(ss.path(), port);
            }
            assertEquals(3, b.sockets(), "only the server's ends: local port " + port);
            assertTrue(b.bytes() >= 10_000, "the unread bytes and their overhead: " + b);
            assertEquals(1, MemoryProbe.unreadSockets(ss.path(), port));
            InputStream in = open.get(1).getInputStream();
            assertEquals(10_000, in.readNBytes(10_000).length);
            open.add(new Socket(InetAddress.getLoopbackAddress(), port)); // not accepted: waits in the queue
            assertEquals(1, MemoryProbe.acceptQueue(ss.path(), port));
        } finally {
            for (Socket s : open) s.close();
        }
    }
}
