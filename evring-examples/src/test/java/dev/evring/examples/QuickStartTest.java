package dev.evring.examples;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's quick start runs: it ticks three times and the async send from another thread ends it. */
class QuickStartTest {
    @Test
    void quickStartTicksAndEndsOnTheCrossThreadSend() {
        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        long t0 = System.nanoTime();
        try {
            QuickStart.main(new String[0]);
        } finally {
            System.setOut(out);
        }
        String text = captured.toString(StandardCharsets.UTF_8);
        long ticks = text.lines().filter(l -> l.startsWith("tick at ")).count();
        assertTrue(text.startsWith("running on "), text);
        assertTrue(ticks == 3, "expected 3 ticks in 3.5 s, got " + ticks + ":\n" + text);
        assertTrue(System.nanoTime() - t0 < 20_000_000_000L, "the send did not end the loop");
    }
}
