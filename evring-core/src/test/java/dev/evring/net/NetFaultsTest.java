package dev.evring.net;

import dev.evring.linux.Errno;
import dev.evring.linux.Faults;
import dev.evring.linux.Unistd;
import dev.evring.uring.RingFaults;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.StandardProtocolFamily;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Issue 9's fault injection for {@code dev.evring.net}: every errno the kernel can give accept, recv, send, connect,
 * shutdown and close reaches the operation's callback as that {@code -errno}, once, and nothing else is disturbed (a
 * bystander connection keeps echoing, every pool buffer comes back, no operation is left running). In the emulation
 * (epoll, poll, {@code net-readiness}) and for the readiness-style calls the system call itself fails
 * ({@link Faults}); on io_uring the operation's CQE carries the error ({@link RingFaults#rewriteResult}, the Net's
 * next completion), as the kernel would post it.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.net.NetVariants#datagrams")
class NetFaultsTest extends NetTestBase {
    StreamSocket[] bystander;
    final Collector bystanderGot = new Collector();
    int bystanderSent;

    @BeforeEach
    void startBystander() {
        bystander = net.socketPair();
        bystander[0].recv((s, d, n) -> {
            if (n > 0) s.send(d, null);
        });
        bystander[1].recv(bystanderGot);
    }

    @AfterEach
    void clearFaults() {
        Faults.clear();
        RingFaults.clear();
    }

    boolean ring() {
        return net.engine instanceof RingEngine;
    }

    /**
     * The next {@code call} on {@code fd} fails with {@code errno}: the system call in the emulation; on io_uring the
     * Net's next completion (the test makes sure it is the operation's).
     */
    void failNext(Faults.Call call, int fd, int errno) {
        if (net.engine instanceof RingEngine r) RingFaults.rewriteResult(r.tag(), -errno, 1);
        else Faults.on(call).fd(fd).fail(errno);
    }

    /** The bystander still echoes, byte for byte; then nothing is left running but what the test keeps. */
    void assertNothingElseDisturbed(int runningExpected) {
        byte[] msg = pattern(3000, bystanderSent);
        bystanderSent += msg.length;
        bystander[1].send(msg, null);
        runUntil(() -> bystanderGot.bytes.size() == bystanderSent, "the bystander's echo");
        byte[] all = bystanderGot.bytes.toByteArray();
        assertArrayEquals(msg, java.util.Arrays.copyOfRange(all, all.length - msg.length, all.length), "the bystander's echo");
        runFor(10);
        NetStats st = net.stats();
        assertEquals(0, st.recvBuffersHeld() + st.recvBuffersLent(), "receive buffers not back: " + st);
        assertEquals(0, st.buffersHeld() + st.buffersLent(), "general buffers not back: " + st);
        assertEquals(runningExpected, st.operationsRunning(), "operations running: " + st);
    }

    /** The bystander's two receives. */
    static final int BYSTANDER_OPS = 2;

    @Test
    void aFailedReceiveReportsItsErrnoOnce() {
        // A receive the kernel fails consumes nothing of its buffer. The fault tool cannot make it so: it turns a
        // receive that took bytes into an error, and with incremental buffers those bytes sit in a buffer other
        // connections' receives go on filling, so the next slice of it would start where no kernel puts it.
        assumeTrue(!net.stats().features().contains("incremental buffer ring"),
                "RingFaults rewrites a receive that consumed part of a shared incremental buffer: no kernel does that");
        for (int errno : new int[] {Errno.ECONNRESET, Errno.ETIMEDOUT, Errno.EHOSTUNREACH, Errno.ENOMEM, Errno.ENOTCONN}) {
            StreamSocket[] pair = net.socketPair();
            List<Integer> ends = new ArrayList<>();
            int[] chunks = {0};
            pair[0].recv((s, d, n) -> {
                if (d != null) {
                    chunks[0]++;
                    d.release();
                } else {
                    ends.add(n);
                }
            });
            runFor(10);
            failNext(Faults.Call.RECV, pair[0].fd(), errno);
            assertEquals(5, pair[1].write(new byte[] {1, 2, 3, 4, 5}, 0, 5)); // a direct send(2): no completion of ours
            runUntil(() -> !ends.isEmpty(), "the receive's end with " + Errno.name(errno));
            runFor(10);
            assertEquals(List.of(-errno), ends, "one final callback, the errno");
            assertEquals(0, chunks[0], "the failed receive delivered nothing");
            assertFalse(pair[0].isReceiving());
            pair[0].close();
            pair[1].close();
            assertNothingElseDisturbed(BYSTANDER_OPS);
        }
    }

