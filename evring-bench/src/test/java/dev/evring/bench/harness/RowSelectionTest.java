package dev.evring.bench.harness;

import dev.evring.bench.BenchOptions;
import dev.evring.bench.report.RowKind;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code --rows}: words pick rows, {@code [key=value,...]} entries add variants of evring rows run with evring options. */
class RowSelectionTest {
    private static final List<ServerRow> ROWS = List.of(
            row("evring io_uring (completion)", RowKind.EVRING), row("evring epoll (completion)", RowKind.EVRING),
            row("evring epoll (readiness)", RowKind.EVRING), row("Netty 4.2 io_uring", RowKind.PEER), row("JDK NIO Selector", RowKind.PEER));

    /** A row whose command is its JVM options then its name, so a test can see what a launch gets. */
    private static ServerRow row(String name, RowKind kind) {
        return new ServerRow(name, kind, launch -> {
            List<String> cmd = new java.util.ArrayList<>(launch.systemProperties());
            cmd.add(name);
            return cmd;
        }, null, ServerRow.LISTENING);
    }

    private static List<String> names(RowSelection s) {
        return s.select(ROWS, ServerRow::name, ServerRow::kind, ServerRow::withOptions).stream().map(ServerRow::name).toList();
    }

    private static RowSelection rows(String... values) {
        BenchOptions o = BenchOptions.parse(java.util.stream.Stream.of(values).flatMap(v -> java.util.stream.Stream.of("--rows", v))
                .toArray(String[]::new), Path.of("/tmp"));
        return o.rows();
    }

    @Test
    void withoutRowsEveryRowRunsAndNoVariant() {
        assertEquals(ROWS.stream().map(ServerRow::name).toList(), names(rows()));
    }

    @Test
    void wordsPickRowsByCaseInsensitiveSubstring() {
        assertEquals(List.of("evring epoll (completion)", "evring epoll (readiness)", "JDK NIO Selector"), names(rows("EPOLL,nio")));
    }

    @Test
    void anEntryOfSeveralWordsPicksTheRowsThatHaveThemAll() {
        assertEquals(List.of("evring io_uring (completion)"), names(rows("io_uring completion")));
        assertEquals(List.of("evring epoll (completion)", "evring epoll (readiness)"), names(rows("evring epoll")));
    }

    @Test
    void aVariantRunsBesideItsBaseRowWithItsOptionsAsSystemProperties() {
        RowSelection s = rows("io_uring completion [net.buffer_ring=false, net.multishot_recv=false]");
        List<ServerRow> picked = s.select(ROWS, ServerRow::name, ServerRow::kind, ServerRow::withOptions);
        assertEquals(List.of("evring io_uring (completion)", "evring io_uring (completion) [net.buffer_ring=false, net.multishot_recv=false]"),
                picked.stream().map(ServerRow::name).toList());
        assertEquals(List.of("evring io_uring (completion)"), picked.get(0).command().apply(new ServerRow.Launch(1, 1)));
        assertEquals(List.of("-Devring.net.buffer_ring=false", "-Devring.net.multishot_recv=false",
                "evring io_uring (completion)"), picked.get(1).command().apply(new ServerRow.Launch(1, 1)));
    }

    @Test
    void baseWordsAreWholeWordsAndNeverPickAPeer() {
        // "io_uring" alone names evring's io_uring row and Netty's; only evring's gets a variant
        assertEquals(List.of("evring io_uring (completion)", "evring io_uring (completion) [io_uring.sq_entries=64]"),
                names(rows("io_uring [io_uring.sq_entries=64]")));
        // no base words: every evring row
        assertEquals(List.of("evring io_uring (completion)", "evring io_uring (completion) [net.completion=readiness]",
                        "evring epoll (completion)", "evring epoll (completion) [net.completion=readiness]",
                        "evring epoll (readiness)", "evring epoll (readiness) [net.completion=readiness]"),
                names(rows("[evring.net.completion=readiness]")));
        assertFalse(new RowSelection.Variant(List.of("comp"), Map.of("a", "b")).appliesTo("evring io_uring (completion)", RowKind.EVRING));
    }

    @Test
    void wordsVariantsAndRepeatedOptionsAddUp() {
        RowSelection s = rows("netty", "epoll readiness [io_uring.poll=multishot],nio");
        assertEquals(List.of("netty", "nio"), s.words());
        assertEquals(1, s.variants().size());
        assertEquals(List.of("evring epoll (readiness)", "evring epoll (readiness) [io_uring.poll=multishot]", "Netty 4.2 io_uring",
                "JDK NIO Selector"), names(s));
    }

    @Test
    void aVariantThatAppliesToNoRowIsToldApart() {
        RowSelection s = rows("poll readiness [x=y]");
        assertEquals(1, s.unmatched(ROWS, ServerRow::name, ServerRow::kind).size());
        assertTrue(rows("epoll [x=y]").unmatched(ROWS, ServerRow::name, ServerRow::kind).isEmpty());
    }

    @Test
    void badEntriesAreRefusedNamingThem() {
        for (String bad : List.of("io_uring [net.buffer_ring]", "io_uring [=x]", "io_uring [a=b", "io_uring a=b]", "x [a=b] y",
                "[a=b,a=c]", "[a b=c]", "[a=b c]")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> rows(bad), bad);
            assertTrue(e.getMessage().startsWith("--rows: "), e.getMessage());
        }
        assertTrue(assertThrows(IllegalArgumentException.class, () -> rows("io_uring [net.buffer_ring]")).getMessage()
                .contains("\"net.buffer_ring\""));
    }
}
