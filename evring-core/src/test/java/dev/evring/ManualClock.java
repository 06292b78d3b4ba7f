package dev.evring;

import java.util.concurrent.TimeUnit;

/** A clock that moves only when a test says so. */
final class ManualClock implements EventLoop.Clock {
    private long mono = TimeUnit.HOURS.toNanos(1);
    private long real = TimeUnit.DAYS.toNanos(20_000);

    @Override
    public long monotonicNanos() {
        return mono;
    }

    @Override
    public long realtimeNanos() {
        return real;
    }

    void advance(long nanos) {
        mono += nanos;
        real += nanos;
    }

    void advanceMillis(long millis) {
        advance(TimeUnit.MILLISECONDS.toNanos(millis));
    }

    /** Moves the wall clock only: what setting the system time does. */
    void jumpRealtime(long nanos) {
        real += nanos;
    }
}
