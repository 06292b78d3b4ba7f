package dev.evring.examples;

import dev.evring.EventLoop;

import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The HTTP/1.1 both HTTP examples speak (TechEmpower's plaintext and JSON tests): a parser that looks at a request in
 * place, wherever its bytes are ({@link Bytes}: the socket's {@code Inbound}, or a byte array), and the answers,
 * written into an array. Keep-alive and pipelining (requests are answered in order, as they complete), a body by
 * Content-Length, and a 400 for anything malformed, after which the connection closes. No allocation per request:
 * the Date header is formatted once a second by a loop timer.
 */
public final class Http {
    /** What the parser reads: the socket's {@code Inbound} or an array, by index. */
    public interface Bytes {
        int length();

        byte get(int index);
    }

    /** {@link #parse}: the request is not complete yet. */
    public static final int MORE = 0;
    /** {@link #parse}: the request is malformed: answer {@link #badRequest} and close. */
    public static final int BAD = -1;
    /** A request line and its headers may take at most this many bytes. */
    static final int MAX_HEAD = 8192;
    /** The longest request body taken (the Net's accumulation limit, 1 MiB by default, holds head and body). */
    static final int MAX_BODY = 512 * 1024;

    /** The route of the request parsed last. */
    static final int PLAINTEXT = 1;
    static final int JSON = 2;
    static final int NOT_FOUND = 3;

    private static final byte[] PLAINTEXT_PATH = ascii("/plaintext");
    private static final byte[] JSON_PATH = ascii("/json");
    private static final byte[] HTTP_1 = ascii("HTTP/1.");
    private static final byte[] CONTENT_LENGTH = ascii("content-length");
    private static final byte[] CONNECTION = ascii("connection");
    private static final byte[] TRANSFER_ENCODING = ascii("transfer-encoding");
    private static final byte[] CLOSE = ascii("close");
    private static final byte[] KEEP_ALIVE = ascii("keep-alive");
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US);

    /** The route of the last request {@link #parse} completed, and whether the connection stays open after it. */
    int route;
    boolean keepAlive;
    /** The Date header's value (29 bytes), rewritten in place every second. */
    private final byte[] date = new byte[29];

    /** The protocol for the servers of one loop: starts the timer that keeps the Date header current. */
    public Http(EventLoop loop) {
        updateDate();
        loop.unref(); // the clock alone does not keep the loop running
        loop.timer(1_000_000_000L, 1_000_000_000L, (w, ev) -> updateDate()).start();
    }

    private void updateDate() {
        byte[] d = ascii(DATE.format(ZonedDateTime.now(ZoneOffset.UTC)));
        System.arraycopy(d, 0, date, 0, date.length);
    }

    /**
     * Parses the request that starts at {@code from}: the index just past it when it is complete (its route and
     * keep-alive are then in {@link #route}, {@link #keepAlive}), {@link #MORE} when its bytes are not all there yet,
     * {@link #BAD} when it is malformed.
     */
    public int parse(Bytes in, int from) {
        int n = in.length();
        int sp1 = -1;
        int sp2 = -1;
        int i = from;
        for (; i < n && in.get(i) != '\r'; i++) { // the request line: METHOD SP target SP HTTP/1.x CRLF
            byte b = in.get(i);
            if (b == ' ') {
                if (sp1 < 0) sp1 = i;
                else if (sp2 < 0) sp2 = i;
                else return BAD;
            } else if (b == '\n' || (sp1 < 0 && (b < 'A' || b > 'Z'))) {
                return BAD;
            }
            if (i - from > MAX_HEAD) return BAD;
        }
        if (i + 1 >= n) return i - from > MAX_HEAD ? BAD : MORE;
        if (in.get(i + 1) != '\n' || sp1 <= from || sp2 < 0 || in.get(sp1 + 1) != '/' || i - sp2 != 9
                || !matches(in, sp2 + 1, HTTP_1) || (in.get(sp2 + 8) != '1' && in.get(sp2 + 8) != '0')) {
            return BAD;
        }
        route = matches(in, sp1 + 1, PLAINTEXT_PATH) && sp2 == sp1 + 1 + PLAINTEXT_PATH.length ? PLAINTEXT
                : matches(in, sp1 + 1, JSON_PATH) && sp2 == sp1 + 1 + JSON_PATH.length ? JSON : NOT_FOUND;
        keepAlive = in.get(sp2 + 8) == '1';
        long body = 0;
        int line = i + 2;
        while (true) { // header lines until an empty one
            int end = line;
            while (end < n && in.get(end) != '\r') {
                if (in.get(end) == '\n') return BAD;
                end++;
            }
            if (end + 1 >= n) return end - from > MAX_HEAD ? BAD : MORE;
            if (in.get(end + 1) != '\n') return BAD;
            if (end == line) {
                line = end + 2;
                break;
            }
            int colon = line;
            while (colon < end && in.get(colon) != ':') {
                byte b = in.get(colon);
                if (b <= ' ' || b >= 127) return BAD; // a header name is a token: no space before the colon
                colon++;
            }
            if (colon == line || colon == end) return BAD;
            int v = colon + 1;
            while (v < end && (in.get(v) == ' ' || in.get(v) == '\t')) v++;
            int ve = end;
            while (ve > v && (in.get(ve - 1) == ' ' || in.get(ve - 1) == '\t')) ve--;
            int name = colon - line;
            if (name == CONTENT_LENGTH.length && matchesIgnoreCase(in, line, CONTENT_LENGTH)) {
                if (v == ve) return BAD;
                body = 0;
                for (int k = v; k < ve; k++) {
                    byte b = in.get(k);
                    if (b < '0' || b > '9' || body > MAX_BODY) return BAD; // digits, and not too long

                    body = body * 10 + (b - '0');
                }
            } else if (name == CONNECTION.length && matchesIgnoreCase(in, line, CONNECTION)) {
                if (ve - v == CLOSE.length && matchesIgnoreCase(in, v, CLOSE)) keepAlive = false;
                else if (ve - v == KEEP_ALIVE.length && matchesIgnoreCase(in, v, KEEP_ALIVE)) keepAlive = true;
            } else if (name == TRANSFER_ENCODING.length && matchesIgnoreCase(in, line, TRANSFER_ENCODING)) {
                return BAD; // chunked request bodies are not spoken here
            }
            line = end + 2;
            if (line - from > MAX_HEAD) return BAD;
        }
        if (body > MAX_BODY) return BAD;
        return n - line >= body ? line + (int) body : MORE;
    }

    private static boolean matches(Bytes in, int at, byte[] s) {
        if (at + s.length > in.length()) return false;
        for (int k = 0; k < s.length; k++) if (in.get(at + k) != s[k]) return false;
        return true;
    }

    private static boolean matchesIgnoreCase(Bytes in, int at, byte[] lower) {
        for (int k = 0; k < lower.length; k++) {
            byte b = in.get(at + k);
            if (b >= 'A' && b <= 'Z') b += 'a' - 'A';
            if (b != lower[k]) return false;
        }
        return true;
    }

    // ------------------------------------------------------------------------------------------------------------
    // answers

    private static final byte[] OK = ascii("HTTP/1.1 200 OK\r\nServer: evring\r\nDate: ");
    private static final byte[] TEXT = ascii("\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n");
    private static final byte[] HELLO = ascii("Hello, World!");
    private static final byte[] JSON_TYPE = ascii("\r\nContent-Type: application/json\r\nContent-Length: ");
    private static final byte[] MISSING = ascii("HTTP/1.1 404 Not Found\r\nServer: evring\r\nDate: ");
    private static final byte[] MALFORMED = ascii("HTTP/1.1 400 Bad Request\r\nServer: evring\r\nDate: ");
    private static final byte[] EMPTY = ascii("\r\nContent-Length: 0\r\n");
    private static final byte[] CLOSING = ascii("Connection: close\r\n");
    private static final byte[] CRLF = ascii("\r\n");

    /** The most bytes one answer takes. */
    public static final int MAX_ANSWER = 256;

    /** Writes the answer to the request {@link #parse} completed last into {@code dst} at {@code at}; returns the end. */
    public int answer(byte[] dst, int at) {
        if (route == PLAINTEXT) {
            at = head(dst, at, OK, TEXT);
            return put(dst, at, HELLO);
        }
        if (route == JSON) {
            at = put(dst, at, OK);
            at = put(dst, at, date);
            at = put(dst, at, JSON_TYPE);
            int body = jsonLength("Hello, World!");
            at = digits(dst, at, body);
            at = put(dst, at, CRLF);
            if (!keepAlive) at = put(dst, at, CLOSING);
            at = put(dst, at, CRLF);
            return json(dst, at, "Hello, World!");
        }
        return head(dst, at, MISSING, EMPTY);
    }

    /** Writes the 400 answer (the connection closes after it) into {@code dst} at {@code at}; returns the end. */
    public int badRequest(byte[] dst, int at) {
        keepAlive = false;
        return head(dst, at, MALFORMED, EMPTY);
    }

    private int head(byte[] dst, int at, byte[] status, byte[] headers) {
        at = put(dst, at, status);
        at = put(dst, at, date);
        at = put(dst, at, headers);
        if (!keepAlive) at = put(dst, at, CLOSING);
        return put(dst, at, CRLF);
    }

    /** {@code {"message":"<text>"}}, serialized per answer as TechEmpower asks (the text needs no escapes here). */
    private static int json(byte[] dst, int at, String message) {
        at = put(dst, at, JSON_OPEN);
        for (int k = 0; k < message.length(); k++) dst[at++] = (byte) message.charAt(k);
        return put(dst, at, JSON_CLOSE);
    }

    private static final byte[] JSON_OPEN = ascii("{\"message\":\"");
    private static final byte[] JSON_CLOSE = ascii("\"}");

    private static int jsonLength(String message) {
        return JSON_OPEN.length + message.length() + JSON_CLOSE.length;
    }

    private static int digits(byte[] dst, int at, int v) {
        int start = at;
        do {
            dst[at++] = (byte) ('0' + v % 10);
            v /= 10;
        } while (v > 0);
        for (int a = start, b = at - 1; a < b; a++, b--) {
            byte t = dst[a];
            dst[a] = dst[b];
            dst[b] = t;
        }
        return at;
    }

    private static int put(byte[] dst, int at, byte[] src) {
        System.arraycopy(src, 0, dst, at, src.length);
        return at + src.length;
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
