package dev.evring.examples;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every complete code snippet of the README's socket section and its quick start is an excerpt, verbatim, of an
 * example that a test runs ({@link EchoExamplesTest}, {@link HttpExamplesTest}, {@link QuickStartTest}), so a snippet
 * cannot drift from code that is known to work. Skeletons that say {@code ...} are exempt. (The loop group and
 * virtual-thread sections have tests of their own: LoopGroupReadmeTest, VirtualThreadSnippetsTest.)
 */
class ReadmeSnippetsTest {
    private static final Path README = Path.of("..", "README.md");
    private static final Path EXAMPLES = Path.of("src", "main", "java", "dev", "evring", "examples");

    /** The java blocks between the heading {@code from} and the next heading of the same level. */
    static List<String> javaBlocks(String readme, String from) {
        int start = readme.indexOf("\n" + from + "\n");
        assertTrue(start >= 0, "README has no section " + from);
        int end = readme.indexOf("\n## ", start + from.length() + 2);
        String section = readme.substring(start, end < 0 ? readme.length() : end);
        List<String> blocks = new ArrayList<>();
        int i = 0;
        while ((i = section.indexOf("```java\n", i)) >= 0) {
            int j = section.indexOf("\n```", i);
            blocks.add(section.substring(i + 8, j + 1));
            i = j + 4;
        }
        return blocks;
    }

    /** Lines without their common indentation. */
    static String dedent(String text) {
        List<String> lines = text.lines().toList();
        int common = Integer.MAX_VALUE;
        for (String l : lines) {
            if (l.isBlank()) continue;
            int k = 0;
            while (k < l.length() && l.charAt(k) == ' ') k++;
            common = Math.min(common, k);
        }
        StringBuilder b = new StringBuilder();
        for (String l : lines) b.append(l.isBlank() ? "" : l.substring(common)).append('\n');
        return b.toString();
    }

    /** Whether {@code src} holds {@code snippet}'s lines in a row, all indented by the same amount. */
    static boolean containsIndented(String src, String snippet) {
        String[] want = snippet.split("\n");
        String[] lines = src.split("\n", -1);
        for (int i = 0; i + want.length <= lines.length; i++) {
            String first = lines[i];
            int indent = first.length() - first.stripLeading().length();
            boolean all = true;
            for (int k = 0; k < want.length && all; k++) {
                String l = lines[i + k];
                String got = l.isBlank() ? "" : l.length() >= indent && l.substring(0, indent).isBlank() ? l.substring(indent) : null;
                all = want[k].equals(got);
            }
            if (all) return true;
        }
        return false;
    }

    @Test
    void everyCompleteSocketSnippetIsVerbatimInAnExample() throws IOException {
        assertTrue(checkSection("## Sockets and completion I/O") >= 3, "the echo servers' and the HTTP server's snippets");
    }

    @Test
    void theQuickStartIsVerbatimInItsExample() throws IOException {
        assertTrue(checkSection("## Quick start") == 1, "the quick start's one snippet");
    }

    /** Checks every complete java snippet of a README section against the examples; returns how many it checked. */
    static int checkSection(String heading) throws IOException {
        String readme = Files.readString(README);
        List<String> sources = new ArrayList<>();
        try (var files = Files.list(EXAMPLES)) {
            for (Path p : files.toList()) sources.add(Files.readString(p));
        }
        List<String> blocks = javaBlocks(readme, heading);
        assertFalse(blocks.isEmpty(), "the section " + heading + " has snippets");
        int checked = 0;
        for (String block : blocks) {
            if (block.contains("...")) continue; // a skeleton
            String snippet = dedent(block);
            boolean found = false;
            for (String src : sources) found |= containsIndented(src, snippet);
            assertTrue(found, "this README snippet is not verbatim in any example:\n" + snippet);
            checked++;
        }
        return checked;
    }
}
