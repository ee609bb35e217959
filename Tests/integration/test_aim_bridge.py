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

from bridgewire import ACK, CHAT_STATE, CHAT_STATES, GATEWAY_NOTICE, HELLO, PING, Reader, chat_state, frame, string
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
    """The router's end of the bridge socket, scripted. `version` is the protocol version its welcome agrees to."""

    def __init__(self, path: Path, gateways: dict, version: int = 2):
        self.path, self.gateways, self.version = path, dict(gateways), version
        self.notices, self.chat_states = [], []
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
            connection.sendall(frame(WELCOME, struct.pack(">HI", min(version, self.version), len(gateways)) + b"".join(gateways)))
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
        elif kind == GATEWAY_NOTICE:
            record = (reader.u64(), reader.string(), reader.string())
            with self.lock:
                self.notices.append(record)
        elif kind == CHAT_STATE:
            record = (reader.u64(), reader.string(), CHAT_STATES[reader.take(1)[0]])
            with self.lock:
                self.chat_states.append(record)
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

    def send_chat_state(self, gateway_id: int, to: str, state: str):
        self.send(chat_state(gateway_id, to, state))

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

    def start(gateways, server_options=None, extra="", env=None, version=2):
        server = OscarServer({DESK: DESK_PASSWORD, PATRON: PATRON_PASSWORD}, **(server_options or {})).start()
        started.append(server)
        peer = RouterPeer(workdir / "router.sock", gateways, version)
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
    assert peer.hellos[0][:2] == (2, "aim"), "the highest bridge protocol version it speaks, and its protocol"
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
    assert text == "Second floor, <near> the windows", "the patron's client shows what the librarian typed"
    assert pat.raw[-1][2] == "<HTML><BODY>Second floor, &lt;near&gt; the windows</BODY></HTML>", "escaped for HTML"
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
    received = pat.next_lines(50, timeout=30)
    assert received == [f"reply {number}" for number in range(50)]
    assert server.count("dropped") == 0, "the bridge never exceeded the rate limit"
    assert server.count("rate_limited") == 0
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


# --- System notices, HTML, pacing, long replies, acks, typing (the server's real default rate classes) -----------

def test_server_notices_are_reported_as_gateway_events_never_as_patron_messages(aim):
    server, peer, bridge = aim({1: gateway(1, DESK, DESK_PASSWORD, False)})
    pat = patron(server)
    pat.send_im(DESK, "first while you were away", store=True)
    pat.send_im(DESK, "second while you were away", store=True)
    wait_until(lambda: server.stored_count(DESK) == 2, 5, "the server to store both IMs")

    # Signing on brings the server's notice (from "OOS System Msg", cookie 0), then the two stored IMs.
    peer.set_online(1, True)
    stored = peer.wait_messages(2)
    assert [m["body"] for m in stored] == ["first while you were away", "second while you were away"]
    wait_until(lambda: peer.notices, 10, "the notice, as a gateway event")
    (gateway_id, sender, text), = peer.notices
    assert (gateway_id, sender) == (1, "OOS System Msg")
    assert text.startswith("You just received 2 IM(s) while you were offline.")
    assert "IM Settings (https://oscar.example/settings?im=1&list=2)" in text, "plain text, the link's address kept"

    # A second notice (same cookie 0, same sender) is reported too, not dropped as a repeat; so is one from AOL's
    # system sender with an ordinary cookie: the rule is the sender's kind or the zero cookie, not one name.
    assert server.send_system_notice(DESK, "Your screen name (Ref Desk) is now signed into Open OSCAR Server in 2 locations.")
    assert server.send_system_notice(DESK, "Scheduled maintenance tonight.", sender="AOL System Msg", cookie=os.urandom(8))
    wait_until(lambda: len(peer.notices) == 3, 10, "both further notices")
    assert [n[1] for n in peer.notices[1:]] == ["OOS System Msg", "AOL System Msg"]
    assert "in 2 locations" in peer.notices[1][2]

    # None of them became a patron's message; a patron's IM afterwards still does.
    pat.send_im(DESK, "and now live")
    messages = peer.wait_messages(3)
    assert [m["sender"] for m in messages] == ["patron", "patron", "patron"]
    assert "server notice" in bridge.log_text() and "in 2 locations" in bridge.log_text(), "notices are logged"


def test_a_router_of_protocol_version_1_gets_no_version_2_frames_and_the_bridge_carries_on(aim):
    server, peer, bridge = aim({1: gateway(1, DESK, DESK_PASSWORD, True)}, version=1)
    peer.wait_state(1, "online")
    pat = patron(server)
    pat.send_typing(DESK, 2)
    assert server.send_system_notice(DESK, "a notice")
    pat.send_im(DESK, "hello")
    assert peer.wait_messages(1)[0]["body"] == "hello"
    time.sleep(0.5)
    assert peer.notices == [] and peer.chat_states == []
    assert bridge.process.poll() is None


