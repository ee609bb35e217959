#!/usr/bin/env python3
"""refdesk benchmarks: how fast and how small, against the XMPP server's own floor.

Starts everything on loopback (Prosody, the router as its component, the Twilio and AIM bridges, the fake Twilio
API, the OSCAR test server, slixmpp librarians), measures, and prints one table. Every loop is bounded; nothing
is asserted: the figures are for reading next to the targets in docs/performance.md.

    REFDESK_BIN=<release bin dir> bench/run.py            the full profile (make bench)
    REFDESK_BIN=<release bin dir> bench/run.py --quick    a short profile for CI (make bench-quick)
"""
import argparse
import asyncio
import json
import os
import platform
import selectors
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "Tests" / "integration"))
os.environ.setdefault("REFDESK_BIN", str(ROOT / ".build-bench" / "release"))

import bridgewire  # noqa: E402
from conftest import RouterProcess, binary, wait_until  # noqa: E402
from test_admin_api import free_port  # noqa: E402
from fake_twilio import FakeTwilio  # noqa: E402
from oscar_server import OscarServer, PatronClient  # noqa: E402
from staffing import patron_jid, router_for, seed_desk  # noqa: E402
from test_twilio_bridge import ACCOUNT, PUBLIC, TOKEN, TwilioBridgeProcess, sms  # noqa: E402
from twilio.request_validator import RequestValidator  # noqa: E402
import requests  # noqa: E402
from xmpp_harness import DEFAULT_PASSWORD, Librarian, ProsodyServer  # noqa: E402

DESK, DESK_PASSWORD = "Ref Desk", "desk-secret"
# A second screen name of the desk, on the OSCAR server's real default rate classes (the first has its IM class
# scaled down 20 times, so round trips can be measured many times within the allowance in seconds, not minutes).
REAL_DESK = "Ref Desk Real"
AIM_PATRON_PASSWORD = "patron-secret"
IM_RATE_SCALE = 0.05


# --------------------------------------------------------------------------------------------------- helpers


def percentile(values, fraction):
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(fraction * (len(ordered) - 1)))))
    return ordered[index]


def ms(seconds):
    return f"{seconds * 1000:.2f}"


def status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return 0


def rss_kib(pid: int) -> int:
    return status_kib(pid, "VmRSS")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used: a figure the neighbours on a shared machine do not inflate as much
    as they do wall time."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CPUShare:
    """Who used the two cores during a run: each daemon's CPU time (from /proc), this process's (the librarian's
    client, the pacing and the bookkeeping), and the workers it ran and waited for (the webhook poster), as a
    percentage of one core over the run's wall time. When the sum nears 100 % per core, the machine is saturated and
    latency is queueing for a core, not work in any one process."""

    def __init__(self, pids: dict):
        self.pids = pids

    def __enter__(self):
        self.started = time.monotonic()
        self.before = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        self.own = self._own()
        return self

    @staticmethod
    def _own():
        import resource
        me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return me.ru_utime + me.ru_stime, children.ru_utime + children.ru_stime

    def __exit__(self, *_):
        wall = max(time.monotonic() - self.started, 1e-9)
        self.share = {name: (cpu_seconds(pid) - self.before[name]) / wall * 100 for name, pid in self.pids.items()}
        own = self._own()
        self.share["bench: librarian client"] = (own[0] - self.own[0]) / wall * 100
        self.share["bench: workers"] = (own[1] - self.own[1]) / wall * 100

    def summary(self) -> str:
        parts = ", ".join(f"{name} {value:.0f} %" for name, value in self.share.items())
        return f"{parts}; total {sum(self.share.values()):.0f} % of {os.cpu_count() * 100} %"


def memory(pid: int) -> str:
    """RSS, split into anonymous memory (the daemon's own heap and stacks) and file-backed pages (mapped code and
    read-only data of the executable and its shared libraries, shared with every process that maps them)."""
    rss, anon, file = (status_kib(pid, field) for field in ("VmRSS", "RssAnon", "RssFile"))
    return f"{rss / 1024:.1f} MiB ({anon / 1024:.1f} anon + {file / 1024:.1f} file)"


def quiet(config: Path):
    """Benchmarks run at log level info: debug lines would measure the journal, not the daemon."""
    config.write_text(config.read_text().replace('log_level = "debug"', 'log_level = "info"'))


class TimedLibrarian(Librarian):
    """A librarian client that stamps each message with the monotonic time its handler ran."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.arrivals = {}

    def _on_message(self, message):
        body = message["body"] or ""
        self.arrivals[body] = time.monotonic()
        super()._on_message(message)

    def fire(self, to: str, body: str, handed=None):
        """Queues a message on the client's loop without waiting for it (so a paced sender is not slowed); `handed`,
        if given, is called on the loop just before slixmpp sends it."""
        def send():
            if handed:
                handed()
            self._client.send_message(mto=to, mbody=body, mtype="chat")
        self._loop.call_soon_threadsafe(send)


class TimedTwilio(FakeTwilio):
    """The fake Messages API, noting when each accepted call arrived (and telling `on_arrival`, if given)."""

    def __init__(self, accounts, on_arrival=None, **options):
        super().__init__(accounts, **options)
        self.arrivals = {}
        self.on_arrival = on_arrival

    def _answer(self, path, authorization, raw):
        arrived = time.monotonic()
        status, body = super()._answer(path, authorization, raw)
        if status == 201:
            text = urllib.parse.parse_qs(raw).get("Body", [""])[0]
            self.arrivals[text] = arrived
            if self.on_arrival:
                self.on_arrival(text, arrived)
        return status, body


class MessagesAPIProcess:
    """The fake Messages API in a worker process of its own (`--messages-api`), so that answering a thousand calls a
    second does not compete for this process's interpreter lock with the librarian who sends the replies (in one
    process it answered about 250 calls/s). Each accepted call's body and arrival time (CLOCK_MONOTONIC, one clock
    for every process) comes back over the worker's stdout."""

    def __init__(self):
        self.process = subprocess.Popen([sys.executable, __file__, "--messages-api", ACCOUNT, TOKEN],
                                        stdout=subprocess.PIPE, text=True)
        self.base = self.process.stdout.readline().strip()
        if not self.base.startswith("http://"):
            raise RuntimeError("the Messages API worker did not start")
        self.arrivals = {}
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            arrived, _, body = line.partition("\t")
            self.arrivals[json.loads(body)] = float(arrived)

    def stop(self):
        self.process.kill()
        self.process.wait()


def serve_messages_api(account: str, token: str):
    """The worker behind MessagesAPIProcess: prints the API's base URL, then a line per accepted call (arrival time,
    tab, the body as JSON), in batches every 20 ms; exits when its parent has gone."""
    lock, lines = threading.Lock(), []

    def note(text, arrived):
        with lock:
            lines.append(f"{arrived}\t{json.dumps(text)}\n")

    parent = os.getppid()
    api = TimedTwilio({account: token}, on_arrival=note).start()
    print(api.base, flush=True)
    while os.getppid() == parent:
        time.sleep(0.02)
        with lock:
            batch = "".join(lines)
            lines.clear()
        if batch:
            sys.stdout.write(batch)
            sys.stdout.flush()


