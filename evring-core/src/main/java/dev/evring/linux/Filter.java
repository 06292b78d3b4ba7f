package dev.evring.linux;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/** {@code <linux/filter.h>} and {@code <linux/bpf_common.h>}: classic BPF programs, as seccomp filters are written. */
public final class Filter {
    private Filter() {}

    public static final String HEADER = "linux/filter.h";

    // instruction classes
    public static final int BPF_LD = 0x00;
    public static final int BPF_JMP = 0x05;
    public static final int BPF_RET = 0x06;
    // ld/ldx sizes and modes
    public static final int BPF_W = 0x00;
    public static final int BPF_ABS = 0x20;
    // jmp codes
    public static final int BPF_JEQ = 0x10;
    // sources
    public static final int BPF_K = 0x00;

    /** {@code struct sock_filter}: one instruction. */
    public static final StructLayout SOCK_FILTER = MemoryLayout.structLayout(
            JAVA_SHORT.withName("code"),
            JAVA_BYTE.withName("jt"),
            JAVA_BYTE.withName("jf"),
            JAVA_INT.withName("k")).withName("struct sock_filter");

    /** {@code struct sock_fprog}: a program, its length and a pointer to its instructions. */
    public static final StructLayout SOCK_FPROG = MemoryLayout.structLayout(
            JAVA_SHORT.withName("len"),
            MemoryLayout.paddingLayout(6),
            ADDRESS.withName("filter")).withName("struct sock_fprog");

    public static final long SOCK_FILTER_SIZE = SOCK_FILTER.byteSize();
    public static final long OFF_FILTER_CODE = SOCK_FILTER.byteOffset(groupElement("code"));
    public static final long OFF_FILTER_JT = SOCK_FILTER.byteOffset(groupElement("jt"));
    public static final long OFF_FILTER_JF = SOCK_FILTER.byteOffset(groupElement("jf"));
    public static final long OFF_FILTER_K = SOCK_FILTER.byteOffset(groupElement("k"));
    public static final long OFF_FPROG_LEN = SOCK_FPROG.byteOffset(groupElement("len"));
    public static final long OFF_FPROG_FILTER = SOCK_FPROG.byteOffset(groupElement("filter"));

    /** Writes instruction {@code index} of a program ({@code BPF_STMT} / {@code BPF_JUMP}). */
    public static void instruction(MemorySegment program, int index, int code, int jt, int jf, int k) {
        long base = index * SOCK_FILTER_SIZE;
        program.set(JAVA_SHORT, base + OFF_FILTER_CODE, (short) code);
        program.set(JAVA_BYTE, base + OFF_FILTER_JT, (byte) jt);
        program.set(JAVA_BYTE, base + OFF_FILTER_JF, (byte) jf);
        program.set(JAVA_INT, base + OFF_FILTER_K, k);
    }
}
