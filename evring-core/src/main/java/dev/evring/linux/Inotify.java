package dev.evring.linux;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;

import static dev.evring.linux.ValueLayouts.C_INT;
import static dev.evring.linux.ValueLayouts.C_POINTER;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/** {@code <sys/inotify.h>}: file system change notification. */
public final class Inotify {
    private Inotify() {}

    public static final String HEADER = "sys/inotify.h";

    public static final int IN_NONBLOCK = Fcntl.O_NONBLOCK;
    public static final int IN_CLOEXEC = Fcntl.O_CLOEXEC;

    public static final int IN_ACCESS = 0x00000001;
    public static final int IN_MODIFY = 0x00000002;
    public static final int IN_ATTRIB = 0x00000004;
    public static final int IN_CLOSE_WRITE = 0x00000008;
    public static final int IN_MOVED_FROM = 0x00000040;
    public static final int IN_MOVED_TO = 0x00000080;
    public static final int IN_CREATE = 0x00000100;
    public static final int IN_DELETE = 0x00000200;
    public static final int IN_DELETE_SELF = 0x00000400;
    public static final int IN_MOVE_SELF = 0x00000800;
    public static final int IN_UNMOUNT = 0x00002000;
    public static final int IN_Q_OVERFLOW = 0x00004000;
    public static final int IN_IGNORED = 0x00008000;
    public static final int IN_ONLYDIR = 0x01000000;
    public static final int IN_DONT_FOLLOW = 0x02000000;
    public static final int IN_MASK_ADD = 0x20000000;
    public static final int IN_ISDIR = 0x40000000;

    /** {@code struct inotify_event} without its flexible {@code name[]}, which follows it ({@code len} bytes, NUL-padded). */
    public static final StructLayout INOTIFY_EVENT = MemoryLayout.structLayout(
            JAVA_INT.withName("wd"),
            JAVA_INT.withName("mask"),
            JAVA_INT.withName("cookie"),
            JAVA_INT.withName("len")).withName("struct inotify_event");

    public static final long INOTIFY_EVENT_SIZE = INOTIFY_EVENT.byteSize();
    public static final long OFF_WD = INOTIFY_EVENT.byteOffset(groupElement("wd"));
    public static final long OFF_MASK = INOTIFY_EVENT.byteOffset(groupElement("mask"));
    public static final long OFF_LEN = INOTIFY_EVENT.byteOffset(groupElement("len"));
    /** Room for one event with the longest name (NAME_MAX 255 + NUL), the least a read(2) buffer must hold. */
    public static final int MIN_READ_BUFFER = (int) INOTIFY_EVENT_SIZE + 256;

    private static final MethodHandle INIT1 = Libc.errnoCall("inotify_init1", FunctionDescriptor.of(C_INT, C_INT));
    private static final MethodHandle ADD_WATCH =
            Libc.errnoCall("inotify_add_watch", FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_INT));
    private static final MethodHandle RM_WATCH = Libc.errnoCall("inotify_rm_watch", FunctionDescriptor.of(C_INT, C_INT, C_INT));

    public static int inotifyInit1(MemorySegment callState, int flags) {
        try {
            int r = (int) INIT1.invokeExact(callState, flags);
            return r < 0 ? -Libc.errno(callState) : r;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /** A watch descriptor (the same one for the same inode in one inotify instance), or {@code -errno}. */
    public static int inotifyAddWatch(MemorySegment callState, int fd, MemorySegment path, int mask) {
        try {
            int r = (int) ADD_WATCH.invokeExact(callState, fd, path, mask);
            return r < 0 ? -Libc.errno(callState) : r;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    public static int inotifyRmWatch(MemorySegment callState, int fd, int wd) {
        try {
            int r = (int) RM_WATCH.invokeExact(callState, fd, wd);
            return r < 0 ? -Libc.errno(callState) : r;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }
}
