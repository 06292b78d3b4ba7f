package dev.evring.backend;

import dev.evring.EventLoop;
import dev.evring.Events;
import dev.evring.FdLimit;
import dev.evring.IoWatcher;
import dev.evring.LoopVariant;
import dev.evring.TestFds;
import dev.evring.LoopTestBase;
import dev.evring.linux.Errno;
import dev.evring.linux.EventFd;
import dev.evring.linux.Libc;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What a backend knows about an fd belongs to the file, not the number (issue 9, defect 4: epoll's always-ready mark of
 * a regular file survived its close, and a pipe reusing the number was reported READ every iteration), and readiness
 * is reported for every ready fd in every iteration however many there are (defect 7: epoll capped a wait at 4,096).
 */
@ParameterizedClass(name = "{0}")
@MethodSource("dev.evring.LoopVariants#all")
class FdMarksTest {
    @Parameter
    LoopVariant variant;

    @TempDir
    Path dir;

    final List<Integer> fds = new ArrayList<>();

    @AfterEach
    void closeFds() {
        for (int fd : fds) TestFds.close(fd);
    }

    private void emptyPipeOnTheNumberOfAClosedRegularFileIsNotReady(boolean iterationInBetween) throws IOException {
        Path file = dir.resolve("regular");
        Files.writeString(file, "x");
        try (EventLoop loop = variant.open()) {
            int fd = TestFds.openFile(file);
            AtomicInteger fileEvents = new AtomicInteger();
            IoWatcher w = loop.io(fd, Events.READ, (x, ev) -> fileEvents.incrementAndGet());
            w.start();
            LoopTestBase.runUntil(loop, () -> fileEvents.get() > 0, "the regular file's readiness");
            w.stop();
            TestFds.close(fd);
            if (iterationInBetween) loop.runNoWait();
            int[] p = TestFds.pipe();
            fds.add(p[0]);
            fds.add(p[1]);
            assumeTrue(p[0] == fd, "the pipe did not reuse fd " + fd + " (got " + p[0] + ")");
            AtomicInteger pipeEvents = new AtomicInteger();
            loop.io(p[0], Events.READ, (x, ev) -> pipeEvents.incrementAndGet()).start();
            var guard = loop.timer(5_000_000L, 5_000_000L, (x, ev) -> {});
            guard.start();
            for (int i = 0; i < 5; i++) loop.runOnce();
            assertEquals(0, pipeEvents.get(), "an empty pipe on fd " + fd + " was reported ready (" + variant + ")");
            TestFds.write(p[1], (byte) 1);
            LoopTestBase.runUntil(loop, () -> pipeEvents.get() > 0, "the pipe's byte");
            guard.stop();
        }
    }

    @Test
    void anEmptyPipeReusingAClosedRegularFilesNumberIsNotReported() throws IOException {
        emptyPipeOnTheNumberOfAClosedRegularFileIsNotReady(false);
    }

    @Test
    void anEmptyPipeReusingAClosedRegularFilesNumberIsNotReportedAfterAnIteration() throws IOException {
        emptyPipeOnTheNumberOfAClosedRegularFileIsNotReady(true);
    }

    @Test
    void fiveThousandReadyFdsAreAllReportedInEveryIteration() {
        int n = FdLimit.reserve(5_000, 5_000);
        try (EventLoop loop = variant.open()) {
            int[] calls = new int[n];
            for (int i = 0; i < n; i++) {
                int fd = Errno.check(EventFd.eventfd(Libc.threadCallState(), 1, EventFd.EFD_NONBLOCK | EventFd.EFD_CLOEXEC), "eventfd");
                fds.add(fd);
                int index = i;
                loop.io(fd, Events.READ, (x, ev) -> calls[index]++).start(); // never drained: stays ready
            }
            LoopTestBase.runUntil(loop, () -> java.util.Arrays.stream(calls).allMatch(c -> c > 0), "every fd once");
            for (int round = 0; round < 3; round++) {
                int[] before = calls.clone();
                loop.runOnce();
                int missed = 0;
                for (int i = 0; i < n; i++) if (calls[i] == before[i]) missed++;
                assertEquals(0, missed, missed + " of " + n + " ready fds were not reported in iteration " + round
                        + " (" + variant + ")");
            }
        }
    }
}
