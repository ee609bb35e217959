"""refdesk-aim against the test OSCAR server, driven from its bridge-protocol end by a Python router peer.

The router peer listens on the bridge socket like refdesk-router, answers hello with welcome and the gateways,
sends setGatewayOnline / attachGateway / sendMessage, acks the bridge's reliable frames and records what it gets.
Patrons are scripted AIM clients on the same OSCAR server.
"""
import os
import signal
import ssl
import socket
import struct
import subprocess
import threading
import time
from pathlib import Path

import pytest

from bridgewire import ACK, HELLO, PING, Reader, frame, string
from conftest import binary, wait_until
from oscar_server import OscarServer, PatronClient

WELCOME, PONG = 0x02, 0x05
ATTACH, DETACH, SET_ONLINE, GATEWAY_STATE = 0x10, 0x11, 0x12, 0x13
SEND_MESSAGE, MESSAGE_RECEIVED, DELIVERY_STATUS = 0x20, 0x21, 0x22
STATES = {0: "connecting", 1: "online", 2: "offline", 3: "failed"}
STATUSES = {0: "sent", 1: "delivered", 2: "failed"}

DESK, DESK_PASSWORD = "Ref Desk", "desk-secret"
PATRON, PATRON_PASSWORD = "Pat Ron", "patron-secret"


def gateway(id, username, secret, online, queue="ask"):
    return (struct.pack(">Q", id) + string("aim") + string(queue) + string(username) + string(secret)
            + struct.pack(">B", 1 if online else 0))


class RouterPeer:
    """The router's end of the bridge socket, scripted."""

    def __init__(self, path: Path, gateways: dict):
        self.path, self.gateways = path, dict(gateways)
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(str(path))
        self.listener.listen(4)
        self.connection = None
        self.hellos, self.states, self.messages, self.statuses, self.acked = [], [], [], [], []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection):
        buffer = b""
        try:
            while True:
                chunk = connection.recv(65536)
                if not chunk:
                    return
                buffer += chunk
                while len(buffer) >= 5:
                    (length,) = struct.unpack(">I", buffer[:4])
                    if len(buffer) < 4 + length:
                        break
                    kind, body = buffer[4], buffer[5:4 + length]
                    buffer = buffer[4 + length:]
                    self._frame(connection, kind, body)
        except OSError:
            return

    def _frame(self, connection, kind, body):
        reader = Reader(body)
        if kind == HELLO:
            version, protocol, instance = reader.u16(), reader.string(), reader.string()
            with self.lock:
                self.hellos.append((version, protocol, instance))
                self.connection = connection
                gateways = list(self.gateways.values())
            connection.sendall(frame(WELCOME, struct.pack(">HI", 1, len(gateways)) + b"".join(gateways)))
        elif kind == PING:
            connection.sendall(frame(PONG, body))
        elif kind == GATEWAY_STATE:
            record = (reader.u64(), STATES[reader.take(1)[0]], reader.string())
            with self.lock:
                self.states.append(record)
        elif kind == MESSAGE_RECEIVED:
            id, gateway_id, sender, text = reader.string(), reader.u64(), reader.string(), reader.string()
            sent_at, offline = struct.unpack(">qB", reader.take(9))
            media = reader.u32()
            record = dict(id=id, gateway=gateway_id, sender=sender, body=text, sent_at=sent_at,
                          offline=bool(offline), media=media)
            with self.lock:
                self.messages.append(record)
            connection.sendall(frame(ACK, struct.pack(">I", 1) + string(id)))
        elif kind == DELIVERY_STATUS:
            record = dict(id=reader.string(), message=reader.string(), status=STATUSES[reader.take(1)[0]],
                          reason=reader.string())
            with self.lock:
                self.statuses.append(record)
            connection.sendall(frame(ACK, struct.pack(">I", 1) + string(record["id"])))
        elif kind == ACK:
            count = reader.u32()
            with self.lock:
                self.acked.extend(reader.string() for _ in range(count))

    def send(self, data: bytes):
        wait_until(lambda: self.connection is not None, 15, "the bridge to connect")
        self.connection.sendall(data)

    def set_online(self, gateway_id: int, online: bool):
        self.send(frame(SET_ONLINE, struct.pack(">QB", gateway_id, 1 if online else 0)))

    def attach(self, gateway_id: int, descriptor: bytes):
        self.gateways[gateway_id] = descriptor
        self.send(frame(ATTACH, descriptor))

    def send_message(self, id: str, gateway_id: int, to: str, body: str):
        self.send(frame(SEND_MESSAGE, string(id) + struct.pack(">Q", gateway_id) + string(to) + string(body)))

    def state_of(self, gateway_id: int):
        with self.lock:
            matching = [s for s in self.states if s[0] == gateway_id]
        return matching[-1] if matching else None

    def wait_state(self, gateway_id: int, state: str, timeout: float = 15):
        return wait_until(lambda: (s := self.state_of(gateway_id)) and s[1] == state and s, timeout,
                          f"gateway {gateway_id} to report {state} (last: {self.state_of(gateway_id)})")

    def wait_messages(self, count: int, timeout: float = 15):
        wait_until(lambda: len(self.messages) >= count, timeout, f"{count} messageReceived frames")
        with self.lock:
            return list(self.messages)

    def status_of(self, message_id: str):
        with self.lock:
            return next((s for s in self.statuses if s["message"] == message_id), None)

    def close(self):
        self.listener.close()
        if self.connection:
            self.connection.close()


