/**
 * Sockets and completion I/O on an {@link dev.evring.EventLoop}: everything starts from a {@link dev.evring.net.Net}.
 *
 * <h2>Two models on one loop</h2>
 * <b>Readiness</b> (libev's): take a socket's {@link dev.evring.net.IoHandle#fd() fd}, put an
 * {@link dev.evring.IoWatcher} on it, and when it is ready call the socket's non-blocking methods
 * ({@link dev.evring.net.StreamListener#tryAccept()}, {@link dev.evring.net.StreamSocket#read(byte[], int, int)},
 * {@link dev.evring.net.StreamSocket#write(byte[], int, int)}): one system call each.
 * <br><b>Completion</b> (io_uring's): start an operation ({@code accept}, {@code connect}, {@code recv},
 * {@code send}, {@code recvFrom}, {@code sendTo}, file {@code read}/{@code write}, {@code close}) and get a callback
 * when it is done. On the io_uring backend the kernel does the I/O: operations ride in the loop's one
 * {@code io_uring_enter} per iteration, accept is multishot (one submission serves every connection), and received
 * data lands in buffers the kernel picks from a shared ring, so idle connections hold none; what one connection may
 * hold is bounded by its share ({@link dev.evring.net.Net.Builder#recvShare}).
 * On epoll and poll the same API is emulated with readiness and the plain system calls; code written against it runs
 * everywhere, with the same callbacks in the same order and the same error codes.
 *
 * <h2>Completion rules</h2>
 * <ul>
 * <li>Every operation returns an id (for {@link dev.evring.net.Net#cancel(long)}) and ends with exactly one final
 * callback. Continuous operations (accept, recv, recvFrom) call back once per connection, chunk or datagram before
 * that.</li>
 * <li>Callbacks run on the loop thread, from the loop (as watcher callbacks do), never inside the call that started
 * the operation. One that throws is reported to the loop's exception handler with its handle as the source; the loop
 * and every other operation go on.</li>
 * <li>Failures arrive as a negative errno status ({@link dev.evring.net.Status}); nothing is thrown from the loop.
 * Cancelled operations report {@link dev.evring.net.Status#ECANCELED}; expired timeouts
 * {@link dev.evring.net.Status#ETIMEDOUT}; end of stream is a recv status of 0.</li>
 * <li>A running operation keeps the loop's {@code run()} going (it holds a {@link dev.evring.EventLoop#ref()}).</li>
 * <li>Timeouts: the {@code Duration} overloads bound each wait of the operation (for a continuous operation: the wait
 * for each next connection, chunk or datagram). On io_uring they are linked timeouts (IORING_OP_LINK_TIMEOUT) riding
 * with the operation; on epoll/poll, loop timers.</li>
 * <li>Closing a handle ends every operation of it with ECANCELED, and none of them touches the file that reuses its
 * fd number afterwards (see {@link dev.evring.net.IoHandle#close()}).</li>
 * </ul>
 *
 * <h2>Buffers</h2>
 * Two pools of off-heap buffers, carved once from the loop's arena: the <em>receive pool</em> feeds stream receives
 * (on io_uring: the kernel's provided-buffer ring), the <em>general pool</em> serves
 * {@link dev.evring.net.Net#allocate()}, datagram receives and file reads. See {@link dev.evring.net.Buffer} for who
 * may touch a buffer when: a buffer handed to you is a handle of its own, dead for good once given back. When the
 * receive pool runs dry, receiving waits until buffers come back (counted in
 * {@link dev.evring.net.NetStats#recvBufferWaits()}); no connection is dropped and no byte lost.
 *
 * <h2>Thread contract</h2>
 * A {@code Net}, its handles and its buffers belong to the loop's thread; every method throws
 * {@link java.lang.IllegalStateException} on another thread.
 */
package dev.evring.net;
