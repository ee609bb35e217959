"""The demo's own smoke test: `scripts/demo.sh` (what `make demo` runs) on a fresh directory, driven by the commands
its banner prints. A librarian signs in over STARTTLS trusting only the demo's CA (a plain-text sign-in is refused);
refdeskctl manages the desk over the admin API with the admin account the banner gives; a patron's phone in the
terminal texts while nobody staffs (the offline reply comes back), the librarian answers, STOP and START go through
as Twilio handles them; an AIM user's IM sent while nobody staffs is kept by the OSCAR server and reaches the
librarian; Ctrl-C stops everything."""
import os
import queue
import re
import signal
import subprocess
import threading
import time

import pytest

from conftest import BIN, wait_until
from test_service import ROOT


class Lines:
    """A process's output lines, read in the background, waited for by pattern."""

    def __init__(self, process: subprocess.Popen):
        self.process, self.lines, self.queue = process, [], queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line)
            self.queue.put(line)

    def wait(self, pattern: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        for line in self.lines:
            if re.search(pattern, line):
                return line
        while time.monotonic() < deadline:
            try:
                line = self.queue.get(timeout=max(0.05, deadline - time.monotonic()))
            except queue.Empty:
                break
            if re.search(pattern, line):
                return line
        raise AssertionError(f"no line matching {pattern!r} within {timeout}s; saw:\n{''.join(self.lines[-30:])}")

    @property
    def text(self) -> str:
        return "".join(self.lines)


def banner_command(text: str, after: str) -> str:
    """The indented command line that follows the banner line containing `after`."""
    lines = text.splitlines()
    index = next(i for i, line in enumerate(lines) if after in line)
    return lines[index + 1].strip()


def test_the_demo_banner_s_instructions_work_end_to_end(workdir):
    from xmpp_harness import Librarian, LibrarianError

    demo_dir = workdir / "demo"
    environment = dict(os.environ, REFDESK_BIN=str(BIN.resolve()), DEMO_DIR=str(demo_dir))
    environment.pop("REFDESKCTL_CONFIG", None)
    demo = subprocess.Popen([str(ROOT / "scripts/demo.sh")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=environment, stdin=subprocess.DEVNULL)
    printed = Lines(demo)
    started = []
    librarian = plain = None
    try:
        printed.wait(r"Ctrl-C stops the demo\.", 180)
        text = printed.text
        assert demo.poll() is None, text
        jid = re.search(r"JID\s+(\S+)", text).group(1)
        password = re.search(r"password\s+(\S+)", text).group(1)
        port = int(re.search(r"server\s+127\.0\.0\.1\s+port (\d+)\s+\(STARTTLS", text).group(1))
        ca_file = re.search(r"Trust the demo's CA, (\S+):", text).group(1)
        assert "/tls certpath set " in text and f"port {port} tls force" in text, "the banner says how Profanity trusts the CA"

        # refdeskctl, as the banner says: the desk was set up through it, and it shows the desk.
        export = banner_command(text, "Manage it with refdeskctl")
        control = dict(environment, **dict(pair.split("=", 1) for pair in export.removeprefix("export ").split()))
        for command in re.findall(r"^\s+(\S+/refdeskctl .+)$", text, re.M):
            result = subprocess.run(command.split(), env=control, capture_output=True, text=True, timeout=30)
            assert result.returncode == 0, f"{command}: {result.stdout}{result.stderr}"
            if command.endswith(" status"):
                assert re.search(r"^ask\s", result.stdout, re.M) and "twilio" in result.stdout and "aim" in result.stdout, result.stdout

        # Nobody staffs yet: the phone's text gets the offline reply; an IM waits at the AIM server.
        phone = subprocess.Popen(["bash", "-c", banner_command(text, "Be a patron texting the library")], cwd=workdir,
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=environment)
        started.append(phone)
        phone_lines = Lines(phone)
        phone.stdin.write("Do you have the new Le Guin?\n")
        phone.stdin.flush()
        phone_lines.wait(r"^\s+library\s+\d\d:\d\d\s+Thanks for your message! No librarian is at the desk", 30)
        im = subprocess.Popen(["bash", "-c", banner_command(text, "Be a patron on AIM")], cwd=workdir,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=dict(environment, DEMO_IM_WAIT="120"))
        started.append(im)
        im_lines = Lines(im)
        im_lines.wait(r"^sent to 'Ref Desk'", 30)

        # The server requires TLS: a plain-text sign-in is refused; with the demo's CA it works.
        plain = Librarian(jid, password, port, reconnect=False)
        with pytest.raises(LibrarianError):
            plain.connect(timeout=5)
        librarian = Librarian(jid, password, port, ca_file=ca_file).connect()

        domain = re.search(r"subscription from ask@(\S+) ", text).group(1)
        sms_patron, aim_patron = f"+15551234567@{domain}", f"patron@{domain}"
        kept = librarian.wait_message(lambda m: "Do you have the new Le Guin?" in m.body, timeout=30)
        assert kept.sender.startswith(sms_patron) and kept.body.startswith("(sent "), kept.body
        im_line = librarian.wait_message(lambda m: m.body == "Is the library open on Sunday?", timeout=60)
        assert im_line.sender.startswith(aim_patron)

        librarian.send(sms_patron, "Yes, on the new books shelf.")
        phone_lines.wait(r"^\s+library\s+\d\d:\d\d\s+Yes, on the new books shelf\.$", 30)
        librarian.send(aim_patron, "Yes, 1 to 5.")
        im_lines.wait(r"Yes, 1 to 5\.", 30)

        # STOP and START, as a phone and Twilio do them; a reply in between does not reach the patron, and the
        # librarian is told so in the patron's window.
        phone.stdin.write("STOP\n")
        phone.stdin.flush()
        phone_lines.wait(r"^\s+Twilio\s+\d\d:\d\d\s+You have successfully been unsubscribed", 30)
        stop = librarian.wait_message(lambda m: m.body.startswith("STOP"), timeout=30)
        assert stop.body == "STOP\n[refdesk] The patron opted out of texts from this number. Replies will not be sent until they text START."
        librarian.send(sms_patron, "Sorry to see you go.")
        notice = librarian.wait_message(lambda m: "did not reach the patron" in m.body, timeout=30)
        assert notice.body.startswith("[refdesk] ") and notice.sender.startswith(sms_patron)
        phone.stdin.write("START\n")
        phone.stdin.flush()
        phone_lines.wait(r"^\s+Twilio\s+\d\d:\d\d\s+You have successfully been re-subscribed", 30)
        phone.stdin.close()
        assert phone.wait(20) == 0
        assert "Sorry to see you go." not in phone_lines.text
    finally:
        for client in (librarian, plain):
            if client is not None:
                client.disconnect()
        for process in started:
            if process.poll() is None:
                process.kill()
                process.wait(10)
        demo.send_signal(signal.SIGINT)
        try:
            code = demo.wait(60)
        except subprocess.TimeoutExpired:
            demo.kill()
            raise
    assert code == 130
    wait_until(lambda: "refdesk demo stopped" in printed.text, 5, "the demo to say it stopped")
    leftover = subprocess.run(["pgrep", "-f", str(demo_dir)], capture_output=True, text=True).stdout.split()
    assert leftover == [], "Ctrl-C stops every process the demo started"
