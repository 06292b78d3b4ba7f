package dev.evring.linux;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static dev.evring.linux.ValueLayouts.C_INT;

/**
 * {@code <signal.h>} and {@code <asm-generic/signal.h>}: signal numbers (the same on x86_64 and aarch64) and kill(2).
 * Java code reaches signal handling through the JDK's {@code sun.misc.Signal}; this class only names the numbers and
 * sends signals.
 */
public final class SysSignal {
    private SysSignal() {}

    public static final int SIGHUP = 1;
    public static final int SIGINT = 2;
    public static final int SIGQUIT = 3;
    public static final int SIGILL = 4;
    public static final int SIGTRAP = 5;
    public static final int SIGABRT = 6;
    public static final int SIGBUS = 7;
    public static final int SIGFPE = 8;
    public static final int SIGKILL = 9;
    public static final int SIGUSR1 = 10;
    public static final int SIGSEGV = 11;
    public static final int SIGUSR2 = 12;
    public static final int SIGPIPE = 13;
    public static final int SIGALRM = 14;
    public static final int SIGTERM = 15;
    public static final int SIGSTKFLT = 16;
    public static final int SIGCHLD = 17;
    public static final int SIGCONT = 18;
    public static final int SIGSTOP = 19;
    public static final int SIGTSTP = 20;
    public static final int SIGTTIN = 21;
    public static final int SIGTTOU = 22;
    public static final int SIGURG = 23;
    public static final int SIGXCPU = 24;
    public static final int SIGXFSZ = 25;
    public static final int SIGVTALRM = 26;
    public static final int SIGPROF = 27;
    public static final int SIGWINCH = 28;
    public static final int SIGIO = 29;
    public static final int SIGPWR = 30;
    public static final int SIGSYS = 31;
    /** One more than the highest signal number (glibc's {@code _NSIG}). */
    public static final int NSIG = 65;

    private static final String[] NAMES = {
        null, "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE", "ALRM",
        "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ", "VTALRM", "PROF",
        "WINCH", "IO", "PWR", "SYS"
    };

    /** The name of a standard signal without its SIG prefix ({@code "USR2"}), or null for a number outside 1..31. */
    public static String name(int signum) {
        return signum > 0 && signum < NAMES.length ? NAMES[signum] : null;
    }

    /** The number of a standard signal named with or without its SIG prefix, any case; -1 if there is none. */
    public static int number(String name) {
        String n = name.trim().toUpperCase(java.util.Locale.ROOT);
        if (n.startsWith("SIG")) n = n.substring(3);
        if (n.equals("IOT")) return SIGABRT;
        if (n.equals("POLL")) return SIGIO;
        for (int i = 1; i < NAMES.length; i++) if (NAMES[i].equals(n)) return i;
        return -1;
    }

    private static final MethodHandle KILL = Libc.errnoCall("kill", FunctionDescriptor.of(C_INT, C_INT, C_INT));

    /** kill(2): sends {@code sig} to process {@code pid}. Returns 0 or {@code -errno}. */
    public static int kill(MemorySegment callState, int pid, int sig) {
        try {
            int r = (int) KILL.invokeExact(callState, pid, sig);
            return r < 0 ? -Libc.errno(callState) : r;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }
}
