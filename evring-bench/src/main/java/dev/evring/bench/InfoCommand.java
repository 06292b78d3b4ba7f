package dev.evring.bench;

import dev.evring.Backend;
import dev.evring.EventLoop;
import dev.evring.bench.harness.MachineInfo;
import dev.evring.examples.CommandLine;

/** {@code ./evring info}: what this machine offers an event loop. */
final class InfoCommand {
    private InfoCommand() {}

    static final CommandLine COMMAND_LINE = new CommandLine("./evring info",
            "What this machine offers: kernel, backends available here, which one EventLoop.open() picks and why.");

    static int run(CommandLine.Parsed options) {
        System.out.println("evring " + version());
        System.out.println("kernel:         Linux " + read("/proc/sys/kernel/osrelease") + " (" + System.getProperty("os.arch") + ")");
        System.out.println("java:           " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")");
        String sysctl = read("/proc/sys/kernel/io_uring_disabled");
        System.out.println("io_uring sysctl: kernel.io_uring_disabled = " + (sysctl.isEmpty() ? "(absent: kernel older than 6.6)" : sysctl));
        String env = System.getenv("EVRING_BACKEND");
        System.out.println("EVRING_BACKEND: " + (env == null ? "(unset)" : env));
        System.out.println();
        System.out.println("backends:");
        for (Backend b : Backend.values()) {
            Backend.Availability a = b.availability();
            System.out.printf("  %-9s %s%n", b.id(), a.available() ? "available" : "unavailable: " + a.reason());
        }
        System.out.println();
        try (EventLoop loop = EventLoop.open()) {
            System.out.println("EventLoop.open() picks: " + loop.backend().id());
            // the first line says what it runs with; io_uring's feature table follows below
            System.out.println("  " + loop.backendDetails().lines().findFirst().orElse(""));
            for (String r : loop.backendRefusals()) System.out.println("  passed over: " + r);
        }
        ioUringFeatures();
        netIncremental();
        return 0;
    }

    /**
     * Whether net's receives can use incremental buffer consumption here (net.recv_incremental, off by default): the
     * kernel answers when a Net registers its buffer ring with the flag (EINVAL before 6.12).
     */
    private static void netIncremental() {
        System.out.println();
        try (EventLoop loop = EventLoop.builder().backend(Backend.IO_URING).option("net.recv_incremental", "true").open()) {
            String f = dev.evring.net.Net.open(loop).stats().features();
            System.out.println("net on io_uring with net.recv_incremental=true: " + (f.contains("incremental buffer ring")
                    ? "incremental buffer ring (received buffers are slices; off by default, README: Incremental buffer consumption)"
                    : "whole buffers: " + f));
        } catch (IllegalStateException e) {
            System.out.println("net on io_uring: none: " + e.getMessage());
        }
    }

    /**
     * The io_uring features this kernel offers and which of them the backend uses (a loop opened on io_uring with the
     * default options, so every setup flag is probed), whatever backend open() picked.
     */
    private static void ioUringFeatures() {
        System.out.println();
        System.out.println("io_uring features (found: the kernel offers it; used: evring's io_uring backend uses it):");
        try (EventLoop loop = EventLoop.builder().backend(Backend.IO_URING).open()) {
            System.out.println(indent(loop.backendDetails()));
        } catch (IllegalStateException e) {
            System.out.println("  none: " + e.getMessage());
        }
    }

    private static String indent(String text) {
        return text.lines().map(l -> "  " + l).collect(java.util.stream.Collectors.joining("\n"));
    }

    private static String version() {
        String v = InfoCommand.class.getPackage().getImplementationVersion();
        return v == null ? "(development build)" : v;
    }

    private static String read(String path) {
        return MachineInfo.read(path, "");
    }
}
