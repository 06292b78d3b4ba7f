/**
 * evring: a libev-style event loop for Java on Linux, io_uring first.
 */
module dev.evring {
    exports dev.evring;
    exports dev.evring.net;
}
