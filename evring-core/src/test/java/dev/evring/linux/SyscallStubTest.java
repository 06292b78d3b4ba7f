package dev.evring.linux;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A failed system call reports its own errno: never a repeat of the call (which would read a reset connection as end
 * of stream, the consumed error being gone), with the raw stub and with the capturing fallback.
 */
class SyscallStubTest {

    @AfterEach
    void clearFaults() {
        Faults.clear();
    }

    /** Repeats {@code call} while it gives -EAGAIN (a reset travels through loopback at once, but not synchronously). */
    static long awaitNotEagain(LongSupplier call) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        long r;
        while ((r = call.getAsLong()) == -Errno.EAGAIN && System.nanoTime() < deadline) Thread.onSpinWait();
        return r;
    }

    @Test
    void theStubIsInUseOnX8664() {
        String arch = System.getProperty("os.arch");
        assumeTrue(arch.equals("amd64") || arch.equals("x86_64"), "the stub is shipped for x86_64 only; this is " + arch);
        assertTrue(Libc.syscallStubInUse(), Libc.syscallStubAbsence());
        assertEquals("", Libc.syscallStubAbsence());
    }

    @Test
    void aResetPeerReadsAsEconnresetNotAsEndOfStream() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cs = Libc.allocateCallState(a);
            MemorySegment buf = a.allocate(64);
            int[] pair = TcpPair.open();
            TcpPair.reset(pair[1]);
            assertEquals(-Errno.ECONNRESET, awaitNotEagain(() -> SysSocket.recv(cs, pair[0], buf, 64, 0)),
                    "the reset must be reported by the recv that met it");
            assertEquals(0, SysSocket.recv(cs, pair[0], buf, 64, 0), "after the error, end of stream");
            Unistd.close(cs, pair[0]);

            int[] again = TcpPair.open();
            TcpPair.reset(again[1]);
            assertEquals(-Errno.ECONNRESET, awaitNotEagain(() -> Unistd.read(cs, again[0], buf, 64)), "read(2) too");
            Unistd.close(cs, again[0]);
        }
    }

    @Test
    void everyHotCallReturnsMinusErrnoOnABadFd() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cs = Libc.allocateCallState(a);
            MemorySegment buf = a.allocate(256);
            int bad = 1 << 30;
            assertEquals(-Errno.EBADF, Unistd.read(cs, bad, buf, 8));
            assertEquals(-Errno.EBADF, Unistd.write(cs, bad, buf, 8));
            assertEquals(-Errno.EBADF, Unistd.pread(cs, bad, buf, 8, 0));
            assertEquals(-Errno.EBADF, Unistd.pwrite(cs, bad, buf, 8, 0));
            assertEquals(-Errno.EBADF, Unistd.close(cs, bad));
            assertEquals(-Errno.EBADF, SysSocket.recv(cs, bad, buf, 8, 0));
            assertEquals(-Errno.EBADF, SysSocket.send(cs, bad, buf, 8, 0));
            assertEquals(-Errno.EBADF, SysSocket.recvmsg(cs, bad, buf, 0));
            assertEquals(-Errno.EBADF, SysSocket.sendmsg(cs, bad, buf, 0));
            assertEquals(-Errno.EBADF, SysSocket.accept4(cs, bad, MemorySegment.NULL, MemorySegment.NULL, 0));
            assertEquals(-Errno.EBADF, SysSocket.connect(cs, bad, buf, 16));
            assertEquals(-Errno.EBADF, SysSocket.shutdown(cs, bad, SysSocket.SHUT_WR));
            assertEquals(-Errno.EBADF, SysEpoll.epollWait(cs, bad, buf, 1, 0));
            assertEquals(-Errno.EBADF, SysEpoll.epollCtl(cs, bad, SysEpoll.EPOLL_CTL_DEL, 0, MemorySegment.NULL));
            assertEquals(-Errno.EBADF, TimerFd.timerfdSettime(cs, bad, 0, buf, MemorySegment.NULL));
            assertEquals(-Errno.EBADF, IoUring.ioUringEnter(cs, bad, 0, 0, 0, MemorySegment.NULL, 0));
            assertEquals(-Errno.EBADF, IoUring.ioUringRegister(cs, bad, 0, MemorySegment.NULL, 0));
            // poll(2) reports a bad fd in revents, and a bad array as EFAULT
            assertEquals(-Errno.EFAULT, Poll.poll(cs, MemorySegment.ofAddress(8), 1, 0));
        }
    }

    @Test
    void theCapturingFallbackReportsTheFailedCallsOwnErrnoToo() throws Exception {
        String java = ProcessHandle.current().info().command().orElse(null);
        assumeTrue(java != null, "cannot tell which java runs this test, to start a child JVM");
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Process p = new ProcessBuilder(List.of(java, "--enable-native-access=ALL-UNNAMED", "-Devring.syscall_stub=false",
                "-cp", cp, SyscallFallbackChild.class.getName())).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM hung:\n" + out);
        assertEquals(0, p.exitValue(), "child JVM failed:\n" + out);
        List<String> lines = out.lines().toList();
        assertTrue(lines.contains("STUB false turned off by -Devring.syscall_stub=false"), out);
        assertTrue(lines.contains("RECV " + -Errno.ECONNRESET), out);
        assertTrue(lines.contains("RECV_AGAIN 0"), out);
        assertTrue(lines.contains("READ_BADF " + -Errno.EBADF), out);
        assertTrue(lines.contains("ENTER_BADF " + -Errno.EBADF), out);
        assertTrue(lines.contains("EPOLL_WAIT_BADF " + -Errno.EBADF), out);
    }
}