class AIMBridgeProcess:
    def __init__(self, workdir: Path, socket_path: Path, server: OscarServer, extra: str = "", env=None):
        self.log = workdir / "aim.log"
        self.config = workdir / "aim.toml"
        self.config.write_text(
            f'[bridge]\nrouter_socket = "{socket_path}"\nspool = "{workdir / "aim-spool.sqlite"}"\n'
            f'instance = "aim-test"\nlog_level = "debug"\n'
            f'[aim]\nserver = "127.0.0.1:{server.auth_port}"\nclient_id = "refdesk-test"\n'
            f'reconnect_initial = "200ms"\nreconnect_maximum = "2s"\n{extra}'
        )
        log = open(self.log, "ab")
        self.process = subprocess.Popen([binary("refdesk-aim"), "-c", str(self.config)], stderr=log,
                                        stdin=subprocess.DEVNULL, env={**os.environ, **(env or {})})
        log.close()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self, timeout: float = 15) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)


@pytest.fixture
def aim(workdir):
    """Starts an OSCAR server, a router peer and the bridge; stops them all after the test."""
    started = []

    def start(gateways, server_options=None, extra="", env=None):
        server = OscarServer({DESK: DESK_PASSWORD, PATRON: PATRON_PASSWORD}, **(server_options or {})).start()
        started.append(server)
        peer = RouterPeer(workdir / "router.sock", gateways)
        started.append(peer)
        bridge = AIMBridgeProcess(workdir, workdir / "router.sock", server, extra, env)
        started.append(bridge)
        wait_until(lambda: peer.hellos, 15, "the bridge's hello")
        return server, peer, bridge

    yield start
    for thing in reversed(started):
        try:
            if isinstance(thing, AIMBridgeProcess):
                thing.kill()
            elif isinstance(thing, RouterPeer):
                thing.close()
            else:
                thing.stop()
        except Exception:
            pass


def patron(server, buddies=(DESK,), tls=None):
    return PatronClient(server, PATRON, PATRON_PASSWORD, buddies=buddies, tls=tls).sign_on()


def certificate(workdir: Path):
    """A self-signed certificate for 127.0.0.1: (server context, client context, CA file)."""
    cert, key = workdir / "cert.pem", workdir / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=oscar.test", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    return server_context, ssl.create_default_context(cafile=str(cert)), cert


