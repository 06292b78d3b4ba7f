package dev.evring;

import dev.evring.backend.SeccompChild;

/**
 * Run in a child JVM by {@link BackendFallbackTest}: a thread whose seccomp filter refuses io_uring_setup opens two
 * loops (both fall back to epoll), while the main thread opens one on io_uring. Prints {@code SKIP <why>} or a
 * {@code LOOP <thread> <backend>} line per loop; the WARNING goes to stderr through the JDK's logger.
 */
public final class FallbackWarningChild {
    private FallbackWarningChild() {}

    public static void main(String[] args) throws Exception {
        String[] skip = {null};
        Thread refused = new Thread(() -> {
            skip[0] = SeccompChild.refuseIoUringSetupOnThisThread();
            if (skip[0] != null) return;
            for (int i = 0; i < 2; i++) {
                try (EventLoop loop = EventLoop.open()) {
                    System.out.println("LOOP refused " + loop.backend().id());
                }
            }
        });
        refused.start();
        refused.join();
        if (skip[0] != null) {
            System.out.println("SKIP " + skip[0]);
            return;
        }
        try (EventLoop loop = EventLoop.open()) {
            System.out.println("LOOP main " + loop.backend().id());
        }
    }
}
