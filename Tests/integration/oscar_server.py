"""An OSCAR (AIM) server and a scripted AIM client for the integration tests, written from the OSCAR protocol as
today's revival servers (open-oscar-server, the server AIM revival clients use) speak it; docs/aim-bridge.md
describes what the bridge relies on.

OscarServer: BUCP MD5 login (fixed per-user key, strong and weak hash), a cookie redirect to a BOS port, the BOS
sign-on sequence, the original service's five default rate classes, announced *and enforced* as a real server does
(a moving average per class; below alert a rate change notice "alert", below limit the class's SNACs are dropped
silently and a notice "limited" until the level is back above clear, below disconnect the client is disconnected;
notices go out after a second of client silence), login limits per address (a burst, then one per interval), an
offline message store with the "You just received N IM(s) while you were offline" notice from `OOS System Msg` at
the next sign-on, ICBM routing with server acks, typing notifications (0x04/0x14) relayed, the ICBM parameters of
a real server (512-byte messages), buddy arrival/departure broadcasts. It runs on its own asyncio loop in a
thread and can be stopped and started on the same ports.

PatronClient: an AIM user driven by a test: signs on, watches buddies, sends IMs and typing notifications,
collects what it receives (as its client would show it, and the raw HTML).
"""
import html
import asyncio
import hashlib
import os
import queue
import re
import socket
import struct
import threading
import time

SALT = b"AOL Instant Messenger (SM)"


def normalize(name: str) -> str:
    return name.replace(" ", "").lower()


# ---------------------------------------------------------------------------------------------------------------
# Codecs

def flap(channel: int, sequence: int, payload: bytes) -> bytes:
    return struct.pack(">BBHH", 0x2A, channel, sequence & 0xFFFF, len(payload)) + payload


def snac(family: int, subtype: int, request_id: int, data: bytes = b"", flags: int = 0) -> bytes:
    return struct.pack(">HHHI", family, subtype, flags, request_id) + data


def tlv(kind: int, value: bytes) -> bytes:
    return struct.pack(">HH", kind, len(value)) + value


def parse_tlvs(data: bytes) -> dict:
    """TLVs running to the end of `data`; the first of each type wins."""
    result, offset = {}, 0
    while offset + 4 <= len(data):
        kind, length = struct.unpack(">HH", data[offset:offset + 4])
        value = data[offset + 4:offset + 4 + length]
        if len(value) != length:
            raise ValueError("TLV runs past the end")
        result.setdefault(kind, value)
        offset += 4 + length
    if offset != len(data):
        raise ValueError("trailing bytes after TLVs")
    return result


def parse_snac(payload: bytes):
    if len(payload) < 10:
        raise ValueError("SNAC shorter than its header")
    family, subtype, flags, request_id = struct.unpack(">HHHI", payload[:10])
    data = payload[10:]
    if flags & 0x8000:
        (skip,) = struct.unpack(">H", data[:2])
        data = data[2 + skip:]
    return family, subtype, request_id, data


def strong_hash(key: bytes, password: str) -> bytes:
    return hashlib.md5(key + hashlib.md5(password.encode()).digest() + SALT).digest()


def weak_hash(key: bytes, password: str) -> bytes:
    return hashlib.md5(key + password.encode() + SALT).digest()


def message_data(text: str) -> bytes:
    """TLV 0x02's fragments: capabilities, then the text (ASCII, or UCS-2BE when it needs more)."""
    try:
        encoded, charset = text.encode("ascii"), 0x0000
    except UnicodeEncodeError:
        encoded, charset = text.encode("utf-16-be"), 0x0002
    return (struct.pack(">BBH", 5, 1, 3) + b"\x01\x01\x02"
            + struct.pack(">BBHHH", 1, 1, len(encoded) + 4, charset, 0) + encoded)


def message_text_bytes(data: bytes) -> bytes:
    """The raw bytes of the text fragments in TLV 0x02 (what the server's message length limit counts)."""
    offset, parts = 0, []
    while offset + 4 <= len(data):
        fragment_id, _, length = struct.unpack(">BBH", data[offset:offset + 4])
        if fragment_id == 1:
            parts.append(data[offset + 8:offset + 4 + length])
        offset += 4 + length
    return b"".join(parts)


def rendered(markup: str) -> str:
    """What an AIM client shows for an IM's HTML: tags gone, <BR> a line break, character references decoded."""
    text = re.sub(r"(?i)<br\s*/?>", "\n", markup)
    text = re.sub(r"<[^>]*>", "", text)
    return html.unescape(text)


