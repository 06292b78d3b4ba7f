package dev.evring.bench.pipes;

import dev.evring.Backend;

import java.util.List;
import java.util.Locale;

/**
 * The Java side of the pipes benchmark, run by the harness in a JVM of its own per row (so no row's JIT profile
 * colours another's). Prints the driver protocol of {@code DriverProtocol}.
 *
 * <pre>
 *   PipesDriver &lt;impl&gt; &lt;cases&gt; &lt;writes&gt; &lt;repeats&gt; &lt;warmups&gt; &lt;cap_ms&gt; [&lt;jit_warmup_ms&gt;]
 *   impl: evring-io_uring | evring-epoll | evring-poll | completion-io_uring | completion-epoll | nio | floor-java
 * </pre>
 */
public final class PipesDriver {
    private PipesDriver() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 6 && args.length != 7) {
            System.err.println("usage: PipesDriver <impl> <cases> <writes> <repeats> <warmups> <cap_ms> [<jit_warmup_ms>]");
            System.exit(2);
        }
        String impl = args[0];
        List<PipesCase> cases = PipesCase.parseList(args[1]);
        long writes = Long.parseLong(args[2]);
        int repeats = Integer.parseInt(args[3]);
        int warmups = Integer.parseInt(args[4]);
        long capNanos = Long.parseLong(args[5]) * 1_000_000L;
        System.out.println("info " + describe(impl));
        if (args.length == 7) warmUpJit(impl, cases.stream().anyMatch(PipesCase::timeouts), Long.parseLong(args[6]) * 1_000_000L);
        for (PipesCase c : cases) {
            try (PipeChains p = create(impl)) {
                if (c.timeouts() && !p.hasTimers()) {
                    System.out.println("skip " + c.id() + " " + (impl.equals("nio") ? "the JDK Selector has no timers" : "no loop, so no timers"));
                } else {
                    p.open(c.pipes(), c.timeouts());
                    for (int i = 0; i < warmups + repeats; i++) {
                        long[] r = p.run(c.active(), writes, capNanos);
                        if (i >= warmups) {
                            System.out.printf(Locale.ROOT, "result %s ns_per_event=%.2f events=%d%n", c.id(), (double) r[1] / r[0], r[0]);
                        }
                    }
                }
            } catch (Exception | Error e) {
                System.out.println("fail " + c.id() + " " + e);
            }
            System.out.println("done " + c.id());
            System.out.flush();
        }
    }

    /**
     * Runs the implementation on a small case, one chain and many, for {@code nanos} before anything is measured, so
     * the first measured case does not pay for the JIT compiling the hot path (C drivers need no such thing).
     */
    static void warmUpJit(String impl, boolean timeouts, long nanos) throws Exception {
        long end = System.nanoTime() + nanos;
        try (PipeChains p = create(impl)) {
            p.open(100, timeouts && p.hasTimers());
            for (int i = 0; System.nanoTime() < end; i++) p.run(i % 2 == 0 ? 1 : 100, 5_000, nanos);
        }
    }

    private static String describe(String impl) {
        return switch (impl) {
            case "nio" -> "java.nio Selector (" + java.nio.channels.spi.SelectorProvider.provider().getClass().getSimpleName() + ")";
            case "floor-java" -> "read+write per event through FFM, no event loop";
            case "completion-io_uring", "completion-epoll", "completion-poll" -> "evring completion (dev.evring.net recv/send) on " + impl.substring("completion-".length());
            default -> "evring readiness on " + impl.substring("evring-".length());
        };
    }

    static PipeChains create(String impl) {
        return switch (impl) {
            case "nio" -> new NioPipes();
            case "floor-java" -> new FloorPipes();
            case "completion-io_uring", "completion-epoll", "completion-poll" -> new CompletionPipes(Backend.parse(impl.substring("completion-".length())));
            default -> {
                if (!impl.startsWith("evring-")) throw new IllegalArgumentException("unknown pipes implementation \"" + impl + "\"");
                yield new EvringPipes(Backend.parse(impl.substring("evring-".length())));
            }
        };
    }
}
