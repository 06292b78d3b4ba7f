package dev.evring.net;

import dev.evring.EventLoop;
import dev.evring.GroupStats;
import dev.evring.LoopGroup;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A {@link Net} on every loop of a {@link LoopGroup}, each opened on its own loop's thread, and listening on the group
 * ({@link #listen}): the sockets of a server that runs on many cores. Each loop's sockets stay on that loop; a
 * connection is served by the loop that got it, from its first callback to its close.
 *
 * <p>Thread contract: {@link #open}, {@link #listen} and {@link #stats()} work from any thread, a loop thread of the
 * group included (its own loop's part is done inline, the others' are handed to them and waited for). {@link #net(int)}
 * may be read anywhere, but that Net, as every Net, is used on its own loop's thread only.
 *
 * <p>Graceful shutdown: when a loop begins its graceful shutdown ({@link LoopGroup#shutdownGracefully}), its part of
 * every group listener closes (no more connections are accepted there; connections the kernel had accepted before
 * are still delivered); the connections go on until they close, which lets the loop end, or until the deadline, when
 * the loop closes and its Net with it. Under {@link GroupListener.Mode#REUSE_PORT} connections still in the closing
 * listener's backlog are reset by the kernel (see the README).
 */
public final class NetGroup {
    private final LoopGroup group;
    private final Slot[] slots;

    /** One loop's part: its Net, its group listeners (loop thread only), its counters (opaque, any thread). */
    static final class Slot {
        final int index;
        final EventLoop loop;
        Net net;
        /** The group listeners' listeners on this loop; changed on its thread only. */
        final List<StreamListener> listeners = new ArrayList<>();
        long accepted;
        long handedOff;
        static final VarHandle ACCEPTED;
        static final VarHandle HANDED_OFF;

        static {
            try {
                MethodHandles.Lookup l = MethodHandles.lookup();
                ACCEPTED = l.findVarHandle(Slot.class, "accepted", long.class);
                HANDED_OFF = l.findVarHandle(Slot.class, "handedOff", long.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        Slot(int index, EventLoop loop) {
            this.index = index;
            this.loop = loop;
        }

        /** Loop thread: one more connection given to this loop. */
        void countAccepted() {
            ACCEPTED.setOpaque(this, accepted + 1);
        }

        /** Loop thread: one more connection this loop's listener handed to another loop. */
        void countHandedOff() {
            HANDED_OFF.setOpaque(this, handedOff + 1);
        }
    }

    /** A Net on every loop of {@code group}, each {@link Net#open}ed with the loop's options. */
    public static NetGroup open(LoopGroup group) {
        return open(group, Net::open);
    }

    /**
     * A Net on every loop of {@code group}: {@code opener} is called once on each loop's thread with that loop and
     * returns its Net (e.g. {@code loop -> Net.builder(loop).recvBuffers(1024, 16384).open()}). Returns once every loop
     * has its Net. If one fails, the Nets already opened are closed and its failure is thrown.
     *
     * @throws IllegalArgumentException if {@code group} or {@code opener} is null, or the opener returns null or a Net
     *                                  of another loop
     */
    public static NetGroup open(LoopGroup group, Function<EventLoop, Net> opener) {
        if (group == null) throw new IllegalArgumentException("loop group is null");
        if (opener == null) throw new IllegalArgumentException("Net opener is null");
        return new NetGroup(group, opener);
    }

    private NetGroup(LoopGroup group, Function<EventLoop, Net> opener) {
        this.group = group;
        int n = group.size();
        this.slots = new Slot[n];
        for (int i = 0; i < n; i++) slots[i] = new Slot(i, group.loop(i));
        RuntimeException failure = null;
        for (Slot s : slots) {
            try {
                s.net = onLoop(s.loop, () -> {
                    Net net = opener.apply(s.loop);
                    if (net == null || net.loop() != s.loop) {
                        if (net != null) net.close();
                        throw new IllegalArgumentException("the Net opener returned " + net + " for " + s.loop
                                + ": it must open a Net on the loop it is given");
                    }
                    s.loop.addShutdownListener((loop, deadline) -> stopListening(s));
                    return net;
                });
            } catch (RuntimeException e) {
                failure = e;
                break;
            }
        }
        if (failure != null) {
            for (Slot s : slots) {
                if (s.net == null) continue;
                try {
                    onLoop(s.loop, () -> {
                        s.net.close();
                        return null;
                    });
                } catch (RuntimeException e) {
                    failure.addSuppressed(e);
                }
            }
            throw failure;
        }
    }

    /** Loop thread, at its graceful shutdown: its part of every group listener closes. */
    private static void stopListening(Slot s) {
        for (StreamListener l : s.listeners) l.close();
        s.listeners.clear();
    }

    /**
     * Runs {@code work} on {@code loop}'s thread and returns its result: inline when the caller is that thread, else
     * as a task the caller waits for. What it throws is rethrown here.
     */
    <T> T onLoop(EventLoop loop, Supplier<T> work) {
        if (group.currentLoop() == loop) return work.get();
        CompletableFuture<T> f = new CompletableFuture<>();
        loop.execute(() -> {
            try {
                f.complete(work.get());
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return f.get();
                } catch (InterruptedException e) {
                    interrupted = true; // a task on a running loop takes microseconds; the interrupt is kept
                } catch (java.util.concurrent.ExecutionException e) {
                    Throwable c = e.getCause();
                    if (c instanceof RuntimeException r) throw r;
                    if (c instanceof Error err) throw err;
                    throw new CompletionException(c);
                }
            }
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    /** The loop group. */
    public LoopGroup group() {
        return group;
    }

    /** How many loops (and Nets). */
    public int size() {
        return slots.length;
    }

    /**
     * Loop {@code index}'s Net: use it on that loop's thread only ({@code group().loop(index)}).
     *
     * @throws IndexOutOfBoundsException if {@code index} is not in {@code 0..size()-1}
     */
    public Net net(int index) {
        return slot(index).net;
    }

    /**
     * {@code loop}'s Net.
     *
     * @throws IllegalArgumentException if {@code loop} is not one of the group's
     */
    public Net net(EventLoop loop) {
        for (Slot s : slots) if (s.loop == loop) return s.net;
        throw new IllegalArgumentException(loop + " is not a loop of " + group);
    }

    Slot slot(int index) {
        if (index < 0 || index >= slots.length) {
            throw new IndexOutOfBoundsException("loop index " + index + " is not in 0.." + (slots.length - 1));
        }
        return slots[index];
    }

    Slot slotOf(EventLoop loop) {
        for (Slot s : slots) if (s.loop == loop) return s;
        throw new IllegalStateException(loop + " is not a loop of " + group);
    }

    /**
     * Listens on {@code local} over every loop of the group (see {@link GroupListener} for the two ways), calling
     * {@code callback} for each connection on the thread of the loop that serves it. Returns once every loop listens.
     *
     * @throws IllegalArgumentException for a null argument, or {@link GroupListener.Mode#REUSE_PORT} on a Unix-domain
     *                                  address (SO_REUSEPORT is an IP feature)
     * @throws dev.evring.ErrnoException if binding fails (EADDRINUSE: something else holds the port without
     *                                  SO_REUSEPORT)
     */
    public GroupListener listen(SocketAddress local, GroupListener.Mode mode, GroupAcceptCallback callback) {
        return new GroupListener(this, local, mode, callback);
    }

    /** Every loop's figures now, connections included (see {@link NetGroupStats}). Any thread; allocates the snapshot. */
    public NetGroupStats stats() {
        GroupStats loops = group.stats();
        List<Integer> connections = new ArrayList<>(slots.length);
        List<Long> accepted = new ArrayList<>(slots.length);
        List<Long> handedOff = new ArrayList<>(slots.length);
        for (Slot s : slots) {
            connections.add(s.net.connections());
            accepted.add((long) Slot.ACCEPTED.getOpaque(s));
            handedOff.add((long) Slot.HANDED_OFF.getOpaque(s));
        }
        return new NetGroupStats(loops, connections, accepted, handedOff);
    }

    @Override
    public String toString() {
        return "NetGroup[" + group + "]";
    }
}
