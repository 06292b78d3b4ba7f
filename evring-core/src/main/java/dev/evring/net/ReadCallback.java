package dev.evring.net;

/**
 * The end of a file read: {@code data} is the buffer you passed, yours again, with the bytes read appended;
 * {@code status} is their count (0 at end of file) or {@code -errno}.
 */
@FunctionalInterface
public interface ReadCallback {
    void onRead(AsyncFile file, Buffer data, int status) throws Exception;
}