class DelayProxy:
    """A TCP relay that holds every chunk for `one_way` seconds in each direction: a network with that much latency
    (2 x one_way of round trip) between refdesk-twilio and the Messages API, so handshakes cost what they would."""

    def __init__(self, target_port: int, one_way: float):
        self.target_port, self.one_way = target_port, one_way
        self.loop = asyncio.new_event_loop()
        self.port = None

    def start(self) -> "DelayProxy":
        ready = threading.Event()

        async def relay(reader, writer):
            queue = asyncio.Queue()

            async def pump():
                while True:
                    due, data = await queue.get()
                    await asyncio.sleep(max(0.0, due - time.monotonic()))
                    if data is None:
                        writer.close()
                        return
                    writer.write(data)
                    await writer.drain()
            sender = asyncio.ensure_future(pump())
            while True:
                data = await reader.read(65536)
                queue.put_nowait((time.monotonic() + self.one_way, data or None))
                if not data:
                    break
            await sender

        async def connection(client_reader, client_writer):
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
            await asyncio.gather(relay(client_reader, server_writer), relay(server_reader, client_writer),
                                 return_exceptions=True)

        async def serve():
            self.server = await asyncio.start_server(connection, "127.0.0.1", 0)
            self.port = self.server.sockets[0].getsockname()[1]
            ready.set()

        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        asyncio.run_coroutine_threadsafe(serve(), self.loop)
        ready.wait(5)
        return self

    def stop(self):
        """Stops accepting and leaves the loop (its thread is a daemon; open relays end with the process)."""
        self.loop.call_soon_threadsafe(self.server.close)
        self.loop.call_soon_threadsafe(self.loop.stop)


def paced(rate: float, duration: float, send):
    """Calls send(i) at `rate` per second for `duration` seconds; returns {i: time sent}."""
    count = max(1, int(rate * duration))
    sent = {}
    start = time.monotonic()
    for i in range(count):
        due = start + i / rate
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        sent[i] = time.monotonic()
        send(i)
    return sent


def latencies(sent: dict, arrivals: dict, key, settle: float):
    """Waits up to `settle` s for the last arrivals; returns (latencies, delivered count, achieved rate)."""
    deadline = time.monotonic() + settle
    while time.monotonic() < deadline and sum(1 for i in sent if key(i) in arrivals) < len(sent):
        time.sleep(0.05)
    values = [arrivals[key(i)] - t for i, t in sent.items() if key(i) in arrivals]
    if not values:
        return [], 0, 0.0
    first = min(sent.values())
    last = max(arrivals[key(i)] for i in sent if key(i) in arrivals)
    return values, len(values), len(values) / max(last - first, 1e-9)


class Notify:
    """A datagram socket for NOTIFY_SOCKET: when did the daemon say READY=1?"""

    def __init__(self, path: Path):
        self.path = path
        path.unlink(missing_ok=True)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))

    def wait_ready(self, timeout: float = 15) -> bool:
        self.sock.settimeout(timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                data = self.sock.recv(4096)
            except (socket.timeout, TimeoutError):
                return False
            if b"READY=1" in data.split(b"\n"):
                return True
        return False

    def close(self):
        self.sock.close()


def start_to_ready(command, workdir: Path, name: str, env=None):
    """Spawns `command` with NOTIFY_SOCKET, returns (process, seconds to READY=1 or None)."""
    notify = Notify(workdir / f"{name}.notify")
    log = open(workdir / f"{name}.log", "ab")
    started = time.monotonic()
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stderr=log,
                               env={**os.environ, **(env or {}), "NOTIFY_SOCKET": str(notify.path)})
    log.close()
    ready = notify.wait_ready()
    elapsed = time.monotonic() - started if ready else None
    notify.close()
    return process, elapsed


def stop(process):
    if process and process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --------------------------------------------------------------------------------------------------- raw bridge


class RawBridge:
    """One bridge connection speaking the wire protocol directly: hello, then `count` messageReceived frames with at
    most 512 unacked (the protocol's window); reliable frames from the router (auto-replies) are acked at once."""

    WINDOW = 512

    def __init__(self, socket_path: str, protocol: str, gateway: int, count: int, patrons: int, prefix: str,
                 offset: int):
        self.protocol = protocol
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(30)
        self.sock.connect(socket_path)
        self.sock.sendall(bridgewire.hello(protocol, instance=f"bench-{protocol}"))
        self.frames = [bridgewire.message_received(f"{prefix}{i}", gateway, f"+1555{offset + i % patrons:07d}",
                                                   f"bench {prefix}{i}") for i in range(count)]
        self.count = count
        self.buffer = b""
        self.welcomed = False
        self.sent = self.acked = 0

    @property
    def done(self) -> bool:
        return self.acked >= self.count

    def pump(self):
        """Sends as much as the window allows."""
        if self.welcomed and self.sent < self.count and self.sent - self.acked < self.WINDOW:
            batch = self.frames[self.sent:min(self.count, self.acked + self.WINDOW)]
            self.sock.sendall(b"".join(batch))
            self.sent += len(batch)

    def receive(self):
        """Reads what the router sent and handles every whole frame in it."""
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise SystemExit(f"{self.protocol}: the router closed the connection after {self.acked} acks")
        self.buffer += chunk
        offset = 0
        while len(self.buffer) - offset >= 5:
            length, kind = struct.unpack(">IB", self.buffer[offset:offset + 5])
            if len(self.buffer) - offset < 4 + length:
                break
            body = self.buffer[offset + 5:offset + 4 + length]
            offset += 4 + length
            if kind == bridgewire.WELCOME:
                self.welcomed = True
            elif kind == bridgewire.ACK:
                self.acked += bridgewire.Reader(body).u32()
            elif kind == bridgewire.PING:
                self.sock.sendall(bridgewire.frame(bridgewire.PONG, body))
            elif kind == bridgewire.GOODBYE:
                raise SystemExit(f"{self.protocol}: goodbye {bridgewire.goodbye(body)}")
            elif kind >= 0x20 and len(body) >= 4:
                reader = bridgewire.Reader(body)
                self.sock.sendall(bridgewire.frame(bridgewire.ACK, struct.pack(">I", 1) + bridgewire.string(reader.string())))
        self.buffer = self.buffer[offset:]


def post_webhooks(url: str, rate: float, duration: float, tag: str, first_sid: int, patrons: int):
    """Posts signed webhooks `p2l TAG i` at `rate` for `duration` s with 32 client threads (see --post-webhooks); prints
    one JSON object: when each was due to go ("sent") and when a thread took it ("queued"), both CLOCK_MONOTONIC so the
    parent can compare them with its own arrival times, and the failures."""
    validator = RequestValidator(TOKEN)
    requests = []
    for i in range(max(1, int(rate * duration))):
        params = sms(first_sid + i + 1, f"+1555200{i % patrons:04d}", f"p2l {tag} {i}")
        signature = validator.compute_signature(f"{PUBLIC}/sms", params)
        requests.append(urllib.request.Request(url, data=urllib.parse.urlencode(params).encode(), method="POST",
                                               headers={"X-Twilio-Signature": signature,
                                                        "Content-Type": "application/x-www-form-urlencoded"}))
    failures, queued = [], {}

    def post(i):
        queued[i] = time.monotonic()
        try:
            with urllib.request.urlopen(requests[i], timeout=30) as response:
                response.read()
        except Exception as error:  # counted, not fatal: the table says how many got through
            failures.append(f"{type(error).__name__}: {error}")

    with ThreadPoolExecutor(32) as pool:
        sent = paced(rate, duration, lambda i: pool.submit(post, i))
    print(json.dumps({"sent": sent, "queued": queued, "failures": failures}))


def raw_bridges(socket_path: str, specs: str, count: int, patrons: int, prefix: str, offset: int):
    """Runs several raw bridges in this process (see --raw-bridges): connects them all, waits until each is welcomed,
    prints `ready`, waits for `go` on stdin, then sends; prints `start end acked` (CLOCK_MONOTONIC, so the parent can
    compare workers)."""
    bridges = []
    for spec in specs.split(","):
        protocol, gateway = spec.rsplit(":", 1)
        bridges.append(RawBridge(socket_path, protocol, int(gateway), count, patrons, f"{prefix}{protocol}-", offset))
    selector = selectors.DefaultSelector()
    for bridge in bridges:
        selector.register(bridge.sock, selectors.EVENT_READ, bridge)
    deadline = time.monotonic() + 30
    while not all(b.welcomed for b in bridges):
        if time.monotonic() > deadline:
            raise SystemExit("not every raw bridge was welcomed within 30 s")
        for key, _ in selector.select(timeout=1):
            key.data.receive()
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        return
    start = time.monotonic()
    for bridge in bridges:
        bridge.pump()
    idle_since = time.monotonic()
    while not all(b.done for b in bridges):
        events = selector.select(timeout=1)
        if events:
            idle_since = time.monotonic()
        elif time.monotonic() - idle_since > 30:
            raise SystemExit(f"no acks for 30 s ({sum(b.acked for b in bridges)} acked)")
        for key, _ in events:
            key.data.receive()
            key.data.pump()
    print(f"{start:.6f} {time.monotonic():.6f} {sum(b.acked for b in bridges)}", flush=True)


