"""refdesk as a systemd service: the unit files pass `systemd-analyze verify` and rate 2.0 or lower in
`systemd-analyze security`; every daemon speaks sd_notify (READY=1 once serving, WATCHDOG=1 at half of
WATCHDOG_USEC, STOPPING=1 on SIGTERM) and survives MemoryDenyWriteExecute; the router serves bridges on a socket
handed over by socket activation; /metrics and /healthz; `make install` lays out the expected tree; and the demo
starts, reaches a librarian, and stops on Ctrl-C."""
import ctypes
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import BIN, BridgeProcess, RouterProcess, binary, seed_queue_and_gateway, wait_until

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "systemd"
SERVICES = ["refdesk-router.service", "refdesk-twilio.service", "refdesk-aim.service"]
ACCOUNT = "AC" + "0123456789abcdef" * 2
TOKEN = "f00dfeedf00dfeedf00dfeedf00dfeed"
PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN = 65, 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_get(url: str):
    """(status, body) of a GET; error statuses are answers too."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except (urllib.error.URLError, OSError) as error:
        return None, str(error)


class NotifySocket:
    """A datagram socket standing in for systemd's NOTIFY_SOCKET; records (monotonic time, assignment)."""

    def __init__(self, path: Path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.1)
        self.received = []
        self.lock = threading.Lock()
        self.running = True
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        while self.running:
            try:
                data = self.sock.recv(4096)
            except (socket.timeout, OSError):
                continue
            now = time.monotonic()
            with self.lock:
                self.received += [(now, line) for line in data.decode().splitlines() if line]

    def lines(self):
        with self.lock:
            return list(self.received)

    def times(self, assignment: str):
        return [at for at, line in self.lines() if line == assignment]

    def wait_for(self, assignment: str, timeout: float = 15):
        return wait_until(lambda: self.times(assignment), timeout, f"{assignment} on NOTIFY_SOCKET; got {self.lines()}")[0]

    def close(self):
        self.running = False
        self.thread.join(1)
        self.sock.close()


def notify_environment(notify: NotifySocket, watchdog_usec: int = 400_000, **extra) -> dict:
    return dict(os.environ, NOTIFY_SOCKET=str(notify.path), WATCHDOG_USEC=str(watchdog_usec), **extra)


def assert_watchdog_and_stopping(process, notify: NotifySocket, interval: float):
    """WATCHDOG=1 at about `interval` (half of WATCHDOG_USEC), then STOPPING=1 soon after SIGTERM, and exit 0."""
    time.sleep(interval * 8)
    pings = notify.times("WATCHDOG=1")
    assert len(pings) >= 5, f"expected a WATCHDOG=1 every {interval}s, got {len(pings)}: {notify.lines()}"
    gaps = [later - earlier for earlier, later in zip(pings[-6:], pings[-5:])]
    assert all(interval * 0.5 <= gap <= interval * 2 for gap in gaps), f"watchdog gaps {gaps} for interval {interval}"
    sent = time.monotonic()
    process.send_signal(signal.SIGTERM)
    stopping = notify.wait_for("STOPPING=1", 5)
    assert stopping - sent < 2, "STOPPING=1 comes as shutdown begins"
    assert process.wait(15) == 0


def without_mdwe():
    return None


