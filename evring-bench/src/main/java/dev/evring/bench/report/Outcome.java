package dev.evring.bench.report;

/** How a case ended for one row. Only {@link #OK} carries figures; the others carry the reason in the note. */
public enum Outcome {
    OK("ok"),
    /** Not run here, for a reason the user can act on ("install libev-dev"). */
    SKIPPED("skipped"),
    /** The implementation under test died (a signal, a JVM crash): reported, never hidden. */
    CRASHED("crashed"),
    /** It ran but did not finish or produced no figures (hung, exit status, bad output). */
    FAILED("failed");

    private final String word;

    Outcome(String word) {
        this.word = word;
    }

    /** The lower-case word used in tables and CSV. */
    public String word() {
        return word;
    }
}
