package dev.evring.net;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.evring.linux.Errno;
import dev.evring.linux.Libc;
import dev.evring.linux.Resource;
import dev.evring.linux.Unistd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The classic libev/libuv pitfall: out of fds, accept fails with EMFILE, the connection stays in the backlog, the
 * listener stays readable, and a naive loop spins at 100% CPU. evring pauses accepting and resumes by itself.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.net.NetVariants#all")
class AcceptOutOfFdsTest extends NetTestBase {

    @Override
    Net openNet() {
        return Net.builder(loop).acceptBackoff(java.time.Duration.ofMillis(50)).open();
    }

    private static int highestOpenFd() throws Exception {
        int max = 0;
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            for (Path p : s.toList()) max = Math.max(max, Integer.parseInt(p.getFileName().toString()));
        }
        return max;
    }

    /** How a test accepts on the listener (completion or readiness style), putting what it accepts in {@code accepted}. */
    interface Accepting {
        void start(StreamListener listener, List<StreamSocket> accepted);
    }

    /** What a test checks after a window out of fds: CPU and wall time of the window, the window's end stats. */
    interface OutOfFdsChecks {
        void check(long cpuNanos, long wallNanos, NetStats stats);
    }

    /**
     * The fd limit is lowered first and everything (listener, accept, clients) made under it: io_uring takes
     * RLIMIT_NOFILE when it prepares an accept, as a server running at its limit would have it. One connection is
     * accepted, the fd table is filled, a second connects and waits 400 ms in the backlog; the limit is restored and
     * it must be accepted then.
     */
    private void outOfFds(Accepting accepting, OutOfFdsChecks checks) throws Exception {
        MemorySegment cs = Libc.threadCallState();
        List<Integer> fillers = new ArrayList<>();
        List<StreamSocket> accepted = new ArrayList<>();
        StreamListener l;
        int[] connected = {1};
        try (Arena a = Arena.ofConfined()) {
            MemorySegment rl = a.allocate(Resource.RLIMIT);
            Errno.check(Resource.getrlimit(cs, Resource.RLIMIT_NOFILE, rl), "getrlimit");
            long soft = rl.get(ValueLayout.JAVA_LONG, Resource.OFF_RLIM_CUR);
            // loading a class opens its file: load all the test will use while the fd table is full
            ThreadMXBean mx = ManagementFactory.getThreadMXBean();
            mx.getCurrentThreadCpuTime();
            net.stats();
            long lowered = highestOpenFd() + 24L;
            long hard = rl.get(ValueLayout.JAVA_LONG, Resource.OFF_RLIM_MAX);
            assumeTrue(Long.compareUnsigned(lowered, hard) <= 0, () -> "fds are open up to " + (lowered - 24)
                    + ", above RLIMIT_NOFILE's hard limit " + hard + ": cannot set a limit just above them");
            rl.set(ValueLayout.JAVA_LONG, Resource.OFF_RLIM_CUR, lowered);
            Errno.check(Resource.setrlimit(cs, Resource.RLIMIT_NOFILE, rl), "setrlimit");
            try {
                l = net.listen(loopback4());
                SocketAddress addr = l.localAddress();
                accepting.start(l, accepted);
                net.connect(addr, (s, st) -> {});
                runUntil(() -> accepted.size() == 1, "a first connection");
                StreamSocket late = net.openStream(StandardProtocolFamily.INET); // its fd exists before the table fills
                runFor(1);

                int fd;
                while ((fd = Unistd.dup(cs, late.fd())) >= 0) fillers.add(fd);
                assertEquals(-Errno.EMFILE, fd, "the fd table is full");

                late.connect(addr, (s, st) -> connected[0] = st); // the handshake needs no fd on our side
                long cpu0 = mx.getCurrentThreadCpuTime();
                long t0 = System.nanoTime();
                runFor(400);
                long cpu = mx.getCurrentThreadCpuTime() - cpu0;
                long wall = System.nanoTime() - t0;
                NetStats stats = net.stats();
                assertTrue(stats.acceptPauses() >= 1 && stats.acceptPauses() <= wall / 50_000_000L + 2,
                        "one attempt per 50 ms backoff, not a spin: " + stats.acceptPauses() + " pauses in " + wall / 1_000_000 + " ms");
                assertTrue(cpu < wall / 2, "the loop thread used " + cpu / 1_000_000 + " ms of CPU in " + wall / 1_000_000 + " ms");
                assertEquals(1, accepted.size(), "nothing accepted while out of fds");
                checks.check(cpu, wall, stats);
            } finally {
                for (int f : fillers) Unistd.close(cs, f);
                rl.set(ValueLayout.JAVA_LONG, Resource.OFF_RLIM_CUR, soft);
                Errno.check(Resource.setrlimit(cs, Resource.RLIMIT_NOFILE, rl), "setrlimit (restore)");
            }
        }
        runUntil(() -> accepted.size() == 2, "the waiting connection, accepted once fds are free");
        assertEquals(0, connected[0]);
    }

    @Test
    void acceptingWhenOutOfFdsPausesInsteadOfSpinningAndResumes() throws Exception {
        List<Integer> statuses = new ArrayList<>();
        StreamListener[] listener = new StreamListener[1];
        outOfFds((l, accepted) -> {
            listener[0] = l;
            l.accept((lis, s, st) -> {
                statuses.add(st);
                if (s != null) accepted.add(s);
            });
            statuses.stream().filter(st -> st == Status.EMFILE).count(); // loaded before the fd table fills
        }, (cpu, wall, stats) -> {
            long emfiles = statuses.stream().filter(st -> st == Status.EMFILE).count();
            assertTrue(emfiles >= 1, "the accept callback is told: " + statuses);
            assertEquals(emfiles, stats.acceptPauses());
        });
        assertTrue(listener[0].isAccepting(), "accepting goes on");
    }

    /**
     * Issue 9 defect 15: the readiness style pauses the same way. tryAccept threw EMFILE, so the readiness echo example
     * died when the process ran out of fds; now it returns null, rests the caller's watcher for the backoff, and the
     * waiting connection is accepted once fds are free.
     */
    @Test
    void readinessTryAcceptPausesItsWatcherWhenOutOfFdsAndResumes() throws Exception {
        int[] calls = {0};
        outOfFds((l, accepted) -> loop.io(l.fd(), dev.evring.Events.READ, (w, ev) -> {
            calls[0]++;
            StreamSocket s;
            while ((s = l.tryAccept(w)) != null) accepted.add(s);
        }).start(), (cpu, wall, stats) ->
                assertTrue(calls[0] <= wall / 50_000_000L + 6, "the watcher rests during a pause: called " + calls[0]
                        + " times in " + wall / 1_000_000 + " ms"));
    }
}
