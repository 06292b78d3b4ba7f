package dev.evring.bench.report;

/** What a row of a benchmark table is, which decides what its ratio is measured against. */
public enum RowKind {
    /** evring itself: the rows the benchmark is about. */
    EVRING,
    /** A system a user would pick instead (libev, Netty, the JDK): the best of them is the yardstick. */
    PEER,
    /** A bound rather than a choice (the syscall floor): shown for scale, never the best peer. */
    REFERENCE
}
