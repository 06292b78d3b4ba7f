/**
 * Blocking {@link java.net.Socket}s and {@link java.net.ServerSocket}s for thread-per-connection code, virtual threads
 * first, whose I/O runs on evring loops (io_uring completions by default): start from
 * {@link dev.evring.net.blocking.BlockingSockets}. Layered on {@code dev.evring.net}: the loop does the I/O with the
 * completion API, the threads only copy, park and unpark.
 */
package dev.evring.net.blocking;
