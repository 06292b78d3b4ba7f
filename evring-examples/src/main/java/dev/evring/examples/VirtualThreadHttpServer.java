package dev.evring.examples;

import javax.net.ServerSocketFactory;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * {@code ./evring vt-http-server --port P [--sockets jdk]}: an HTTP/1.1 server for TechEmpower's plaintext test, a
 * virtual thread per connection on blocking sockets, in the plain JDK style: the request head read into a buffer of
 * its own from the socket's {@code InputStream}, the answers written to a {@code BufferedOutputStream}. The sockets come
 * from the {@link javax.net.ServerSocketFactory} that {@code --sockets} names ({@link SocketFactories}).
 *
 * <ul>
 *   <li>{@code GET /plaintext} (any query) is answered {@code 200} with {@code Hello, World!}, {@code Content-Type:
 *       text/plain}, {@code Content-Length}, {@code Server} and {@code Date} (formatted once a second, as TechEmpower
 *       allows); {@code HEAD} gets the same head without the body; another method there {@code 405}, another path
 *       {@code 404}, all with {@code Content-Length} and the connection kept.</li>
 *   <li>Keep-alive, and pipelining: the answers to the requests that arrived together are written in order and go out
 *       in one write, when no further whole request is buffered (the output is flushed before every read that may
 *       block, and at the end). A request body sized by {@code Content-Length} is read and dropped.</li>
 *   <li>{@code Connection: close} (or HTTP/1.0 without {@code keep-alive}) is answered, then the connection closes.
 *       A bad request (a malformed request line or header line, a header folded over lines, a bad or conflicting
 *       {@code Content-Length}, HTTP/1.1 without one {@code Host}) is answered {@code 400}, a head over
 *       {@value #MAX_HEAD} bytes {@code 431}, a {@code Transfer-Encoding} (no coding is implemented) {@code 501}, an
 *       HTTP version other than 1.0 and 1.1 {@code 505}; each with {@code Connection: close}, after the answers to the
 *       requests before it, and then the connection closes gracefully: output shut down, what the client still sends
 *       read and dropped (at most {@value #LINGER_MS} ms), so that the close does not reset the connection and lose
 *       the answer on its way.</li>
 * </ul>
 */
public final class VirtualThreadHttpServer extends VirtualThreadServer {
    /** The longest request head (request line and headers) taken; also the input buffer of a connection. */
    static final int MAX_HEAD = 8192;
    /** The output buffer of a connection (BufferedOutputStream's default): 16 pipelined answers fit it twice over. */
    static final int OUTPUT_BUFFER = 8192;
    /** How long a closing connection keeps reading what its client still sends before it closes. */
    static final long LINGER_MS = 2_000;

    static final String PATH = "/plaintext";
    static final byte[] BODY = "Hello, World!".getBytes(StandardCharsets.US_ASCII);
    static final String SERVER = "vt-http-server";

    /** The options of {@code ./evring vt-http-server} (and of this class's {@code main}). */
    public static final CommandLine COMMAND_LINE = new CommandLine("./evring vt-http-server", """
            HTTP/1.1 server (TechEmpower plaintext), a virtual thread per connection on blocking sockets, until Ctrl-C.
            GET /plaintext is answered "Hello, World!" with Date and Server headers; keep-alive and pipelining; a bad
            request gets 400 and the connection closes. Plain JDK code (VirtualThreadHttpServer): ServerSocket.accept()
            in a loop, Thread.ofVirtual().start(...), InputStream and BufferedOutputStream; --sockets picks the
            ServerSocketFactory, the one thing that differs between the JDK's sockets and evring's. Listens on every
            local address.""");
    static final Options OPTIONS = Options.declare(COMMAND_LINE, 8080);

    public VirtualThreadHttpServer(ServerSocketFactory sockets, InetSocketAddress address) throws IOException {
        super(sockets, address);
    }

    @Override
    protected void handle(Socket connection) throws IOException {
        connection.setTcpNoDelay(true); // the answers to a batch go out when it is answered, not after a delayed ACK
        new Exchanges(connection).run();
    }

    public static void main(String[] args) throws Exception {
        System.exit(COMMAND_LINE.run(args, System.out, System.err, VirtualThreadHttpServer::run));
    }

    /** Runs the server with its parsed options until the process ends; returns the exit status. */
    public static int run(CommandLine.Parsed options) throws IOException {
        return runCommand(options, OPTIONS, "vt http server", VirtualThreadHttpServer::new);
    }

    // ---- answers: everything up to the Date value is fixed per status ----

    private static byte[] head(String status, String headers) {
        return ("HTTP/1.1 " + status + "\r\nServer: " + SERVER + "\r\n" + headers + "Date: ").getBytes(StandardCharsets.US_ASCII);
    }

    private static final byte[] OK = head("200 OK", "Content-Type: text/plain\r\nContent-Length: " + BODY.length + "\r\n");
    private static final byte[] NOT_FOUND = head("404 Not Found", "Content-Length: 0\r\n");
    private static final byte[] METHOD_NOT_ALLOWED = head("405 Method Not Allowed", "Allow: GET, HEAD\r\nContent-Length: 0\r\n");
    private static final byte[] BAD_REQUEST = head("400 Bad Request", "Content-Length: 0\r\n");
    private static final byte[] HEAD_TOO_LARGE = head("431 Request Header Fields Too Large", "Content-Length: 0\r\n");
    private static final byte[] NOT_IMPLEMENTED = head("501 Not Implemented", "Content-Length: 0\r\n");
    private static final byte[] VERSION_NOT_SUPPORTED = head("505 HTTP Version Not Supported", "Content-Length: 0\r\n");
    private static final byte[] END_KEEP = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] END_CLOSE = "\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] END_KEEP_10 = "\r\nConnection: keep-alive\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    /** The Date header's value (IMF-fixdate) as bytes, made once a second whoever asks. Safe from any thread. */
    static byte[] date() {
        long now = System.currentTimeMillis() / 1000;
        DateStamp d = date;
        if (d.second != now) {
            d = new DateStamp(now, IMF_FIXDATE.format(Instant.ofEpochSecond(now)).getBytes(StandardCharsets.US_ASCII));
            date = d;
        }
        return d.bytes;
    }

    private record DateStamp(long second, byte[] bytes) {}

    private static final DateTimeFormatter IMF_FIXDATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);
    private static volatile DateStamp date = new DateStamp(-1, new byte[0]);

    /** The exchanges of one connection, one request after the other. */
    private static final class Exchanges {
        private static final int GET = 1, HEAD = 2, OTHER = 3;

        private final Socket socket;
        private final InputStream in;
        private final BufferedOutputStream out;
        private final byte[] buf = new byte[MAX_HEAD];
        private int start, end;     // read and not yet taken: buf[start, end)
        private boolean unflushed;  // answers written to out since its last flush

        // the request whose head parse() took
        private int method;
        private boolean plaintext, http10, hasHost, hasContentLength, hasTransferEncoding, close, keepAlive;
        private long contentLength;

        Exchanges(Socket socket) throws IOException {
            this.socket = socket;
            this.in = socket.getInputStream();
            this.out = new BufferedOutputStream(socket.getOutputStream(), OUTPUT_BUFFER);
        }

        void run() throws IOException {
            while (true) {
                int head = parse();
                if (head == 0) { // no whole head buffered
                    if (start == 0 && end == buf.length) {
                        refuse(HEAD_TOO_LARGE);
                        return;
                    }
                    if (!fill()) { // end of stream: after the last request, or in a head (nothing to answer)
                        out.flush();
                        return;
                    }
                    continue;
                }
                if (head < 0) {
                    refuse(head == -505 ? VERSION_NOT_SUPPORTED : head == -501 ? NOT_IMPLEMENTED : BAD_REQUEST);
                    return;
                }
                start = head;
                if (!skipBody()) return; // the stream ended inside the body
                answer();
                if (close) {
                    closeGracefully();
                    return;
                }
            }
        }

        /** Reads more (flushing the answers written so far first): false at end of stream. */
        private boolean fill() throws IOException {
            if (unflushed) {
                out.flush();
                unflushed = false;
            }
            if (start > 0) {
                System.arraycopy(buf, start, buf, 0, end - start);
                end -= start;
                start = 0;
            }
            int n = in.read(buf, end, buf.length - end);
            if (n < 0) return false;
            end += n;
            return true;
        }

        private boolean skipBody() throws IOException {
            long left = contentLength;
            int here = (int) Math.min(left, end - start);
            start += here;
            left -= here;
            if (left > 0) start = end = 0; // nothing else is buffered: the buffer takes the rest of the body, dropped
            while (left > 0) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                if (n < 0) return false;
                left -= n;
            }
            return true;
        }

        private void answer() throws IOException {
            byte[] status = !plaintext ? NOT_FOUND : method == OTHER ? METHOD_NOT_ALLOWED : OK;
            out.write(status);
            out.write(date());
            out.write(close ? END_CLOSE : http10 ? END_KEEP_10 : END_KEEP);
            if (status == OK && method == GET) out.write(BODY);
            unflushed = true;
        }

        /** Answers a request that cannot be served, then closes gracefully. */
        private void refuse(byte[] status) throws IOException {
            out.write(status);
            out.write(date());
            out.write(END_CLOSE);
            closeGracefully();
        }

        /**
         * Sends what is written, shuts the output down and reads what the client still sends until its end of stream
         * (at most {@link #LINGER_MS}), so that closing with unread input does not reset the connection and lose the
         * last answer on its way.
         */
        private void closeGracefully() throws IOException {
            out.flush();
            socket.shutdownOutput();
            long deadline = System.nanoTime() + LINGER_MS * 1_000_000;
            try {
                for (long left = LINGER_MS; left > 0; left = (deadline - System.nanoTime()) / 1_000_000) {
                    socket.setSoTimeout((int) left);
                    if (in.read(buf) < 0) return;
                }
            } catch (SocketTimeoutException e) {
                // the client neither closed nor stopped sending: close anyway
            }
        }

        // ---- the request head: RFC 9112, taken from buf[start, end) ----

        /**
         * Parses the request head at {@code start}: the index just after it; 0 while it is not whole; minus the
         * status of the answer when it is bad (400, 501, 505). Empty lines before a request line are skipped (RFC 9112
         * 2.2); a line may end in CRLF or a bare LF.
         */
        private int parse() {
            int eol;
            while (true) { // empty lines before the request line
                eol = indexOf('\n', start, end);
                if (eol < 0) return 0;
                if (lineEnd(start, eol) > start) break;
                start = eol + 1;
            }
            int status = requestLine(start, lineEnd(start, eol));
            if (status != 0) return -status;
            hasHost = hasContentLength = hasTransferEncoding = close = keepAlive = false;
            contentLength = 0;
            for (int p = eol + 1; ; p = eol + 1) {
                eol = indexOf('\n', p, end);
                if (eol < 0) return 0;
                int le = lineEnd(p, eol);
                if (le == p) break; // the empty line ending the head
                status = header(p, le);
                if (status != 0) return -status;
            }
            if (!http10 && !hasHost) return -400; // RFC 9112 3.2
            if (hasTransferEncoding) return -501;
            if (http10) close |= !keepAlive;
            return eol + 1;
        }

        /** {@code method SP target SP HTTP/1.x}; 0 when right, else the answer's status. */
        private int requestLine(int from, int to) {
            int sp1 = indexOf(' ', from, to);
            if (sp1 <= from || !token(from, sp1)) return 400;
            int sp2 = indexOf(' ', sp1 + 1, to);
            if (sp2 < 0 || sp2 == sp1 + 1 || !visible(sp1 + 1, sp2)) return 400;
            method = is(from, sp1, "GET") ? GET : is(from, sp1, "HEAD") ? HEAD : OTHER;
            int pathEnd = indexOf('?', sp1 + 1, sp2);
            plaintext = is(sp1 + 1, pathEnd < 0 ? sp2 : pathEnd, PATH);
            if (is(sp2 + 1, to, "HTTP/1.1")) {
                http10 = false;
            } else if (is(sp2 + 1, to, "HTTP/1.0")) {
                http10 = true;
            } else {
                boolean version = to - sp2 - 1 == 8 && is(sp2 + 1, sp2 + 6, "HTTP/") && digit(buf[sp2 + 6]) && buf[sp2 + 7] == '.' && digit(buf[sp2 + 8]);
                return version ? 505 : 400;
            }
            return 0;
        }

        /** {@code name ":" OWS value OWS}; 0 when right, else the answer's status. */
        private int header(int from, int to) {
            int colon = indexOf(':', from, to);
            if (colon <= from || !token(from, colon)) return 400; // also a folded line, or space before the colon
            int v = colon + 1, ve = to;
            while (v < ve && (buf[v] == ' ' || buf[v] == '\t')) v++;
            while (ve > v && (buf[ve - 1] == ' ' || buf[ve - 1] == '\t')) ve--;
            for (int i = v; i < ve; i++) {
                int c = buf[i] & 0xff;
                if ((c < 0x20 && c != '\t') || c == 0x7f) return 400;
            }
            if (named(from, colon, "content-length")) {
                long n = number(v, ve);
                if (n < 0 || (hasContentLength && n != contentLength)) return 400;
                hasContentLength = true;
                contentLength = n;
            } else if (named(from, colon, "host")) {
                if (hasHost) return 400;
                hasHost = true;
            } else if (named(from, colon, "transfer-encoding")) {
                hasTransferEncoding = true;
            } else if (named(from, colon, "connection")) {
                for (int t = v; t < ve; ) { // a comma-separated list of options
                    int comma = indexOf(',', t, ve);
                    int te = comma < 0 ? ve : comma, ts = t;
                    while (ts < te && (buf[ts] == ' ' || buf[ts] == '\t')) ts++;
                    while (te > ts && (buf[te - 1] == ' ' || buf[te - 1] == '\t')) te--;
                    if (named(ts, te, "close")) close = true;
                    if (named(ts, te, "keep-alive")) keepAlive = true;
                    t = comma < 0 ? ve : comma + 1;
                }
            }
            return 0;
        }

        private int indexOf(char c, int from, int to) {
            for (int i = from; i < to; i++) if (buf[i] == c) return i;
            return -1;
        }

        /** Where the line ending at the LF at {@code eol} ends without its CR. */
        private int lineEnd(int from, int eol) {
            return eol > from && buf[eol - 1] == '\r' ? eol - 1 : eol;
        }

        /** buf[from, to) is exactly {@code s}. */
        private boolean is(int from, int to, String s) {
            if (to - from != s.length()) return false;
            for (int i = 0; i < s.length(); i++) if (buf[from + i] != s.charAt(i)) return false;
            return true;
        }

        /** buf[from, to) is {@code lower}, case aside (header names and options). */
        private boolean named(int from, int to, String lower) {
            if (to - from != lower.length()) return false;
            for (int i = 0; i < lower.length(); i++) {
                int c = buf[from + i];
                if (c >= 'A' && c <= 'Z') c += 'a' - 'A';
                if (c != lower.charAt(i)) return false;
            }
            return true;
        }

        /** A Content-Length: one to 18 digits, else -1. */
        private long number(int from, int to) {
            if (from == to || to - from > 18) return -1;
            long n = 0;
            for (int i = from; i < to; i++) {
                if (!digit(buf[i])) return -1;
                n = n * 10 + (buf[i] - '0');
            }
            return n;
        }

        /** RFC 9110's token: a method, a header name. */
        private boolean token(int from, int to) {
            for (int i = from; i < to; i++) {
                int c = buf[i] & 0xff;
                boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || digit(buf[i]) || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
                if (!ok) return false;
            }
            return true;
        }

        /** No control characters (a request target). */
        private boolean visible(int from, int to) {
            for (int i = from; i < to; i++) {
                int c = buf[i] & 0xff;
                if (c <= 0x20 || c == 0x7f) return false;
            }
            return true;
        }

        private static boolean digit(byte b) {
            return b >= '0' && b <= '9';
        }
    }
}
