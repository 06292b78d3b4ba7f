package dev.evring.bench.memory;

import dev.evring.bench.harness.NativeTools;
import dev.evring.bench.harness.ProcStat;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where the memory benchmark reads a server's memory, and the parsers of what it reads:
 * <ul>
 *   <li>resident memory: {@code VmRSS} of {@code /proc/PID/status}, summed over the process and its descendants
 *       ({@link ProcStat#treeRssBytes}), less what a JVM's JIT holds in scratch memory at that moment (see {@link #jitScratchBytes});</li>
 *   <li>a JVM's live heap: {@code GC.run} then {@code GC.heap_info} through the attach mechanism (what {@code jcmd}
 *       does, in this process when {@code jdk.attach}'s internals are exported to it, else by running jcmd), the
 *       {@code used} of each generation after the full collection;</li>
 *   <li>the kernel's socket buffers of the server's connections: {@code ss -tmn} of the established sockets whose
 *       local port is the server's, {@code skmem} summed: r (receive queue) + w (write queue) + f (memory charged
 *       ahead, forward-allocated) + o (options); t is the part of w in flight and bl a transient backlog, so neither
 *       is added;</li>
 *   <li>the kernel's objects (machine-wide, both ends of every connection, everything else running too):
 *       {@code Slab} of {@code /proc/meminfo}, and {@code /proc/net/sockstat}'s sockets in use and TCP pages.</li>
 * </ul>
 */
final class MemoryProbe {
    private MemoryProbe() {}

    /** The kernel's sockets in use (every family), TCP sockets in use, and TCP's memory in pages, machine-wide. */
    record Sockstat(long sockets, long tcpInUse, long tcpMemPages) {}

    /** The server's established sockets on its port, and the bytes their buffers hold (see the class comment). */
    record SocketBuffers(int sockets, long bytes) {}

    // ---- a JVM's live heap ----

    /** A top-level space: "PSYoungGen total 153088K, used 2048K", "garbage-first heap total reserved 65536K, committed 10240K, used 2082K". */
    private static final Pattern GENERATION = Pattern.compile("total [^\\n]*?used (\\d+)K");

    /**
     * The Java heap in use after a full collection, in bytes, from GC.heap_info's text: the {@code used} of every
     * top-level space ({@code PSYoungGen}, {@code ParOldGen}; G1's one {@code garbage-first heap}), which are the
     * lines with a {@code total} before their {@code used}.
     */
    static long parseHeapUsedBytes(String heapInfo) {
        Matcher m = GENERATION.matcher(heapInfo);
        long used = 0;
        boolean any = false;
        while (m.find()) {
            used += Long.parseLong(m.group(1)) * 1024;
            any = true;
        }
        if (!any) throw new IllegalArgumentException("no heap space in GC.heap_info's answer:\n" + heapInfo);
        return used;
    }

    /**
     * Runs a full collection in the JVM {@code pid} and returns its live heap in bytes (see {@link #parseHeapUsedBytes}).
     *
     * @throws IOException when the JVM cannot be reached (not a JVM, gone, attach refused): the caller goes without
     */
    static long liveHeapBytes(long pid) throws IOException, InterruptedException {
        jcmd(pid, "GC.run");
        long used = parseHeapUsedBytes(jcmd(pid, "GC.heap_info"));
        Thread.sleep(CLEANERS_MS);
        return used;
    }

    /**
     * How long a reading waits after the full collection before it reads RSS: the native memory of the direct buffers
     * it found dead is freed afterwards, by their cleaners on a thread of their own.
     */
    static final long CLEANERS_MS = 250;

    /**
     * What the JVM {@code pid}'s JIT holds in scratch memory (Native Memory Tracking's {@code Arena Chunk},
     * committed), in bytes, after giving the C library's free memory back to the kernel ({@code
     * System.trim_native_heap}), so that its RSS counts what is in use. A compilation takes several MB of arena
     * chunks, and HotSpot frees them on a 5-second timer: a reading could be 10 MB up or down at random. So this waits,
     * up to {@code wait}, for them to be freed (under {@link #JIT_QUIET} left), and returns what is left for the caller
     * to take off the RSS. 0 when the JVM runs without {@code -XX:NativeMemoryTracking}.
     *
     * @throws IOException when the JVM cannot be reached
     */
    static long jitScratchBytes(long pid, Duration wait) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            jcmd(pid, "System.trim_native_heap");
            long scratch = parseArenaChunkBytes(jcmd(pid, "VM.native_memory summary"));
            if (scratch < JIT_QUIET || System.nanoTime() >= deadline) return scratch;
            Thread.sleep(250);
        }
    }

    /** The JIT's scratch memory of a JVM that compiles nothing: a few KB; while it compiles, MB. */
    static final long JIT_QUIET = 1 << 20;

    private static final Pattern ARENA_CHUNK = Pattern.compile("(?m)^-\\s+Arena Chunk \\(reserved=\\d+KB, committed=(\\d+)KB\\)");

    /** The committed KB of the {@code Arena Chunk} line of VM.native_memory summary, in bytes; 0 when NMT is off. */
    static long parseArenaChunkBytes(String summary) {
        Matcher m = ARENA_CHUNK.matcher(summary);
        return m.find() ? Long.parseLong(m.group(1)) * 1024 : 0;
    }

    /**
     * One diagnostic command in the JVM {@code pid}: through the attach API in this process when {@code jdk.attach}'s
     * {@code sun.tools.attach} is exported to it (the {@code evring} launcher does), which takes milliseconds; else by
     * running the JDK's jcmd, which starts a JVM each time (half a second or more).
     */
    static String jcmd(long pid, String command) throws IOException, InterruptedException {
        String inProcess = attachJcmd(pid, command);
        return inProcess != null ? inProcess : jcmdProgram(pid, command);
    }

    /** One diagnostic command in the JVM {@code pid} by running the JDK's jcmd. */
    static String jcmdProgram(long pid, String command) throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("jcmd " + pid + " " + command + " hung");
        }
        if (p.exitValue() != 0) throw new IOException("jcmd " + pid + " " + command + ": " + out.strip());
        return out;
    }

    private static volatile boolean attachUnavailable;

    /** The answer through the attach API, or null when this JVM cannot use it (then jcmd is run instead). */
    static String attachJcmd(long pid, String command) throws IOException {
        if (attachUnavailable) return null;
        Object vm;
        Method execute, detach;
        try {
            Class<?> vmClass = Class.forName("com.sun.tools.attach.VirtualMachine");
            vm = vmClass.getMethod("attach", String.class).invoke(null, Long.toString(pid));
            execute = Class.forName("sun.tools.attach.HotSpotVirtualMachine").getMethod("executeJCmd", String.class);
            detach = vmClass.getMethod("detach");
        } catch (InvocationTargetException e) { // attach itself refused: no such JVM, not ours, not answering
            throw new IOException("cannot attach to " + pid + ": " + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException | LinkageError e) {
            attachUnavailable = true; // no jdk.attach in this JVM
            return null;
        }
        try (InputStream in = (InputStream) execute.invoke(vm, command)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IllegalAccessException e) {
            attachUnavailable = true; // sun.tools.attach not exported to us: jcmd it is
            return null;
        } catch (ReflectiveOperationException e) {
            throw new IOException(command + " in " + pid + ": " + e.getCause(), e.getCause());
        } finally {
            try {
                detach.invoke(vm);
            } catch (ReflectiveOperationException ignored) {
                // detached already, or the JVM went away
            }
        }
    }

    // ---- the kernel ----

    /**
     * The established TCP sockets whose local port is {@code port} (a server's ends of its connections) and the sum
     * of their buffers, through {@code ss}.
     */
    static SocketBuffers socketBuffers(Path ss, int port) throws IOException, InterruptedException {
        return parseSkmem(run(List.of(ss.toString(), "-tmnH", "state", "established", "( sport = :" + port + " )")));
    }

    private static final Pattern SKMEM = Pattern.compile("skmem:\\(([^)]*)\\)");

    /** Counts the sockets of {@code ss -tm}'s output and sums r + w + f + o of their skmem (see the class comment). */
    static SocketBuffers parseSkmem(String ssOutput) {
        Matcher m = SKMEM.matcher(ssOutput);
        int sockets = 0;
        long bytes = 0;
        while (m.find()) {
            sockets++;
            for (String field : m.group(1).split(",")) {
                int i = 0;
                while (i < field.length() && Character.isLetter(field.charAt(i))) i++;
                String name = field.substring(0, i);
                if (name.equals("r") || name.equals("w") || name.equals("f") || name.equals("o")) {
                    bytes += Long.parseLong(field.substring(i));
                }
            }
        }
        return new SocketBuffers(sockets, bytes);
    }

    /**
     * How many of the established sockets whose local port is {@code port} (a server's ends) hold bytes the server
     * has not read: what to say when its echoes do not come back.
     */
    static int unreadSockets(Path ss, int port) throws IOException, InterruptedException {
        return parseUnread(run(List.of(ss.toString(), "-tnH", "state", "established", "( sport = :" + port + " )")));
    }

    /** The lines of {@code ss -tnH state established} (Recv-Q Send-Q Local Peer) whose Recv-Q is not 0. */
    static int parseUnread(String ssOutput) {
        int n = 0;
        for (String line : ssOutput.lines().toList()) {
            String[] f = line.strip().split("\\s+");
            if (f.length >= 2 && !f[0].equals("0") && f[0].chars().allMatch(Character::isDigit)) n++;
        }
        return n;
    }

    /** The accept queue of the listener on {@code port} (its Recv-Q in {@code ss -ltn}); -1 when there is no listener. */
    static int acceptQueue(Path ss, int port) throws IOException, InterruptedException {
        return parseAcceptQueue(run(List.of(ss.toString(), "-ltnH", "( sport = :" + port + " )")));
    }

    /** The Recv-Q of the first line of {@code ss -ltnH} (State Recv-Q Send-Q Local Peer); -1 when there is none. */
    static int parseAcceptQueue(String ssOutput) {
        for (String line : ssOutput.lines().toList()) {
            String[] f = line.strip().split("\\s+");
            if (f.length >= 2 && f[0].equals("LISTEN")) return Integer.parseInt(f[1]);
        }
        return -1;
    }

    /** Slab memory of the whole machine ({@code Slab:} of /proc/meminfo) in bytes; NaN if unreadable. */
    static double slabBytes() {
        try {
            return ProcStat.kbField(Files.readString(Path.of("/proc/meminfo")), "Slab") * 1024.0;
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /** /proc/net/sockstat now; null if unreadable. */
    static Sockstat sockstat() {
        try {
            return parseSockstat(Files.readString(Path.of("/proc/net/sockstat")));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** {@code sockets: used N} and {@code TCP: inuse N ... mem N} of a /proc/net/sockstat text. */
    static Sockstat parseSockstat(String text) {
        Matcher used = Pattern.compile("(?m)^sockets: used (\\d+)").matcher(text);
        Matcher tcp = Pattern.compile("(?m)^TCP: inuse (\\d+).* mem (\\d+)").matcher(text);
        if (!used.find() || !tcp.find()) throw new IllegalArgumentException("not a /proc/net/sockstat text:\n" + text);
        return new Sockstat(Long.parseLong(used.group(1)), Long.parseLong(tcp.group(1)), Long.parseLong(tcp.group(2)));
    }

    private static String run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", cmd) + " hung");
        }
        if (p.exitValue() != 0) throw new IOException(String.join(" ", cmd) + " exited with " + p.exitValue() + ": " + out.strip());
        return out;
    }

    /** {@code ss}, or why there is none ("install iproute2"). */
    static NativeTools.Binary ss(NativeTools tools) throws InterruptedException, IOException {
        return tools.program("ss", "iproute2");
    }
}
