package dev.evring.backend;

import java.lang.foreign.MemorySegment;

/**
 * What a backend may ask of the loop that owns it: the loop's side of libev's backend contract. Called on the loop's
 * thread only, from inside {@link LoopBackend#modify} or {@link LoopBackend#poll}.
 */
public interface BackendHost {
    /** Interest bits shared with the loop ({@code Events.READ}, {@code Events.WRITE}). */
    int EV_READ = 0x01;
    int EV_WRITE = 0x02;

    /** The fd is ready for {@code revents} (EV_READ/EV_WRITE): queue its watchers (libev's fd_event). */
    void fdEvent(int fd, int revents);

    /** The fd is bad (EBADF, POLLNVAL, ...): stop its watchers with an error event (libev's fd_kill). */
    void fdKill(int fd);

    /** The interest mask the loop currently wants for {@code fd} (0 if none or out of range). */
    int fdWanted(int fd);

    /** The backend's wakeup channel fired: run the async watchers that were sent. */
    void wakeupReceived();

    /**
     * Hands what a callback run by the backend threw (a completion handler's) to the loop's exception handler;
     * {@code source} names it in the report.
     */
    void reportException(Object source, Throwable error);

    /** The loop's errno segment (see {@code Libc}), for calls made on the loop's thread. */
    MemorySegment callState();
}