def test_every_html_character_reference_is_decoded(aim):
    server, peer, bridge = aim({1: gateway(1, DESK, DESK_PASSWORD, True)})
    peer.wait_state(1, "online")
    pat = patron(server)
    pat.send_im(DESK, "<HTML><BODY>caf&eacute; &copy; 10&euro; wait&hellip; na&iuml;ve &#8212; &#x1F600; &lt;3</BODY></HTML>")
    assert peer.wait_messages(1)[0]["body"] == "café © 10€ wait… naïve — 😀 <3"


def test_replies_go_out_as_the_html_an_aim_client_renders(aim):
    server, peer, bridge = aim({1: gateway(1, DESK, DESK_PASSWORD, True)})
    peer.wait_state(1, "online")
    pat = patron(server)
    reply = 'Two places:\nsee https://library.example.org/hours?day=1&week=2 or www.example.org.\n<b>not bold</b> & "quoted"'
    peer.send_message("html-1", 1, "patron", reply)
    _, shown, _ = pat.next_message()
    assert shown == reply, "the patron's client shows exactly what the librarian typed"
    markup = pat.raw[-1][2]
    assert markup.startswith("<HTML><BODY>") and markup.endswith("</BODY></HTML>")
    assert markup.count("<BR>") == 2, "line breaks as <BR>"
    assert '<A HREF="https://library.example.org/hours?day=1&amp;week=2">' in markup, "web addresses are links"
    assert '<A HREF="http://www.example.org">www.example.org</A>.' in markup
    assert "&lt;b&gt;not bold&lt;/b&gt; &amp; &quot;quoted&quot;" in markup, "markup the librarian typed is escaped"


def quick_lines(peer, prefix, count, gap=0.03):
    """Hands the bridge `count` one-line replies one by one, `gap` s apart, as a librarian's quick lines come."""
    for n in range(count):
        peer.send_message(f"{prefix}-{n}", 1, "patron", f"{prefix} line {n}")
        time.sleep(gap)


def test_five_quick_lines_reach_the_patron_within_two_seconds_on_the_real_rate_classes(aim):
    server, peer, bridge = aim({1: gateway(1, DESK, DESK_PASSWORD, True)})
    peer.wait_state(1, "online")
    pat = patron(server)
    time.sleep(1)  # the sign-on's own SNACs are counted in class 1, not the IM class
    start = time.monotonic()
    quick_lines(peer, "five", 5, gap=0.1)
    lines = pat.next_lines(5, timeout=10)
    elapsed = time.monotonic() - start
    assert lines == [f"five line {n}" for n in range(5)]
    assert elapsed < 2, f"five quick lines took {elapsed:.2f} s"
    print(f"\nfive quick lines at the patron after {elapsed * 1000:.0f} ms")
    time.sleep(2)  # a rate change notice would come after a second of silence
    assert server.count("dropped") == 0 and server.count("rate_limited") == 0 and server.count("rate_alert") == 0


def test_thirty_lines_arrive_in_order_coalesced_without_being_limited_or_disconnected(aim):
    server, peer, bridge = aim({1: gateway(1, DESK, DESK_PASSWORD, True)})
    peer.wait_state(1, "online")
    pat = patron(server)
    time.sleep(1)
    start = time.monotonic()
    quick_lines(peer, "thirty", 30)
    lines = pat.next_lines(30, timeout=30)
    elapsed = time.monotonic() - start
    assert lines == [f"thirty line {n}" for n in range(30)], "every line, once, in order"
    ims = [r[2] for r in pat.raw if "thirty line" in r[2]]
    assert len(ims) < 30 and any(markup.count("<BR>") >= 10 for markup in ims), \
        "lines that waited for the rate class went together, joined with line breaks"
    assert elapsed < 10, f"30 lines took {elapsed:.1f} s"
    time.sleep(2)  # a rate change notice would come after a second of silence
    assert server.count("dropped") == 0, "nothing was dropped by the server"
    assert server.count("rate_limited") == 0, "the IM class was never limited"
    assert server.count("rate_alert") == 0, "the server never even warned (no rate change at the alert level)"
    assert server.count("rate_disconnect") == 0 and server.count("login", DESK) == 1, "one session throughout"
    wait_until(lambda: all(peer.status_of(f"thirty-{n}") for n in range(30)), 10, "30 delivery statuses")
    assert {peer.status_of(f"thirty-{n}")["status"] for n in range(30)} == {"sent"}
    print(f"\n30 lines: at the patron after {elapsed:.2f} s in {len(ims)} IMs; rate alerts 0, limited 0, dropped 0, "
          f"disconnects 0")


