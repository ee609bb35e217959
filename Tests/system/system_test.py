#!/usr/bin/env python3
"""refdesk installed as a Debian sysadmin would: the .deb on a freshly booted Debian 12 under real systemd.

Debian bookworm is debootstrapped once (cached in .build/system-test/bookworm-base) and booted with systemd-nspawn
(systemd as PID 1, sharing this machine's network so apt works and the test peers on 127.0.0.1 are reachable).
Every ```sh block of docs/operations.md is run exactly as written, section by section, as root inside the container
(```sh host blocks on this machine), so the guide and the test cannot drift; at the end every block must have run.
Between the sections the test plays the outside world with real peers: slixmpp librarians over STARTTLS, webhooks
signed with the `twilio` library through nginx's TLS, the Messages API stand-in (fake_twilio.py) and the OSCAR test
server (oscar_server.py). The site's certificate authority, its DNS names and the stand-ins' addresses are the only
things the test sets up itself; each such step is printed as "(test setup)".

Run as root: `make system-test` (part of `make test`). Prints each step, the live `systemd-analyze security` scores,
and a closing "N passed, N failed" line.
"""
import argparse
import http.client
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Tests" / "integration"))

from fake_twilio import FakeTwilio  # noqa: E402
from oscar_server import OscarServer, PatronClient  # noqa: E402
from xmpp_harness import Librarian  # noqa: E402
from twilio.request_validator import RequestValidator  # noqa: E402

CACHE = ROOT / ".build" / "system-test"
MIRROR = "http://deb.debian.org/debian"
DOC = ROOT / "docs" / "operations.md"
NAMES = ["library.example.org", "sms.library.example.org", "desk.library.example.org", "login.oscar.example.org"]
PORTS = [443, 5222, 5190, 5347, 8081, 8443, 9464, 9465]
UNITS = ["refdesk-router", "refdesk-twilio", "refdesk-aim"]
# What the guide's commands use (the test reads them back from the container where it can).
SID = "AC0123456789abcdef0123456789abcdef"
LIBRARY_NUMBER = "+15550000001"
ALICE, ALICE_PASSWORD = "alice@library.example.org", "correct horse battery staple"
DESK, DESK_PASSWORD = "Ref Desk", "the screen name password"
PATRON, PATRON_PASSWORD = "Pat Ron", "patron-secret"
PUBLIC_SMS = "https://sms.library.example.org/refdesk/sms"


def say(text: str):
    print(text, flush=True)


