"""The hostile-input catalogue: at every boundary refdesk has with the outside world, inputs an attacker or a
broken peer could send. Each one must get a clear error, and none may crash a daemon, hang it, or store anything.

Boundaries: Twilio webhooks (refdesk-twilio's HTTP listener), the bridge socket (refdesk-router), configuration
files (every daemon's --check-config), and XML from the XMPP server (a raw socket standing in for a server that
misbehaves: Prosody never sends such XML). The run ends with the line "hostile inputs tried: N, refused: N"."""
import http.client
import socket
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
from conftest import BridgeProcess, RouterProcess, binary, connect_raw, seed_queue_and_gateway, wait_until
from test_twilio_bridge import ACCOUNT, PUBLIC, TOKEN, sms
from test_twilio_bridge import desk  # noqa: F401  (fixture)

TALLY = {"tried": 0, "refused": 0}


@pytest.fixture(scope="module", autouse=True)
def summary(request):
    """Prints the catalogue's closing line once every case in this file has run, past output capture."""
    yield
    line = f"hostile inputs tried: {TALLY['tried']}, refused: {TALLY['refused']}"
    capture = request.config.pluginmanager.getplugin("capturemanager")
    if capture is not None:
        with capture.global_and_fixture_disabled():
            print("\n" + line)
    else:
        print(line)


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


CLOSED_WITHOUT_GOODBYE = {"second hello"}


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
        if name in CLOSED_WITHOUT_GOODBYE:
            # Refused and logged with its reason, but not told to the peer (see the expected failure below).
            refused = closed and "protocol violation: handshake frame after the handshake" in router.log_text()
        else:
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

