package dev.evring.bench;

import dev.evring.examples.EchoServer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.constantpool.PoolEntry;
import java.lang.classfile.constantpool.Utf8Entry;
import java.net.URISyntaxException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The benchmarks, the tool and the examples use evring as its users do: only the exported packages ({@code dev.evring},
 * {@code dev.evring.net}). On the class path the others are visible too, so the compiler does not stop an import of
 * them; this test does, by reading every compiled class's constant pool (class references, descriptors, signatures,
 * strings) for a name in {@code linux}, {@code uring}, {@code backend} or {@code internal}.
 */
class PublicApiOnlyTest {
    private static final Pattern NOT_EXPORTED = Pattern.compile("dev[/.]evring[/.](linux|uring|backend|internal)[/.]");

    @Test
    void benchmarksToolAndExamplesReferenceOnlyExportedPackages() throws Exception {
        List<String> found = new ArrayList<>();
        int classes = 0;
        for (Class<?> c : List.of(Main.class, EchoServer.class)) {
            for (Path file : classFiles(c)) {
                classes++;
                for (PoolEntry e : ClassFile.of().parse(Files.readAllBytes(file)).constantPool()) {
                    if (e instanceof Utf8Entry u && NOT_EXPORTED.matcher(u.stringValue()).find()) {
                        found.add(file.getFileName() + " -> " + u.stringValue());
                    }
                }
            }
        }
        assertTrue(classes > 20, "found only " + classes + " classes to check");
        assertEquals(List.of(), found, "use the public API (dev.evring, dev.evring.net) or the bench's own FFM calls");
    }

    /** Every .class file of the module {@code c} was loaded from (a classes folder or a jar). */
    private static List<Path> classFiles(Class<?> c) throws IOException, URISyntaxException {
        Path root = Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
        if (Files.isDirectory(root)) return list(root);
        FileSystem jar = FileSystems.newFileSystem(root);
        return list(jar.getPath("/"));
    }

    private static List<Path> list(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(p -> p.toString().endsWith(".class")).toList();
        }
    }
}
