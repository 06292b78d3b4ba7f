package dev.evring.net;

/**
 * A snapshot of a {@link Net}'s counters and buffer pools ({@link Net#stats()}).
 *
 * @param driver              "io_uring" (the kernel does the I/O) or "readiness" (emulated with watchers)
 * @param features            the forms in use: e.g. "multishot accept, buffer ring, multishot recv", or what was
 *                            forced off
 * @param operationsStarted   operations started since the Net opened
 * @param operationsRunning   operations not finished yet
 * @param callbacks           callbacks run
 * @param recvBuffers         receive pool size
 * @param recvBuffersFree     receive buffers free (on io_uring: in the kernel's ring, ready to be picked)
 * @param recvBuffersHeld     receive buffers held by the application (delivered, not released yet)
 * @param recvBuffersLent     receive buffers lent to operations (a send of received data, a single-shot receive).
 *                            With incremental buffers ({@code net.recv_incremental}) held and lent count received
 *                            buffers (slices), and a pool buffer the kernel is still filling counts as free
 * @param recvBufferWaits     times a receive found the pool dry and waited (each a slow-down, never a loss)
 * @param recvWaiting         receives waiting for a buffer now
 * @param buffers             general pool size
 * @param buffersFree         general buffers free
 * @param buffersHeld         general buffers held by the application
 * @param buffersLent         general buffers lent to operations
 * @param bufferWaits         times a datagram receive waited for a general buffer
 * @param acceptPauses        times accepting paused for lack of fds or memory (Status.isAcceptPause)
 * @param recvRearms          io_uring: multishot receives and accepts re-armed after the kernel ended them
 * @param staleCompletions    io_uring: completions dropped because their operation was gone (validated user_data)
 * @param recvShare           the most pool buffers one socket's receives may hold at a time (0: no bound)
 * @param recvSharePauses     times a receive paused because its socket held its share (its peer's data waited)
 * @param sendQueuedBytes     bytes queued by stream sends and not yet written, all sockets together
 * @param unwritableSockets   stream sockets now above their send high-water mark
 * @param sendSpills          copied sends whose bytes beyond their socket's share of the general pool went into
 *                            memory of their own (one allocation each)
 * @param sendSpillBytes      the bytes those spills held
 * @param recvAccumulatedBytes bytes accumulating receives keep for messages not yet complete, all sockets together
 *                            (each socket's bounded by the accumulation limit)
 * @param zeroCopyWrites      io_uring: writes that went out zero-copy ({@link Net.Builder#sendZeroCopyAbove})
 */
public record NetStats(String driver, String features, long operationsStarted, int operationsRunning, long callbacks,
                       int recvBuffers, int recvBuffersFree, int recvBuffersHeld, int recvBuffersLent,
                       long recvBufferWaits, int recvWaiting,
                       int buffers, int buffersFree, int buffersHeld, int buffersLent, long bufferWaits,
                       long acceptPauses, long recvRearms, long staleCompletions, int recvShare, long recvSharePauses,
                       long sendQueuedBytes, int unwritableSockets, long sendSpills, long sendSpillBytes,
                       long recvAccumulatedBytes, long zeroCopyWrites) {
}
