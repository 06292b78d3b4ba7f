/**
 * evring: a libev-style event loop for Java on Linux, io_uring first.
 */
module dev.evring {
    // sun.misc.Signal: the JDK's supported hook for a Java handler of a process signal (signal watchers only)
    requires jdk.unsupported;
    // JDK Flight Recorder events of the backends (dev.evring.backend.BackendEvents); free while JFR is off
    requires jdk.jfr;

    exports dev.evring;
    exports dev.evring.net;
    exports dev.evring.net.blocking;
}
