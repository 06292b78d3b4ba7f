package dev.evring.bench.http;

import dev.evring.bench.harness.BenchContext;
import dev.evring.bench.harness.ServerRow;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * nginx as the http benchmark's C peer: the distribution's binary with a configuration of our own under the run's
 * results folder (its own prefix, pid file, error log and temporary folders: nothing of the system's nginx is read or
 * written), in the foreground (daemon off) so the harness owns the process; the master plus {@code loops} workers
 * (one today), access log off, {@code return 200 "Hello, World!"} with {@code text/plain}, keep-alive without a
 * request limit (nginx's default closes a connection after 1,000 requests, which would measure reconnects).
 */
final class Nginx {
    private Nginx() {}

    /**
     * Writes the configuration for {@code launch} into a folder of its own under {@code parent} and returns the command
     * that runs it on CPUs 0..loops-1. One folder per launch: with {@code --loops 1,2} the two nginx rows' servers run
     * side by side (the rounds interleave rows), and a shared nginx.conf once made the first read the second's port.
     */
    static List<String> command(BenchContext ctx, Path nginx, Path parent, ServerRow.Launch launch) {
        Path dir = parent.resolve("nginx-" + launch.loops() + "-loops-port-" + launch.port());
        try {
            Files.createDirectories(dir.resolve("tmp"));
            Files.writeString(dir.resolve("nginx.conf"), config(dir, launch));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> cmd = new ArrayList<>(ctx.pinServer(launch.loops()));
        cmd.addAll(List.of(nginx.toString(), "-p", dir + "/", "-c", dir.resolve("nginx.conf").toString(),
                "-e", dir.resolve("error.log").toString()));
        return cmd;
    }

    static String config(Path dir, ServerRow.Launch launch) {
        String tmp = dir.resolve("tmp").toString();
        return """
                # written by ./evring bench for its nginx row: its own prefix; nothing of the system's nginx is used
                daemon off;
                master_process on;
                worker_processes %d;
                pid %s/nginx.pid;
                error_log %s/error.log warn;
                worker_rlimit_nofile 16384;
                events {
                    worker_connections 8192;
                    use epoll;
                }
                http {
                    access_log off;
                    server_tokens off;
                    keepalive_requests 1000000000;
                    keepalive_timeout 75s;
                    client_body_temp_path %s/client_body;
                    proxy_temp_path %s/proxy;
                    fastcgi_temp_path %s/fastcgi;
                    uwsgi_temp_path %s/uwsgi;
                    scgi_temp_path %s/scgi;
                    server {
                        listen 127.0.0.1:%d backlog=4096;
                        location / {
                            default_type text/plain;
                            return 200 "%s";
                        }
                    }
                }
                """.formatted(launch.loops(), dir, dir, tmp, tmp, tmp, tmp, tmp, launch.port(), Plaintext.BODY_TEXT);
    }
}
