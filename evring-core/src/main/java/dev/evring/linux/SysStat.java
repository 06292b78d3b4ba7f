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
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/** {@code <sys/stat.h>} and {@code <linux/stat.h>}: statx(2) (glibc 2.28, Linux 4.11) and the file mode bits. */
public final class SysStat {
    private SysStat() {}

    public static final String HEADER = "sys/stat.h fcntl.h";

    public static final int STATX_TYPE = 0x001;
    public static final int STATX_MODE = 0x002;
    public static final int STATX_NLINK = 0x004;
    public static final int STATX_UID = 0x008;
    public static final int STATX_GID = 0x010;
    public static final int STATX_ATIME = 0x020;
    public static final int STATX_MTIME = 0x040;
    public static final int STATX_CTIME = 0x080;
    public static final int STATX_INO = 0x100;
    public static final int STATX_SIZE = 0x200;
    public static final int STATX_BLOCKS = 0x400;
    /** Everything {@code struct stat} has. */
    public static final int STATX_BASIC_STATS = 0x7ff;

    public static final int AT_SYMLINK_NOFOLLOW = 0x100;
    public static final int AT_STATX_SYNC_AS_STAT = 0x0000;

    public static final int S_IFMT = 0170000;
    public static final int S_IFDIR = 0040000;
    public static final int S_IFREG = 0100000;
    public static final int S_IFLNK = 0120000;

    /** {@code struct statx_timestamp}. */
    public static final StructLayout STATX_TIMESTAMP = MemoryLayout.structLayout(
            JAVA_LONG.withName("tv_sec"),
            JAVA_INT.withName("tv_nsec"),
            MemoryLayout.paddingLayout(4)).withName("struct statx_timestamp");

    /** {@code struct statx}: the fields up to the device numbers, then the reserved tail (256 bytes in all). */
    public static final StructLayout STATX = MemoryLayout.structLayout(
            JAVA_INT.withName("stx_mask"),
            JAVA_INT.withName("stx_blksize"),
            JAVA_LONG.withName("stx_attributes"),
            JAVA_INT.withName("stx_nlink"),
            JAVA_INT.withName("stx_uid"),
            JAVA_INT.withName("stx_gid"),
            JAVA_SHORT.withName("stx_mode"),
            MemoryLayout.paddingLayout(2),
            JAVA_LONG.withName("stx_ino"),
            JAVA_LONG.withName("stx_size"),
            JAVA_LONG.withName("stx_blocks"),
            JAVA_LONG.withName("stx_attributes_mask"),
            STATX_TIMESTAMP.withName("stx_atime"),
            STATX_TIMESTAMP.withName("stx_btime"),
            STATX_TIMESTAMP.withName("stx_ctime"),
            STATX_TIMESTAMP.withName("stx_mtime"),
            JAVA_INT.withName("stx_rdev_major"),
            JAVA_INT.withName("stx_rdev_minor"),
            JAVA_INT.withName("stx_dev_major"),
            JAVA_INT.withName("stx_dev_minor"),
            MemoryLayout.paddingLayout(256 - 144)).withName("struct statx");

    public static final long STATX_SIZE_BYTES = STATX.byteSize();
    public static final long OFF_STX_MASK = STATX.byteOffset(groupElement("stx_mask"));
    public static final long OFF_STX_NLINK = STATX.byteOffset(groupElement("stx_nlink"));
    public static final long OFF_STX_UID = STATX.byteOffset(groupElement("stx_uid"));
    public static final long OFF_STX_GID = STATX.byteOffset(groupElement("stx_gid"));
    public static final long OFF_STX_MODE = STATX.byteOffset(groupElement("stx_mode"));
    public static final long OFF_STX_INO = STATX.byteOffset(groupElement("stx_ino"));
    public static final long OFF_STX_SIZE = STATX.byteOffset(groupElement("stx_size"));
    public static final long OFF_STX_ATIME = STATX.byteOffset(groupElement("stx_atime"));
    public static final long OFF_STX_CTIME = STATX.byteOffset(groupElement("stx_ctime"));
    public static final long OFF_STX_MTIME = STATX.byteOffset(groupElement("stx_mtime"));
    public static final long OFF_STX_RDEV_MAJOR = STATX.byteOffset(groupElement("stx_rdev_major"));
    public static final long OFF_STX_RDEV_MINOR = STATX.byteOffset(groupElement("stx_rdev_minor"));
    public static final long OFF_STX_DEV_MAJOR = STATX.byteOffset(groupElement("stx_dev_major"));
    public static final long OFF_STX_DEV_MINOR = STATX.byteOffset(groupElement("stx_dev_minor"));
    /** Offsets inside a {@code statx_timestamp}. */
    public static final long OFF_TS_SEC = STATX_TIMESTAMP.byteOffset(groupElement("tv_sec"));
    public static final long OFF_TS_NSEC = STATX_TIMESTAMP.byteOffset(groupElement("tv_nsec"));

    private static final MethodHandle STATX_CALL =
            Libc.errnoCall("statx", FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_INT, C_INT, C_POINTER));

    /** statx(dirfd, path, flags, mask, buf): 0 or {@code -errno}. {@code path} is a NUL-terminated C string. */
    public static int statx(MemorySegment callState, int dirfd, MemorySegment path, int flags, int mask, MemorySegment buf) {
        if (buf.byteSize() < STATX_SIZE_BYTES) throw new IllegalArgumentException("statx buffer of " + buf.byteSize() + " bytes");
        try {
            int r = (int) STATX_CALL.invokeExact(callState, dirfd, path, flags, mask, buf);
            return r < 0 ? -Libc.errno(callState) : r;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /** The kernel's {@code dev_t} encoding of a major/minor pair (glibc's {@code makedev}). */
    public static long makedev(int major, int minor) {
        long ma = Integer.toUnsignedLong(major);
        long mi = Integer.toUnsignedLong(minor);
        return ((ma & 0xfffff000L) << 32) | ((ma & 0xfffL) << 8) | ((mi & 0xffffff00L) << 12) | (mi & 0xffL);
    }
}
