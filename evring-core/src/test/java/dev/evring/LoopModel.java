package dev.evring;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;

/**
 * A plain reference model of the loop's semantics as the README states them (libev's, with evring's choices), for
 * {@link LoopModelTest}: the same watchers as a handful of fields each, the pending queues as lists, timers as a list
 * searched for the earliest (due time, scheduling number), no arrays, heaps, generations or backends.
 *
 * <p>What it holds the loop to, for the sequences of {@link Op}s it generates: the life cycle (start, stop, every set
 * as stop + change + start, again, clearPending, priority only when inactive and not pending); pending callbacks by
 * priority, highest first, in arrival order within one (a second event before the callback ORs into the first); one
 * iteration as ev_run (pending left from before, prepare, poll, timers, idle only if nothing of its priority or higher
 * is pending, check, invoke); level-triggered io on socketpairs (READ while data is buffered, WRITE always); timers
 * never early, re-armed from their due time, equal due times in start order; async sends coalescing; tasks of execute
 * in submission order, one batch per iteration; nested runs and breaks from callbacks; fds closed and their numbers
 * reused. Where the loop may choose (the order in which one poll reports fds, async events and tasks; the order of
 * idle, prepare and check watchers of one kind), the model accepts any order, following the loop's choice.
 *
 * <p>What it leaves out: readiness that ended before the loop polled (data written and read again between two
 * iterations). io_uring reports such a moment once (its poll request completed when the data arrived), epoll and poll
 * do not: libev's "spurious readiness", which callbacks must expect anyway (non-blocking fds). So a pair is drained only
 * after an iteration has seen its data. Across a closed and reused fd number nothing of the kind is allowed.
 */
final class LoopModel {
    static final int IO = 4;
    static final int TIMERS = 3;
    static final int IDLES = 2;
    static final int PAIRS = 3;
    /** Watcher indices: io 0-3, timers 4-6, idle 7-8, prepare 9, check 10, async 11. */
    static final int FIRST_TIMER = IO;
    static final int FIRST_IDLE = FIRST_TIMER + TIMERS;
    static final int PREPARE = FIRST_IDLE + IDLES;
    static final int CHECK = PREPARE + 1;
    static final int ASYNC = CHECK + 1;
    static final int WATCHERS = ASYNC + 1;
    static final int MAX_DEPTH = 3;
    static final long MS = 1_000_000L;
    /** What FEED hands a watcher: any bits will do; different ones show that a second event ORs into the first. */
    static final int[] FEEDABLE = {Events.CUSTOM, Events.READ, Events.WRITE, Events.TIMER};

    enum Kind { IO, TIMER, IDLE, PREPARE, CHECK, ASYNC }

    /** What a watcher's callback does after it recorded its event. */
    enum Action { NONE, NESTED_RUN, BREAK_ONE, BREAK_ALL, STOP_SELF }

    enum OpKind { START, STOP, SET_IO, SET_TIMER, AGAIN, FEED, CLEAR_PENDING, PRIORITY, ACTION, WRITE, DRAIN, REOPEN, SEND, EXECUTE, ADVANCE, RUN }

    /** One step of a sequence; {@code w} a watcher index, {@code a} and {@code b} its arguments. */
    record Op(OpKind kind, int w, int a, int b) {
        @Override
        public String toString() {
            return switch (kind) {
                case START, STOP, AGAIN, CLEAR_PENDING, SEND -> kind.name().toLowerCase() + " " + name(w);
                case SET_IO -> a < 0 ? "set " + name(w) + " to its own fd and events again"
                        : "set " + name(w) + " fd of pair " + a + " " + Events.toString(b);
                case SET_TIMER -> "set " + name(w) + " after " + a + " ms repeat " + b + " ms";
                case FEED -> "feed " + name(w) + " " + Events.toString(a);
                case PRIORITY -> "priority " + name(w) + " " + a;
                case ACTION -> "callback of " + name(w) + " does " + Action.values()[a];
                case WRITE -> "write a byte to pair " + a;
                case DRAIN -> "drain pair " + a;
                case REOPEN -> "stop the io watchers of pair " + a + ", close it, open a new pair on the same fd numbers, set"
                        + " the stopped watchers to it again and restart them";
                case EXECUTE -> "execute task#" + a;
                case ADVANCE -> "advance the clock " + a + " ms";
                case RUN -> "runNoWait";
            };
        }
    }