def message_text(data: bytes) -> str:
    offset, parts = 0, []
    while offset + 4 <= len(data):
        fragment_id, _, length = struct.unpack(">BBH", data[offset:offset + 4])
        body = data[offset + 4:offset + 4 + length]
        if fragment_id == 1 and len(body) >= 4:
            charset = struct.unpack(">H", body[:2])[0]
            parts.append(body[4:].decode("utf-16-be" if charset == 2 else "latin-1", errors="replace"))
        offset += 4 + length
    return "".join(parts)


def user_info(name: str, tlvs=()) -> bytes:
    encoded = name.encode()
    body = b"".join(tlvs)
    return struct.pack(">B", len(encoded)) + encoded + struct.pack(">HH", 0, len(tlvs)) + body


class RateClass:
    def __init__(self, class_id, window, clear, alert, limit, disconnect, max_level):
        self.id, self.window, self.clear, self.alert = class_id, window, clear, alert
        self.limit, self.disconnect, self.max = limit, disconnect, max_level

    def encode(self, current=None) -> bytes:
        return struct.pack(">HIIIIIIIIB", self.id, self.window, self.clear, self.alert, self.limit,
                           self.disconnect, self.max if current is None else int(current), self.max, 0, 0)


# The SNACs outside class 1 in the original service's table (as open-oscar-server keeps it): IM sends and user-info
# lookups in class 3, buddy and permit/deny list edits in class 2, directory searches in class 4. Everything else,
# typing notifications (0x04/0x14) among it, is class 1.
RATE_CLASS_OF = {(0x02, 0x05): 3, (0x04, 0x06): 3, (0x03, 0x04): 2, (0x03, 0x05): 2, (0x09, 0x05): 2, (0x09, 0x06): 2,
                 (0x09, 0x07): 2, (0x09, 0x08): 2, (0x02, 0x09): 4, (0x02, 0x0B): 4}
RATE_GROUP_FAMILIES = (0x01, 0x02, 0x03, 0x04, 0x09)


def default_rate_classes(im_scale: float = 1.0):
    """The original service's default classes (iserverd recorded them; open-oscar-server serves them). Class 3, the
    IM class (window 20, clear 5100, alert 5000, limit 4000, disconnect 3000, max 6000 ms), is scaled by `im_scale`
    for tests that need a quicker class; 1.0 is the real one."""
    def s(value):
        return max(1, int(value * im_scale))
    return [
        RateClass(1, 80, 2500, 2000, 1500, 800, 6000),
        RateClass(2, 80, 3000, 2000, 1500, 1000, 6000),
        RateClass(3, 20, s(5100), s(5000), s(4000), s(3000), s(6000)),
        RateClass(4, 20, 5500, 5300, 4200, 3000, 8000),
        RateClass(5, 10, 5500, 5300, 4200, 3000, 8000),
    ]


def rate_class_id(family: int, subtype: int) -> int:
    return RATE_CLASS_OF.get((family, subtype), 1)


