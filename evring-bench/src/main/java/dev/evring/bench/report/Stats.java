package dev.evring.bench.report;

import java.util.Arrays;

/** Median and noise (min-max) of the repeats of one case. */
public record Stats(double median, double min, double max, int count) {
    /** Summarises {@code samples}; an empty array gives NaNs and a count of 0. */
    public static Stats of(double[] samples) {
        if (samples.length == 0) return new Stats(Double.NaN, Double.NaN, Double.NaN, 0);
        double[] s = samples.clone();
        Arrays.sort(s);
        int n = s.length;
        double median = (n % 2 == 1) ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
        return new Stats(median, s[0], s[n - 1], n);
    }
}
