"""The site's XMPP server and its librarians, for integration tests: a real Prosody on 127.0.0.1 with its own
config and data directory, real slixmpp clients as librarians, and a minimal raw XEP-0114 component.

What the server looks like (the same shape as a site's Prosody):
- `VirtualHost "localhost"`: the library's own staff accounts (`alice@localhost`).
- `VirtualHost "external.localhost"`: stands for another server where a librarian has an "external" account
  (`bob@external.localhost`). Both hosts live in the same Prosody, so no server-to-server link is needed
  (s2s is disabled).
- `Component "refdesk.localhost"` with `component_secret`: the domain the router owns over XEP-0114.
- c2s and component ports on 127.0.0.1 only, free ports chosen once per `ProsodyServer` (kept across restarts),
  no TLS (c2s_require_encryption = false, PLAIN allowed unencrypted), no in-band registration, accounts made with
  `prosodyctl register` against the same config. Prosody never reads /etc/prosody: everything is under
  `workdir/prosody/` (config, data, pidfile, prosody.log).

How other tests use it:

    from xmpp_harness import prosody, librarians, ProsodyServer, Librarian, RawComponent  # noqa: F401 (fixtures)

    def test_something(workdir, prosody, librarians):
        alice = librarians("alice@localhost")            # account created, connected, initial presence sent
        bob = librarians("bob@external.localhost", show="away")
        # the router under test connects as the component:
        #   host 127.0.0.1, port prosody.component_port, domain prosody.component_domain,
        #   secret prosody.component_secret
        alice.send("someone@refdesk.localhost", "hello")
        sender, body = bob.wait_message(lambda m: m.body == "hi", timeout=5)
        sessions = alice.sessions
        prosody.restart()                                 # or prosody.kill(); prosody.start()
        alice.wait_online(after_sessions=sessions)        # librarians reconnect by themselves

Importing the fixture functions (`prosody`, `librarians`) into a test module makes pytest use them; `workdir`
comes from conftest.py. Teardown disconnects every librarian, then stops Prosody (SIGKILL if it does not stop
within 10 s) and checks that nothing is left listening on its ports.

`Librarian` runs slixmpp in its own thread with its own asyncio loop; every public method is synchronous, safe
to call from the test thread, and every wait has a timeout and fails with what was seen so far. Received
messages are in `librarian.messages` (each unpacks as `(sender, body)`), presences in `librarian.presences`.
A Librarian made by hand (not by the fixture) must be `disconnect()`ed, also after a failed `connect()`.

`RawComponent` is only for checking the server's component setup; the router is the real component.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Callable, Optional

import pytest

from conftest import wait_until

PROSODY = shutil.which("prosody") or "/usr/bin/prosody"
PROSODYCTL = shutil.which("prosodyctl") or "/usr/bin/prosodyctl"

DEFAULT_PASSWORD = "librarian-password"
DEFAULT_COMPONENT_SECRET = "refdesk-component-secret"


class HarnessError(AssertionError):
    """A harness step failed; the message says which step, against what, and what was seen."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_accepts(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def c2s_stream_answers(port: int, domain: str, host: str = "127.0.0.1") -> bool:
    """True when the server answers a client stream header with stream features: its main loop is running (a
    listening socket alone accepts connections before that, and Prosody sets its SIGTERM handler only from the
    main loop)."""
    try:
        with socket.create_connection((host, port), timeout=1) as sock:
            sock.sendall(f"<?xml version='1.0'?><stream:stream to='{domain}' xmlns='jabber:client' "
                         f"xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>".encode())
            received = b""
            while b"</stream:features>" not in received and b"<stream:features/>" not in received:
                chunk = sock.recv(4096)
                if not chunk:
                    return False
                received += chunk
            sock.sendall(b"</stream:stream>")
            return True
    except OSError:
        return False


def split_jid(jid: str) -> tuple[str, str]:
    local, at, domain = jid.partition("@")
    if not at or not local or not domain or "/" in domain:
        raise ValueError(f"expected a bare JID user@domain, got {jid!r}")
    return local, domain


def lua_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


# --------------------------------------------------------------------------------------------------- Prosody


