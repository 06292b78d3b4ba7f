package dev.evring.net;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Completion I/O in steady state allocates nothing on the Java heap but the {@link Buffer} handle of each buffer handed
 * to user code (16 bytes: a header and one compressed reference; the README's figure): echoes between a client and a
 * server on one loop, with the loop thread's allocation counter read around them. ({@code ./evring echo-alloc} runs
 * the same over a million echoes.)
 */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.net.NetVariants#all")
class SteadyStateAllocationTest extends NetTestBase {

    /** Echo traffic on one loop: {@code connections} clients, each with one 64-byte message in flight. */
    static final class EchoTraffic {
        final byte[] message = pattern(64, 1);
        long echoes;
        /** Buffers handed to user code: chunks received (server and client) and buffers allocated. */
        long handOuts;
        /** Chunks received (server and client). */
        long received;
        int connected;
        private final Net net;

        EchoTraffic(Net net, StreamListener server, int connections) {
            this.net = net;
            // every callback is made once, here: none is captured per message
            CompletionCallback<StreamSocket> onConnect = (s, st) -> {
                if (st != 0) throw new IllegalStateException("connect: " + Status.describe(st));
                connected++;
                s.attach(new int[1]); // bytes of the current message back so far
                s.recv(this::clientReceived);
                sendMessage(s);
            };
            RecvCallback echo = (s, data, n) -> {
                if (data != null) {
                    handOuts++;
                    received++;
                }
                if (n > 0) s.send(data, null);
                else if (s.isOpen()) s.close();
            };
            server.accept((l, s, st) -> {
                if (s != null) s.recv(echo);
            });
            for (int i = 0; i < connections; i++) net.connect(server.localAddress(), onConnect);
        }

        private void sendMessage(StreamSocket s) {
            handOuts++;
            s.send(net.allocate().put(message), null);
        }

        private void clientReceived(StreamSocket s, Buffer data, int n) {
            if (n <= 0) return;
            handOuts++;
            received++;
            // a 64-byte message may come back in pieces: count bytes, send the next once a whole one is back
            int[] back = (int[]) s.attachment();
            int total = back[0] + n;
            data.release();
            while (total >= message.length) {
                total -= message.length;
                echoes++;
                sendMessage(s);
            }
            back[0] = total;
        }
    }

    /**
     * The same echoes in issue 10's forms: the client sends each message as a copy (byte[], a heap ByteBuffer, a gather
     * of ByteBuffers, in turn) or as a gather of two Buffers it filled; the server echoes through an accumulating
     * receive, copying each chunk into its own array and sending that (a copy, so the array is free again at once);
     * the client counts the echoes through an accumulating receive too. Nothing is allocated per message but the
     * handles of the Buffers the client allocates for its gathers: the accumulating receive makes none.
     */
    static final class FormsTraffic {
        final byte[] message = pattern(64, 1);
        long echoes;
        long handOuts;
        long received;
        private long sent;
        private final Net net;
        private final ByteBuffer heap = ByteBuffer.wrap(message);
        private final ByteBuffer[] halves = {ByteBuffer.wrap(message, 0, 32).slice(), ByteBuffer.wrap(message, 32, 32).slice()};
        private final ByteBuffer direct = ByteBuffer.allocateDirect(64).put(message).flip();
        private final Buffer[] gather = new Buffer[2];

        FormsTraffic(Net net, StreamListener server, int connections) {
            this.net = net;
            InboundCallback clientReceived = (s, in, status) -> {
                if (status <= 0) return 0;
                received++;
                int whole = in.length() / message.length;
                for (int i = 0; i < whole; i++) {
                    echoes++;
                    sendMessage(s);
                }
                return whole * message.length;
            };
            CompletionCallback<StreamSocket> onConnect = (s, st) -> {
                if (st != 0) throw new IllegalStateException("connect: " + Status.describe(st));
                s.recvAccumulated(clientReceived);
                sendMessage(s);
            };
            InboundCallback echo = (s, in, status) -> {
                if (status <= 0) {
                    if (s.isOpen()) s.close();
                    return 0;
                }
                received++;
                byte[] scratch = (byte[]) s.attachment();
                int n = Math.min(in.length(), scratch.length);
                in.get(0, scratch, 0, n);
                s.send(scratch, 0, n, null);
                return n;
            };
            server.accept((l, s, st) -> {
                if (s == null) return;
                s.attach(new byte[4096]);
                s.recvAccumulated(echo);
            });
            for (int i = 0; i < connections; i++) net.connect(server.localAddress(), onConnect);
        }

        private void sendMessage(StreamSocket s) {
            switch ((int) (sent++ % 5)) {
                case 0 -> s.send(message, 0, message.length, null);
                case 1 -> s.send(heap.clear(), null);
                case 2 -> {
                    halves[0].clear();
                    halves[1].clear();
                    s.send(halves, null);
                }
                case 3 -> s.send(direct.clear(), null);
                default -> {
                    gather[0] = net.allocate().put(message, 0, 32);
                    gather[1] = net.allocate().put(message, 32, 32);
                    handOuts += 2;
                    s.send(gather, null);
                }
            }
        }
    }