    /**
     * io_uring: a receive the kernel ends with EAGAIN or EINTR (it does, with nothing consumed, on a non-blocking
     * socket whose request it could not poll-arm) is received again, not ended: here the completion that carried the
     * peer's end of stream says EAGAIN, and the receive still ends once, with the end of stream it gets next.
     */
    @Test
    void aReceiveTheKernelEndsWithEagainIsReceivedAgain() {
        assumeTrue(ring(), "the emulation's recv(2) EAGAIN is its readiness wait (anInterruptedReceiveGoesOn...)");
        for (int errno : new int[] {Errno.EAGAIN, Errno.EINTR}) {
            StreamSocket[] pair = net.socketPair();
            List<Integer> ends = new ArrayList<>();
            pair[0].recv((s, d, n) -> {
                if (d != null) d.release();
                else ends.add(n);
            });
            runFor(10);
            failNext(Faults.Call.RECV, pair[0].fd(), errno);
            pair[1].close(); // an end of stream: a state, so receiving again finds it again
            runUntil(() -> !ends.isEmpty(), "the receive's end after " + Errno.name(errno));
            runFor(10);
            assertEquals(List.of(0), ends, "the end of stream, once; not " + Errno.name(errno));
            pair[0].close();
            assertNothingElseDisturbed(BYSTANDER_OPS);
        }
    }

    /** The emulation's retries: a receive interrupted, or told to try again, delivers the data on the next event. */
    @Test
    void anInterruptedReceiveGoesOnAndDeliversEveryByte() {
        assumeTrue(!ring(), "io_uring's receives make no recv(2): EINTR and EAGAIN are the kernel's own business there");
        for (int errno : new int[] {Errno.EINTR, Errno.EAGAIN}) {
            StreamSocket[] pair = net.socketPair();
            Collector c = new Collector();
            pair[0].recv(c);
            runFor(10);
            try (Faults.Rule r = Faults.on(Faults.Call.RECV).fd(pair[0].fd()).fail(errno)) {
                assertEquals(5, pair[1].write(new byte[] {1, 2, 3, 4, 5}, 0, 5));
                runUntil(() -> c.bytes.size() == 5, "the bytes after " + Errno.name(errno));
                assertEquals(1, r.hits());
            }
            assertFalse(c.ended);
            pair[0].close();
            pair[1].close();
            runUntil(() -> c.ended, "the receive's end");
            assertEquals(List.of(Status.ECANCELED), c.statuses);
        }
        assertNothingElseDisturbed(BYSTANDER_OPS);
    }

    @Test
    void aFailedSendFailsItAndEverySendBehindItWithItsErrno() {
        for (int errno : new int[] {Errno.EPIPE, Errno.ECONNRESET, Errno.ENOBUFS, Errno.ENOMEM, Errno.ETIMEDOUT}) {
            StreamSocket[] pair = net.socketPair();
            List<String> ends = new ArrayList<>();
            failNext(Faults.Call.SENDMSG, pair[0].fd(), errno);
            pair[0].send(pattern(100, 1), (s, st) -> ends.add("first:" + st));
            pair[0].send(pattern(100, 2), (s, st) -> ends.add("second:" + st));
            runUntil(() -> ends.size() == 2, "both sends' ends with " + Errno.name(errno));
            assertEquals(List.of("first:" + -errno, "second:" + -errno), ends,
                    "a write that failed breaks the output: what was queued behind it fails with it");
            pair[0].send(pattern(10, 3), (s, st) -> ends.add("later:" + st));
            runUntil(() -> ends.size() == 3, "a later send");
            assertEquals("later:" + -errno, ends.get(2), "later sends fail at once with the error");
            assertEquals(0, pair[0].queuedSendBytes());
            pair[0].close();
            pair[1].close();
            assertNothingElseDisturbed(BYSTANDER_OPS);
        }
    }

