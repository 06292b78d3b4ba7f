package dev.evring;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the README example tests share: running an example with its standard output captured, and checking that the
 * README shows the lines between a test source's {@code // README:begin} and {@code // README:end} markers verbatim
 * (less the method body's 8 columns of indentation) as a java block.
 */
public final class ReadmeExample {
    private ReadmeExample() {}

    /** Code that may throw. */
    @FunctionalInterface
    public interface Body {
        void run() throws Exception;
    }

    /** Runs {@code example} and returns the lines it printed to {@link System#out}. */
    public static List<String> printedBy(Body example) throws Exception {
        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            example.run();
        } finally {
            System.setOut(out);
        }
        return captured.toString(StandardCharsets.UTF_8).lines().toList();
    }

    /** Fails unless README.md shows the marked block of {@code testSource} (a path from the project root) verbatim. */
    public static void assertReadmeShows(String testSource, String what) throws IOException {
        Path root = Path.of("").toAbsolutePath();
        while (root != null && !Files.exists(root.resolve("README.md"))) root = root.getParent();
        assertTrue(root != null, "README.md not found above " + Path.of("").toAbsolutePath());
        String source = Files.readString(root.resolve(testSource));
        String block = source.substring(source.indexOf("// README:begin\n") + "// README:begin\n".length(),
                source.indexOf("        // README:end"));
        String expected = block.lines().map(l -> l.length() >= 8 ? l.substring(8) : l.strip()).reduce((a, b) -> a + "\n" + b).orElseThrow();
        String readme = Files.readString(root.resolve("README.md"));
        assertTrue(readme.contains("```java\n" + expected + "\n```"), "README.md's " + what + " differs from the test's:\n" + expected);
    }
}
