package dev.evring.bench.http;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.concurrent.Executors;

/**
 * The JDK's own HTTP server ({@code com.sun.net.httpserver}), each exchange on a virtual thread, serving the plaintext
 * test as a careful user would set it up: TCP_NODELAY on (the JDK's default is off, which puts Nagle's delay on every
 * response written as headers then body), and room for every benchmark connection among its idle ones (the default
 * keeps 200 and closes the rest, which wrk would count as errors).
 */
final class JdkHttpServer {
    private JdkHttpServer() {}

    /** Starts the server (its dispatcher thread keeps the JVM alive) and returns it. */
    static HttpServer start(int port) throws IOException {
        System.setProperty("sun.net.httpserver.nodelay", "true");
        System.setProperty("sun.net.httpserver.maxIdleConnections", "4096");
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 4096);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", JdkHttpServer::plaintext);
        server.start();
        return server;
    }

    private static void plaintext(HttpExchange exchange) throws IOException {
        try (exchange) {
            exchange.getRequestBody().transferTo(OutputStream.nullOutputStream()); // a GET has none; drain any
            Headers h = exchange.getResponseHeaders();
            h.set("Content-Type", Plaintext.CONTENT_TYPE);
            h.set("Server", "JDK");
            h.set("Date", Plaintext.date());
            exchange.sendResponseHeaders(200, Plaintext.BODY.length);
            try (OutputStream body = exchange.getResponseBody()) {
                body.write(Plaintext.BODY);
            }
        }
    }
}
