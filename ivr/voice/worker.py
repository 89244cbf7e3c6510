"""gunicorn's threaded worker, made safe from slow and idle clients: none of them can keep a thread for long."""
from __future__ import annotations

import errno
import selectors
import socket
import time
from functools import partial

from gunicorn.workers.gthread import TConn, ThreadWorker

# Twilio sends a webhook's few hundred bytes at once and gives up on an answer after 15 s; a
# connection still busy after this long is a slow or hostile client (or a request nobody waits for).
DEADLINE = 10.0


class HotlineWorker(ThreadWorker):
    """A gthread worker whose threads only ever read requests that have begun to arrive, for DEADLINE seconds at most.

    gunicorn's gthread (version 27) hands each new connection to a thread, which waits for its
    first byte and then reads the rest without a time limit: 400 connections that sent nothing made
    calls wait 3-8 s, and a client sending a byte a second held a thread for an hour. Here the main
    loop keeps a new connection until its first byte arrives (as gthread keeps idle kept-alive
    ones, closing it after the keep-alive timeout), and at least once a second shuts down the
    sockets of requests a thread has been busy with past their deadline, which ends the thread's
    blocked read at once.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.busy: dict[object, float] = {}  # connection -> when its thread must let it go

    def init_process(self) -> None:
        # This worker overrides gthread's internals of gunicorn 27: another version must fail loudly.
        for name in ("accept", "enqueue_req", "finish_request", "murder_keepalived", "on_pending_socket_readable"):
            if not hasattr(ThreadWorker, name):
                raise RuntimeError(f"gunicorn's ThreadWorker has no {name}(): ivr/voice/worker.py is written for gunicorn 27")
        super().init_process()

    def accept(self, listener) -> None:
        """Take a new connection and wait, without a thread, for its first byte."""
        try:
            sock, client = listener.accept()
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        conn = TConn(self.cfg, sock, client, listener.getsockname())  # non-blocking until a thread reads it
        conn.timeout = time.monotonic() + self.cfg.keepalive
        self.pending_conns.append(conn)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_pending_socket_readable, conn))

    def enqueue_req(self, conn) -> None:
        # Called on the main thread, as is finish_request: no lock is needed for `busy`.
        self.busy[conn] = time.monotonic() + DEADLINE
        super().enqueue_req(conn)

    def finish_request(self, conn, fs) -> None:
        self.busy.pop(conn, None)
        super().finish_request(conn, fs)

    def murder_keepalived(self, force: bool = False) -> None:
        super().murder_keepalived(force)
        now = time.monotonic()
        for conn, deadline in list(self.busy.items()):
            if deadline <= now:
                del self.busy[conn]
                try:
                    conn.sock.shutdown(socket.SHUT_RDWR)  # the thread's read returns; it closes the connection
                except OSError:
                    pass  # already closed by its thread
                self.log.warning("closed a connection that was still busy after %.0f s", DEADLINE)
