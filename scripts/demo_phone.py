"""A patron's phone in the terminal, for the refdesk demo: type a text and press Enter, and the thread shows it, the
library's replies (the offline reply while nobody staffs the desk, then the librarian's), and what Twilio itself
answers to STOP and START. Ctrl-D (end of input) hangs up.

  .venv/bin/python scripts/demo_phone.py [--number +15551234567] [--wait SECONDS]

Texts go through the demo's stand-in for Twilio, which posts them to the SMS bridge's webhook as Twilio does. Reads
the ports from run/demo/peers.json (or DEMO_DIR). --wait keeps showing replies for that long after the input ends
(for scripts that pipe texts in).
"""
import argparse
import json
import os
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIBRARY_NUMBER = "+15550000001"


def peers() -> dict:
    directory = Path(os.environ.get("DEMO_DIR", ROOT / "run" / "demo"))
    return json.loads((directory / "peers.json").read_text())


def readable(number: str) -> str:
    digits = number[2:]
    if number.startswith("+1") and len(digits) == 10 and digits.isdigit():
        return f"+1 {digits[:3]}-{digits[3:6]}-{digits[6:]}"
    return number


class Phone:
    def __init__(self, base: str, number: str):
        self.base, self.number = base, number
        self.shown = 0
        self.lock = threading.Lock()

    def send(self, text: str):
        data = urllib.parse.urlencode({"To": LIBRARY_NUMBER, "Body": text}).encode()
        path = f"{self.base}/phone/{urllib.parse.quote(self.number)}/texts"
        with urllib.request.urlopen(urllib.request.Request(path, data=data, method="POST"), timeout=15) as response:
            answer = json.loads(response.read())
        if answer.get("webhook_status") != 200:
            print(f"  (the library's number did not take the text: webhook answered {answer.get('webhook_status')})", flush=True)

    def show_new(self):
        path = f"{self.base}/phone/{urllib.parse.quote(self.number)}/thread?after={self.shown}"
        with urllib.request.urlopen(path, timeout=5) as response:
            entries = json.loads(response.read())["entries"]
        with self.lock:
            for entry in entries:
                if entry["n"] <= self.shown:
                    continue
                self.shown = entry["n"]
                clock = time.strftime("%H:%M", time.localtime(entry["at"]))
                print(f"  {entry['from']:<8} {clock}  {entry['body']}", flush=True)

    def watch(self, stop: threading.Event):
        while not stop.wait(0.3):
            try:
                self.show_new()
            except OSError:
                pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--number", default="+15551234567", help="the phone's number (E.164)")
    parser.add_argument("--wait", type=float, default=0, help="seconds to keep showing replies after the input ends")
    options = parser.parse_args()
    phone = Phone(peers()["twilio_api"], options.number)
    print(f"Phone {readable(options.number)}, texting the library at {readable(LIBRARY_NUMBER)}. Type a text and press "
          "Enter; STOP and START work as on a real phone; Ctrl-D hangs up.", flush=True)
    stop = threading.Event()
    watcher = threading.Thread(target=phone.watch, args=(stop,), daemon=True)
    watcher.start()
    try:
        for line in sys.stdin:
            text = line.rstrip("\n")
            if text.strip():
                phone.send(text)
        time.sleep(options.wait)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        watcher.join(2)
        try:
            phone.show_new()
        except OSError:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
