package dev.evring.bench.http;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The http rows' ready check, which is also the check that a server answers right: on one keep-alive connection, one
 * request, then {@value #PIPELINED} pipelined in a single write, every answer read in order and held to the plaintext
 * test: status 200, {@code Content-Length: 13} and exactly {@code Hello, World!}, {@code Content-Type: text/plain},
 * a {@code Server} and a {@code Date} header. During the measured windows wrk sees what it can (answers with status
 * 400 or more, broken connections, answers it cannot parse, time-outs); a row with any of those is failed, not counted.
 */
final class HttpProbe {
    private HttpProbe() {}

    static final int PIPELINED = 16;
    private static final int MAX_LINE = 8192;

    /**
     * Null when the server on 127.0.0.1:{@code port} answers right, else what is wrong.
     *
     * @throws IOException while it does not answer yet (refused, reset, silent for 5 s)
     */
    static String check(int port) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            s.setSoTimeout(5_000);
            s.setTcpNoDelay(true);
            OutputStream out = s.getOutputStream();
            InputStream in = new BufferedInputStream(s.getInputStream());
            byte[] request = ("GET " + Plaintext.PATH + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            out.write(request);
            out.flush();
            String wrong = answer(in, 1);
            if (wrong != null) return wrong;
            out.write(repeat(request, PIPELINED));
            out.flush();
            for (int i = 0; i < PIPELINED; i++) {
                wrong = answer(in, 2 + i);
                if (wrong != null) return wrong;
            }
            return null;
        }
    }

    private static byte[] repeat(byte[] b, int n) {
        byte[] all = new byte[b.length * n];
        for (int i = 0; i < n; i++) System.arraycopy(b, 0, all, i * b.length, b.length);
        return all;
    }

    /** Reads one answer; null if it is right, else what is wrong with answer number {@code n}. */
    static String answer(InputStream in, int n) throws IOException {
        String status = line(in);
        if (status == null) return "the connection ended before answer " + n;
        if (!status.matches("HTTP/1\\.1 200( .*)?")) return "answer " + n + " starts \"" + status + "\", not \"HTTP/1.1 200 OK\"";
        Map<String, String> headers = new LinkedHashMap<>();
        for (String h = line(in); ; h = line(in)) {
            if (h == null) return "the connection ended in the headers of answer " + n;
            if (h.isEmpty()) break;
            int colon = h.indexOf(':');
            if (colon <= 0) return "answer " + n + " has a malformed header line \"" + h + "\"";
            headers.put(h.substring(0, colon).strip().toLowerCase(Locale.ROOT), h.substring(colon + 1).strip());
        }
        if (headers.containsKey("transfer-encoding")) return "answer " + n + " is chunked, not sized by Content-Length";
        if (!Integer.toString(Plaintext.BODY.length).equals(headers.get("content-length"))) {
            return "answer " + n + " has Content-Length " + headers.get("content-length") + ", not " + Plaintext.BODY.length;
        }
        String type = headers.getOrDefault("content-type", "");
        if (!type.startsWith(Plaintext.CONTENT_TYPE)) return "answer " + n + " has Content-Type \"" + type + "\", not text/plain";
        for (String required : new String[] {"server", "date"}) {
            if (headers.getOrDefault(required, "").isEmpty()) return "answer " + n + " has no " + required + " header";
        }
        byte[] body = in.readNBytes(Plaintext.BODY.length);
        String text = new String(body, StandardCharsets.US_ASCII);
        if (!text.equals(Plaintext.BODY_TEXT)) return "answer " + n + " has the body \"" + text + "\"";
        return null;
    }

    /** A CRLF-terminated line without its CRLF, or null at end of stream. */
    private static String line(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int c = in.read(); c >= 0; c = in.read()) {
            if (c == '\n') {
                int len = sb.length();
                if (len > 0 && sb.charAt(len - 1) == '\r') sb.setLength(len - 1);
                return sb.toString();
            }
            if (sb.length() >= MAX_LINE) throw new IOException("a line longer than " + MAX_LINE + " bytes");
            sb.append((char) c);
        }
        return null;
    }
}
