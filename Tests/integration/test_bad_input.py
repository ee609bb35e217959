"""The hostile-input catalogue: at every boundary refdesk has with the outside world, inputs an attacker or a
broken peer could send. Each one must get a clear error, and none may crash a daemon, hang it, or store anything.

Boundaries: Twilio webhooks (refdesk-twilio's HTTP listener), the bridge socket (refdesk-router), configuration
files (every daemon's --check-config), XML from the XMPP server (a raw socket standing in for a server that
misbehaves: Prosody never sends such XML), the admin API (refdesk-router's HTTPS listener, spoken to over raw TLS
so that malformed requests reach it byte for byte), and OSCAR frames from the AIM server (the test OSCAR server
pushing bad bytes into refdesk-aim's signed-on session). The run ends with the line
"hostile inputs tried: N, refused: N"."""
import http.client
import json
import socket
import ssl
import sqlite3
import struct
import subprocess
import threading
import time
import urllib.parse
from pathlib import Path

import pytest
from twilio.request_validator import RequestValidator

import bridgewire as wire
from conftest import BridgeProcess, RouterProcess, binary, connect_raw, report, seed_queue_and_gateway, wait_until
from test_twilio_bridge import ACCOUNT, PUBLIC, TOKEN, sms
from test_twilio_bridge import desk  # noqa: F401  (fixture)
from test_admin_api import API, certificate  # noqa: F401  (fixture)
from test_admin_api import desk as admin_desk  # noqa: F401  (fixture)
from test_aim_bridge import DESK, PATRON, PATRON_PASSWORD, aim, gateway  # noqa: F401  (fixture)
from oscar_server import PatronClient, flap, tlv

TALLY = {"tried": 0, "refused": 0}


@pytest.fixture(scope="module", autouse=True)
def summary(request):
    """Prints the catalogue's closing line once every case in this file has run, past output capture."""
    yield
    report(request.config, f"hostile inputs tried: {TALLY['tried']}, refused: {TALLY['refused']}")


def record(refused: bool):
    TALLY["tried"] += 1
    if refused:
        TALLY["refused"] += 1


def row_counts(database: Path) -> dict:
    """Rows per table: a refused input must leave every count as it was."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10)
    try:
        tables = [name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {table: connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in tables}
    finally:
        connection.close()


# MARK: Twilio webhooks

def signed(params: dict) -> str:
    return RequestValidator(TOKEN).compute_signature(f"{PUBLIC}/sms", params)


def good(number: int, **changes) -> dict:
    params = sms(number, "+15551239000", "a question")
    params.update(changes)
    return params


# name: (body bytes, X-Twilio-Signature, expected status). Field-level attacks are signed correctly, so they get
# past the signature check and must be refused by validation, not by luck.
def webhook_cases():
    cases = {}

    def signed_case(name, params, status):
        cases[name] = (urllib.parse.urlencode(params).encode(), signed(params), status)

    cases["body of 10 MB"] = (b"Body=" + b"a" * 10_000_000, "c2ln", 413)
    cases["body one byte over the limit"] = (b"Body=" + b"a" * (64 * 1024 - 4), "c2ln", 413)
    cases["truncated percent escape"] = (b"MessageSid=SM1&Body=%4", "c2ln", 400)
    cases["percent escape of invalid UTF-8"] = (b"MessageSid=SM1&Body=%FF%FE%FD", "c2ln", 400)
    cases["raw invalid UTF-8"] = (b"MessageSid=SM1&Body=\xc3\x28", "c2ln", 400)
    cases["overlong UTF-8 encoding of a slash"] = (b"Body=%C0%AF", "c2ln", 400)
    cases["a field name repeated"] = (b"Body=a&Body=b", "c2ln", 400)
    cases["bare ampersands and equals signs"] = (b"&&==&=", "c2ln", 400)
    signed_case("CR LF header injection in From", good(101, From="+15551239000\r\nX-Injected: yes"), 400)
    signed_case("CR LF header injection in To", good(102, To="+15550000001\r\nBcc: +15559999999"), 400)
    signed_case("NUL byte in From", good(103, From="+1555123\x009000"), 400)
    signed_case("escape sequence in MessageSid", good(104, MessageSid="SM\x1b[2J" + "0" * 28), 400)
    signed_case("SQL in MessageSid", good(105, MessageSid="SM'; DROP TABLE inbound; --"), 400)
    signed_case("SQL in From", good(106, From="' OR '1'='1"), 400)
    signed_case("SQL in AccountSid", good(107, AccountSid=ACCOUNT + "' OR 1=1 --"), 403)
    signed_case("MMS URL with header injection", good(108, NumMedia="1", MediaUrl0="https://x.example/a\r\nHost: evil",
                                                      MediaContentType0="image/jpeg"), 400)
    signed_case("MMS URL that is a local file", good(109, NumMedia="1", MediaUrl0="file:///etc/passwd",
                                                     MediaContentType0="image/jpeg"), 400)
    signed_case("NumMedia of 20 digits", good(110, NumMedia="99999999999999999999"), 400)
    signed_case("negative NumMedia", good(111, NumMedia="-1"), 400)
    signed_case("media fields without NumMedia", good(112, MediaUrl7="https://x.example/a", MediaContentType7="a/b"), 400)
    signed_case("missing Body", {k: v for k, v in good(113).items() if k != "Body"}, 400)
    return cases


WEBHOOK_CASES = webhook_cases()


def post_raw(port: int, path: str, body: bytes, signature: str, headers: dict = None):
    """One HTTP POST; returns (status, text), or (None, error) when the server closed without an answer."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        all_headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}
        all_headers.update(headers or {})
        connection.request("POST", path, body=body, headers=all_headers)
        response = connection.getresponse()
        return response.status, response.read().decode(errors="replace")
    except (ConnectionError, http.client.HTTPException) as error:
        return None, repr(error)
    finally:
        connection.close()


