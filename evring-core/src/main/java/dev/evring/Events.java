package dev.evring;

/**
 * Event bits, as passed to callbacks ({@code revents}) and to io watchers (interest mask). The values are libev's
 * ({@code EV_READ}, {@code EV_TIMER}, ...), so a libev reader recognises them and masks combine the same way.
 */
public final class Events {
    private Events() {}

    /** The fd is readable (or at end of file, or in error: a read will not block). */
    public static final int READ = 0x01;
    /** The fd is writable (or in error: a write will not block). */
    public static final int WRITE = 0x02;
    public static final int TIMER = 0x100;
    public static final int PERIODIC = 0x200;
    public static final int SIGNAL = 0x400;
    public static final int CHILD = 0x800;
    public static final int STAT = 0x1000;
    public static final int IDLE = 0x2000;
    public static final int PREPARE = 0x4000;
    public static final int CHECK = 0x8000;
    public static final int EMBED = 0x10000;
    public static final int CLEANUP = 0x40000;
    public static final int ASYNC = 0x80000;
    /** Never produced by the loop: free for {@link EventLoop#feedEvent(Watcher, int)}. */
    public static final int CUSTOM = 0x1000000;
    /**
     * The watcher failed and was stopped: its fd went bad (closed, or refused by the backend). Delivered together
     * with {@link #READ} and {@link #WRITE}, as libev does, so code that only tests for those still reacts.
     */
    public static final int ERROR = 0x80000000;

    /** A readable rendering of an event mask, for logs and test messages: {@code "READ|WRITE"}. */
    public static String toString(int revents) {
        if (revents == 0) return "NONE";
        StringBuilder sb = new StringBuilder();
        int[] bits = {READ, WRITE, TIMER, PERIODIC, SIGNAL, CHILD, STAT, IDLE, PREPARE, CHECK, EMBED, CLEANUP, ASYNC, CUSTOM, ERROR};
        String[] names = {"READ", "WRITE", "TIMER", "PERIODIC", "SIGNAL", "CHILD", "STAT", "IDLE", "PREPARE", "CHECK", "EMBED", "CLEANUP", "ASYNC", "CUSTOM", "ERROR"};
        int rest = revents;
        for (int i = 0; i < bits.length; i++) {
            if ((revents & bits[i]) != 0) {
                if (!sb.isEmpty()) sb.append('|');
                sb.append(names[i]);
                rest &= ~bits[i];
            }
        }
        if (rest != 0) {
            if (!sb.isEmpty()) sb.append('|');
            sb.append("0x").append(Integer.toHexString(rest));
        }
        return sb.toString();
    }
}
