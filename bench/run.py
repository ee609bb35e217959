#!/usr/bin/env python3
"""refdesk benchmarks: how fast and how small, against the XMPP server's own floor.

Starts everything on loopback (Prosody, the router as its component, the Twilio and AIM bridges, the fake Twilio
API, the OSCAR test server, slixmpp librarians), measures, and prints one table. Every loop is bounded; nothing
is asserted: the figures are for reading next to the targets in docs/performance.md.

    REFDESK_BIN=<release bin dir> bench/run.py            the full profile (make bench)
    REFDESK_BIN=<release bin dir> bench/run.py --quick    a short profile for CI (make bench-quick)
"""
import argparse
import os
import platform
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
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
from fake_twilio import FakeTwilio  # noqa: E402
from oscar_server import OscarServer, PatronClient  # noqa: E402
from staffing import patron_jid, router_for, seed_desk  # noqa: E402
from test_twilio_bridge import ACCOUNT, PUBLIC, TOKEN, TwilioBridgeProcess, sms  # noqa: E402
from twilio.request_validator import RequestValidator  # noqa: E402
from xmpp_harness import DEFAULT_PASSWORD, Librarian, ProsodyServer  # noqa: E402

DESK, DESK_PASSWORD = "Ref Desk", "desk-secret"
AIM_PATRON_PASSWORD = "patron-secret"


# --------------------------------------------------------------------------------------------------- helpers


def percentile(values, fraction):
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(fraction * (len(ordered) - 1)))))
    return ordered[index]


def ms(seconds):
    return f"{seconds * 1000:.2f}"


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


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

    def fire(self, to: str, body: str):
        """Queues a message on the client's loop without waiting for it (so a paced sender is not slowed)."""
        self._loop.call_soon_threadsafe(lambda: self._client.send_message(mto=to, mbody=body, mtype="chat"))


class TimedTwilio(FakeTwilio):
    """The fake Messages API, noting when each accepted call arrived."""

    def __init__(self, accounts):
        super().__init__(accounts)
        self.arrivals = {}

    def _answer(self, path, authorization, raw):
        arrived = time.monotonic()
        status, body = super()._answer(path, authorization, raw)
        if status == 201:
            self.arrivals[urllib.parse.parse_qs(raw).get("Body", [""])[0]] = arrived
        return status, body


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


def stop_traced(process):
    """Stops a daemon started under strace: SIGTERM to the daemon (strace would only detach), then strace ends."""
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    pids = children.read_text().split() if children.exists() else []
    for pid in pids:
        try:
            os.kill(int(pid), signal.SIGTERM)
        except ProcessLookupError:
            pass
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        for pid in pids:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass
        process.kill()
        process.wait()


# --------------------------------------------------------------------------------------------------- raw bridge


