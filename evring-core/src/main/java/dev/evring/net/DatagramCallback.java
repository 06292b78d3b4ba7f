package dev.evring.net;

/**
 * Called for each datagram a UDP socket receives: {@code status >= 0} is its length, {@code data} holds it (yours until
 * released or sent) and {@link Buffer#sender()} tells where it came from. {@code status < 0}: {@code -errno},
 * {@code data} is null and receiving is over.
 */
@FunctionalInterface
public interface DatagramCallback {
    void onDatagram(UdpSocket socket, Buffer data, int status) throws Exception;
}
