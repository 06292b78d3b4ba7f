package dev.evring;

import dev.evring.linux.SysSignal;
import sun.misc.Signal;
import sun.misc.SignalHandler;

import java.util.Arrays;

/**
 * The process-wide side of signal watchers: one JVM handler per signal, installed through {@code sun.misc.Signal}
 * when the first loop starts watching it and replaced by the previous handler when the last loop stops. The handler
 * runs on a thread of the JVM's signal dispatcher; it only marks the signal caught in each watching loop and wakes
 * it ({@link LoopSignals#deliver}).
 */
final class SignalRegistry {
    private SignalRegistry() {}

    /** HotSpot reads its suspend/resume signal from this variable when it starts (default SIGUSR2). */
    static final String SR_SIGNUM_ENV = "_JAVA_SR_SIGNUM";

    private static final LoopSignals[] NONE = new LoopSignals[0];
    private static final Object LOCK = new Object();
    /** By signal number; guarded by LOCK. */
    private static final Slot[] SLOTS = new Slot[SysSignal.NSIG];

    private static final class Slot implements SignalHandler {
        final int signum;
        final Signal signal;
        SignalHandler previous;
        /** Copy-on-write under LOCK, read by the JVM's signal thread without it. */
        volatile LoopSignals[] loops = NONE;

        Slot(int signum) {
            this.signum = signum;
            this.signal = new Signal(SysSignal.name(signum));
        }

        @Override
        public void handle(Signal sig) {
            for (LoopSignals l : loops) l.deliver(signum);
        }
    }

    /**
     * Why evring refuses {@code signum}, or null if it may be watched. {@code srEnv} is the value of
     * {@code _JAVA_SR_SIGNUM} the JVM started with (HotSpot accepts 12 < n < 65; anything else leaves SIGUSR2).
     */
    static String reservedReason(int signum, String srEnv) {
        switch (signum) {
            case SysSignal.SIGKILL, SysSignal.SIGSTOP:
                return "no process can catch it";
            case SysSignal.SIGQUIT:
                return "the JVM prints its thread dump on it";
            case SysSignal.SIGILL, SysSignal.SIGFPE, SysSignal.SIGSEGV, SysSignal.SIGBUS:
                return "the JVM turns these faults into exceptions (and crash reports)";
            case SysSignal.SIGPIPE, SysSignal.SIGXFSZ:
                return "the JVM ignores it so that writes fail with an error instead of killing the process";
            default:
                break;
        }
        if (signum == suspendResumeSignal(srEnv)) {
            return "HotSpot suspends and resumes threads with it; start the JVM with the environment variable "
                    + SR_SIGNUM_ENV + " set to another signal number (13 to 64, e.g. 39) to free SIGUSR2";
        }
        return null;
    }

    /** HotSpot's suspend/resume signal for a given {@code _JAVA_SR_SIGNUM} (its own validation, signals_posix.cpp). */
    static int suspendResumeSignal(String srEnv) {
        if (srEnv != null) {
            try {
                int n = Integer.parseInt(srEnv.trim());
                if (n > Math.max(SysSignal.SIGSEGV, SysSignal.SIGBUS) && n < SysSignal.NSIG) return n;
            } catch (NumberFormatException e) {
                // HotSpot warns and keeps the default
            }
        }
        return SysSignal.SIGUSR2;
    }

    /**
     * Adds {@code loop} to the watchers of {@code signum}, installing the handler if it is the first.
     *
     * @throws IllegalStateException if the JVM refuses to hand the signal to Java
     */
    static void register(LoopSignals loop, int signum) {
        synchronized (LOCK) {
            Slot slot = SLOTS[signum];
            if (slot == null) {
                slot = new Slot(signum);
                SignalHandler previous;
                try {
                    previous = Signal.handle(slot.signal, slot);
                } catch (IllegalArgumentException e) {
                    throw new IllegalStateException("the JVM refuses to hand SIG" + SysSignal.name(signum)
                            + " to Java (" + e.getMessage() + "); INT, TERM and HUP are refused when it runs with -Xrs", e);
                }
                if (previous == SignalHandler.SIG_IGN && isShutdownSignal(signum)) {
                    // HotSpot leaves an ignored shutdown signal ignored and installs nothing (JVM_RegisterSignal)
                    throw new IllegalStateException("SIG" + SysSignal.name(signum) + " is ignored in this process (started "
                            + "with nohup, or by a parent that ignores it) and the JVM keeps it so");
                }
                slot.previous = previous;
                SLOTS[signum] = slot;
            }
            LoopSignals[] ls = slot.loops;
            LoopSignals[] grown = Arrays.copyOf(ls, ls.length + 1);
            grown[ls.length] = loop;
            slot.loops = grown;
        }
    }

    private static boolean isShutdownSignal(int signum) {
        return signum == SysSignal.SIGHUP || signum == SysSignal.SIGINT || signum == SysSignal.SIGTERM;
    }

    /** Removes {@code loop} from the watchers of {@code signum}; the last one out puts the previous handler back. */
    static void unregister(LoopSignals loop, int signum) {
        synchronized (LOCK) {
            Slot slot = SLOTS[signum];
            if (slot == null) return;
            LoopSignals[] ls = slot.loops;
            int i = Arrays.asList(ls).indexOf(loop);
            if (i < 0) return;
            LoopSignals[] shrunk = new LoopSignals[ls.length - 1];
            System.arraycopy(ls, 0, shrunk, 0, i);
            System.arraycopy(ls, i + 1, shrunk, i, ls.length - i - 1);
            slot.loops = shrunk;
            if (shrunk.length == 0) {
                SLOTS[signum] = null;
                Signal.handle(slot.signal, slot.previous);
            }
        }
    }

    /** Delivers {@code signum} to every loop watching it, as if the process had received it. Any thread. */
    static void simulate(int signum) {
        Slot slot;
        synchronized (LOCK) {
            slot = SLOTS[signum];
        }
        if (slot != null) slot.handle(slot.signal);
    }
}
