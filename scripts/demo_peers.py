"""The outside world of the refdesk demo, on 127.0.0.1: a Prosody that requires TLS (with the certificate
scripts/demo-ca.sh made in DIR/tls) and has a librarian account, a stand-in for Twilio (its REST API, and the phone
side: texts from a phone reach the library's webhook, STOP and START as Twilio handles them) and an OSCAR (AIM) server
with the library's and a patron's screen names, which keeps IMs for a screen name that is signed off. Reuses the
integration tests' peers, and draws the queue's avatar. Writes DIR/peers.json with every port once all are up;
SIGINT or SIGTERM stops them.

Run with the project's venv python: .venv/bin/python scripts/demo_peers.py DIR
"""
import json
import os
import signal
import socket
import struct
import sys
import threading
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Tests" / "integration"))

from fake_twilio import FakeTwilio  # noqa: E402
from oscar_server import OscarServer  # noqa: E402
from xmpp_harness import ProsodyServer  # noqa: E402

ACCOUNT = "AC" + "0123456789abcdef" * 2
TOKEN = "f00dfeedf00dfeedf00dfeedf00dfeed"
LIBRARIAN, LIBRARIAN_PASSWORD = "librarian@localhost", "librarian-password"
DESK, DESK_PASSWORD = "Ref Desk", "desk-secret"
PATRON, PATRON_PASSWORD = "Pat Ron", "patron-secret"
PUBLIC_URL = "https://sms.library.example/refdesk"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def avatar_png(size: int = 96) -> bytes:
    """The queue's picture: a white speech bubble on library blue, as a PNG."""
    rows = []
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            inside = (x - size / 2) ** 2 / (size * 0.36) ** 2 + (y - size * 0.45) ** 2 / (size * 0.28) ** 2 <= 1
            tail = size * 0.55 <= y <= size * 0.8 and size * 0.3 <= x <= size * 0.3 + (size * 0.8 - y) * 0.6
            row += bytes((255, 255, 255) if inside or tail else (31, 78, 140))
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b""))


def main() -> int:
    directory = Path(sys.argv[1]).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    tls = directory / "tls"
    prosody = ProsodyServer(directory, tls=(tls / "localhost.crt", tls / "localhost.key"))
    prosody.create_user(LIBRARIAN, LIBRARIAN_PASSWORD)
    prosody.start()
    webhook_port = free_port()
    twilio = FakeTwilio({ACCOUNT: TOKEN}).phones(f"http://127.0.0.1:{webhook_port}/refdesk/sms", f"{PUBLIC_URL}/sms").start()
    (directory / "queue-avatar.png").write_bytes(avatar_png())
    oscar = OscarServer({DESK: DESK_PASSWORD, PATRON: PATRON_PASSWORD}).start()
    try:
        peers = {
            "c2s_port": prosody.c2s_port, "component_port": prosody.component_port,
            "component_domain": prosody.component_domain, "component_secret": prosody.component_secret,
            "librarian": LIBRARIAN, "librarian_password": LIBRARIAN_PASSWORD,
            "twilio_api": twilio.base, "twilio_account": ACCOUNT, "twilio_token": TOKEN,
            "oscar_port": oscar.auth_port, "desk": DESK, "desk_password": DESK_PASSWORD,
            "patron": PATRON, "patron_password": PATRON_PASSWORD,
            "webhook_port": webhook_port, "public_url": PUBLIC_URL, "router_metrics_port": free_port(),
            "aim_metrics_port": free_port(), "admin_port": free_port(), "ca_file": str(tls / "ca.crt"),
        }
        temporary = directory / "peers.json.tmp"
        temporary.write_text(json.dumps(peers, indent=2))
        os.replace(temporary, directory / "peers.json")
        while not stop.wait(0.5):
            if not prosody.running:
                print("demo: Prosody exited; see " + str(prosody.log), file=sys.stderr)
                return 1
        return 0
    finally:
        (directory / "peers.json").unlink(missing_ok=True)
        oscar.stop()
        twilio.stop()
        prosody.stop()


if __name__ == "__main__":
    sys.exit(main())