def wait_until(condition, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


# ------------------------------------------------------------------------------------------------ the guide


class Guide:
    """docs/operations.md's command blocks by section ("## Install", "### Prosody"), run in order."""

    def __init__(self, path: Path):
        self.blocks = []  # (section, where, code)
        section, code, where = None, None, None
        for line in path.read_text().splitlines():
            if code is not None:
                if line == "```":
                    self.blocks.append((section, where, "\n".join(code)))
                    code = None
                else:
                    code.append(line)
            elif line.startswith("## ") or line.startswith("### "):
                section = line.lstrip("#").strip()
            elif line in ("```sh", "```sh host"):
                code, where = [], "host" if line.endswith("host") else "server"
        self.ran = set()

    def run(self, section: str, container=None) -> str:
        blocks = [(i, b) for i, b in enumerate(self.blocks) if b[0] == section]
        assert blocks, f"docs/operations.md has no command block under the heading {section!r}"
        output = []
        for index, (_, where, code) in blocks:
            say(f"    $ {code.splitlines()[0]}" + (" …" if "\n" in code else ""))
            if where == "host":
                result = subprocess.run(["bash", "-eo", "pipefail", "-c", code], cwd=ROOT, capture_output=True, text=True)
            else:
                result = container.sh(code)
            if result.returncode != 0:
                raise AssertionError(f"the guide's block in {section!r} failed ({result.returncode}):\n{code}\n"
                                     f"--- output\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
            output.append(result.stdout)
            self.ran.add(index)
        return "".join(output)

    def not_run(self):
        return [b[0] for i, b in enumerate(self.blocks) if i not in self.ran]


# ------------------------------------------------------------------------------------------------ the container


class Container:
    """A Debian 12 tree booted with systemd-nspawn; commands run inside through nsenter as root."""

    ENVIRONMENT = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root",
                   "LANG": "C.UTF-8", "DEBIAN_FRONTEND": "noninteractive", "TERM": "dumb"}

    def __init__(self, rootfs: Path, log: Path):
        self.rootfs, self.log_path = rootfs, log
        self.process, self.leader = None, None

    def boot(self):
        archives = CACHE / "apt-archives"
        (archives / "partial").mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            ["systemd-nspawn", "-D", str(self.rootfs), "--boot", "--register=no", "--keep-unit", "--console=passive",
             f"--bind={archives}:/var/cache/apt/archives"],
            stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        started = time.monotonic()

        def leader():
            """nspawn's child that is PID 1 of its own namespace. While the container is being set up, nspawn's
            first child is a helper that soon exits: it must not be taken for the container's init."""
            found = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout.split()
            for pid in found:
                try:
                    status = Path(f"/proc/{pid}/status").read_text()
                except OSError:
                    continue
                namespaced = next((line.split()[1:] for line in status.splitlines() if line.startswith("NSpid:")), [])
                if len(namespaced) > 1 and namespaced[-1] == "1":
                    return pid
            return None
        self.leader = wait_until(leader, 30, "the container's PID 1")

        def booted():
            assert self.process.poll() is None, f"systemd-nspawn exited: {self.log_path.read_text()[-2000:]}"
            self.leader = leader() or self.leader
            state = self.sh("systemctl is-system-running --wait", timeout=60).stdout.strip()
            return state in ("running", "degraded")
        wait_until(booted, 60, "the container to finish booting", interval=0.1)
        return time.monotonic() - started

    def sh(self, script: str, timeout: float = 600) -> subprocess.CompletedProcess:
        return subprocess.run(["nsenter", "-t", str(self.leader), "-a", "bash", "-eo", "pipefail", "-c", f"cd /root\n{script}"],
                              capture_output=True, text=True, timeout=timeout, env=self.ENVIRONMENT)

    def out(self, script: str, timeout: float = 600) -> str:
        result = self.sh(script, timeout)
        assert result.returncode == 0, f"{script}\nexit {result.returncode}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
        return result.stdout

    def shutdown(self, verb: str = "poweroff"):
        if self.process is None or self.process.poll() is not None:
            return
        self.sh(f"systemctl {verb} --no-block")
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:  # the container's PID 1 first: killing nspawn alone would orphan it
            os.kill(int(self.leader), signal.SIGKILL)
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def reboot(self) -> float:
        """A power cycle: systemd shuts everything down, then a new boot of the same tree (new /run, new journal
        boot). (systemd-nspawn would restart a rebooting container inside the same process, out of our sight.)"""
        self.shutdown("poweroff")
        return self.boot()


def base_rootfs() -> Path:
    """Debian bookworm, debootstrapped once and kept under .build/system-test."""
    base = CACHE / "bookworm-base"
    if (base / ".complete").exists():
        return base
    partial = CACHE / "bookworm-base.partial"
    shutil.rmtree(partial, ignore_errors=True)
    started = time.monotonic()
    subprocess.run(["debootstrap", "--variant=minbase", "--include=systemd,systemd-sysv,dbus,ca-certificates,openssl",
                    "bookworm", str(partial), MIRROR], check=True, stdout=subprocess.DEVNULL)
    (partial / ".complete").write_text("")
    partial.rename(base)
    say(f"    debootstrap bookworm: {time.monotonic() - started:.0f} s")
    return base


# ------------------------------------------------------------------------------------------------ the site's CA


class CertificateAuthority:
    """The site's certificate authority (openssl), issuing certbot-style folders."""

    def __init__(self, directory: Path):
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.key, self.certificate = directory / "ca.key", directory / "ca.pem"
        self._openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "30",
                      "-subj", "/CN=refdesk system test CA", "-keyout", self.key, "-out", self.certificate)

    def _openssl(self, *args):
        subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True)

    def issue(self, name: str, into: Path):
        """into/NAME/{fullchain,privkey}.pem; returns the serial number."""
        folder = into / name
        folder.mkdir(parents=True, exist_ok=True)
        request = self.directory / f"{name}.csr"
        extensions = self.directory / f"{name}.ext"
        extensions.write_text(f"subjectAltName=DNS:{name}\nextendedKeyUsage=serverAuth\n")
        self._openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", f"/CN={name}",
                      "-keyout", folder / "privkey.pem", "-out", request)
        self._openssl("x509", "-req", "-in", request, "-CA", self.certificate, "-CAkey", self.key, "-CAcreateserial",
                      "-days", "30", "-extfile", extensions, "-out", folder / "fullchain.pem")
        return subprocess.run(["openssl", "x509", "-noout", "-serial", "-in", str(folder / "fullchain.pem")],
                              check=True, capture_output=True, text=True).stdout.strip().split("=")[1]