class RateState:
    """One class's standing on one connection, computed as a real server does (open-oscar-server's CheckRateLimit)."""
    CLEAR, ALERT, LIMITED, DISCONNECT = "clear", "alert", "limited", "disconnect"

    def __init__(self, rate: RateClass, now_ms: float):
        self.rate, self.level, self.last, self.limited = rate, rate.max, now_ms, False
        self.observed = self.CLEAR
        self.subscribed = False

    def check(self, now_ms: float):
        """(status, level) if a SNAC of this class arrived at `now_ms`."""
        rate = self.rate
        level = min(rate.max, (self.level * (rate.window - 1) + int(now_ms - self.last)) // rate.window)
        if level < rate.disconnect:
            return self.DISCONNECT, level
        if self.limited:
            return (self.CLEAR if level >= rate.clear else self.LIMITED), level
        if level < rate.limit:
            return self.LIMITED, level
        if level < rate.alert:
            return self.ALERT, level
        return self.CLEAR, level

    def count(self, now_ms: float) -> str:
        status, self.level = self.check(now_ms)
        self.last = now_ms
        self.limited = status == self.LIMITED
        return status


# ---------------------------------------------------------------------------------------------------------------
# The server

class Connection:
    """One client connection: FLAP framing, the server's own sequence numbers, rate levels per class."""

    def __init__(self, server, reader, writer):
        self.server, self.reader, self.writer = server, reader, writer
        self.sequence = 100
        now = time.monotonic() * 1000
        self.rates = {rate.id: RateState(rate, now) for rate in server.rate_classes}
        self.last_frame = now
        self.peer = writer.get_extra_info("peername")[0]
        self.user = None
        self.ready = False
        self.buddies = set()
        self.buddy_list_set = False
        self.closed = False

    def send(self, channel: int, payload: bytes = b""):
        if self.closed:
            return
        self.writer.write(flap(channel, self.sequence, payload))
        self.sequence = (self.sequence + 1) & 0xFFFF

    def send_snac(self, family, subtype, request_id, data=b""):
        self.send(2, snac(family, subtype, request_id, data))

    def close(self):
        if not self.closed:
            self.closed = True
            self.writer.close()

    async def frames(self):
        while True:
            header = await self.reader.readexactly(6)
            start, channel, _, length = struct.unpack(">BBHH", header)
            if start != 0x2A:
                raise ValueError("bad FLAP start byte")
            yield channel, await self.reader.readexactly(length)

    def rate_allows(self, family: int, subtype: int) -> str:
        """Counts a SNAC in its class like a real server: returns "ok", "drop" (limited) or "disconnect"."""
        status = self.rates[rate_class_id(family, subtype)].count(time.monotonic() * 1000)
        if status == RateState.DISCONNECT:
            return "disconnect"
        if status == RateState.LIMITED:
            return "drop"
        return "ok"

    def observe_rates(self):
        """After a second of silence from the client, as a real server does, tells it of every class whose standing
        changed (0x01/0x0A: 2 alert, 3 limited, 4 clear), with the class's level."""
        now = time.monotonic() * 1000
        if self.closed or not self.user or now - self.last_frame < 1000:
            return
        for state in self.rates.values():
            if not state.subscribed:
                continue
            status, level = state.check(now)
            if state.limited and status == RateState.CLEAR:
                state.limited, state.level = False, level
            if status == state.observed or status == RateState.DISCONNECT:
                continue
            state.observed = status
            code = {RateState.ALERT: 2, RateState.LIMITED: 3, RateState.CLEAR: 4}[status]
            self.server._event(f"rate_{status}", self.user)
            self.send_snac(0x01, 0x0A, 0x80000000, struct.pack(">H", code) + state.rate.encode(state.level)[:-5])


class OscarServer:
    def __init__(self, users: dict, login_burst: int = 10, login_interval: float = 60.0, im_rate_scale: float = 1.0,
                 tls=None, im_rate_scales: dict = None):
        """`tls`: an ssl.SSLContext (server side) to serve both ports over TLS; None for plain TCP. `im_rate_scale`
        scales the IM class (3) for every screen name, `im_rate_scales` for some ({name: scale}); 1.0 is the
        real class."""
        self.tls = tls
        self.im_rate_scale = im_rate_scale
        self.im_rate_scales = {normalize(name): scale for name, scale in (im_rate_scales or {}).items()}
        self.users = {normalize(name): (name, password) for name, password in users.items()}
        self.login_burst, self.login_interval = login_burst, login_interval
        self.rate_classes = default_rate_classes(im_rate_scale)
        self.offline_counts = {}      # normalised name -> IMs stored since the last notice
        self.lost_acks = {}           # normalised sender -> acks still to "lose"
        self.typing = []              # (from, to, event) relayed, for assertions
        self.auth_port = self._free_port()
        self.bos_port = self._free_port()
        self.cookies = {}
        self.sessions = {}            # normalised name -> Connection (signed on, client ready)
        self.offline = {}             # normalised name -> [(sender, cookie, data, time)]
        self.login_tokens = {}        # address -> (tokens, last refill)
        self.events = []              # what happened, for assertions: ("login", name), ("dropped", name), ...
        self.lock = threading.Lock()
        self.loop = None
        self.thread = None
        self.servers = []

    @staticmethod
    def _free_port() -> int:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            return probe.getsockname()[1]

    # -- lifecycle --

    def start(self):
        ready = threading.Event()

        def serve():
            self.loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self.loop)

            async def listen():
                self.servers = [
                    await asyncio.start_server(self._auth, "127.0.0.1", self.auth_port, reuse_address=True, ssl=self.tls),
                    await asyncio.start_server(self._bos, "127.0.0.1", self.bos_port, reuse_address=True, ssl=self.tls),
                ]
            self.loop.run_until_complete(listen())

            async def observe():
                while True:
                    await asyncio.sleep(0.2)
                    for connection in list(self.sessions.values()):
                        connection.observe_rates()
            self.observer = self.loop.create_task(observe())
            ready.set()
            self.loop.run_forever()
            self.loop.close()

        self.thread = threading.Thread(target=serve, daemon=True)
        self.thread.start()
        assert ready.wait(5), "the OSCAR server did not start"
        return self

    def stop(self):
        """Closes the listeners and every connection, as a crashed or restarted server would. Stored offline
        messages and accounts survive (they live in the server's database)."""
        if not self.loop:
            return

        async def shutdown():
            for server in self.servers:
                server.close()
            for connection in list(self.sessions.values()):
                connection.close()
            self.sessions.clear()
            for task in [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]:
                task.cancel()
        asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop = None

    def call(self, function, *args):
        """Runs `function` on the server's loop and returns its result."""
        async def run():
            return function(*args)
        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(5)

    # -- test controls --

    def is_online(self, name: str) -> bool:
        return self.call(lambda: normalize(name) in self.sessions)

    def stored_count(self, name: str) -> int:
        return self.call(lambda: len(self.offline.get(normalize(name), [])))

    def send_garbage(self, name: str, data: bytes = b"\x00\x01garbage that is not FLAP") -> bool:
        """Writes bytes that are not a FLAP frame to `name`'s BOS connection."""
        def write():
            connection = self.sessions.get(normalize(name))
            if not connection:
                return False
            connection.writer.write(data)
            return True
        return self.call(write)

    def send_snac_to(self, name: str, family: int, subtype: int, data: bytes) -> bool:
        """Sends a SNAC with arbitrary (possibly malformed) data to `name`'s BOS connection."""
        def write():
            connection = self.sessions.get(normalize(name))
            if not connection:
                return False
            connection.send_snac(family, subtype, 0x80000000, data)
            return True
        return self.call(write)

    def send_garbage_and_close(self, name: str, data: bytes) -> bool:
        """Writes `data` to `name`'s BOS connection, then closes it: a stream that ends inside a frame."""
        def write():
            connection = self.sessions.get(normalize(name))
            if not connection:
                return False
            connection.writer.write(data)
            connection.close()
            return True
        return self.call(write)

    def send_system_notice(self, name: str, text: str, sender: str = "OOS System Msg", cookie: bytes = bytes(8)) -> bool:
        """Sends `name` a notice as the server does: an IM from a system pseudo screen name, with (by default) an
        all-zero cookie and a user-info block without TLVs."""
        def write():
            connection = self.sessions.get(normalize(name))
            if not connection:
                return False
            connection.send_snac(0x04, 0x07, 0x80000000, cookie + struct.pack(">H", 1) + user_info(sender)
                                 + tlv(0x0002, message_data(text)))
            return True
        return self.call(write)

    def lose_acks(self, name: str, count: int = 1):
        """The next `count` acks to `name`'s IMs are not sent (the IMs are still delivered), as if lost."""
        self.call(lambda: self.lost_acks.__setitem__(normalize(name), count))

    def kick(self, name: str) -> bool:
        """Closes `name`'s BOS connection without a sign-off reason, as a crashed server front end would."""
        def close():
            connection = self.sessions.get(normalize(name))
            if not connection:
                return False
            connection.close()
            return True
        return self.call(close)

    def count(self, kind: str, name: str = None) -> int:
        with self.lock:
            return sum(1 for event in self.events if event[0] == kind and (name is None or event[1] == normalize(name)))

    def _event(self, kind: str, name: str):
        with self.lock:
            self.events.append((kind, normalize(name)))

    def _login_allowed(self, address: str) -> bool:
        now = time.monotonic()
        tokens, last = self.login_tokens.get(address, (float(self.login_burst), now))
        tokens = min(float(self.login_burst), tokens + (now - last) / self.login_interval)
        if tokens < 1:
            self.login_tokens[address] = (tokens, now)
            return False
        self.login_tokens[address] = (tokens - 1, now)
        return True

    # -- authorization (BUCP) --

    @staticmethod
    def key_for(name: str) -> bytes:
        return ("key-" + normalize(name)).encode()

    async def _auth(self, reader, writer):
        connection = Connection(self, reader, writer)
        connection.send(1, struct.pack(">I", 1))
        try:
            async for channel, payload in connection.frames():
                if channel == 1:
                    if len(payload) > 4 and 0x0001 in parse_tlvs(payload[4:]):
                        connection.send(4, tlv(0x0008, struct.pack(">H", 0x0001)))  # roasted login: not served
                        break
                    continue
                if channel == 4:
                    break
                if channel != 2:
                    continue
                family, subtype, request_id, data = parse_snac(payload)
                if (family, subtype) == (0x17, 0x06):
                    name = parse_tlvs(data).get(0x0001, b"").decode(errors="replace")
                    if normalize(name) not in self.users:
                        reply = tlv(0x0001, name.encode()) + tlv(0x0008, struct.pack(">H", 0x0001))
                        connection.send_snac(0x17, 0x03, request_id, reply)
                        continue
                    key = self.key_for(name)
                    connection.send_snac(0x17, 0x07, request_id, struct.pack(">H", len(key)) + key)
                elif (family, subtype) == (0x17, 0x02):
                    self._login(connection, request_id, parse_tlvs(data))
                    await writer.drain()
                    break
        except (asyncio.IncompleteReadError, asyncio.CancelledError, ConnectionError, ValueError):
            pass
        finally:
            connection.close()

    def _login(self, connection, request_id, tlvs):
        name = tlvs.get(0x0001, b"").decode(errors="replace")
        account = self.users.get(normalize(name))

        def fail(code):
            self._event("login_failed", name)
            reply = tlv(0x0001, name.encode()) + tlv(0x0004, b"https://aim.example/help") + tlv(0x0008, struct.pack(">H", code))
            connection.send_snac(0x17, 0x03, request_id, reply)

        if not self._login_allowed(connection.peer):
            return fail(0x001D)
        if account is None:
            return fail(0x0001)
        display, password = account
        digest = strong_hash(self.key_for(name), password) if 0x004C in tlvs else weak_hash(self.key_for(name), password)
        if tlvs.get(0x0025) != digest:
            return fail(0x0005)
        cookie = os.urandom(256)
        self.cookies[cookie] = display
        self._event("login", name)
        reply = tlv(0x0001, display.encode()) + tlv(0x0005, f"127.0.0.1:{self.bos_port}".encode()) + tlv(0x0006, cookie)
        connection.send_snac(0x17, 0x03, request_id, reply)
        connection.send(4)

    # -- BOS --

    async def _bos(self, reader, writer):
        connection = Connection(self, reader, writer)
        connection.send(1, struct.pack(">I", 1))
        try:
            async for channel, payload in connection.frames():
                if channel == 1:
                    cookie = parse_tlvs(payload[4:]).get(0x0006) if len(payload) >= 4 else None
                    display = self.cookies.pop(cookie, None) if cookie else None
                    if display is None:
                        connection.send(4, tlv(0x0009, struct.pack(">H", 0x0004)))
                        break
                    connection.user = display
                    scale = self.im_rate_scales.get(normalize(display))
                    if scale is not None:
                        now = time.monotonic() * 1000
                        connection.rates = {rate.id: RateState(rate, now) for rate in default_rate_classes(scale)}
                    connection.send_snac(0x01, 0x03, 0x80000000, struct.pack(">6H", 0x01, 0x02, 0x03, 0x04, 0x09, 0x13))
                elif channel == 2 and connection.user:
                    connection.last_frame = time.monotonic() * 1000
                    family, subtype, request_id, data = parse_snac(payload)
                    verdict = connection.rate_allows(family, subtype)
                    if verdict == "disconnect":
                        self._event("rate_disconnect", connection.user)
                        connection.send(4, tlv(0x0009, struct.pack(">H", 0x0002)))
                        break
                    if verdict == "drop":
                        self._event("dropped", connection.user)
                        continue
                    self._bos_snac(connection, family, subtype, request_id, data)
                elif channel == 4:
                    break
                elif channel == 5 and connection.user:
                    connection.last_frame = time.monotonic() * 1000
                    self._event("keepalive", connection.user)
        except (asyncio.IncompleteReadError, asyncio.CancelledError, ConnectionError, ValueError, struct.error):
            pass
        finally:
            self._signed_off(connection)
            connection.close()

    def _bos_snac(self, connection, family, subtype, request_id, data):
        send = connection.send_snac
        key = (family, subtype)
        if key == (0x01, 0x17):
            send(0x01, 0x18, request_id, data)
            send(0x01, 0x13, 0x80000000, struct.pack(">H", 4) + tlv(0x000B, b"Welcome to the test server"))
        elif key == (0x01, 0x06):
            states = sorted(connection.rates.values(), key=lambda state: state.rate.id)
            body = struct.pack(">H", len(states)) + b"".join(state.rate.encode(state.level) for state in states)
            for state in states:
                members = [(f, s) for f in RATE_GROUP_FAMILIES for s in range(0x01, 0x21) if rate_class_id(f, s) == state.rate.id]
                body += struct.pack(">HH", state.rate.id, len(members)) + b"".join(struct.pack(">HH", *m) for m in members)
            send(0x01, 0x07, request_id, body)
        elif key == (0x01, 0x08):
            for offset in range(0, len(data) - 1, 2):
                state = connection.rates.get(struct.unpack(">H", data[offset:offset + 2])[0])
                if state:
                    state.subscribed = True
        elif key == (0x01, 0x0E):
            send(0x01, 0x0F, request_id, user_info(connection.user, [tlv(0x0001, struct.pack(">H", 0x0010))]))
        elif key == (0x02, 0x02):
            send(0x02, 0x03, request_id, tlv(0x0001, struct.pack(">H", 1024)))
        elif key == (0x03, 0x02):
            send(0x03, 0x03, request_id, tlv(0x0001, struct.pack(">H", 500)))
        elif key == (0x04, 0x04):
            # A real server's: 100 slots, flags 3, messages up to 512 bytes, warnings up to 99.9 %, no minimum interval.
            send(0x04, 0x05, request_id, struct.pack(">HIHHHI", 100, 3, 512, 999, 999, 0))
        elif key == (0x09, 0x02):
            send(0x09, 0x03, request_id, tlv(0x0001, struct.pack(">H", 200)) + tlv(0x0002, struct.pack(">H", 200)))
        elif key == (0x03, 0x04):
            offset = 0
            while offset < len(data):
                length = data[offset]
                connection.buddies.add(normalize(data[offset + 1:offset + 1 + length].decode(errors="replace")))
                offset += 1 + length
            connection.buddy_list_set = True
            if connection.ready:
                self._tell_buddies_online(connection)
        elif key == (0x01, 0x02):
            self._client_ready(connection)
        elif key == (0x04, 0x06):
            self._route_im(connection, request_id, data)
        elif key == (0x04, 0x14):
            self._relay_typing(connection, request_id, data)
        elif key == (0x04, 0x10):
            stored = self.offline.pop(normalize(connection.user), [])
            for sender, cookie, message, sent_at in stored:
                body = (cookie + struct.pack(">H", 1) + user_info(sender)
                        + tlv(0x0002, message) + tlv(0x0016, struct.pack(">I", sent_at)))
                send(0x04, 0x07, 0x80000000, body)
            send(0x04, 0x17, request_id)

    def _client_ready(self, connection):
        name = normalize(connection.user)
        old = self.sessions.get(name)
        if old is not None and old is not connection:
            old.send(4, tlv(0x0009, struct.pack(">H", 0x0001)))
            old.close()
        connection.ready = True
        self.sessions[name] = connection
        self._event("online", connection.user)
        stored = self.offline_counts.pop(name, 0)
        if stored:
            # As open-oscar-server does at client ready, before the client asks for the stored IMs.
            notice = (f"You just received {stored} IM(s) while you were offline. If you do not wish to receive offline "
                      "messages, please go to <a href=\"https://oscar.example/settings?im=1&list=2\">IM Settings</a>.")
            connection.send_snac(0x04, 0x07, 0x80000000, bytes(8) + struct.pack(">H", 1) + user_info("OOS System Msg")
                                 + tlv(0x0002, message_data(notice)))
        if connection.buddy_list_set:
            arrival = user_info(connection.user, [tlv(0x0001, struct.pack(">H", 0x0010))])
            for other in self.sessions.values():
                if other is not connection and name in other.buddies:
                    other.send_snac(0x03, 0x0B, 0x80000000, arrival)
        self._tell_buddies_online(connection)

    def _tell_buddies_online(self, connection):
        for buddy in connection.buddies:
            other = self.sessions.get(buddy)
            if other is not None and other is not connection:
                connection.send_snac(0x03, 0x0B, 0x80000000, user_info(other.user))

    def _signed_off(self, connection):
        if connection.user is None:
            return
        name = normalize(connection.user)
        if self.sessions.get(name) is connection:
            del self.sessions[name]
            self._event("offline", connection.user)
            for other in self.sessions.values():
                if name in other.buddies:
                    other.send_snac(0x03, 0x0C, 0x80000000, user_info(connection.user))

    def _route_im(self, connection, request_id, data):
        cookie, channel = data[:8], struct.unpack(">H", data[8:10])[0]
        length = data[10]
        recipient = data[11:11 + length].decode(errors="replace")
        tlvs = parse_tlvs(data[11 + length:])
        message = tlvs.get(0x0002, b"")
        if len(message_text_bytes(message)) > 512:
            self._event("oversize", connection.user)  # longer than the ICBM parameters allow
        target = self.sessions.get(normalize(recipient))
        if target is not None:
            # A live IM carries the sender's user info as a real server fills it: user flags and sign-on time.
            info = user_info(connection.user, [tlv(0x0001, struct.pack(">H", 0x0010)), tlv(0x0003, struct.pack(">I", int(time.time())))])
            body = cookie + struct.pack(">H", channel) + info + tlv(0x0002, message)
            target.send_snac(0x04, 0x07, 0x80000000, body)
        elif 0x0006 in tlvs:
            self.offline.setdefault(normalize(recipient), []).append((connection.user, cookie, message, int(time.time())))
            self.offline_counts[normalize(recipient)] = self.offline_counts.get(normalize(recipient), 0) + 1
        else:
            connection.send_snac(0x04, 0x01, request_id, struct.pack(">H", 0x0004))
            return
        self._event("im", connection.user)
        if 0x0003 in tlvs:
            if self.lost_acks.get(normalize(connection.user), 0) > 0:
                self.lost_acks[normalize(connection.user)] -= 1
                self._event("ack_lost", connection.user)
                return
            connection.send_snac(0x04, 0x0C, request_id, cookie + struct.pack(">H", channel)
                                 + struct.pack(">B", len(recipient.encode())) + recipient.encode())

    def _relay_typing(self, connection, request_id, data):
        """0x04/0x14 goes to the recipient if signed on, with the sender's name in place of the recipient's."""
        cookie, channel, length = data[:8], data[8:10], data[10]
        recipient = data[11:11 + length].decode(errors="replace")
        (event,) = struct.unpack(">H", data[11 + length:13 + length])
        with self.lock:
            self.typing.append((normalize(connection.user), normalize(recipient), event))
        target = self.sessions.get(normalize(recipient))
        if target is not None:
            name = connection.user.encode()
            target.send_snac(0x04, 0x14, request_id, cookie + channel + struct.pack(">B", len(name)) + name
                             + struct.pack(">H", event))


