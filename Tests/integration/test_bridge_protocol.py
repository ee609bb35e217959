"""The bridge protocol between refdesk-router and a bridge, from both ends, over a real Unix socket."""
import os
import socket
import random
import struct
import threading
import time
from collections import Counter, defaultdict

import pytest

import bridgewire as wire
from conftest import BridgeProcess, RouterProcess, connect_raw, seed_queue_and_gateway, wait_until

OFFLINE_REPLY = "The library is closed now; a librarian will answer when we open."


def test_a_patron_message_to_an_offline_queue_is_stored_and_answered_once(workdir, processes):
    router = RouterProcess(workdir)
    processes.append(router)
    seed_queue_and_gateway(router)
    router.start()
    bridge = BridgeProcess(workdir, router.socket)
    processes.append(bridge)
    bridge.start()
    connected = bridge.wait_event(lambda e: e["event"] == "connected")
    assert connected["gateways"] == [
        {"id": 1, "online": False, "protocol": "test", "queue": "ask", "username": "+15550000001"}
    ]
    for i in range(3):
        bridge.send({"op": "receive", "id": f"m{i}", "gateway": 1, "from": "+15551230001", "body": f"question {i}"})
    reply = bridge.wait_event(lambda e: e["event"] == "outbound")
    assert reply["to"] == "+15551230001" and reply["body"] == OFFLINE_REPLY
    wait_until(lambda: router.query("SELECT count(*) FROM offline_inbox")[0][0] == 3, 10, "three stored messages")
    assert [row[0] for row in router.query("SELECT body FROM offline_inbox ORDER BY id")] == [
        "question 0", "question 1", "question 2"]
    time.sleep(0.5)
    assert len([e for e in bridge.history if e["event"] == "outbound"]) == 1, "one auto-reply per offline spell"
    wait_until(lambda: router.query("SELECT count(*) FROM outbox")[0][0] == 0, 10, "the reply to be acknowledged")


def test_ten_thousand_messages_exactly_once_in_order_while_both_sides_are_killed(workdir, processes):
    """6,000 patron messages (bridge → router) and 4,000 replies (router → bridge), with SIGKILLs at random points."""
    patrons, per_patron = 60, 100
    recipients, per_recipient = 40, 100
    router = RouterProcess(workdir)
    processes.append(router)
    seed_queue_and_gateway(router)
    # Replies waiting in the router's outbox, as the XMPP side would leave them: per recipient in order.
    rows = []
    for i in range(per_recipient):
        for r in range(recipients):
            rows.append(f"('out-{r}-{i}', 'test', 1, '+1555200{r:04d}', 'reply {i}', 0)")
    router.seed("INSERT INTO outbox (id, protocol, gateway_id, recipient, body, created_at) VALUES "
                + ",".join(rows) + ";")

    commands = [
        {"op": "receive", "id": f"in-{p}-{i}", "gateway": 1, "from": f"+1555100{p:04d}", "body": f"question {i}"}
        for i in range(per_patron) for p in range(patrons)
    ]
    router.start()
    bridge = BridgeProcess(workdir, router.socket)
    processes.append(bridge)
    bridge.start()

    # The feeder plays the outside network: it resends everything the bridge has not confirmed as spooled,
    # in order, whenever the bridge restarts (as Twilio would retry a webhook that got no 200).
    confirmed = set()
    lock = threading.Lock()
    restarted = threading.Event()
    stop = threading.Event()

    def feed():
        position = 0
        while not stop.is_set():
            with lock:
                for event in list(bridge.history):
                    if event.get("event") == "spooled":
                        confirmed.add(event["id"])
                if restarted.is_set():
                    restarted.clear()
                    position = 0
            if position >= len(commands):
                time.sleep(0.05)
                continue
            batch = []
            while position < len(commands) and len(batch) < 200:
                if commands[position]["id"] not in confirmed:
                    batch.append(commands[position])
                position += 1
            with lock:
                for command in batch:
                    if not bridge.send(command):
                        break
            time.sleep(0.01)

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()

    rng = random.Random(20261122)
    kills = Counter()
    for _ in range(8):
        time.sleep(rng.uniform(0.3, 1.2))
        victim = rng.choice(["router", "bridge"])
        kills[victim] += 1
        if victim == "router":
            router.kill()
            time.sleep(rng.uniform(0, 0.3))
            router.start()
        else:
            with lock:
                bridge.kill()
                bridge.history.clear()
                time.sleep(rng.uniform(0, 0.3))
                bridge.start()
                restarted.set()

    expected_outbound = recipients * per_recipient + patrons  # replies + one offline notice per patron
    try:
        wait_until(lambda: len(confirmed) == len(commands), 180, "every patron message to be spooled", interval=0.2)
        wait_until(lambda: router.query("SELECT count(*) FROM seen_ids")[0][0] >= len(commands), 180,
                   "the router to make every patron message durable", interval=0.2)
        wait_until(lambda: bridge.query("SELECT count(*) FROM outbound")[0][0] >= expected_outbound, 180,
                   "the bridge to accept every reply", interval=0.2)
        wait_until(lambda: router.query("SELECT count(*) FROM outbox")[0][0] == 0, 60, "the outbox to drain")
        wait_until(lambda: bridge.query("SELECT count(*) FROM pending")[0][0] == 0, 60, "the spool to drain")
    finally:
        stop.set()

    # Patron → router: each id exactly once, in order per patron.
    inbox = router.query("SELECT message_id, patron, body FROM offline_inbox ORDER BY id")
    counts = Counter(row[0] for row in inbox)
    assert len(inbox) == len(commands), f"{len(inbox)} stored for {len(commands)} sent"
    assert [id for id, n in counts.items() if n != 1] == []
    per_patron_bodies = defaultdict(list)
    for _, patron, body in inbox:
        per_patron_bodies[patron].append(int(body.split()[1]))
    assert all(bodies == list(range(per_patron)) for bodies in per_patron_bodies.values())

    # Router → bridge: each reply exactly once (the spool refuses a repeated id, so compare the counts too),
    # in order per recipient, plus one offline notice per patron.
    outbound = bridge.query("SELECT id, recipient, body FROM outbound ORDER BY seq")
    assert len(outbound) == expected_outbound, f"{len(outbound)} delivered for {expected_outbound} sent"
    replies = defaultdict(list)
    notices = Counter()
    for id, recipient, body in outbound:
        if id.startswith("out-"):
            replies[recipient].append(int(body.split()[1]))
        else:
            assert body == OFFLINE_REPLY
            notices[recipient] += 1
    assert len(replies) == recipients
    assert all(order == list(range(per_recipient)) for order in replies.values())
    assert len(notices) == patrons and set(notices.values()) == {1}

    print(f"\nbridge protocol soak: {len(commands)} patron messages + {expected_outbound} replies, "
          f"kills: router {kills['router']}, bridge {kills['bridge']}; lost 0, duplicated 0")
    assert kills["router"] + kills["bridge"] == 8


