package dev.evring;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Every backend and backend path the behavioural suite runs on. A test class declares
 * {@code @ParameterizedClass(name = "{0}") @MethodSource("dev.evring.LoopVariants#all")} and gets one run per entry.
 */
public final class LoopVariants {
    private LoopVariants() {}

    public static List<LoopVariant> all() {
        List<LoopVariant> v = new ArrayList<>();
        v.add(LoopVariant.of("epoll", Backend.EPOLL, Map.of()));
        v.add(LoopVariant.of("poll", Backend.POLL, Map.of()));
        return v;
    }
}