    @Test
    void anInterruptedOrBlockedWriteGoesOnAndWritesEveryByte() {
        assumeTrue(!ring(), "io_uring's sends make no sendmsg(2): the kernel retries EINTR and EAGAIN itself");
        for (int errno : new int[] {Errno.EINTR, Errno.EAGAIN}) {
            StreamSocket[] pair = net.socketPair();
            Collector c = new Collector();
            pair[1].recv(c);
            List<Integer> ends = new ArrayList<>();
            byte[] msg = pattern(5000, errno);
            try (Faults.Rule r = Faults.on(Faults.Call.SENDMSG).fd(pair[0].fd()).fail(errno)) {
                pair[0].send(msg, (s, st) -> ends.add(st));
                runUntil(() -> c.bytes.size() == msg.length && !ends.isEmpty(), "the send after " + Errno.name(errno));
                assertEquals(1, r.hits());
            }
            assertEquals(List.of(msg.length), ends);
            assertArrayEquals(msg, c.bytes.toByteArray());
            pair[0].close();
            pair[1].close();
        }
        assertNothingElseDisturbed(BYSTANDER_OPS);
    }

    @Test
    void aFailedConnectReportsItsErrnoOnce() {
        // a listener nobody accepts from: the connect's completion is the only one of the Net's on its way
        StreamListener l = net.listen(loopback4());
        for (int errno : new int[] {Errno.ECONNREFUSED, Errno.ENETUNREACH, Errno.EHOSTUNREACH, Errno.ETIMEDOUT,
                Errno.EADDRNOTAVAIL, Errno.EACCES, Errno.EAGAIN}) {
            StreamSocket s = net.openStream(StandardProtocolFamily.INET);
            List<Integer> ends = new ArrayList<>();
            failNext(Faults.Call.CONNECT, s.fd(), errno);
            s.connect(l.localAddress(), (x, st) -> ends.add(st));
            runUntil(() -> !ends.isEmpty(), "the connect's end with " + Errno.name(errno));
            runFor(10);
            assertEquals(List.of(-errno), ends, "one callback, the errno");
            s.close();
            assertNothingElseDisturbed(BYSTANDER_OPS);
        }
        l.close();
    }

    @Test
    void aFailedShutdownReportsItsErrnoAfterTheSendsBeforeIt() {
        for (int errno : new int[] {Errno.ENOTCONN, Errno.ENOBUFS}) {
            StreamSocket[] pair = net.socketPair();
            List<String> ends = new ArrayList<>();
            pair[0].send(pattern(100, 1), (s, st) -> ends.add("send:" + st));
            runUntil(() -> ends.size() == 1, "the send");
            Faults.on(Faults.Call.SHUTDOWN).fd(pair[0].fd()).fail(errno); // shutdown(2) on every engine (never the ring's)
            pair[0].shutdown((s, st) -> ends.add("shutdown:" + st));
            runUntil(() -> ends.size() == 2, "the shutdown's end with " + Errno.name(errno));
            runFor(10);
            assertEquals(List.of("send:100", "shutdown:" + -errno), ends);
            pair[0].close();
            pair[1].close();
            assertNothingElseDisturbed(BYSTANDER_OPS);
        }
    }

