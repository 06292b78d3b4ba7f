package dev.evring.backend;

import dev.evring.linux.Errno;
import dev.evring.linux.Time;
import dev.evring.linux.Poll;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * poll(2), as libev's ev_poll.c: an array of pollfd with an fd-to-slot index; slot 0 is the wakeup eventfd. The kernel
 * keeps no state between calls, so a stale event is impossible; a closed fd reports POLLNVAL, which kills its
 * watchers.
 */
public final class PollBackend extends LoopBackend {
    private final Arena arena;
    private final MemorySegment callState;
    private final EventFdWakeup wakeup;
    private MemorySegment fds;
    private int capacity;
    private int count;
    /** Slot of each fd in {@link #fds}, or 0 when absent (slot 0 is the wakeup fd). */
    private int[] slotOf = new int[64];

    // counters (BackendCounters)
    private long calls;
    private long ready;
    private long wakeupsReceived;

    public PollBackend(BackendHost host, Arena arena) {
        super(host);
        this.arena = arena;
        this.callState = host.callState();
        this.wakeup = new EventFdWakeup(callState);
        this.capacity = 64;
        this.fds = arena.allocate(Poll.POLLFD.byteSize() * capacity, 8);
        setSlot(0, wakeup.fd(), Poll.POLLIN);
        count = 1;
    }

    @Override
    public String name() {
        return "poll";
    }

    @Override
    public long minWaitNanos() {
        return 1_000_000L; // poll counts milliseconds
    }

    private void setSlot(int slot, int fd, short events) {
        long base = slot * Poll.POLLFD_SIZE;
        fds.set(JAVA_INT, base + Poll.OFF_FD, fd);
        fds.set(JAVA_SHORT, base + Poll.OFF_EVENTS, events);
        fds.set(JAVA_SHORT, base + Poll.OFF_REVENTS, (short) 0);
    }

    @Override
    public void modify(int fd, int oldEvents, int newEvents, boolean refresh) {
        if (fd >= slotOf.length) slotOf = Arrays.copyOf(slotOf, Math.max(slotOf.length * 2, Integer.highestOneBit(fd) * 2));
        int slot = slotOf[fd];
        if (newEvents == 0) {
            if (slot != 0) {
                int last = --count;
                if (slot != last) {
                    MemorySegment.copy(fds, last * Poll.POLLFD_SIZE, fds, slot * Poll.POLLFD_SIZE, Poll.POLLFD_SIZE);
                    slotOf[fds.get(JAVA_INT, slot * Poll.POLLFD_SIZE + Poll.OFF_FD)] = slot;
                }
                slotOf[fd] = 0;
            }
            return;
        }
        if (slot == 0) {
            if (count == capacity) {
                MemorySegment bigger = arena.allocate(Poll.POLLFD.byteSize() * capacity * 2L, 8);
                MemorySegment.copy(fds, 0, bigger, 0, count * Poll.POLLFD_SIZE);
                fds = bigger;
                capacity *= 2;
            }
            slot = count++;
            slotOf[fd] = slot;
        }
        setSlot(slot, fd, ReadinessBits.toPoll(newEvents));
    }

    @Override
    public void poll(long timeoutNanos) {
        int timeoutMillis = Time.toMillisRoundedUp(timeoutNanos);
        int n = Poll.poll(callState, fds, count, timeoutMillis);
        calls++;
        if (n < 0) {
            if (n == -Errno.EINTR) return;
            throw Errno.exception("poll(" + count + " fds)", -n);
        }
        ready += n;
        final MemorySegment p = fds;
        for (int slot = 0; slot < count && n > 0; slot++) {
            long base = slot * Poll.POLLFD_SIZE;
            short re = p.get(JAVA_SHORT, base + Poll.OFF_REVENTS);
            if (re == 0) continue;
            n--;
            int fd = p.get(JAVA_INT, base + Poll.OFF_FD);
            if (slot == 0) {
                wakeup.drain(callState);
                wakeupsReceived++;
                host.wakeupReceived();
            } else if ((re & Poll.POLLNVAL) != 0) {
                host.fdKill(fd);
            } else {
                host.fdEvent(fd, ReadinessBits.fromPoll(re));
            }
        }
    }

    @Override
    public void wakeup() {
        wakeup.signal();
    }

    @Override
    public int pollFd() {
        return -1;
    }

    @Override
    protected void addCounters(long[] into) {
        into[BackendCounters.POLL_CALLS] += calls;
        into[BackendCounters.POLL_EVENTS] += ready;
        into[BackendCounters.WAKEUPS_RECEIVED] += wakeupsReceived;
        into[BackendCounters.WAKEUPS_SENT] += wakeup.signals();
    }

    @Override
    public void close() {
        wakeup.close(callState);
    }
}
