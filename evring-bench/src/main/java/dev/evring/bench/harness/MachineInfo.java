package dev.evring.bench.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;

/** What a result is worth only beside: the machine, kernel, JDK and load it was measured on. */
public final class MachineInfo {
    private MachineInfo() {}

    public static String describe() {
        String cpu = "unknown CPU";
        try {
            for (String l : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (l.startsWith("model name")) {
                    cpu = l.substring(l.indexOf(':') + 1).strip();
                    break;
                }
            }
        } catch (IOException ignored) {
            // keep "unknown CPU"
        }
        long memKb = 0;
        try {
            for (String l : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (l.startsWith("MemTotal:")) memKb = Long.parseLong(l.replaceAll("[^0-9]", ""));
            }
        } catch (IOException | NumberFormatException ignored) {
            // keep 0
        }
        return String.join("\n", List.of(
                "date:    " + ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME),
                "machine: " + Runtime.getRuntime().availableProcessors() + " CPUs (" + cpu + "), " + (memKb / 1024 / 1024) + " GiB",
                "kernel:  Linux " + read("/proc/sys/kernel/osrelease"),
                "java:    " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")",
                "load:    " + read("/proc/loadavg") + " (1, 5, 15 min averages at start: other work on this machine adds noise)"));
    }

    static String read(String path) {
        return read(path, "?");
    }

    /** A small /proc or /sys file, stripped, or {@code fallback} where it cannot be read. */
    public static String read(String path, String fallback) {
        try {
            return Files.readString(Path.of(path)).strip();
        } catch (IOException e) {
            return fallback;
        }
    }
}
