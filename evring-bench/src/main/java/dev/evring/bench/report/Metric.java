package dev.evring.bench.report;

/**
 * A quantity a benchmark reports: its key in driver output and CSV, how it reads in a table, its unit, and which way
 * is better.
 *
 * @param key            the token drivers print ({@code ns_per_event=123.4}) and the CSV column value
 * @param label          the table heading
 * @param unit           the unit, as shown after the value
 * @param higherIsBetter true for throughput, false for times and costs
 */
public record Metric(String key, String label, String unit, boolean higherIsBetter) {
    public Metric {
        if (key == null || key.isBlank() || key.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("metric key \"" + key + "\" must be one non-blank word");
        }
    }
}
