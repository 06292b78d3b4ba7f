package dev.evring.bench.pipes;

/**
 * N non-blocking AF_UNIX stream socketpairs, as the C drivers make them: {@code read[i]} is watched, {@code write[i]}
 * written.
 */
final class Socketpairs implements AutoCloseable {
    final int[] read;
    final int[] write;

    Socketpairs(int n) {
        read = new int[n];
        write = new int[n];
        int[] pair = new int[2];
        for (int i = 0; i < n; i++) {
            try {
                Syscalls.socketpair(pair);
            } catch (IllegalStateException e) {
                closeFirst(i);
                throw new IllegalStateException("socketpair #" + i + " of " + n + ": " + e.getMessage(), e);
            }
            read[i] = pair[0];
            write[i] = pair[1];
        }
    }

    private void closeFirst(int count) {
        for (int i = 0; i < count; i++) {
            Syscalls.close(read[i]);
            Syscalls.close(write[i]);
        }
    }

    @Override
    public void close() {
        closeFirst(read.length);
    }
}