    /** A callback the loop ran: watcher name (or task#n), its events, the loop depth it ran at. */
    record Event(String who, int revents, int depth) {
        @Override
        public String toString() {
            return who + (revents != 0 ? " " + Events.toString(revents) : "") + (depth > 1 ? " (depth " + depth + ")" : "");
        }
    }

    static Kind kind(int w) {
        if (w < FIRST_TIMER) return Kind.IO;
        if (w < FIRST_IDLE) return Kind.TIMER;
        if (w < PREPARE) return Kind.IDLE;
        if (w == PREPARE) return Kind.PREPARE;
        if (w == CHECK) return Kind.CHECK;
        return Kind.ASYNC;
    }

    static String name(int w) {
        return switch (kind(w)) {
            case IO -> "io" + w;
            case TIMER -> "timer" + (w - FIRST_TIMER);
            case IDLE -> "idle" + (w - FIRST_IDLE);
            case PREPARE -> "prepare";
            case CHECK -> "check";
            case ASYNC -> "async";
        };
    }

    /** The initial io bindings (pair, events) of the io watchers, part of a sequence's seed. */
    static int[][] initialIo(long seed) {
        Random r = new Random(seed ^ 0x5eed);
        int[][] io = new int[IO][];
        for (int i = 0; i < IO; i++) io[i] = new int[] {r.nextInt(PAIRS), 1 + r.nextInt(3)};
        return io;
    }

    /** A random sequence of {@code length} ops. */
    static List<Op> generate(long seed, int length) {
        Random r = new Random(seed);
        List<Op> ops = new ArrayList<>();
        int tasks = 0;
        while (ops.size() < length) {
            int w = r.nextInt(WATCHERS);
            int pick = r.nextInt(100);
            Op op;
            if (pick < 18) op = new Op(OpKind.RUN, 0, 0, 0);
            else if (pick < 33) op = new Op(OpKind.START, w, 0, 0);
            else if (pick < 42) op = new Op(OpKind.STOP, w, 0, 0);
            else if (pick < 44) op = new Op(OpKind.SET_IO, r.nextInt(IO), r.nextInt(PAIRS), 1 + r.nextInt(3));
            else if (pick < 47) op = new Op(OpKind.SET_IO, r.nextInt(IO), -1, 0); // again, as after an fd was reused
            else if (pick < 52) op = new Op(OpKind.SET_TIMER, FIRST_TIMER + r.nextInt(TIMERS), r.nextInt(40) - 5, r.nextBoolean() ? 0 : 1 + r.nextInt(20));
            else if (pick < 55) op = new Op(OpKind.AGAIN, FIRST_TIMER + r.nextInt(TIMERS), 0, 0);
            else if (pick < 60) op = new Op(OpKind.FEED, w, FEEDABLE[r.nextInt(FEEDABLE.length)], 0);
            else if (pick < 62) op = new Op(OpKind.CLEAR_PENDING, w, 0, 0);
            else if (pick < 66) op = new Op(OpKind.PRIORITY, w, r.nextInt(5) - 2, 0);
            else if (pick < 71) op = new Op(OpKind.ACTION, w, r.nextInt(Action.values().length), 0);
            else if (pick < 77) op = new Op(OpKind.WRITE, 0, r.nextInt(PAIRS), 0);
            else if (pick < 81) op = new Op(OpKind.DRAIN, 0, r.nextInt(PAIRS), 0);
            else if (pick < 84) op = new Op(OpKind.REOPEN, 0, r.nextInt(PAIRS), 0);
            else if (pick < 88) op = new Op(OpKind.SEND, ASYNC, 0, 0);
            else if (pick < 91) op = new Op(OpKind.EXECUTE, 0, tasks++, 0);
            else op = new Op(OpKind.ADVANCE, 0, r.nextInt(25), 0);
            ops.add(op);
        }
        return ops;
    }

    // ------------------------------------------------------------------------------------------------------------
    // state