def test_hello_announces_the_aim_protocol(aim):
    server, peer, bridge = aim({1: gateway(1, "refdesk@aol.com", DESK_PASSWORD, False)})
    assert peer.hellos[0][:2] == (1, "aim")
    assert peer.wait_state(1, "offline")
    assert not server.is_online(DESK)


def test_online_gateway_signs_on_and_ims_flow_both_ways_then_signs_off(aim):
    server, peer, bridge = aim({1: gateway(1, "RefDesk@aol.com", DESK_PASSWORD, False)})
    pat = patron(server)
    peer.set_online(1, True)
    peer.wait_state(1, "online")
    assert pat.wait_arrival(DESK), "the patron should see the screen name arrive"

    pat.send_im("refdesk", "<HTML><BODY><FONT>Where are the <B>atlases</B> &amp; maps?</FONT></BODY></HTML>")
    (message,) = peer.wait_messages(1)
    assert message["gateway"] == 1
    assert message["sender"] == "patron", "screen names reach the router normalised"
    assert message["body"] == "Where are the atlases & maps?"
    assert message["offline"] is False
    assert abs(message["sent_at"] - time.time() * 1000) < 60_000

    peer.send_message("reply-1", 1, "patron", "Second floor, <near> the windows")
    sender, text, offline = pat.next_message()
    assert sender == "refdesk"
    assert text == "Second floor, &lt;near&gt; the windows", "outgoing text is escaped for HTML clients"
    assert not offline
    wait_until(lambda: peer.status_of("reply-1"), 10, "a delivery status")
    assert peer.status_of("reply-1")["status"] == "sent"
    wait_until(lambda: "reply-1" in peer.acked, 10, "the bridge to ack the sendMessage frame")

    peer.set_online(1, False)
    peer.wait_state(1, "offline")
    assert pat.wait_departure(DESK), "signing off is visible to buddies"
    wait_until(lambda: not server.is_online(DESK), 5, "the server to see the sign-off")


def test_an_im_stored_while_offline_arrives_as_stored_offline_at_sign_on(aim):
    server, peer, bridge = aim({1: gateway(1, DESK, DESK_PASSWORD, False)})
    pat = patron(server)
    pat.send_im(DESK, "Are you open on Sunday?", store=True)
    wait_until(lambda: server.stored_count(DESK) == 1, 5, "the server to store the IM")

    peer.set_online(1, True)
    (message,) = peer.wait_messages(1)
    assert message["offline"] is True
    assert message["body"] == "Are you open on Sunday?"
    assert message["sender"] == "patron"
    assert abs(message["sent_at"] - time.time() * 1000) < 60_000, "sentAt is the stored message's send time"
    assert server.stored_count(DESK) == 0


def test_a_burst_of_fifty_replies_arrives_complete_and_in_order_without_a_disconnect(aim):
    server, peer, bridge = aim({1: gateway(1, DESK, DESK_PASSWORD, True)}, server_options={"im_rate_scale": 0.05})
    pat = patron(server)
    peer.wait_state(1, "online")
    for number in range(50):
        peer.send_message(f"burst-{number}", 1, "patron", f"reply {number}")
    received = [pat.next_message(timeout=30)[1] for _ in range(50)]
    assert received == [f"reply {number}" for number in range(50)]
    assert server.count("dropped") == 0, "the bridge never exceeded the rate limit"
    assert server.count("rate_disconnect") == 0
    assert server.count("login", DESK) == 1, "one session throughout"
    wait_until(lambda: all(peer.status_of(f"burst-{n}") for n in range(50)), 10, "50 delivery statuses")
    assert {peer.status_of(f"burst-{n}")["status"] for n in range(50)} == {"sent"}


def test_the_server_enforces_its_rate_limit_on_a_client_that_ignores_it(aim):
    """The pacing test above means something only if the server really drops and disconnects."""
    server, peer, bridge = aim({1: gateway(1, DESK, DESK_PASSWORD, True)}, server_options={"im_rate_scale": 0.05})
    peer.wait_state(1, "online")
    pat = patron(server)
    for number in range(40):
        pat.send_im(DESK, f"flood {number}")
    wait_until(lambda: pat.signed_off.is_set(), 10, "the flooding client to be disconnected")
    assert server.count("dropped", PATRON) > 0
    assert server.count("rate_disconnect", PATRON) == 1


