package dev.evring.bench.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * CPU time of a process (all its threads), from {@code /proc/PID/stat}: utime + stime, in seconds; and its resident
 * memory, {@code VmRSS} of {@code /proc/PID/status}.
 */
public final class ProcStat {
    private ProcStat() {}

    private static volatile long clockTicks;

    /** utime + stime of {@code pid} in seconds, or NaN if the process is gone. */
    public static double cpuSeconds(long pid) {
        try {
            return parseCpuTicks(Files.readString(Path.of("/proc", Long.toString(pid), "stat"))) / (double) clockTicksPerSecond();
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /**
     * utime + stime of {@code pid} and of every live descendant (nginx's workers, a shell's children), in seconds; NaN
     * if {@code pid} is gone. A descendant that exits takes its time with it, so sample while the tree is steady.
     */
    public static double treeCpuSeconds(long pid) {
        double total = cpuSeconds(pid);
        if (Double.isNaN(total)) return total;
        for (ProcessHandle d : ProcessHandle.of(pid).map(h -> h.descendants().toList()).orElse(java.util.List.of())) {
            double s = cpuSeconds(d.pid());
            if (!Double.isNaN(s)) total += s;
        }
        return total;
    }

    /** VmRSS of {@code pid} and every live descendant, in bytes; NaN if {@code pid} is gone. */
    public static double treeRssBytes(long pid) {
        double total = rssBytes(pid);
        if (Double.isNaN(total)) return total;
        for (ProcessHandle d : ProcessHandle.of(pid).map(h -> h.descendants().toList()).orElse(List.of())) {
            double r = rssBytes(d.pid());
            if (!Double.isNaN(r)) total += r;
        }
        return total;
    }

    private static double rssBytes(long pid) {
        try {
            return parseVmRssKb(Files.readString(Path.of("/proc", Long.toString(pid), "status"))) * 1024.0;
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /** The {@code VmRSS:} line of a /proc/PID/status text, in kB. */
    public static long parseVmRssKb(String status) {
        return kbField(status, "VmRSS");
    }

    /** A {@code Name:   123 kB} line of a /proc status or meminfo text, in kB. */
    public static long kbField(String text, String name) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + ":\\s+(\\d+) kB").matcher(text);
        if (!m.find()) throw new IllegalArgumentException("no " + name + " line in:\n" + text);
        return Long.parseLong(m.group(1));
    }

    /**
     * cutime + cstime (fields 16 and 17: the CPU time of children waited for) from the text of a stat file, in seconds:
     * what a wrapper shell reads of itself once its child (a load generator) has ended, which is exact where sampling
     * the child's own file before it ends is not.
     */
    public static double childrenCpuSeconds(String stat) {
        String[] f = fieldsAfterName(stat);
        return (Long.parseLong(f[16 - 3]) + Long.parseLong(f[17 - 3])) / (double) clockTicksPerSecond();
    }

    /**
     * utime + stime in clock ticks from the text of a stat file. The command name (field 2) may hold spaces and
     * parentheses, so fields are counted after its last ')': utime and stime are fields 14 and 15.
     */
    static long parseCpuTicks(String stat) {
        String[] f = fieldsAfterName(stat);
        return Long.parseLong(f[14 - 3]) + Long.parseLong(f[15 - 3]);
    }

    /** The fields after the command name; f[0] is field 3 (state), so field k is f[k - 3]. */
    private static String[] fieldsAfterName(String stat) {
        int close = stat.lastIndexOf(')');
        if (close < 0) throw new IllegalArgumentException("not a /proc/PID/stat line: " + stat);
        return stat.substring(close + 2).trim().split("\\s+");
    }

    /**
     * CPU seconds the whole machine spent busy (every CPU, every process, the kernel) since boot: the first line of
     * {@code /proc/stat} less idle and iowait. NaN if unreadable. The difference over a window, less what the measured
     * processes used, is the load the rest of the machine added.
     */
    public static double machineBusySeconds() {
        try {
            String first = Files.readAllLines(Path.of("/proc/stat")).getFirst();
            return parseBusyTicks(first) / (double) clockTicksPerSecond();
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /** Busy ticks from the aggregate "cpu" line of /proc/stat: all fields but idle (4th) and iowait (5th). */
    static long parseBusyTicks(String cpuLine) {
        String[] f = cpuLine.trim().split("\\s+");
        if (!f[0].equals("cpu")) throw new IllegalArgumentException("not the aggregate cpu line of /proc/stat: " + cpuLine);
        long busy = 0;
        // user nice system idle iowait irq softirq steal [guest guest_nice: already counted in user and nice]
        for (int i = 1; i < Math.min(f.length, 9); i++) {
            if (i == 4 || i == 5) continue;
            busy += Long.parseLong(f[i]);
        }
        return busy;
    }

    /** The kernel's USER_HZ (sysconf(_SC_CLK_TCK)), asked of getconf once; 100 if it cannot say. */
    static long clockTicksPerSecond() {
        long t = clockTicks;
        if (t == 0) {
            t = 100;
            try {
                String s = NativeTools.firstLine(java.util.List.of("getconf", "CLK_TCK"));
                if (!s.isEmpty()) t = Long.parseLong(s);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (NumberFormatException ignored) {
                // keep 100, the value on every Linux that matters
            }
            clockTicks = t;
        }
        return t;
    }
}