    @Test
    void aFailedCloseReportsItsErrnoAndTheHandleIsClosedAllTheSame() {
        for (int errno : new int[] {Errno.EIO, Errno.EINTR}) {
            StreamSocket[] pair = net.socketPair();
            int fd = pair[0].fd();
            List<Integer> ends = new ArrayList<>();
            failNext(Faults.Call.CLOSE, fd, errno);
            pair[0].close((h, st) -> ends.add(st));
            runUntil(() -> !ends.isEmpty(), "the close's end with " + Errno.name(errno));
            runFor(10);
            // EINTR: Linux has closed the fd before anything could interrupt it, so the close succeeded
            assertEquals(List.of(errno == Errno.EINTR ? 0 : -errno), ends);
            assertFalse(pair[0].isOpen());
            if (!ring()) Unistd.close(net.callState, fd); // the injected failure kept close(2) from running
            pair[1].close();
            assertNothingElseDisturbed(BYSTANDER_OPS);
        }
        // close() now: the error is thrown, naming the call, and the handle is closed all the same
        StreamSocket[] pair = net.socketPair();
        int fd = pair[0].fd();
        try (Faults.Rule r = Faults.on(Faults.Call.CLOSE).fd(fd).fail(Errno.EIO)) {
            dev.evring.ErrnoException e = assertThrows(dev.evring.ErrnoException.class, pair[0]::close);
            assertTrue(e.getMessage().contains("close(fd " + fd + ")"), e.getMessage());
            assertEquals(1, r.hits());
        }
        assertFalse(pair[0].isOpen());
        pair[0].close(); // again: nothing
        Unistd.close(net.callState, fd);
        pair[1].close();
        assertNothingElseDisturbed(BYSTANDER_OPS);
    }

    /** Datagrams: a failed receive ends recvFrom with its errno; a failed sendTo reports its errno and the next goes. */
    @Test
    void failedDatagramOperationsReportTheirErrnoOnce() {
        for (int errno : new int[] {Errno.ECONNREFUSED, Errno.ENOMEM}) {
            UdpSocket a = net.bindUdp(loopback4());
            UdpSocket b = net.bindUdp(loopback4());
            List<Integer> ends = new ArrayList<>();
            b.recvFrom((u, d, n) -> {
                if (d != null) d.release();
                else ends.add(n);
            });
            runFor(10);
            failNext(Faults.Call.RECV, b.fd(), errno);
            Buffer dgram = net.allocate().put(new byte[] {1, 2, 3});
            assertTrue(a.send(dgram, b.localAddress()), "a direct sendto(2): no completion of ours");
            dgram.release();
            runUntil(() -> !ends.isEmpty(), "the datagram receive's end with " + Errno.name(errno));
            runFor(10);
            assertEquals(List.of(-errno), ends);
            a.close();
            b.close();
            assertNothingElseDisturbed(BYSTANDER_OPS);
        }
        for (int errno : new int[] {Errno.EMSGSIZE, Errno.ENOBUFS, Errno.ECONNREFUSED, Errno.ENETUNREACH, Errno.EACCES}) {
            UdpSocket a = net.bindUdp(loopback4());
            UdpSocket b = net.bindUdp(loopback4());
            List<String> ends = new ArrayList<>();
            failNext(Faults.Call.SEND, a.fd(), errno);
            a.sendTo(net.allocate().put((byte) 1), b.localAddress(), (u, st) -> ends.add("first:" + st));
            runUntil(() -> ends.size() == 1, "the sendTo's end with " + Errno.name(errno));
            a.sendTo(net.allocate().put((byte) 2), b.localAddress(), (u, st) -> ends.add("next:" + st));
            runUntil(() -> ends.size() == 2, "the next sendTo");
            assertEquals(List.of("first:" + -errno, "next:1"), ends, "a datagram's failure is its own");
            a.close();
            b.close();
            assertNothingElseDisturbed(BYSTANDER_OPS);
        }
    }

