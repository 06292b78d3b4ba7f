package dev.evring;

import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * One backend configuration the behavioural suite runs on: a backend plus the options that force one of its paths.
 * {@code toString()} is the name test reports show, so a failure says where it failed.
 *
 * @param name        shown in reports, e.g. "epoll" or "io_uring multishot-poll"
 * @param backend     the backend to force
 * @param options     builder options (see {@code EventLoop.Builder.option})
 * @param unsupported why this kernel cannot run the variant, if it cannot (the tests then skip, saying so)
 */
public record LoopVariant(String name, Backend backend, Map<String, String> options, Supplier<Optional<String>> unsupported) {

    public static LoopVariant of(String name, Backend backend, Map<String, String> options) {
        return new LoopVariant(name, backend, options, Optional::empty);
    }

    /** A builder for this variant; skips the calling test (with the reason) when the kernel lacks what it needs. */
    public EventLoop.Builder builder() {
        Optional<String> why = unsupported.get();
        assumeTrue(why.isEmpty(), () -> name + " skipped: " + why.orElse(""));
        EventLoop.Builder b = EventLoop.builder().backend(backend);
        options.forEach(b::option);
        return b;
    }

    public EventLoop open() {
        return builder().open();
    }

    @Override
    public String toString() {
        return name;
    }
}
