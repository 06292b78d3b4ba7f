package dev.evring;

/**
 * One loop's counters at a moment, as {@link EventLoop#stats()} reads them from any thread: for seeing how busy each
 * loop of a {@link LoopGroup} is, and whether the work is spread evenly. Each figure is read on its own, without a lock,
 * so figures taken while the loop runs may be a few events apart from each other; every counter only grows, except
 * {@code active} and {@code tasksQueued}, which are levels.
 *
 * @param backend       the backend the loop runs on
 * @param iterations    backend waits so far ({@link EventLoop#iteration()}, libev's {@code ev_iteration})
 * @param active        active watchers plus refs (libev's {@code activecnt}): what keeps {@code run()} going; a running
 *                      operation of {@code dev.evring.net} holds a ref, and a group's loop holds one ref of the group's
 * @param tasksExecuted tasks given to {@link EventLoop#execute} that have run
 * @param tasksQueued   tasks accepted by {@link EventLoop#execute} and not run yet
 * @param wakeups       times the loop looked at its cross-thread sources (tasks, async sends, signals) because
 *                      another thread marked them: the wakeups it received, whether they cut a wait short or came
 *                      while it was busy
 * @param wakeupCalls   system calls other threads made to wake it from its wait (eventfd writes), for tasks, async
 *                      sends, signals or {@link EventLoop#wakeup()}: a sender that finds the loop busy, or another
 *                      sender ahead of it, makes none
 */
public record LoopStats(Backend backend, long iterations, int active, long tasksExecuted, long tasksQueued,
                        long wakeups, long wakeupCalls) {
}