def served_serial(port: int, name: str, ca: Path) -> str:
    context = ssl.create_default_context(cafile=str(ca))
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname=name) as tls:
            der = tls.getpeercert(binary_form=True)
    return subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-serial"], input=der, capture_output=True,
                          check=True).stdout.decode().strip().split("=")[1]


# ------------------------------------------------------------------------------------------------ the peers


class TLSLibrarian(Librarian):
    """The harness's slixmpp librarian, over STARTTLS checked against the site's CA (Prosody requires it)."""

    def __init__(self, *args, ca_file: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.ca_file = ca_file

    def _make_client(self):
        client = super()._make_client()
        client.enable_starttls = True
        client.enable_plaintext = False
        client.ca_certs = self.ca_file
        client.plugin["feature_mechanisms"].unencrypted_plain = False
        return client


def post_webhook(ca: Path, token: str, params: dict) -> int:
    """A text as Twilio sends it: signed over the public URL, over TLS to nginx on sms.library.example.org."""
    signature = RequestValidator(token).compute_signature(PUBLIC_SMS, params)
    body = urllib.parse.urlencode(params)
    context = ssl.create_default_context(cafile=str(ca))
    connection = http.client.HTTPSConnection("sms.library.example.org", 443, context=context, timeout=10)
    connection.sock = context.wrap_socket(socket.create_connection(("127.0.0.1", 443), timeout=10),
                                          server_hostname="sms.library.example.org")
    connection.request("POST", "/refdesk/sms", body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature,
        "Host": "sms.library.example.org", "User-Agent": "TwilioProxy/1.1"})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status


def sms(number: int, sender: str, text: str) -> dict:
    return {"MessageSid": f"SM{number:032x}", "AccountSid": SID, "From": sender, "To": LIBRARY_NUMBER, "Body": text,
            "NumMedia": "0", "NumSegments": "1", "SmsStatus": "received", "ApiVersion": "2010-04-01"}


# ------------------------------------------------------------------------------------------------ the run