HOSTILE_FIRST_FRAMES = {
    "oversized length": (b"\x7f\xff\xff\xff\x01", "badFrame", "exceeds the maximum"),
    "zero length": (b"\x00\x00\x00\x00", "badFrame", "frame length 0"),
    "unknown frame type": (wire.frame(0x7F, b"\x00"), "badFrame", "unknown frame type"),
    "garbage bytes": (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "badFrame", "exceeds the maximum"),
    "wrong version": (wire.hello("test", version=0), "unsupportedVersion", "version"),
    "first frame not hello": (wire.ping(7), "protocolViolation", "first frame must be hello"),
    "unknown protocol": (wire.hello("carrier-pigeon"), "unknownProtocol", "carrier-pigeon"),
    "invalid utf-8 in hello": (wire.frame(wire.HELLO, b"\x00\x01\x00\x00\x00\x02\xff\xfe\x00\x00\x00\x00"),
                               "badFrame", "UTF-8"),
}


def test_bad_frames_close_only_their_connection(workdir, processes):
    router = RouterProcess(workdir)
    processes.append(router)
    seed_queue_and_gateway(router)
    router.start()
    bridge = BridgeProcess(workdir, router.socket)
    processes.append(bridge)
    bridge.start()
    bridge.wait_event(lambda e: e["event"] == "connected")

    for name, (payload, code, reason) in HOSTILE_FIRST_FRAMES.items():
        sock = connect_raw(router.socket)
        sock.sendall(payload)
        frames, closed = wire.read_frames(sock, timeout=5)
        sock.close()
        assert closed, f"{name}: the router kept the connection open"
        goodbyes = [wire.goodbye(body) for kind, body in frames if kind == wire.GOODBYE]
        assert goodbyes and goodbyes[0][0] == code, f"{name}: got {goodbyes}"
        assert reason in goodbyes[0][1], f"{name}: reason {goodbyes[0][1]!r}"

    # A frame cut off by the end of the connection.
    sock = connect_raw(router.socket)
    sock.sendall(wire.hello("test")[:9])
    sock.shutdown(socket.SHUT_WR)
    wire.read_frames(sock, timeout=3)
    sock.close()
    wait_until(lambda: "ended inside a frame" in router.log_text(), 20, "a log line about the truncated frame")

    # Garbage after a good handshake (as a different protocol, so the test bridge keeps its session).
    sock = connect_raw(router.socket)
    sock.sendall(wire.hello("aim"))
    sock.sendall(wire.frame(0x21, b"\x00\x00\x00\x09short"))
    frames, closed = wire.read_frames(sock, timeout=5)
    sock.close()
    assert frames[0][0] == wire.WELCOME
    assert closed and any(kind == wire.GOODBYE and wire.goodbye(body)[0] == "badFrame" for kind, body in frames)

    log = router.log_text()
    for reason in ["exceeds the maximum", "unknown frame type", "the first frame must be hello", "carrier-pigeon",
                   "bridge protocol versions 1 to 2, the bridge offered 0"]:
        assert reason in log, f"no log line says {reason!r}"

    # The router is still up and still serves the bridge that behaved.
    assert router.process.poll() is None
    assert not [e for e in bridge.history if e["event"] == "disconnected"]
    bridge.send({"op": "receive", "id": "after", "gateway": 1, "from": "+15551230009", "body": "still there?"})
    wait_until(lambda: router.query("SELECT count(*) FROM offline_inbox WHERE message_id = 'after'")[0][0] == 1,
               10, "the well-behaved bridge's message")