    /** Files: a failed read or write reports its errno once, and the buffer comes back to its pool. */
    @Test
    void failedFileOperationsReportTheirErrnoOnce() throws Exception {
        Path f = Files.createTempFile("evring-faults", ".bin");
        try {
            Files.write(f, pattern(10_000, 1));
            for (int errno : new int[] {Errno.EIO, Errno.ENOSPC, Errno.EINVAL}) {
                AsyncFile file = net.openFile(f, java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE);
                List<Integer> ends = new ArrayList<>();
                failNext(Faults.Call.PREAD, file.fd(), errno);
                file.read(0, net.allocate(), (x, d, n) -> {
                    if (d != null) d.release();
                    ends.add(n);
                });
                runUntil(() -> ends.size() == 1, "the read's end with " + Errno.name(errno));
                failNext(Faults.Call.PWRITE, file.fd(), errno);
                file.write(0, net.allocate().put(new byte[] {9}), (x, st) -> ends.add(st));
                runUntil(() -> ends.size() == 2, "the write's end with " + Errno.name(errno));
                runFor(10);
                assertEquals(List.of(-errno, -errno), ends);
                file.close();
                assertNothingElseDisturbed(BYSTANDER_OPS);
            }
        } finally {
            Files.deleteIfExists(f);
        }
    }

    /**
     * The kernel refuses a multishot form with EINVAL (an older kernel, a socket type it does not support): the
     * single-shot form takes over and nothing is lost; a single-shot accept refused so ends with EINVAL.
     */
    @Test
    void aRefusedMultishotAcceptFallsBackToSingleShot() throws Exception {
        assumeTrue(ring(), "only io_uring has multishot forms");
        boolean multishot = !net.stats().features().contains("single-shot accept");
        StreamListener l = net.listen(loopback4());
        RingFaults.rejectSqes(dev.evring.linux.IoUring.IORING_OP_ACCEPT, l.fd(), 1);
        List<Integer> statuses = new ArrayList<>();
        List<StreamSocket> accepted = new ArrayList<>();
        l.accept((x, s, st) -> {
            statuses.add(st);
            if (s != null) accepted.add(s);
        });
        try (SocketChannel c = SocketChannel.open(l.localAddress())) {
            if (multishot) {
                runUntil(() -> accepted.size() == 1, "the connection, accepted single-shot");
                assertTrue(net.stats().features().contains("single-shot accept"), net.stats().features());
                assertEquals(List.of(0), statuses);
            } else {
                runUntil(() -> !statuses.isEmpty(), "the refused accept's end");
                assertEquals(List.of(-Errno.EINVAL), statuses);
                assertFalse(l.isAccepting());
            }
        }
        for (StreamSocket s : accepted) s.close();
        l.close();
        assertNothingElseDisturbed(BYSTANDER_OPS);
    }

    /** The same for a multishot receive (only without a per-connection share): single-shot takes over, no byte lost. */
    @Test
    void aRefusedMultishotReceiveFallsBackToSingleShot() {
        assumeTrue(ring(), "only io_uring has multishot forms");
        Net unbounded = Net.builder(loop).recvShare(0).open();
        assumeTrue(unbounded.stats().features().contains("multishot recv"),
                "this variant receives single-shot: " + unbounded.stats().features());
        StreamSocket[] pair = unbounded.socketPair();
        RingFaults.rejectSqes(dev.evring.linux.IoUring.IORING_OP_RECV, pair[0].fd(), 1);
        Collector c = new Collector();
        pair[0].recv(c);
        byte[] msg = pattern(5000, 3);
        assertEquals(msg.length, pair[1].write(msg, 0, msg.length));
        runUntil(() -> c.bytes.size() == msg.length, "the bytes, received single-shot");
        assertArrayEquals(msg, c.bytes.toByteArray());
        assertFalse(c.ended, "the receive goes on");
        assertTrue(unbounded.stats().features().contains("single-shot recv"), unbounded.stats().features());
        unbounded.close();
        assertNothingElseDisturbed(BYSTANDER_OPS);
    }

    /** How an accept takes each errno accept(2) (or IORING_OP_ACCEPT) can give. */
    enum AcceptOutcome { SKIPPED, PAUSED, ENDED }