class ProsodyServer:
    """A Prosody process with its config, data, pidfile and log under `workdir/prosody/`.

    Ports are picked at construction (or given) and stay the same across `restart()`, so clients and the router
    can reconnect to the same address, as they would to a site's server."""

    domain = "localhost"
    external_domain = "external.localhost"

    def __init__(self, workdir: Path, c2s_port: Optional[int] = None, component_port: Optional[int] = None,
                 component_domain: str = "refdesk.localhost", component_secret: str = DEFAULT_COMPONENT_SECRET,
                 extra_global_config: str = ""):
        self.root = Path(workdir) / "prosody"
        self.data = self.root / "data"
        self.config = self.root / "prosody.cfg.lua"
        self.log = self.root / "prosody.log"
        self.console = self.root / "prosody.console"
        self.pidfile = self.root / "prosody.pid"
        self.c2s_port = c2s_port or free_port()
        self.component_port = component_port or free_port()
        while self.component_port == self.c2s_port:
            self.component_port = free_port()
        self.component_domain = component_domain
        self.component_secret = component_secret
        self.process: Optional[subprocess.Popen] = None
        for directory in (self.root, self.data, self.root / "certs", self.root / "plugins"):
            directory.mkdir(parents=True, exist_ok=True)
        self.config.write_text(self._config_text(extra_global_config))

    def _config_text(self, extra: str) -> str:
        root = self.root
        return f"""-- Written by the refdesk test harness: a loopback-only Prosody with its own data directory.
run_as_root = true
daemonize = false
pidfile = {lua_string(str(self.pidfile))}
data_path = {lua_string(str(self.data))}
certificates = {lua_string(str(root / "certs"))}
installer_plugin_path = {lua_string(str(root / "plugins"))}
log = {{ debug = {lua_string(str(self.log))} }}

interfaces = {{ "127.0.0.1" }}
local_interfaces = {{ "127.0.0.1" }}
c2s_ports = {{ {self.c2s_port} }}
c2s_interfaces = {{ "127.0.0.1" }}
c2s_direct_tls_ports = {{ }}
legacy_ssl_ports = {{ }}
component_ports = {{ {self.component_port} }}
component_interfaces = {{ "127.0.0.1" }}

modules_enabled = {{ "roster", "saslauth", "disco", "ping", "time", "version", "uptime" }}
modules_disabled = {{ "s2s", "s2s_auth_certs" }}

allow_registration = false
authentication = "internal_plain"
storage = "internal"
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
{extra}
VirtualHost "{self.domain}"
VirtualHost "{self.external_domain}"

Component {lua_string(self.component_domain)}
    component_secret = {lua_string(self.component_secret)}
"""

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = 10):
        """Spawns Prosody in the foreground and returns once both ports accept and every host is active."""
        if self.running:
            raise HarnessError("Prosody is already running")
        for port in (self.c2s_port, self.component_port):
            if port_accepts(port):
                raise HarnessError(f"port {port} on 127.0.0.1 is already taken by another process")
        mark = len(self.log_text())
        with open(self.console, "ab") as console:
            self.process = subprocess.Popen([PROSODY, "-F", "--config", str(self.config)],
                                            stdin=subprocess.DEVNULL, stdout=console, stderr=console,
                                            start_new_session=True)
        hosts = (self.domain, self.external_domain, self.component_domain)

        def ready():
            if self.process.poll() is not None:
                return True
            started = self.log_text()[mark:]
            return (all(f"Activated host: {host}" in started for host in hosts)
                    and port_accepts(self.component_port) and c2s_stream_answers(self.c2s_port, self.domain))

        try:
            wait_until(ready, timeout, "Prosody to listen")
        except AssertionError:
            self.kill()
            raise HarnessError(f"Prosody did not become ready within {timeout}s:\n{self.diagnostics()}") from None
        if self.process.poll() is not None:
            code = self.process.returncode
            self.process = None
            raise HarnessError(f"Prosody exited with status {code} while starting:\n{self.diagnostics()}")

    def stop(self, timeout: float = 10) -> int:
        """SIGTERM and wait (Prosody closes client and component streams with system-shutdown). Returns the exit
        status; SIGKILLs and fails if Prosody does not exit in time."""
        if self.process is None:
            return 0
        process = self.process
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise HarnessError(f"Prosody did not stop within {timeout}s of SIGTERM; killed it") from None
        self.process = None
        self._wait_ports_closed()
        return process.returncode

    def kill(self):
        """SIGKILL: the server vanishes without closing any stream, as in a crash."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self.process = None
        self._wait_ports_closed()

    def restart(self, timeout: float = 10):
        self.stop(timeout)
        self.start(timeout)

    def _wait_ports_closed(self):
        wait_until(lambda: not port_accepts(self.c2s_port) and not port_accepts(self.component_port), 5,
                   f"Prosody's ports {self.c2s_port} and {self.component_port} to close")

    def prosodyctl(self, *args: str) -> subprocess.CompletedProcess:
        result = subprocess.run([PROSODYCTL, "--config", str(self.config), *args], stdin=subprocess.DEVNULL,
                                capture_output=True, text=True, timeout=30)
        if result.returncode != 0:
            raise HarnessError(f"prosodyctl {' '.join(args[:3])} failed with status {result.returncode}: "
                               f"{(result.stdout + result.stderr).strip()}")
        return result

    def create_user(self, jid: str, password: str = DEFAULT_PASSWORD):
        """Creates (or resets the password of) an account; works whether or not Prosody is running."""
        local, domain = split_jid(jid)
        if domain not in (self.domain, self.external_domain):
            raise ValueError(f"{jid}: accounts live on {self.domain} or {self.external_domain}")
        self.prosodyctl("register", local, domain, password)

    def user_exists(self, jid: str) -> bool:
        local, domain = split_jid(jid)
        return (self.data / domain.replace(".", "%2e") / "accounts" / f"{local}.dat").exists()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def diagnostics(self) -> str:
        console = self.console.read_text(errors="replace") if self.console.exists() else ""
        return f"--- console ---\n{console[-2000:]}\n--- prosody.log ---\n{self.log_text()[-4000:]}"


# --------------------------------------------------------------------------------------------------- Librarians


class ReceivedMessage(tuple):
    """A message a librarian received; unpacks as `(sender, body)`. `sender` is the full JID as sent by the
    server; `.bare` is it without resource, `.type` the message type, `.xml` the stanza."""

    def __new__(cls, sender: str, body: str, type: str, xml: str):
        self = super().__new__(cls, (sender, body))
        self.type = type
        self.xml = xml
        return self

    sender = property(lambda self: self[0])
    body = property(lambda self: self[1])
    bare = property(lambda self: self[0].split("/", 1)[0])


class ReceivedPresence:
    """A presence stanza a librarian received. `type` is the stanza's type attribute, or "available"."""

    def __init__(self, sender: str, type: str, show: str, status: str, xml: str):
        self.sender, self.type, self.show, self.status, self.xml = sender, type, show, status, xml

    @property
    def bare(self) -> str:
        return self.sender.split("/", 1)[0]

    def __repr__(self):
        return f"ReceivedPresence({self.sender!r}, {self.type!r}, show={self.show!r}, status={self.status!r})"


