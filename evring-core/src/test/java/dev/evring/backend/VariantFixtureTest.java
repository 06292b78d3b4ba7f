package dev.evring.backend;

import dev.evring.LoopVariant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.Parameter;

/**
 * What a backend test run once per loop variant shares ({@code @ParameterizedClass} on the subclass): the variant, and
 * an {@link IoUringFixture} whose loops and fds are closed after each test.
 */
abstract class VariantFixtureTest {
    @Parameter
    LoopVariant variant;

    final IoUringFixture fixture = new IoUringFixture();

    @AfterEach
    void closeFixture() {
        fixture.close();
    }
}