class SystemTest:
    def __init__(self, deb_dir: Path):
        self.deb_dir = deb_dir
        self.guide = Guide(DOC)
        self.passed, self.failed = 0, 0
        self.texts = 0
        self.container = None
        self.peers = []

    def step(self, title: str, body):
        say(f"--- {title}")
        started = time.monotonic()
        try:
            body()
        except Exception:
            self.failed += 1
            say(f"FAIL {title} ({time.monotonic() - started:.1f} s)")
            traceback.print_exc(file=sys.stdout)
            raise
        self.passed += 1
        say(f"ok   {title} ({time.monotonic() - started:.1f} s)")

    # --- helpers

    def journal(self, unit: str) -> str:
        return self.container.out(f"journalctl -b -u {unit} --no-pager -o cat")

    def stored_messages(self) -> int:
        return int(self.container.out("sqlite3 /var/lib/refdesk/router.sqlite 'SELECT count(*) FROM messages'").strip())

    def text_reaches_alice_and_reply_reaches_twilio(self, label: str):
        self.texts += 1
        number = 100 + self.texts
        patron = f"+1555123{number:04d}"
        text = f"{label}: text {self.texts}"
        assert post_webhook(self.ca.certificate, self.token, sms(number, patron, text)) == 200, "nginx → refdesk-twilio"
        message = self.alice.wait_message(lambda m: m.body == text, timeout=30)
        reply = f"{label}: reply {self.texts}"
        self.alice.send(message.sender.split("/")[0], reply)
        wait_until(lambda: [c for c in self.twilio.accepted() if c["form"]["Body"] == reply], 30, f"{reply!r} at the Messages API")

    # --- the steps

    def run(self):
        total = time.monotonic()
        try:
            self.step("build the package (the guide's \"Build the package\")", self.build)
            self.step("(test setup) a fresh Debian 12 tree, the site's CA, certificates and DNS names", self.prepare)
            self.step("boot Debian 12 with systemd as PID 1", lambda: say(f"    booted in {self.container.boot():.1f} s"))
            self.step("install the package, Prosody and nginx (\"Install\"); no Swift runtime needed", self.install)
            self.step("certificates, Prosody's component with TLS c2s, refdesk's configuration", self.configure)
            self.step("nginx with TLS in front of the webhooks", lambda: self.guide.run("nginx in front of the webhooks", self.container))
            self.step("systemctl enable --now; all active; live systemd-analyze security <= 2.0", self.start)
            self.step("the first admin, a queue, users and gateways through refdeskctl over HTTPS", self.first_admin)
            self.step("firewall rules for the admin API; metrics, health and the first log line", self.check)
            self.step("a signed webhook through nginx TLS → router → librarian over STARTTLS → reply → Messages API", self.sms_round_trip)
            self.step("an AIM round trip through the OSCAR test server", self.aim_round_trip)
            self.step("watchdog: a SIGSTOPped router is killed and restarted (Result=watchdog), nothing lost", self.watchdog)
            self.step("systemctl restart of each unit keeps every message", self.restarts)
            self.step("a fresh boot: /run/refdesk is refdesk's, a bridge starts first and socket-activates the router", self.reboot_bridge_first)
            self.step("backup while running, then restore (\"Backups\", \"Restore\")", self.backup_restore)
            self.step("a lost admin password (\"A lost admin password\")", self.lost_password)
            self.step("certificate renewal (\"Certificate renewal\")", self.renewal)
            self.step("a package upgrade keeps the changed conffiles, the data and running units", self.upgrade)
            self.step("every command block of docs/operations.md ran", self.all_blocks_ran)
        except Exception:
            pass
        finally:
            self.tear_down()
        say(f"system test took {time.monotonic() - total:.0f} s")
        say(f"system test: {self.passed} passed, {self.failed} failed")
        return 0 if self.failed == 0 else 1

    def build(self):
        output = self.guide.run("Build the package")
        say("\n".join("    " + line for line in output.strip().splitlines()[-12:]))
        packages = sorted(self.deb_dir.glob("refdesk_*_amd64.deb"), key=lambda p: p.stat().st_mtime)
        assert packages, f"no package in {self.deb_dir}"
        self.package = packages[-1]

    def prepare(self):
        busy = [port for port in PORTS if socket.socket().connect_ex(("127.0.0.1", port)) == 0]
        assert not busy, f"ports the container's services need are in use on this machine: {busy}"
        base = base_rootfs()
        self.rootfs = CACHE / "rootfs"
        if self.rootfs.exists():
            subprocess.run(["rm", "-rf", "--one-file-system", str(self.rootfs)], check=True)
        subprocess.run(["cp", "-a", "--reflink=auto", str(base), str(self.rootfs)], check=True)
        with open(self.rootfs / "etc/hosts", "a") as hosts:
            hosts.write("127.0.0.1 " + " ".join(NAMES) + "\n")
        self.ca = CertificateAuthority(CACHE / "pki")
        self.live = self.rootfs / "etc/letsencrypt/live"
        for name in NAMES[:3]:
            self.ca.issue(name, self.live)
        shutil.copy(self.ca.certificate, self.rootfs / "usr/local/share/ca-certificates/refdesk-test-ca.crt")
        shutil.copy(self.package, self.rootfs / "root" / self.package.name)
        self.container = Container(self.rootfs, CACHE / "nspawn.log")
        self.twilio = FakeTwilio({}).start()
        self.peers.append(self.twilio.stop)
        self.oscar = OscarServer({DESK: DESK_PASSWORD, PATRON: PATRON_PASSWORD}, im_rate_scale=0.05)
        self.oscar.auth_port = 5190  # the guide's login.oscar.example.org:5190
        self.oscar.start()
        self.peers.append(self.oscar.stop)

    def install(self):
        self.container.out("update-ca-certificates >/dev/null")  # (test setup) the site's private CA is trusted
        self.guide.run("Install", self.container)
        libraries = self.container.out("ldd /usr/bin/refdesk-router /usr/bin/refdesk-twilio /usr/bin/refdesk-aim /usr/bin/refdeskctl")
        assert "not found" not in libraries and "swift" not in libraries.lower(), libraries
        assert not self.container.sh("ls /usr/lib/swift /opt/swift 2>/dev/null").stdout.strip(), "no Swift toolchain on the server"
        say("    ldd: every library found, none of them Swift's")
        for program in ["refdesk-router", "refdesk-twilio", "refdesk-aim", "refdeskctl"]:
            version = self.container.out(f"{program} --version").strip()
            assert re.fullmatch(r"[0-9][0-9A-Za-z.+~-]*", version), version
        assert self.container.sh("systemctl is-active refdesk-router").stdout.strip() != "active", "nothing starts on install"
        owner = self.container.out("stat -c '%U:%G %a' /var/lib/refdesk /run/refdesk").split("\n")
        assert owner[:2] == ["refdesk:refdesk 750", "refdesk:refdesk 750"], owner

    def configure(self):
        self.guide.run("Certificates", self.container)
        self.guide.run("Prosody", self.container)
        self.guide.run("Configure refdesk", self.container)
        self.token = self.container.out("cat /etc/refdesk/twilio-main.token").strip()
        self.twilio.accounts[SID] = self.token
        say(f"    (test setup) api_base → the Messages API stand-in at {self.twilio.base}")
        self.container.out(f"sed -i 's|^api_base = .*|api_base = \"{self.twilio.base}\"|' /etc/refdesk/twilio.toml")
        # A configuration error names the file, the line and the key.
        broken = self.container.sh("sed 's/^log_level = .*/log_level = \"loud\"/' /etc/refdesk/router.toml > /tmp/bad.toml && "
                                   "cp /etc/refdesk/xmpp-component.secret /etc/refdesk/admin.* /tmp/ && refdesk-router -c /tmp/bad.toml --check-config")
        assert broken.returncode == 78 and re.search(r'/tmp/bad\.toml:\d+: key "router\.log_level"', broken.stderr), broken.stderr

    def start(self):
        output = self.guide.run("Start", self.container)
        say("\n".join("    " + line for line in output.strip().splitlines()))
        assert output.split()[:4] == ["active"] * 4, output
        scores = {}
        for unit in UNITS:
            text = self.container.out(f"systemd-analyze security --no-pager {unit}.service")
            scores[unit] = float(re.search(r"Overall exposure level for \S+: (\d+\.\d+)", text).group(1))
        say("    live systemd-analyze security: " + ", ".join(f"{unit} {score}" for unit, score in scores.items()))
        assert all(score <= 2.0 for score in scores.values()), scores
        for unit in UNITS:
            lines = [line for line in self.journal(unit).splitlines() if "thread priority" in line]
            say(f"    {unit}: {len(lines)} thread priority line(s) in the journal" + (f", e.g. {lines[0]}" if lines else ""))

    def first_admin(self):
        output = self.guide.run("The first admin, a queue and its gateways", self.container)
        assert LIBRARY_NUMBER in output and "Ref Desk" in output, output
        self.alice = TLSLibrarian(ALICE, ALICE_PASSWORD, 5222, ca_file=str(self.ca.certificate))
        self.alice.connect(timeout=20)
        self.peers.append(self.alice.disconnect)
        # The queue comes online with its librarian, and its AIM screen name signs on with it.
        wait_until(lambda: self.oscar.is_online(DESK), 30, "the queue to come online (its screen name signs on)")

    def check(self):
        self.guide.run("Firewall the admin API", self.container)
        output = self.guide.run("Check", self.container)
        say("\n".join("    " + line for line in output.strip().splitlines()))
        version = self.container.out("refdesk-router --version").strip()
        assert f'refdesk_build_info{{version="{version}"}} 1' in output, output
        assert f"version={version}" in output, "the first log line names the version"

    def sms_round_trip(self):
        self.text_reaches_alice_and_reply_reaches_twilio("first")
        self.guide.run("Logs", self.container)

    def aim_round_trip(self):
        wait_until(lambda: self.oscar.is_online(DESK), 30, "the library's screen name to sign on")
        self.patron = PatronClient(self.oscar, PATRON, PATRON_PASSWORD, buddies=(DESK,)).sign_on()
        self.patron.send_im("refdesk", "Do you have atlases?")
        message = self.alice.wait_message(lambda m: m.body == "Do you have atlases?", timeout=30)
        self.alice.send(message.sender.split("/")[0], "Yes, on the second floor.")
        sender, text, _ = self.patron.next_message(timeout=30)
        assert (sender, text) == ("refdesk", "Yes, on the second floor."), (sender, text)

    def watchdog(self):
        before = self.stored_messages()
        pid = self.container.out("systemctl show -p MainPID --value refdesk-router").strip()
        self.container.out(f"kill -STOP {pid}")
        wait_until(lambda: self.container.out("systemctl show -p Result --value refdesk-router").strip() == "watchdog"
                   or "watchdog" in self.journal("refdesk-router").lower(), 90, "systemd's watchdog to fire", interval=1)
        wait_until(lambda: self.container.out("systemctl show -p MainPID --value refdesk-router").strip() not in ("0", pid)
                   and self.container.sh("systemctl is-active refdesk-router").stdout.strip() == "active", 60, "the router's restart")
        journal = self.journal("refdesk-router")
        assert "Watchdog timeout" in journal or "watchdog" in journal, journal[-2000:]
        say("    " + next(line for line in journal.splitlines() if "atchdog" in line))
        assert self.stored_messages() >= before
        self.text_reaches_alice_and_reply_reaches_twilio("after the watchdog")

    def restarts(self):
        for unit in ["refdesk-router", "refdesk-twilio", "refdesk-aim", "prosody", "nginx"]:
            before, sessions = self.stored_messages(), self.alice.sessions
            self.container.out(f"systemctl restart {unit}")
            assert self.stored_messages() >= before
            if unit == "prosody":
                self.alice.wait_online(timeout=30, after_sessions=sessions)
            self.text_reaches_alice_and_reply_reaches_twilio(f"after restarting {unit}")

    def reboot_bridge_first(self):
        before, sessions = self.stored_messages(), self.alice.sessions
        # The router's service is not started at boot: only its socket and the bridges are, so a bridge connects first.
        self.container.out("systemctl disable refdesk-router.service")
        say(f"    rebooted in {self.container.reboot():.1f} s")
        assert self.container.out("stat -c '%U:%G %a' /run/refdesk /run/refdesk/router.sock").split("\n")[:2] == \
            ["refdesk:refdesk 750", "refdesk:refdesk 660"]
        wait_until(lambda: self.container.sh("systemctl is-active refdesk-router").stdout.strip() == "active", 60,
                   "a bridge's connection to start the router")
        for unit in ["refdesk-twilio", "refdesk-aim"]:
            log = self.journal(unit)
            assert "Permission denied" not in log and "EACCES" not in log, log
        self.container.out("systemctl enable refdesk-router.service")
        assert self.stored_messages() == before, "a reboot keeps every message"
        self.alice.wait_online(timeout=60, after_sessions=sessions)
        self.text_reaches_alice_and_reply_reaches_twilio("after a reboot")

    def backup_restore(self):
        self.guide.run("Backups", self.container)
        kept = self.stored_messages()
        self.text_reaches_alice_and_reply_reaches_twilio("after the backup")
        assert self.stored_messages() > kept
        self.guide.run("Restore", self.container)
        assert self.stored_messages() == kept, "the restored database is the backup"
        wait_until(lambda: self.container.sh("systemctl is-active refdesk-router").stdout.strip() == "active", 30, "the router")
        self.text_reaches_alice_and_reply_reaches_twilio("after the restore")

    def lost_password(self):
        old = self.container.out("cat /root/refdesk-admin.password")
        self.guide.run("A lost admin password", self.container)
        assert self.container.out("cat /root/refdesk-admin.password") != old
        users = self.container.out("refdeskctl users list")
        assert "rescue" not in users and "admin" in users, users

    def renewal(self):
        serial = self.ca.issue("desk.library.example.org", self.live)
        self.ca.issue("library.example.org", self.live)
        assert served_serial(8443, "desk.library.example.org", self.ca.certificate) != serial
        self.guide.run("Certificate renewal", self.container)
        wait_until(lambda: self.container.sh("refdeskctl presence ask").returncode == 0, 30, "the admin API after the restart")
        assert served_serial(8443, "desk.library.example.org", self.ca.certificate) == serial, "the renewed certificate is served"
        self.alice.wait_online(timeout=30)
        self.text_reaches_alice_and_reply_reaches_twilio("after the renewal")

    def upgrade(self):
        version = self.container.out("refdesk-router --version").strip()
        newer = f"{version}+upgrade1"
        directory = Path(tempfile.mkdtemp(dir=CACHE))
        subprocess.run(["scripts/build-deb.sh", str(self.package_bin()), str(directory)], cwd=ROOT, check=True,
                       env=dict(os.environ, VERSION=newer), stdout=subprocess.DEVNULL)
        self.container.out("rm -f /root/refdesk_*_amd64.deb")
        shutil.copy(next(directory.glob("*.deb")), self.rootfs / "root")
        shutil.rmtree(directory)
        before = self.stored_messages()
        main_pid = self.container.out("systemctl show -p MainPID --value refdesk-router").strip()
        output = self.guide.run("Upgrade and downgrade", self.container)
        assert output.split()[-3:] == ["active"] * 3, output
        assert self.container.out("dpkg-query -W -f '${Version}' refdesk") == newer
        assert self.container.out("systemctl show -p MainPID --value refdesk-router").strip() != main_pid, "restarted"
        assert self.token == self.container.out("cat /etc/refdesk/twilio-main.token").strip()
        assert f'sid = "{SID}"' in self.container.out("cat /etc/refdesk/twilio.toml"), "the changed conffile is kept"
        assert self.twilio.base in self.container.out("cat /etc/refdesk/twilio.toml")
        assert self.stored_messages() == before
        self.alice.wait_online(timeout=30)
        self.text_reaches_alice_and_reply_reaches_twilio("after the upgrade")

    def package_bin(self) -> Path:
        return Path(subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, capture_output=True,
                                   text=True, check=True).stdout.strip())

    def all_blocks_ran(self):
        missing = self.guide.not_run()
        assert not missing, f"command blocks of docs/operations.md the test did not run, under: {missing}"

    def tear_down(self):
        for stop in reversed(self.peers):
            try:
                stop()
            except Exception as error:  # a peer that is already gone is fine
                say(f"    (stopping a peer: {error})")
        if self.container:
            self.container.shutdown()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deb-dir", default=str(ROOT / ".build" / "deb"))
    arguments = parser.parse_args()
    if os.geteuid() != 0:
        say("the system test boots a container with systemd-nspawn and must run as root")
        return 1
    CACHE.mkdir(parents=True, exist_ok=True)
    return SystemTest(Path(arguments.deb_dir).resolve()).run()


if __name__ == "__main__":
    sys.exit(main())