def test_coalesced_ims_stay_within_the_servers_maximum_message_length(aim):
    server, peer, bridge = aim({1: gateway(1, DESK, DESK_PASSWORD, True)})
    peer.wait_state(1, "online")
    pat = patron(server)
    texts = [f"{n:02d} " + "x" * 57 for n in range(40)]
    peer.send(b"".join(frame(SEND_MESSAGE, string(f"wide-{n}") + struct.pack(">Q", 1) + string("patron") + string(text))
                       for n, text in enumerate(texts)))
    assert pat.next_lines(40, timeout=40) == texts
    assert len(pat.raw) < 10, "lines handed over together share IMs"
    assert server.count("oversize") == 0, "no IM longer than the 512 bytes of the server's ICBM parameters"
    assert all(len(markup.encode()) <= 512 for _, _, markup in pat.raw)


def test_a_long_reply_is_split_between_words_into_ims_that_fit_in_order(aim):
    server, peer, bridge = aim({1: gateway(1, DESK, DESK_PASSWORD, True)})
    peer.wait_state(1, "online")
    pat = patron(server)
    words = [f"word{n}" for n in range(600)]
    peer.send_message("long-1", 1, "patron", " ".join(words))
    received = []
    while len(received) < len(words):
        received += pat.next_message(timeout=30)[1].split()
    assert received == words, "every word whole, once, in order"
    assert len(pat.raw) >= 8
    assert server.count("oversize") == 0 and all(len(markup.encode()) <= 512 for _, _, markup in pat.raw)
    wait_until(lambda: peer.status_of("long-1"), 10, "the delivery status")
    assert peer.status_of("long-1")["status"] == "sent", "one report, once every piece is acked"
    assert [s["message"] for s in peer.statuses].count("long-1") == 1


def test_an_ack_that_does_not_come_is_waited_for_and_the_im_sent_again_with_the_same_cookie(aim):
    server, peer, bridge = aim({1: gateway(1, DESK, DESK_PASSWORD, True)}, extra='ack_timeout = "500ms"\n')
    peer.wait_state(1, "online")
    pat = patron(server)
    server.lose_acks(DESK, 1)
    peer.send_message("lost-ack", 1, "patron", "Is this thing on?")
    wait_until(lambda: peer.status_of("lost-ack"), 10, "a delivery status after the retry")
    assert peer.status_of("lost-ack")["status"] == "sent"
    copies = [r for r in pat.raw if "Is this thing on?" in r[2]]
    assert len(copies) == 2 and copies[0][1] == copies[1][1], "sent again with the same cookie"
    assert server.count("ack_lost", DESK) == 1
    assert "sent it again with the same cookie" in bridge.log_text()

    # A server that never acks: after three tries the reply is reported failed, with a reason.
    server.lose_acks(DESK, 3)
    peer.send_message("never-acked", 1, "patron", "Anyone?")
    # Each try waits for the IM class to refill (about 5 s once it is spent), so the server is never even warned.
    wait_until(lambda: peer.status_of("never-acked"), 30, "a failed delivery status")
    status = peer.status_of("never-acked")
    assert status["status"] == "failed" and "did not confirm" in status["reason"]
    assert len([r for r in pat.raw if "Anyone?" in r[2]]) == 3


def test_typing_notifications_pass_both_ways_as_chat_states(aim):
    server, peer, bridge = aim({1: gateway(1, DESK, DESK_PASSWORD, True)})
    peer.wait_state(1, "online")
    pat = patron(server)

    # The patron types, pauses, clears: composing, paused, active to the router.
    for event in (2, 1, 0):
        pat.send_typing(DESK, event)
    wait_until(lambda: len(peer.chat_states) == 3, 10, "three chat states")
    assert peer.chat_states == [(1, "patron", "composing"), (1, "patron", "paused"), (1, "patron", "active")]

    # The librarian types and pauses: typing notices (0x04/0x14) to the patron; a repeat is not sent again.
    peer.send_chat_state(1, "patron", "composing")
    assert pat.next_typing() == ("refdesk", 2)
    peer.send_chat_state(1, "patron", "composing")
    peer.send_chat_state(1, "patron", "paused")
    assert pat.next_typing() == ("refdesk", 1)
    peer.send_chat_state(1, "patron", "active")
    assert pat.next_typing() == ("refdesk", 0)
    assert [t for t in server.typing if t[0] == "refdesk"] == [("refdesk", "patron", 2), ("refdesk", "patron", 1),
                                                                ("refdesk", "patron", 0)]
