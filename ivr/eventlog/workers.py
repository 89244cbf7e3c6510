"""gunicorn's hooks for the call-event log: a killed worker's events not written are counted, not forgotten."""
from __future__ import annotations

from . import store
from .store import Tally

# A worker holds its last half second of events in memory. Killed (kill -9, out of memory, a
# timeout), it cannot say how many: the master can, from a tally the worker keeps in memory the
# two share, and counts them in the log.

TALLY_ATTRIBUTE = "ivr_events_tally"


def before_worker_fork(server, worker) -> None:
    """pre_fork, in the master: make the shared memory in which the worker will keep its tally."""
    if getattr(worker, TALLY_ATTRIBUTE, None) is None:
        setattr(worker, TALLY_ATTRIBUTE, Tally())


def on_worker_forked(server, worker) -> None:
    """post_fork, in the worker: keep this process's tally in the memory the master made for it."""
    store._worker_tally = getattr(worker, TALLY_ATTRIBUTE, None)
    for sibling in list(getattr(server, "WORKERS", {}).values()):
        if sibling is not worker and getattr(sibling, TALLY_ATTRIBUTE, None) is not None:
            getattr(sibling, TALLY_ATTRIBUTE).close()  # another worker's: not this one's to read or write


def on_worker_exited(server, worker) -> None:
    """child_exit, in the master: log, and count in the log, the events a worker that stopped had not written."""
    tally = getattr(worker, TALLY_ATTRIBUTE, None)
    if tally is None:
        return
    setattr(worker, TALLY_ATTRIBUTE, None)
    try:
        held, writing, unrecorded = tally.read()
        tally.close()
        if held:
            # writing: the batch it was writing, which the database rolled back unless the kill came
            # in the instant between its commit and the tally's update.
            server.log.error("worker %s stopped with %d call events not written: lost%s", worker.pid, held,
                             f" ({writing} of them in the batch it was writing)" if writing else "")
        if unrecorded:
            server.log.error("worker %s stopped with %d call events lost earlier (logged by it) not yet counted in the "
                             "call-event log", worker.pid, unrecorded)
        lost = held + unrecorded
        if not lost:
            return
        app = getattr(getattr(server, "app", None), "callable", None)  # the app, with preload_app only
        events = getattr(app, "extensions", {}).get("ivr.events")
        if events is None:
            server.log.error("%d call events lost by worker %s are not counted in the call-event log: the master has "
                             "no app to reach it (gunicorn's preload_app is off)", lost, worker.pid)
            return
        failure = events.count_lost(lost)
        if failure:
            server.log.error("%d call events lost by worker %s are not counted in the call-event log: %s",
                             lost, worker.pid, failure)
    except Exception:  # the master must go on whatever happens here
        server.log.exception("counting the call events a stopped worker lost failed")
