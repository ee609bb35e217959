"""refdesk's security promises, one test each, against the real daemons:

- a session cookie cannot be forged: a made-up token, a real one altered, one issued by another router, an empty
  one or one carrying CR LF are all refused with 401 on a route that needs a session;
- a session ends at logout and when the user's password changes;
- secrets (the XMPP component secret, the Twilio auth token, an AIM screen name's password, an admin's password,
  a session token) never appear in a daemon's log, in its command line (`ps`), or in an admin API answer, even with
  every daemon logging at debug level;
- a patron's phone number is masked in the logs at `info` level and shown in full only at `debug`.

Which peers may use the bridge socket (SO_PEERCRED against `allowed_users` / `allowed_groups`) is proven in
test_bridge_protocol.py (test_a_peer_not_on_the_allow_list_is_refused, and
test_a_bridge_running_as_another_user_is_refused when run as root) and not repeated here. That every admin route
but login and presence needs a session is test_admin_api.py's
test_every_route_but_login_and_presence_needs_a_session.

The run ends with the line "security checks: N, passed: N"."""
import secrets as random_tokens
import socket
import ssl
import subprocess
from pathlib import Path

import pytest
import requests

from conftest import RouterProcess, report, seed_queue_and_gateway, wait_until
from fake_twilio import FakeTwilio
from oscar_server import OscarServer, PatronClient
from staffing import patron_jid, router_for, seed_desk
from test_admin_api import API, Admin, admin_config, create_user_in_database, free_port
from test_admin_api import certificate, desk  # noqa: F401  (fixtures)
from test_aim_bridge import AIMBridgeProcess
from test_twilio_bridge import ACCOUNT, TOKEN, TwilioBridgeProcess, sms
from xmpp_harness import librarians, prosody  # noqa: F401  (fixtures)

TALLY = {"checks": 0, "passed": 0}

ADMIN_PASSWORD = "correct horse battery"  # the one test_admin_api's `desk` fixture signs in with
DESK, AIM_PASSWORD = "Ref Desk", "aim-Pa55word-kept-secret"
PATRON, PATRON_PASSWORD = "Pat Ron", "patron-secret"


@pytest.fixture(scope="module", autouse=True)
def summary(request):
    """Prints the closing line once every check in this file has run, past output capture."""
    yield
    report(request.config, f"security checks: {TALLY['checks']}, passed: {TALLY['passed']}")


def check(failures: list, what: str, passed: bool, detail: str = ""):
    """Counts one check; a failed one is added to `failures` for the test's final assertion."""
    TALLY["checks"] += 1
    if passed:
        TALLY["passed"] += 1
    else:
        failures.append(f"{what}{': ' + detail if detail else ''}")


def raw_request(port: int, ca_file, data: bytes, timeout: float = 10) -> bytes:
    """Sends `data` as it is over TLS and returns the response's bytes (the request asks for Connection: close)."""
    context = ssl.create_default_context(cafile=str(ca_file))
    answer = b""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as plain:
        with context.wrap_socket(plain, server_hostname="localhost") as sock:
            sock.sendall(data)
            try:
                while chunk := sock.recv(65536):
                    answer += chunk
            except (socket.timeout, ConnectionError, ssl.SSLError):
                pass
    return answer


def token_of(response) -> str:
    return response.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]


# MARK: Sessions

SESSION_ROUTES = ["/auth/whoami", "/queues", "/queues/ask/gateways", "/users"]


def refused_everywhere(admin: Admin, cookies: dict = None, headers: dict = None, params: dict = None):
    """None when every session route answers 401 "Sign in…" for these credentials, else what answered."""
    for path in SESSION_ROUTES:
        response = requests.get(admin.base + API + path, cookies=cookies or {}, headers=headers or {}, params=params or {},
                                verify=admin.session.verify)
        try:
            message = response.json().get("message", "")
        except ValueError:
            message = ""
        if response.status_code != 401 or "Sign in" not in message:
            return f"{path} answered {response.status_code} {response.text[:120]}"
    return None


