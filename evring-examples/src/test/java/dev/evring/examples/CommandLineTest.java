package dev.evring.examples;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CommandLineTest {
    private final CommandLine cl = new CommandLine("./evring demo", "Does a demo.\nSecond line.");
    private final CommandLine.Option<Integer> port = cl.integer("--port", "P", 7007, 0, 65_535, "the port (default 7007)");
    private final CommandLine.Option<Boolean> quick = cl.flag("--quick", "short");
    private final CommandLine.Option<String> mode = cl.choice("--mode", "a", List.of("a", "b"), "the mode");
    private final CommandLine.Option<List<String>> only = cl.list("--only", "LIST", List.of("x", "y", "z"), "some");
    private final CommandLine.Option<List<Integer>> sizes = cl.values("--sizes", "A:B", v -> {
        String[] ab = v.split(":");
        if (ab.length != 2) throw new IllegalArgumentException("\"" + v + "\" is not A:B");
        return List.of(Integer.parseInt(ab[0]), Integer.parseInt(ab[1]));
    }, "pairs");

    private String error(String... args) {
        return assertThrows(CommandLine.UsageException.class, () -> cl.parse(args)).getMessage();
    }

    @Test
    void valuesComeSpacedOrAfterAnEqualsSignAndDefaultsFillTheRest() {
        CommandLine.Parsed p = cl.parse("--port", "80", "--mode=b");
        assertEquals(80, p.get(port));
        assertEquals("b", p.get(mode));
        assertFalse(p.get(quick));
        assertFalse(p.given(quick));
        assertEquals(List.of(), p.get(only));
        assertEquals(7007, cl.parse().get(port));
        assertTrue(cl.parse("--quick").get(quick));
    }

    @Test
    void listsAreLowerCasedCheckedAndAddUpWhenRepeated() {
        assertEquals(List.of("x", "z", "y"), cl.parse("--only", "X, z", "--only=y").get(only));
        assertTrue(error("--only", "x,w").contains("\"w\""));
        assertTrue(error("--only", ",").contains("empty"));
    }

    @Test
    void valuesAreMadeByTheirOwnParserAndAddUpWhenRepeated() {
        assertEquals(List.of(1, 2, 3, 4), cl.parse("--sizes", "1:2", "--sizes=3:4").get(sizes));
        assertEquals(List.of(), cl.parse().get(sizes));
        assertEquals("--sizes: \"1,2\" is not A:B", error("--sizes", "1,2"));
    }

    @Test
    void everyMistakeIsNamed() {
        assertEquals("--port: \"abc\" is not a whole number", error("--port", "abc"));
        assertEquals("--port: 65536 is outside 0..65535", error("--port", "65536"));
        assertEquals("--port needs a value (P)", error("--port"));
        assertEquals("--port needs a value (P)", error("--port", "--quick"));
        assertEquals("--quick takes no value (got \"yes\")", error("--quick=yes"));
        assertEquals("--mode: \"c\" is not one of a, b", error("--mode", "c"));
        assertEquals("unknown option --fast", error("--fast=1"));
        assertEquals("unexpected argument \"stray\"", error("stray"));
        assertEquals("--port: -1 is outside 0..65535", error("--port", "-1"));
    }

    @Test
    void theFirstMistakeIsReportedUnlessHelpIsAsked() {
        assertEquals("unknown option --a", error("--a", "--b"));
        assertTrue(cl.parse("--a", "--port", "x", "-h").help());
    }

    @Test
    void runPrintsOneLineAndTheUsageForBadInputAndTheUsageForHelp() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8), e = new PrintStream(err, true, StandardCharsets.UTF_8);
        assertEquals(2, cl.run(new String[] {"--port", "x"}, o, e, p -> 0));
        assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("evring demo: --port: \"x\" is not a whole number\nusage: ./evring demo [options]\n"));
        assertEquals("", out.toString(StandardCharsets.UTF_8));
        err.reset();
        assertEquals(0, cl.run(new String[] {"--help"}, o, e, p -> 7));
        assertEquals(cl.usage(), out.toString(StandardCharsets.UTF_8));
        assertEquals("", err.toString(StandardCharsets.UTF_8));
        assertEquals(7, cl.run(new String[] {"--port", "1"}, o, e, p -> 7));
        assertEquals(2, cl.run(new String[0], o, e, p -> {
            throw new CommandLine.UsageException("--port and --quick do not go together");
        }));
    }

    @Test
    void theUsageListsEveryOptionAndHelp() {
        String u = cl.usage();
        assertTrue(u.startsWith("usage: ./evring demo [options]\n\nDoes a demo.\nSecond line.\n\n"), u);
        assertTrue(u.contains("  --port P   "), u);
        assertTrue(u.contains("  --mode a|b   "), u);
        assertTrue(u.contains("  -h, --help   "), u);
        assertEquals("Does a demo", new CommandLine("x", "Does a demo.").summary());
    }

    @Test
    void anOptionIsDeclaredOnceAndReadFromItsOwnCommandLine() {
        assertThrows(IllegalArgumentException.class, () -> cl.flag("--port", "again"));
        assertThrows(IllegalArgumentException.class, () -> cl.flag("--help", "ours"));
        assertThrows(IllegalArgumentException.class, () -> cl.flag("-q", "short names are not declared"));
        CommandLine other = new CommandLine("./evring other", "Other.");
        assertThrows(IllegalArgumentException.class, () -> other.parse().get(port));
    }
}
