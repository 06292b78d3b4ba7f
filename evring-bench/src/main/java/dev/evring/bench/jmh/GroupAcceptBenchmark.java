package dev.evring.bench.jmh;

import dev.evring.Backend;
import dev.evring.EventLoop;
import dev.evring.LoopGroup;
import dev.evring.net.GroupListener;
import dev.evring.net.NetGroup;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;

/**
 * A new connection to a two-loop group, from connect to the server's first byte as the client sees it: the server
 * sends one byte from its accept callback, on the loop that got the connection, and closes once the client has (the
 * client closes first, so the TIME_WAIT states stay on its side, where loopback reuses them). With
 * {@code reuseport} that is the loop the kernel hashed it to; with {@code handoff-*} loop 0 accepts every connection and
 * hands every other one (round-robin over two loops) to loop 1, which has nothing else to do and sleeps: so half the
 * connections pay a hand-off (a task and a wakeup of a sleeping loop, by ring message or eventfd) and
 * {@code 2 x (handoff - reuseport)} is what one hand-off adds to a connection's first answer.
 */
@State(Scope.Benchmark)
public class GroupAcceptBenchmark {
    @Param({"reuseport-io_uring", "handoff-io_uring", "handoff-io_uring-eventfd", "reuseport-epoll", "handoff-epoll"})
    public String way;

    private LoopGroup group;
    private SocketAddress address;
    private static final byte[] BYTE = {42};
    private final ByteBuffer one = ByteBuffer.allocate(1);

    @Setup(Level.Trial)
    public void setUp() {
        EventLoop.Builder loop = EventLoop.builder().backend(way.endsWith("epoll") ? Backend.EPOLL : Backend.IO_URING);
        if (way.endsWith("-eventfd")) loop.option("loop.wakeup_messages", "false");
        group = LoopGroup.builder().loops(2).loop(loop).open();
        NetGroup nets = NetGroup.open(group);
        GroupListener.Mode mode = way.startsWith("reuseport") ? GroupListener.Mode.REUSE_PORT : GroupListener.Mode.HAND_OFF_ROUND_ROBIN;
        address = nets.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), mode, (socket, status) -> {
            if (socket == null) return;
            socket.send(BYTE, null);
            socket.recv((s, data, n) -> {
                if (data != null) data.release();
                if (n <= 0) s.close();
            });
        }).localAddress();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
        group.shutdownGracefully(Duration.ZERO);
        group.awaitTermination(Duration.ofSeconds(10));
    }

    /** Connects, waits for the server's byte, closes; per connection. */
    @Benchmark
    public int connectUntilFirstByte() throws IOException {
        try (SocketChannel ch = SocketChannel.open(address)) {
            one.clear();
            int n = ch.read(one);
            if (n != 1) throw new IllegalStateException("the server's first byte did not come: " + n);
            return one.get(0);
        }
    }
}
