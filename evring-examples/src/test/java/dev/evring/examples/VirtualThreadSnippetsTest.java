package dev.evring.examples;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's section on the virtual-thread servers shows their code as it is: its accept loop is verbatim in
 * {@link VirtualThreadServer}, its echo handler in {@link VirtualThreadEchoServer} (both run by
 * {@link VirtualThreadEchoServerTest}); its third, evring's blocking-sockets example, is evring-core's
 * {@code BlockingSocketsReadmeTest}'s.
 */
class VirtualThreadSnippetsTest {
    private static final Path README = Path.of("..", "README.md");
    private static final Path EXAMPLES = Path.of("src", "main", "java", "dev", "evring", "examples");

    @Test
    void theSectionsSnippetsAreVerbatimInTheServers() throws IOException {
        String readme = Files.readString(README);
        List<String> blocks = ReadmeSnippetsTest.javaBlocks(readme, "## Thread-per-connection servers on virtual threads");
        // the third, evring's blocking sockets example, is run and held to the README by evring-core's BlockingSocketsReadmeTest
        assertEquals(3, blocks.size(), "the accept loop, the echo handler and the blocking sockets example");
        List<String> sources = List.of("VirtualThreadServer.java", "VirtualThreadEchoServer.java");
        for (int i = 0; i < 2; i++) {
            String snippet = ReadmeSnippetsTest.dedent(blocks.get(i));
            String source = Files.readString(EXAMPLES.resolve(sources.get(i)));
            assertTrue(ReadmeSnippetsTest.containsIndented(source, snippet), "not verbatim in " + sources.get(i) + ":\n" + snippet);
        }
    }
}