def test_an_oscar_server_restart_is_survived(aim):
    server, peer, bridge = aim({1: gateway(1, DESK, DESK_PASSWORD, True)})
    peer.wait_state(1, "online")
    server.stop()
    peer.wait_state(1, "connecting")
    assert "signing on again" in peer.state_of(1)[2]
    time.sleep(1)
    server.start()
    peer.wait_state(1, "online", timeout=20)
    pat = patron(server)
    pat.send_im(DESK, "still there?")
    assert peer.wait_messages(1)[0]["body"] == "still there?"
    assert bridge.process.poll() is None


def test_a_wrong_password_fails_the_gateway_with_a_reason_and_is_not_retried(aim):
    server, peer, bridge = aim({
        1: gateway(1, DESK, "wrong-password", True),
        2: gateway(2, PATRON, PATRON_PASSWORD, True),
    })
    state = peer.wait_state(1, "failed")
    assert "invalid password" in state[2]
    peer.wait_state(2, "online")
    time.sleep(3)
    assert server.count("login_failed", DESK) == 1, "no retry loop with a refused password"
    assert peer.state_of(1)[1] == "failed"

    peer.attach(1, gateway(1, DESK, DESK_PASSWORD, True))
    peer.wait_state(1, "online")
    assert server.is_online(DESK)


def test_a_garbage_frame_from_the_server_ends_the_session_and_it_signs_on_again(aim):
    server, peer, bridge = aim({1: gateway(1, DESK, DESK_PASSWORD, True)})
    peer.wait_state(1, "online")
    assert server.send_garbage(DESK)
    wait_until(lambda: server.count("online", DESK) == 2, 15, "a second sign-on")
    peer.wait_state(1, "online")
    assert bridge.process.poll() is None, "the daemon is still running"
    assert "malformed frame from the server" in bridge.log_text()
    pat = patron(server)
    pat.send_im(DESK, "hello again")
    assert peer.wait_messages(1)[0]["body"] == "hello again"


def test_a_reply_to_a_patron_who_signed_off_fails_when_the_server_may_not_store_it(aim):
    server, peer, bridge = aim({1: gateway(1, DESK, DESK_PASSWORD, True)}, extra="store_replies_offline = false\n")
    peer.wait_state(1, "online")
    peer.send_message("late-1", 1, "patron", "Sorry for the wait")
    wait_until(lambda: peer.status_of("late-1"), 10, "a delivery status")
    status = peer.status_of("late-1")
    assert status["status"] == "failed"
    assert "not signed on" in status["reason"]


def test_sigterm_signs_every_session_off_and_exits_cleanly(aim):
    server, peer, bridge = aim({1: gateway(1, DESK, DESK_PASSWORD, True)})
    peer.wait_state(1, "online")
    pat = patron(server)
    assert bridge.stop() == 0
    assert pat.wait_departure(DESK)
    assert peer.state_of(1)[1] == "offline"
    assert not server.is_online(DESK)


def test_keepalives_are_sent_on_an_idle_session(aim):
    server, peer, bridge = aim({1: gateway(1, DESK, DESK_PASSWORD, True)}, extra='keepalive = "200ms"\n')
    peer.wait_state(1, "online")
    wait_until(lambda: server.count("keepalive", DESK) >= 3, 5, "keepalive frames")


def test_a_login_refused_for_the_address_limit_waits_instead_of_looping(aim):
    server, peer, bridge = aim({1: gateway(1, DESK, DESK_PASSWORD, True)},
                               server_options={"login_burst": 1, "login_interval": 600},
                               extra='login_limited_wait = "30s"\n')
    peer.wait_state(1, "online")
    assert server.send_garbage(DESK)
    wait_until(lambda: server.count("login_failed", DESK) == 1, 10, "the refused second login")
    # The state report that follows the malformed frame comes first; the refusal's own follows it.
    wait_until(lambda: (s := peer.state_of(1)) and s[1] == "connecting" and "rate limited" in s[2], 10,
               f"the refusal reported as rate limited (last: {peer.state_of(1)})")
    time.sleep(2)
    assert server.count("login_failed", DESK) == 1, "no new attempt before the login limit's wait"