def test_a_forged_session_cookie_is_refused(desk, workdir, certificate):  # noqa: F811
    router, admin = desk()
    real = admin.session.cookies.get("refdesk_session")
    assert real and len(real) == 64

    # Another router, with its own database and an admin of the same name and password, issues its own token.
    other_dir = workdir / "other"
    other_dir.mkdir()
    other_port = free_port()
    other = RouterProcess(other_dir, extra_config=admin_config(certificate, other_port))
    create_user_in_database(other, "root", ADMIN_PASSWORD)
    try:
        other.start()
        wait_until(lambda: "admin API listening" in other.log_text(), 10, "the other router's admin API")
        other_admin = Admin(f"https://localhost:{other_port}", certificate[0])
        foreign = token_of(other_admin.login())
    finally:
        other.kill()

    flipped = real[:-1] + ("0" if real[-1] != "0" else "1")
    forged = {
        "a random token": {"refdesk_session": random_tokens.token_hex(32)},
        "the real token with its last character changed": {"refdesk_session": flipped},
        "the real token with its first character changed": {"refdesk_session": ("f" if real[0] != "f" else "e") + real[1:]},
        "the real token in upper case": {"refdesk_session": real.upper()},
        "the real token cut short": {"refdesk_session": real[:32]},
        "the real token with a character added": {"refdesk_session": real + "0"},
        "a token issued by another router": {"refdesk_session": foreign},
        "an empty cookie": {"refdesk_session": ""},
        "the real token under another cookie name": {"session": real},
        "the real token with an escaped CR LF after it": {"refdesk_session": real + "%0D%0A"},
    }
    failures = []
    for name, cookies in forged.items():
        problem = refused_everywhere(admin, cookies=cookies)
        check(failures, name, problem is None, problem or "")
    check(failures, "the real token as a query parameter", refused_everywhere(admin, params={"refdesk_session": real}) is None)
    check(failures, "the real token as a bearer token",
          refused_everywhere(admin, headers={"Authorization": f"Bearer {real}"}) is None)

    # A CR LF inside the Cookie header on the wire: a bare CR, and an obsolete line folding that puts the real
    # token on a continuation line. Neither may sign anyone in.
    port = int(admin.base.rsplit(":", 1)[1])
    for name, cookie_line in {
        "a cookie with a bare CR before the real token": b"Cookie: refdesk_session=x\r" + real.encode() + b"\r\n",
        "a folded cookie header carrying the real token": b"Cookie: refdesk_session=\r\n " + real.encode() + b"\r\n",
        "a cookie with CR LF and a second header": b"Cookie: refdesk_session=" + flipped.encode() + b"\r\nX-Session: " + real.encode() + b"\r\n",
    }.items():
        answer = raw_request(port, certificate[0], b"GET " + API.encode() + b"/auth/whoami HTTP/1.1\r\nHost: localhost\r\n"
                             + cookie_line + b"Connection: close\r\n\r\n")
        status = answer.split(b" ", 2)[1] if answer.startswith(b"HTTP/1.1 ") else b""
        check(failures, name, status in (b"400", b"401") and b'"root"' not in answer, repr(answer[:200]))

    # The real token still works: the refusals were about the forgeries, not a broken login.
    check(failures, "the real token", admin.get("/auth/whoami").status_code == 200)
    assert router.process.poll() is None
    assert not failures, "\n".join(failures)


def test_a_session_ends_at_logout_and_when_the_password_changes(desk):  # noqa: F811
    router, admin = desk()
    failures = []

    leaving = Admin(admin.base, admin.session.verify)
    token = token_of(leaving.login())
    check(failures, "a fresh session works", refused_everywhere(admin, cookies={"refdesk_session": token}) is not None)
    assert leaving.post("/auth/logout").json() == {"success": True}
    problem = refused_everywhere(admin, cookies={"refdesk_session": token})
    check(failures, "a token reused after logout", problem is None, problem or "")

    # root changes their password in one session: every other session of root ends, this one stays.
    elsewhere = Admin(admin.base, admin.session.verify)
    other_token = token_of(elsewhere.login())
    assert admin.post("/users/root/password", data={"password": "a new passphrase"}).json() == {"success": True}
    problem = refused_everywhere(admin, cookies={"refdesk_session": other_token})
    check(failures, "another session after the user's password change", problem is None, problem or "")
    check(failures, "the session that changed the password", admin.get("/auth/whoami").status_code == 200)

    # An admin resetting an operator's password ends every session of the operator.
    assert admin.post("/users", data={"name": "olive", "password": "olive's password"}).status_code == 201
    olive = Admin(admin.base, admin.session.verify)
    olive_token = token_of(olive.login("olive", "olive's password"))
    assert admin.post("/users/olive/password", data={"password": "reset by root!"}).json() == {"success": True}
    problem = refused_everywhere(admin, cookies={"refdesk_session": olive_token})
    check(failures, "an operator's session after an admin reset their password", problem is None, problem or "")
    check(failures, "the old password after the change", olive.login("olive", "olive's password").status_code == 401)
    assert not failures, "\n".join(failures)


