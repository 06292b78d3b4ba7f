package dev.evring;

import dev.evring.LoopModel.Action;
import dev.evring.LoopModel.Event;
import dev.evring.LoopModel.Kind;
import dev.evring.LoopModel.Op;
import dev.evring.LoopModel.W;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Issue 9: seeded random sequences of watcher operations (start, stop, set, again, feed, clearPending, priority
 * changes, callbacks that run nested loops or break, fds closed and their numbers reused, async sends, tasks, the
 * clock moving, iterations) run against the loop and, step by step, against {@link LoopModel}: after every step each
 * watcher's active and pending state, the pending count and every timer's remaining time must agree, and every
 * iteration must run the callbacks the model expects, in an order it allows. A failure is shrunk to the shortest
 * sequence found that still fails and reported with its seed.
 *
 * <p>{@code mvn test} runs {@value #DEFAULT_SEQUENCES} sequences of {@value #DEFAULT_LENGTH} steps per variant from a
 * random base seed; {@code -Pstress} runs many more (see the README). Properties: {@code evring.model.seed} (base
 * seed: reproduces a reported failure), {@code evring.model.sequences}, {@code evring.model.length}.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.LoopVariants#all")
class LoopModelTest extends LoopTestBase {
    static final int DEFAULT_SEQUENCES = 60;
    static final int DEFAULT_LENGTH = 120;
    static final int SEQUENCES = Integer.getInteger("evring.model.sequences", DEFAULT_SEQUENCES);
    static final int LENGTH = Integer.getInteger("evring.model.length", DEFAULT_LENGTH);
    static final Long SEED = Long.getLong("evring.model.seed");

    @Test
    void randomSequencesBehaveAsTheModel() {
        variant.builder(); // skips, saying why, where the kernel lacks the variant
        long base = SEED != null ? SEED : System.nanoTime();
        int sequences = SEED != null ? 1 : SEQUENCES;
        for (int i = 0; i < sequences; i++) {
            long seed = base + i;
            List<Op> ops = LoopModel.generate(seed, LENGTH);
            String failure = execute(seed, ops);
            if (failure == null) continue;
            List<Op> shortest = shrink(seed, ops);
            StringBuilder b = new StringBuilder();
            b.append(variant).append(": seed ").append(seed).append(" fails (reproduce: mvn -pl evring-core test -Dtest=LoopModelTest")
                    .append(" -Devring.model.seed=").append(seed).append(" -Devring.model.length=").append(LENGTH).append(")\n")
                    .append("shortest failing sequence found (").append(shortest.size()).append(" of ").append(ops.size())
                    .append(" steps; io watchers start as ");
            int[][] io = LoopModel.initialIo(seed);
            for (int w = 0; w < LoopModel.IO; w++) b.append(LoopModel.name(w)).append(" on pair ").append(io[w][0]).append(' ')
                    .append(Events.toString(io[w][1])).append(w < LoopModel.IO - 1 ? ", " : "):\n");
            for (Op op : shortest) b.append("  ").append(op).append('\n');
            b.append("failure: ").append(execute(seed, shortest));
            fail(b.toString());
        }
    }

    /** Removes steps while the sequence still fails (delta debugging: halves, quarters, ... single steps). */
    List<Op> shrink(long seed, List<Op> ops) {
        List<Op> best = ops;
        for (int chunk = best.size() / 2; chunk >= 1; chunk /= 2) {
            boolean removed = true;
            while (removed) {
                removed = false;
                for (int from = 0; from + chunk <= best.size(); from += chunk) {
                    List<Op> candidate = new ArrayList<>(best.subList(0, from));
                    candidate.addAll(best.subList(from + chunk, best.size()));
                    if (execute(seed, candidate) != null) {
                        best = candidate;
                        removed = true;
                        break;
                    }
                }
            }
        }
        return best;
    }

    /** Runs {@code ops} on a fresh loop of the variant and on a fresh model; null, or the first difference. */
    String execute(long seed, List<Op> ops) {
        ManualClock clock = new ManualClock();
        List<Throwable> errors = new ArrayList<>();
        List<Event> events = new ArrayList<>();
        int[][] pairs = new int[LoopModel.PAIRS][];
        for (int k = 0; k < pairs.length; k++) pairs[k] = TestFds.socketpair();
        int step = 0;
        try (EventLoop loop = variant.builder().clock(clock).exceptionHandler((src, e) -> errors.add(e)).open()) {
            int[][] io = LoopModel.initialIo(seed);
            LoopModel model = new LoopModel(io, loop.now());
            Watcher[] ws = new Watcher[LoopModel.WATCHERS];
            Action[] actions = new Action[LoopModel.WATCHERS];
            java.util.Arrays.fill(actions, Action.NONE);
            for (int w = 0; w < ws.length; w++) {
                int index = w;
                String name = LoopModel.name(w);
                Watcher.Callback<Watcher> cb = (x, ev) -> {
                    events.add(new Event(name, ev, loop.depth()));
                    switch (actions[index]) {
                        case NESTED_RUN -> {
                            if (loop.depth() < LoopModel.MAX_DEPTH) loop.runNoWait();
                        }
                        case BREAK_ONE -> loop.breakLoop(EventLoop.Break.ONE);
                        case BREAK_ALL -> loop.breakLoop(EventLoop.Break.ALL);
                        case STOP_SELF -> x.stop();
                        case NONE -> { }
                    }
                };
                ws[w] = switch (LoopModel.kind(w)) {
                    case IO -> loop.io(pairs[io[w][0]][0], io[w][1], cb::onEvent);
                    case TIMER -> loop.timer(model.ws[w].after, 0, cb::onEvent);
                    case IDLE -> loop.idle(cb::onEvent);
                    case PREPARE -> loop.prepare(cb::onEvent);
                    case CHECK -> loop.check(cb::onEvent);
                    case ASYNC -> loop.async(cb::onEvent);
                };
            }
            for (Op op : ops) {
                step++;
                if (!model.applicable(op)) continue;
                String diff = apply(op, loop, ws, actions, model, clock, pairs, events);
                if (diff == null && !errors.isEmpty()) diff = "a callback threw: " + errors.get(0);
                if (diff == null) diff = compareState(loop, ws, model);
                if (diff != null) return "at step " + step + " (" + op + "): " + diff;
            }
            for (Watcher w : ws) w.stop();
            return null;
        } catch (RuntimeException | AssertionError e) {
            return "at step " + step + ": " + e;
        } finally {
            for (int[] p : pairs) TestFds.close(p);
        }
    }

    private static String apply(Op op, EventLoop loop, Watcher[] ws, Action[] actions, LoopModel model, ManualClock clock,
                                int[][] pairs, List<Event> events) {
        W m = op.w() >= 0 && op.w() < LoopModel.WATCHERS ? model.ws[op.w()] : null;
        Watcher w = m != null ? ws[op.w()] : null;
        switch (op.kind()) {
            case START -> {
                w.start();
                model.start(m);
            }
            case STOP -> {
                w.stop();
                model.stop(m);
            }
            case SET_IO -> {
                int pair = op.a() >= 0 ? op.a() : m.pair;
                int mask = op.a() >= 0 ? op.b() : m.events;
                ((IoWatcher) w).set(pairs[pair][0], mask);
                model.setIo(m, pair, mask);
            }
            case SET_TIMER -> {
                ((TimerWatcher) w).setNanos(op.a() * LoopModel.MS, op.b() * LoopModel.MS);
                model.setTimer(m, op.a() * LoopModel.MS, op.b() * LoopModel.MS);
            }
            case AGAIN -> {
                ((TimerWatcher) w).again();
                model.again(m);
            }
            case FEED -> {
                w.feed(op.a());
                model.feedBetweenRuns(m, op.a());
            }
            case CLEAR_PENDING -> {
                int got = w.clearPending();
                int want = model.clearPending(m);
                if (got != want) return "clearPending returned " + Events.toString(got) + ", the model " + Events.toString(want);
            }
            case PRIORITY -> {
                boolean refused;
                try {
                    w.priority(op.a());
                    refused = false;
                } catch (IllegalStateException e) {
                    refused = true;
                }
                boolean modelRefuses = model.priority(m, op.a());
                if (refused != modelRefuses) {
                    return "priority(" + op.a() + ") was " + (refused ? "refused" : "accepted") + ", the model "
                            + (modelRefuses ? "refuses it (active or pending)" : "accepts it");
                }
            }
            case ACTION -> {
                actions[op.w()] = Action.values()[op.a()];
                m.action = actions[op.w()];
            }
            case WRITE -> {
                TestFds.write(pairs[op.a()][1], (byte) 1);
                model.write(op.a());
            }
            case DRAIN -> {
                TestFds.drain(pairs[op.a()][0]);
                model.hasData[op.a()] = false;
            }
            case REOPEN -> {
                boolean[] restart = model.activeOn(op.a());
                for (int i = 0; i < LoopModel.IO; i++) {
                    if (!restart[i]) continue;
                    ws[i].stop();
                    model.stop(model.ws[i]);
                }
                TestFds.close(pairs[op.a()]);
                pairs[op.a()] = TestFds.socketpair(); // the lowest free numbers: the ones just closed
                model.reopen(op.a());
                for (int i = 0; i < LoopModel.IO; i++) {
                    if (!restart[i]) continue;
                    W r = model.ws[i];
                    ((IoWatcher) ws[i]).set(pairs[op.a()][0], r.events);
                    ws[i].start();
                    model.setIo(r, op.a(), r.events);
                    model.start(r);
                }
            }
            case SEND -> {
                ((AsyncWatcher) w).send();
                model.send(m);
            }
            case EXECUTE -> {
                String name = "task#" + op.a();
                loop.execute(() -> events.add(new Event(name, 0, loop.depth())));
                model.execute(op.a());
            }
            case ADVANCE -> {
                clock.advance(op.a() * LoopModel.MS);
                model.clock += op.a() * LoopModel.MS;
            }
            case RUN -> {
                events.clear();
                loop.runNoWait();
                return model.runNoWait(new ArrayList<>(events));
            }
        }
        return null;
    }

    private static String compareState(EventLoop loop, Watcher[] ws, LoopModel model) {
        for (int i = 0; i < ws.length; i++) {
            W m = model.ws[i];
            if (ws[i].isActive() != m.active) return LoopModel.name(i) + " is " + (ws[i].isActive() ? "" : "not ") + "active, the model says otherwise";
            if (ws[i].isPending() != (m.pending != null)) return LoopModel.name(i) + " is " + (ws[i].isPending() ? "" : "not ") + "pending, the model says otherwise";
            if (m.kind == Kind.TIMER && ((TimerWatcher) ws[i]).remainingNanos() != model.remaining(m)) {
                return LoopModel.name(i) + " has " + ((TimerWatcher) ws[i]).remainingNanos() + " ns to go, the model " + model.remaining(m);
            }
        }
        if (loop.pendingCount() != model.pendingCount()) return "pendingCount() " + loop.pendingCount() + ", the model " + model.pendingCount();
        if (loop.depth() != 0) return "depth " + loop.depth() + " after the step";
        return null;
    }
}
