"""The bridge protocol's wire format, written independently from docs/bridge-protocol.md.

Used by the tests to speak to the router as a raw (and sometimes hostile) peer.
"""
import socket
import struct

HELLO, WELCOME, GOODBYE, PING, PONG, ACK = 0x01, 0x02, 0x03, 0x04, 0x05, 0x06
MESSAGE_RECEIVED = 0x21
GATEWAY_NOTICE, CHAT_STATE = 0x14, 0x30          # version 2
CHAT_STATES = {0: "active", 1: "composing", 2: "paused", 3: "inactive", 4: "gone"}

GOODBYE_CODES = {
    1: "unsupportedVersion", 2: "unknownProtocol", 3: "badFrame", 4: "notAllowed",
    5: "shuttingDown", 6: "handshakeTimeout", 7: "protocolViolation",
}


def string(value: str) -> bytes:
    data = value.encode("utf-8")
    return struct.pack(">I", len(data)) + data


def frame(frame_type: int, body: bytes = b"") -> bytes:
    return struct.pack(">IB", len(body) + 1, frame_type) + body


def hello(protocol: str, instance: str = "pytest", version: int = 1) -> bytes:
    return frame(HELLO, struct.pack(">H", version) + string(protocol) + string(instance))


def ping(nonce: int) -> bytes:
    return frame(PING, struct.pack(">Q", nonce))


def message_received(id: str, gateway: int, sender: str, body: str) -> bytes:
    payload = string(id) + struct.pack(">Q", gateway) + string(sender) + string(body)
    payload += struct.pack(">qB", 0, 0) + struct.pack(">I", 0)
    return frame(MESSAGE_RECEIVED, payload)


def chat_state(gateway: int, peer: str, state: str) -> bytes:
    code = {name: value for value, name in CHAT_STATES.items()}[state]
    return frame(CHAT_STATE, struct.pack(">Q", gateway) + string(peer) + struct.pack(">B", code))


def gateway_notice(gateway: int, sender: str, text: str) -> bytes:
    return frame(GATEWAY_NOTICE, struct.pack(">Q", gateway) + string(sender) + string(text))


class Reader:
    def __init__(self, data: bytes):
        self.data, self.offset = data, 0

    def take(self, count: int) -> bytes:
        chunk = self.data[self.offset:self.offset + count]
        if len(chunk) != count:
            raise ValueError("truncated")
        self.offset += count
        return chunk

    def u16(self): return struct.unpack(">H", self.take(2))[0]
    def u32(self): return struct.unpack(">I", self.take(4))[0]
    def u64(self): return struct.unpack(">Q", self.take(8))[0]
    def string(self): return self.take(self.u32()).decode("utf-8")


def read_frames(sock: socket.socket, timeout: float = 5.0):
    """Reads until the peer closes (or the timeout passes); returns [(type, body)] and whether it closed."""
    sock.settimeout(timeout)
    data = b""
    closed = False
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                closed = True
                break
            data += chunk
    except (socket.timeout, TimeoutError):
        pass
    except ConnectionResetError:
        closed = True
    frames = []
    offset = 0
    while len(data) - offset >= 5:
        length, frame_type = struct.unpack(">IB", data[offset:offset + 5])
        if len(data) - offset - 4 < length:
            break
        frames.append((frame_type, data[offset + 5:offset + 4 + length]))
        offset += 4 + length
    return frames, closed


def goodbye(body: bytes):
    reader = Reader(body)
    code = reader.u16()
    return GOODBYE_CODES.get(code, f"other({code})"), reader.string()