    /**
     * Steady state means compiled: until C2 has compiled the paths (with escape analysis) the interpreter and C1
     * allocate where the source does not. So the measurement runs in a JVM of its own ({@link Probe}), as an
     * application would, not in this one, whose profiles every other test has shaped: it warms up, then measures rounds
     * of 20,000 echoes (at most five, stopping at the first that passes).
     *
     * <p>What may be allocated: exactly {@link #HANDLE_BYTES} per buffer handed to user code (each hand-out is a new
     * {@link Buffer} handle, so that a released one can never reach the memory's next owner), {@link #SLICE_BYTES} per
     * chunk received with incremental buffers (the slice's bounded segment), plus, per loop iteration,
     * the JDK's own slack: FFM downcalls that capture errno slice the capture segment
     * (SharedUtils.checkCaptureSegment), a 40-byte object that C2's escape analysis removes in some compiled shapes
     * and not in others; the backend's one wait per iteration (epoll_wait, poll, io_uring_enter) may leave that one
     * object per iteration. Any other allocation per operation shows well above it: every iteration here serves
     * several echoes of four operations each.
     */
    /** A Buffer handle: a 12-byte header and one compressed reference (the probe JVM runs with compressed oops). */
    static final long HANDLE_BYTES = 16;
    /**
     * With incremental buffers ({@code net.recv_incremental}), each chunk received is a slice of its buffer, with a
     * memory segment of its own bounded to its bytes: a 40-byte object (header, base, length, read-only flag, scope).
     */
    static final long SLICE_BYTES = 40;

    @Test
    void echoingAllocatesOnlyTheHandleOfEachBufferHandedOut() throws Exception {
        probe("buffers");
    }

    @Test
    void theCopyingSendFormsAndTheAccumulatingReceiveAllocateNothingButTheHandlesOfTheBuffersAllocated() throws Exception {
        probe("forms");
    }

    private void probe(String traffic) throws Exception {
        variant.builder(); // skips, saying why, where the kernel lacks the variant
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Probe.class.getName());
        cmd.add(traffic);
        cmd.add(variant.backend().name());
        variant.options().forEach((k, v) -> cmd.add(k + "=" + v));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS), "the probe JVM did not finish");
        assertEquals(0, p.exitValue(), "on " + variant + ":\n" + out);
    }

    /** The counters a probe reads from either traffic. */
    interface Counters {
        long echoes();

        long handOuts();

        long received();
    }

    /** The measurement, in a fresh JVM: {@code Probe buffers|forms BACKEND [key=value...]}; exit 0 when a round passed. */
    public static final class Probe {
        public static void main(String[] args) {
            dev.evring.EventLoop.Builder b = dev.evring.EventLoop.builder().backend(dev.evring.Backend.valueOf(args[1]));
            for (int i = 2; i < args.length; i++) {
                int eq = args[i].indexOf('=');
                b.option(args[i].substring(0, eq), args[i].substring(eq + 1));
            }
            try (dev.evring.EventLoop loop = b.open()) {
                Net net = Net.open(loop);
                StreamListener server = net.listen(loopback4());
                Counters t;
                if (args[0].equals("forms")) {
                    FormsTraffic f = new FormsTraffic(net, server, 16);
                    t = new Counters() {
                        public long echoes() { return f.echoes; }
                        public long handOuts() { return f.handOuts; }
                        public long received() { return f.received; }
                    };
                } else {
                    EchoTraffic e = new EchoTraffic(net, server, 16);
                    t = new Counters() {
                        public long echoes() { return e.echoes; }
                        public long handOuts() { return e.handOuts; }
                        public long received() { return e.received; }
                    };
                }
                dev.evring.TimerWatcher guard = loop.timer(5_000_000L, 5_000_000L, (w, ev) -> {});
                guard.start();
                while (t.echoes() < 40_000) loop.runOnce(); // warm-up: the JIT settles the paths
                guard.stop();
                com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
                StringBuilder rounds = new StringBuilder();
                boolean passed = false;
                long perChunk = net.stats().features().contains("incremental buffer ring") ? SLICE_BYTES : 0;
                for (int round = 0; round < 5 && !passed; round++) {
                    long before = mx.getCurrentThreadAllocatedBytes();
                    long e0 = t.echoes();
                    long h0 = t.handOuts();
                    long r0 = t.received();
                    long i0 = loop.iteration();
                    while (t.echoes() - e0 < 20_000) loop.runOnce();
                    long allocated = mx.getCurrentThreadAllocatedBytes() - before;
                    long echoes = t.echoes() - e0;
                    long handOuts = t.handOuts() - h0;
                    long iterations = loop.iteration() - i0;
                    long beyondHandles = allocated - HANDLE_BYTES * handOuts - perChunk * (t.received() - r0);
                    rounds.append(allocated).append(" B over ").append(echoes).append(" echoes, ").append(handOuts)
                            .append(" buffers handed out, ").append(t.received() - r0).append(" chunks received")
                            .append(perChunk > 0 ? " (slices: " + perChunk + " B each allowed)" : "").append(", in ").append(iterations).append(" iterations: ")
                            .append(beyondHandles).append(" B beyond the handles; ");
                    // with the raw system call stub nothing but the handles may allocate; on the libc fallback each capturing
                    // downcall may leave the JDK's 40-byte slice, one wait per iteration
                    long slack = dev.evring.linux.Libc.syscallStubInUse() ? 0 : 48 * iterations;
                    passed = beyondHandles <= slack && echoes >= 2 * iterations;
                }
                System.out.println((passed ? "passed: " : "echoes allocated more than a " + HANDLE_BYTES
                        + "-byte handle per buffer handed out and the JDK's one capture slice per loop iteration: ")
                        + rounds + "(" + net.stats().features() + ")");
                System.exit(passed ? 0 : 1);
            }
        }
    }
}
