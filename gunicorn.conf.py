"""gunicorn's settings beyond the Procfile's line: read by gunicorn from the folder it starts in."""
import gc


def post_worker_init(worker):
    """Move everything the loaded app holds out of the garbage collector's sight.

    The configuration, catalogs and libraries are some 100,000 objects that live as long as the
    worker; each full collection walked them all, a pause of 50-80 ms in the middle of a call's
    request on this machine (bench/run.py's p99). Objects made later are collected as before.
    """
    gc.collect()
    gc.freeze()
