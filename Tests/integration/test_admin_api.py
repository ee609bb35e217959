"""The admin API over real HTTPS: LibraryH3lp's gateways resource byte for byte, sessions and roles, the loop
guard, one account per queue, refdesk's own resources, the presence API, and bad input that stores nothing."""
import json
import socket
import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest
import requests

from conftest import RouterProcess, binary, wait_until
from staffing import router_for, seed_desk, start_bridge, wait_queue_online
from xmpp_harness import librarians, prosody  # noqa: F401 (fixtures)

API = "/2011-12-03"
ADMIN_PASSWORD = "correct horse battery"
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def certificate(workdir):
    subprocess.run([str(ROOT / "scripts" / "dev-certificate.sh"), str(workdir / "tls"), "localhost"], check=True, capture_output=True)
    return workdir / "tls" / "admin.crt", workdir / "tls" / "admin.key"


def admin_config(certificate, port, return_secrets=False, extra=""):
    crt, key = certificate
    return (f'[admin]\nlisten = ["127.0.0.1:{port}"]\ncertificate_file = "{crt}"\nkey_file = "{key}"\n'
            f'password_iterations = 100000\nreturn_secrets = {"true" if return_secrets else "false"}\n{extra}')


def create_user_in_database(router: RouterProcess, name: str, password: str):
    result = subprocess.run([binary("refdesk-router"), "-c", str(router.config), "--create-admin", name],
                            input=password + "\n", capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return result


class Admin:
    """A signed-in API client verifying the server against the development certificate."""

    def __init__(self, base: str, crt: Path):
        self.base = base
        self.session = requests.Session()
        self.session.trust_env = False  # REQUESTS_CA_BUNDLE would otherwise replace the certificate to verify against
        self.session.verify = str(crt)

    def login(self, username="root", password=ADMIN_PASSWORD):
        return self.session.post(self.base + API + "/auth/login", data={"username": username, "password": password})

    def get(self, path, **kwargs):
        return self.session.get(self.base + API + path, **kwargs)

    def post(self, path, **kwargs):
        return self.session.post(self.base + API + path, **kwargs)

    def put(self, path, **kwargs):
        return self.session.put(self.base + API + path, **kwargs)

    def delete(self, path, **kwargs):
        return self.session.delete(self.base + API + path, **kwargs)


@pytest.fixture
def desk(workdir, processes, certificate):
    """A router with the admin API on HTTPS, an admin `root`, and queue `ask` (no bridge, no XMPP)."""
    def start(return_secrets=False):
        port = free_port()
        router = RouterProcess(workdir, extra_config=admin_config(certificate, port, return_secrets))
        processes.append(router)
        create_user_in_database(router, "root", ADMIN_PASSWORD)
        router.start()
        wait_until(lambda: "admin API listening" in router.log_text(), 10, "the admin API to listen")
        admin = Admin(f"https://localhost:{port}", certificate[0])
        assert admin.login().status_code == 200
        assert admin.post("/queues", json={"name": "ask", "offlineReply": "We are closed."}).status_code == 201
        return router, admin
    return start


def assert_failure(response, status, message_part=""):
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert body["success"] is False and isinstance(body["message"], str) and body["message"]
    assert message_part in body["message"], body["message"]
    return body


# LibraryH3lp's resource, byte for byte

def test_post_and_get_gateways_answer_exactly_as_libraryh3lp_documents(desk):
    router, admin = desk(return_secrets=True)
    posted = admin.post("/queues/ask/gateways", data=json.dumps(
        {"username": "myusername@aol.com", "password": "mysecretpassword", "protocol": "aim"}),
        headers={"Content-Type": "application/json", "X-API-Version": "2011-12-03"})
    assert posted.status_code == 200
    assert posted.headers["Content-Type"] == "application/json"
    assert posted.text == json.dumps([{"id": 1, "queue": "ask", "protocolId": 1, "protocol": "aim",
                                      "username": "myusername@aol.com", "password": "mysecretpassword"}])
    sms = admin.post("/queues/ask/gateways", data={"username": "+15555551234", "password": "smssms", "protocol": "twilio"})
    assert sms.text == json.dumps([{"id": 2, "queue": "ask", "protocolId": 14, "protocol": "twilio",
                                   "username": "+15555551234", "password": "smssms"}])
    listed = admin.get("/queues/ask/gateways")
    assert listed.status_code == 200
    assert listed.text == json.dumps([json.loads(posted.text)[0], json.loads(sms.text)[0]])
    # The queue's numeric id works in the URL as well as its name.
    queue_id = admin.get("/queues/ask").json()["id"]
    assert admin.get(f"/queues/{queue_id}/gateways").text == listed.text


def test_gateway_secrets_are_write_only_by_default(desk):
    router, admin = desk()
    posted = admin.post("/queues/ask/gateways", json={"username": "+15555551234", "password": "smssms", "protocol": "twilio"})
    assert posted.json() == [{"id": 1, "queue": "ask", "protocolId": 14, "protocol": "twilio", "username": "+15555551234", "password": None}]
    assert admin.get("/queues/ask/gateways").json()[0]["password"] is None
    assert router.query("SELECT secret FROM gateways") == [("smssms",)], "the secret is stored for the bridge"


def test_both_delete_forms_and_the_post_override_remove_gateways(desk):
    router, admin = desk()
    for name in ("firstlibrary", "secondlibrary", "thirdlibrary"):
        assert admin.post("/queues/ask/gateways", data={"username": f"{name}@aol.com", "password": "pw", "protocol": "aim"}).status_code == 200
    by_account = admin.delete("/queues/ask/gateways/aim/" + quote("FirstLibrary@aol.com", safe=""))
    assert by_account.status_code == 200 and by_account.text == json.dumps({"success": True})
    by_id = admin.delete("/queues/ask/gateways/2")
    assert by_id.text == json.dumps({"success": True})
    overridden = admin.post("/queues/ask/gateways/3", data={"_method": "DELETE"})
    assert overridden.text == json.dumps({"success": True})
    assert router.query("SELECT count(*) FROM gateways") == [(0,)]
    assert_failure(admin.delete("/queues/ask/gateways/3"), 404, "no gateway with id 3")
    assert_failure(admin.delete("/queues/ask/gateways/aim/nobody@aol.com"), 404)


# Sessions and roles

ADMIN_ONLY = [
    ("POST", "/queues", {"name": "x"}), ("PUT", "/queues/ask", {"offlineReply": "x"}), ("DELETE", "/queues/ask", None),
    ("GET", "/queues/ask/gateways", None), ("POST", "/queues/ask/gateways", {"username": "a@aol.com", "password": "p", "protocol": "aim"}),
    ("DELETE", "/queues/ask/gateways/1", None), ("DELETE", "/queues/ask/gateways/aim/a%40aol.com", None),
    ("GET", "/queues/ask/operators", None), ("POST", "/queues/ask/operators", {"operator": "olive"}),
    ("DELETE", "/queues/ask/operators/olive", None), ("GET", "/users", None), ("POST", "/users", {"name": "eve"}),
    ("GET", "/users/root", None), ("DELETE", "/users/root", None), ("GET", "/users/olive/staffing", None),
    ("POST", "/users/olive/staffing", {"jid": "olive@example.org"}), ("DELETE", "/users/olive/staffing/olive@example.org", None),
]
SIGNED_IN = [("GET", "/queues", None), ("GET", "/queues/ask", None), ("GET", "/chats", None), ("GET", "/auth/whoami", None),
             ("POST", "/auth/logout", None)]


def test_every_route_but_login_and_presence_needs_a_session(desk):
    router, admin = desk()
    anonymous = Admin(admin.base, admin.session.verify)
    for method, path, body in ADMIN_ONLY + SIGNED_IN + [("POST", "/users/root/password", {"password": "x" * 12})]:
        response = anonymous.session.request(method, anonymous.base + API + path, data=body)
        assert_failure(response, 401, "Sign in")
    assert router.query("SELECT count(*) FROM queues") == [(1,)]


def test_operators_are_refused_on_admin_routes(desk):
    router, admin = desk()
    assert admin.post("/users", data={"name": "olive", "role": "operator", "password": "olive's password"}).status_code == 201
    olive = Admin(admin.base, admin.session.verify)
    assert olive.login("olive", "olive's password").json() == {"success": True, "user": "olive", "role": "operator"}
    for method, path, body in ADMIN_ONLY:
        response = olive.session.request(method, olive.base + API + path, data=body)
        assert_failure(response, 403, "admin role")
    for method, path, body in SIGNED_IN:
        response = olive.session.request(method, olive.base + API + path, data=body)
        assert response.status_code == 200, (path, response.text)
    assert router.query("SELECT count(*) FROM gateways") == [(0,)]


def test_login_sets_a_strict_session_cookie_and_logout_ends_it(desk):
    router, admin = desk()
    fresh = Admin(admin.base, admin.session.verify)
    response = fresh.login()
    cookie = response.headers["Set-Cookie"]
    for attribute in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/", "Max-Age=43200"):
        assert attribute in cookie
    token = cookie.split(";")[0].split("=", 1)[1]
    assert len(token) == 64 and token != admin.session.cookies.get("refdesk_session")
    assert fresh.get("/auth/whoami").json() == {"success": True, "user": "root", "role": "admin"}
    assert fresh.post("/auth/logout").json() == {"success": True}
    # The old token is dead even if a client keeps sending it.
    assert_failure(requests.get(admin.base + API + "/auth/whoami", cookies={"refdesk_session": token}, verify=admin.session.verify), 401)
    assert_failure(fresh.login(password="wrong password!"), 401, "Wrong username or password")
    assert_failure(fresh.login(username="nobody"), 401, "Wrong username or password")


def test_failed_logins_are_rate_limited_per_account(desk):
    router, admin = desk()
    guesser = Admin(admin.base, admin.session.verify)
    for attempt in range(5):
        assert_failure(guesser.login(password=f"guess number {attempt}"), 401)
    blocked = guesser.login()
    assert_failure(blocked, 429, "Too many failed logins for this account")
    assert int(blocked.headers["Retry-After"]) > 0
    assert "refdesk_session" not in blocked.headers.get("Set-Cookie", "")
    # Another account is not locked by guesses at root.
    assert admin.post("/users", data={"name": "olive", "password": "olive's password"}).status_code == 201
    assert Admin(admin.base, admin.session.verify).login("olive", "olive's password").status_code == 200


# The rules: loop guard, one account one queue

def test_an_account_cannot_be_both_a_gateway_and_a_staffing_jid(desk):
    router, admin = desk()
    assert admin.post("/users", data={"name": "olive"}).status_code == 201
    assert admin.post("/users/olive/staffing", data={"jid": "olive@example.org"}).json() == {"success": True, "jid": "olive@example.org"}
    # An XMPP-like gateway (the test bridge's protocol) whose account is olive's JID, spelled differently.
    refused = admin.post("/queues/ask/gateways", data={"username": "Olive@Example.ORG", "password": "p", "protocol": "test"})
    assert_failure(refused, 409, "That account is already in use")
    assert refused.json() == {"success": False, "message": "That account is already in use"}
    wait_until(lambda: "gateway refused: its account is a staffing JID" in router.log_text(), 5, "the log to name the collision")
    assert "staffing_jid=olive@example.org" in router.log_text()
    # And the other way round.
    assert admin.post("/queues/ask/gateways", data={"username": "desk@example.org", "password": "p", "protocol": "test"}).status_code == 200
    assert_failure(admin.post("/users/olive/staffing", data={"jid": "DESK@example.org"}), 409, "That account is already in use")
    wait_until(lambda: "staffing JID refused: it is a gateway's account" in router.log_text(), 5, "the log to name the collision")
    assert router.query("SELECT jid FROM staffing_jids") == [("olive@example.org",)]
    assert router.query("SELECT username FROM gateways") == [("desk@example.org",)]


def test_one_account_serves_one_queue(desk):
    router, admin = desk()
    assert admin.post("/queues", data={"name": "kids"}).status_code == 201
    assert admin.post("/queues/ask/gateways", data={"username": "+15550000002", "password": "t", "protocol": "twilio"}).status_code == 200
    refused = admin.post("/queues/kids/gateways", data={"username": "(555) 000-0002", "password": "t", "protocol": "sms"})
    assert_failure(refused, 409, "already a gateway of queue ask")
    refused = admin.post("/queues/ask/gateways", data={"username": "1-555-000-0002", "password": "t", "protocol": "twilio"})
    assert_failure(refused, 409, "only one queue")
    assert router.query("SELECT queue, username FROM gateways") == [("ask", "+15550000002")]


# Refdesk's own resources

def test_queues_users_staffing_assignments_and_queue_deletion(desk):
    router, admin = desk()
    created = admin.post("/queues", json={"name": "kids", "routing": "least-busy", "chatLimit": 3, "keepsTranscripts": False,
                                          "openingHours": "Mon-Fri 09:00-17:00", "timeZone": "America/Chicago"})
    assert created.status_code == 201
    assert created.json() == {"id": 2, "name": "kids", "routing": "least-busy", "chatLimit": 3, "offlineReply": "",
                              "keepsTranscripts": False, "openingHours": "Mon-Fri 09:00-17:00", "timeZone": "America/Chicago",
                              "online": False}
    assert_failure(admin.post("/queues", data={"name": "kids"}), 409, "already exists")
    assert_failure(admin.post("/queues", data={"name": "bad", "openingHours": "Someday 25:00-26:00"}), 400, "Opening hours")
    updated = admin.put("/queues/kids", json={"offlineReply": "Back at nine.", "openingHours": ""})
    assert updated.json()["offlineReply"] == "Back at nine." and updated.json()["openingHours"] is None
    assert [q["name"] for q in admin.get("/queues").json()] == ["ask", "kids"]

    assert admin.post("/users", json={"name": "olive", "role": "operator"}).json() == {
        "id": 2, "name": "olive", "role": "operator", "canSignIn": False, "staffing": [], "queues": []}
    assert admin.post("/users/olive/staffing", data={"jid": "olive@example.org"}).status_code == 201
    assert admin.post("/users/olive/staffing", data={"jid": "olive@other.example"}).status_code == 201
    assert admin.post("/queues/kids/operators", data={"operator": "olive"}).json() == {"success": True}
    assert admin.get("/queues/kids/operators").json() == ["olive"]
    assert admin.get("/users/olive").json() == {"id": 2, "name": "olive", "role": "operator", "canSignIn": False,
                                                "staffing": ["olive@example.org", "olive@other.example"], "queues": ["kids"]}
    assert admin.delete("/users/olive/staffing/olive@other.example").json() == {"success": True}
    assert admin.get("/users/olive/staffing").json() == ["olive@example.org"]
    assert admin.delete("/queues/kids/operators/olive").json() == {"success": True}
    assert_failure(admin.delete("/queues/kids/operators/olive"), 404, "not assigned")

    assert admin.post("/queues/kids/gateways", data={"username": "kidsdesk", "password": "p", "protocol": "aim"}).status_code == 200
    assert_failure(admin.delete("/queues/kids"), 409, "still has 1 gateway")
    assert admin.delete("/queues/kids/gateways/aim/kidsdesk").status_code == 200
    assert admin.delete("/queues/kids").json() == {"success": True}
    assert_failure(admin.get("/queues/kids"), 404, "No queue named kids")

    assert admin.delete("/users/olive").json() == {"success": True}
    assert router.query("SELECT name FROM operators") == [("root",)]
    assert_failure(admin.delete("/users/root"), 409, "your own account")


def test_a_user_can_change_their_own_password_and_old_sessions_end(desk):
    router, admin = desk()
    assert admin.post("/users", data={"name": "olive", "password": "first password"}).status_code == 201
    olive = Admin(admin.base, admin.session.verify)
    olive.login("olive", "first password")
    elsewhere = Admin(admin.base, admin.session.verify)
    elsewhere.login("olive", "first password")
    assert_failure(olive.post("/users/olive/password", data={"password": "short"}), 400, "at least 10")
    assert olive.post("/users/olive/password", data={"password": "second password"}).json() == {"success": True}
    assert olive.get("/auth/whoami").status_code == 200, "the session that changed it stays"
    assert_failure(elsewhere.get("/auth/whoami"), 401)
    assert_failure(olive.post("/users/root/password", data={"password": "taken over!!"}), 403)
    assert Admin(admin.base, admin.session.verify).login("olive", "second password").status_code == 200


def test_chat_history_filters_by_queue_state_and_date(workdir, processes, certificate):
    port = free_port()
    router = RouterProcess(workdir, extra_config=admin_config(certificate, port))
    processes.append(router)
    create_user_in_database(router, "root", ADMIN_PASSWORD)
    day = 86_400_000
    may1 = 1_714_521_600_000  # 2024-05-01T00:00:00Z
    router.seed(f"""
        INSERT INTO queues (name, routing_policy, chat_limit) VALUES ('ask', 'ring-all', 0), ('kids', 'ring-all', 0);
        INSERT INTO conversations (id, queue, patron, state, operator, started_at, answered_at, ended_at) VALUES
            (1, 'ask', '+15551230001', 'completed', 'alice', {may1 + 3600_000}, {may1 + 3660_000}, {may1 + 3900_000}),
            (2, 'ask', '+15551230002', 'ongoing', 'bob', {may1 + day + 100}, {may1 + day + 200}, NULL),
            (3, 'kids', 'reader@aol.com', 'new', NULL, {may1 + 2 * day}, NULL, NULL);
    """)
    router.start()
    wait_until(lambda: "admin API listening" in router.log_text(), 10, "the admin API to listen")
    admin = Admin(f"https://localhost:{port}", certificate[0])
    admin.login()
    everything = admin.get("/chats").json()
    assert [c["id"] for c in everything] == [3, 2, 1]
    assert everything[2] == {"id": 1, "queue": "ask", "protocol": None, "patron": "+15551230001", "state": "completed",
                             "operator": "alice", "started": "2024-05-01T01:00:00Z", "answered": "2024-05-01T01:01:00Z",
                             "ended": "2024-05-01T01:05:00Z", "duration": 300}
    assert everything[1]["duration"] is None and everything[1]["operator"] == "bob"
    assert everything[0]["operator"] is None and everything[0]["duration"] is None
    assert [c["id"] for c in admin.get("/chats", params={"queue": "ask"}).json()] == [2, 1]
    assert [c["id"] for c in admin.get("/chats", params={"from": "2024-05-02", "to": "2024-05-02"}).json()] == [2]
    assert [c["id"] for c in admin.get("/chats", params={"state": "new"}).json()] == [3]
    assert_failure(admin.get("/chats", params={"from": "2024-02-30"}), 400, "YYYY-MM-DD")
    assert_failure(admin.get("/chats", params={"state": "lost"}), 400, "new, ongoing or completed")


def test_presence_api_needs_no_login_and_allows_any_origin(desk):
    router, admin = desk()
    anonymous = requests.Session()
    anonymous.trust_env = False
    anonymous.verify = admin.session.verify
    as_json = anonymous.get(admin.base + "/presence/ask", headers={"Origin": "https://library.example.org"})
    assert as_json.status_code == 200 and as_json.json() == {"queue": "ask", "available": False}
    assert as_json.headers["Access-Control-Allow-Origin"] == "*"
    as_text = anonymous.get(admin.base + "/presence/ask.txt")
    assert as_text.text == "unavailable\n" and as_text.headers["Content-Type"].startswith("text/plain")
    assert as_text.headers["Access-Control-Allow-Origin"] == "*"
    preflight = anonymous.options(admin.base + "/presence/ask")
    assert preflight.status_code == 204 and "GET" in preflight.headers["Access-Control-Allow-Methods"]
    assert_failure(anonymous.get(admin.base + "/presence/nosuchqueue"), 404, "No queue named nosuchqueue")


# Bad input stores nothing

SQLISH = ["x'); DROP TABLE gateways;--", "' OR '1'='1", "ask\"; DELETE FROM queues; --", "1; UPDATE operators SET role='admin'"]


def test_bad_input_is_refused_with_a_message_and_nothing_is_stored(desk):
    router, admin = desk()
    gateways = "/queues/ask/gateways"
    assert_failure(admin.post(gateways, data='{"username": "a@aol.com", "password": ', headers={"Content-Type": "application/json"}),
                   400, "not valid JSON")
    assert_failure(admin.post(gateways, data="username=%zz&protocol=aim", headers={"Content-Type": "application/x-www-form-urlencoded"}),
                   400, "malformed")
    assert_failure(admin.post(gateways, json={"username": ["a"], "password": "p", "protocol": "aim"}), 400, "username must be")
    assert_failure(admin.post(gateways, json=["not", "an", "object"]), 400, "object")
    assert_failure(admin.post(gateways, data={"username": "a@aol.com", "password": "p", "protocol": "icq"}), 400, "Unknown protocol icq")
    assert_failure(admin.post(gateways, data={"password": "p", "protocol": "aim"}), 400, "Missing field username")
    assert_failure(admin.post(gateways, data={"username": "a@aol.com", "password": "p"}), 400, "Missing field protocol")
    assert_failure(admin.post(gateways, data={"username": "   ", "password": "p", "protocol": "aim"}), 400, "username is empty")
    assert_failure(admin.post(gateways, data="x" * 70_000, headers={"Content-Type": "application/x-www-form-urlencoded"}),
                   413, "larger than")
    assert_failure(admin.post(gateways, data="<xml/>", headers={"Content-Type": "application/xml"}), 415, "Unsupported Content-Type")
    for text in SQLISH:
        assert admin.post(gateways, data={"username": text, "password": "p", "protocol": "aim"}).status_code in (400, 409)
        assert admin.post(gateways, data={"username": text, "password": "p", "protocol": "twilio"}).status_code == 400
        assert_failure(admin.post(gateways, data={"username": "a@aol.com", "password": "p", "protocol": text}), 400, "Unknown protocol")
        assert admin.post("/queues/" + quote(text, safe="") + "/gateways",
                          data={"username": "a@aol.com", "password": "p", "protocol": "aim"}).status_code == 404
        assert_failure(admin.post("/queues", data={"name": text}), 400, "queue name may use only")
        assert_failure(admin.post("/users", data={"name": text}), 400, "user name may use only")
        assert_failure(admin.post("/users", data={"name": "olive", "role": text}), 400, "role must be")
        assert_failure(admin.post("/users/root/staffing", data={"jid": text}), 400)
        assert_failure(admin.get("/chats", params={"from": text}), 400)
        assert admin.get("/chats", params={"queue": text}).json() == []
    assert router.query("SELECT count(*) FROM gateways") == [(0,)]
    assert router.query("SELECT name FROM queues") == [("ask",)]
    assert router.query("SELECT name, role FROM operators") == [("root", "admin")]
    assert router.query("SELECT count(*) FROM staffing_jids") == [(0,)]
    # A secret is data: SQL in it is stored verbatim, through bound parameters.
    assert admin.post(gateways, data={"username": "desk@aol.com", "password": SQLISH[0], "protocol": "aim"}).status_code == 200
    assert router.query("SELECT secret FROM gateways") == [(SQLISH[0],)]
    assert router.process.poll() is None, "bad input never stops the router"


def test_unknown_paths_and_methods_get_json_errors(desk):
    router, admin = desk()
    assert_failure(admin.get("/nothing/here"), 404, "No such resource")
    not_allowed = admin.put("/queues/ask/gateways", data={})
    assert_failure(not_allowed, 405, "use GET or POST")
    assert not_allowed.headers["Allow"] == "GET, POST"
    assert_failure(admin.get("/queues/%ff"), 400, "%-escape")


# Listeners

def test_cleartext_is_refused_off_loopback_and_served_on_it(workdir, processes, certificate):
    crt, key = certificate
    config = workdir / "bad.toml"
    config.write_text(f'[router]\ndatabase = "{workdir}/x.sqlite"\n[admin]\ncleartext_listen = ["0.0.0.0:{free_port()}"]\n')
    result = subprocess.run([binary("refdesk-router"), "-c", str(config), "--check-config"], capture_output=True, text=True)
    assert result.returncode == 78 and "only allowed on a loopback address" in result.stderr
    config.write_text(f'[router]\ndatabase = "{workdir}/x.sqlite"\n[admin]\nlisten = ["127.0.0.1:{free_port()}"]\n'
                      f'certificate_file = "{crt}"\nkey_file = "{workdir}/missing.key"\n')
    result = subprocess.run([binary("refdesk-router"), "-c", str(config), "--check-config"], capture_output=True, text=True)
    assert result.returncode == 78 and "missing.key" in result.stderr

    port = free_port()
    router = RouterProcess(workdir, extra_config=f'[admin]\ncleartext_listen = ["127.0.0.1:{port}"]\npassword_iterations = 100000\n')
    processes.append(router)
    create_user_in_database(router, "root", ADMIN_PASSWORD)
    router.start()
    wait_until(lambda: "admin API listening" in router.log_text(), 10, "the admin API to listen")
    login = requests.post(f"http://127.0.0.1:{port}{API}/auth/login", data={"username": "root", "password": ADMIN_PASSWORD})
    assert login.status_code == 200
    token = login.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    assert requests.get(f"http://127.0.0.1:{port}{API}/queues", cookies={"refdesk_session": token}).json() == []


def test_create_admin_refuses_a_weak_password_and_a_taken_name(workdir, processes, certificate):
    router = RouterProcess(workdir, extra_config=admin_config(certificate, free_port()))
    weak = subprocess.run([binary("refdesk-router"), "-c", str(router.config), "--create-admin", "root"],
                          input="short\n", capture_output=True, text=True, timeout=30)
    assert weak.returncode == 1 and "at least 10 characters" in weak.stderr
    create_user_in_database(router, "root", ADMIN_PASSWORD)
    again = subprocess.run([binary("refdesk-router"), "-c", str(router.config), "--create-admin", "root"],
                           input=ADMIN_PASSWORD + "\n", capture_output=True, text=True, timeout=30)
    assert again.returncode == 1 and "already exists" in again.stderr
    stored = router.query("SELECT role, password_hash FROM operators WHERE name = 'root'")
    assert stored[0][0] == "admin" and stored[0][1].startswith("pbkdf2-sha256$100000$") and ADMIN_PASSWORD not in stored[0][1]


# Gateways go live without a restart

def test_a_gateway_added_to_an_online_queue_is_signed_on_and_a_deleted_one_signed_off_first(
        workdir, processes, prosody, librarians, certificate):
    port = free_port()
    router = router_for(workdir, prosody, extra_config=admin_config(certificate, port))
    processes.append(router)
    seed_desk(router, {"alice": (["alice@localhost"], ["ask"])})
    create_user_in_database(router, "root", ADMIN_PASSWORD)
    librarians("alice@localhost")
    router.start()
    bridge = start_bridge(workdir, router, processes)
    wait_queue_online(bridge)
    admin = Admin(f"https://localhost:{port}", certificate[0])
    admin.login()
    assert admin.get("/queues/ask").json()["online"] is True
    assert admin.session.get(admin.base + "/presence/ask.txt").text == "available\n"

    added = admin.post("/queues/ask/gateways", data={"username": "+15550000009", "password": "", "protocol": "test"})
    assert added.status_code == 200, added.text
    new_id = added.json()[0]["id"]
    attach = bridge.wait_event(lambda e: e["event"] == "attach" and e["gateway"]["id"] == new_id)
    assert attach["gateway"]["queue"] == "ask" and attach["gateway"]["username"] == "+15550000009"
    online = bridge.wait_event(lambda e: e["event"] == "online" and e["gateway"] == new_id)
    assert online["online"] is True
    events = [e for e in bridge.history if e.get("gateway") == new_id or (isinstance(e.get("gateway"), dict) and e["gateway"]["id"] == new_id)]
    assert [e["event"] for e in events] == ["attach", "online"]

    assert admin.delete(f"/queues/ask/gateways/{new_id}").json() == {"success": True}
    bridge.wait_event(lambda e: e["event"] == "detach" and e["gateway"] == new_id)
    events = [e for e in bridge.history if e.get("gateway") == new_id or (isinstance(e.get("gateway"), dict) and e["gateway"]["id"] == new_id)]
    assert [(e["event"], e.get("online")) for e in events] == [("attach", None), ("online", True), ("online", False), ("detach", None)]
    assert router.query("SELECT count(*) FROM gateways WHERE id = ?", new_id) == [(0,)]


# refdeskctl

def test_refdeskctl_runs_the_same_operations_with_clear_errors_and_exit_statuses(desk, workdir):
    router, admin = desk()
    environment = {"PATH": "/usr/bin:/bin", "HOME": str(workdir), "REFDESK_URL": admin.base, "REFDESK_USER": "root",
                   "REFDESK_CA_FILE": admin.session.verify, "REFDESK_COOKIE_FILE": str(workdir / "cookies")}

    def ctl(*args, stdin="", env=environment):
        return subprocess.run([binary("refdeskctl"), *args], input=stdin, capture_output=True, text=True, env=env, timeout=30)

    assert ctl("whoami").returncode == 3, "no session yet"
    login = ctl("login", stdin=ADMIN_PASSWORD + "\n")
    assert login.returncode == 0, login.stderr
    assert (workdir / "cookies").stat().st_mode & 0o077 == 0, "the cookie file is private"
    assert ctl("queues", "create", "kids", "--offline-reply", "Back soon").returncode == 0
    added = ctl("gateways", "add", "kids", "--protocol", "aim", "--username", "kidsdesk@aol.com", "--json", stdin="secret\n")
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)[0]["username"] == "kidsdesk@aol.com"
    table = ctl("gateways", "list", "kids")
    assert table.stdout.splitlines()[0].split() == ["ID", "QUEUE", "PROTOCOLID", "PROTOCOL", "USERNAME", "PASSWORD"]
    assert "kidsdesk@aol.com" in table.stdout.splitlines()[1]
    taken = ctl("gateways", "add", "ask", "--protocol", "aim", "--username", "KidsDesk@aol.com", stdin="secret\n")
    assert taken.returncode == 5 and "only one queue" in taken.stderr
    missing = ctl("gateways", "delete", "kids", "99")
    assert missing.returncode == 4 and "no gateway with id 99" in missing.stderr
    assert ctl("gateways", "delete", "kids", "aim", "kidsdesk@aol.com").returncode == 0
    assert router.query("SELECT count(*) FROM gateways") == [(0,)]
    assert ctl("presence", "kids", "--json").stdout.strip() == json.dumps({"queue": "kids", "available": False})
    assert ctl("logout").returncode == 0
    # With a password in the environment, commands sign in by themselves.
    assert ctl("queues", "--json", env={**environment, "REFDESK_PASSWORD": ADMIN_PASSWORD}).returncode == 0
    unreachable = ctl("queues", env={**environment, "REFDESK_URL": f"https://localhost:{free_port()}"})
    assert unreachable.returncode == 69 and "cannot reach" in unreachable.stderr
    completion = subprocess.run([binary("refdeskctl"), "--generate-completion-script", "bash"], capture_output=True, text=True)
    assert completion.returncode == 0 and "gateways" in completion.stdout
