package dev.evring.backend;

import dev.evring.linux.Poll;
import dev.evring.linux.SysEpoll;

import static dev.evring.backend.BackendHost.EV_READ;
import static dev.evring.backend.BackendHost.EV_WRITE;

/**
 * The one translation between the loop's interest bits ({@link BackendHost#EV_READ}, {@link BackendHost#EV_WRITE})
 * and the kernel's readiness bits: epoll's {@code EPOLL*} and poll's {@code POLL*} (which io_uring's POLL_ADD uses
 * too). An error or hang-up wakes readers and writers alike, as libev reports it, so the watcher's own read or write
 * meets the error.
 */
final class ReadinessBits {
    private ReadinessBits() {}

    static int toEpoll(int ev) {
        return ((ev & EV_READ) != 0 ? SysEpoll.EPOLLIN : 0) | ((ev & EV_WRITE) != 0 ? SysEpoll.EPOLLOUT : 0);
    }

    static int fromEpoll(int bits) {
        return ((bits & (SysEpoll.EPOLLIN | SysEpoll.EPOLLERR | SysEpoll.EPOLLHUP)) != 0 ? EV_READ : 0)
                | ((bits & (SysEpoll.EPOLLOUT | SysEpoll.EPOLLERR | SysEpoll.EPOLLHUP)) != 0 ? EV_WRITE : 0);
    }

    static short toPoll(int ev) {
        return (short) (((ev & EV_READ) != 0 ? Poll.POLLIN : 0) | ((ev & EV_WRITE) != 0 ? Poll.POLLOUT : 0));
    }

    static int fromPoll(int bits) {
        return ((bits & (Poll.POLLIN | Poll.POLLERR | Poll.POLLHUP)) != 0 ? EV_READ : 0)
                | ((bits & (Poll.POLLOUT | Poll.POLLERR | Poll.POLLHUP)) != 0 ? EV_WRITE : 0);
    }
}
