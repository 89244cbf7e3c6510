"""gunicorn's threaded worker, with a deadline on each request: a slow client cannot keep a thread."""
from __future__ import annotations

import socket
import time

from gunicorn.workers.gthread import ThreadWorker

# Twilio sends a webhook's few hundred bytes at once and gives up on an answer after 15 s; a
# connection still busy after this long is a slow or hostile client (or a request nobody waits for).
DEADLINE = 10.0


class HotlineWorker(ThreadWorker):
    """A gthread worker that cuts off any request a thread has been busy with for DEADLINE seconds.

    gthread waits for a connection's first byte without a thread, but then reads the rest of the
    request in one of its threads, without a time limit: a client sending a byte a second held a
    thread for an hour, and enough of them held them all. The main loop runs at least once a
    second; each time, it shuts down the sockets of requests past their deadline, which ends the
    thread's blocked read at once.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.busy: dict[object, float] = {}  # connection -> when its thread must let it go

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
                self.log.warning("closed a connection from %s that was still busy after %.0f s", conn.client[0] if conn.client else "?", DEADLINE)