def test_a_malformed_snac_while_online_is_skipped_and_the_session_carries_on(aim):
    server, peer, bridge = aim({1: gateway(1, DESK, DESK_PASSWORD, True)})
    peer.wait_state(1, "online")
    assert server.send_snac_to(DESK, 0x04, 0x07, b"\x01\x02\x03")  # an IM cut off inside its cookie
    pat = patron(server)
    pat.send_im(DESK, "after the bad one")
    assert peer.wait_messages(1)[0]["body"] == "after the bad one"
    assert server.count("login", DESK) == 1
    assert "skipped a malformed SNAC" in bridge.log_text()


def test_a_detached_gateway_signs_off(aim):
    server, peer, bridge = aim({1: gateway(1, DESK, DESK_PASSWORD, True)})
    peer.wait_state(1, "online")
    pat = patron(server)
    peer.send(frame(DETACH, struct.pack(">Q", 1)))
    assert pat.wait_departure(DESK)
    assert bridge.process.poll() is None


def test_ready_is_announced_to_systemd_once_connected_to_the_router(aim, workdir):
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(workdir / "notify.sock"))
    notify.settimeout(10)
    try:
        aim({1: gateway(1, DESK, DESK_PASSWORD, False)}, env={"NOTIFY_SOCKET": str(workdir / "notify.sock")})
        assert b"READY=1" in notify.recv(4096)
    finally:
        notify.close()


def test_tls_to_the_oscar_server_carries_the_whole_session(aim, workdir):
    server_context, client_context, ca_file = certificate(workdir)
    server, peer, bridge = aim({1: gateway(1, DESK, DESK_PASSWORD, True)}, server_options={"tls": server_context},
                               extra=f'tls = true\ntls_ca_file = "{ca_file}"\n')
    peer.wait_state(1, "online")
    pat = patron(server, tls=client_context)
    pat.send_im(DESK, "over TLS")
    assert peer.wait_messages(1)[0]["body"] == "over TLS"
    peer.send_message("tls-1", 1, "patron", "encrypted reply")
    assert pat.next_message()[1] == "encrypted reply"
    assert bridge.stop() == 0
    assert pat.wait_departure(DESK), "the sign-off frame goes out through TLS before the close"


def test_tls_refuses_a_server_whose_certificate_is_not_trusted(aim, workdir):
    server_context, _, _ = certificate(workdir)
    server, peer, bridge = aim({1: gateway(1, DESK, DESK_PASSWORD, True)}, server_options={"tls": server_context},
                               extra="tls = true\n")
    state = peer.wait_state(1, "connecting")
    wait_until(lambda: "certificate" in peer.state_of(1)[2], 10, "a reason naming the certificate")
    assert server.count("login", DESK) == 0, "no password hash goes to an unverified server"


def test_check_config_rejects_unknown_keys_and_a_ca_file_without_tls(workdir):
    config = workdir / "aim.toml"
    config.write_text('[aim]\nserver = "127.0.0.1:5190"\nserevr = "typo"\n')
    result = subprocess.run([binary("refdesk-aim"), "-c", str(config), "--check-config"], capture_output=True, text=True)
    assert result.returncode == 78
    assert "serevr" in result.stderr
    config.write_text('[aim]\nserver = "127.0.0.1:5190"\ntls_ca_file = "/etc/ssl/ca.pem"\n')
    result = subprocess.run([binary("refdesk-aim"), "-c", str(config), "--check-config"], capture_output=True, text=True)
    assert result.returncode == 78
    assert "aim.tls_ca_file" in result.stderr
