package dev.evring.net;

import dev.evring.EventLoop;
import dev.evring.LoopGroup;
import dev.evring.linux.Unistd;

import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Listening on every loop of a {@link NetGroup} ({@link NetGroup#listen}), one of two ways:
 * <ul>
 *   <li>{@link Mode#REUSE_PORT}: a listener on each loop, all bound to the same address with SO_REUSEPORT; the kernel
 *   spreads incoming connections over them by a hash of each connection's addresses and ports, and each loop accepts
 *   its own (on io_uring with its own multishot accept). Nothing is shared between loops; the spread is statistical
 *   (a few connections may all land on one loop), and connections waiting in one listener's backlog when it closes
 *   are reset by the kernel (unless {@code net.ipv4.tcp_migrate_req} is 1: then they move to another listener of the
 *   port). IP only.</li>
 *   <li>{@link Mode#HAND_OFF_ROUND_ROBIN}, {@link Mode#HAND_OFF_LEAST_LOADED}: one listener, on loop 0, accepts every
 *   connection and hands each to a loop chosen by {@link LoopGroup#next()} or {@link LoopGroup#leastLoaded()} (loop 0
 *   included, which keeps its share itself): the socket leaves loop 0's Net unseen and its fd is adopted by the
 *   target's Net in a task given to the target's {@link EventLoop#execute} (which wakes it by a ring message where
 *   both loops run on io_uring with IORING_OP_MSG_RING, else by its eventfd). The spread is exact, one loop pays
 *   for every accept, and each hand-off costs a task and, if the target sleeps, a wakeup. Any address family.</li>
 * </ul>
 * Either way {@link GroupAcceptCallback#onAccept} runs on the thread of the loop that serves the connection, with a
 * socket of that loop's Net; what it throws goes to that loop's exception handler and disturbs nothing else. A target
 * loop that refuses the hand-off (it is closing) leaves the connection to the accepting loop, which serves it itself.
 *
 * <p>Thread contract: {@link #close()}, {@link #localAddress()} and {@link #mode()} work from any thread. Costs per
 * connection: REUSE_PORT, what a single loop's accept costs; hand-off, that plus a task (a small allocation, an array
 * store under the target's task lock, a wakeup if it sleeps) and the new socket handle on the target.
 */
public final class GroupListener implements AutoCloseable {
    /** How connections are spread over the loops. */
    public enum Mode {
        /** A listener per loop with SO_REUSEPORT: the kernel picks the loop. */
        REUSE_PORT,
        /** One accepting loop (loop 0) hands each connection to the next loop in turn. */
        HAND_OFF_ROUND_ROBIN,
        /** One accepting loop (loop 0) hands each connection to the least loaded loop ({@link LoopGroup#leastLoaded()}). */
        HAND_OFF_LEAST_LOADED
    }

    private final NetGroup nets;
    private final Mode mode;
    private final GroupAcceptCallback callback;
    private final ProtocolFamily family;
    /** Each loop's listener (REUSE_PORT), or loop 0's only; each read and closed on its own loop's thread. */
    private final StreamListener[] listeners;
    private final SocketAddress address;
    private volatile boolean closed;

    GroupListener(NetGroup nets, SocketAddress local, Mode mode, GroupAcceptCallback callback) {
        if (local == null) throw new IllegalArgumentException("address is null");
        if (mode == null) throw new IllegalArgumentException("mode is null");
        if (callback == null) throw new IllegalArgumentException("callback is null");
        this.family = SockAddr.familyOf(local);
        if (mode == Mode.REUSE_PORT && family == StandardProtocolFamily.UNIX) {
            throw new IllegalArgumentException("REUSE_PORT needs an IP address, not " + local
                    + ": SO_REUSEPORT does not spread Unix-domain connections; hand them off instead");
        }
        this.nets = nets;
        this.mode = mode;
        this.callback = callback;
        int n = mode == Mode.REUSE_PORT ? nets.size() : 1;
        this.listeners = new StreamListener[n];
        SocketAddress bound = local;
        try {
            for (int i = 0; i < n; i++) {
                NetGroup.Slot s = nets.slot(i);
                SocketAddress at = bound;
                listeners[i] = nets.onLoop(s.loop, () -> listenOn(s, at));
                if (i == 0) bound = nets.onLoop(s.loop, listeners[0]::localAddress); // port 0: the one the kernel chose
            }
        } catch (RuntimeException e) {
            closeListeners(e);
            throw e;
        }
        this.address = bound;
    }

    /** Loop {@code s}'s thread: its listener, bound and accepting. */
    private StreamListener listenOn(NetGroup.Slot s, SocketAddress local) {
        StreamListener l = s.net.openListener(family);
        try {
            if (family != StandardProtocolFamily.UNIX) l.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            if (mode == Mode.REUSE_PORT) l.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            l.bind(local);
            l.listen(dev.evring.linux.SysSocket.SOMAXCONN);
            if (mode == Mode.REUSE_PORT) l.accept((listener, socket, status) -> serveHere(s, socket, status));
            else l.accept((listener, socket, status) -> handOff(s, socket, status));
        } catch (RuntimeException e) {
            l.close();
            throw e;
        }
        s.listeners.add(l);
        return l;
    }

    /** Loop {@code s}'s thread: a connection (or a failure) for this loop. */
    private void serveHere(NetGroup.Slot s, StreamSocket socket, int status) throws Exception {
        if (socket != null) s.countAccepted();
        callback.onAccept(socket, status);
    }

    /** The accepting loop's thread: the connection goes to the chosen loop. */
    private void handOff(NetGroup.Slot from, StreamSocket socket, int status) throws Exception {
        if (socket == null) {
            callback.onAccept(null, status);
            return;
        }
        LoopGroup group = nets.group();
        EventLoop target = mode == Mode.HAND_OFF_ROUND_ROBIN ? group.next() : group.leastLoaded();
        if (target == from.loop) {
            serveHere(from, socket, 0);
            return;
        }
        NetGroup.Slot to = nets.slotOf(target);
        int fd = Adoption.detach(socket);
        try {
            target.execute(() -> arrive(to, fd));
        } catch (RejectedExecutionException e) { // the target is closing: this loop serves the connection itself
            serveHere(from, Adoption.adopt(from.net, fd, family), 0);
            return;
        }
        from.countHandedOff();
    }

    /** The target loop's thread: the handed-off fd becomes a socket of its Net. */
    private void arrive(NetGroup.Slot to, int fd) {
        Net net = to.net;
        if (net.isClosed()) { // closed by its owner: nobody here can serve it, and the fd is ours to close
            Unistd.close(net.callState, fd);
            return;
        }
        StreamSocket socket = Adoption.adopt(net, fd, family);
        try {
            serveHere(to, socket, 0);
        } catch (Exception e) { // as from any accept callback: to the loop's handler, under the socket
            net.access.reportException(net.loop, socket, e);
        }
    }

    /** How connections are spread. */
    public Mode mode() {
        return mode;
    }

    /** The address every loop listens on (an ephemeral port asked for as 0 shows its number). Any thread. */
    public SocketAddress localAddress() {
        return address;
    }

    /**
     * Stops listening on every loop: each listener closes on its own loop's thread (connections accepted before that
     * took effect are still delivered; those in the backlog are refused). Connections already served are not touched.
     * Returns once every loop's listener has closed and its last callback ran (on io_uring: once its accept request
     * ended in the kernel, which holds the listening socket until then), so connects are refused from then on; with
     * the readiness emulation on io_uring the kernel may hold it a moment longer, until the loop's next submission
     * removes its poll, and a connect in that moment completes and is then reset. Called on a loop thread of the
     * group, it does not wait for its own loop's. Idempotent; any thread.
     */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        closeListeners(null);
    }

    private void closeListeners(RuntimeException failure) {
        LoopGroup group = nets.group();
        for (int i = 0; i < listeners.length; i++) {
            StreamListener l = listeners[i];
            if (l == null) continue;
            NetGroup.Slot s = nets.slot(i);
            CompletableFuture<Void> gone = new CompletableFuture<>();
            try {
                nets.onLoop(s.loop, () -> {
                    s.listeners.remove(l);
                    if (l.isOpen()) l.close((h, status) -> gone.complete(null)); // its last callback: the socket is gone
                    else gone.complete(null);
                    return null;
                });
                if (group.currentLoop() != s.loop) gone.get(10, TimeUnit.SECONDS);
            } catch (RejectedExecutionException e) {
                // that loop is closing: its Net closes the listener
            } catch (RuntimeException e) {
                if (failure != null) failure.addSuppressed(e);
                else throw e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // the close goes on; only the wait for it ends
                return;
            } catch (ExecutionException | TimeoutException e) {
                throw new IllegalStateException(this + ": loop " + i + "'s listener did not close in 10 s", e);
            }
        }
    }

    @Override
    public String toString() {
        return "GroupListener[" + mode + ", " + address + ", " + listeners.length + " listener(s)" + (closed ? ", closed" : "") + "]";
    }
}
