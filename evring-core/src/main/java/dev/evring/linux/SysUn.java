package dev.evring.linux;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static dev.evring.linux.ValueLayouts.C_CHAR;
import static dev.evring.linux.ValueLayouts.C_SHORT;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

/** {@code <sys/un.h>}: the Unix-domain socket address. */
public final class SysUn {
    private SysUn() {}

    public static final String HEADER = "sys/un.h";

    /** Room in {@code sun_path}, the terminating NUL of a pathname included. */
    public static final int SUN_PATH_MAX = 108;

    /** {@code struct sockaddr_un} (110 bytes). */
    public static final StructLayout SOCKADDR_UN = MemoryLayout.structLayout(
            C_SHORT.withName("sun_family"),
            MemoryLayout.sequenceLayout(SUN_PATH_MAX, C_CHAR).withName("sun_path")).withName("struct sockaddr_un");

    public static final long SOCKADDR_UN_SIZE = SOCKADDR_UN.byteSize();
    public static final long OFF_SUN_FAMILY = SOCKADDR_UN.byteOffset(groupElement("sun_family"));
    public static final long OFF_SUN_PATH = SOCKADDR_UN.byteOffset(groupElement("sun_path"));
}
