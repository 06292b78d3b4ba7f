package dev.evring.backend;

import java.util.Map;

/**
 * Tuning options for backends (and the layers above the loop), given through {@code EventLoop.Builder.option(key, value)} or, when the
 * builder says nothing, the system property {@code evring.<key>} (so a whole test run or benchmark can be switched
 * without code). Keys are documented where they are read.
 */
public final class BackendOptions {
    private final Map<String, String> values;

    public BackendOptions(Map<String, String> values) {
        this.values = Map.copyOf(values);
    }

    /** The keys the builder was given (system properties not included). */
    public java.util.Set<String> keys() {
        return values.keySet();
    }

    /**
     * Checks every backend option (today the {@code io_uring.*} ones) whatever backend the loop will use: a bad value
     * is a mistake even on a kernel where io_uring is unavailable.
     *
     * @throws IllegalArgumentException naming key and value
     */
    public void validate() {
        IoUringSettings.parse(this);
    }

    /** The value for {@code key}: the builder's, else the system property {@code evring.<key>}, else {@code def}. */
    public String get(String key, String def) {
        String v = values.get(key);
        if (v == null) v = System.getProperty("evring." + key);
        return v == null ? def : v.trim();
    }

    /** A boolean option: "true"/"on"/"yes"/"1" or "false"/"off"/"no"/"0"; anything else is rejected by name. */
    public boolean flag(String key, boolean def) {
        String v = get(key, null);
        if (v == null) return def;
        return switch (v.toLowerCase(java.util.Locale.ROOT)) {
            case "true", "on", "yes", "1" -> true;
            case "false", "off", "no", "0" -> false;
            default -> throw new IllegalArgumentException("option " + key + "=" + v + " is not a boolean (true/false)");
        };
    }

    /** An integer option, rejected by name when it does not parse. */
    public int integer(String key, int def) {
        String v = get(key, null);
        if (v == null) return def;
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("option " + key + "=" + v + " is not an integer");
        }
    }
}
