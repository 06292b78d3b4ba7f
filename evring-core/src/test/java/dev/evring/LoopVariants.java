package dev.evring;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Every backend and backend path the behavioural suite runs on. A test class declares
 * {@code @ParameterizedClass(name = "{0}") @MethodSource("dev.evring.LoopVariants#all")} and gets one run per entry.
 */
public final class LoopVariants {
    private LoopVariants() {}

    public static List<LoopVariant> all() {
        List<LoopVariant> v = new ArrayList<>();
        v.addAll(ioUring());
        v.add(LoopVariant.of("epoll", Backend.EPOLL, Map.of()));
        v.add(LoopVariant.of("poll", Backend.POLL, Map.of()));
        return v;
    }

    /**
     * The io_uring backend's paths: the default (oneshot poll re-armed per event, EXT_ARG wait, one mmap,
     * SINGLE_ISSUER + DEFER_TASKRUN and the other setup flags), then each other path forced once (multishot poll with
     * its level re-check; the older waits, mmaps and setups). Each skips, saying why, where the
     * kernel lacks what it needs.
     */
    public static List<LoopVariant> ioUring() {
        List<LoopVariant> v = new ArrayList<>();
        v.add(ioUring("io_uring", Map.of()));
        v.add(ioUring("io_uring multishot-poll", Map.of("io_uring.poll", "multishot")));
        v.add(ioUring("io_uring timeout-wait", Map.of("io_uring.wait", "timeout")));
        v.add(ioUring("io_uring timerfd-wait", Map.of("io_uring.wait", "timerfd")));
        v.add(ioUring("io_uring triple-mmap", Map.of("io_uring.mmap", "triple")));
        v.add(ioUring("io_uring no-defer-taskrun", Map.of("io_uring.defer_taskrun", "false")));
        Map<String, String> plain = new LinkedHashMap<>();
        plain.put("io_uring.defer_taskrun", "false");
        plain.put("io_uring.single_issuer", "false");
        plain.put("io_uring.coop_taskrun", "false");
        plain.put("io_uring.submit_all", "false");
        plain.put("io_uring.no_sqarray", "false");
        plain.put("io_uring.register_ring_fd", "false");
        v.add(ioUring("io_uring plain-setup", plain));
        return v;
    }

    private static final Map<String, Optional<String>> PROBED = new ConcurrentHashMap<>();

    static LoopVariant ioUring(String name, Map<String, String> options) {
        Supplier<Optional<String>> unsupported = () -> PROBED.computeIfAbsent(name, n -> probe(options));
        return new LoopVariant(name, Backend.IO_URING, Map.copyOf(options), unsupported);
    }

    /** Opens and closes a loop with these options: empty if it works, else why not (the backend's own words). */
    private static Optional<String> probe(Map<String, String> options) {
        EventLoop.Builder b = EventLoop.builder().backend(Backend.IO_URING);
        options.forEach(b::option);
        try (EventLoop loop = b.open()) {
            return Optional.empty();
        } catch (IllegalStateException e) {
            return Optional.of(e.getMessage());
        }
    }
}