    static AcceptOutcome acceptOutcome(int errno) {
        return switch (errno) {
            case Errno.ECONNABORTED, Errno.EPROTO, Errno.ENETDOWN, Errno.ENOPROTOOPT, Errno.EHOSTDOWN,
                 Errno.ENONET, Errno.EHOSTUNREACH, Errno.EOPNOTSUPP, Errno.ENETUNREACH, Errno.EINTR -> AcceptOutcome.SKIPPED;
            case Errno.EMFILE, Errno.ENFILE, Errno.ENOBUFS, Errno.ENOMEM, Errno.EPERM -> AcceptOutcome.PAUSED;
            default -> AcceptOutcome.ENDED;
        };
    }

    static final int[] ACCEPT_ERRNOS = {Errno.ECONNABORTED, Errno.EPROTO, Errno.EPERM, Errno.ENETDOWN, Errno.ENOPROTOOPT,
            Errno.EHOSTDOWN, Errno.ENONET, Errno.EHOSTUNREACH, Errno.EOPNOTSUPP, Errno.ENETUNREACH, Errno.EINTR,
            Errno.EMFILE, Errno.ENFILE, Errno.ENOBUFS, Errno.ENOMEM, Errno.EINVAL, Errno.EBADF};

    /**
     * A failure of one connection is skipped and the accept goes on; a shortage pauses it (told, then resumed by
     * itself); anything else ends it with the errno. On io_uring the rewritten CQE's connection is lost with it (the
     * kernel had accepted it): its fd, the lowest free number when the client connected, is closed here.
     */
    @Test
    void aFailedAcceptIsSkippedPausedOrEndedByItsErrno() throws Exception {
        if (ring()) {
            assumeTrue(net.stats().features().contains("single-shot accept"), "a rewritten CQE keeps IORING_CQE_F_MORE, "
                    + "and the kernel never posts an error with it: multishot accept's errors are its single-shot re-arm's");
        }
        Net quick = Net.builder(loop).acceptBackoff(java.time.Duration.ofMillis(20)).open();
        for (int errno : ACCEPT_ERRNOS) {
            AcceptOutcome outcome = acceptOutcome(errno);
            StreamListener l = quick.listen(loopback4());
            List<Integer> statuses = new ArrayList<>();
            List<StreamSocket> accepted = new ArrayList<>();
            l.accept((x, s, st) -> {
                statuses.add(st);
                if (s != null) accepted.add(s);
            });
            runFor(10);
            long pausesBefore = quick.stats().acceptPauses();
            try (SocketChannel first = SocketChannel.open(); SocketChannel second = SocketChannel.open()) {
                int lost = -1;
                if (quick.engine instanceof RingEngine r) {
                    StreamSocket probe = quick.openStream(StandardProtocolFamily.INET);
                    lost = probe.fd(); // the lowest free number: the one the kernel's accept takes next
                    probe.close();
                    RingFaults.rewriteResult(r.tag(), -errno, 1);
                } else {
                    Faults.on(Faults.Call.ACCEPT4).fd(l.fd()).fail(errno);
                }
                first.connect(l.localAddress());
                int lostFd = lost;
                switch (outcome) {
                    case SKIPPED -> {
                        if (lost < 0) { // the emulation: the connection behind the failure is accepted next
                            runUntil(() -> accepted.size() == 1, "the connection after " + Errno.name(errno));
                        } else {
                            runUntil(() -> isSocket(lostFd(lostFd)), "the lost connection's accept");
                            second.connect(l.localAddress());
                            runUntil(() -> accepted.size() == 1, "the next connection after " + Errno.name(errno));
                        }
                        assertEquals(List.of(0), statuses, Errno.name(errno) + " is skipped, not reported");
                        assertTrue(l.isAccepting());
                    }
                    case PAUSED -> {
                        runUntil(() -> !statuses.isEmpty(), "the pause's report");
                        assertEquals(-errno, statuses.get(0));
                        assertTrue(Status.isAcceptPause(statuses.get(0)), "what the callback is told to tell a pause by");
                        assertEquals(pausesBefore + 1, quick.stats().acceptPauses());
                        assertTrue(l.isAccepting(), "a pause does not end the accept");
                        if (lost >= 0) second.connect(l.localAddress());
                        runUntil(() -> accepted.size() == 1, "the accept to resume after " + Errno.name(errno));
                        assertEquals(List.of(-errno, 0), statuses);
                    }
                    case ENDED -> {
                        runUntil(() -> !statuses.isEmpty(), "the accept's end");
                        assertFalse(Status.isAcceptPause(-errno));
                        runFor(20);
                        assertEquals(List.of(-errno), statuses, "one final callback, the errno");
                        assertFalse(l.isAccepting());
                    }
                }
                if (lost >= 0 && isSocket(lostFd(lost))) Unistd.close(quick.callState, lost);
            }
            for (StreamSocket s : accepted) s.close();
            l.close();
            assertNothingElseDisturbed(BYSTANDER_OPS);
        }
        quick.close();
    }

