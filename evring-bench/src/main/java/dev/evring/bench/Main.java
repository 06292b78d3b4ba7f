package dev.evring.bench;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** The {@code ./evring} command-line tool: one subcommand per job. */
public final class Main {
    private Main() {}

    /** A subcommand: gets the arguments after its name, returns the process exit status. */
    @FunctionalInterface
    interface Command {
        int run(String[] args) throws Exception;
    }

    private record Entry(String summary, Command command) {}

    private static Map<String, Entry> commands() {
        Map<String, Entry> m = new LinkedHashMap<>();
        m.put("info", new Entry("kernel, backends available here, which one EventLoop.open() picks and why", InfoCommand::run));
        m.put("bench", new Entry("the benchmark suite: evring against libev, Netty and the JDK (--help for options)", BenchCommand::run));
        m.put("echo-server", new Entry("echo server: --port P [--backend io_uring|epoll|poll] [--mode readiness|completion]", dev.evring.examples.EchoServer::run));
        m.put("echo-client", new Entry("echo load: --port P [--connections 50] [--inflight 8] [--messages N] [--size 64]", dev.evring.examples.EchoClient::run));
        m.put("echo-alloc", new Entry("bytes a million completion-style echoes allocate on the loop thread", EchoCommands::alloc));
        return m;
    }

    public static void main(String[] args) throws Exception {
        Map<String, Entry> commands = commands();
        if (args.length == 0 || args[0].equals("-h") || args[0].equals("--help") || args[0].equals("help")) {
            usage(commands);
            System.exit(args.length == 0 ? 2 : 0);
        }
        Entry e = commands.get(args[0]);
        if (e == null) {
            System.err.println("evring: unknown command \"" + args[0] + "\"");
            usage(commands);
            System.exit(2);
        }
        System.exit(e.command().run(Arrays.copyOfRange(args, 1, args.length)));
    }

    private static void usage(Map<String, Entry> commands) {
        System.err.println("usage: ./evring <command> [options]\n\ncommands:");
        commands.forEach((name, e) -> System.err.printf("  %-14s %s%n", name, e.summary()));
    }
}
