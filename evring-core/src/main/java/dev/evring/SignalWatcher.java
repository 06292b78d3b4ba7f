package dev.evring;

import dev.evring.linux.SysSignal;

/**
 * Runs its callback on the loop's thread when the process receives a signal (libev's {@code ev_signal}), for
 * example {@code loop.signal("TERM", ...)} for a graceful shutdown or {@code "HUP"} to reload a configuration.
 *
 * <p>The JVM owns the process's signal handling, so evring asks it, through the JDK's {@code sun.misc.Signal}, to
 * call a handler of evring's, which marks the signal caught in every loop watching it and wakes those loops (as an
 * {@link AsyncWatcher} would). No user code ever runs on the JVM's signal thread. Any number of watchers, in any
 * number of loops, may watch the same signal: each gets the callback. Signals arriving in quick succession may be
 * coalesced into one callback, as in libev.
 *
 * <p>The first watcher of a signal started in the process installs evring's handler; when the last one stops, the
 * handler that was there before (the JVM's shutdown handler for INT, TERM and HUP, or the default) is put back.
 *
 * <p>Signals the JVM needs for itself are refused with an {@link IllegalArgumentException} naming the reason: QUIT
 * (thread dumps), ILL, FPE, SEGV and BUS (the JVM turns faults into exceptions), PIPE and XFSZ (the JVM ignores them
 * so that writes fail with an error instead of killing the process), KILL and STOP (no process can catch them), and
 * HotSpot's suspend/resume signal, which is USR2 unless the environment variable {@code _JAVA_SR_SIGNUM} moves it
 * (to a number from 13 to 64) when the JVM starts. INT, TERM and HUP are refused when the JVM runs with {@code -Xrs}.
 *
 * <p>A signal watcher keeps the loop alive like any active watcher; call {@link EventLoop#unref()} after starting it
 * if it should not (the usual case for a shutdown signal).
 */
public final class SignalWatcher extends Watcher {
    final int signum;
    private final Callback<SignalWatcher> callback;

    SignalWatcher(EventLoop loop, int signum, Callback<SignalWatcher> callback) {
        super(loop);
        this.callback = EventLoop.requireCallback(callback);
        this.signum = signum;
    }

    /**
     * The number of the signal named {@code name} ({@code "USR2"}, {@code "SIGTERM"}, any case), after checking
     * that evring may watch it here.
     *
     * @throws IllegalArgumentException for an unknown name, or a signal the JVM keeps for itself (the message says why)
     */
    static int parse(String name) {
        int signum = number(name);
        String reason = SignalRegistry.reservedReason(signum, System.getenv(SignalRegistry.SR_SIGNUM_ENV));
        if (reason != null) throw new IllegalArgumentException("cannot watch SIG" + SysSignal.name(signum) + ": " + reason);
        return signum;
    }

    /**
     * The number of the signal named {@code name} ({@code "USR2"}, {@code "SIGTERM"}, any case), reserved or not.
     *
     * @throws IllegalArgumentException for a null or unknown name
     */
    static int number(String name) {
        if (name == null) throw new IllegalArgumentException("signal name is null");
        int signum = SysSignal.number(name);
        if (signum < 0) {
            throw new IllegalArgumentException("unknown signal \"" + name + "\": expected a name such as INT, TERM, HUP, USR1, USR2, WINCH");
        }
        return signum;
    }

    /** The signal's number ({@code SIGUSR2} is 12). */
    public int signum() {
        loop.checkOwner();
        return signum;
    }

    /** The signal's name without its SIG prefix ({@code "USR2"}). */
    public String signalName() {
        loop.checkOwner();
        return SysSignal.name(signum);
    }

    /**
     * Starts watching. The first watcher of a signal in the process asks the JVM for it.
     *
     * @throws IllegalStateException if the JVM refuses the signal now (INT, TERM, HUP under {@code -Xrs}, or HUP
     *                               ignored because the process was started with {@code nohup})
     */
    @Override
    public void start() {
        loop.checkOwner();
        if (active == 0) loop.signals().start(this);
    }

    @Override
    public void stop() {
        loop.checkOwner();
        loop.clearPending(this);
        if (active != 0) loop.signals().stop(this);
    }

    @Override
    void invoke(int revents) throws Exception {
        callback.onEvent(this, revents);
    }

    @Override
    public String toString() {
        return "SignalWatcher[SIG" + SysSignal.name(signum) + (active != 0 ? ", active" : "") + (pending != 0 ? ", pending" : "") + "]";
    }

    @Override
    Object callback() {
        return callback;
    }
}
