package dev.evring.linux;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static dev.evring.linux.ValueLayouts.C_POINTER;
import static dev.evring.linux.ValueLayouts.C_SIZE_T;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

/** {@code <sys/uio.h>}: the scatter/gather element of readv/writev/recvmsg/sendmsg. */
public final class SysUio {
    private SysUio() {}

    public static final String HEADER = "sys/uio.h";

    /** {@code struct iovec}. */
    public static final StructLayout IOVEC = MemoryLayout.structLayout(
            C_POINTER.withName("iov_base"),
            C_SIZE_T.withName("iov_len")).withName("struct iovec");

    public static final long IOVEC_SIZE = IOVEC.byteSize();
    public static final long OFF_IOV_BASE = IOVEC.byteOffset(groupElement("iov_base"));
    public static final long OFF_IOV_LEN = IOVEC.byteOffset(groupElement("iov_len"));
}
