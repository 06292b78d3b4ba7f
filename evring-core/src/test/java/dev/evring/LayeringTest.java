package dev.evring;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.constantpool.PoolEntry;
import java.lang.classfile.constantpool.Utf8Entry;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The layering rule of the README's Layout section, checked on the compiled classes of evring-core's main sources: a
 * layer may name only classes of the layers below it. Every reference a class file can make to another class (class
 * entries, field and method descriptors, generic signatures, annotations) sits in a UTF-8 entry of its constant pool,
 * so the test reads those with the JDK's class-file API and fails on the first one that points upward, naming the
 * class and what it named.
 *
 * <pre>
 *   net.blocking                blocking sockets on the loop      may name: net, root
 *   net                         sockets and completion I/O        may name: root, internal, uring, linux
 *   root (dev.evring), internal the loop and its seam above       may name: each other, backend, uring, linux
 *   backend                     io_uring, epoll, poll             may name: uring, linux
 *   uring                       ring mechanics                    may name: linux
 *   linux                       the kernel ABI                    may name: nothing of evring
 * </pre>
 * One exception, by design: {@link ErrnoException}, the public exception of the ABI layer too (it depends on nothing),
 * may be named from every layer.
 */
class LayeringTest {
    /** Layer of each package, and the layers each may name. */
    private static final Map<String, Set<String>> MAY_NAME = Map.of(
            "linux", Set.of(),
            "uring", Set.of("linux"),
            "backend", Set.of("uring", "linux"),
            "root", Set.of("internal", "backend", "uring", "linux"),
            "internal", Set.of("root", "backend", "uring", "linux"),
            "net", Set.of("root", "internal", "uring", "linux"),
            "net/blocking", Set.of("net", "root"));

    private static final String ERRNO_EXCEPTION = "dev/evring/ErrnoException";
    private static final Pattern REFERENCE = Pattern.compile("dev/evring/([A-Za-z0-9_$/]+)");

    static String layerOf(String internalName) {
        String rest = internalName.substring("dev/evring/".length());
        int slash = rest.lastIndexOf('/');
        if (slash < 0) return "root";
        String pkg = rest.substring(0, slash);
        if (!MAY_NAME.containsKey(pkg)) throw new AssertionError("package dev.evring." + pkg + " has no layer in LayeringTest: give it one");
        return pkg;
    }

    static Path mainClasses() throws URISyntaxException {
        return Path.of(EventLoop.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    /** Every upward reference in {@code classFile}, as "class -> named class". */
    static List<String> violations(byte[] classFile) {
        ClassModel model = ClassFile.of().parse(classFile);
        String self = model.thisClass().asInternalName();
        String from = layerOf(self);
        Set<String> named = new TreeSet<>();
        for (PoolEntry e : model.constantPool()) {
            if (!(e instanceof Utf8Entry u)) continue;
            Matcher m = REFERENCE.matcher(u.stringValue());
            while (m.find()) named.add("dev/evring/" + m.group(1));
        }
        List<String> bad = new ArrayList<>();
        for (String n : named) {
            if (n.equals(ERRNO_EXCEPTION) || n.startsWith(ERRNO_EXCEPTION + "$")) continue;
            String to = layerOf(n);
            if (!to.equals(from) && !MAY_NAME.get(from).contains(to)) {
                bad.add(self.replace('/', '.') + " (" + from + ") names " + n.replace('/', '.') + " (" + to + ")");
            }
        }
        return bad;
    }

    @Test
    void noLayerNamesALayerAboveIt() throws Exception {
        Path root = mainClasses();
        List<String> bad = new ArrayList<>();
        int classes = 0;
        try (Stream<Path> files = Files.walk(root.resolve("dev/evring"))) {
            for (Path p : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".class"))::iterator) {
                classes++;
                bad.addAll(violations(Files.readAllBytes(p)));
            }
        }
        assertTrue(classes > 50, "found only " + classes + " classes under " + root);
        assertEquals(List.of(), bad, "upward references (see the layering rule in README's Layout section)");
    }

    @Test
    void theCheckSeesAnUpwardReference() throws IOException, URISyntaxException {
        // the check itself must be able to fail: a class of the ABI layer naming the loop
        byte[] bytes = ClassFile.of().build(java.lang.constant.ClassDesc.of("dev.evring.linux.Probe"), cb ->
                cb.withField("loop", java.lang.constant.ClassDesc.of("dev.evring.EventLoop"), 0));
        List<String> bad = violations(bytes);
        assertFalse(bad.isEmpty(), "a linux class naming EventLoop was not caught");
        assertTrue(bad.get(0).contains("dev.evring.EventLoop"), bad.toString());
    }
}
