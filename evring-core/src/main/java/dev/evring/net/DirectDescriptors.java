package dev.evring.net;

import dev.evring.linux.Errno;
import dev.evring.linux.IoUring;
import dev.evring.linux.Resource;
import dev.evring.uring.CompletionHandler;
import dev.evring.uring.RingOps;
import dev.evring.uring.Sqe;
import dev.evring.uring.UserData;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Direct descriptors ({@code net.direct_descriptors}): the stream connections of a {@link RingEngine} also sit in the
 * ring's registered file table, and their receives and sends name the table's slot with IOSQE_FIXED_FILE,
 * so the kernel finds the file without the process's fd table (a lookup that takes and drops a reference on the file
 * for every request in a multi-threaded process such as the JVM, whose fd table is shared).
 *
 * <h2>Both, from the start</h2>
 * A connection keeps its real fd for everything else ({@link IoHandle#fd()}, socket options, addresses, readiness
 * watchers, adoption by another loop, the readiness emulation after a move to epoll); the slot is a second reference
 * to the same file, taken with an IORING_OP_FILES_UPDATE SQE that rides with the connection's first receive or send
 * (no system call of its own); half-closes are shutdown(2) on the real fd (see RingEngine.submit). That first request still names the real fd: a slot is used only once its
 * update's CQE said it holds the file, so a refused update costs nothing but the speed-up. Closing the handle closes
 * the real fd as before and lets go of the slot with IORING_OP_CLOSE on it (batched with the loop's next submit); the
 * file (and the connection) closes when the last of the two references goes.
 *
 * <h2>Why a slot never names another connection's file</h2>
 * evring picks the slots (a free list here; never IORING_FILE_INDEX_ALLOC), so the only index the kernel hands back is
 * the one in a CQE's user_data, checked against the table's size and the slot's generation before use. A slot goes
 * back to the free list only when the CQE of its CLOSE came: by then every request that named it was either issued
 * (the kernel resolves a fixed file when it first issues the request, and holds it from then on) or revoked unsubmitted
 * by the handle's close (its SQE became a NOP), and the handle, closed, starts no more. One request per slot is out at
 * a time (its update, or its close), so nothing depends on the kernel running them in order: a handle that closes
 * while its update is out gets its slot closed once the update's CQE came. An update not yet submitted then is revoked
 * (it would read the fd number after close(2) freed it, maybe for another file; one already issued read it while the
 * handle held it, and what it installed is closed unused).
 *
 * <h2>When it does not apply</h2>
 * Off where the kernel lacks IORING_OP_FILES_UPDATE or IORING_OP_CLOSE on a slot (probed as IORING_OP_SOCKET, 5.19),
 * where registering the table fails (said in the stats: another Net of the loop has, or had, the ring's one table
 * ({@link #close}); the fd limit), for connections beyond the table's size (they keep using the real fd: a full
 * table loses nothing, {@link #tableFull} counts them), after a ring rebuild for the connections open then (the new
 * ring gets a fresh table for new ones), and for listeners, UDP sockets and files.
 */
final class DirectDescriptors implements CompletionHandler {
    private static final byte FREE = 0;
    private static final byte UPDATING = 1;
    private static final byte LIVE = 2;
    private static final byte CLOSING = 3;
    /** Its handle closed while its update was out: the close of the slot waits for the update's CQE. */
    private static final byte RELEASING = 4;
    /** A close the kernel answered with something else than success or EBADF: the slot is never used again. */
    private static final byte RETIRED = 5;

    private final Net net;
    private final RingOps ring;
    private final int tag;
    /** Slots in the table. */
    final int size;
    /** One int per slot: the fd its FILES_UPDATE installs (the kernel reads it when it issues the request). */
    private final MemorySegment fds;
    private final byte[] state;
    /** The generation of the slot's request out (update or close): its CQE is the one that counts. */
    private final int[] gen;
    private final long[] updateSqe;
    private final IoHandle[] owner;
    private final int[] free;
    private int freeCount;
    private boolean registered;
    /** Why the table is not registered (empty while it is). */
    String failure = "";

    // stats, for the Net's description
    private int live;
    /** Connections that found the table full: they run on their real fd. */
    long tableFull;
    /** Updates the kernel refused, and its last answer. */
    private long refused;
    private int lastRefusal;
    private int retired;

    DirectDescriptors(Net net, RingOps ring, int wanted) {
        this.net = net;
        this.ring = ring;
        // The kernel refuses a table larger than RLIMIT_NOFILE (EMFILE): take what the limit allows.
        MemorySegment rl = net.optScratch;
        int n = wanted;
        if (Resource.getrlimit(net.callState, Resource.RLIMIT_NOFILE, rl) == 0) {
            long cur = rl.get(ValueLayout.JAVA_LONG, Resource.OFF_RLIM_CUR);
            if (cur != Resource.RLIM_INFINITY && cur < n) n = (int) Math.max(1, cur);
        }
        this.size = n;
        this.fds = net.arena.allocate(4L * n, 8);
        this.state = new byte[n];
        this.gen = new int[n];
        this.updateSqe = new long[n];
        this.owner = new IoHandle[n];
        this.free = new int[n];
        resetSlots();
        int r = register();
        // the handler tag only once there is a table to use it for (a loop has 240 tags, never given back)
        this.tag = r == 0 ? ring.registerHandler(this) : -1;
    }

    /** Whether connections can get slots (the table is registered on the ring). */
    boolean active() {
        return registered;
    }

    private int register() {
        fds.fill((byte) -1); // every slot empty: a sparse table
        int r = ring.register(IoUring.IORING_REGISTER_FILES, fds, size);
        registered = r == 0;
        failure = r == 0 ? "" : "IORING_REGISTER_FILES of " + size + " slots: " + Errno.name(-r)
                + (r == -Errno.EBUSY ? " (another Net of this loop has, or had, the ring's one file table)" : "");
        return r;
    }

    private void resetSlots() {
        freeCount = 0;
        for (int s = size - 1; s >= 0; s--) {
            state[s] = FREE;
            gen[s] = OpId.next(gen[s]);
            owner[s] = null;
            free[freeCount++] = s;
        }
        live = 0;
    }

    private long userData(int slot, int generation) {
        return UserData.pack(tag, OpId.payload(slot, generation, OpId.ROLE_OP));
    }

    /**
     * {@code h}'s first receive or send is about to be prepared: give it a slot, filled by an update SQE
     * placed before that request's (which still names the real fd). Once per handle.
     */
    void attach(IoHandle h) {
        h.directTried = true;
        if (!registered) return;
        if (freeCount == 0) {
            tableFull++;
            return;
        }
        int slot = free[--freeCount];
        int g = OpId.next(gen[slot]);
        gen[slot] = g;
        state[slot] = UPDATING;
        owner[slot] = h;
        fds.setAtIndex(ValueLayout.JAVA_INT, slot, h.fd);
        long sqe = ring.nextSqe();
        Sqe.prepFilesUpdate(ring.sqes(), sqe, fds, 4L * slot, 1, slot, userData(slot, g));
        updateSqe[slot] = sqe;
        h.directSlot = slot;
    }

    /**
     * {@code h} is closing: its slot goes (its prepared requests were revoked already; none follows). A slot whose
     * update is still out is closed once the update's CQE came, whatever the update did: the close must not overtake
     * it (were the update to run after the close, in a worker, the slot would keep a file).
     */
    void release(IoHandle h) {
        int slot = h.directSlot;
        if (slot < 0) return;
        h.directSlot = -1;
        h.directLive = false;
        owner[slot] = null;
        if (state[slot] == UPDATING) {
            // not submitted yet: it must not read the fd number, which close(2) is about to free for any other file
            ring.revokeSqe(updateSqe[slot], userData(slot, gen[slot]));
            state[slot] = RELEASING;
            return;
        }
        if (state[slot] == LIVE) live--;
        closeSlot(slot);
    }

    private void closeSlot(int slot) {
        int g = OpId.next(gen[slot]);
        gen[slot] = g;
        state[slot] = CLOSING;
        owner[slot] = null;
        long sqe = ring.nextSqe();
        Sqe.prepCloseFixed(ring.sqes(), sqe, slot, userData(slot, g));
    }

    @Override
    public void onCompletion(long userData, int res, int flags) {
        if (net.closed) return; // the table went with the Net
        long payload = UserData.payload(userData);
        int slot = OpId.index(payload);
        int g = OpId.generation(payload);
        if (slot >= size || OpId.role(payload) != OpId.ROLE_OP) {
            net.staleCompletions++; // not a slot of ours: ignored, never followed
            return;
        }
        if (g != gen[slot]) {
            net.staleCompletions++; // one request per slot is out at a time: this is none of them
            return;
        }
        switch (state[slot]) {
            case UPDATING -> {
                IoHandle h = owner[slot];
                if (res == 1 && h != null && h.directSlot == slot && !h.closed) {
                    state[slot] = LIVE;
                    h.directLive = true; // its next requests name the slot
                    live++;
                } else {
                    refused++;
                    lastRefusal = res;
                    if (h != null && h.directSlot == slot) h.directSlot = -1; // it goes on with its real fd
                    closeSlot(slot); // empty it whatever the kernel did (a close of an empty slot answers EBADF)
                }
            }
            case RELEASING -> closeSlot(slot); // the update is over (done, refused, or revoked into a NOP): now the close
            case CLOSING -> {
                owner[slot] = null;
                if (res >= 0 || res == -Errno.EBADF) {
                    state[slot] = FREE;
                    free[freeCount++] = slot;
                } else {
                    state[slot] = RETIRED; // not known to be empty: never handed out again
                    retired++;
                }
            }
            default -> net.staleCompletions++;
        }
    }

    /**
     * The ring was rebuilt or given up: its file table went with it, so every slot is empty and no CQE of ours will
     * come. The open connections go on with their real fds; a new ring gets a fresh table for connections to come.
     */
    @Override
    public void onRingReset(boolean ringAvailable) {
        if (net.closed) return;
        for (IoHandle h = net.handles; h != null; h = h.nextHandle) {
            h.directSlot = -1;
            h.directLive = false;
        }
        resetSlots();
        registered = false;
        if (ringAvailable) register();
        else failure = "the loop left io_uring";
    }

    /**
     * The Net is closing: its connections were closed, and their slots' CLOSE SQEs go out with the loop's next submit.
     * The table itself stays registered until the ring closes: IORING_UNREGISTER_FILES waits, on kernels before 6.13,
     * until no request holds the table (io_rsrc_ref_quiesce), and the cancels of this Net's requests may still sit
     * unsubmitted in the SQ, so it could wait for ever. A later Net of the same loop finds the table taken (EBUSY) and
     * runs without direct descriptors, saying so.
     */
    void close() {
        registered = false;
    }

    /** For the Net's description. */
    String describe() {
        if (!registered) return "no direct descriptors (" + failure + ")";
        StringBuilder b = new StringBuilder("direct descriptors (table ").append(size).append(", ").append(live).append(" live");
        if (tableFull > 0) b.append(", ").append(tableFull).append(" connections found it full");
        if (refused > 0) b.append(", ").append(refused).append(" refused, last ")
                .append(lastRefusal < 0 ? Errno.name(-lastRefusal) : "result " + lastRefusal);
        if (retired > 0) b.append(", ").append(retired).append(" slots retired");
        return b.append(")").toString();
    }

    /** For tests: the slots connections hold now (updating or live). */
    int inUse() {
        int n = 0;
        for (byte s : state) if (s == UPDATING || s == LIVE) n++;
        return n;
    }

    /** For tests: the slots free for new connections (their close came back). */
    int freeSlots() {
        return freeCount;
    }

    /** For tests: the slots in use by live connections whose requests name them. */
    int live() {
        return live;
    }
}