def with_memory_deny_write_execute():
    """What MemoryDenyWriteExecute=yes does, through the kernel's own switch (prctl PR_SET_MDWE, Linux 6.3)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_MDWE)")


def mdwe_supported() -> bool:
    probe = subprocess.run(["python3", "-c", "import ctypes,sys; sys.exit(ctypes.CDLL(None).prctl(65, 1, 0, 0, 0) != 0)"])
    return probe.returncode == 0


# ------------------------------------------------------------------------------------------------ unit files


def units_pointing_at_built_binaries(directory: Path) -> list:
    """Copies of the units whose ExecStart= names the binaries under test (verify checks they exist)."""
    paths = []
    for unit in sorted(UNITS.glob("refdesk-*")):
        target = directory / unit.name
        target.write_text(unit.read_text().replace("/usr/local/bin/", f"{BIN.resolve()}/"))
        paths.append(str(target))
    return paths


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_every_unit_passes_systemd_analyze_verify(workdir):
    units = units_pointing_at_built_binaries(workdir)
    assert {Path(path).name for path in units} == set(SERVICES) | {"refdesk-router.socket"}
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", *units], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout + result.stderr == "", result.stdout + result.stderr


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
@pytest.mark.parametrize("service", SERVICES)
def test_each_service_rates_2_or_lower_in_systemd_analyze_security(service):
    result = subprocess.run(["systemd-analyze", "security", "--offline=yes", str(UNITS / service)],
                            capture_output=True, text=True)
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
    assert match, result.stdout + result.stderr
    score = float(match.group(1))
    print(f"\nsystemd-analyze security {service}: {score}")
    assert score <= 2.0, result.stdout


def test_units_use_notify_watchdog_credentials_and_the_socket():
    router = (UNITS / "refdesk-router.service").read_text()
    socket_unit = (UNITS / "refdesk-router.socket").read_text()
    for service in SERVICES:
        text = (UNITS / service).read_text()
        for line in ("Type=notify", "NotifyAccess=main", "User=refdesk", "StateDirectory=refdesk", "ProtectSystem=strict",
                     "MemoryDenyWriteExecute=yes", "CapabilityBoundingSet=\n", "SystemCallFilter=@system-service"):
            assert line in text, f"{service} lacks {line!r}"
        assert re.search(r"^WatchdogSec=\d+s$", text, re.M), service
        assert "secret" not in re.sub(r"LoadCredential=\S+|#.*", "", text).lower().replace("secret_file", ""), service
    assert "LoadCredential=xmpp-component.secret:" in router
    assert "LoadCredential=twilio-main.token:" in (UNITS / "refdesk-twilio.service").read_text()
    assert "ListenStream=/run/refdesk/router.sock" in socket_unit
    assert "SocketMode=0660" in socket_unit and "SocketGroup=refdesk" in socket_unit


# ------------------------------------------------------------------------------------------------ sd_notify


@pytest.mark.parametrize("restriction", [without_mdwe, with_memory_deny_write_execute], ids=["plain", "mdwe"])
def test_the_router_is_ready_once_serving_feeds_the_watchdog_and_says_stopping(workdir, processes, restriction):
    if restriction is with_memory_deny_write_execute and not mdwe_supported():
        pytest.skip("this kernel has no PR_SET_MDWE")
    router = RouterProcess(workdir)
    notify = NotifySocket(workdir / "notify.sock")
    log = open(router.log, "ab")
    process = subprocess.Popen([binary("refdesk-router"), "-c", str(router.config)], stderr=log, stdin=subprocess.DEVNULL,
                               env=notify_environment(notify), preexec_fn=restriction())
    log.close()
    router.process = process
    processes.append(router)
    ready = notify.wait_for("READY=1")
    assert router.socket.exists(), "READY=1 only once the bridge socket is listening"
    assert any(line.startswith("STATUS=serving bridges") for _, line in notify.lines())
    bridge = BridgeProcess(workdir, router.socket)
    processes.append(bridge)
    bridge.start()
    bridge.wait_event(lambda e: e["event"] == "connected")
    bridge.stop()
    assert ready < time.monotonic()
    assert_watchdog_and_stopping(process, notify, 0.2)
    notify.close()


def write_twilio_config(workdir: Path, router_socket: Path, port: int, api: str = "http://127.0.0.1:9") -> Path:
    credentials = workdir / "credentials"
    credentials.mkdir(exist_ok=True)
    (credentials / "twilio-main.token").write_text(TOKEN + "\n")
    config = workdir / "twilio.toml"
    config.write_text(
        f'[bridge]\nrouter_socket = "{router_socket}"\nspool = "{workdir / "twilio-spool.sqlite"}"\nlog_level = "debug"\n'
        f'[twilio]\nlisten = "127.0.0.1:{port}"\npublic_url = "https://sms.library.example/refdesk"\napi_base = "{api}"\n'
        f'[[twilio.account]]\nsid = "{ACCOUNT}"\nauth_token_file = "twilio-main.token"\n')
    return config


@pytest.mark.parametrize("restriction", [without_mdwe, with_memory_deny_write_execute], ids=["plain", "mdwe"])
def test_the_twilio_bridge_is_ready_once_its_webhook_listener_is_up(workdir, processes, restriction):
    if restriction is with_memory_deny_write_execute and not mdwe_supported():
        pytest.skip("this kernel has no PR_SET_MDWE")
    router = RouterProcess(workdir)
    processes.append(router)
    seed_queue_and_gateway(router, gateway_protocol="twilio")
    router.seed(f"UPDATE gateways SET secret = '{ACCOUNT}' WHERE id = 1;")
    router.start()
    port = free_port()
    config = write_twilio_config(workdir, router.socket, port)
    notify = NotifySocket(workdir / "notify.sock")
    log = open(workdir / "twilio.log", "ab")
    process = subprocess.Popen([binary("refdesk-twilio"), "-c", str(config)], stderr=log, stdin=subprocess.DEVNULL,
                               env=notify_environment(notify, CREDENTIALS_DIRECTORY=str(workdir / "credentials")),
                               preexec_fn=restriction())
    log.close()
    try:
        notify.wait_for("READY=1")
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            pass  # READY=1 came after the listener was bound
        wait_until(lambda: http_get(f"http://127.0.0.1:{port}/healthz")[0] == 200, 10, "the bridge to reach the router")
        status, body = http_get(f"http://127.0.0.1:{port}/metrics")
        assert status == 200 and "refdesk_router_connected 1" in body
        assert_watchdog_and_stopping(process, notify, 0.2)
    finally:
        if process.poll() is None:
            process.kill()
        notify.close()


@pytest.mark.parametrize("restriction", [without_mdwe, with_memory_deny_write_execute], ids=["plain", "mdwe"])
def test_the_aim_bridge_is_ready_once_connected_to_the_router(workdir, processes, restriction):
    if restriction is with_memory_deny_write_execute and not mdwe_supported():
        pytest.skip("this kernel has no PR_SET_MDWE")
    router = RouterProcess(workdir)
    processes.append(router)
    metrics_port = free_port()
    config = workdir / "aim.toml"
    config.write_text(f'[bridge]\nrouter_socket = "{router.socket}"\nspool = "{workdir / "aim-spool.sqlite"}"\n'
                      f'[aim]\nserver = "127.0.0.1:9"\nmetrics_listen = "127.0.0.1:{metrics_port}"\n')
    notify = NotifySocket(workdir / "notify.sock")
    log = open(workdir / "aim.log", "ab")
    process = subprocess.Popen([binary("refdesk-aim"), "-c", str(config)], stderr=log, stdin=subprocess.DEVNULL,
                               env=notify_environment(notify), preexec_fn=restriction())
    log.close()
    try:
        wait_until(lambda: http_get(f"http://127.0.0.1:{metrics_port}/healthz")[0] == 503, 10, "the bridge's /healthz")
        assert not notify.times("READY=1"), "no READY=1 before the router is there"
        status, body = http_get(f"http://127.0.0.1:{metrics_port}/healthz")
        assert json.loads(body)["checks"][0]["name"] == "router"
        router.start()
        notify.wait_for("READY=1", 20)
        assert http_get(f"http://127.0.0.1:{metrics_port}/healthz")[0] == 200
        assert_watchdog_and_stopping(process, notify, 0.2)
    finally:
        if process.poll() is None:
            process.kill()
        notify.close()


# ------------------------------------------------------------------------------------------------ socket activation


@pytest.mark.skipif(shutil.which("systemd-socket-activate") is None, reason="systemd-socket-activate is not installed")
def test_the_router_serves_bridges_on_a_socket_handed_over_by_socket_activation(workdir, processes):
    router = RouterProcess(workdir)
    activated = workdir / "activated.sock"
    log = open(router.log, "ab")
    process = subprocess.Popen(["systemd-socket-activate", "-l", str(activated), binary("refdesk-router"), "-c", str(router.config)],
                               stderr=log, stdin=subprocess.DEVNULL)
    log.close()
    router.process = process
    processes.append(router)
    wait_until(lambda: activated.exists(), 10, "systemd-socket-activate to listen")
    bridge = BridgeProcess(workdir, activated)
    processes.append(bridge)
    bridge.start()
    bridge.wait_event(lambda e: e["event"] == "connected", 15)
    assert not router.socket.exists(), "the router used the inherited socket instead of binding its own path"
    bridge.stop()
    process.send_signal(signal.SIGTERM)
    assert process.wait(15) == 0
    assert activated.exists(), "the router does not unlink a socket it did not create"


# ------------------------------------------------------------------------------------------------ metrics


def test_router_metrics_count_messages_and_healthz_is_503_while_xmpp_is_down(workdir, processes):
    port = free_port()
    closed = free_port()
    router = RouterProcess(workdir, extra_config=f'[xmpp]\nserver = "127.0.0.1:{closed}"\ndomain = "refdesk.localhost"\nsecret = "s"\n')
    router.config.write_text(router.config.read_text().replace("[router]\n", f'[router]\nmetrics_listen = "127.0.0.1:{port}"\n', 1))
    processes.append(router)
    seed_queue_and_gateway(router)
    router.start()
    status, body = http_get(f"http://127.0.0.1:{port}/healthz")
    assert status == 503
    assert {"name": "xmpp", "healthy": False} == {k: v for k, v in json.loads(body)["checks"][0].items() if k != "detail"}
    bridge = BridgeProcess(workdir, router.socket)
    processes.append(bridge)
    bridge.start()
    bridge.wait_event(lambda e: e["event"] == "connected")
    bridge.send({"op": "receive", "id": "m-1", "gateway": 1, "from": "+15551234567", "body": "hello"})
    wait_until(lambda: 'refdesk_messages_in_total{protocol="test",gateway="1"} 1' in http_get(f"http://127.0.0.1:{port}/metrics")[1],
               10, "the message to be counted")
    status, metrics = http_get(f"http://127.0.0.1:{port}/metrics")
    assert status == 200
    for line in ('refdesk_queue_online{queue="ask"} 0', 'refdesk_offline_inbox_depth{queue="ask"} 1',
                 'refdesk_bridge_connections{protocol="test"} 1', "refdesk_xmpp_connected 0",
                 'refdesk_messages_out_total{protocol="test",gateway="1"} 1'):
        assert line + "\n" in metrics, f"{line!r} missing from\n{metrics}"
    assert http_get(f"http://127.0.0.1:{port}/other")[0] == 404
    bridge.stop()
    assert router.stop() == 0


def test_a_bad_metrics_address_is_a_configuration_error(workdir):
    router = RouterProcess(workdir)
    router.config.write_text(router.config.read_text().replace("[router]\n", '[router]\nmetrics_listen = "9464"\n', 1))
    result = subprocess.run([binary("refdesk-router"), "-c", str(router.config), "--check-config"], capture_output=True, text=True)
    assert result.returncode == 78
    line = router.config.read_text().splitlines().index('metrics_listen = "9464"') + 1
    assert f'{router.config}:{line}: key "router.metrics_listen": expected host:port' in result.stderr


# ------------------------------------------------------------------------------------------------ install


def test_make_install_with_destdir_lays_out_the_tree_and_keeps_existing_configs(workdir):
    stage = workdir / "stage"
    (stage / "etc/refdesk").mkdir(parents=True)
    (stage / "etc/refdesk/router.toml").write_text("# the site's own\n")
    result = subprocess.run(["make", "-s", "install", f"DESTDIR={stage}", f"INSTALL_BIN={BIN.resolve()}"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    expected = ["usr/local/bin/refdesk-router", "usr/local/bin/refdesk-twilio", "usr/local/bin/refdesk-aim",
                "usr/local/lib/systemd/system/refdesk-router.service", "usr/local/lib/systemd/system/refdesk-router.socket",
                "usr/local/lib/systemd/system/refdesk-twilio.service", "usr/local/lib/systemd/system/refdesk-aim.service",
                "usr/local/lib/sysusers.d/refdesk.conf", "usr/local/share/man/man8/refdesk-router.8",
                "usr/local/share/man/man8/refdesk-twilio.8", "usr/local/share/man/man8/refdesk-aim.8",
                "usr/local/share/doc/refdesk/operations.md", "etc/refdesk/router.toml", "etc/refdesk/twilio.toml",
                "etc/refdesk/aim.toml", "etc/refdesk/router.toml.example", "usr/local/bin/refdeskctl",
                "usr/local/share/man/man1/refdeskctl.1", "usr/local/share/bash-completion/completions/refdeskctl",
                "usr/local/lib/tmpfiles.d/refdesk.conf"]
    for path in expected:
        assert (stage / path).is_file(), f"{path} not installed"
    assert os.access(stage / "usr/local/bin/refdesk-router", os.X_OK)
    assert (stage / "etc/refdesk/router.toml").read_text() == "# the site's own\n", "an existing config is kept"
    assert "ExecStart=/usr/local/bin/refdesk-twilio " in (stage / "usr/local/lib/systemd/system/refdesk-twilio.service").read_text()
    man = (stage / "usr/local/share/man/man8/refdesk-aim.8").read_text()
    assert man.startswith(".TH REFDESK-AIM 8") and "--check-config" in man
    version = subprocess.run([binary("refdesk-aim"), "--version"], capture_output=True, text=True).stdout.strip()
    for section in (".SH EXIT STATUS", ".SH ENVIRONMENT", ".SH FILES", f"refdesk {version}"):
        assert section in man, f"the man page lacks {section!r}"
    assert "d /run/refdesk 0750 refdesk refdesk" in (stage / "usr/local/lib/tmpfiles.d/refdesk.conf").read_text()
    result = subprocess.run(["make", "-s", "uninstall", f"DESTDIR={stage}"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (stage / "usr/local/bin/refdesk-router").exists()
    assert not (stage / "usr/local/lib/systemd/system/refdesk-router.socket").exists()
    assert not (stage / "usr/local/bin/refdeskctl").exists()
    assert (stage / "etc/refdesk/twilio.toml").exists(), "uninstall keeps the configuration"


# ------------------------------------------------------------------------------------------------ the demo


def test_the_demo_starts_prints_how_to_connect_delivers_a_text_to_the_librarian_and_stops_on_ctrl_c(workdir):
    from xmpp_harness import Librarian

    demo_dir = workdir / "demo"
    environment = dict(os.environ, REFDESK_BIN=str(BIN.resolve()), DEMO_DIR=str(demo_dir))
    demo = subprocess.Popen([str(ROOT / "scripts/demo.sh")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=environment, stdin=subprocess.DEVNULL)
    printed = []
    reader = threading.Thread(target=lambda: printed.extend(demo.stdout), daemon=True)
    reader.start()
    librarian = None
    try:
        wait_until(lambda: any("Ctrl-C stops the demo." in line for line in printed) or demo.poll() is not None, 120,
                   "the demo's instructions")
        text = "".join(printed)
        assert demo.poll() is None, text
        jid = re.search(r"JID\s+(\S+)", text).group(1)
        password = re.search(r"password\s+(\S+)", text).group(1)
        port = int(re.search(r"server\s+127\.0\.0\.1\s+port (\d+)", text).group(1))
        command = re.search(r"^\s+(\S+python\S* scripts/demo_send\.py sms) ", text, re.M).group(1).split()
        librarian = Librarian(jid, password, port).connect()
        wait_until(lambda: "refdesk_queue_online{queue=\"ask\"} 1" in
                   http_get(re.search(r"curl (http://127.0.0.1:\d+/metrics)", text).group(1))[1], 20, "queue ask to go online")
        sent = subprocess.run(command + ["Is the library open on Sunday?"], cwd=ROOT, env=environment,
                              capture_output=True, text=True, timeout=30)
        assert sent.returncode == 0 and "webhook answered 200" in sent.stdout, sent.stdout + sent.stderr
        message = librarian.wait_message(lambda m: "Is the library open on Sunday?" in m.body, timeout=20)
        assert message.sender.startswith("+15551234567@")
    finally:
        if librarian:
            librarian.disconnect()
        demo.send_signal(signal.SIGINT)
        try:
            code = demo.wait(60)
        except subprocess.TimeoutExpired:
            demo.kill()
            raise
    reader.join(5)
    assert code == 130
    assert "refdesk demo stopped" in "".join(printed)
    leftover = subprocess.run(["pgrep", "-f", str(demo_dir)], capture_output=True, text=True).stdout.split()
    assert leftover == [], "Ctrl-C stops every process the demo started"