# ---------------------------------------------------------------------------------------------------------------
# A patron's AIM client

class PatronClient:
    """A scripted AIM user: BUCP login with the strong hash, the BOS sign-on sequence, then a reader thread
    that collects IMs, acks, errors and buddy arrivals. Sends no faster than it is told to."""

    def __init__(self, server: OscarServer, name: str, password: str, buddies=(), tls=None):
        """`tls`: an ssl.SSLContext (client side) when the server speaks TLS."""
        self.tls = tls
        self.server, self.name, self.password, self.buddies = server, name, password, list(buddies)
        self.sequence = 1
        self.request_id = 1
        self.received = queue.Queue()      # (sender, text as the client shows it, offline)
        self.pending_lines = []            # lines of IMs taken by next_lines but not yet returned
        self.raw = []                      # (sender, cookie, HTML as sent), every IM in arrival order
        self.typing = queue.Queue()        # (sender, event): 0 finished, 1 paused, 2 typing
        self.arrivals = queue.Queue()      # normalised names that came online
        self.departures = queue.Queue()
        self.acks = queue.Queue()          # cookies
        self.errors = queue.Queue()        # codes
        self.signed_off = threading.Event()
        self.sock = None

    def _connect(self, host, port, timeout):
        sock = socket.create_connection((host, port), timeout=timeout)
        return self.tls.wrap_socket(sock, server_hostname=host) if self.tls else sock

    def _send(self, channel, payload=b""):
        self.sock.sendall(flap(channel, self.sequence, payload))
        self.sequence += 1

    def _snac(self, family, subtype, data=b""):
        self.request_id += 1
        self._send(2, snac(family, subtype, self.request_id, data))
        return self.request_id

    def _read_frame(self, sock):
        header = self._exactly(sock, 6)
        _, channel, _, length = struct.unpack(">BBHH", header)
        return channel, self._exactly(sock, length)

    @staticmethod
    def _exactly(sock, count):
        data = b""
        while len(data) < count:
            chunk = sock.recv(count - len(data))
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
        return data

    def _expect_snac(self, family, subtype):
        while True:
            channel, payload = self._read_frame(self.sock)
            if channel != 2:
                continue
            got_family, got_subtype, _, data = parse_snac(payload)
            if (got_family, got_subtype) == (family, subtype):
                return data

    def sign_on(self, timeout: float = 5.0):
        self.sock = self._connect("127.0.0.1", self.server.auth_port, timeout)
        self._read_frame(self.sock)
        self._send(1, struct.pack(">I", 1))
        self._snac(0x17, 0x06, tlv(0x0001, self.name.encode()))
        data = self._expect_snac(0x17, 0x07)
        key = data[2:2 + struct.unpack(">H", data[:2])[0]]
        self._snac(0x17, 0x02, tlv(0x0001, self.name.encode()) + tlv(0x0025, strong_hash(key, self.password))
                   + tlv(0x004C, b"") + tlv(0x0003, b"patron-client") + tlv(0x004A, b"\x01"))
        reply = parse_tlvs(self._expect_snac(0x17, 0x03))
        self.sock.close()
        if 0x0008 in reply:
            raise RuntimeError(f"login refused: code {struct.unpack('>H', reply[0x0008])[0]}")
        host, port = reply[0x0005].decode().split(":")
        self.sock = self._connect(host, int(port), timeout)
        self.sequence = 1
        self._read_frame(self.sock)
        self._send(1, struct.pack(">I", 1) + tlv(0x0006, reply[0x0006]))
        self._expect_snac(0x01, 0x03)
        self._snac(0x01, 0x17, struct.pack(">4H", 0x01, 4, 0x04, 1))
        self._expect_snac(0x01, 0x18)
        self._snac(0x01, 0x06)
        self._expect_snac(0x01, 0x07)
        self._snac(0x01, 0x08, struct.pack(">5H", 1, 2, 3, 4, 5))
        buddies = b"".join(struct.pack(">B", len(b.encode())) + b.encode() for b in self.buddies)
        self._snac(0x03, 0x04, buddies)
        self._snac(0x01, 0x02, struct.pack(">4H", 0x01, 4, 0x0110, 0x08E5))
        self.sock.settimeout(None)
        threading.Thread(target=self._reader, daemon=True).start()
        self._snac(0x04, 0x10)  # stored IMs, as AIM clients ask after client ready
        deadline = time.monotonic() + timeout
        while not self.server.is_online(self.name):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not come online on the server")
            time.sleep(0.02)
        return self

    def _reader(self):
        sock = self.sock
        try:
            while True:
                channel, payload = self._read_frame(sock)
                if channel == 4:
                    break
                if channel != 2:
                    continue
                family, subtype, _, data = parse_snac(payload)
                if (family, subtype) == (0x04, 0x07):
                    offset = 10
                    length = data[offset]
                    sender = data[offset + 1:offset + 1 + length].decode()
                    offset += 1 + length + 2
                    (count,) = struct.unpack(">H", data[offset:offset + 2])
                    offset += 2
                    for _ in range(count):
                        offset += 4 + struct.unpack(">H", data[offset + 2:offset + 4])[0]
                    tlvs = parse_tlvs(data[offset:])
                    markup = message_text(tlvs.get(0x0002, b""))
                    self.raw.append((normalize(sender), data[:8], markup))
                    self.received.put((normalize(sender), rendered(markup), 0x0016 in tlvs))
                elif (family, subtype) == (0x04, 0x14):
                    length = data[10]
                    sender = normalize(data[11:11 + length].decode())
                    self.typing.put((sender, struct.unpack(">H", data[11 + length:13 + length])[0]))
                elif (family, subtype) == (0x04, 0x0C):
                    self.acks.put(data[:8])
                elif (family, subtype) == (0x04, 0x01):
                    self.errors.put(struct.unpack(">H", data[:2])[0])
                elif (family, subtype) in ((0x03, 0x0B), (0x03, 0x0C)):
                    length = data[0]
                    name = normalize(data[1:1 + length].decode())
                    (self.arrivals if subtype == 0x0B else self.departures).put(name)
        except (ConnectionError, OSError, struct.error, IndexError):
            pass
        finally:
            self.signed_off.set()

    def send_im(self, to: str, text: str, store: bool = False, ack: bool = True) -> bytes:
        cookie = os.urandom(8)
        body = (cookie + struct.pack(">H", 1) + struct.pack(">B", len(to.encode())) + to.encode()
                + tlv(0x0002, message_data(text)))
        if ack:
            body += tlv(0x0003, b"")
        if store:
            body += tlv(0x0006, b"")
        self._snac(0x04, 0x06, body)
        return cookie

    def send_typing(self, to: str, event: int):
        """A typing notification (0x04/0x14): 2 typing, 1 paused, 0 finished."""
        self._snac(0x04, 0x14, bytes(8) + struct.pack(">HB", 1, len(to.encode())) + to.encode() + struct.pack(">H", event))

    def next_message(self, timeout: float = 10.0):
        """The next IM as the client shows it: (sender, text, stored offline)."""
        return self.received.get(timeout=timeout)

    def next_lines(self, count: int, timeout: float = 10.0):
        """The next `count` lines shown, from the next IMs (a reply of several lines, or several replies in one IM)."""
        deadline = time.monotonic() + timeout
        while len(self.pending_lines) < count:
            _, text, _ = self.received.get(timeout=max(0.01, deadline - time.monotonic()))
            self.pending_lines += text.split("\n")
        lines, self.pending_lines = self.pending_lines[:count], self.pending_lines[count:]
        return lines

    def next_typing(self, timeout: float = 10.0):
        return self.typing.get(timeout=timeout)

    def wait_arrival(self, name: str, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.arrivals.get(timeout=max(0.01, deadline - time.monotonic())) == normalize(name):
                    return True
            except queue.Empty:
                break
        return False

    def wait_departure(self, name: str, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.departures.get(timeout=max(0.01, deadline - time.monotonic())) == normalize(name):
                    return True
            except queue.Empty:
                break
        return False

    def sign_off(self):
        try:
            self._send(4)
        except OSError:
            pass
        self.sock.close()
