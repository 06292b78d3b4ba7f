package dev.evring.linux;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The socket-layer constants (families, types, options, message flags, protocol numbers, resource limits) against the
 * C headers: a generated C program prints every one the headers define as a macro, and each must equal ours. Names
 * the headers do not define (our own, such as SUN_PATH_MAX) are skipped.
 */
class SocketConstantsTest {
    private static final List<Class<?>> CLASSES = List.of(SysSocket.class, NetinetIn.class, NetinetTcp.class,
            SysUn.class, Resource.class);

    @Test
    void constantsMatchTheCHeaders(@TempDir Path dir) throws Exception {
        assumeTrue(AbiLayoutTest.gccAvailable(), "gcc not found on PATH: the constants check needs it (apt-get install gcc)");
        Map<String, Long> ours = new LinkedHashMap<>();
        StringBuilder src = new StringBuilder("#define _GNU_SOURCE\n#include <stdio.h>\n");
        for (Class<?> c : CLASSES) {
            for (String h : ((String) c.getField("HEADER").get(null)).split("\\s+")) src.append("#include <").append(h).append(">\n");
            for (Field f : c.getDeclaredFields()) {
                int m = f.getModifiers();
                if (!Modifier.isStatic(m) || !Modifier.isPublic(m) || f.getType() != int.class) continue;
                if (!f.getName().matches("[A-Z][A-Z0-9_]+")) continue;
                ours.put(f.getName(), (long) f.getInt(null));
            }
        }
        src.append("int main(void) {\n");
        for (String name : ours.keySet()) {
            src.append("#ifdef ").append(name).append("\n    printf(\"").append(name).append(" %ld\\n\", (long) (")
                    .append(name).append("));\n#else\n    printf(\"").append(name).append(" -\\n\");\n#endif\n");
        }
        src.append("    return 0;\n}\n");
        Path c = dir.resolve("consts.c");
        Path exe = dir.resolve("consts");
        Files.writeString(c, src);
        Process cc = new ProcessBuilder("gcc", "-o", exe.toString(), c.toString()).redirectErrorStream(true).start();
        String ccOut = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        cc.waitFor(60, TimeUnit.SECONDS);
        assertTrue(Files.exists(exe), "gcc failed:\n" + ccOut);
        Process run = new ProcessBuilder(exe.toString()).redirectErrorStream(true).start();
        List<String> lines = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        run.waitFor(30, TimeUnit.SECONDS);
        List<String> mismatches = new ArrayList<>();
        int checked = 0;
        for (String line : lines) {
            String[] p = line.split(" ");
            if (p[1].equals("-")) continue;
            checked++;
            long theirs = Long.parseLong(p[1]);
            if (theirs != ours.get(p[0])) mismatches.add(p[0] + ": C says " + theirs + ", we say " + ours.get(p[0]));
        }
        assertTrue(checked >= 30, "only " + checked + " constants were defined as macros: is the scan broken?");
        assertEquals(List.of(), mismatches);
    }
}
