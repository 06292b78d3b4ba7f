package dev.evring.linux;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.ValueLayout;

/** The C types of the LP64 Linux ABI (x86_64, aarch64), named as in C. */
public final class ValueLayouts {
    private ValueLayouts() {}

    public static final ValueLayout.OfByte C_CHAR = ValueLayout.JAVA_BYTE;
    public static final ValueLayout.OfShort C_SHORT = ValueLayout.JAVA_SHORT;
    public static final ValueLayout.OfInt C_INT = ValueLayout.JAVA_INT;
    public static final ValueLayout.OfLong C_LONG = ValueLayout.JAVA_LONG;
    public static final ValueLayout.OfLong C_SIZE_T = ValueLayout.JAVA_LONG;
    public static final AddressLayout C_POINTER = ValueLayout.ADDRESS;
}
