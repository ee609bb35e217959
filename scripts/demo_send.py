"""Sends a test message into the running refdesk demo, as a patron would.

  .venv/bin/python scripts/demo_send.py sms "Do you have the new Le Guin?"   # one text (scripts/demo_phone.py: a thread)
  .venv/bin/python scripts/demo_send.py im "Is the library open on Sunday?"  # an AIM IM from "Pat Ron"

Reads the ports from run/demo/peers.json (or DEMO_DIR). The IM sender stays signed on for a while and prints the
replies the librarian sends back. Like a real AIM client it asks the server to keep the IM while the library's
screen name is signed off (nobody staffs the desk); the server hands it over when the screen name signs on.
"""
import json
import os
import sys
import time
import types
import urllib.request
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "Tests" / "integration"))

LIBRARY_NUMBER = "+15550000001"
PATRON_NUMBER = "+15551234567"


def peers() -> dict:
    directory = Path(os.environ.get("DEMO_DIR", ROOT / "run" / "demo"))
    return json.loads((directory / "peers.json").read_text())


def send_sms(text: str) -> int:
    """A text from the patron's phone, through the stand-in for Twilio (which signs it and posts it to the webhook)."""
    p = peers()
    data = urllib.parse.urlencode({"To": LIBRARY_NUMBER, "Body": text}).encode()
    request = urllib.request.Request(f"{p['twilio_api']}/phone/{urllib.parse.quote(PATRON_NUMBER)}/texts", data=data, method="POST")
    with urllib.request.urlopen(request, timeout=15) as response:
        print(f"webhook answered {json.loads(response.read())['webhook_status']}")
    return 0


def send_im(text: str, wait: float) -> int:
    from oscar_server import PatronClient
    p = peers()
    # The client only needs the server's login port; the server runs in another process, so "online" is taken
    # as soon as the sign-on sequence has been sent (the server acts on it before any IM that follows).
    server = types.SimpleNamespace(auth_port=p["oscar_port"], is_online=lambda _name: True)
    patron = PatronClient(server, p["patron"], p["patron_password"], buddies=[p["desk"]])
    patron.sign_on()
    patron.send_im(p["desk"], text, store=True)
    print(f"sent to {p['desk']!r} as {p['patron']!r}; waiting {wait:.0f}s for replies (Ctrl-C stops)")
    deadline = time.monotonic() + wait
    try:
        while time.monotonic() < deadline:
            try:
                sender, reply, _offline = patron.next_message(timeout=max(0.1, deadline - time.monotonic()))
            except Exception:
                continue
            print(f"{sender}: {reply}")
    except KeyboardInterrupt:
        pass
    return 0


def main() -> int:
    if len(sys.argv) < 3 or sys.argv[1] not in ("sms", "im"):
        print(__doc__, file=sys.stderr)
        return 2
    text = " ".join(sys.argv[2:])
    return send_sms(text) if sys.argv[1] == "sms" else send_im(text, float(os.environ.get("DEMO_IM_WAIT", "60")))


if __name__ == "__main__":
    sys.exit(main())