def raw_bridge(socket_path: str, protocol: str, gateway: int, count: int, patrons: int, prefix: str, offset: int):
    """A bridge speaking the wire protocol directly: hello, then `count` messageReceived frames with at most 512
    unacked (the protocol's window). Prints `elapsed acked`. Runs in its own process (see --raw-bridge)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(socket_path)
    sock.sendall(bridgewire.hello(protocol, instance=f"bench-{protocol}"))
    buffer = b""
    welcomed = False
    frames = [bridgewire.message_received(f"{prefix}{i}", gateway, f"+1555{offset + i % patrons:07d}", f"bench {prefix}{i}")
              for i in range(count)]
    sent = acked = 0
    start = None
    sock.settimeout(30)
    while acked < count:
        if welcomed and sent < count and sent - acked < 512:
            batch = frames[sent:min(count, acked + 512)]
            sock.sendall(b"".join(batch))
            sent += len(batch)
        chunk = sock.recv(1 << 20)
        if not chunk:
            raise SystemExit(f"the router closed the connection after {acked} acks")
        buffer += chunk
        while len(buffer) >= 5:
            length, kind = struct.unpack(">IB", buffer[:5])
            if len(buffer) < 4 + length:
                break
            body, buffer = buffer[5:4 + length], buffer[4 + length:]
            if kind == bridgewire.WELCOME:
                welcomed = True
                start = time.monotonic()
            elif kind == bridgewire.ACK:
                reader = bridgewire.Reader(body)
                acked += reader.u32()
            elif kind == bridgewire.PING:
                sock.sendall(bridgewire.frame(bridgewire.PONG, body))
            elif kind == bridgewire.GOODBYE:
                raise SystemExit(f"goodbye: {bridgewire.goodbye(body)}")
            elif kind >= 0x20 and len(body) >= 4:
                # a reliable frame for us (an auto-reply): ack it so the router's window stays open
                reader = bridgewire.Reader(body)
                sock.sendall(bridgewire.frame(bridgewire.ACK, struct.pack(">I", 1) + bridgewire.string(reader.string())))
    print(f"{time.monotonic() - start:.6f} {acked}", flush=True)


def run_raw_bridges(socket_path: Path, bridges, count: int, patrons: int, tag: str, offset: int = 0):
    """Runs raw bridges in parallel processes; returns (messages/s overall, slowest elapsed)."""
    processes = [subprocess.Popen([sys.executable, __file__, "--raw-bridge", str(socket_path), protocol, str(gateway),
                                   str(count), str(patrons), f"{tag}{protocol}-", str(offset)], stdout=subprocess.PIPE, text=True)
                 for protocol, gateway in bridges]
    results = []
    for process in processes:
        out, _ = process.communicate(timeout=600)
        if process.returncode != 0 or not out.strip():
            raise RuntimeError(f"a raw bridge failed (status {process.returncode})")
        elapsed, acked = out.split()
        results.append((float(elapsed), int(acked)))
    slowest = max(e for e, _ in results)
    return sum(a for _, a in results) / slowest, slowest


# --------------------------------------------------------------------------------------------------- the runs


class Bench:
    def __init__(self, quick: bool):
        self.quick = quick
        self.rows = []  # (section, measure, value, target)
        self.notes = []
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
            self.row("floor (Prosody c2c)", f"latency p50 / p99 at {rate}/s ({got} msgs)",
                     f"{ms(percentile(values, 0.5))} / {ms(self.floor_p99)} ms")
        burst = 5000 if self.quick else 20000
        sent = {}
        for i in range(burst):
            sent[i] = time.monotonic()
            alice.fire(bob.jid, f"floor burst {i}")
        values, got, achieved = latencies(sent, bob.arrivals, lambda i: f"floor burst {i}", 60)
        self.row("floor (Prosody c2c)", f"max sustained, burst of {burst}", f"{achieved:,.0f} msgs/s ({got} got)")

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
                VALUES ('test', 'ask', 'bench', 'bench', '', 0);""")
        alice = TimedLibrarian("alice@localhost", DEFAULT_PASSWORD, prosody.c2s_port)
        prosody.create_user(alice.jid, DEFAULT_PASSWORD)
        alice.connect()
        self.cleanup.append(alice.disconnect)

        # Start-up to READY=1 and idle RSS: the router.
        router.process, ready = start_to_ready([binary("refdesk-router"), "-c", str(router.config)], workdir, "router")
        self.row("start-up", "router (XMPP, 3 gateways): exec → READY=1", f"{ms(ready)} ms" if ready else "no READY",
                 "< 200 ms")
        wait_until(lambda: "queue online" in router.log_text(), 15, "the queue to come online")
        time.sleep(1)
        idle = rss_kib(router.process.pid)
        self.row("memory (idle RSS)", "refdesk-router (XMPP up, 3 gateways)", f"{idle / 1024:.1f} MiB", "< 30 MB")

        api = TimedTwilio({ACCOUNT: TOKEN}).start()
        self.cleanup.append(api.stop)
        twilio = TwilioBridgeProcess(workdir, router.socket, api.base, extra="segments_per_second = 1000")
        quiet(twilio.config)
        environment = {"CREDENTIALS_DIRECTORY": str(twilio.credentials)}
        twilio.process, ready = start_to_ready([binary("refdesk-twilio"), "-c", str(twilio.config)], workdir, "twilio",
                                               environment)
        self.cleanup.append(twilio.kill)
        self.row("start-up", "refdesk-twilio: exec → READY=1", f"{ms(ready)} ms" if ready else "no READY", "< 200 ms")
        wait_until(lambda: "gateway ready" in twilio.log_text(), 15, "the Twilio bridge to learn its gateway")
        time.sleep(1)
        self.row("memory (idle RSS)", "refdesk-twilio", f"{rss_kib(twilio.process.pid) / 1024:.1f} MiB", "< 30 MB")

        users = {DESK: DESK_PASSWORD, **{f"Pat Ron {k}": AIM_PATRON_PASSWORD for k in range(24)}}
        server = OscarServer(users, im_rate_scale=0.05).start()
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
        wait_until(lambda: server.is_online(DESK), 20, "the AIM screen name to sign on")
        time.sleep(1)
        self.row("memory (idle RSS)", "refdesk-aim (one screen name on)", f"{rss_kib(aim.pid) / 1024:.1f} MiB", "< 30 MB")
        self.row("memory (idle RSS)", "prosody (for scale)", f"{rss_kib(prosody.process.pid) / 1024:.1f} MiB")

        for name, step in (("patron → librarian", lambda: self.patron_to_librarian(twilio, alice)),
                           ("librarian → patron", lambda: self.librarian_to_patron(prosody, api, alice, twilio)),
                           ("AIM", lambda: self.aim_round_trip(server, prosody, alice)),
                           ("open conversations", lambda: self.open_conversations(router, alice))):
            try:
                step()
            except Exception as error:  # one failed measurement must not hide the others
                self.note(f"{name} was not measured: {type(error).__name__}: {error}")

    def patron_to_librarian(self, twilio, alice):
        patrons = 20
        for i in range(patrons):  # open the conversations first: the runs measure steady state
            twilio.post("sms", sms(900000 + i, f"+1555200{i:04d}", f"hello {i}"))
        wait_until(lambda: all(f"hello {i}" in alice.arrivals for i in range(patrons)), 30, "the openers")
        validator = RequestValidator(TOKEN)
        url = f"http://127.0.0.1:{twilio.port}/refdesk/sms"
        duration = 3 if self.quick else 10
        rates = (50, 200) if self.quick else (50, 200, 1000)
        pool = ThreadPoolExecutor(32)
        sid = [1]
        for rate in rates:
            requests = []
            for i in range(int(rate * duration)):
                sid[0] += 1
                params = sms(sid[0], f"+1555200{i % patrons:04d}", f"p2l {rate} {i}")
                signature = validator.compute_signature(f"{PUBLIC}/sms", params)
                requests.append(urllib.request.Request(url, data=urllib.parse.urlencode(params).encode(), method="POST",
                                                       headers={"X-Twilio-Signature": signature,
                                                                "Content-Type": "application/x-www-form-urlencoded"}))
            failures = []

            def post(request):
                try:
                    with urllib.request.urlopen(request, timeout=30) as response:
                        response.read()
                except Exception as error:  # counted, not fatal: the table says how many got through
                    failures.append(error)

            sent = paced(rate, duration, lambda i: pool.submit(post, requests[i]))
            values, got, achieved = latencies(sent, alice.arrivals, lambda i: f"p2l {rate} {i}", 30)
            p99 = percentile(values, 0.99)
            self.row("patron → librarian", f"SMS webhook → XMPP client, {rate}/s offered: p50/p99/p999",
                     f"{ms(percentile(values, .5))}/{ms(p99)}/{ms(percentile(values, .999))} ms",
                     "p99 ≤ floor p99 + 2 ms" if rate == 200 else "")
            self.row("patron → librarian", f"  {rate}/s: delivered / achieved rate / ratio to floor p99",
                     f"{got}/{len(sent)}, {achieved:,.0f}/s, ×{p99 / self.floor_p99:.1f}")
            if failures:
                self.note(f"{len(failures)} webhook POSTs failed at {rate}/s (first: {failures[0]})")
        pool.shutdown()

    def librarian_to_patron(self, prosody, api, alice, twilio):
        # The router cuts off a conversation with more than 20 messages in 10 s from both sides (a bot loop), so
        # each patron gets at most 10 replies: a fresh patron, opened by one text, per 10 replies.
        duration = 3 if self.quick else 10
        rates = (50, 200) if self.quick else (50, 200, 1000)
        seconds = {rate: min(duration, 3) if rate >= 1000 else duration for rate in rates}  # bounded backlog
        numbers = {rate: [f"+1555{rate:03d}{n:04d}" for n in range(int(rate * seconds[rate]) // 10)] for rate in rates}
        with ThreadPoolExecutor(16) as pool:
            for n, number in enumerate(number for group in numbers.values() for number in group):
                pool.submit(twilio.post, "sms", sms(800000 + n, number, f"opener {number}"))
        every = [number for group in numbers.values() for number in group]
        wait_until(lambda: all(f"opener {number}" in alice.arrivals for number in every), 60, "the openers")
        for rate in rates:
            group = numbers[rate]
            sent = paced(rate, seconds[rate], lambda i: alice.fire(patron_jid(prosody, group[i % len(group)]),
                                                                    f"l2p {rate} {i}"))
            values, got, achieved = latencies(sent, api.arrivals, lambda i: f"l2p {rate} {i}", 30)
            self.row("librarian → patron", f"XMPP reply → Messages API call, {rate}/s: p50/p99/p999",
                     f"{ms(percentile(values, .5))}/{ms(percentile(values, .99))}/{ms(percentile(values, .999))} ms")
            self.row("librarian → patron", f"  {rate}/s: delivered / achieved rate",
                     f"{got}/{len(sent)}, {achieved:,.0f}/s")
        # Let a backlog drain (bounded) so it does not load the measurements that follow.
        total = sum(int(rate * seconds[rate]) for rate in rates)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and sum(1 for body in api.arrivals if body.startswith("l2p ")) < total:
            time.sleep(0.2)

    def aim_round_trip(self, server, prosody, alice):
        # At most 4 round trips per patron: more than 10 turns within 10 s end a chat (the bot-loop guard).
        rounds = 16 if self.quick else 96
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
        self.row("AIM (OSCAR test srv)", f"round trip IM → librarian → reply IM, p50/p99",
                 f"{ms(percentile(trips, .5))} / {ms(percentile(trips, .99))} ms")

    def open_conversations(self, router, alice):
        pid = router.process.pid
        before = rss_kib(pid)
        marks = [1000] if self.quick else [1000, 10000]
        done = 0
        for mark in marks:
            count = mark - done
            elapsed_rate, _ = run_raw_bridges(router.socket, [("test", 3)], count, count, f"open{mark}-", offset=done)
            wait_until(lambda: sum(1 for b in alice.arrivals if b.startswith(f"bench open{mark}-")) >= count, 120,
                       f"{count} new conversations at the librarian")
            done = mark
            time.sleep(1)
            after = rss_kib(pid)
            self.row("memory (router)", f"RSS with {mark:,} open conversations",
                     f"{after / 1024:.1f} MiB (+{(after - before) * 1024 / mark:,.0f} B/conv)",
                     "< 20 MB at 10,000")
            self.row("memory (router)", f"  durable rate opening {count:,} (new patron each)",
                     f"{elapsed_rate:,.0f} msgs/s")

    # ----- the router alone

    def router_alone(self):
        workdir = self.workdir / "alone"
        workdir.mkdir()
        router = RouterProcess(workdir)
        quiet(router.config)
        self.cleanup.append(lambda: router.process and stop_traced(router.process))
        router.start()
        assert router.stop() == 0
        router.seed("""
            INSERT INTO queues (name, routing_policy, chat_limit, offline_reply) VALUES ('ask', 'ring-all', 0, '');
            INSERT INTO gateways (protocol, queue, username, normalised_username, secret, created_at)
                VALUES ('test', 'ask', 'g1', 'g1', '', 0), ('twilio', 'ask', '+15550000002', '+15550000002', '', 0),
                       ('aim', 'ask', 'g3', 'g3', '', 0);""")
        # Under strace, only fsync/fdatasync stop the router (seccomp filter): commits can be counted.
        trace = workdir / "fsync.trace"
        log = open(router.log, "ab")
        tracer = shutil.which("strace")
        command = [binary("refdesk-router"), "-c", str(router.config)]
        if tracer:
            command = [tracer, "-f", "--seccomp-bpf", "-qq", "-e", "trace=fdatasync,fsync", "-o", str(trace)] + command
        router.process = subprocess.Popen(command, stderr=log, stdin=subprocess.DEVNULL)
        log.close()
        wait_until(lambda: "listening for bridges" in router.log_text(), 15, "the router to listen")
        count = 20000 if self.quick else 100000
        stop(router.process)
        router.process, ready = start_to_ready([binary("refdesk-router"), "-c", str(router.config)], workdir, "router")
        self.row("start-up", "router (no XMPP): exec → READY=1", f"{ms(ready)} ms" if ready else "no READY", "< 200 ms")
        time.sleep(0.5)
        self.row("memory (idle RSS)", "refdesk-router (no XMPP)", f"{rss_kib(router.process.pid) / 1024:.1f} MiB", "< 30 MB")
        stop(router.process)
        log = open(router.log, "ab")
        router.process = subprocess.Popen(command, stderr=log, stdin=subprocess.DEVNULL)
        log.close()
        wait_until(lambda: router.log_text().count("listening for bridges") >= 3, 15, "the router to listen again")

        def syncs():
            return trace.read_text().count("sync(") if trace.exists() else 0

        for bridges in ([("test", 1)], [("test", 1), ("twilio", 2), ("aim", 3)]):
            before = syncs()
            per = count // len(bridges)
            rate, _ = run_raw_bridges(router.socket, bridges, per, 1, f"alone{len(bridges)}-")
            commits = syncs() - before
            batch = f", {per * len(bridges) / commits:,.0f} msgs/fsync" if commits else ""
            self.row("router alone", f"durable msgs/s, {len(bridges)} raw bridge(s), {per * len(bridges):,} msgs",
                     f"{rate:,.0f}/s{batch}", "≥ 20,000/s")

        # The same through refdesk-testbridge (spool → socket → router): the bridge's own durable spool included.
        bridge_count = 2000 if self.quick else 10000
        from conftest import BridgeProcess
        bridge = BridgeProcess(workdir, router.socket, name="testbridge")
        bridge.start()
        self.cleanup.append(bridge.kill)
        bridge.wait_event(lambda e: e["event"] == "connected")
        inbox = router.query("SELECT count(*) FROM offline_inbox")[0][0]
        lines = "".join(f'{{"op":"receive","id":"tb{i}","gateway":1,"from":"+15550001111","body":"tb {i}"}}\n'
                        for i in range(bridge_count))
        start = time.monotonic()
        bridge.process.stdin.write(lines)
        bridge.process.stdin.flush()
        wait_until(lambda: router.query("SELECT count(*) FROM offline_inbox")[0][0] >= inbox + bridge_count, 300,
                   "the test bridge's messages in the router", interval=0.02)
        elapsed = time.monotonic() - start
        self.row("router alone", f"via refdesk-testbridge (its spool too), {bridge_count:,} msgs",
                 f"{bridge_count / elapsed:,.0f}/s")
        bridge.stop()
        stop_traced(router.process)
        if not tracer:
            self.note("strace is not installed: commits were not counted")
        self.note("the router keeps one session per protocol and knows three (test, twilio, aim): at most 3 bridges "
                  "can be connected at once, so 'several bridges' is 3 raw bridges with distinct protocols")

    def run(self):
        print(f"refdesk benchmarks ({'quick' if self.quick else 'full'}) in {self.workdir}", flush=True)
        prosody = ProsodyServer(self.workdir)
        prosody.start()
        self.cleanup.append(prosody.kill)
        try:
            only = os.environ.get("BENCH_ONLY", "floor,alone,desk").split(",")
            self.floor_p99 = float("nan")
            if "floor" in only:
                self.floor(prosody)
            if "alone" in only:
                self.router_alone()
            if "desk" in only:
                self.desk(prosody)
        finally:
            for action in reversed(self.cleanup):
                try:
                    action()
                except Exception:
                    pass
            if not os.environ.get("REFDESK_KEEP_WORKDIR"):
                shutil.rmtree(self.workdir, ignore_errors=True)
        self.print_table()

    def print_table(self):
        cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name")), platform.processor())
        memory = next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal"))
        print()
        print(f"Machine: {cpu}, {os.cpu_count()} CPUs, {int(memory) // 1024} MiB, {platform.platform()}")
        print(f"Profile: {'quick' if self.quick else 'full'}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
        print()
        print("| area | measure | result | target |")
        print("|---|---|---|---|")
        for section, measure, value, target in self.rows:
            print(f"| {section} | {measure.strip()} | {value} | {target} |")
        for text in self.notes:
            print(f"\nNote: {text}")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--raw-bridge":
        socket_path, protocol, gateway, count, patrons, prefix, offset = sys.argv[2:9]
        raw_bridge(socket_path, protocol, int(gateway), int(count), int(patrons), prefix, int(offset))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="the short profile (under ~2 minutes)")
    arguments = parser.parse_args()
    Bench(arguments.quick).run()


if __name__ == "__main__":
    main()