def test_a_peer_not_on_the_allow_list_is_refused(workdir, processes):
    router = RouterProcess(workdir, bridges_config='allowed_users = ["4242"]\nallowed_groups = ["4242"]')
    processes.append(router)
    router.start()
    sock = connect_raw(router.socket)
    sock.sendall(wire.hello("test"))
    frames, closed = wire.read_frames(sock, timeout=5)
    sock.close()
    assert closed
    assert [wire.goodbye(body)[0] for kind, body in frames if kind == wire.GOODBYE] == ["notAllowed"]
    assert not any(kind == wire.WELCOME for kind, _ in frames)
    wait_until(lambda: "peer not allowed" in router.log_text(), 5, "a log line naming the refused peer")
    assert f"uid={os.getuid()}" in router.log_text()

    bridge = BridgeProcess(workdir, router.socket)
    processes.append(bridge)
    bridge.start()
    wait_until(lambda: "refused by the router" in bridge.log_text() or "notAllowed" in bridge.log_text(), 10,
               "the bridge to log its refusal")
    assert not [e for e in bridge.history if e["event"] == "connected"]


@pytest.mark.skipif(os.getuid() != 0, reason="switching to another uid needs root; the allow-list test above covers non-root runs")
def test_a_bridge_running_as_another_user_is_refused(workdir, processes):
    # Socket mode 0666 so the file system lets `nobody` in: the peer check alone must refuse it.
    router = RouterProcess(workdir, bridges_config='socket_mode = "0666"')
    processes.append(router)
    router.start()
    assert oct(os.stat(router.socket).st_mode & 0o777) == "0o666"
    bridge = BridgeProcess(workdir, router.socket, user=65534)
    bridge.spool = workdir / "nobody" / "spool.sqlite"
    bridge.spool.parent.mkdir()
    os.chown(bridge.spool.parent, 65534, 65534)
    processes.append(bridge)
    bridge.start()
    wait_until(lambda: "peer not allowed" in router.log_text(), 10, "the router to refuse uid 65534")
    assert "uid=65534" in router.log_text()
    assert not [e for e in bridge.history if e["event"] == "connected"]


def test_the_socket_is_created_with_mode_0660(workdir, processes):
    router = RouterProcess(workdir)
    processes.append(router)
    router.start()
    assert oct(os.stat(router.socket).st_mode & 0o777) == "0o660"


def test_sigterm_stops_the_router_cleanly(workdir, processes):
    router = RouterProcess(workdir)
    processes.append(router)
    seed_queue_and_gateway(router)
    router.start()
    bridge = BridgeProcess(workdir, router.socket)
    processes.append(bridge)
    bridge.start()
    bridge.wait_event(lambda e: e["event"] == "connected")
    assert router.stop() == 0
    assert "stopped" in router.log_text()
    assert not router.socket.exists(), "the socket file is removed on a clean stop"
    bridge.wait_event(lambda e: e["event"] == "disconnected")


