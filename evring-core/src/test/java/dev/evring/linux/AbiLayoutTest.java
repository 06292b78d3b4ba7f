package dev.evring.linux;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.PaddingLayout;
import java.lang.foreign.StructLayout;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
^ * Every public struct layout declared in {@code dev.evring.linux} against the C compiler's view of the same struct: a C
 * program generated from our layouts prints {@code sizeof} and {@code offsetof} of every named field, and each must
 * equal what the layout says. A layout names its C type ({@code withName("struct epoll_event")}); its class names the
 * headers to include in a {@code HEADER} constant (space-separated). Unnamed groups are C's anonymous unions and
 * structs: their members are checked as members of the enclosing struct.
 */
class AbiLayoutTest {

    record Check(String expression, long expected) {}

    @Test
    void structLayoutsMatchTheCCompiler(@TempDir Path dir) throws Exception {
        assumeTrue(gccAvailable(), "gcc not found on PATH: the ABI layout check needs it (apt-get install gcc)");
        Set<String> headers = new LinkedHashSet<>(List.of("stddef.h", "stdio.h"));
        List<Check> checks = new ArrayList<>();
        Map<String, String> seen = new LinkedHashMap<>();
        for (Class<?> c : linuxClasses()) {
            String header = headerOf(c);
            for (Field f : c.getDeclaredFields()) {
                if (!Modifier.isStatic(f.getModifiers()) || !Modifier.isPublic(f.getModifiers()) || !StructLayout.class.isAssignableFrom(f.getType())) continue;
                f.setAccessible(true);
                StructLayout layout = (StructLayout) f.get(null);
                String type = layout.name().orElseThrow(() -> new AssertionError(
                        c.getSimpleName() + "." + f.getName() + " has no C type name (withName(\"struct ...\"))"));
                assertTrue(header != null, c.getSimpleName() + " declares struct " + type + " but no HEADER to include");
                headers.addAll(List.of(header.split("\\s+")));
                if (seen.putIfAbsent(type, c.getSimpleName() + "." + f.getName()) != null) continue;
                checks.add(new Check("sizeof(" + type + ")", layout.byteSize()));
                addFields(checks, type, "", layout, 0);
            }
        }
        assertTrue(checks.size() > 10, "found only " + checks.size() + " checks: is the layout scan broken?");

        Path c = dir.resolve("abi.c");
        Path exe = dir.resolve("abi");
        String src = program(headers, checks);
        Files.writeString(c, src);
        String compile = run(List.of("gcc", "-std=gnu11", "-o", exe.toString(), c.toString()));
        if (!Files.exists(exe)) {
            // A struct newer than this machine's kernel headers (e.g. io_uring_buf_status, 6.8) cannot be checked
            // here: its checks are left out, named on stderr; any other compile error still fails the test.
            Set<String> missing = new TreeSet<>();
            Matcher m = INCOMPLETE.matcher(compile);
            while (m.find()) missing.add("struct " + m.group(1));
            assertFalse(missing.isEmpty(), "gcc failed:\n" + compile + "\n" + src);
            System.err.println("AbiLayoutTest: not in this machine's headers, not checked: " + missing);
            checks.removeIf(ch -> missing.stream().anyMatch(t -> ch.expression().contains("(" + t + ")")
                    || ch.expression().contains("(" + t + ",")));
            src = program(headers, checks);
            Files.writeString(c, src);
            compile = run(List.of("gcc", "-std=gnu11", "-o", exe.toString(), c.toString()));
            assertTrue(Files.exists(exe), "gcc failed:\n" + compile + "\n" + src);
        }
        List<String> out = run(List.of(exe.toString())).lines().toList();
        assertEquals(checks.size(), out.size(), "one line per check");
        List<String> mismatches = new ArrayList<>();
        for (int i = 0; i < checks.size(); i++) {
            long actual = Long.parseLong(out.get(i).trim());
            if (actual != checks.get(i).expected()) {
                mismatches.add(checks.get(i).expression() + ": C says " + actual + ", our layout " + checks.get(i).expected());
            }
        }
        assertEquals(List.of(), mismatches, "layouts that disagree with " + String.join(", ", headers));
    }

    /** gcc's words for a struct its headers do not define. */
    private static final Pattern INCOMPLETE = Pattern.compile("(?:incomplete|undefined) type .struct (\\w+).");

    private static String program(Set<String> headers, List<Check> checks) {
        StringBuilder src = new StringBuilder("#define _GNU_SOURCE\n");
        for (String h : headers) src.append("#include <").append(h).append(">\n");
        src.append("int main(void) {\n");
        for (Check ch : checks) src.append("    printf(\"%zu\\n\", (size_t) ").append(ch.expression()).append(");\n");
        src.append("    return 0;\n}\n");
        return src.toString();
    }

    private static void addFields(List<Check> checks, String type, String prefix, GroupLayout group, long base) {
        for (MemoryLayout m : group.memberLayouts()) {
            long off = base + group.byteOffset(MemoryLayout.PathElement.groupElement(group.memberLayouts().indexOf(m)));
            if (m instanceof PaddingLayout) continue;
            if (m.name().isEmpty()) {
                if (m instanceof GroupLayout g) addFields(checks, type, prefix, g, off); // anonymous union/struct
                continue;
            }
            String member = prefix + m.name().get();
            checks.add(new Check("offsetof(" + type + ", " + member + ")", off));
            if (m instanceof GroupLayout g) addFields(checks, type, member + ".", g, off);
        }
    }

    private static String headerOf(Class<?> c) throws IllegalAccessException {
        try {
            Field h = c.getDeclaredField("HEADER");
            return (String) h.get(null);
        } catch (NoSuchFieldException e) {
            return null;
        }
    }

    private static List<Class<?>> linuxClasses() throws URISyntaxException, IOException, ClassNotFoundException {
        Path root = Path.of(Libc.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path pkg = root.resolve("dev/evring/linux");
        List<Class<?>> out = new ArrayList<>();
        try (var files = Files.list(pkg)) {
            for (Path p : files.sorted().toList()) {
                String name = p.getFileName().toString();
                if (!name.endsWith(".class") || name.contains("$")) continue;
                out.add(Class.forName("dev.evring.linux." + name.substring(0, name.length() - 6)));
            }
        }
        return out;
    }

    static boolean gccAvailable() {
        try {
            Process p = new ProcessBuilder("gcc", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    private static String run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(60, TimeUnit.SECONDS);
        return out;
    }
}
