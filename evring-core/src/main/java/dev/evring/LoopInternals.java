package dev.evring;

import dev.evring.backend.BackendOptions;
import dev.evring.backend.LoopBackend;
import dev.evring.internal.CallbackTimer;
import dev.evring.internal.LoopAccess;
import dev.evring.uring.RingOps;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The loop's side of {@link LoopAccess}: what evring's layers above the loop ({@code dev.evring.net}) may reach, each
 * call checked for the loop's thread as the public API is. Installed by {@link EventLoop}'s class initialiser.
 */
final class LoopInternals implements LoopAccess {
    @Override
    public LoopBackend backend(EventLoop loop) {
        loop.checkOwner();
        return loop.backendUnchecked();
    }

    @Override
    public RingOps ring(EventLoop loop) {
        loop.checkOwner();
        return loop.backendUnchecked().ringOps(); // null without a ring: on epoll or poll, or after a move to epoll
    }

    @Override
    public String option(EventLoop loop, String key) {
        loop.checkOwner();
        return loop.optionsUnchecked().get(key, null);
    }

    @Override
    public MemorySegment callState(EventLoop loop) {
        loop.checkOwner();
        return loop.callStateUnchecked();
    }

    @Override
    public Arena arena(EventLoop loop) {
        loop.checkOwner();
        return loop.arenaUnchecked();
    }

    @Override
    public BackendOptions options(EventLoop loop) {
        loop.checkOwner();
        return loop.optionsUnchecked();
    }

    @Override
    public void reportException(EventLoop loop, Object source, Throwable error) {
        loop.checkOwner();
        loop.reportExceptionUnchecked(source, error);
    }

    @Override
    public CallbackTimer callbackTimer(EventLoop loop) {
        loop.checkOwner();
        return loop.metrics();
    }
}