def test_a_config_error_names_the_key(workdir):
    import subprocess
    from conftest import binary
    config = workdir / "bad.toml"
    config.write_text('[bridges]\nsokcet = "/tmp/x.sock"\n')
    result = subprocess.run([binary("refdesk-router"), "-c", str(config), "--check-config"], capture_output=True, text=True)
    assert result.returncode == 78
    assert 'unknown key "bridges.sokcet"' in result.stderr and 'did you mean "bridges.socket"' in result.stderr


def test_the_router_agrees_the_highest_version_both_speak_and_keeps_version_2_frames_from_version_1_bridges(workdir, processes):
    router = RouterProcess(workdir)
    processes.append(router)
    seed_queue_and_gateway(router)
    router.start()

    def welcome_version(offered, protocol):
        sock = connect_raw(router.socket)
        sock.sendall(wire.hello(protocol, version=offered))
        frames, _ = wire.read_frames(sock, timeout=1)
        return sock, frames

    # A bridge built before version 2 is welcomed with version 1; one from the future gets the router's highest.
    for offered, agreed in ((1, 1), (2, 2), (7, 2)):
        sock, frames = welcome_version(offered, "test")
        assert frames[0][0] == wire.WELCOME and wire.Reader(frames[0][1]).u16() == agreed, f"offered {offered}"
        sock.close()

    # On a version-1 connection a version-2 frame is a protocol violation, not something to act on.
    sock, frames = welcome_version(1, "test")
    sock.sendall(wire.chat_state(1, "+15551230001", "composing"))
    frames, closed = wire.read_frames(sock, timeout=5)
    sock.close()
    assert closed and any(kind == wire.GOODBYE and wire.goodbye(body)[0] == "protocolViolation" for kind, body in frames)
    # The router logs why once the session's loops have all ended, which may be just after the connection closed.
    wait_until(lambda: "chatState is not part of protocol version 1" in router.log_text(), 10, "the violation in the log")

    # On version 2 a patron's typing state and a gateway notice are taken (the notice is logged, nothing else).
    sock, frames = welcome_version(2, "test")
    sock.sendall(wire.chat_state(1, "+15551230001", "composing") + wire.gateway_notice(1, "System", "maintenance at 6"))
    wait_until(lambda: "maintenance at 6" in router.log_text(), 10, "the notice in the router's log")
    frames, closed = wire.read_frames(sock, timeout=1)
    sock.close()
    assert not closed and not any(kind == wire.GOODBYE for kind, _ in frames)
    assert router.query("SELECT count(*) FROM conversations")[0][0] == 0, "a notice is not a patron's message"


def test_a_burst_sent_again_at_once_is_stored_once_and_every_copy_is_acked(workdir, processes):
    """A bridge that resends (its ack was late) may send copies right behind the first: each message is acted on
    once, and every copy is acked. (Copies checked while the first is still committing are RouterDedupeTests'.)"""
    router = RouterProcess(workdir)
    processes.append(router)
    seed_queue_and_gateway(router)
    router.start()
    seed = random.randrange(1 << 32)
    print(f"seed {seed}")
    rng = random.Random(seed)
    sock = connect_raw(router.socket)
    sock.sendall(wire.hello("test"))
    frames, _ = wire.read_frames(sock, timeout=1)
    assert frames and frames[0][0] == wire.WELCOME
    # Bursts of 50, every burst sent again after a random pause of 0 to 2 ms.
    count = 2000
    for start in range(0, count, 50):
        burst = b"".join(wire.message_received(f"twice-{i}", 1, f"+1555123{i % 7:04d}", f"question {i}")
                         for i in range(start, start + 50))
        sock.sendall(burst)
        time.sleep(rng.choice((0, 0.0002, 0.0005, 0.001, 0.002)))
        sock.sendall(burst)
    acked = Counter()
    data = b""
    sock.settimeout(0.5)
    deadline = time.monotonic() + 20
    while sum(acked.values()) < 2 * count and time.monotonic() < deadline:
        try:
            data += sock.recv(65536)
        except (socket.timeout, TimeoutError):
            continue
        while len(data) >= 5:
            length, kind = struct.unpack(">IB", data[:5])
            if len(data) < 4 + length:
                break
            body, data = data[5:4 + length], data[4 + length:]
            if kind == wire.ACK:
                reader = wire.Reader(body)
                for _ in range(reader.u32()):
                    acked[reader.string()] += 1
    sock.close()
    assert all(acked[f"twice-{i}"] == 2 for i in range(count)), f"seed {seed}: acks {sum(acked.values())}"
    stored = Counter(row[0] for row in router.query("SELECT message_id FROM offline_inbox"))
    assert len(stored) == count and set(stored.values()) == {1}, f"seed {seed}: {sum(stored.values())} rows stored"
