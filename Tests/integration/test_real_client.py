"""A real XMPP client no one here wrote, used as a librarian: Profanity (the Debian package), driven through tmux
(send-keys to type, capture-pane to read the screen), signs in over STARTTLS to the test Prosody trusting only a CA
made for the test, approves the queue, receives a patron's text, replies, and uses a `!` command and the patron
contact's ad-hoc commands. The screen as the librarian saw it is kept under .build/artifacts/ (CI keeps it)."""
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

from staffing import patron_jid, router_for, seed_desk, start_bridge, wait_queue_online
from xmpp_harness import ProsodyServer

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / ".build" / "artifacts"
PROFANITY = shutil.which("profanity")
TMUX = shutil.which("tmux")
PATRON = "+15551230001"
PASSWORD = "librarian-password"


class Terminal:
    """A program in a detached tmux session on a server of its own: keys in, the screen out."""

    def __init__(self, command: list[str], environment: dict, width: int = 200, height: int = 50):
        self.socket = f"refdesk-test-{os.getpid()}-{time.monotonic_ns()}"
        self.environment = environment
        self.tmux(["new-session", "-d", "-s", "client", "-x", str(width), "-y", str(height), *command])

    def tmux(self, arguments: list[str]) -> str:
        result = subprocess.run([TMUX, "-L", self.socket, *arguments], capture_output=True, text=True, env=self.environment, timeout=15)
        if result.returncode != 0:
            raise AssertionError(f"tmux {' '.join(arguments[:2])} failed: {result.stderr.strip()}")
        return result.stdout

    def type(self, text: str):
        """Types a line and presses Enter (the text literally, so nothing in it is read as a key name)."""
        self.tmux(["send-keys", "-t", "client", "-l", text])
        self.tmux(["send-keys", "-t", "client", "Enter"])

    def screen(self) -> str:
        return self.tmux(["capture-pane", "-p", "-t", "client"])

    def wait_for(self, pattern: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if re.search(pattern, screen):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"the screen did not show {pattern!r} within {timeout}s; it shows:\n{screen}")
            time.sleep(0.2)

    def close(self):
        subprocess.run([TMUX, "-L", self.socket, "kill-server"], capture_output=True, env=self.environment, timeout=15)


def test_a_librarian_in_profanity_over_starttls_gets_a_patron_s_text_and_replies(workdir, processes):
    assert PROFANITY and TMUX, "profanity and tmux are missing: scripts/install-deps.sh installs them"
    tls = workdir / "tls"
    subprocess.run([str(ROOT / "scripts/demo-ca.sh"), str(tls)], check=True)
    prosody = ProsodyServer(workdir, tls=(tls / "localhost.crt", tls / "localhost.key"))
    prosody.create_user("librarian@localhost", PASSWORD)
    prosody.start()
    router = terminal = None
    screens = []
    try:
        router = router_for(workdir, prosody)
        processes.append(router)
        seed_desk(router, {"librarian": (["librarian@localhost"], ["ask"])}, gateway_protocol="twilio")
        router.start()
        from conftest import BridgeProcess
        bridge = BridgeProcess(workdir, router.socket, protocol="twilio")
        processes.append(bridge)
        bridge.start()
        bridge.wait_event(lambda e: e["event"] == "connected")

        home = workdir / "profanity-home"
        home.mkdir()
        environment = dict(os.environ, HOME=str(home), TERM="xterm-256color", LANG="C.UTF-8", LC_ALL="C.UTF-8")
        environment.pop("TMUX", None)
        terminal = Terminal([PROFANITY], environment)
        terminal.wait_for(r"Type '/help' to show complete help|Profanity\. Type /help")
        terminal.type(f"/tls certpath set {tls / 'trusted'}")
        terminal.type(f"/connect librarian@localhost server 127.0.0.1 port {prosody.c2s_port} tls force")
        terminal.wait_for(r"Enter password")
        terminal.type(PASSWORD)
        terminal.wait_for(r"librarian@localhost\S* logged in successfully")
        queue = f"ask@{prosody.component_domain}"
        terminal.wait_for(re.escape(f"Received authorization request from {queue}"), 30)
        terminal.type(f"/sub allow {queue}")
        wait_queue_online(bridge, timeout=30)

        patron = patron_jid(prosody, PATRON)
        bridge.send({"op": "receive", "id": "p1", "gateway": 1, "from": PATRON, "body": "Do you have the new Le Guin?"})
        terminal.wait_for(re.escape(patron), 30)
        terminal.type(f"/msg {patron}")
        screens.append(terminal.wait_for(r"Do you have the new Le Guin\?", 30))
        terminal.type("Yes, on the new books shelf.")
        bridge.wait_event(lambda e: e["event"] == "outbound" and e["body"] == "Yes, on the new books shelf." and e["to"] == PATRON, 30)

        # A command typed as the README says reaches refdesk (Profanity keeps /-words), answered and marked.
        terminal.type("!who")
        screens.append(terminal.wait_for(r"\[refdesk\] Available on ask: librarian \(available\)\.", 30))
        # The commands menu of the patron's contact (XEP-0050), as Profanity lists it.
        terminal.type("/cmd list")
        screens.append(terminal.wait_for(r"Ad hoc commands:(?s:.*)canned(?s:.*)close(?s:.*)transfer", 30))
        terminal.type("/cmd exec close")
        screens.append(terminal.wait_for(r"Chat \d+ closed\.", 30))
        router.query("SELECT 1")
    finally:
        if terminal is not None:
            try:
                screens.append(terminal.screen())
            except AssertionError:
                pass
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            (ARTIFACTS / "profanity-librarian.txt").write_text(
                "\n\n".join(f"--- screen {index + 1} ---\n{screen}" for index, screen in enumerate(screens)))
            terminal.type("/quit")
            time.sleep(0.5)
            terminal.close()
        prosody.stop()