    static final class W {
        final int index;
        final Kind kind;
        int priority;
        boolean active;
        Entry pending;
        Action action = Action.NONE;
        // io
        int pair;
        int events;
        /** The fd number was reused since the last set: the loop needs set() before start (as libev's ev_io_set). */
        boolean needsSet;
        // timer
        long after;
        long repeat;
        long at;
        long seq;
        // async
        boolean sent;

        W(int index) {
            this.index = index;
            this.kind = kind(index);
        }
    }

    /** A pending event; {@code group} > 0 marks entries fed together whose order the loop may choose. */
    static final class Entry {
        final W w;
        int revents;
        final int group;

        Entry(W w, int revents, int group) {
            this.w = w;
            this.revents = revents;
            this.group = group;
        }
    }

    final W[] ws = new W[WATCHERS];
    /** Pending queues by priority index (0 = lowest). */
    @SuppressWarnings("unchecked")
    final List<Entry>[] queues = new List[5];
    final boolean[] hasData = new boolean[PAIRS];
    /** Data was written to the pair since the last poll: no drain until an iteration saw it (see above). */
    final boolean[] wroteSincePoll = new boolean[PAIRS];
    final W tasksWatcher = new W(-1);
    final List<Integer> incomingTasks = new ArrayList<>();
    final List<Integer> batch = new ArrayList<>();
    long clock;
    long loopNow;
    long nextSeq;
    int nextGroup = 1;
    int depth;
    int loopDone; // 0 cancel, 1 one, 2 all
    boolean asyncPendingFlag;

    /** The loop's events being checked, and the first difference found. */
    private Iterator<Event> actual;
    String mismatch;

    LoopModel(int[][] io, long startNanos) {
        for (int p = 0; p < queues.length; p++) queues[p] = new ArrayList<>();
        for (int i = 0; i < WATCHERS; i++) ws[i] = new W(i);
        for (int i = 0; i < IO; i++) {
            ws[i].pair = io[i][0];
            ws[i].events = io[i][1];
        }
        for (int i = FIRST_TIMER; i < FIRST_IDLE; i++) ws[i].after = (5 + 5L * (i - FIRST_TIMER)) * MS;
        clock = startNanos;
        loopNow = startNanos;
    }

    /** Whether {@code op} can be applied now (shrinking may leave steps whose set-up was removed: they are skipped). */
    boolean applicable(Op op) {
        W w = op.kind() == OpKind.WRITE || op.kind() == OpKind.DRAIN || op.kind() == OpKind.REOPEN
                || op.kind() == OpKind.EXECUTE || op.kind() == OpKind.ADVANCE || op.kind() == OpKind.RUN ? null : ws[op.w()];
        return switch (op.kind()) {
            case START -> !(w.kind == Kind.IO && w.needsSet);
            case SET_IO -> kind(op.w()) == Kind.IO;
            case SET_TIMER, AGAIN -> kind(op.w()) == Kind.TIMER;
            case SEND -> op.w() == ASYNC;
            case DRAIN -> !wroteSincePoll[op.a()];
            default -> true;
        };
    }

    // ------------------------------------------------------------------------------------------------------------
    // operations between runs; each returns what the real call must return (or throw)

    void start(W w) {
        if (w.active) return;
        switch (w.kind) {
            case TIMER -> startTimer(w, w.after);
            case ASYNC -> {
                w.sent = false; // as ev_async_start: a send before start is not carried over
                w.active = true;
            }
            default -> w.active = true;
        }
    }

    void stop(W w) {
        clearPending(w);
        w.active = false;
    }

    private void startTimer(W w, long after) {
        w.at = loopNow + after;
        w.seq = nextSeq++;
        w.active = true;
    }

    void setIo(W w, int pair, int events) {
        clearPending(w);
        boolean was = w.active;
        stop(w);
        w.pair = pair;
        w.events = events;
        w.needsSet = false;
        if (was) start(w);
    }

    void setTimer(W w, long after, long repeat) {
        clearPending(w);
        boolean was = w.active;
        stop(w);
        w.after = Math.max(0, after);
        w.repeat = repeat;
        if (was) start(w);
    }

