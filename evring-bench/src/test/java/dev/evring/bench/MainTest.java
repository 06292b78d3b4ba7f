package dev.evring.bench;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ./evring} run in-process through {@link Main#run}: every subcommand answers a bad option with one line naming
 * it and its usage on stderr and status 2, and {@code --help} / {@code -h} with its usage on stdout and status 0; no
 * command line ends in a stack trace.
 */
class MainTest {
    record Run(int status, String out, String err) {
        String firstErrLine() {
            return err.lines().findFirst().orElse("");
        }
    }

    static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** A bad command line and the option (or argument) its error line must name. */
    record Bad(String command, String args, String named) {
        String[] argv() {
            return Stream.concat(Stream.of(command), args.isEmpty() ? Stream.empty() : Stream.of(args.split(" "))).toArray(String[]::new);
        }
    }

    /** Every kind of mistake each subcommand's options allow: unknown, missing value, bad number, out of range, bad choice. */
    static final List<Bad> BAD = List.of(
            new Bad("info", "--bogus", "--bogus"),
            new Bad("info", "extra", "extra"),
            new Bad("top", "", "--pid"),
            new Bad("top", "--pid x", "--pid"),
            new Bad("top", "--pid 1 --file evring.jfr", "--pid"),
            new Bad("top", "--pid 0", "--pid"),
            new Bad("top", "--pid 1 --interval 0", "--interval"),
            new Bad("top", "--pid 1 --count -1", "--count"),
            new Bad("bench", "--bogus", "--bogus"),
            new Bad("bench", "--repeats x", "--repeats"),
            new Bad("bench", "--repeats 0", "--repeats"),
            new Bad("bench", "--repeats", "--repeats"),
            new Bad("bench", "--only pipes,bogus", "bogus"),
            new Bad("bench", "--quick=yes", "--quick"),
            new Bad("bench", "--out", "--out"),
            new Bad("bench", "--loops 0", "--loops"),
            new Bad("bench", "--loops 1,two", "--loops"),
            new Bad("echo-server", "--port abc", "--port"),
            new Bad("echo-server", "--port 70000", "--port"),
            new Bad("echo-server", "--port -1", "--port"),
            new Bad("echo-server", "--port", "--port"),
            new Bad("echo-server", "--mode sideways", "--mode"),
            new Bad("echo-server", "--backend kqueue", "--backend"),
            new Bad("echo-server", "--port 7000 stray", "stray"),
            new Bad("echo-server", "--loops 0", "--loops"),
            new Bad("echo-server", "--loops two", "--loops"),
            new Bad("echo-server", "--accept kernel", "--accept"),
            new Bad("echo-client", "--connections x", "--connections"),
            new Bad("echo-client", "--connections 0", "--connections"),
            new Bad("echo-client", "--size 0", "--size"),
            new Bad("echo-client", "--inflight", "--inflight"),
            new Bad("echo-client", "--messages 10 --connections 20", "--messages"),
            new Bad("echo-alloc", "--echoes abc", "--echoes"),
            new Bad("echo-alloc", "--echoes 0", "--echoes"),
            new Bad("echo-alloc", "--connections 100000", "--connections"),
            new Bad("echo-alloc", "--backend x", "--backend"),
            new Bad("echo-alloc", "--echoes", "--echoes"),
            new Bad("echo-alloc", "--fast", "--fast"),
            new Bad("http-server", "--port abc", "--port"),
            new Bad("http-server", "--mode sideways", "--mode"),
            new Bad("http-server", "--backend x", "--backend"),
            new Bad("http-server", "--loops 5000", "--loops"),
            new Bad("http-server", "--accept", "--accept"),
            new Bad("vt-echo-server", "--port abc", "--port"),
            new Bad("vt-echo-server", "--port 70000", "--port"),
            new Bad("vt-echo-server", "--sockets", "--sockets"),
            new Bad("vt-echo-server", "--sockets bogus", "--sockets"),
            new Bad("vt-echo-server", "stray", "stray"),
            new Bad("vt-http-server", "--port -1", "--port"),
            new Bad("vt-http-server", "--sockets nio", "--sockets"),
            new Bad("vt-http-server", "--backend epoll", "--backend"));

    @Test
    void everySubcommandHasItsBadCommandLinesHere() {
        Set<String> covered = new TreeSet<>();
        for (Bad b : BAD) covered.add(b.command());
        assertEquals(new TreeSet<>(Main.commands().keySet()), covered, "add the new subcommand's bad options to BAD");
    }

    @TestFactory
    Stream<DynamicTest> aBadOptionGetsOneLineNamingItThenTheUsageAndStatus2() {
        return BAD.stream().map(b -> DynamicTest.dynamicTest(b.command() + " " + b.args(), () -> {
            Run r = run(b.argv());
            assertEquals(2, r.status(), r.err());
            assertEquals("", r.out());
            assertTrue(r.firstErrLine().startsWith("evring " + b.command() + ": "), r.err());
            assertTrue(r.firstErrLine().contains(b.named()), r.firstErrLine());
            assertTrue(r.err().lines().skip(1).findFirst().orElse("").startsWith("usage: ./evring " + b.command()), r.err());
            assertNoStackTrace(r);
        }));
    }

    @TestFactory
    Stream<DynamicTest> helpPrintsTheUsageOnStdoutWithStatus0() {
        return Main.commands().keySet().stream().flatMap(c -> Stream.of("--help", "-h").map(h -> DynamicTest.dynamicTest(c + " " + h, () -> {
            Run r = run(c, h);
            assertEquals(0, r.status(), r.err());
            assertEquals("", r.err());
            assertTrue(r.out().startsWith("usage: ./evring " + c), r.out());
            assertTrue(r.out().contains("-h, --help"), r.out());
        })));
    }

    @Test
    void helpWinsOverABadOptionBeforeIt() {
        Run r = run("echo-server", "--port", "abc", "--help");
        assertEquals(0, r.status());
        assertTrue(r.out().startsWith("usage: ./evring echo-server"), r.out());
        assertEquals(0, run("help", "echo-alloc").status());
    }

    @Test
    void noSubcommandListsThemAllOnStderrWithStatus2() {
        Run r = run();
        assertEquals(2, r.status());
        assertEquals("", r.out());
        for (String c : Main.commands().keySet()) assertTrue(r.err().contains("\n  " + c + " "), r.err());
    }

    @Test
    void anUnknownSubcommandIsNamedAndTheListFollows() {
        Run r = run("bogus", "--port", "1");
        assertEquals(2, r.status());
        assertEquals("evring: unknown command \"bogus\"", r.firstErrLine());
        for (String c : Main.commands().keySet()) assertTrue(r.err().contains("\n  " + c + " "), r.err());
        assertNoStackTrace(r);
    }

    @Test
    void helpListsTheSubcommandsOnStdout() {
        for (String h : List.of("--help", "-h", "help")) {
            Run r = run(h);
            assertEquals(0, r.status(), h);
            assertEquals("", r.err());
            for (String c : Main.commands().keySet()) assertTrue(r.out().contains("\n  " + c + " "), r.out());
        }
    }

    private static void assertNoStackTrace(Run r) {
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception"), r.err());
    }
}
