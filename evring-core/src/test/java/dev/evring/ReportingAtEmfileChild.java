package dev.evring;

import dev.evring.linux.Libc;
import dev.evring.linux.Resource;

import java.io.FileInputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.lang.reflect.Proxy;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Run in a child JVM by {@link ExceptionReportingTest}: opens a loop, uses up every fd, then lets a callback throw.
 * Argument {@code default}: the default handler must still log it; {@code broken-logging}: the logging backend itself
 * throws, so the last resort must write its line to fd 2. Prints {@code OTHER CALLBACK RAN} and {@code SURVIVED}.
 */
public final class ReportingAtEmfileChild {
    private ReportingAtEmfileChild() {}

    public static void main(String[] args) throws Exception {
        boolean brokenLogging = args.length > 0 && args[0].equals("broken-logging");
        try (EventLoop loop = EventLoop.open()) {
            IdleWatcher bad = loop.idle((w, ev) -> {
                throw new IllegalStateException("callback failed at EMFILE");
            });
            boolean[] otherRan = {false};
            IdleWatcher good = loop.idle((w, ev) -> otherRan[0] = true);
            if (brokenLogging) breakLogging();
            List<FileInputStream> held = exhaustFds();
            loop.feedEvent(bad, Events.CUSTOM);
            loop.feedEvent(good, Events.CUSTOM);
            loop.runNoWait();
            for (FileInputStream f : held) f.close();
            System.out.println("HELD " + held.size());
            if (otherRan[0]) System.out.println("OTHER CALLBACK RAN");
        }
        System.out.println("SURVIVED");
    }

    /** Kept so the logger (held weakly by its LogManager) keeps its filter. */
    static Object julLogger;

    /**
     * Gives java.util.logging's "dev.evring" logger a filter that throws, through reflection (the tests compile inside
     * module dev.evring, which does not read java.logging; at run time they are on the class path).
     */
    static void breakLogging() throws ReflectiveOperationException {
        Class<?> logger = Class.forName("java.util.logging.Logger");
        Class<?> filter = Class.forName("java.util.logging.Filter");
        julLogger = logger.getMethod("getLogger", String.class).invoke(null, "dev.evring");
        Object throwing = Proxy.newProxyInstance(filter.getClassLoader(), new Class<?>[] {filter}, (p, m, a) -> {
            if (m.getName().equals("isLoggable")) throw new IllegalStateException("logging is broken");
            return m.invoke(p, a);
        });
        logger.getMethod("setFilter", filter).invoke(julLogger, throwing);
    }

    /** Lowers the soft fd limit a little above what is open, then opens /dev/null until EMFILE. */
    static List<FileInputStream> exhaustFds() throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment rl = a.allocate(Resource.RLIMIT);
            MemorySegment cs = Libc.threadCallState();
            if (Resource.getrlimit(cs, Resource.RLIMIT_NOFILE, rl) != 0) throw new IOException("getrlimit failed");
            rl.set(JAVA_LONG, Resource.OFF_RLIM_CUR, TestFds.openFdCount() + 32L);
            if (Resource.setrlimit(cs, Resource.RLIMIT_NOFILE, rl) != 0) throw new IOException("setrlimit failed");
        }
        List<FileInputStream> held = new ArrayList<>();
        try {
            while (held.size() < 100_000) held.add(new FileInputStream("/dev/null"));
        } catch (IOException e) {
            if (!String.valueOf(e.getMessage()).contains("Too many open files")) throw e;
        }
        return held;
    }
}
