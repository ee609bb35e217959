"""Processes the integration tests start and drive: the real refdesk daemons, on 127.0.0.1 and Unix sockets
inside a temporary directory, each test with fresh state."""
import json
import os
import queue
import shutil
import tempfile
import signal
import socket
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import pytest

BIN = Path(os.environ.get("REFDESK_BIN", Path(__file__).resolve().parents[2] / ".build" / "debug"))


def binary(name: str) -> str:
    path = BIN / name
    if not path.exists():
        raise RuntimeError(f"{path} is missing: build first (make build)")
    return str(path)


def report(config, line: str):
    """Prints a summary line into the run's own output, past pytest's capture, so CI logs show it whether or not
    the test passed. `config` is `request.config`."""
    capture = config.pluginmanager.getplugin("capturemanager")
    if capture is not None:
        with capture.global_and_fixture_disabled():
            print("\n" + line, flush=True)
    else:
        print(line, flush=True)


def wait_until(predicate, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class RouterProcess:
    """refdesk-router with a config, database, socket and log in `workdir`."""

    def __init__(self, workdir: Path, extra_config: str = "", bridges_config: str = ""):
        self.workdir = workdir
        self.database = workdir / "router.sqlite"
        self.socket = workdir / "router.sock"
        self.log = workdir / "router.log"
        self.config = workdir / "router.toml"
        self.config.write_text(
            f'[router]\ndatabase = "{self.database}"\nlog_level = "debug"\n'
            f'[bridges]\nsocket = "{self.socket}"\n{bridges_config}\n'
            f'[presence]\nsettle_time = "200ms"\n{extra_config}'
        )
        self.process = None

    def start(self):
        mark = self.log_text().count("listening for bridges")
        log = open(self.log, "ab")
        self.process = subprocess.Popen([binary("refdesk-router"), "-c", str(self.config)], stderr=log, stdin=subprocess.DEVNULL)
        log.close()
        wait_until(lambda: self.log_text().count("listening for bridges") > mark or self.process.poll() is not None,
                   15, "the router to listen")
        assert self.process.poll() is None, f"router exited: {self.log_text()[-2000:]}"

    def kill(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self, timeout: float = 10) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def query(self, sql: str, *args):
        connection = sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=10)
        try:
            return connection.execute(sql, args).fetchall()
        finally:
            connection.close()

    def seed(self, statements: str):
        """Runs SQL against the router's database while the router is stopped (the admin API comes later)."""
        connection = sqlite3.connect(self.database)
        try:
            connection.executescript(statements)
            connection.commit()
        finally:
            connection.close()


class BridgeProcess:
    """refdesk-testbridge: a real bridge whose outside network is JSON lines on stdin/stdout."""

    def __init__(self, workdir: Path, socket_path: Path, name: str = "bridge", protocol: str = "test", user=None):
        self.socket_path = socket_path
        self.spool = workdir / f"{name}.sqlite"
        self.log = workdir / f"{name}.log"
        self.protocol = protocol
        self.user = user
        self.events = queue.Queue()
        self.history = []
        self.process = None

    def start(self):
        command = [binary("refdesk-testbridge"), "--socket", str(self.socket_path), "--spool", str(self.spool),
                   "--protocol", self.protocol, "--log-level", "debug"]
        if self.user:
            command = ["setpriv", f"--reuid={self.user}", f"--regid={self.user}", "--clear-groups"] + command
        log = open(self.log, "ab")
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True, bufsize=1)
        log.close()
        threading.Thread(target=self._read, args=(self.process,), daemon=True).start()

    def _read(self, process):
        for line in process.stdout:
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            self.history.append(event)
            self.events.put(event)

    def send(self, command: dict) -> bool:
        try:
            self.process.stdin.write(json.dumps(command) + "\n")
            self.process.stdin.flush()
            return True
        except (BrokenPipeError, ValueError, OSError):
            return False

    def wait_event(self, predicate, timeout: float = 10):
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no matching bridge event within {timeout}s; seen: {self.history[-10:]}")
            try:
                event = self.events.get(timeout=remaining)
            except queue.Empty:
                continue
            if predicate(event):
                return event

    def kill(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.send({"op": "quit"})
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.kill()

    def query(self, sql: str, *args):
        connection = sqlite3.connect(f"file:{self.spool}?mode=ro", uri=True, timeout=10)
        try:
            return connection.execute(sql, args).fetchall()
        finally:
            connection.close()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def connect_raw(path: Path) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(str(path))
    return sock


@pytest.fixture
def workdir():
    """A fresh directory under /tmp, traversable by other users (a test runs a bridge as `nobody`), with short
    paths (Unix socket paths are limited to 107 bytes). REFDESK_KEEP_WORKDIR=1 keeps it for its logs."""
    path = Path(tempfile.mkdtemp(prefix="refdesk-"))
    os.chmod(path, 0o755)
    yield path
    if not os.environ.get("REFDESK_KEEP_WORKDIR"):
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def processes():
    started = []
    yield started
    for process in started:
        try:
            process.kill()
        except Exception:
            pass


def seed_queue_and_gateway(router: RouterProcess, gateway_protocol: str = "test"):
    """Creates the schema (first start), then a queue `ask` with an offline reply and gateway 1 on it."""
    router.start()
    assert router.stop() == 0
    router.seed(f"""
        INSERT INTO queues (name, routing_policy, chat_limit, offline_reply)
            VALUES ('ask', 'ring-all', 0, 'The library is closed now; a librarian will answer when we open.');
        INSERT INTO gateways (protocol, queue, username, normalised_username, secret, created_at)
            VALUES ('{gateway_protocol}', 'ask', '+15550000001', '+15550000001', '', 0);
    """)
