"""The outside world of the refdesk demo, on 127.0.0.1: a Prosody with a librarian account, a stand-in for
Twilio's REST API and an OSCAR (AIM) server with the library's and a patron's screen names. Reuses the
integration tests' peers. Writes DIR/peers.json with every port once all are up; SIGINT or SIGTERM stops them.

Run with the project's venv python: .venv/bin/python scripts/demo_peers.py DIR
"""
import json
import os
import signal
import socket
import sys
import threading
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> int:
    directory = Path(sys.argv[1]).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    prosody = ProsodyServer(directory)
    prosody.create_user(LIBRARIAN, LIBRARIAN_PASSWORD)
    prosody.start()
    twilio = FakeTwilio({ACCOUNT: TOKEN}).start()
    oscar = OscarServer({DESK: DESK_PASSWORD, PATRON: PATRON_PASSWORD}).start()
    try:
        peers = {
            "c2s_port": prosody.c2s_port, "component_port": prosody.component_port,
            "component_domain": prosody.component_domain, "component_secret": prosody.component_secret,
            "librarian": LIBRARIAN, "librarian_password": LIBRARIAN_PASSWORD,
            "twilio_api": twilio.base, "twilio_account": ACCOUNT, "twilio_token": TOKEN,
            "oscar_port": oscar.auth_port, "desk": DESK, "desk_password": DESK_PASSWORD,
            "patron": PATRON, "patron_password": PATRON_PASSWORD,
            "webhook_port": free_port(), "router_metrics_port": free_port(), "aim_metrics_port": free_port(),
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