    static Path lostFd(int fd) {
        return Path.of("/proc/self/fd/" + fd);
    }

    static boolean isSocket(Path fdLink) {
        try {
            return Files.readSymbolicLink(fdLink).toString().startsWith("socket:");
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /** The readiness-style calls: every failure a status (or null and a pause), nothing thrown for a broken peer. */
    @Test
    void readinessCallsReturnEveryErrnoAsAStatus() {
        StreamSocket[] pair = net.socketPair();
        byte[] buf = new byte[16];
        for (int errno : new int[] {Errno.ECONNRESET, Errno.ETIMEDOUT, Errno.ENOMEM, Errno.ENOTCONN}) {
            try (Faults.Rule r = Faults.on(Faults.Call.RECV).fd(pair[0].fd()).fail(errno)) {
                assertEquals(-errno, pair[0].read(buf, 0, buf.length));
                assertEquals(1, r.hits());
            }
        }
        try (Faults.Rule r = Faults.on(Faults.Call.RECV).fd(pair[0].fd()).fail(Errno.EINTR)) {
            assertEquals(3, pair[1].write(new byte[] {7, 8, 9}, 0, 3));
            assertEquals(3, pair[0].read(buf, 0, buf.length), "an interrupted read is made again");
            assertEquals(1, r.hits());
        }
        for (int errno : new int[] {Errno.EPIPE, Errno.ECONNRESET, Errno.ENOBUFS, Errno.ENOMEM}) {
            try (Faults.Rule r = Faults.on(Faults.Call.SEND).fd(pair[0].fd()).fail(errno)) {
                assertEquals(-errno, pair[0].write(buf, 0, 4));
                assertEquals(1, r.hits());
            }
        }
        try (Faults.Rule r = Faults.on(Faults.Call.SEND).fd(pair[0].fd()).fail(Errno.EAGAIN)) {
            assertEquals(0, pair[0].write(buf, 0, 4), "no room: 0");
        }
        try (Faults.Rule r = Faults.on(Faults.Call.SEND).fd(pair[0].fd()).fail(Errno.EINTR)) {
            assertEquals(4, pair[0].write(buf, 0, 4), "an interrupted write is made again");
        }
        // tryAccept: skipped, paused (null), or thrown for a broken listener
        StreamListener l = net.listen(loopback4());
        for (int errno : ACCEPT_ERRNOS) {
            try (Faults.Rule r = Faults.on(Faults.Call.ACCEPT4).fd(l.fd()).fail(errno)) {
                switch (acceptOutcome(errno)) {
                    case SKIPPED -> assertNull(l.tryAccept(), "skipped, then nothing waiting: " + Errno.name(errno));
                    case PAUSED -> {
                        long before = net.stats().acceptPauses();
                        assertNull(l.tryAccept());
                        assertEquals(before + 1, net.stats().acceptPauses(), Errno.name(errno) + " pauses");
                        runFor(150); // the default backoff, 100 ms
                    }
                    case ENDED -> {
                        dev.evring.ErrnoException e = assertThrows(dev.evring.ErrnoException.class, l::tryAccept);
                        assertEquals(errno, e.errno());
                    }
                }
                assertEquals(1, r.hits(), Errno.name(errno));
            }
        }
        l.close();
        pair[0].close();
        pair[1].close();
        assertNothingElseDisturbed(BYSTANDER_OPS);
    }
}
