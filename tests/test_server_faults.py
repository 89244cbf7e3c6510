"""The hotline keeps answering through faults, tried on a real gunicorn: dead workers, invalid files, slow clients."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import threading
import time
from pathlib import Path

import pytest

from ivr.loading.config import load

from .gunicorn_helpers import Gunicorn

SHIPPED = Path(__file__).resolve().parent.parent / "config"


@pytest.fixture
def config(tmp_path) -> Path:
    shutil.copytree(SHIPPED, tmp_path / "config")
    return tmp_path / "config"


@pytest.fixture
def veilig_thuis() -> str:
    """The number pressing 2 (English) then 1 reaches, as the shipped configuration says."""
    return load(SHIPPED).organisations["veilig_thuis"].phone.e164


@pytest.fixture
def server(tmp_path, config):
    started: list[Gunicorn] = []

    def start(*args: str, **kwargs) -> Gunicorn:
        hotline = Gunicorn(tmp_path, config, *args, **kwargs)
        started.append(hotline)
        hotline.wait_ready()
        return hotline

    yield start
    for hotline in started:
        hotline.stop()


def break_menus(config: Path) -> None:
    """Save an invalid menus.yaml, as an administrator's slip would."""
    with (config / "menus.yaml").open("a") as file:
        file.write("  broken: [\n")


def wait_for(condition, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.1)


def test_a_refused_change_and_kill_9_of_every_worker_never_stop_the_hotline(server, config, veilig_thuis):
    hotline = server()
    version = hotline.health()["version"]
    break_menus(config)
    wait_for(lambda: hotline.health()["status"] == "stale", "the running server refuses the change")
    for _ in range(3):
        killed = hotline.workers()
        for pid in killed:
            os.kill(pid, signal.SIGKILL)
        hotline.wait_ready(besides=tuple(killed))
        # New workers answer at once with the master's configuration, and look at the files in the background.
        call = hotline.call(["2", "1", "-", "hangup"])
        assert call.dialled == [veilig_thuis]
        wait_for(lambda: hotline.health()["status"] == "stale", "the new workers refuse the change too")
        assert hotline.health()["version"] == version
    assert hotline.process.poll() is None
    assert "Worker failed to boot" not in hotline.output()
    # The administrator repairs the file and makes another change: the next valid change is taken.
    shutil.copy(SHIPPED / "menus.yaml", config / "menus.yaml")
    settings = config / "hotline.yaml"
    settings.write_text(settings.read_text().replace("gather_timeout: 6", "gather_timeout: 7"))

    def changed() -> bool:
        health = hotline.health()
        return health["status"] == "ok" and health["version"] != version

    wait_for(changed, "the repaired and changed configuration is served")
    assert hotline.call(["2", "1", "-", "hangup"]).dialled == [veilig_thuis]


def test_a_server_started_while_the_files_are_invalid_serves_the_last_valid_copy(server, config, veilig_thuis):
    first = server()
    version = first.health()["version"]
    assert first.stop() == 0
    break_menus(config)
    again = server()
    assert again.health()["status"] == "stale"
    assert again.health()["version"] == version
    assert again.call(["2", "1", "-", "hangup"]).dialled == [veilig_thuis]


def test_without_any_valid_copy_an_invalid_configuration_refuses_to_start(tmp_path, config):
    break_menus(config)
    hotline = Gunicorn(tmp_path, config)
    try:
        assert hotline.process.wait(timeout=60) != 0
    finally:
        hotline.stop()
    assert "config/menus.yaml:" in hotline.output()


def test_a_worker_killed_by_the_timeout_while_a_change_is_refused_is_replaced(server, config, veilig_thuis):
    hotline = server("--timeout", "2")
    break_menus(config)
    wait_for(lambda: hotline.health()["status"] == "stale", "the running server refuses the change")
    stuck = hotline.workers()[0]
    os.kill(stuck, signal.SIGSTOP)  # a worker that stops answering its master: the timeout kills it
    try:
        wait_for(lambda: stuck not in hotline.workers(), "the master kills the stuck worker")
    finally:
        try:
            os.kill(stuck, signal.SIGCONT)
        except ProcessLookupError:
            pass
    hotline.wait_ready(besides=(stuck,))
    assert "WORKER TIMEOUT" in hotline.output()
    for _ in range(4):  # both workers, whichever the kernel hands the connection to
        assert hotline.call(["2", "1", "-", "hangup"]).dialled == [veilig_thuis]
    assert hotline.process.poll() is None


class SlowClient(threading.Thread):
    """A client that sends its request's headers a byte a second, as a slowloris attack does."""

    def __init__(self, port: int):
        super().__init__(daemon=True)
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.closed_by_server = threading.Event()
        self.stop = threading.Event()

    def run(self) -> None:
        request = b"POST /voice HTTP/1.1\r\nHost: hotline\r\nX-Padding: " + b"a" * 4000
        for byte in request:
            if self.stop.wait(1):
                break
            try:
                self.sock.send(bytes([byte]))
            except OSError:
                self.closed_by_server.set()
                break
        self.sock.close()


@pytest.mark.parametrize("count", [8, 50])
def test_slow_clients_do_not_hold_the_callers_capacity(server, veilig_thuis, count):
    hotline = server()
    clients = [SlowClient(hotline.port) for _ in range(count)]
    for client in clients:
        client.start()
    try:
        time.sleep(2)  # every slow client has sent its first bytes: each holds a thread now
        # A call's every step is answered while they dribble (Twilio waits 15 s; a held worker took 10 s or more).
        for _ in range(3):
            assert hotline.call(["2", "1", "-", "hangup"], timeout=3).dialled == [veilig_thuis]
        assert not any(client.closed_by_server.is_set() for client in clients)
    finally:
        for client in clients:
            client.stop.set()


def test_connections_that_send_nothing_do_not_hold_the_callers_capacity(server, veilig_thuis):
    hotline = server()
    idle = [socket.create_connection(("127.0.0.1", hotline.port)) for _ in range(400)]
    try:
        time.sleep(0.5)
        for _ in range(3):  # with gthread's own accept, each waited in a thread: calls took 3-8 s
            assert hotline.call(["2", "1", "-", "hangup"], timeout=3).dialled == [veilig_thuis]
        # The keep-alive timeout (2 s) closes them: their next read finds the end of the stream.
        idle[0].settimeout(10)
        assert idle[0].recv(1) == b""
    finally:
        for sock in idle:
            sock.close()


def test_a_connection_still_sending_its_request_after_the_deadline_is_closed(server):
    from ivr.voice.worker import DEADLINE

    hotline = server()
    client = SlowClient(hotline.port)
    client.start()
    try:
        # The server shuts the socket down: the client's next byte, or its read, fails.
        assert client.closed_by_server.wait(DEADLINE + 10)
    finally:
        client.stop.set()
    assert "still busy after 10 s" in hotline.output()