def test_hostile_webhooks_are_refused_with_a_clear_status_and_nothing_is_spooled_or_routed(desk):  # noqa: F811
    router, bridge, api = desk()
    spool_before = row_counts(bridge.spool)
    router_before = row_counts(router.database)
    failures = []
    for name, (body, signature, expected) in WEBHOOK_CASES.items():
        started = time.monotonic()
        status, text = post_raw(bridge.port, "/refdesk/sms", body, signature)
        took = time.monotonic() - started
        refused = status == expected and bool(text.strip())
        record(refused)
        if not refused:
            failures.append(f"{name}: expected {expected}, got {status} {text[:200]!r}")
        if took > 10:
            failures.append(f"{name}: took {took:.1f}s")
        assert bridge.process.poll() is None, f"{name}: the bridge exited: {bridge.log_text()[-2000:]}"

    # HTTP-level attacks on the listener itself.
    http_cases = {
        "a 1 MB signature header": ("/refdesk/sms", b"Body=x", {"X-Twilio-Signature": "A" * 1_000_000}),
        "a path with dot segments": ("/refdesk/../refdesk/sms", b"Body=x", {}),
        "a path with an encoded NUL": ("/refdesk/sms%00.php", b"Body=x", {}),
        "a path with an encoded slash": ("/refdesk%2Fsms", b"Body=x", {}),
    }
    for name, (path, body, headers) in http_cases.items():
        status, text = post_raw(bridge.port, path, body, "c2ln", headers)
        refused = status is not None and 400 <= status < 500
        if status is None:
            # A listener may drop a request whose header is too large without answering; it must stay up.
            refused = bridge.process.poll() is None
        record(refused)
        if not refused:
            failures.append(f"{name}: got {status} {text[:200]!r}")

    # A request body cut off by the client: no answer is possible, but nothing may be spooled and the
    # listener must not wait for the rest forever.
    with socket.create_connection(("127.0.0.1", bridge.port), timeout=10) as sock:
        sock.sendall(b"POST /refdesk/sms HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                     b"X-Twilio-Signature: c2ln\r\nContent-Length: 1000\r\n\r\nMessageSid=SM1&Bo")
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except (socket.timeout, ConnectionError):
            pass
    record(not answer.startswith(b"HTTP/1.1 200"))

    assert not failures, "\n".join(failures)
    assert bridge.process.poll() is None and router.process.poll() is None
    time.sleep(0.5)
    assert row_counts(bridge.spool) == spool_before, "a refused webhook left rows in the bridge's spool"
    assert row_counts(router.database) == router_before, "a refused webhook reached the router's database"

    # SQL metacharacters in a text's body are a patron's words: stored verbatim as data, never executed.
    words = "Robert'); DROP TABLE offline_inbox;-- \"quoted\" %_ \\"
    assert bridge.post("sms", sms(200, "+15551239001", words))[0] == 200
    wait_until(lambda: router.query("SELECT count(*) FROM offline_inbox")[0][0] == 1, 10, "the one real text")
    assert router.query("SELECT body FROM offline_inbox") == [(words,)]

    assert router.query("SELECT message_id FROM offline_inbox") == [(f"SM{200:032x}",)]
    assert set(row_counts(router.database)) == set(router_before), "a table disappeared"


def test_a_stalled_webhook_request_is_closed_within_a_time_limit(desk):  # noqa: F811
    """A client that never finishes its request (slowloris) must not hold a listener connection forever: the
    webhook listener closes it within FRAMING_WAIT seconds, as the admin API must."""
    router, bridge, api = desk()
    stalled = {
        "a request line that never ends": b"POST /refdesk/sms",
        "headers that never end": b"POST /refdesk/sms HTTP/1.1\r\nHost: x\r\nX-Twilio-Signature: ",
        "a body that is promised but never sent": (b"POST /refdesk/sms HTTP/1.1\r\nHost: x\r\nContent-Type: "
                                                   b"application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nBody="),
    }
    results = {}

    def attempt(name, data):
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", bridge.port), timeout=FRAMING_WAIT + 5) as sock:
            sock.sendall(data)
            try:
                while sock.recv(65536):
                    pass
                results[name] = (True, time.monotonic() - started)
            except socket.timeout:
                results[name] = (False, time.monotonic() - started)
            except ConnectionError:
                results[name] = (True, time.monotonic() - started)

    threads = [threading.Thread(target=attempt, args=item) for item in stalled.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    failures = []
    for name, (closed, seconds) in results.items():
        refused = closed and seconds < FRAMING_WAIT + 1
        record(refused)
        if not refused:
            failures.append(f"{name}: {'closed' if closed else 'still open'} after {seconds:.1f}s")
    assert bridge.process.poll() is None
    assert bridge.post("sms", sms(300, "+15551239002", "after the stalled ones"))[0] == 200
    assert not failures, "\n".join(failures)


# MARK: The bridge socket

def message_frame(id_bytes: bytes, sender: bytes, body: bytes, gateway: int = 1) -> bytes:
    lp = lambda data: struct.pack(">I", len(data)) + data
    payload = lp(id_bytes) + struct.pack(">Q", gateway) + lp(sender) + lp(body) + struct.pack(">qB", 0, 0) + struct.pack(">I", 0)
    return wire.frame(wire.MESSAGE_RECEIVED, payload)


# name: bytes sent after a good hello. Each must end the connection with goodbye badFrame (or protocolViolation).
SOCKET_CASES = {
    "message with invalid UTF-8 in the body": message_frame(b"m-1", b"+15551230001", b"\xff\xfe\xfd"),
    "message with invalid UTF-8 in the sender": message_frame(b"m-2", b"+1555\xc3\x28", b"hi"),
    "message with a string length past the frame": wire.frame(wire.MESSAGE_RECEIVED, b"\x00\x00\x00\x03m-3" + b"\x00" * 8 + b"\xff\xff\xff\xf0"),
    "frame length of 4 GiB": b"\xff\xff\xff\xff\x21",
    "zero-length frame": b"\x00\x00\x00\x00",
    "one megabyte of garbage": bytes(range(256)) * 4096,
    "an HTTP request": b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
    "unknown frame type": wire.frame(0x66, b"\x00" * 16),
    "second hello": wire.hello("aim"),
}


def relength(frame: bytes, body: bytes) -> bytes:
    """`frame` with its body replaced by `body` and the length field matching: a well-framed but bad body."""
    return struct.pack(">I", len(body) + 1) + frame[4:5] + body


_GOOD = message_frame(b"m-4", b"+15551230001", b"hello")
SOCKET_CASES["message body cut short"] = relength(_GOOD, _GOOD[5:-3])
SOCKET_CASES["message body with trailing bytes"] = relength(_GOOD, _GOOD[5:] + b"xyz")


def test_hostile_frames_after_the_handshake_end_only_their_connection_and_store_nothing(workdir, processes):
    router = RouterProcess(workdir)
    processes.append(router)
    seed_queue_and_gateway(router)
    router.start()
    before = row_counts(router.database)
    failures = []
    for name, payload in SOCKET_CASES.items():
        sock = connect_raw(router.socket)
        sock.sendall(wire.hello("test"))
        try:
            sock.sendall(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass
        frames, closed = wire.read_frames(sock, timeout=5)
        sock.close()
        goodbyes = [wire.goodbye(body) for kind, body in frames if kind == wire.GOODBYE]
        refused = closed and bool(goodbyes) and goodbyes[0][0] in ("badFrame", "protocolViolation") and bool(goodbyes[0][1])
        record(refused)
        if not refused:
            failures.append(f"{name}: closed={closed} goodbyes={goodbyes}")
        assert router.process.poll() is None, f"{name}: the router exited: {router.log_text()[-2000:]}"
    assert not failures, "\n".join(failures)
    time.sleep(0.5)
    after = row_counts(router.database)
    assert after["offline_inbox"] == before["offline_inbox"] == 0
    assert {k: v for k, v in after.items() if k in ("messages", "patrons", "conversations", "seen_ids")} == \
           {k: v for k, v in before.items() if k in ("messages", "patrons", "conversations", "seen_ids")}

    # The router still serves a well-behaved bridge.
    bridge = BridgeProcess(workdir, router.socket)
    processes.append(bridge)
    bridge.start()
    bridge.wait_event(lambda e: e["event"] == "connected")
    bridge.send({"op": "receive", "id": "after", "gateway": 1, "from": "+15551230009", "body": "still there?"})
    wait_until(lambda: router.query("SELECT count(*) FROM offline_inbox WHERE message_id = 'after'")[0][0] == 1,
               10, "the well-behaved bridge's message")


def test_a_second_hello_is_answered_with_goodbye_protocol_violation(workdir, processes):
    router = RouterProcess(workdir)
    processes.append(router)
    seed_queue_and_gateway(router)
    router.start()
    sock = connect_raw(router.socket)
    sock.sendall(wire.hello("test") + wire.hello("test"))
    frames, closed = wire.read_frames(sock, timeout=5)
    sock.close()
    assert closed
    assert [wire.goodbye(body)[0] for kind, body in frames if kind == wire.GOODBYE] == ["protocolViolation"]


# MARK: Configuration files

def hostile_config_files(directory: Path) -> dict:
    files = {
        "invalid UTF-8": b'[router]\ndatabase = "\xff\xfe.sqlite"\n',
        "NUL bytes": b'[router]\ndatabase = "a\x00b"\n\x00\x00\x00',
        "a terminal escape sequence": b'[router]\ndatabase = "\x1b]0;owned\x07\x1b[2J"\n',
        "a 50 MB file": b"# padding\n" * 5_000_000,
        "a line of 2 MB": b"x = \"" + b"a" * 2_000_000 + b"\"\n",
        "tables nested 100000 deep": b"[" + b".".join([b"a"] * 100_000) + b"]\nx = 1\n",
        "arrays nested 100000 deep": b"x = " + b"[" * 100_000 + b"]" * 100_000 + b"\n",
        "an unterminated string": b'[router]\ndatabase = "never closed\n',
        "a UTF-16 file": "[router]\ndatabase = \"x\"\n".encode("utf-16"),
        "an integer of 400 digits": b"[router]\nport = " + b"9" * 400 + b"\n",
    }
    paths = {}
    for index, (name, content) in enumerate(files.items()):
        path = directory / f"hostile-{index}.toml"
        path.write_bytes(content)
        paths[name] = path
    paths["an endless file (/dev/zero)"] = Path("/dev/zero")
    paths["a directory"] = directory
    return paths


@pytest.mark.parametrize("daemon", ["refdesk-router", "refdesk-twilio", "refdesk-aim"])
def test_every_daemon_refuses_hostile_config_files_with_a_located_error(workdir, daemon):
    failures = []
    for name, path in hostile_config_files(workdir).items():
        started = time.monotonic()
        try:
            result = subprocess.run([binary(daemon), "-c", str(path), "--check-config"], capture_output=True,
                                    timeout=20, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            record(False)
            failures.append(f"{name}: --check-config hung")
            continue
        stderr = result.stderr.decode(errors="replace")
        refused = result.returncode == 78 and str(path) in stderr
        record(refused)
        if not refused:
            failures.append(f"{name}: exit {result.returncode} after {time.monotonic() - started:.1f}s, stderr {stderr[:300]!r}")
        assert b"\x1b" not in result.stderr, f"{name}: an escape sequence from the file reached the terminal"
    assert not failures, "\n".join(failures)


def test_a_config_error_quotes_at_most_a_short_excerpt_of_a_hostile_file(workdir):
    path = workdir / "deep.toml"
    path.write_bytes(b"[" + b".".join([b"a"] * 100_000) + b"]\nx = 1\n")
    result = subprocess.run([binary("refdesk-router"), "-c", str(path), "--check-config"], capture_output=True,
                            timeout=20, stdin=subprocess.DEVNULL)
    assert result.returncode == 78
    assert len(result.stderr) < 1024, f"a {len(result.stderr)}-byte error message"


# MARK: XML from the XMPP server

STREAM_HEADER = (b"<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' "
                 b"xmlns:stream='http://etherx.jabber.org/streams' id='abc' from='refdesk.localhost'>")
PATRON_MESSAGE = b"<message from='alice@localhost/desk' to='test+15551230001@refdesk.localhost' type='chat'><body>%s</body></message>"

XML_CASES = {
    "an external entity (XXE)": b"<?xml version='1.0'?><!DOCTYPE m [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>" + STREAM_HEADER[21:]
                                 + b"<handshake/>" + PATRON_MESSAGE % b"&x;",
    "billion laughs": b"<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>"
                      + b"".join(b"<!ENTITY lol%d '%s'>" % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10))
                      + b"]>" + STREAM_HEADER[21:] + b"<handshake/>" + PATRON_MESSAGE % b"&lol9;",
    "a DTD inside the stream": STREAM_HEADER + b"<handshake/><!DOCTYPE x [<!ELEMENT x ANY>]>" + PATRON_MESSAGE % b"hi",
    "a processing instruction": STREAM_HEADER + b"<handshake/><?evil run='me'?>" + PATRON_MESSAGE % b"hi",
    "invalid UTF-8": STREAM_HEADER + b"<handshake/>" + PATRON_MESSAGE % b"\xff\xfe\xc3\x28",
    "an oversized stanza": STREAM_HEADER + b"<handshake/>" + PATRON_MESSAGE % (b"a" * 2_000_000),
    "elements nested 10000 deep": STREAM_HEADER + b"<handshake/><message>" + b"<x>" * 10_000,
    "an undefined entity": STREAM_HEADER + b"<handshake/>" + PATRON_MESSAGE % b"&undefined;",
}


@pytest.mark.parametrize("case", list(XML_CASES))
def test_hostile_xml_from_the_server_ends_in_a_clean_reconnect_and_stores_nothing(workdir, processes, case):
    payload = XML_CASES[case]
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    connections = []

    def serve():
        while len(connections) < 2:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            connections.append(conn)
            try:
                conn.recv(4096)
                conn.sendall(payload)
            except OSError:
                pass
    # The schema and gateway are created by a router that has no XMPP server configured, so every connection
    # the fake server sees comes from the router under test.
    seed_queue_and_gateway(RouterProcess(workdir))
    router = RouterProcess(workdir, extra_config=f'[xmpp]\nserver = "127.0.0.1:{port}"\ndomain = "refdesk.localhost"\nsecret = "s"\n')
    processes.append(router)
    before = row_counts(router.database)
    threading.Thread(target=serve, daemon=True).start()
    router.start()
    try:
        wait_until(lambda: len(connections) >= 2 and "XMPP component connection lost" in router.log_text(), 20,
                   "a second connection after the hostile stream")
        refused = router.process.poll() is None
    except AssertionError:
        refused = False
    record(refused)
    assert refused, f"{case}: {router.log_text()[-3000:]}"
    reason = router.log_text().split("XMPP component connection lost", 1)[1].split("\n", 1)[0]
    assert "malformed stream from server" in reason, f"{case}: the log does not say why: {reason}"
    assert b"root:" not in Path(router.log).read_bytes(), "an external entity was expanded"
    assert router.stop() == 0
    after = row_counts(router.database)
    for table in ("offline_inbox", "messages", "patrons", "conversations", "outbox"):
        if table in before:
            assert after[table] == before[table], f"{case}: {table} changed"
    server.close()
    for conn in connections:
        conn.close()



# MARK: The admin API

class RawAnswer:
    """What came back for one raw request: the parsed response (if any), whether the server closed the
    connection, and how long that took."""

    def __init__(self, status, headers, body, closed, seconds):
        self.status, self.headers, self.body, self.closed, self.seconds = status, headers, body, closed, seconds

    def json_message(self):
        """The `message` of a JSON error answer, or None."""
        if not self.headers.get("content-type", "").startswith("application/json"):
            return None
        try:
            answer = json.loads(self.body)
        except ValueError:
            return None
        if isinstance(answer, dict) and answer.get("success") is False and isinstance(answer.get("message"), str):
            return answer["message"]
        return None

    def __repr__(self):
        return f"<{self.status} closed={self.closed} after {self.seconds:.1f}s {self.body[:200]!r}>"


def raw_https(port: int, ca_file, data: bytes, wait: float = 10.0,
              until_closed: bool = False) -> RawAnswer:
    """Sends `data` over TLS as it is (no client library tidies it up) and reads one response, or until the server
    closes the connection, or until `wait` seconds have passed. With `until_closed` it reads on past a complete
    response (a 408 or 413) to see whether the server also closes the connection."""
    context = ssl.create_default_context(cafile=str(ca_file))
    started = time.monotonic()
    received, closed = b"", False
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as plain:
        with context.wrap_socket(plain, server_hostname="localhost") as sock:
            try:
                sock.sendall(data)
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                closed = True
            deadline = started + wait
            while not closed and time.monotonic() < deadline:
                sock.settimeout(max(0.01, deadline - time.monotonic()))
                try:
                    chunk = sock.recv(65536)
                except socket.timeout:
                    break
                except (ConnectionError, ssl.SSLError, OSError):
                    closed = True
                    break
                if not chunk:
                    closed = True
                    break
                received += chunk
                if complete_response(received) and not until_closed:
                    break
    seconds = time.monotonic() - started
    status, headers, body = parse_response(received)
    return RawAnswer(status, headers, body, closed, seconds)


def complete_response(data: bytes) -> bool:
    head, separator, body = data.partition(b"\r\n\r\n")
    if not separator:
        return False
    _, headers, _ = parse_response(data)
    return len(body) >= int(headers.get("content-length", "0") or 0)


def parse_response(data: bytes):
    head, separator, body = data.partition(b"\r\n\r\n")
    if not separator:
        return None, {}, b""
    lines = head.decode("latin-1").split("\r\n")
    try:
        status = int(lines[0].split(" ")[1])
    except (IndexError, ValueError):
        return None, {}, body
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, body


def http_request(method: bytes, target: bytes, cookie: str, body: bytes = b"", content_type: bytes = b"application/json",
                 extra: bytes = b"", version: bytes = b"HTTP/1.1") -> bytes:
    """One request as bytes. Every request carries the admin's session, so validation, not the login check, has
    to refuse it."""
    head = method + b" " + target + b" " + version + b"\r\nHost: localhost\r\nCookie: refdesk_session=" + cookie.encode() + b"\r\n"
    if body or method in (b"POST", b"PUT"):
        head += b"Content-Type: " + content_type + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n"
    return head + extra + b"Connection: close\r\n\r\n" + body


PREFIX = API.encode()
GATEWAYS = PREFIX + b"/queues/ask/gateways"


# name: (method, target, body, content type, extra header lines, HTTP version, expectation). An expectation is
# (status, part of the JSON message) for a request that is well framed, or "framing" for one the HTTP parser must
# refuse: a 4xx without a JSON body, or the connection closed, promptly either way.
def admin_cases():
    gateway_json = lambda username: json.dumps({"username": username, "password": "p", "protocol": "aim"}).encode()
    form = "application/x-www-form-urlencoded".encode()
    cases = {
        # Sizes.
        "a JSON body over the size limit": (b"POST", GATEWAYS, b'{"username": "' + b"a" * 70_000 + b'"}', b"application/json",
                                            b"", b"HTTP/1.1", (413, "larger than")),
        "a form body of 5 MB": (b"POST", PREFIX + b"/queues", b"name=" + b"q" * 5_000_000, form, b"", b"HTTP/1.1", (413, "larger than")),
        # Broken JSON.
        "truncated JSON": (b"POST", GATEWAYS, b'{"username": "a@aol.com", "password": ', b"application/json", b"", b"HTTP/1.1",
                           (400, "not valid JSON")),
        "JSON nested 10000 deep": (b"POST", GATEWAYS, b"[" * 10_000 + b"]" * 10_000, b"application/json", b"", b"HTTP/1.1",
                                   (400, "nested")),
        "JSON objects nested 10000 deep": (b"POST", GATEWAYS, b'{"a":' * 10_000 + b"1" + b"}" * 10_000, b"application/json", b"",
                                           b"HTTP/1.1", (400, "nested")),
        "JSON with invalid UTF-8 in a string": (b"POST", GATEWAYS, b'{"username": "\xff\xfe@aol.com", "password": "p", "protocol": "aim"}',
                                                b"application/json", b"", b"HTTP/1.1", (400, "invalid UTF-8")),
        "JSON with an overlong UTF-8 slash": (b"POST", PREFIX + b"/queues", b'{"name": "a\xc0\xafb"}', b"application/json", b"",
                                              b"HTTP/1.1", (400, "invalid UTF-8")),
        "JSON with a lone surrogate escape": (b"POST", PREFIX + b"/queues", b'{"name": "a\\ud800b"}', b"application/json", b"",
                                              b"HTTP/1.1", (400, "unpaired surrogate")),
        "a form with a %-escape of invalid UTF-8": (b"POST", GATEWAYS, b"username=%FF%FE&password=p&protocol=aim", form, b"",
                                                    b"HTTP/1.1", (400, "malformed")),
        "a JSON number of 400 digits": (b"POST", PREFIX + b"/queues", b'{"name": "big", "chatLimit": ' + b"9" * 400 + b"}",
                                        b"application/json", b"", b"HTTP/1.1", (400, "chatLimit must be a whole number")),
        # Control characters in names.
        "NUL in a queue name": (b"POST", PREFIX + b"/queues", b'{"name": "a\\u0000b"}', b"application/json", b"", b"HTTP/1.1",
                                (400, "control characters")),
        "an escape sequence in a user name": (b"POST", PREFIX + b"/users", b'{"name": "olive\\u001b[2J"}', b"application/json", b"",
                                              b"HTTP/1.1", (400, "control characters")),
        "CR LF in a user name": (b"POST", PREFIX + b"/users", b"name=olive%0D%0ASet-Cookie%3A+x", form, b"", b"HTTP/1.1",
                                 (400, "control characters")),
        "NUL in a gateway's screen name": (b"POST", GATEWAYS, gateway_json("desk\u0000@aol.com"), b"application/json", b"",
                                           b"HTTP/1.1", (400, "control characters")),
        "CR LF in a gateway's phone number": (b"POST", GATEWAYS, json.dumps({"username": "+15550000002\r\nX: y", "password": "p",
                                                                             "protocol": "twilio"}).encode(),
                                              b"application/json", b"", b"HTTP/1.1", (400, "control characters")),
        "NUL in a staffing JID": (b"POST", PREFIX + b"/users/root/staffing", b'{"jid": "root\\u0000@example.org"}',
                                  b"application/json", b"", b"HTTP/1.1", (400, "control characters")),
        # Header injection and malformed headers.
        "a bare CR inside a header value": (b"GET", PREFIX + b"/queues", b"", b"", b"X-API-Version: 2011-12-03\rX-Injected: 1\r\n",
                                            b"HTTP/1.1", "framing"),
        "a NUL inside a header value": (b"GET", PREFIX + b"/queues", b"", b"", b"X-API-Version: 2011\x0012-03\r\n", b"HTTP/1.1",
                                        "framing"),
        "a header line without a colon": (b"GET", PREFIX + b"/queues", b"", b"", b"this is not a header\r\n", b"HTTP/1.1", "framing"),
        "a header name with a space": (b"GET", PREFIX + b"/queues", b"", b"", b"X Injected: 1\r\n", b"HTTP/1.1", "framing"),
        "two different Content-Length headers": (b"POST", PREFIX + b"/queues", b'{"name": "smuggled"}', b"application/json",
                                                 b"Content-Length: 3\r\n", b"HTTP/1.1", "framing"),
        "a Content-Length that is not a number": (b"GET", PREFIX + b"/queues", b"", b"", b"Content-Length: 1e3\r\n", b"HTTP/1.1",
                                                  "framing"),
        "100000 headers": (b"GET", PREFIX + b"/queues", b"", b"", b"".join(b"X-H%d: v\r\n" % i for i in range(100_000)), b"HTTP/1.1",
                           "framing"),
        "one header line of 200 KB": (b"GET", PREFIX + b"/queues", b"", b"", b"X-Long: " + b"v" * 200_000 + b"\r\n", b"HTTP/1.1",
                                      "framing"),
        # The request line and the path.
        "CR LF %-escaped in the path": (b"GET", PREFIX + b"/queues/ask%0D%0ASet-Cookie:%20refdesk_session=x", b"", b"", b"",
                                        b"HTTP/1.1", (404, "No queue named")),
        "a bare CR in the path": (b"GET", PREFIX + b"/queues/ask\rSet-Cookie: x", b"", b"", b"", b"HTTP/1.1", "framing"),
        "a NUL in the path": (b"GET", PREFIX + b"/queues/a\x00sk", b"", b"", b"", b"HTTP/1.1", "framing"),
        "a %-escaped NUL in the path": (b"GET", PREFIX + b"/queues/ask%00/gateways", b"", b"", b"", b"HTTP/1.1", (404, "No queue named")),
        # Not resolved to .../operators: ".." is read as a gateway's protocol name, and refused as one.
        "dot segments from gateways to operators": (b"GET", GATEWAYS + b"/../operators", b"", b"", b"", b"HTTP/1.1", (400, "Unknown protocol ..")),
        "dot segments on a DELETE": (b"DELETE", GATEWAYS + b"/../../../users/root", b"", b"", b"", b"HTTP/1.1", (404, "No such resource")),
        "%-escaped dot segments": (b"GET", GATEWAYS + b"/%2e%2e/%2e%2e/%2E%2E/users", b"", b"", b"", b"HTTP/1.1", (404, "No such resource")),
        "a %-escaped slash in a queue name": (b"GET", PREFIX + b"/queues/ask%2Fgateways", b"", b"", b"", b"HTTP/1.1", (404, "ask/gateways")),
        "an empty segment where the queue goes": (b"GET", PREFIX + b"/queues//gateways", b"", b"", b"", b"HTTP/1.1", (404, "No queue named gateways")),
        "a path to a file": (b"GET", b"//etc/passwd", b"", b"", b"", b"HTTP/1.1", (404, "No such resource")),
        "a path of 8 KB": (b"GET", PREFIX + b"/queues/" + b"a" * 8_000, b"", b"", b"", b"HTTP/1.1", (404, "No queue named")),
        "a path of 200 KB": (b"GET", PREFIX + b"/queues/" + b"a" * 200_000, b"", b"", b"", b"HTTP/1.1", "framing"),
        "an absolute URL to another host": (b"GET", b"http://internal.example" + PREFIX + b"/queues/nosuch", b"", b"", b"", b"HTTP/1.1",
                                            (404, "No such resource")),
        "a target that is not a path": (b"GET", b"*", b"", b"", b"", b"HTTP/1.1", (404, "No such resource")),
        "a malformed %-escape in the path": (b"GET", PREFIX + b"/queues/%zz", b"", b"", b"", b"HTTP/1.1", (400, "%-escape")),
        # SQL metacharacters in route parameters.
        "SQL in the queue of a gateway list": (b"GET", PREFIX + b"/queues/ask'%20OR%20'1'='1/gateways", b"", b"", b"", b"HTTP/1.1",
                                               (404, "No queue named")),
        "SQL in a gateway id": (b"DELETE", GATEWAYS + b"/1%20OR%201=1", b"", b"", b"", b"HTTP/1.1", (404, "No such resource")),
        "SQL in a gateway's screen name": (b"DELETE", GATEWAYS + b"/aim/x'%20OR%20'1'='1", b"", b"", b"", b"HTTP/1.1", (404, "has no aim gateway")),
        "SQL in a user name": (b"DELETE", PREFIX + b"/users/root'%3B%20DELETE%20FROM%20operators%3B--", b"", b"", b"", b"HTTP/1.1",
                               (404, "No user named")),
        "SQL in an assignment": (b"DELETE", PREFIX + b"/queues/ask/operators/x'%20OR%20'1'='1", b"", b"", b"", b"HTTP/1.1", (404, "is not assigned")),
        "SQL in the presence API": (b"GET", b"/presence/ask'%20OR%201=1--", b"", b"", b"", b"HTTP/1.1", (404, "No queue named")),
        "SQL in a query parameter": (b"GET", PREFIX + b"/chats?limit=1%3B%20DROP%20TABLE%20conversations", b"", b"", b"", b"HTTP/1.1",
                                     (400, "limit must be a whole number")),
        # Content types.
        "an XML body": (b"POST", PREFIX + b"/queues", b"<queue><name>x</name></queue>", b"application/xml", b"", b"HTTP/1.1",
                        (415, "Unsupported Content-Type")),
        "a multipart body": (b"POST", PREFIX + b"/queues", b"--b\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nx\r\n--b--\r\n",
                             b"multipart/form-data; boundary=b", b"", b"HTTP/1.1", (415, "Unsupported Content-Type")),
        "a form body labelled JSON": (b"POST", PREFIX + b"/queues", b"name=labelled", b"application/json", b"", b"HTTP/1.1",
                                      (400, "not valid JSON")),
        # Methods and versions.
        "a garbage method": (b"FROB", PREFIX + b"/queues", b"", b"", b"", b"HTTP/1.1", "framing"),
        "a method of 10 KB": (b"G" * 10_000, PREFIX + b"/queues", b"", b"", b"", b"HTTP/1.1", "framing"),
        "a method the API does not serve": (b"PATCH", PREFIX + b"/queues/ask", b'{"name": "x"}', b"application/json", b"", b"HTTP/1.1",
                                            (405, "not supported")),
        "TRACE": (b"TRACE", PREFIX + b"/queues", b"", b"", b"", b"HTTP/1.1", (405, "not supported")),
        "CONNECT to another port": (b"CONNECT", b"localhost:22", b"", b"", b"", b"HTTP/1.1", "framing-or-4xx"),
        "HTTP/2.0 on the request line": (b"GET", PREFIX + b"/queues", b"", b"", b"", b"HTTP/2.0", "framing-or-4xx"),
        "HTTP/9.9 on the request line": (b"GET", PREFIX + b"/queues", b"", b"", b"", b"HTTP/9.9", "framing-or-4xx"),
        "a chunked body with a bad chunk size": (b"POST", PREFIX + b"/queues", b"", b"application/json",
                                                 b"Transfer-Encoding: chunked\r\n", b"HTTP/1.1", "framing"),
    }
    return cases


ADMIN_CASES = admin_cases()
FRAMING_WAIT = 10.0  # seconds within which the server must answer or close on bytes its HTTP parser refuses


def build_admin_request(name, cookie):
    method, target, body, content_type, extra, version, _ = ADMIN_CASES[name]
    if name == "a chunked body with a bad chunk size":
        return (b"POST " + target + b" HTTP/1.1\r\nHost: localhost\r\nCookie: refdesk_session=" + cookie.encode()
                + b"\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZZZ\r\n{}\r\n0\r\n\r\n")
    if name == "two different Content-Length headers":
        return (b"POST " + target + b" HTTP/1.1\r\nHost: localhost\r\nCookie: refdesk_session=" + cookie.encode()
                + b"\r\nContent-Type: application/json\r\nContent-Length: " + str(len(body)).encode()
                + b"\r\nContent-Length: 3\r\n\r\n" + body)
    return http_request(method, target, cookie, body, content_type, extra, version)


def judge_admin_answer(expectation, answer: RawAnswer):
    """None when `answer` is the refusal `expectation` asks for, else what is wrong with it."""
    if expectation in ("framing", "framing-or-4xx"):
        if answer.status is None:
            if answer.closed and answer.seconds < FRAMING_WAIT:
                return None
            return f"neither answered nor closed within {FRAMING_WAIT}s"
        if not 400 <= answer.status < 500 and not (expectation == "framing-or-4xx" and answer.status == 505):
            return f"answered {answer.status}"
        if answer.body and answer.json_message() is None and answer.headers.get("content-type", "").startswith("application/json"):
            return "a JSON body without a message"
        return None
    status, message_part = expectation
    if answer.status != status:
        return f"expected {status}, got {answer!r}"
    message = answer.json_message()
    if not message:
        return f"no JSON error message: {answer!r}"
    if message_part not in message:
        return f"the message {message!r} does not say {message_part!r}"
    return None


def test_hostile_admin_requests_are_refused_with_a_clear_error_and_nothing_is_stored(admin_desk, certificate):  # noqa: F811
    router, admin = admin_desk()
    port = int(admin.base.rsplit(":", 1)[1])
    cookie = admin.session.cookies.get("refdesk_session")
    ca_file = certificate[0]
    before = row_counts(router.database)
    failures = []
    for name in ADMIN_CASES:
        answer = raw_https(port, ca_file, build_admin_request(name, cookie), wait=FRAMING_WAIT + 5)
        problem = judge_admin_answer(ADMIN_CASES[name][6], answer)
        # Text from the request may be quoted in the JSON message (escaped there), never become a header.
        if problem is None and "x" == answer.headers.get("set-cookie", "").split("=", 1)[-1]:
            problem = "a header was injected into the response"
        record(problem is None)
        if problem:
            failures.append(f"{name}: {problem}")
        assert router.process.poll() is None, f"{name}: the router exited: {router.log_text()[-2000:]}"
        # The router still answers a good request right after, and the input left nothing behind.
        good_answer = admin.get("/auth/whoami")
        if good_answer.status_code != 200:
            failures.append(f"{name}: the next good request got {good_answer.status_code} {good_answer.text[:200]}")
        after = row_counts(router.database)
        if after != before:
            failures.append(f"{name}: rows changed: {before} -> {after}")
            before = after
    assert not failures, f"{len(failures)} of {len(ADMIN_CASES)} refused wrongly:\n" + "\n".join(failures)


def test_a_request_whose_head_never_ends_is_closed_within_a_time_limit(admin_desk, certificate):  # noqa: F811
    """A client that opens a connection and sends a request line (or headers, or a promised body) slowly and never
    finishes must not hold the connection open forever: otherwise a few hundred such clients use up the router's
    file descriptors (slowloris). Each must be closed within FRAMING_WAIT seconds."""
    router, admin = admin_desk()
    port = int(admin.base.rsplit(":", 1)[1])
    cookie = admin.session.cookies.get("refdesk_session")
    stalled = {
        "a request line that never ends": b"GET " + PREFIX + b"/queues",
        "an HTTP/0.9 request line (no version, so no headers follow)": b"GET " + PREFIX + b"/queues\r\n",
        "headers that never end": b"GET " + PREFIX + b"/queues HTTP/1.1\r\nHost: localhost\r\nX-Slow: ",
        "a body that is promised but never sent": (b"POST " + PREFIX + b"/queues HTTP/1.1\r\nHost: localhost\r\nCookie: refdesk_session="
                                                   + cookie.encode() + b"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"),
        "a Content-Length of 10 GB and no body": (b"POST " + PREFIX + b"/queues HTTP/1.1\r\nHost: localhost\r\nCookie: refdesk_session="
                                                  + cookie.encode() + b"\r\nContent-Type: application/json\r\nContent-Length: 10000000000\r\n\r\n"),
    }
    results = {}

    def attempt(name, data):
        results[name] = raw_https(port, certificate[0], data, wait=FRAMING_WAIT + 5, until_closed=True)

    # All at once, so the module does not wait for each in turn.
    threads = [threading.Thread(target=attempt, args=item) for item in stalled.items()]
    for thread in threads:
        thread.start()
    # A TCP connection that never even starts TLS is held to the same limit.
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=FRAMING_WAIT + 5) as silent:
        try:
            closed = silent.recv(1) == b""
        except (socket.timeout, ConnectionError):
            closed = False
        silent_seconds = time.monotonic() - started
    for thread in threads:
        thread.join()
    failures = []
    for name, answer in results.items():
        # A 408 or 413 before closing is welcome; what matters is that the connection does not stay open.
        refused = answer.closed and answer.seconds < FRAMING_WAIT + 1 and (answer.status is None or 400 <= answer.status < 500)
        record(refused)
        if not refused:
            failures.append(f"{name}: {answer!r}")
    refused = closed and silent_seconds < FRAMING_WAIT + 1
    record(refused)
    if not refused:
        failures.append(f"a connection that never starts TLS: still open after {silent_seconds:.1f}s")
    assert router.process.poll() is None
    assert admin.get("/auth/whoami").status_code == 200
    assert not failures, "\n".join(failures)


def test_cleartext_http_on_the_https_port_is_refused_promptly(admin_desk):  # noqa: F811
    router, admin = admin_desk()
    port = int(admin.base.rsplit(":", 1)[1])
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=FRAMING_WAIT + 5) as sock:
        sock.sendall(b"GET " + PREFIX + b"/queues HTTP/1.1\r\nHost: localhost\r\n\r\n")
        answer = b""
        try:
            while chunk := sock.recv(4096):
                answer += chunk
        except (socket.timeout, ConnectionError):
            pass
    seconds = time.monotonic() - started
    refused = seconds < FRAMING_WAIT and b"HTTP/1.1 200" not in answer
    record(refused)
    assert refused, f"{seconds:.1f}s, {answer[:200]!r}"
    assert admin.get("/auth/whoami").status_code == 200


# MARK: OSCAR frames from the AIM server

def incoming_im(sender: bytes, tlvs: bytes, cookie: bytes = b"hostile!") -> bytes:
    """The data of an ICBM 0x04/0x07 (an IM to the library) from `sender`, with the TLVs as given."""
    return cookie + struct.pack(">H", 1) + struct.pack(">B", len(sender)) + sender + struct.pack(">HH", 0, 0) + tlvs


def text_fragments(charset: int, text: bytes) -> bytes:
    return struct.pack(">BBH", 5, 1, 1) + b"\x01" + struct.pack(">BBHHH", 1, 1, len(text) + 4, charset, 0) + text


PATRON_NAME = PATRON.replace(" ", "").lower().encode()

# name: (how the server sends it, the bytes, what the bridge must do, what its log must say).
#   "frame": raw bytes into the stream; "frame+close": raw bytes, then the server closes the connection;
#   "snac": a well-framed SNAC (family, subtype, data).
#   "reconnect": the session ends and signs on again; "skip": the SNAC is skipped and the session carries on;
#   "ignore": a well-formed SNAC the client has no use for, ignored like any such; "repair": an IM whose text
#   cannot be decoded exactly is forwarded once with U+FFFD in place of the bad code units (a patron's message is
#   never dropped for a charset mistake), as valid UTF-8.
OSCAR_CASES = {
    "a FLAP with a bad start byte": ("frame", b"\x2b\x02\x00\x01\x00\x00", "reconnect", "FLAP frame starts with 0x2B instead of 0x2A"),
    "a FLAP on channel 9": ("frame", b"\x2a\x09\x00\x01\x00\x00", "reconnect", "FLAP channel 9 is not one of"),
    "an enormous FLAP length": ("frame", b"\x2a\x02\x00\x01\xff\xff" + b"\x00" * 64, "reconnect",
                                "FLAP payload length 65535 exceeds the maximum"),
    "a FLAP length past the end of the stream": ("frame+close", b"\x2a\x02\x00\x01\x04\x00" + b"\x00\x04\x00\x07" + b"\x00" * 12,
                                                 "reconnect", "connection closed while online"),
    "a SNAC shorter than its header": ("frame", flap(2, 0x4242, b"\x00\x04\x00"), "skip", "SNAC subtype needs 2 bytes"),
    "a SNAC whose extra-data length overruns it": ("frame", flap(2, 0x4243, struct.pack(">HHHIH", 4, 7, 0x8000, 0, 0xFFFF) + b"xx"),
                                                   "skip", "SNAC extension block needs 65535 bytes"),
    "an empty IM": ("snac", (0x04, 0x07, b""), "skip", "ICBM cookie needs 8 bytes"),
    "an IM whose TLV length runs past the SNAC": ("snac", (0x04, 0x07, incoming_im(PATRON_NAME, struct.pack(">HH", 2, 500) + b"short")),
                                                  "skip", "TLV 0x0002 value needs 500 bytes"),
    "an IM whose sender name runs past the SNAC": ("snac", (0x04, 0x07, b"hostile!" + struct.pack(">HB", 1, 200) + b"pat"),
                                                   "skip", "user-info screen name needs 200 bytes"),
    "an IM whose message fragments overrun": ("snac", (0x04, 0x07, incoming_im(PATRON_NAME, tlv(2, b"\x05\x01\x00\x03\x01\x01\x02"
                                                                                                 + b"\x01\x01\x01\x00ab"))),
                                              "skip", "ICBM fragment 0x01 data needs 256 bytes"),
    "a SNAC family the client does not know": ("snac", (0x7777, 0x0001, b"\x00" * 32), "ignore", ""),
    "a SNAC subtype the client does not know": ("snac", (0x04, 0x7F, b"\xff" * 32), "ignore", ""),
    "an IM of invalid UTF-16": ("snac", (0x04, 0x07, incoming_im(PATRON_NAME, tlv(2, text_fragments(2, b"\xd8\x00\x00A\xdc\x00\x00B\x00")),
                                                                 cookie=b"badutf16")),
                                "repair", ""),
}


def test_hostile_oscar_frames_cost_at_most_their_session_and_forward_nothing(aim):  # noqa: F811
    server, peer, bridge = aim({1: gateway(1, DESK, "desk-secret", True)}, server_options={"login_burst": 100, "im_rate_scale": 0.05})
    peer.wait_state(1, "online")
    patron = PatronClient(server, PATRON, PATRON_PASSWORD).sign_on()
    expected_bodies = []
    failures = []
    for number, (name, (how, data, outcome, log_part)) in enumerate(OSCAR_CASES.items()):
        sign_ons = server.count("online", DESK)
        log_before = bridge.log_text()
        if how == "frame":
            sent = server.send_garbage(DESK, data)
        elif how == "frame+close":
            sent = server.send_garbage_and_close(DESK, data)
        else:
            sent = server.send_snac_to(DESK, *data)
        assert sent, f"{name}: the desk was not signed on"
        if outcome == "reconnect":
            try:
                wait_until(lambda: server.count("online", DESK) > sign_ons, 15, "the desk to sign on again")
            except AssertionError as error:
                failures.append(f"{name}: {error}")
        if outcome == "repair":
            expected_bodies.append("\ufffdA\ufffdB")
        # A good IM right after gets through, on the same session unless the case ended it.
        probe = f"probe {number}"
        expected_bodies.append(probe)
        wait_until(lambda: server.is_online(DESK), 15, "the desk to be online")
        patron.send_im(DESK, probe)
        try:
            wait_until(lambda: any(m["body"] == probe for m in peer.messages), 15, f"{probe} at the router")
        except AssertionError as error:
            failures.append(f"{name}: {error}")
        new_log = bridge.log_text()[len(log_before):]
        problems = []
        if bridge.process.poll() is not None:
            failures.append(f"{name}: refdesk-aim exited: {bridge.log_text()[-2000:]}")
            break
        if outcome != "reconnect" and server.count("online", DESK) != sign_ons:
            problems.append("the session was dropped")
        if log_part and log_part not in new_log:
            problems.append(f"the log does not say {log_part!r}: {new_log[-1500:]!r}")
        bodies = [m["body"] for m in peer.messages]
        if bodies != expected_bodies:
            problems.append(f"the router peer got {bodies!r}, expected {expected_bodies!r}")
            expected_bodies = bodies
        record(not problems)
        failures += [f"{name}: {problem}" for problem in problems]
    assert not failures, "\n".join(failures)
    assert len({m["id"] for m in peer.messages}) == len(peer.messages), "an IM was forwarded twice"
    patron.sign_off()
