package dev.evring.bench;

import dev.evring.ErrnoException;
import dev.evring.examples.CommandLine;
import dev.evring.examples.EchoClient;
import dev.evring.examples.EchoServer;
import dev.evring.examples.HttpServer;
import dev.evring.examples.VirtualThreadEchoServer;
import dev.evring.examples.VirtualThreadHttpServer;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code ./evring} command-line tool: one subcommand per job, each with its options declared once in a
 * {@link CommandLine} (usage, parsing, {@code --help}, bad options answered with one line and status 2).
 */
public final class Main {
    private Main() {}

    /** A subcommand: its options and what it does with them. */
    record Command(CommandLine options, CommandLine.Body body) {}

    /** Every subcommand, in the order {@code ./evring} lists them. A new one is one line here. */
    static Map<String, Command> commands() {
        Map<String, Command> m = new LinkedHashMap<>();
        m.put("info", new Command(InfoCommand.COMMAND_LINE, InfoCommand::run));
        m.put("top", new Command(TopCommand.COMMAND_LINE, TopCommand::run));
        m.put("bench", new Command(BenchOptions.COMMAND_LINE, BenchCommand::run));
        m.put("echo-server", new Command(EchoServer.COMMAND_LINE, EchoServer::run));
        m.put("echo-client", new Command(EchoClient.COMMAND_LINE, EchoClient::run));
        m.put("echo-alloc", new Command(EchoCommands.COMMAND_LINE, EchoCommands::alloc));
        m.put("http-server", new Command(HttpServer.COMMAND_LINE, HttpServer::run));
        m.put("vt-echo-server", new Command(VirtualThreadEchoServer.COMMAND_LINE, VirtualThreadEchoServer::run));
        m.put("vt-http-server", new Command(VirtualThreadHttpServer.COMMAND_LINE, VirtualThreadHttpServer::run));
        return m;
    }

    /** Whether {@code ./evring name} exists (the http benchmark's evring rows wait for {@code http-server}). */
    public static boolean hasCommand(String name) {
        return commands().containsKey(name);
    }

    /** The options of {@code ./evring name} (what its {@code --help} lists), or null when there is no such command. */
    public static CommandLine commandLine(String name) {
        Command c = commands().get(name);
        return c == null ? null : c.options();
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /**
     * Runs {@code ./evring args}, printing to {@code out} and {@code err}; returns the exit status (0 done, 1 failed,
     * 2 bad command line) and never exits the JVM.
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        Map<String, Command> commands = commands();
        if (args.length == 0) {
            err.print(usage(commands));
            return 2;
        }
        String name = args[0];
        if (name.equals("-h") || name.equals("--help")) {
            out.print(usage(commands));
            return 0;
        }
        if (name.equals("help") && args.length <= 2) { // ./evring help [command]
            if (args.length == 1) {
                out.print(usage(commands));
                return 0;
            }
            name = args[1];
            args = new String[] {name, "--help"};
        }
        Command c = commands.get(name);
        if (c == null) {
            err.println("evring: unknown command \"" + name + "\"");
            err.print(usage(commands));
            return 2;
        }
        try {
            return c.options().run(Arrays.copyOfRange(args, 1, args.length), out, err, c.body());
        } catch (ErrnoException | IOException | UncheckedIOException | IllegalArgumentException | IllegalStateException e) {
            // what the machine or the input refused (a port in use, a backend not here): the message says it all
            err.println("evring " + name + ": " + e.getMessage());
            return 1;
        } catch (Exception e) {
            err.println("evring " + name + ": failed: " + e);
            e.printStackTrace(err); // a bug: keep the trace
            return 1;
        }
    }

    static String usage(Map<String, Command> commands) {
        StringBuilder sb = new StringBuilder("usage: ./evring <command> [options]   (./evring <command> --help: its options)\n\ncommands:\n");
        commands.forEach((name, c) -> sb.append(String.format("  %-15s %s%n", name, c.options().summary())));
        return sb.toString();
    }
}
