package dev.evring.net;

/** Completion I/O on the loop's io_uring. (Built on the uring branch's RingOps.) */
final class RingDriver {
    private RingDriver() {}

    static Driver tryCreate(Net net) {
        return null;
    }
}