class LibrarianError(HarnessError):
    pass


class Librarian:
    """A librarian's XMPP client (slixmpp) on 127.0.0.1:`port`, plain TCP, no TLS.

    Accepts every presence subscription request and subscribes back (auto_authorize / auto_subscribe), as the
    router's component expects. After an unexpected disconnect (Prosody stopped or killed) it reconnects by
    itself once the c2s port accepts again, and re-sends the presence last set (see `wait_online`)."""

    def __init__(self, jid: str, password: str, port: int, host: str = "127.0.0.1", resource: str = "desk",
                 reconnect: bool = True, receipts: bool = False, answer_receipts: bool = True, approves: bool = True):
        """`receipts`: record the receipts others send for `send_with_receipt` (XEP-0184) and, unless
        `answer_receipts` is False, answer delivery-receipt requests as most current clients do. `approves=False`:
        leave subscription requests unanswered, like a person who has not clicked "approve" yet (then
        `approve(jid)`)."""
        split_jid(jid)
        self.receipts = receipts
        self.answer_receipts = answer_receipts
        self.approves = approves
        self.confirmed: set[str] = set()
        self.jid, self.password, self.port, self.host = jid, password, port, host
        self.resource = resource
        self.reconnect = reconnect
        self.messages: list[ReceivedMessage] = []
        self.presences: list[ReceivedPresence] = []
        self.sessions = 0
        self.online = False
        self._taken: set[int] = set()
        self._presence_cursor = 0
        self._condition = threading.Condition()
        self._presence = {"ptype": None, "pshow": None, "pstatus": None}
        self._closing = False
        self._failure: Optional[str] = None
        self._last_connect_error: Optional[str] = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._thread: Optional[threading.Thread] = None
        self._client = None
        self._reconnect_task = None
        self.log = logging.getLogger(f"librarian.{jid}")

    # --- the loop thread

    def _start_thread(self):
        ready = threading.Event()

        def run():
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
            ready.set()
            try:
                self._loop.run_forever()
            finally:
                self._shut_down_loop()

        self._thread = threading.Thread(target=run, name=f"librarian {self.jid}", daemon=True)
        self._thread.start()
        ready.wait(5)

    def _shut_down_loop(self):
        """Cancels what slixmpp left running, so nothing touches the loop after it is closed (slixmpp's stream
        cancels its send-filter task in __del__, which would otherwise run against a closed loop)."""
        loop = self._loop
        tasks = asyncio.all_tasks(loop)
        for task in tasks:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        if self._client is not None:
            self._client._run_out_filters = None
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()

    def _run(self, function: Callable, timeout: float = 10):
        """Runs `function()` (which may return a coroutine) on the client's loop and returns its result."""
        if self._loop is None or not self._thread.is_alive():
            raise LibrarianError(f"{self.jid} is not connected (call connect() first)")

        async def call():
            result = function()
            if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
                result = await result
            return result

        future = asyncio.run_coroutine_threadsafe(call(), self._loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise LibrarianError(f"{self.jid}: a client operation did not finish within {timeout}s") from None

    def _make_client(self):
        import slixmpp  # imported here so that modules using only ProsodyServer don't need it

        client = slixmpp.ClientXMPP(f"{self.jid}/{self.resource}", self.password)
        client.enable_direct_tls = False
        client.enable_starttls = False
        client.enable_plaintext = True
        client.auto_authorize = True if self.approves else None
        client.auto_subscribe = self.approves
        client.register_plugin("xep_0030")  # service discovery: the router may disco librarians
        client.register_plugin("xep_0199", {"keepalive": False})  # answers pings
        if self.receipts:
            client.register_plugin("xep_0184", {"auto_ack": self.answer_receipts, "auto_request": False})
            client.add_event_handler("receipt_received", self._on_receipt)
        client.plugin["feature_mechanisms"].unencrypted_plain = True
        client.add_event_handler("session_start", self._on_session_start)
        client.register_plugin("xep_0085")  # chat states: a bodiless <composing/> is not a "message" event
        client.add_event_handler("message", self._on_message)
        client.add_event_handler("chatstate", self._on_chat_state)
        client.add_event_handler("presence", self._on_presence)
        client.add_event_handler("disconnected", self._on_disconnected)
        client.add_event_handler("connection_failed", self._on_connection_failed)
        client.add_event_handler("failed_all_auth", self._on_failed_auth)
        client.add_event_handler("stream_error", self._on_stream_error)
        return client

    async def _on_session_start(self, _event):
        try:
            await self._client.get_roster(timeout=5)
        except Exception as error:  # the session is still usable; presence is what matters
            self.log.warning("roster request failed: %s", error)
        self._send_current_presence()
        with self._condition:
            self.sessions += 1
            self.online = True
            self._condition.notify_all()

    def _send_current_presence(self):
        presence = {key: value for key, value in self._presence.items() if value is not None}
        self._client.send_presence(**presence)

    def _on_receipt(self, message):
        received = message.xml.find("{urn:xmpp:receipts}received")
        if received is not None and received.get("id"):
            with self._condition:
                self.confirmed.add(received.get("id"))
                self._condition.notify_all()

    def _on_message(self, message):
        body = message["body"] or ""
        entry = ReceivedMessage(str(message["from"]), body, message["type"], str(message))
        with self._condition:
            self.messages.append(entry)
            self._condition.notify_all()

    def _on_chat_state(self, message):
        if not message["body"]:  # one with a body was recorded as a message already
            self._on_message(message)

    def _on_presence(self, presence):
        entry = ReceivedPresence(str(presence["from"]), presence.xml.get("type") or "available",
                                 presence["show"] or "", presence["status"] or "", str(presence))
        with self._condition:
            self.presences.append(entry)
            self._condition.notify_all()

    def _on_connection_failed(self, error):
        if isinstance(error, OSError) and error.errno:
            error = f"{os.strerror(error.errno)} ({error})"
        with self._condition:
            self._last_connect_error = str(error)
            self._condition.notify_all()

    def _on_failed_auth(self, _event):
        with self._condition:
            self._failure = f"the server rejected the password for {self.jid}"
            self._condition.notify_all()

    def _on_stream_error(self, error):
        with self._condition:
            self._last_connect_error = f"stream error {error['condition']}: {error['text']}"
            self._condition.notify_all()

    def _on_disconnected(self, _reason):
        with self._condition:
            self.online = False
            self._condition.notify_all()
        pending = self._reconnect_task is not None and not self._reconnect_task.done()
        if self.sessions > 0 and self.reconnect and not pending and not self._closing and self._failure is None:
            self._reconnect_task = asyncio.ensure_future(self._reconnect_when_server_is_back())

    async def _reconnect_when_server_is_back(self):
        while not self._closing:
            try:
                _, writer = await asyncio.wait_for(asyncio.open_connection(self.host, self.port), 1)
                writer.close()
                break
            except (OSError, asyncio.TimeoutError):
                await asyncio.sleep(0.1)
        if not self._closing:
            self.log.info("c2s port accepts again; reconnecting")
            self._client.connect(self.host, self.port)

    # --- public API

    def connect(self, timeout: float = 10) -> "Librarian":
        """Connects, authenticates, fetches the roster and sends the current presence. Raises LibrarianError
        saying why when the port refuses, the password is wrong, or the session does not start in time."""
        if self._thread is None:
            self._start_thread()
            self._client = self._run(self._make_client)
        with self._condition:
            sessions = self.sessions
            self._failure = None
            self._last_connect_error = None
        self._closing = False

        def start():
            self._client.connect(self.host, self.port)
        self._run(start)
        with self._condition:
            done = self._condition.wait_for(
                lambda: self.sessions > sessions or self._failure is not None
                or (self._last_connect_error is not None and self.sessions == sessions), timeout)
            failure = self._failure or (None if self.sessions > sessions else self._last_connect_error)
        if done and failure is None:
            return self
        self._run(self._client.cancel_connection_attempt)
        self._run(lambda: self._client.disconnect(wait=0.5))
        where = f"{self.host}:{self.port}"
        if failure is None:
            raise LibrarianError(f"{self.jid} could not start a session on {where} within {timeout}s")
        raise LibrarianError(f"{self.jid} could not connect to {where}: {failure}")

    def wait_online(self, timeout: float = 10, after_sessions: Optional[int] = None):
        """Waits until the client has a session (by default any; with `after_sessions`, a newer one than that
        count — use it to wait for a reconnect)."""
        with self._condition:
            if not self._condition.wait_for(
                    lambda: self.online and (after_sessions is None or self.sessions > after_sessions), timeout):
                raise LibrarianError(f"{self.jid} was not back online within {timeout}s "
                                     f"(sessions so far: {self.sessions}, last error: {self._last_connect_error})")

    def wait_offline(self, timeout: float = 10):
        with self._condition:
            if not self._condition.wait_for(lambda: not self.online, timeout):
                raise LibrarianError(f"{self.jid} was still connected after {timeout}s")

    def set_presence(self, show: Optional[str] = None, status: Optional[str] = None, priority: Optional[int] = None):
        """Available presence: show None (plain available), 'chat', 'away', 'xa' or 'dnd', with an optional status.
        Remembered and re-sent after a reconnect."""
        if show not in (None, "chat", "away", "xa", "dnd"):
            raise ValueError(f"show must be None, 'chat', 'away', 'xa' or 'dnd', not {show!r}")
        self._presence = {"ptype": None, "pshow": show, "pstatus": status, "ppriority": priority}
        self._run(self._send_current_presence)

    def go_offline(self, status: Optional[str] = None):
        """Unavailable presence while staying connected (the librarian 'signs off' the desk)."""
        self._presence = {"ptype": "unavailable", "pshow": None, "pstatus": status}
        self._run(self._send_current_presence)

    def approve(self, jid: str):
        """Approves `jid`'s subscription request (a person's click on "approve")."""
        self._run(lambda: self._client.send_presence(pto=jid, ptype="subscribed"))

    def subscribe(self, jid: str):
        """Asks to see `jid`'s presence (a roster subscription request)."""
        self._run(lambda: self._client.send_presence_subscription(pto=jid))

    def subscription(self, jid: str) -> str:
        """The roster subscription state toward `jid`: 'none', 'to', 'from' or 'both'."""
        return self._run(lambda: self._client.client_roster[jid]["subscription"] or "none")

    def send(self, to: str, body: str, type: str = "chat"):
        self._run(lambda: self._client.send_message(mto=to, mbody=body, mtype=type))

    def send_with_receipt(self, to: str, body: str, id: str) -> bool:
        """Sends a chat message with this id, asking for a receipt (XEP-0184); returns False when the client is
        not connected (nothing was sent). Sending again with the same id is how a client retries."""
        if not self.online:
            return False

        def send():
            message = self._client.make_message(mto=to, mbody=body, mtype="chat")
            message["id"] = id
            message["request_receipt"] = True
            message.send()
        try:
            self._run(send, timeout=5)
        except LibrarianError:
            return False
        return True

    def send_raw(self, xml: str):
        self._run(lambda: self._client.send_raw(xml))

    def wait_message(self, predicate: Optional[Callable[[ReceivedMessage], bool]] = None,
                     timeout: float = 10) -> ReceivedMessage:
        """The earliest received message matching `predicate` (default: any with a body) that no earlier
        wait_message returned; messages that arrived before the call count. Unpacks as (sender, body)."""
        predicate = predicate or (lambda message: bool(message.body))
        found: list[ReceivedMessage] = []

        def match():
            for index, message in enumerate(self.messages):
                if index not in self._taken and predicate(message):
                    self._taken.add(index)
                    found.append(message)
                    return True
            return False

        with self._condition:
            if not self._condition.wait_for(match, timeout):
                seen = [tuple(message) for message in self.messages[-10:]]
                raise LibrarianError(f"{self.jid} received no matching message within {timeout}s; "
                                     f"received: {seen}")
        return found[0]

    def wait_presence(self, predicate: Callable[[ReceivedPresence], bool], timeout: float = 10,
                      since: Optional[int] = None) -> ReceivedPresence:
        """The next received presence stanza matching `predicate`: searched from `since` (an index into
        `presences`, e.g. `len(librarian.presences)` taken before acting), by default from just after the one the
        previous wait_presence returned, so consecutive waits follow the order presences arrived in."""
        start = self._presence_cursor if since is None else since
        found: list[ReceivedPresence] = []

        def match():
            for index in range(start, len(self.presences)):
                if predicate(self.presences[index]):
                    self._presence_cursor = index + 1
                    found.append(self.presences[index])
                    return True
            return False

        with self._condition:
            if not self._condition.wait_for(match, timeout):
                raise LibrarianError(f"{self.jid} received no matching presence within {timeout}s; "
                                     f"received: {self.presences[start:][-10:]}")
        return found[0]

    def presence_of(self, jid: str) -> Optional[ReceivedPresence]:
        """The latest presence received from `jid` (bare: from any of its resources), or None."""
        with self._condition:
            for presence in reversed(self.presences):
                if presence.bare == jid or presence.sender == jid:
                    return presence
        return None

    def disconnect(self, timeout: float = 5):
        """Closes the stream (unavailable presence is implied) and stops the client's thread. Idempotent."""
        if self._thread is None:
            return
        self._closing = True
        try:
            if self._thread.is_alive():
                def close():
                    if self._reconnect_task is not None:
                        self._reconnect_task.cancel()
                    self._client.cancel_connection_attempt()
                    return self._client.disconnect(wait=1)
                try:
                    self._run(close, timeout)
                except LibrarianError:
                    self._run(self._client.abort, timeout)
        finally:
            loop = self._loop
            if loop is not None and self._thread.is_alive():
                loop.call_soon_threadsafe(loop.stop)
            self._thread.join(timeout)
            self._thread = None
            self._loop = None
            self.online = False


# --------------------------------------------------------------------------------------------------- component


class ComponentHandshakeError(HarnessError):
    pass


class RawComponent:
    """A bare XEP-0114 component over a socket: enough to prove the component port, domain and secret work and to
    see the raw stanzas Prosody routes to the component's domain."""

    NS = "jabber:component:accept"

    def __init__(self, port: int, domain: str, secret: str, host: str = "127.0.0.1"):
        self.port, self.domain, self.secret, self.host = port, domain, secret, host
        self.sock: Optional[socket.socket] = None
        self.received = ""
        self.stream_id: Optional[str] = None

    def connect(self, timeout: float = 5) -> "RawComponent":
        """Opens the stream and does the handshake (sha1 of stream id + secret, hex). Raises
        ComponentHandshakeError with the server's answer if it is not an empty <handshake/>."""
        try:
            self.sock = socket.create_connection((self.host, self.port), timeout=timeout)
        except OSError as error:
            raise ComponentHandshakeError(f"cannot reach the component port {self.host}:{self.port}: {error}")
        try:
            self._handshake(timeout)
        except BaseException:
            self.sock.close()
            self.sock = None
            raise
        self.received = ""
        return self

    def _handshake(self, timeout: float):
        self.send(f"<stream:stream xmlns='{self.NS}' xmlns:stream='http://etherx.jabber.org/streams' "
                  f"to='{self.domain}'>")
        header = self.wait_for(re.compile(r"<stream:stream[^>]*>"), timeout)
        match = re.search(r"""\bid=['"]([^'"]+)['"]""", header)
        if match is None:
            raise ComponentHandshakeError(f"the server's stream header has no id: {header!r}")
        self.stream_id = match.group(1)
        digest = hashlib.sha1((self.stream_id + self.secret).encode()).hexdigest()
        self.send(f"<handshake>{digest}</handshake>")
        answer = self.wait_for(re.compile(r"<handshake\s*/>|<handshake>\s*</handshake>|</stream:stream>"), timeout,
                               closed_ok=True)
        if "<handshake" not in answer:
            raise ComponentHandshakeError(f"the server refused the handshake for {self.domain}: {answer!r}")

    def send(self, xml: str):
        self.sock.sendall(xml.encode())

    def wait_for(self, pattern, timeout: float = 5, closed_ok: bool = False) -> str:
        """Reads until `pattern` (a substring or compiled regex) appears in what was received; returns everything
        received up to the end of the match and keeps the rest."""
        deadline = time.monotonic() + timeout
        while True:
            match = pattern.search(self.received) if isinstance(pattern, re.Pattern) else None
            end = match.end() if match else (self.received.find(pattern) + len(pattern)
                                             if isinstance(pattern, str) and pattern in self.received else -1)
            if end >= 0:
                consumed, self.received = self.received[:end], self.received[end:]
                return consumed
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise HarnessError(f"component {self.domain} did not receive {pattern!r} within {timeout}s; "
                                   f"received: {self.received[-2000:]!r}")
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                if closed_ok:
                    consumed, self.received = self.received, ""
                    return consumed
                raise HarnessError(f"the server closed the component stream; received: {self.received[-2000:]!r}")
            self.received += chunk.decode(errors="replace")

    def close(self):
        if self.sock is not None:
            try:
                self.send("</stream:stream>")
            except OSError:
                pass
            self.sock.close()
            self.sock = None


# --------------------------------------------------------------------------------------------------- fixtures


@pytest.fixture
def prosody(workdir):
    """A running Prosody in `workdir/prosody`, stopped (or killed) after the test with its ports checked closed."""
    server = ProsodyServer(workdir)
    server.start()
    yield server
    try:
        if server.running:
            server.stop()
    finally:
        server.kill()
    assert not port_accepts(server.c2s_port), f"something still listens on c2s port {server.c2s_port}"


@pytest.fixture
def librarians(prosody):
    """`librarians(jid, password=DEFAULT_PASSWORD, show=None, status=None, connect=True, create=True)`: creates the
    account (unless told not to), connects a Librarian and sets its presence. All are disconnected at teardown."""
    made: list[Librarian] = []

    def make(jid: str, password: str = DEFAULT_PASSWORD, show: Optional[str] = None, status: Optional[str] = None,
             connect: bool = True, create: bool = True, **options) -> Librarian:
        if create:
            prosody.create_user(jid, password)
        librarian = Librarian(jid, password, prosody.c2s_port, **options)
        made.append(librarian)
        if connect:
            librarian.connect()
            if show is not None or status is not None:
                librarian.set_presence(show, status)
        return librarian

    yield make
    for librarian in made:
        librarian.disconnect()
