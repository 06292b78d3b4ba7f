package dev.evring;

/**
 * One loop's counters at a moment, as {@link EventLoop#stats()} reads them: what the loop did (iterations, time
 * waiting and working, callbacks, tasks, wakeups) and what its backend did (system calls by kind, SQEs, CQEs by owner,
 * CQ overflows, ring rebuilds, moves to epoll, ring messages). Every counter starts at 0 when the loop opens and only
 * grows, except {@code active} and {@code tasksQueued}, which are levels; a backend leaves 0 where it has no such thing
 * (epoll makes no {@code io_uring_enter}). Rates come from two snapshots: {@code (b.cqesReaped() - a.cqesReaped())}
 * over the time between them. {@code dev.evring.net}'s own figures (operations, buffers, accept pauses) are in
 * {@code Net.stats()}.
 *
 * <p>Taken on the loop's thread, the figures are exact and consistent with each other. Taken on another thread (a
 * loop group's, a monitor's), each is read on its own without a lock, as its one writer last stored it: figures
 * of a running loop may be a few events apart from each other.
 *
 * @param backend          the backend the loop runs on
 * @param iterations       backend waits so far ({@link EventLoop#iteration()}, libev's {@code ev_iteration})
 * @param active           active watchers plus refs (libev's {@code activecnt}): what keeps {@code run()} going; a
 *                         running operation of {@code dev.evring.net} holds a ref, and a group's loop holds one ref of
 *                         the group's
 * @param tasksExecuted    tasks given to {@link EventLoop#execute} that have run
 * @param tasksQueued      tasks accepted by {@link EventLoop#execute} and not run yet
 * @param wakeups          times the loop looked at its cross-thread sources (tasks, async sends, signals) because
 *                         another thread marked them: the wakeups it received, whether they cut a wait short or came
 *                         while it was busy
 * @param wakeupCalls      system calls other threads made to wake it from its wait (eventfd writes), for tasks, async
 *                         sends, signals or {@link EventLoop#wakeup()}: a sender that finds the loop busy, or another
 *                         sender ahead of it, makes none
 * @param wakeupMessages   ring messages other loops' threads posted to wake it instead (IORING_OP_MSG_RING, where both
 *                         run on io_uring): no system call of their own, no eventfd; a part of {@code messagesReceived}
 * @param waitNanos        time spent in the backend's poll: blocked waiting, plus the poll's own system calls (on
 *                         io_uring the kernel's work on the SQEs the enter submits, sends included) and the reaping of
 *                         what it returned; an io collect interval's sleep counts here too
 * @param workNanos        the rest of the loop thread's time since the loop opened: callbacks, timers, fd changes,
 *                         and what the thread does between {@code run()} calls. {@code waitNanos / (waitNanos +
 *                         workNanos)} over an interval is the share of the loop's time it was free
 * @param callbacks        watcher callbacks the loop ran (a batch of {@code execute} tasks, and a batch of
 *                         {@code dev.evring.net} completions, count once each: their own counts are
 *                         {@code tasksExecuted} and {@code NetStats.callbacks()})
 * @param enterWait        {@code io_uring_enter} calls that could block (the loop's wait)
 * @param enterSubmit      {@code io_uring_enter} calls that could not block: submissions of a full SQ, runs of
 *                         completion work, overflow flushes
 * @param sqesSubmitted    SQEs the kernel consumed
 * @param cqesReaped       CQEs reaped: {@code cqesBackend + cqesHandlers + cqesStray}
 * @param cqesBackend      CQEs of the backend's own requests (polls and their removals, wakeup reads, timeouts,
 *                         messages)
 * @param cqesHandlers     CQEs of {@code dev.evring.net}'s operations on the ring
 * @param cqesStray        CQEs nobody owns (a tag no handler has, a message meant for another ring): dropped
 * @param cqesStale        CQEs of poll requests removed or replaced before they completed: dropped
 * @param cqOverflows      times the CQ overflowed (the kernel held completions that did not fit, or dropped some)
 * @param ringRebuilds     rings rebuilt larger after lost completions (kernels without IORING_FEAT_NODROP)
 * @param movesToEpoll     moves to epoll after lost completions at the kernel's ring size limit (0 or 1)
 * @param wakeupsReceived  times the backend's wakeup channel fired (its eventfd, several writes may fire it once; or a
 *                         ring message to its wakeup target)
 * @param epollWaits       {@code epoll_wait} calls (the epoll backend's, or the io_uring backend's set for files
 *                         io_uring cannot poll)
 * @param epollEvents      events {@code epoll_wait} returned
 * @param pollCalls        {@code poll(2)} calls
 * @param pollEvents       pollfds {@code poll(2)} found ready
 * @param messagesSent     ring messages ({@code IORING_OP_MSG_RING}) this loop's ring queued for other loops
 * @param messagesReceived ring messages other loops or threads posted to this loop's ring (wakeups among them)
 */
public record LoopStats(Backend backend, long iterations, int active, long tasksExecuted, long tasksQueued,
                        long wakeups, long wakeupCalls, long wakeupMessages,
                        long waitNanos, long workNanos, long callbacks,
                        long enterWait, long enterSubmit, long sqesSubmitted,
                        long cqesReaped, long cqesBackend, long cqesHandlers, long cqesStray, long cqesStale,
                        long cqOverflows, long ringRebuilds, long movesToEpoll, long wakeupsReceived,
                        long epollWaits, long epollEvents, long pollCalls, long pollEvents,
                        long messagesSent, long messagesReceived) {

    /**
     * The system calls the loop's thread made for its backend: {@code io_uring_enter} (both kinds), {@code epoll_wait}
     * and {@code poll}. Other threads' wakeup calls are in {@link #wakeupCalls()}.
     */
    public long systemCalls() {
        return enterWait + enterSubmit + epollWaits + pollCalls;
    }
}