    void again(W w) {
        clearPending(w);
        if (w.active) {
            if (w.repeat > 0) {
                w.at = loopNow + w.repeat;
                w.seq = nextSeq++;
            } else {
                stop(w);
            }
        } else if (w.repeat > 0) {
            startTimer(w, w.repeat);
        }
    }

    /** Returns the events it had pending. */
    int clearPending(W w) {
        Entry e = w.pending;
        if (e == null) return 0;
        queues[w.priority + 2].remove(e);
        w.pending = null;
        return e.revents;
    }

    /** Returns whether the real call must throw IllegalStateException. */
    boolean priority(W w, int p) {
        if (w.active || w.pending != null) return true;
        w.priority = p;
        return false;
    }

    void write(int pair) {
        hasData[pair] = true;
        wroteSincePoll[pair] = true;
    }

    /** Which io watchers of {@code pair} are active: the ones REOPEN stops, then sets and restarts. */
    boolean[] activeOn(int pair) {
        boolean[] on = new boolean[IO];
        for (int i = 0; i < IO; i++) on[i] = ws[i].pair == pair && ws[i].active;
        return on;
    }

    /**
     * The fd numbers of {@code pair} now name a new, empty socketpair. Watchers of it that were not restarted need a
     * set() before they start again (libev's rule for a reused fd: the loop cannot tell it is another file).
     */
    void reopen(int pair) {
        hasData[pair] = false;
        wroteSincePoll[pair] = false;
        for (int i = 0; i < IO; i++) if (ws[i].pair == pair) ws[i].needsSet = true;
    }

    /** {@code w.feed(revents)} between runs. */
    void feedBetweenRuns(W w, int revents) {
        feed(w, revents, 0);
    }

    void send(W w) {
        w.sent = true;
        asyncPendingFlag = true;
    }

    void execute(int task) {
        incomingTasks.add(task);
        asyncPendingFlag = true;
    }

    int pendingCount() {
        int n = 0;
        for (List<Entry> q : queues) n += q.size();
        return n;
    }

    /** What {@code TimerWatcher.remainingNanos()} must say. */
    long remaining(W w) {
        return w.active ? w.at - loopNow : w.after;
    }

    // ------------------------------------------------------------------------------------------------------------
    // a run, checked against what the loop did

    /** Runs the model's runNoWait against the loop's events; returns null or the first difference. */
    String runNoWait(List<Event> loopEvents) {
        actual = loopEvents.iterator();
        taken = null;
        mismatch = null;
        run();
        if (mismatch == null && (taken != null || actual.hasNext())) {
            List<Event> extra = new ArrayList<>();
            if (taken != null) extra.add(taken);
            actual.forEachRemaining(extra::add);
            mismatch = "the loop ran callbacks the model did not expect: " + extra;
        }
        return mismatch;
    }

    private void run() {
        depth++;
        try {
            loopDone = 0;
            invokeAll();
            // one iteration (runNoWait)
            if (ws[PREPARE].active) {
                int g = nextGroup++;
                feed(ws[PREPARE], Events.PREPARE, g);
                invokeAll();
            }
            if (loopDone != 0) return;
            loopNow = clock;
            int g = nextGroup++;
            for (int i = 0; i < IO; i++) {
                W w = ws[i];
                if (!w.active) continue;
                int ready = Events.WRITE | (hasData[w.pair] ? Events.READ : 0);
                if ((w.events & ready) != 0) feed(w, w.events & ready, g);
            }
            java.util.Arrays.fill(wroteSincePoll, false);
            if (asyncPendingFlag) {
                asyncPendingFlag = false;
                W a = ws[ASYNC];
                if (a.active && a.sent) {
                    a.sent = false;
                    feed(a, Events.ASYNC, g);
                }
                if (!batch.isEmpty() || !incomingTasks.isEmpty()) feed(tasksWatcher, Events.ASYNC, g);
            }
            timersReify();
            idleReify();
            if (ws[CHECK].active) feed(ws[CHECK], Events.CHECK, nextGroup++);
            invokeAll();
        } finally {
            if (loopDone == 1) loopDone = 0;
            depth--;
        }
    }

