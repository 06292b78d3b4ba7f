package dev.evring.examples;

import dev.evring.AsyncWatcher;
import dev.evring.EventLoop;
import dev.evring.Events;
import dev.evring.IoWatcher;
import dev.evring.TimerWatcher;

import java.time.Duration;

/** The README's quick start, as a program: an io watcher, a repeating timer and a cross-thread async watcher. */
public final class QuickStart {
    private QuickStart() {}

    public static void main(String[] args) {
        try (EventLoop loop = EventLoop.open()) {                       // io_uring if it works here, else epoll, else poll
            System.out.println("running on " + loop.backendDetails());
            IoWatcher stdin = loop.io(0, Events.READ, (w, revents) -> {
                System.out.println("stdin is readable");
                w.stop();                                                // level-triggered: read, stop, or be called again
            });
            TimerWatcher tick = loop.timer(Duration.ofSeconds(1), Duration.ofSeconds(1),
                    (w, revents) -> System.out.println("tick at " + loop.now() + " ns"));
            AsyncWatcher quit = loop.async((w, revents) -> loop.breakLoop(EventLoop.Break.ALL));
            stdin.start();
            tick.start();
            quit.start();
            Thread.ofVirtual().start(() -> {                             // other threads may only send() and wakeup()
                try {
                    Thread.sleep(3_500);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                quit.send();
            });
            loop.run();                                                  // until no watcher is active, or a break
        }
    }
}