# MARK: Secrets

def command_line(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\x00", b" ").decode(errors="replace")


def test_secrets_never_appear_in_logs_process_arguments_or_api_answers(workdir, processes, prosody, librarians, certificate):  # noqa: F811
    """Every daemon at debug level, a day's work through all of them, then a search for each secret."""
    oscar = OscarServer({DESK: AIM_PASSWORD, PATRON: PATRON_PASSWORD}, im_rate_scale=0.05).start()
    api = FakeTwilio({ACCOUNT: TOKEN}).start()
    try:
        port = free_port()
        router = router_for(workdir, prosody, extra_config=admin_config(certificate, port))
        processes.append(router)
        seed_desk(router, {"alice": (["alice@localhost"], ["ask"])}, gateway_protocol="twilio")
        router.seed(f"UPDATE gateways SET secret = '{ACCOUNT}' WHERE id = 1;")
        create_user_in_database(router, "root", ADMIN_PASSWORD)
        assert 'log_level = "debug"' in router.config.read_text()
        alice = librarians("alice@localhost")
        router.start()
        twilio = TwilioBridgeProcess(workdir, router.socket, api.base)
        processes.append(twilio)
        twilio.start()
        aim = AIMBridgeProcess(workdir, router.socket, oscar)
        processes.append(aim)
        wait_until(lambda: "queue online" in router.log_text(), 15, "the queue to come online")

        # An admin signs in and adds an AIM gateway with its password; the router hands it to refdesk-aim.
        admin = Admin(f"https://localhost:{port}", certificate[0])
        login = admin.login(password=ADMIN_PASSWORD)
        assert login.status_code == 200
        session_token = token_of(login)
        added = admin.post("/queues/ask/gateways", data={"username": "RefDesk@aol.com", "password": AIM_PASSWORD, "protocol": "aim"})
        assert added.status_code == 200, added.text
        wait_until(lambda: oscar.is_online(DESK), 20, "the AIM screen name to sign on with the password")

        # A text and a reply; an IM and a reply.
        assert twilio.post("sms", sms(1, "+15551230001", "Is the library open on Sunday?"))[0] == 200
        alice.wait_message(lambda m: m.body == "Is the library open on Sunday?", timeout=15)
        alice.send(patron_jid(prosody, "+15551230001"), "Yes, from noon.")
        wait_until(lambda: [c for c in api.accepted() if c["form"]["Body"] == "Yes, from noon."], 15, "the reply at Twilio")
        patron = PatronClient(oscar, PATRON, PATRON_PASSWORD).sign_on()
        patron.send_im(DESK, "Do you lend laptops?")
        alice.wait_message(lambda m: m.body == "Do you lend laptops?", timeout=15)
        alice.send(patron_jid(prosody, "patron"), "Yes, for two hours.")
        assert patron.next_message(timeout=15)[1] == "Yes, for two hours."
        patron.sign_off()

        # Everything the admin API will say about the desk.
        answers = {path: admin.get(path).text for path in
                   ("/queues/ask/gateways", "/queues", "/queues/ask", "/users", "/users/root", "/chats", "/auth/whoami")}
        answers["POST /queues/ask/gateways"] = added.text
        answers["POST /auth/login"] = login.text

        secrets = {
            "the XMPP component secret": prosody.component_secret,
            "the Twilio auth token": TOKEN,
            "the AIM password": AIM_PASSWORD,
            "the admin password": ADMIN_PASSWORD,
            "the session token": session_token,
        }
        daemons = {"refdesk-router": router.process.pid, "refdesk-twilio": twilio.process.pid, "refdesk-aim": aim.process.pid}
        places = {f"{name}'s command line": command_line(pid) for name, pid in daemons.items()}
        places["ps"] = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
        places.update({f"{name}'s log": text for name, text in
                       (("refdesk-router", router.log_text()), ("refdesk-twilio", twilio.log_text()), ("refdesk-aim", aim.log_text()))})
        places.update({f"the answer to GET {path}" if not path.startswith("POST") else f"the answer to {path}": text
                       for path, text in answers.items()})
        assert all(places.values()), "every place searched has something in it"
        failures = []
        for secret_name, secret in secrets.items():
            for place, text in places.items():
                check(failures, f"{secret_name} in {place}", secret not in text)
        # The router does hand the password to the bridge, which does use it: the search above is not vacuous.
        assert router.query("SELECT secret FROM gateways WHERE protocol = 'aim'") == [(AIM_PASSWORD,)]
        assert oscar.count("login", DESK) >= 1
        assert not failures, "secrets leaked:\n" + "\n".join(failures)
    finally:
        api.stop()
        oscar.stop()


# MARK: Patron phone numbers

def masked(number: str) -> str:
    """PhoneNumberMask's form for an E.164 number: the leading +, four digits, an ellipsis, the last four."""
    return number[:5] + "\u2026" + number[-4:]


def test_patron_phone_numbers_are_masked_in_logs_at_info_and_shown_at_debug(workdir, processes):
    api = FakeTwilio({ACCOUNT: TOKEN}).start()
    try:
        router = RouterProcess(workdir)
        processes.append(router)
        seed_queue_and_gateway(router, gateway_protocol="twilio")
        router.seed(f"UPDATE gateways SET secret = '{ACCOUNT}' WHERE id = 1;")
        router.config.write_text(router.config.read_text().replace('log_level = "debug"', 'log_level = "info"'))
        router.log.write_text("")  # the schema run above logged at debug
        router.start()
        bridge = TwilioBridgeProcess(workdir, router.socket, api.base)
        processes.append(bridge)
        bridge.config.write_text(bridge.config.read_text().replace('log_level = "debug"', 'log_level = "info"'))
        bridge.start()

        # At info: a text to the closed desk is stored, and its offline reply goes out to the patron.
        quiet = "+15557654321"
        assert bridge.post("sms", sms(1, quiet, "When do you open?"))[0] == 200
        wait_until(lambda: [c for c in api.accepted() if c["form"]["To"] == quiet], 15, "the offline reply")
        wait_until(lambda: router.query("SELECT count(*) FROM offline_inbox")[0][0] == 1, 10, "the stored text")
        failures = []
        logs = {"refdesk-router": router.log_text(), "refdesk-twilio": bridge.log_text()}
        for daemon, text in logs.items():
            check(failures, f"the full number in {daemon}'s info log", quiet not in text)
            # Nor with its + dropped, nor as the digits alone.
            check(failures, f"the number's digits in {daemon}'s info log", quiet[1:] not in text)
        check(failures, "the masked number in an info log", any(masked(quiet) in text for text in logs.values()),
              f"{masked(quiet)!r} appears in neither log")

        # At debug, for troubleshooting, the full number is shown.
        router.stop()
        bridge.kill()
        router.config.write_text(router.config.read_text().replace('log_level = "info"', 'log_level = "debug"'))
        bridge.config.write_text(bridge.config.read_text().replace('log_level = "info"', 'log_level = "debug"'))
        router.start()
        bridge.start()
        loud = "+15553456789"
        assert bridge.post("sms", sms(2, loud, "And on Sundays?"))[0] == 200
        wait_until(lambda: [c for c in api.accepted() if c["form"]["To"] == loud], 15, "the second offline reply")
        check(failures, "the full number in a debug log", any(loud in text for text in (router.log_text(), bridge.log_text())))
        assert not failures, "\n".join(failures)
    finally:
        api.stop()
