"""gunicorn's settings beyond the Procfile's line: read by gunicorn from the folder it starts in."""
import gc
import logging
import sys

# How long a thread waiting for the interpreter lets another run before asking it to stop (Python's
# default: 5 ms). See post_worker_init.
SWITCH_INTERVAL = 0.0005

# Threads, not one process per connection: a slow or hostile client holds a thread while it dribbles
# its request, and for ten seconds at most (ivr/voice/worker.py), never a whole worker (with sync
# workers, two slow connections stopped the hotline). A worker's main thread accepts connections and
# keeps those that have sent nothing yet; its threads read and answer.
worker_class = "ivr.voice.worker.HotlineWorker"
threads = 64

# The app is built once, in the master, before the workers fork: a worker that starts (or restarts
# after a crash, kill -9 or a timeout) answers at once with the master's configuration and looks for
# changes in the background; an invalid or slow file can never stop it from booting, and the master
# never exits because of one.
preload_app = True


def log_the_hotline():
    """Send the hotline's own log (reloads and what they changed, refused changes) where gunicorn's goes, as gunicorn writes it.

    Without a handler Python prints only warnings and errors: a successful reload would go unsaid.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("[%(asctime)s] [%(process)d] [%(levelname)s] %(name)s: %(message)s",
                                           "%Y-%m-%d %H:%M:%S %z"))
    hotline = logging.getLogger("ivr")
    hotline.addHandler(handler)
    hotline.setLevel(logging.INFO)


# Here, as gunicorn reads its settings: before the master loads the app, whose first messages count too.
log_the_hotline()


def pre_fork(server, worker):
    """Make the memory in which the new worker keeps its count of call events not yet written, and the count of refused requests all share."""
    from ivr.eventlog import workers

    workers.before_worker_fork(server, worker)
    refused = getattr(getattr(server.app, "callable", None), "extensions", {}).get("ivr.refused")
    if refused is not None:
        refused.share()  # once, before the first fork: /healthz then says the same number from every worker


def post_fork(server, worker):
    """Give a new worker its count of call events held, and its own watcher of the configuration's files."""
    from ivr.eventlog import workers

    workers.on_worker_forked(server, worker)  # its count of call events held, where the master can read it
    app = getattr(server.app, "callable", None)  # the preloaded app (None without preload_app)
    live = getattr(app, "extensions", {}).get("ivr.live")
    if live is not None:
        # Every IVR_RELOAD_INTERVAL seconds, requests or not, first at once: the master may have loaded
        # long ago. The worker answers with the master's configuration meanwhile.
        live.watch()


def child_exit(server, worker):
    """Log, and count in the call-event log, the events a worker that stopped had not written (kill -9, out of memory)."""
    from ivr.eventlog import workers

    workers.on_worker_exited(server, worker)


def post_worker_init(worker):
    """Keep the loaded app out of the garbage collector's sight; let a request take the interpreter back sooner.

    The configuration, catalogs and libraries are some 100,000 objects that live as long as the
    worker; each full collection walked them all, a pause of 50-80 ms in the middle of a call's
    request on this machine (bench/run.py's p99). Objects made later are collected as before.

    The call-event writer is a thread of the worker: while it writes a batch, a request that gave
    up the interpreter for a system call (accept, recv, send) waited up to the switch interval each
    time it wanted it back. At 16 connections our p99 was above the floor's in 9 runs out of 9; with
    0.5 ms, in 1 out of 8 (bench/README.md).
    """
    gc.collect()
    gc.freeze()
    sys.setswitchinterval(SWITCH_INTERVAL)