    private void timersReify() {
        for (;;) {
            W first = null;
            for (int i = FIRST_TIMER; i < FIRST_IDLE; i++) {
                W t = ws[i];
                if (t.active && (first == null || t.at < first.at || (t.at == first.at && t.seq < first.seq))) first = t;
            }
            if (first == null || first.at >= loopNow) return;
            if (first.repeat > 0) {
                first.at += first.repeat;
                if (first.at < loopNow) first.at = loopNow;
                first.seq = nextSeq++;
            } else {
                first.active = false;
            }
            feed(first, Events.TIMER, 0);
        }
    }

    private void idleReify() {
        for (int p = 4; p >= 0; p--) {
            if (!queues[p].isEmpty()) return;
            int g = nextGroup++;
            boolean any = false;
            for (int i = FIRST_IDLE; i < PREPARE; i++) {
                if (ws[i].active && ws[i].priority + 2 == p) {
                    feed(ws[i], Events.IDLE, g);
                    any = true;
                }
            }
            if (any) return;
        }
    }

    private void feed(W w, int revents, int group) {
        if (w.pending != null) {
            w.pending.revents |= revents;
            return;
        }
        Entry e = new Entry(w, revents, group);
        queues[w.priority + 2].add(e);
        w.pending = e;
    }

    /** Invokes every pending callback in the order the loop chose among those it may choose, checking each. */
    private void invokeAll() {
        while (mismatch == null) {
            int p = 4;
            while (p >= 0 && queues[p].isEmpty()) p--;
            if (p < 0) return;
            List<Entry> q = queues[p];
            List<Entry> candidates = new ArrayList<>();
            Entry head = q.get(0);
            if (head.group == 0) {
                candidates.add(head);
            } else {
                for (Entry e : q) {
                    if (e.group != head.group) break;
                    candidates.add(e);
                }
            }
            Event next = peek();
            Entry chosen = null;
            for (Entry e : candidates) if (matches(e, next)) chosen = e;
            if (chosen == null) {
                List<String> expected = new ArrayList<>();
                for (Entry e : candidates) expected.add(describe(e));
                mismatch = "expected " + (candidates.size() > 1 ? "one of " : "") + expected + " at depth " + depth
                        + ", the loop " + (next == null ? "ran nothing more" : "ran " + next);
                return;
            }
            taken = null;
            q.remove(chosen);
            chosen.w.pending = null;
            invoke(chosen);
        }
    }

    /** The loop's next event, not consumed until a candidate matched it. */
    private Event taken;

    private Event peek() {
        if (taken == null && actual.hasNext()) taken = actual.next();
        return taken;
    }

    private boolean matches(Entry e, Event ev) {
        if (ev == null || ev.depth() != depth) return false;
        if (e.w == tasksWatcher) return ev.who().equals("task#" + (batch.isEmpty() ? incomingTasks : batch).get(0));
        return ev.who().equals(name(e.w.index)) && ev.revents() == e.revents;
    }

    private String describe(Entry e) {
        if (e.w == tasksWatcher) return "the task batch " + (batch.isEmpty() ? incomingTasks : batch);
        return new Event(name(e.w.index), e.revents, depth).toString();
    }

    private void invoke(Entry e) {
        if (e.w == tasksWatcher) {
            invokeTasks();
            return;
        }
        W w = e.w;
        switch (w.action) {
            case NESTED_RUN -> {
                if (depth < MAX_DEPTH) run();
            }
            case BREAK_ONE -> loopDone = 1;
            case BREAK_ALL -> loopDone = 2;
            case STOP_SELF -> stop(w);
            case NONE -> { }
        }
    }

    /** The task watcher's callback: the current batch, or everything queued as a new one; the first task was matched. */
    private void invokeTasks() {
        if (batch.isEmpty()) {
            batch.addAll(incomingTasks);
            incomingTasks.clear();
        }
        batch.remove(0); // invokeAll matched the first task's event
        while (!batch.isEmpty()) {
            int task = batch.remove(0);
            Event ev = peek();
            taken = null;
            if (ev == null || !ev.who().equals("task#" + task) || ev.depth() != depth) {
                mismatch = "expected task#" + task + " at depth " + depth + " (submission order), the loop ran " + ev;
                return;
            }
        }
        if (!incomingTasks.isEmpty()) asyncPendingFlag = true;
    }
}
