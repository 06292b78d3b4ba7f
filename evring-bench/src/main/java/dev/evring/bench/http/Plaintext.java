package dev.evring.bench.http;

import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The TechEmpower plaintext test, which every row of the http benchmark serves: {@code GET /plaintext} answered
 * {@code 200} with the body {@code Hello, World!}, {@code Content-Type: text/plain}, {@code Content-Length: 13}, a
 * {@code Server} and a {@code Date} header, on keep-alive connections, pipelined requests answered in order.
 */
public final class Plaintext {
    private Plaintext() {}

    public static final String PATH = "/plaintext";
    public static final String BODY_TEXT = "Hello, World!";
    public static final byte[] BODY = BODY_TEXT.getBytes(StandardCharsets.US_ASCII);
    public static final String CONTENT_TYPE = "text/plain";

    /** HTTP's date format (RFC 9110's IMF-fixdate: two-digit day, GMT). */
    private static final DateTimeFormatter IMF_FIXDATE = DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US);

    private record Stamp(long second, String text) {}

    private static volatile Stamp stamp = new Stamp(-1, "");

    /**
     * The {@code Date} header's value now, formatted once a second whoever asks (servers cache it so, as TechEmpower
     * allows). Safe from any thread.
     */
    public static String date() {
        long now = System.currentTimeMillis() / 1000;
        Stamp s = stamp;
        if (s.second != now) {
            s = new Stamp(now, IMF_FIXDATE.format(ZonedDateTime.ofInstant(java.time.Instant.ofEpochSecond(now), ZoneOffset.UTC)));
            stamp = s;
        }
        return s.text;
    }
}