def run_raw_bridges(socket_path: Path, bridges, count: int, patrons: int, tag: str, offset: int = 0,
                    workers: int = 2):
    """Runs raw bridges (`count` messages each) spread over `workers` processes, started together once every bridge
    is welcomed; returns (messages/s overall = all acks / (last end − first start), that wall time)."""
    groups = [bridges[i::workers] for i in range(min(workers, len(bridges)))]
    processes = [subprocess.Popen([sys.executable, __file__, "--raw-bridges", str(socket_path),
                                   ",".join(f"{p}:{g}" for p, g in group), str(count), str(patrons), tag, str(offset)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                 for group in groups]
    try:
        for process in processes:
            if process.stdout.readline().strip() != "ready":
                raise RuntimeError(f"a raw bridge worker did not connect (status {process.wait(5)})")
        for process in processes:
            process.stdin.write("go\n")
            process.stdin.flush()
        results = []
        for process in processes:
            out, _ = process.communicate(timeout=300)
            if process.returncode != 0 or not out.strip():
                raise RuntimeError(f"a raw bridge worker failed (status {process.returncode})")
            start, end, acked = out.split()
            results.append((float(start), float(end), int(acked)))
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    elapsed = max(e for _, e, _ in results) - min(s for s, _, _ in results)
    return sum(a for _, _, a in results) / elapsed, elapsed


# --------------------------------------------------------------------------------------------------- the runs


class Bench:
    def __init__(self, quick: bool):
        self.quick = quick
        self.rows = []  # (section, measure, value, target)
        self.notes = []
        # The headline figures, each (measure, seconds or rate, target), for the closing "refdesk vs floor" table.
        self.headline = {}
        self.workdir = Path(tempfile.mkdtemp(prefix="refdesk-bench-"))
        os.chmod(self.workdir, 0o755)
        self.cleanup = []

    def row(self, section, measure, value, target=""):
        self.rows.append((section, measure, value, target))
        print(f"  {section:<22} {measure:<52} {value:>22}  {target}", flush=True)

    def note(self, text):
        self.notes.append(text)
        print(f"  note: {text}", flush=True)

    # ----- the floor

    def floor(self, prosody):
        alice = TimedLibrarian("floor-a@localhost", DEFAULT_PASSWORD, prosody.c2s_port)
        bob = TimedLibrarian("floor-b@localhost", DEFAULT_PASSWORD, prosody.c2s_port)
        for client in (alice, bob):
            prosody.create_user(client.jid, DEFAULT_PASSWORD)
            client.connect()
            self.cleanup.append(client.disconnect)
        warm = paced(500, 0.4, lambda i: alice.fire(bob.jid, f"warm {i}"))
        latencies(warm, bob.arrivals, lambda i: f"warm {i}", 5)
        duration = 3 if self.quick else 10
        for rate in (200,):
            sent = paced(rate, duration, lambda i: alice.fire(bob.jid, f"floor {rate} {i}"))
            values, got, _ = latencies(sent, bob.arrivals, lambda i: f"floor {rate} {i}", 10)
            self.floor_p99 = percentile(values, 0.99)
            self.headline["floor p99"] = self.floor_p99
            self.row("floor (Prosody c2c)", f"latency p50 / p99 at {rate}/s ({got} msgs)",
                     f"{ms(percentile(values, 0.5))} / {ms(self.floor_p99)} ms")
        self.disk_floor()
        burst = 5000 if self.quick else 20000
        sent = {}
        for i in range(burst):
            sent[i] = time.monotonic()
            alice.fire(bob.jid, f"floor burst {i}")
        values, got, achieved = latencies(sent, bob.arrivals, lambda i: f"floor burst {i}", 60)
        self.row("floor (Prosody c2c)", f"max sustained, burst of {burst}", f"{achieved:,.0f} msgs/s ({got} got)")

    def disk_floor(self):
        """What one durable commit costs on this disk: a one-row SQLite commit in WAL mode with synchronous=FULL, as
        the router and the bridges' spools make them, one at a time. A text from a patron waits for two of them (the
        bridge's spool, then the router's) and a reply for two more (the router's, then the bridge's spool) before it
        goes on, so twice this p99 is the part of refdesk's tail over the XMPP floor that durability costs."""
        import sqlite3
        database = sqlite3.connect(self.workdir / "disk-floor.sqlite", isolation_level=None)
        database.execute("PRAGMA journal_mode = WAL")
        database.execute("PRAGMA synchronous = FULL")
        database.execute("CREATE TABLE line (id INTEGER PRIMARY KEY, body TEXT)")
        values = []
        for i in range(300 if self.quick else 1000):
            started = time.monotonic()
            database.execute("INSERT INTO line (body) VALUES (?)", (f"a patron's line {i}",))
            values.append(time.monotonic() - started)
        database.close()
        self.headline["commit p99"] = percentile(values, 0.99)
        self.row("floor (disk)", f"SQLite commit, one row, WAL + synchronous=FULL: p50 / p99 ({len(values)})",
                 f"{ms(percentile(values, 0.5))} / {ms(percentile(values, 0.99))} ms")

    # ----- the desk: router + Twilio + AIM bridges

    def desk(self, prosody):
        workdir = self.workdir / "desk"
        workdir.mkdir()
        router = router_for(workdir, prosody)
        quiet(router.config)
        self.cleanup.append(router.kill)
        seed_desk(router, {"alice": (["alice@localhost"], ["ask"])}, gateway_protocol="twilio")
        router.seed(f"""UPDATE gateways SET secret = '{ACCOUNT}' WHERE id = 1;
            INSERT INTO gateways (protocol, queue, username, normalised_username, secret, created_at)
                VALUES ('aim', 'ask', 'RefDesk@aol.com', 'refdesk', '{DESK_PASSWORD}', 0);
            INSERT INTO gateways (protocol, queue, username, normalised_username, secret, created_at)
                VALUES ('test', 'ask', 'bench', 'bench', '', 0);
            INSERT INTO gateways (protocol, queue, username, normalised_username, secret, created_at)
                VALUES ('aim', 'ask', 'RefDeskReal@aol.com', 'refdeskreal', '{DESK_PASSWORD}', 0);""")
        alice = TimedLibrarian("alice@localhost", DEFAULT_PASSWORD, prosody.c2s_port)
        prosody.create_user(alice.jid, DEFAULT_PASSWORD)
        alice.connect()
        self.cleanup.append(alice.disconnect)

        # Start-up to READY=1 and idle RSS: the router.
        router.process, ready = start_to_ready([binary("refdesk-router"), "-c", str(router.config)], workdir, "router")
        self.row("start-up", "router (XMPP, 4 gateways): exec → READY=1", f"{ms(ready)} ms" if ready else "no READY",
                 "< 200 ms")
        wait_until(lambda: "queue online" in router.log_text(), 15, "the queue to come online")
        time.sleep(1)
        idle = rss_kib(router.process.pid)
        self.row("memory (idle RSS)", "refdesk-router (XMPP up, 4 gateways)", memory(router.process.pid), "< 30 MB")

        api = MessagesAPIProcess()
        self.cleanup.append(api.stop)
        twilio = TwilioBridgeProcess(workdir, router.socket, api.base, extra="segments_per_second = 10000")
        quiet(twilio.config)
        environment = {"CREDENTIALS_DIRECTORY": str(twilio.credentials)}
        twilio.process, ready = start_to_ready([binary("refdesk-twilio"), "-c", str(twilio.config)], workdir, "twilio",
                                               environment)
        self.cleanup.append(twilio.kill)
        self.row("start-up", "refdesk-twilio: exec → READY=1", f"{ms(ready)} ms" if ready else "no READY", "< 200 ms")
        wait_until(lambda: "gateway ready" in twilio.log_text(), 15, "the Twilio bridge to learn its gateway")
        time.sleep(1)
        self.row("memory (idle RSS)", "refdesk-twilio", memory(twilio.process.pid), "< 30 MB")

        users = {DESK: DESK_PASSWORD, REAL_DESK: DESK_PASSWORD, **{f"Pat Ron {k}": AIM_PATRON_PASSWORD for k in range(25)}}
        # Every scripted patron signs on from 127.0.0.1: the server's per-address login limit (10, then one a
        # minute, like AOL's) is raised so that 25 patrons can, as they would from their own addresses.
        server = OscarServer(users, login_burst=64, im_rate_scale=IM_RATE_SCALE, im_rate_scales={REAL_DESK: 1.0}).start()
        self.cleanup.append(server.stop)
        aim_config = workdir / "aim.toml"
        aim_config.write_text(
            f'[bridge]\nrouter_socket = "{router.socket}"\nspool = "{workdir / "aim-spool.sqlite"}"\n'
            f'instance = "aim-bench"\nlog_level = "info"\n'
            f'[aim]\nserver = "127.0.0.1:{server.auth_port}"\nclient_id = "refdesk-bench"\n'
            f'reconnect_initial = "200ms"\nreconnect_maximum = "2s"\n')
        aim, ready = start_to_ready([binary("refdesk-aim"), "-c", str(aim_config)], workdir, "aim")
        self.cleanup.append(lambda: stop(aim))
        self.row("start-up", "refdesk-aim: exec → READY=1", f"{ms(ready)} ms" if ready else "no READY", "< 200 ms")
        wait_until(lambda: server.is_online(DESK) and server.is_online(REAL_DESK), 20, "the AIM screen names to sign on")
        time.sleep(1)
        self.row("memory (idle RSS)", "refdesk-aim (two screen names on)", memory(aim.pid), "< 30 MB")
        self.row("memory (idle RSS)", "prosody (for scale)", memory(prosody.process.pid))
        self.desk_pids = {"router": router.process.pid, "refdesk-twilio": twilio.process.pid,
                          "prosody": prosody.process.pid, "Messages API": api.process.pid}

        for name, step in (("patron → librarian", lambda: self.patron_to_librarian(prosody, twilio, alice)),
                           ("librarian → patron", lambda: self.librarian_to_patron(prosody, api, alice, twilio)),
                           ("AIM", lambda: self.aim_round_trip(server, prosody, alice)),
                           ("AIM lines", lambda: self.aim_lines(server, prosody, alice)),
                           ("open conversations", lambda: self.open_conversations(router, alice))):
            try:
                step()
            except Exception as error:  # one failed measurement must not hide the others
                self.note(f"{name} was not measured: {type(error).__name__}: {error}")

    def patron_to_librarian(self, prosody, twilio, alice):
        patrons = 20
        for i in range(patrons):  # open the conversations first: the runs measure steady state
            twilio.post("sms", sms(900000 + i, f"+1555200{i:04d}", f"hello {i}"))
        wait_until(lambda: all(f"hello {i}" in alice.arrivals for i in range(patrons)), 30, "the openers")
        url = f"http://127.0.0.1:{twilio.port}/refdesk/sms"
        sid = [1]

        def run(tag: str, rate: float, duration: float):
            """Posts signed webhooks at `rate` for `duration` s from a worker process (see --post-webhooks), so the
            posting threads do not hold up the librarian's client in this process; returns (sent, latencies by
            message, client queue delays, failures). The client queue delay is how long a paced request waited for
            a free client thread: when it grows, the harness, not refdesk, is the limit."""
            count = max(1, int(rate * duration))
            worker = subprocess.run(
                [sys.executable, __file__, "--post-webhooks", url, str(rate), str(duration), tag, str(sid[0]), str(patrons)],
                capture_output=True, text=True, timeout=duration * 4 + 120)
            sid[0] += count
            if worker.returncode != 0:
                raise RuntimeError(f"the webhook poster failed: {worker.stderr.strip()[-500:]}")
            posted = json.loads(worker.stdout)
            sent = {int(i): t for i, t in posted["sent"].items()}
            queued = {int(i): t for i, t in posted["queued"].items()}
            failures = posted["failures"]
            latencies(sent, alice.arrivals, lambda i: f"p2l {tag} {i}", 10 + duration / 2)
            by_message = {i: alice.arrivals[f"p2l {tag} {i}"] - t for i, t in sent.items() if f"p2l {tag} {i}" in alice.arrivals}
            delays = [queued[i] - t for i, t in sent.items() if i in queued]
            return sent, by_message, delays, failures

        for rate in ((50, 200) if self.quick else (50, 200, 1000)):
            duration = 3 if self.quick else 10
            with CPUShare(self.desk_pids) as cpu:
                sent, by_message, delays, failures = run(str(rate), rate, duration)
            values = list(by_message.values())
            got = len(values)
            achieved = got / max(max((alice.arrivals[f"p2l {rate} {i}"] for i in by_message), default=0)
                                 - min(sent.values()), 1e-9)
            p99 = percentile(values, 0.99)
            self.headline[f"p2l p99 {rate}"] = p99
            self.row("patron → librarian", f"SMS webhook → XMPP client, {rate}/s offered: p50/p99/p999",
                     f"{ms(percentile(values, .5))}/{ms(p99)}/{ms(percentile(values, .999))} ms",
                     "p99 ≤ floor p99 + 2 ms" if rate == 200 else "")
            self.row("patron → librarian", f"  {rate}/s: delivered / achieved rate / p99 vs floor p99",
                     f"{got}/{len(sent)}, {achieved:,.0f}/s, ×{p99 / self.floor_p99:.1f} "
                     f"({(p99 - self.floor_p99) * 1000:+.2f} ms)")
            if rate >= 200:
                self.row("patron → librarian", f"  {rate}/s: CPU (bench workers = the webhook poster)", cpu.summary())
            if failures:
                self.note(f"{len(failures)} webhook POSTs failed at {rate}/s (first: {failures[0]})")
        self.sustained("patron → librarian", run)
        # Answer the 20 chats, so that their waiting lines (every text above) are let go and do not weigh on what follows.
        for i in range(patrons):
            alice.fire(patron_jid(prosody, f"+1555200{i:04d}"), f"answered {i}")

    def sustained(self, section, run):
        """The highest offered rate that holds: coarse probes upwards (stopping at the first that fails), then, in the
        full profile, 60 s runs from the best probe downwards until one holds. A run holds when every message arrived, the achieved rate is at
        least 95 % of the offered one, and the latency does not run away: p99 of the messages sent in the last
        window ≤ 2 × p99 of the first window + 5 ms (window = 10 s, or a third of a shorter run)."""
        probe = 10 if self.quick else 15
        rates = (200, 500, 1000) if self.quick else (200, 400, 700, 1000, 1500, 2000, 3000)

        def judge(tag, rate, duration):
            sent, by_message, delays, failures = run(tag, rate, duration)
            window = min(10.0, duration / 3)
            start = min(sent.values())
            first = [v for i, v in by_message.items() if sent[i] < start + window]
            last = [v for i, v in by_message.items() if sent[i] >= start + duration - window]
            arrivals = [sent[i] + v for i, v in by_message.items()]
            achieved = len(by_message) / max(max(arrivals, default=start) - start, 1e-9)
            p99_first, p99_last = percentile(first, 0.99), percentile(last, 0.99)
            holds = (len(by_message) == len(sent) and not failures and achieved >= 0.95 * rate
                     and p99_last <= 2 * p99_first + 0.005)
            p99 = percentile(list(by_message.values()), 0.99)
            detail = (f"{len(by_message)}/{len(sent)} delivered, {achieved:,.0f}/s, p99 {ms(p99)} ms (first/last "
                      f"{window:.0f} s {ms(p99_first)}/{ms(p99_last)} ms), client queue p99 {ms(percentile(delays, 0.99))} ms")
            return holds, detail, p99

        held = []
        for rate in rates:
            holds, detail, p99 = judge(f"probe{rate}", rate, probe)
            self.row(section, f"  sustained probe, {rate}/s for {probe} s", f"{'holds' if holds else 'fails'}: {detail}")
            if not holds:
                break
            held.append((rate, p99))
            time.sleep(2)  # let the daemons settle between probes
        if not held:
            self.row(section, "highest rate sustained", f"below {rates[0]}/s", "")
            return
        if self.quick:
            self.headline[f"{section} held"] = (*held[-1], f"{probe} s probe")
            self.row(section, f"highest rate sustained for {probe} s (quick: probes only)", f"{held[-1][0]}/s"
                     + (" (the highest probed)" if held[-1][0] == rates[-1] else ""))
            return
        # 60 s at the best probe; when the latency runs away over the longer run, step down through the probes that held.
        for rate, _ in reversed(held):
            time.sleep(5)  # let the backlog of a failed run drain
            holds, detail, p99 = judge(f"confirm{rate}", rate, 60)
            self.row(section, f"{'highest rate sustained' if holds else 'tried'} for 60 s: {rate}/s",
                     f"{'holds' if holds else 'fails'}: {detail}")
            if holds:
                self.headline[f"{section} held"] = (rate, p99, "60 s")
                return
        self.row(section, "highest rate sustained for 60 s", f"below {held[0][0]}/s")

    def librarian_to_patron(self, prosody, api, alice, twilio):
        """Replies spread over 200 patrons (a librarian's run of replies is one turn for the loop guard, and replies to
        one patron go out one at a time, in order), fired from the librarian's client at a paced rate, until the
        Messages API (a worker process of its own) has each one. The client queue delay is how long a fired reply
        waited in the librarian's client before slixmpp sent it: when it grows, the harness is the limit."""
        # The patron path's chats were answered as it ended: let those answers (and the commit that lets their waiting
        # lines go) finish first, so that they are not measured here.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not all(f"answered {i}" in api.arrivals for i in range(20)):
            time.sleep(0.1)
        time.sleep(2)
        patrons = [f"+1555600{n:04d}" for n in range(200)]
        with ThreadPoolExecutor(16) as pool:
            for n, number in enumerate(patrons):
                pool.submit(twilio.post, "sms", sms(800000 + n, number, f"opener {number}"))
        wait_until(lambda: all(f"opener {number}" in alice.arrivals for number in patrons), 60, "the openers")
        jids = [patron_jid(prosody, number) for number in patrons]

        def run(tag: str, rate: float, duration: float):
            handed = {}

            def fire(i):
                alice.fire(jids[i % len(jids)], f"l2p {tag} {i}", lambda: handed.__setitem__(i, time.monotonic()))
            sent = paced(rate, duration, fire)
            latencies(sent, api.arrivals, lambda i: f"l2p {tag} {i}", 10 + duration / 2)
            by_message = {i: api.arrivals[f"l2p {tag} {i}"] - t for i, t in sent.items() if f"l2p {tag} {i}" in api.arrivals}
            delays = [handed[i] - t for i, t in sent.items() if i in handed]
            return sent, by_message, delays, []

        for rate in ((50, 200) if self.quick else (50, 200, 1000)):
            with CPUShare(self.desk_pids) as cpu:
                sent, by_message, delays, _ = run(str(rate), rate, 3 if self.quick else 10)
            values = list(by_message.values())
            arrivals = [sent[i] + v for i, v in by_message.items()]
            achieved = len(values) / max(max(arrivals, default=0) - min(sent.values()), 1e-9)
            self.headline[f"l2p {rate}"] = (percentile(values, .5), percentile(values, .99), achieved, len(values), len(sent))
            self.row("librarian → patron", f"XMPP reply → Messages API call, {rate}/s: p50/p99/p999",
                     f"{ms(percentile(values, .5))}/{ms(percentile(values, .99))}/{ms(percentile(values, .999))} ms")
            self.row("librarian → patron", f"  {rate}/s: delivered / achieved rate / client queue p99",
                     f"{len(values)}/{len(sent)}, {achieved:,.0f}/s, {ms(percentile(delays, .99))} ms")
            if rate >= 200:
                self.row("librarian → patron", f"  {rate}/s: CPU", cpu.summary())
            time.sleep(2)
        self.sustained("librarian → patron", run)

    def aim_round_trip(self, server, prosody, alice):
        # At most 4 round trips per patron: more than 10 turns within 10 s end a chat (the bot-loop guard). Rounds
        # start no sooner than the desk's IM class allows a reply at once (its steady rate: one IM per 1.1 × the
        # limit level, 220 ms on this scaled class), so the figure is the bridge's own time, not the server's wait.
        rounds = 16 if self.quick else 96
        allowance = 1.1 * 4000 * IM_RATE_SCALE / 1000 + 0.03
        trips, legs = [], []
        patron = None
        for i in range(rounds):
            if i % 4 == 0:
                if patron:
                    patron.sign_off()
                name = f"Pat Ron {i // 4}"
                patron = PatronClient(server, name, AIM_PATRON_PASSWORD, buddies=(DESK,)).sign_on()
                patron.wait_arrival(DESK, timeout=10)
                jid = patron_jid(prosody, name.replace(" ", "").lower())
            time.sleep(allowance)
            start = time.monotonic()
            patron.send_im("refdesk", f"aim {i}")
            wait_until(lambda: f"aim {i}" in alice.arrivals, 15, "the IM at the librarian", interval=0.0005)
            legs.append(alice.arrivals[f"aim {i}"] - start)
            alice.fire(jid, f"aim reply {i}")
            while True:
                _, text, _ = patron.next_message(timeout=15)
                if text == f"aim reply {i}":
                    break
            trips.append(time.monotonic() - start)
        patron.sign_off()
        self.row("AIM (OSCAR test srv)", f"patron IM → librarian, p50/p99 ({rounds})",
                 f"{ms(percentile(legs, .5))} / {ms(percentile(legs, .99))} ms")
        self.headline["aim round trip p50"] = percentile(trips, .5)
        self.row("AIM (OSCAR test srv)", "round trip IM → librarian → reply IM (within the allowance), p50/p99",
                 f"{ms(percentile(trips, .5))} / {ms(percentile(trips, .99))} ms", "p50 < 20 ms")

    def aim_lines(self, server, prosody, alice):
        """A librarian's quick lines to an AIM patron on the server's real default rate classes: 5, then (once the
        class is full again) 30, each all sent at once; when the last line is at the patron, in how many IMs, and
        what the server said about the desk's rate (alert notices, SNACs dropped for being limited, disconnects)."""
        patron = PatronClient(server, "Pat Ron 24", AIM_PATRON_PASSWORD, buddies=(REAL_DESK,)).sign_on()
        patron.wait_arrival(REAL_DESK, timeout=10)
        jid = patron_jid(prosody, "patron24")
        patron.send_im("refdeskreal", "a question for the real classes")
        wait_until(lambda: "a question for the real classes" in alice.arrivals, 15, "the opener at the librarian")
        for count in (5, 30):
            if count == 30:
                time.sleep(33)  # the class full again: after the 5 lines its level refills to the maximum in ~32 s
            ims_before = len(patron.raw)
            start = time.monotonic()
            for n in range(count):
                alice.fire(jid, f"real {count} line {n}")
            lines = patron.next_lines(count, timeout=60)
            elapsed = time.monotonic() - start
            ims = len(patron.raw) - ims_before
            in_order = lines == [f"real {count} line {n}" for n in range(count)]
            time.sleep(2)  # a rate change notice comes after a second of silence
            self.row("AIM (real rate classes)", f"{count} quick lines → patron: last line after / IMs",
                     f"{elapsed:.2f} s / {ims} IMs{'' if in_order else ' (OUT OF ORDER)'}",
                     "< 2 s" if count == 5 else "")
        self.row("AIM (real rate classes)", "server: rate alerts / limited / dropped / disconnects",
                 f"{server.count('rate_alert', REAL_DESK)} / {server.count('rate_limited', REAL_DESK)} / "
                 f"{server.count('dropped', REAL_DESK)} / {server.count('rate_disconnect', REAL_DESK)}", "- / 0 / 0 / 0")
        patron.sign_off()

    def open_conversations(self, router, alice):
        # A restarted router, so that the heap grown by the runs before does not hide what conversations cost.
        # (The restored state keeps the queue online; the librarian's presence is probed again on connecting.)
        connected = router.log_text().count("XMPP component connected")
        stop(router.process)
        router.process, _ = start_to_ready([binary("refdesk-router"), "-c", str(router.config)], router.workdir, "router")
        wait_until(lambda: router.log_text().count("XMPP component connected") > connected, 20,
                   "the restarted router to connect to Prosody")
        time.sleep(3)
        pid = router.process.pid
        before = rss_kib(pid)
        self.row("memory (router)", "RSS restarted, before opening conversations", memory(pid))
        marks = [1000] if self.quick else [1000, 10000]
        done = 0
        for mark in marks:
            count = mark - done
            elapsed_rate, _ = run_raw_bridges(router.socket, [("test", 3)], count, count, f"open{mark}-", offset=done)  # gateway 3 is 'test'
            wait_until(lambda: sum(1 for b in list(alice.arrivals) if b.startswith(f"bench open{mark}-")) >= count, 120,
                       f"{count} new conversations at the librarian")
            done = mark
            time.sleep(1)
            after = rss_kib(pid)
            self.row("memory (router)", f"RSS with {mark:,} open conversations",
                     f"{after / 1024:.1f} MiB: +{(after - before) / 1024:.1f} MiB, {(after - before) * 1024 / mark:,.0f} B/conv",
                     "< 20 MB at 10,000")
            self.row("memory (router)", f"  durable rate opening {count:,} (new patron each)",
                     f"{elapsed_rate:,.0f} msgs/s")

    # ----- the router alone

    # ----- replies to Twilio over TLS, across a network with latency

    def twilio_rest(self, prosody):
        """A librarian's reply until the Messages API has it, one reply at a time, with the API behind TLS and 40 ms
        of round trip (a relay that delays every packet): connections kept between replies, as refdesk-twilio does
        now, against a new TCP and TLS connection for every reply (the API answering `Connection: close`, which is
        what every reply cost before connections were kept)."""
        workdir = self.workdir / "rest"
        workdir.mkdir()
        subprocess.run([str(ROOT / "scripts" / "dev-certificate.sh"), str(workdir / "tls"), "localhost"], check=True,
                       capture_output=True)
        certificate, key = workdir / "tls" / "admin.crt", workdir / "tls" / "admin.key"
        router = router_for(workdir, prosody)
        quiet(router.config)
        self.cleanup.append(router.kill)
        seed_desk(router, {"rest": (["rest@localhost"], ["ask"])}, gateway_protocol="twilio")
        router.seed(f"UPDATE gateways SET secret = '{ACCOUNT}' WHERE id = 1;")
        librarian = TimedLibrarian("rest@localhost", DEFAULT_PASSWORD, prosody.c2s_port)
        prosody.create_user(librarian.jid, DEFAULT_PASSWORD)
        librarian.connect()
        self.cleanup.append(librarian.disconnect)
        router.start()
        replies = 15 if self.quick else 40
        results = {}
        for kept in (True, False):
            api = TimedTwilio({ACCOUNT: TOKEN}, tls=(str(certificate), str(key)), keep_alive=kept).start()
            proxy = DelayProxy(api.port, 0.020).start()
            bridge_dir = workdir / ("kept" if kept else "fresh")
            bridge_dir.mkdir()
            twilio = TwilioBridgeProcess(bridge_dir, router.socket, f"https://127.0.0.1:{proxy.port}",
                                         extra=f'segments_per_second = 1000\napi_ca_file = "{certificate}"')
            quiet(twilio.config)
            twilio.start()
            try:
                tag = "kept" if kept else "fresh"
                numbers = [f"+1555{300 + kept:03d}{n:04d}" for n in range(replies)]
                for n, number in enumerate(numbers):
                    twilio.post("sms", sms(700000 + 1000 * kept + n, number, f"rest opener {tag} {n}"))
                wait_until(lambda: all(f"rest opener {tag} {n}" in librarian.arrivals for n in range(replies)), 30,
                           "the openers")
                latencies_ms = []
                for n, number in enumerate(numbers):
                    body = f"rest {tag} {n}"
                    sent = time.monotonic()
                    librarian.fire(patron_jid(prosody, number), body)
                    wait_until(lambda: body in api.arrivals, 15, "the reply at the Messages API", interval=0.002)
                    latencies_ms.append((api.arrivals[body] - sent) * 1000)
                results[kept] = (latencies_ms, api.connections)
            finally:
                twilio.kill()
                proxy.stop()
                api.stop()
        self.headline["twilio rest"] = {kept: percentile(values, .5) for kept, (values, _) in results.items()}
        for kept, label in ((True, "kept (now)"), (False, "new for each reply (before)")):
            values, connections = results[kept]
            self.row("reply → Twilio, TLS, 40 ms RTT", f"connections {label}: p50 / p90, connections opened",
                     f"{percentile(values, .5):.0f} / {percentile(values, .9):.0f} ms, {connections}")

    def router_alone(self):
        workdir = self.workdir / "alone"
        workdir.mkdir()
        router = RouterProcess(workdir)
        quiet(router.config)
        self.cleanup.append(lambda: router.process and stop(router.process))
        router.start()
        assert router.stop() == 0
        # An offline queue (nobody staffs it): each message becomes a durable offline-inbox row.
        router.seed("INSERT INTO queues (name, routing_policy, chat_limit, offline_reply) VALUES ('ask', 'ring-all', 0, '');")
        template = workdir / "schema.sqlite"
        shutil.copy(router.database, template)

        def fresh_database(gateways: int, test_gateway: bool = False) -> dict:
            """A fresh database per row (rows do not inherit each other's inbox) with gateways bench-1 … bench-N, one
            per raw bridge (the router serves any protocol a gateway names); returns protocol → gateway id."""
            for suffix in ("", "-wal", "-shm"):
                Path(f"{router.database}{suffix}").unlink(missing_ok=True)
            shutil.copy(template, router.database)
            rows = [(f"bench-{n}", f"g{n}") for n in range(1, gateways + 1)] + ([("test", "g-test")] if test_gateway else [])
            router.seed("".join("INSERT INTO gateways (protocol, queue, username, normalised_username, secret, created_at) "
                                f"VALUES ('{protocol}', 'ask', '{name}', '{name}', '', 0);\n" for protocol, name in rows))
            return dict(router.query("SELECT protocol, id FROM gateways"))

        fresh_database(3)
        router.process, ready = start_to_ready([binary("refdesk-router"), "-c", str(router.config)], workdir, "router")
        self.row("start-up", "router (no XMPP, 3 gateways): exec → READY=1", f"{ms(ready)} ms" if ready else "no READY",
                 "< 200 ms")
        time.sleep(1)
        self.row("memory (idle RSS)", "refdesk-router (no XMPP)", memory(router.process.pid), "< 30 MB")
        stop(router.process)

        # Commits are counted with perf's syscall tracepoints (fsync + fdatasync), which do not stop the router
        # (strace would, and halved its throughput).
        counter = shutil.which("perf")
        counts = workdir / "fsync.perf"

        def start(gateways: int, test_gateway: bool = False):
            ids = fresh_database(gateways, test_gateway)
            router.start()
            watcher = None
            if counter:
                counts.unlink(missing_ok=True)
                watcher = subprocess.Popen([counter, "stat", "-x", ",", "-o", str(counts), "-e",
                                            "syscalls:sys_enter_fsync,syscalls:sys_enter_fdatasync", "-p",
                                            str(router.process.pid)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(0.3)
            return ids, watcher

        def syncs(watcher) -> int:
            if watcher is None:
                return 0
            watcher.send_signal(signal.SIGINT)
            watcher.wait(10)
            total = 0
            for line in counts.read_text().splitlines():
                fields = line.split(",")
                if len(fields) > 2 and fields[2].startswith("syscalls:") and fields[0].isdigit():
                    total += int(fields[0])
            return total

        total = 20000 if self.quick else 100000
        rows = [(n, n) for n in ((1, 4, 16, 64) if self.quick else (1, 2, 4, 8, 16, 32, 64))] + [(1, 64)]
        for count, gateways in rows:
            watcher = None
            try:
                ids, watcher = start(gateways)
                per = total // count
                bridges = [(f"bench-{n}", ids[f"bench-{n}"]) for n in range(1, count + 1)]
                with CPUShare({"router": router.process.pid}) as cpu:
                    rate, _ = run_raw_bridges(router.socket, bridges, per, 1, f"alone{count}-")
                commits = syncs(watcher)
                watcher = None
                batch = f", {per * count / commits:,.0f} msgs/fsync" if commits else ""
                batch += (f"; CPU: router {cpu.share['router']:.0f} %, raw bridges {cpu.share['bench: workers']:.0f} %")
                label = f"{count} raw bridge(s)" if count == gateways else f"{count} raw bridge, {gateways} gateways"
                self.headline.setdefault("router alone", []).append(rate)
                self.row("router alone", f"durable msgs/s, {label}, {per * count:,} msgs", f"{rate:,.0f}/s{batch}",
                         "≥ 150,000/s")
            except Exception as error:  # one failed row must not hide the others
                self.row("router alone", f"{count} raw bridge(s), {gateways} gateways",
                         f"not measured: {type(error).__name__}: {error}")
            finally:
                if watcher is not None:
                    watcher.kill()
                    watcher.wait()
                stop(router.process)

        # The same through refdesk-testbridge (spool → socket → router): the bridge's own durable spool included.
        ids, watcher = start(0, test_gateway=True)
        if watcher is not None:
            watcher.kill()
            watcher.wait()
        bridge_count = 2000 if self.quick else 10000
        from conftest import BridgeProcess
        bridge = BridgeProcess(workdir, router.socket, name="testbridge")
        bridge.start()
        self.cleanup.append(bridge.kill)
        bridge.wait_event(lambda e: e["event"] == "connected")
        lines = "".join(f'{{"op":"receive","id":"tb{i}","gateway":{ids["test"]},"from":"+15550001111","body":"tb {i}"}}\n'
                        for i in range(bridge_count))
        began = time.monotonic()
        bridge.process.stdin.write(lines)
        bridge.process.stdin.flush()
        wait_until(lambda: router.query("SELECT count(*) FROM offline_inbox")[0][0] >= bridge_count, 120,
                   "the test bridge's messages in the router", interval=0.02)
        elapsed = time.monotonic() - began
        self.row("router alone", f"via refdesk-testbridge (its spool too), {bridge_count:,} msgs",
                 f"{bridge_count / elapsed:,.0f}/s")
        bridge.stop()
        stop(router.process)
        if not counter:
            self.note("perf is not installed: commits were not counted")

    # ----- statistics: a year of a busy desk

    def statistics(self):
        """500,000 chats over a year (2 queues, SMS and AIM, 12 librarians, 4 lines each, a tenth unanswered) written
        into a router's history with SQL, counted by the router's own indexer, then the reports a coordinator asks
        for, over HTTP, timed from request to the whole answer."""
        workdir = self.workdir / "statistics"
        workdir.mkdir()
        port = free_port()
        router = RouterProcess(workdir, extra_config=f'[admin]\ncleartext_listen = ["127.0.0.1:{port}"]\npassword_iterations = 100000\n')
        quiet(router.config)
        self.cleanup.append(router.kill)
        router.start()
        assert router.stop() == 0
        chats = 500_000
        year = 1_704_067_200_000  # 2024-01-01T00:00Z
        spacing = 31_536_000_000 // chats
        began = time.monotonic()
        router.seed(f"""
            INSERT INTO queues (name, routing_policy, chat_limit, time_zone) VALUES ('ask', 'ring-all', 0, 'America/Chicago');
            INSERT INTO queues (name, routing_policy, chat_limit, time_zone) VALUES ('kids', 'ring-all', 0, 'America/Chicago');
            INSERT INTO gateways (protocol, queue, username, normalised_username, secret, created_at) VALUES ('twilio', 'ask', '+15550000001', '+15550000001', '', 0);
            INSERT INTO gateways (protocol, queue, username, normalised_username, secret, created_at) VALUES ('aim', 'ask', 'askdesk', 'askdesk', '', 0);
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {chats})
            INSERT INTO conversations (id, queue, gateway_id, patron, state, operator, started_at, answered_at, ended_at)
            SELECT i, CASE WHEN i % 4 = 0 THEN 'kids' ELSE 'ask' END, 1 + i % 2, '+1555' || printf('%07d', i % 40000), 'completed',
                   CASE WHEN i % 10 = 0 THEN NULL ELSE 'librarian' || (i % 12) END,
                   {year} + i * {spacing},
                   CASE WHEN i % 10 = 0 THEN NULL ELSE {year} + i * {spacing} + (i * 7919) % 300000 END,
                   {year} + i * {spacing} + 300000 + (i * 104729) % 1800000
            FROM n;
            INSERT INTO messages (conversation_id, direction, sender, body, at)
                SELECT id, 'in', 'patron', 'a question', started_at FROM conversations;
            INSERT INTO messages (conversation_id, direction, sender, body, at)
                SELECT id, 'in', 'patron', 'thanks', started_at + 20000 FROM conversations;
            INSERT INTO messages (conversation_id, direction, sender, body, at)
                SELECT id, 'out', operator, 'an answer', answered_at FROM conversations WHERE answered_at IS NOT NULL;
            INSERT INTO messages (conversation_id, direction, sender, body, at)
                SELECT id, 'out', operator, 'you are welcome', answered_at + 30000 FROM conversations WHERE answered_at IS NOT NULL;
        """)
        written = time.monotonic() - began
        subprocess.run([binary("refdesk-router"), "-c", str(router.config), "--create-admin", "root"], input="bench-password-1\n",
                       capture_output=True, text=True, timeout=60, check=True)
        router.start()
        began = time.monotonic()
        wait_until(lambda: router.query("SELECT count(*) FROM statistics_dirty")[0][0] == 0, 1800, "the statistics to be counted", interval=1)
        indexed = time.monotonic() - began
        self.row("statistics", f"history of {chats:,} chats (2,000,000 lines) written with SQL", f"{written:.1f} s")
        self.row("statistics", f"indexer counts {chats:,} chats (router running)", f"{indexed:.1f} s ({chats / indexed:,.0f} chats/s)")
        session = requests.Session()
        session.trust_env = False
        base = f"http://127.0.0.1:{port}/2011-12-03"
        assert session.post(base + "/auth/login", data={"username": "root", "password": "bench-password-1"}).status_code == 200
        for label, query in (("queue ask, a year by month", {"queue": "ask", "from": "2024-01-01", "to": "2024-12-31", "period": "month"}),
                             ("all queues, a year by day", {"from": "2024-01-01", "to": "2024-12-31", "period": "day"}),
                             ("all queues, a year by librarian", {"from": "2024-01-01", "to": "2024-12-31", "by": "operator"}),
                             ("queue ask, a year by hour", {"queue": "ask", "from": "2024-01-01", "to": "2024-12-31", "period": "hour"})):
            times = []
            cpu = cpu_seconds(router.process.pid)
            for _ in range(5):
                started = time.monotonic()
                response = session.get(base + "/statistics", params=query)
                times.append(time.monotonic() - started)
                assert response.status_code == 200, response.text
            cpu = (cpu_seconds(router.process.pid) - cpu) / 5
            counted = response.json()["totals"]["started"]
            self.row("statistics", f"GET /statistics, {label} ({counted:,} chats): p50 / max of 5 (router CPU each)",
                     f"{ms(percentile(times, 0.5))} / {ms(max(times))} ms ({ms(cpu)} ms)", "< 200 ms")
        started = time.monotonic()
        exported = session.get(base + "/statistics/chats.csv", params={"queue": "ask", "from": "2024-01-01", "to": "2024-01-31"})
        self.row("statistics", f"CSV export, queue ask, a month ({exported.text.count(chr(10)) - 1:,} chats)",
                 f"{ms(time.monotonic() - started)} ms")
        stop(router.process)

    def run(self):
        """Runs the sections; a section that fails becomes a row saying why, and the table is printed regardless.
        Only a harness that cannot start at all (no binaries, no Prosody) raises."""
        started = time.monotonic()
        print(f"refdesk benchmarks ({'quick' if self.quick else 'full'}) in {self.workdir}", flush=True)
        for name in ("refdesk-router", "refdesk-twilio", "refdesk-aim", "refdesk-testbridge"):
            binary(name)
        # A hard bound on the whole run, so CI never hangs: the section running when it expires fails with a row.
        budget = 480 if self.quick else 3600

        def expired(_signum, _frame):
            raise TimeoutError(f"the {budget} s budget for the whole run expired")

        signal.signal(signal.SIGALRM, expired)
        signal.alarm(budget)
        prosody = ProsodyServer(self.workdir)
        try:
            prosody.start()
            self.cleanup.append(prosody.kill)
            only = os.environ.get("BENCH_ONLY", "floor,alone,desk,rest,statistics").split(",")
            self.floor_p99 = float("nan")
            for name, section in (("floor", lambda: self.floor(prosody)), ("alone", self.router_alone),
                                  ("desk", lambda: self.desk(prosody)), ("rest", lambda: self.twilio_rest(prosody)),
                                  ("statistics", self.statistics)):
                if name not in only:
                    continue
                mark = len(self.cleanup)
                try:
                    section()
                except Exception as error:  # one failed section must not hide the others, nor fail CI
                    self.row(name, "section stopped early", f"{type(error).__name__}: {error}")
                # A section's daemons and clients stop when it ends, so that what they still do (a backlog draining,
                # a restart reloading) does not load the sections after it.
                for action in reversed(self.cleanup[mark:]):
                    try:
                        action()
                    except Exception:
                        pass
                del self.cleanup[mark:]
        finally:
            signal.alarm(0)
            for action in reversed(self.cleanup):
                try:
                    action()
                except Exception:
                    pass
            if not os.environ.get("REFDESK_KEEP_WORKDIR"):
                shutil.rmtree(self.workdir, ignore_errors=True)
        self.wall = time.monotonic() - started
        self.print_table()

    def print_table(self):
        cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name")), platform.processor())
        memory = next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal"))
        print()
        print(f"Machine: {cpu}, {os.cpu_count()} CPUs, {int(memory) // 1024} MiB, {platform.platform()}")
        print(f"Profile: {'quick' if self.quick else 'full'}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
              f"wall time {self.wall:.0f} s")
        print()
        print("| area | measure | result | target |")
        print("|---|---|---|---|")
        for section, measure, value, target in self.rows:
            print(f"| {section} | {measure.strip()} | {value} | {target} |")
        for text in self.notes:
            print(f"\nNote: {text}")
        self.print_headline()

    def print_headline(self):
        """The headline figures in one table: each as measured, and against the floor (Prosody's own client-to-client
        p99 at 200/s) where it is a latency."""
        h, floor = self.headline, self.headline.get("floor p99")

        def vs(value):
            if value is None or floor is None or floor != floor:
                return "—"
            return f"×{value / floor:.1f} (floor {value * 1000 - floor * 1000:+.2f} ms)"
        rows = [("floor: Prosody c2c p99 at 200/s", f"{ms(floor)} ms" if floor else "not measured", "—", "—")]
        commit = h.get("commit p99")
        rows.append(("floor: one durable SQLite commit, p99", f"{ms(commit)} ms" if commit else "not measured", "—",
                     "— (two are in each path)"))
        for rate, target in ((200, "≤ floor + 1 ms"), (1000, "≤ floor + 5 ms")):
            value = h.get(f"p2l p99 {rate}")
            rows.append((f"patron → librarian p99 at {rate}/s", f"{ms(value)} ms" if value else "not measured", vs(value),
                         target))
        def held(section, target):
            value = h.get(f"{section} held")
            rows.append((f"{section}, highest rate held", f"{value[0]:,}/s ({value[2]}), p99 {ms(value[1])} ms"
                         if value else "not measured", vs(value[1] if value else None), target))
        held("patron → librarian", "≥ 3,000/s for 60 s")
        for rate, target in ((50, "p99 ≤ floor + 2 ms"), (200, "—"), (1000, "p99 ≤ floor + 5 ms")):
            value = h.get(f"l2p {rate}")
            rows.append((f"librarian → patron p50 / p99 at {rate}/s",
                         f"{ms(value[0])} / {ms(value[1])} ms, {value[2]:,.0f}/s achieved ({value[3]}/{value[4]})"
                         if value else "not measured", vs(value[1] if value else None), target))
        held("librarian → patron", "1,000/s for 60 s")
        alone = h.get("router alone")
        rows.append(("router alone, durable msgs/s, 1–64 bridges",
                     f"{min(alone):,.0f}–{max(alone):,.0f}/s" if alone else "not measured", "—", "≥ 150,000/s"))
        trip = h.get("aim round trip p50")
        rows.append(("AIM round trip p50 (within the allowance)", f"{ms(trip)} ms" if trip else "not measured", vs(trip),
                     "< 20 ms"))
        rest = h.get("twilio rest")
        rows.append(("reply → Twilio over TLS, 40 ms RTT, p50: kept / new connections",
                     f"{rest[True]:.0f} / {rest[False]:.0f} ms" if rest else "not measured", "—", "—"))
        print()
        print("Headline: refdesk against the floor")
        print()
        print("| measure | refdesk | vs floor p99 | target |")
        print("|---|---|---|---|")
        for row in rows:
            print("| " + " | ".join(row) + " |")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--post-webhooks":
        url, rate, duration, tag, first_sid, patrons = sys.argv[2:8]
        post_webhooks(url, float(rate), float(duration), tag, int(first_sid), int(patrons))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--messages-api":
        serve_messages_api(*sys.argv[2:4])
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--raw-bridges":
        socket_path, specs, count, patrons, prefix, offset = sys.argv[2:8]
        raw_bridges(socket_path, specs, int(count), int(patrons), prefix, int(offset))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="the short profile (under ~2 minutes)")
    arguments = parser.parse_args()
    Bench(arguments.quick).run()


if __name__ == "__main__":
    main()
