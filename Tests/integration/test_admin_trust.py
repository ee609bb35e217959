"""What an admin needs to trust the admin API, against the live router, Prosody and the real bridges: ids that name one
thing for good, queue names that cannot pass for ids, strict fields, the loop guard across AIM and XMPP and on refdesk's
own domain, a deleted gateway detached from its bridge, each gateway's state (API, refdeskctl, /metrics, the systemd
status line) and a password changed in place, a new staffing account subscribed at once, and documented statuses."""
import json
import os
import subprocess
import time
from pathlib import Path

import pytest
import requests
import yaml

from conftest import RouterProcess, binary, seed_queue_and_gateway, wait_until
from fake_twilio import FakeTwilio
from oscar_server import OscarServer
from staffing import router_for, seed_desk, start_bridge, wait_queue_online
from test_admin_api import (ADMIN_PASSWORD, Admin, admin_config, assert_failure, certificate,  # noqa: F401 (fixture)
                            create_user_in_database, free_port)
from test_aim_bridge import AIMBridgeProcess
from test_service import NotifySocket
from test_twilio_bridge import ACCOUNT, TwilioBridgeProcess, sms
from xmpp_harness import librarians, prosody  # noqa: F401 (fixtures)

ROOT = Path(__file__).resolve().parents[2]
IN_USE = "That account is already in use"
DESK, DESK_PASSWORD = "Ref Desk", "desk-secret"


def start_admin(router: RouterProcess, certificate, port: int) -> Admin:
    create_user_in_database(router, "root", ADMIN_PASSWORD)
    router.start()
    wait_until(lambda: "admin API listening" in router.log_text(), 10, "the admin API to listen")
    admin = Admin(f"https://localhost:{port}", certificate[0])
    assert admin.login().status_code == 200
    return admin


def with_metrics(router: RouterProcess) -> int:
    """Turns on the router's /metrics listener (a [router] key) and returns its port."""
    port = free_port()
    text = router.config.read_text()
    router.config.write_text(text.replace('log_level = "debug"\n', f'log_level = "debug"\nmetrics_listen = "127.0.0.1:{port}"\n', 1))
    return port


def metric(port: int, name: str) -> dict:
    """The series of `name` on /metrics, by label text."""
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    series = {}
    for line in text.splitlines():
        if line.startswith(name + "{"):
            labels, value = line[len(name):].rsplit(" ", 1)
            series[labels] = float(value)
    return series


@pytest.fixture
def desk(workdir, processes, certificate):
    """A router with the admin API on HTTPS and an admin `root` (no bridge, no XMPP)."""
    port = free_port()
    router = RouterProcess(workdir, extra_config=admin_config(certificate, port))
    processes.append(router)
    return router, start_admin(router, certificate, port)


# 1. Ids are never reused

def test_a_deleted_gateways_id_is_never_given_again_so_a_retried_delete_removes_nothing_else(desk):
    router, admin = desk
    assert admin.post("/queues", data={"name": "ask"}).status_code == 201
    first = admin.post("/queues/ask/gateways", data={"username": "firstdesk", "password": "p", "protocol": "aim"}).json()[0]["id"]
    assert admin.delete(f"/queues/ask/gateways/{first}").json() == {"success": True}
    second = admin.post("/queues/ask/gateways", data={"username": "seconddesk", "password": "p", "protocol": "aim"}).json()[0]["id"]
    assert second == first + 1
    # The client retries its DELETE of the first gateway: the second one is not touched.
    assert_failure(admin.delete(f"/queues/ask/gateways/{first}"), 404, f"no gateway with id {first}")
    assert router.query("SELECT id, username FROM gateways") == [(second, "seconddesk")]
    # The same after a restart (the highest id ever used is in the database).
    admin.delete(f"/queues/ask/gateways/{second}")
    router.stop()
    router.start()
    wait_until(lambda: admin.login().status_code == 200, 10, "the admin API after the restart")
    third = admin.post("/queues/ask/gateways", data={"username": "thirddesk", "password": "p", "protocol": "aim"}).json()[0]["id"]
    assert third == second + 1


def test_queue_and_user_ids_are_never_reused(desk):
    router, admin = desk
    ask = admin.post("/queues", data={"name": "ask"}).json()["id"]
    kids = admin.post("/queues", data={"name": "kids"}).json()["id"]
    assert admin.delete("/queues/kids").json() == {"success": True}
    teens = admin.post("/queues", data={"name": "teens"}).json()["id"]
    assert (ask, kids, teens) == (1, 2, 3)
    assert_failure(admin.get(f"/queues/{kids}"), 404, f"No queue with id {kids}")
    olive = admin.post("/users", data={"name": "olive"}).json()["id"]
    assert admin.delete("/users/olive").json() == {"success": True}
    otto = admin.post("/users", data={"name": "otto"}).json()
    assert otto["id"] == olive + 1 and otto["name"] == "otto"
    assert [u["id"] for u in admin.get("/users").json()] == [otto["id"], 1]


def test_chat_ids_continue_past_the_history(workdir, processes, prosody, librarians):
    router = router_for(workdir, prosody)
    processes.append(router)
    seed_desk(router, {"alice": (["alice@localhost"], ["ask"])})
    # History from before (e.g. restored without the rules' saved state): chats 1-3, completed.
    router.seed("""
        INSERT INTO conversations (id, queue, patron, state, operator, started_at, answered_at, ended_at) VALUES
            (1, 'ask', '+15551230001', 'completed', 'alice', 1000, 2000, 3000),
            (2, 'ask', '+15551230002', 'completed', 'alice', 4000, 5000, 6000),
            (3, 'ask', '+15551230003', 'completed', 'alice', 7000, 8000, 9000);
    """)
    alice = librarians("alice@localhost")
    router.start()
    bridge = start_bridge(workdir, router, processes)
    wait_queue_online(bridge)
    bridge.send({"op": "receive", "id": "m-new", "gateway": 1, "from": "+15551239999", "body": "Is the library open?"})
    alice.wait_message(lambda m: m.body == "Is the library open?", timeout=15)
    rows = wait_until(lambda: router.query("SELECT id, patron, state FROM conversations ORDER BY id"), 10, "the new chat")
    assert rows[:3] == [(1, "+15551230001", "completed"), (2, "+15551230002", "completed"), (3, "+15551230003", "completed")]
    assert rows[3][0] == 4 and rows[3][1] == "+15551239999"


# 2. Queue names cannot pass for ids; names are strings

def test_all_digit_queue_names_and_non_string_names_are_refused(desk):
    router, admin = desk
    ask = admin.post("/queues", data={"name": "ask"}).json()
    refused = assert_failure(admin.post("/queues", data={"name": "1"}), 400, "cannot be all digits")
    assert "/queues/1 means the queue with id 1" in refused["message"]
    assert_failure(admin.post("/queues", json={"name": 5}), 400, "Field name must be a string, got a number")
    assert_failure(admin.post("/queues", json={"name": True}), 400, "must be a string, got a boolean")
    assert_failure(admin.post("/users", json={"name": 7}), 400, "must be a string")
    assert_failure(admin.post("/queues/ask/gateways", json={"username": 15555551234, "password": "p", "protocol": "twilio"}),
                   400, "Field username must be a string")
    assert admin.post("/queues", data={"name": "24x7"}).status_code == 201, "digits with a letter make a name"
    assert admin.get(f"/queues/{ask['id']}").json()["name"] == "ask", "all digits in a URL mean the id"
    assert router.query("SELECT name FROM queues ORDER BY id") == [("ask",), ("24x7",)]


# 3. A deleted gateway of an online queue is detached

def test_deleting_a_gateway_with_an_open_chat_from_an_online_queue_signs_it_off_and_detaches_it(
        workdir, processes, prosody, librarians, certificate):
    port = free_port()
    router = router_for(workdir, prosody, extra_config=admin_config(certificate, port))
    processes.append(router)
    seed_desk(router, {"alice": (["alice@localhost"], ["ask"])})
    alice = librarians("alice@localhost")
    admin = start_admin(router, certificate, port)
    bridge = start_bridge(workdir, router, processes)
    wait_queue_online(bridge)
    bridge.send({"op": "receive", "id": "m1", "gateway": 1, "from": "+15551230001", "body": "Do you have atlases?"})
    alice.wait_message(lambda m: m.body == "Do you have atlases?", timeout=15)
    started = time.monotonic()
    assert admin.delete("/queues/ask/gateways/1").json() == {"success": True}
    bridge.wait_event(lambda e: e["event"] == "detach" and e["gateway"] == 1, timeout=10)
    assert time.monotonic() - started < 10
    events = [(e["event"], e.get("online")) for e in bridge.history if e.get("gateway") == 1 and e["event"] in ("online", "detach")]
    assert events[-2:] == [("online", False), ("detach", None)], "signed off first, then detached"
    assert router.query("SELECT count(*) FROM gateways") == [(0,)]
    assert router.query("SELECT state FROM conversations") == [("completed",)], "its open chat was ended"


# 4. Every field is checked whatever else is given

def test_unknown_time_zones_are_refused_with_or_without_opening_hours(desk):
    router, admin = desk
    assert admin.post("/queues", data={"name": "ask"}).status_code == 201
    for zone in ("Mars/Olympus_Mons", "../../../etc/passwd", "America/New York", "UTC/"):
        assert_failure(admin.post("/queues", data={"name": "kids", "timeZone": zone}), 400, "Unknown time zone")
        assert_failure(admin.put("/queues/ask", data={"timeZone": zone}), 400, "Unknown time zone")
        assert_failure(admin.put("/queues/ask", data={"timeZone": zone, "openingHours": "Mon-Fri 09:00-17:00"}), 400, "Unknown time zone")
    assert router.query("SELECT name, time_zone FROM queues") == [("ask", None)]
    # Hours given later are judged on their own.
    assert_failure(admin.put("/queues/ask", data={"openingHours": "Someday 25:00"}), 400, "Opening hours")
    updated = admin.put("/queues/ask", data={"timeZone": "America/Chicago", "openingHours": "Mon-Fri 09:00-17:00"})
    assert updated.status_code == 200 and updated.json()["timeZone"] == "America/Chicago"
    for field, value in (("chatLimit", "-1"), ("chatLimit", "lots"), ("routing", "random"), ("keepsTranscripts", "maybe")):
        assert_failure(admin.put("/queues/ask", data={field: value}), 400, field)
    assert_failure(admin.put("/queues/ask", data={"routing": "least-busy"}), 400, "chatLimit of at least 1")


# 5. The loop guard: refdesk's own domain, and AIM and XMPP addresses that are one account

def test_own_domain_jids_and_aim_xmpp_twins_are_refused_with_the_documented_409_and_a_log_line(workdir, processes, certificate):
    port = free_port()
    router = RouterProcess(workdir, extra_config=(
        f'[xmpp]\nserver = "127.0.0.1:{free_port()}"\ndomain = "refdesk.example.org"\nsecret = "s"\n'
        + admin_config(certificate, port)))
    processes.append(router)
    admin = start_admin(router, certificate, port)
    assert admin.post("/queues", data={"name": "ask"}).status_code == 201
    assert admin.post("/users", data={"name": "frank"}).status_code == 201

    refused = admin.post("/users/frank/staffing", data={"jid": "+15559998888@refdesk.example.org"})
    assert refused.status_code == 409 and refused.json() == {"success": False, "message": IN_USE}
    wait_until(lambda: "staffing JID refused: it is on refdesk's own XMPP domain" in router.log_text(), 5, "the log line")
    assert "jid=+15559998888@refdesk.example.org" in router.log_text()
    assert_failure(admin.post("/users/frank/staffing", data={"jid": "Ask@REFDESK.example.org"}), 409, IN_USE)
    assert_failure(admin.post("/queues/ask/gateways", data={"username": "desk@refdesk.example.org", "password": "p", "protocol": "test"}),
                   409, IN_USE)
    wait_until(lambda: "gateway refused: its account is on refdesk's own XMPP domain" in router.log_text(), 5, "the log line")

    # An AIM gateway frankdesk@aol.com, then the JID frankdesk@aol.com (AOL's XMPP service made them one account).
    assert admin.post("/queues/ask/gateways", data={"username": "frankdesk@aol.com", "password": "p", "protocol": "aim"}).status_code == 200
    assert_failure(admin.post("/users/frank/staffing", data={"jid": "frankdesk@aol.com"}), 409, IN_USE)
    assert_failure(admin.post("/users/frank/staffing", data={"jid": "FrankDesk@aim.com"}), 409, IN_USE)
    wait_until(lambda: "staffing JID refused: it is a gateway's account" in router.log_text(), 5, "the log line")
    assert "gateway_account=frankdesk@aol.com" in router.log_text()
    # The other order: the JID first, then the screen name.
    assert admin.post("/users/frank/staffing", data={"jid": "deskfrank@aol.com"}).status_code == 201
    assert_failure(admin.post("/queues/ask/gateways", data={"username": "Desk Frank", "password": "p", "protocol": "aim"}), 409, IN_USE)
    wait_until(lambda: "staffing_jid=deskfrank@aol.com" in router.log_text(), 5, "the log to name the colliding JID")
    assert router.query("SELECT jid FROM staffing_jids") == [("deskfrank@aol.com",)]
    assert router.query("SELECT username FROM gateways") == [("frankdesk@aol.com",)]


# 6. Gateway states, and a password changed in place

def test_a_failing_aim_gateway_shows_everywhere_and_a_new_password_signs_it_in(
        workdir, processes, prosody, librarians, certificate, monkeypatch):
    server = OscarServer({DESK: DESK_PASSWORD}).start()
    notify = NotifySocket(workdir / "notify.sock")
    try:
        port = free_port()
        router = router_for(workdir, prosody, extra_config=admin_config(certificate, port))
        processes.append(router)
        metrics_port = with_metrics(router)
        seed_desk(router, {"alice": (["alice@localhost"], ["ask"])}, gateway_protocol="aim")
        router.seed("UPDATE gateways SET username = 'RefDesk@aol.com', normalised_username = 'refdesk', secret = 'wrong-password';")
        librarians("alice@localhost")
        monkeypatch.setenv("NOTIFY_SOCKET", str(notify.path))
        admin = start_admin(router, certificate, port)
        monkeypatch.delenv("NOTIFY_SOCKET")

        # Before the bridge runs, the API says why nothing works.
        state = admin.get("/queues/ask/gateways/1").json()
        assert state["state"] == "offline" and state["reason"] == "no refdesk-aim bridge is connected"
        bridge = AIMBridgeProcess(workdir, router.socket, server)
        processes.append(bridge)
        failed = wait_until(lambda: (s := admin.get("/queues/ask/gateways/1").json())["state"] == "failed" and s, 30, "failed")
        assert "invalid password" in failed["reason"]
        assert failed["since"].endswith("Z") and failed["username"] == "RefDesk@aol.com"
        assert admin.get("/gateways").json() == [failed]
        by_account = admin.get("/queues/ask/gateways/aim/" + requests.utils.quote("refdesk@AOL.com", safe="")).json()
        assert by_account == failed
        # LibraryH3lp's list keeps its shape.
        assert list(admin.get("/queues/ask/gateways").json()[0]) == ["id", "queue", "protocolId", "protocol", "username", "password"]
        labels = '{queue="ask",protocol="aim",gateway="RefDesk@aol.com"}'
        wait_until(lambda: metric(metrics_port, "refdesk_gateway_up").get(labels) == 0.0, 10, "refdesk_gateway_up 0")
        status = wait_until(lambda: [line for _, line in notify.lines() if line.startswith("STATUS=") and "1 failed" in line], 10,
                            f"the status line to name the failure; got {notify.lines()}")[-1]
        assert "failed: aim RefDesk@aol.com: " in status and "invalid password" in status and "queues 1/1 online" in status

        environment = {"PATH": "/usr/bin:/bin", "HOME": str(workdir), "REFDESK_URL": admin.base, "REFDESK_USER": "root",
                       "REFDESK_PASSWORD": ADMIN_PASSWORD, "REFDESK_CA_FILE": str(certificate[0]),
                       "REFDESK_COOKIE_FILE": str(workdir / "cookies")}

        def ctl(*args, stdin=""):
            result = subprocess.run([binary("refdeskctl"), *args], input=stdin, capture_output=True, text=True, env=environment, timeout=30)
            assert result.returncode == 0, result.stderr
            return result.stdout

        table = ctl("gateways").splitlines()
        assert table[0].split()[:7] == ["ID", "QUEUE", "PROTOCOLID", "PROTOCOL", "USERNAME", "STATE", "REASON"]
        assert "failed" in table[1] and "invalid password" in table[1]
        shown = ctl("gateways", "show", "ask", "1")
        assert "failed" in shown and "invalid password" in shown
        assert "failed" in ctl("gateways", "show", "ask", "aim", "refdesk@aol.com")
        glance = ctl("status")
        assert "XMPP: connected" in glance and "alice" in glance and "failed" in glance and "Outbox: " in glance
        assert json.loads(ctl("status", "--json"))["gateways"][0]["state"] == "failed"

        # The right password, in place: the bridge signs in again; no delete and re-add.
        assert json.loads(ctl("gateways", "set-password", "ask", "1", "--json", stdin=DESK_PASSWORD + "\n")) == [
            {"id": 1, "queue": "ask", "protocolId": 1, "protocol": "aim", "username": "RefDesk@aol.com", "password": None}]
        wait_until(lambda: admin.get("/queues/ask/gateways/1").json()["state"] == "online", 30, "online with the new password")
        wait_until(lambda: server.is_online(DESK), 10, "the screen name to be signed on")
        assert router.query("SELECT secret FROM gateways WHERE id = 1") == [(DESK_PASSWORD,)]
        wait_until(lambda: metric(metrics_port, "refdesk_gateway_up").get(labels) == 1.0, 10, "refdesk_gateway_up 1")
        wait_until(lambda: any("gateways 1 online" in line for _, line in notify.lines()), 10, "the status line to show it online")
        # PUT by account and the _method override do the same.
        assert admin.put("/queues/ask/gateways/aim/RefDesk%40aol.com", data={"password": DESK_PASSWORD}).status_code == 200
        assert admin.post("/queues/ask/gateways/1", data={"_method": "PUT", "password": DESK_PASSWORD}).status_code == 200
        assert_failure(admin.put("/queues/ask/gateways/1", data={}), 400, "Missing field password")
        assert_failure(admin.put("/queues/ask/gateways/9", data={"password": "x"}), 404, "no gateway with id 9")
    finally:
        notify.close()
        server.stop()


def test_a_twilio_account_that_refuses_the_token_fails_the_gateway_with_twilios_reason(workdir, processes, certificate):
    port = free_port()
    router = RouterProcess(workdir, extra_config=admin_config(certificate, port))
    processes.append(router)
    seed_queue_and_gateway(router, gateway_protocol="twilio")
    router.seed(f"UPDATE gateways SET secret = '{ACCOUNT}';")
    admin = start_admin(router, certificate, port)
    api = FakeTwilio({ACCOUNT: "another-token-than-the-bridges"}).start()
    try:
        bridge = TwilioBridgeProcess(workdir, router.socket, api.base)
        processes.append(bridge)
        bridge.start()
        wait_until(lambda: admin.get("/queues/ask/gateways/1").json()["state"] == "online", 15, "online at first")
        # The queue is offline: the patron's text gets the offline reply, which Twilio refuses (401, error 20003).
        assert bridge.post("sms", sms(1, "+15551230001", "Hello?"))[0] == 200
        failed = wait_until(lambda: (s := admin.get("/queues/ask/gateways/1").json())["state"] == "failed" and s, 30, "failed")
        assert "credentials" in failed["reason"] and "20003" in failed["reason"]
        assert admin.get("/status").json()["gateways"][0]["state"] == "failed"
    finally:
        api.stop()


# 7. A new staffing account is subscribed at once

def test_a_new_staffing_account_gets_the_queues_subscription_request_at_once(workdir, processes, prosody, librarians, certificate):
    port = free_port()
    router = router_for(workdir, prosody, extra_config=admin_config(certificate, port))
    processes.append(router)
    seed_desk(router, {})
    # Bob's client shows the request and waits for him, as a person's does.
    bob = librarians("bob@localhost", approves=False)
    admin = start_admin(router, certificate, port)
    bridge = start_bridge(workdir, router, processes)
    wait_until(lambda: "XMPP ready" in router.log_text(), 15, "the component to be connected")
    queue_jid = f"ask@{prosody.component_domain}"
    assert admin.post("/users", data={"name": "bob"}).status_code == 201
    assert admin.post("/queues/ask/operators", data={"operator": "bob"}).status_code == 200
    added = time.monotonic()
    assert admin.post("/users/bob/staffing", data={"jid": "bob@localhost"}).status_code == 201
    bob.wait_presence(lambda p: p.type == "subscribe" and p.bare == queue_jid, timeout=5)
    assert time.monotonic() - added < 5, "the request comes at once, not with the renewal 10 s later"
    time.sleep(1)  # Bob reads it, then approves.
    approved = time.monotonic()
    bob.approve(queue_jid)
    # The approval of that first request is enough: the queue sees Bob and comes online, long before a renewal.
    wait_queue_online(bridge, timeout=30)
    took = time.monotonic() - approved
    assert took < 5, f"the queue came online {took:.1f}s after Bob approved (the first request had been cancelled)"
    assert admin.get("/status").json()["queues"][0]["staffedBy"] == ["bob"]


# 8. Documented statuses, and the session cookie on each listener

def documented_success(method: str, path: str) -> int:
    spec = yaml.safe_load((ROOT / "docs" / "admin-api.openapi.yaml").read_text())
    responses = spec["paths"][path][method.lower()]["responses"]
    return int(next(code for code in responses if code.startswith("2")))


def test_every_creation_answers_with_the_status_its_documentation_gives(desk):
    router, admin = desk
    prefix = "/2011-12-03"
    calls = [
        ("POST", "/queues", "/queues", {"name": "ask"}),
        ("POST", "/queues/{QueueId}/gateways", "/queues/ask/gateways", {"username": "+15550000002", "password": "AC1", "protocol": "twilio"}),
        ("PUT", "/queues/{QueueId}/gateways/{GatewayId}", "/queues/ask/gateways/1", {"password": "AC2"}),
        ("POST", "/users", "/users", {"name": "olive"}),
        ("POST", "/users/{User}/staffing", "/users/olive/staffing", {"jid": "olive@example.org"}),
        ("POST", "/queues/{QueueId}/operators", "/queues/ask/operators", {"operator": "olive"}),
    ]
    for method, template, path, body in calls:
        response = admin.session.request(method, admin.base + prefix + path, data=body)
        assert response.status_code == documented_success(method, prefix + template), (method, path, response.text)
    assert documented_success("POST", prefix + "/queues") == 201
    assert documented_success("POST", prefix + "/queues/{QueueId}/gateways") == 200, "as LibraryH3lp did"
    text = (ROOT / "docs" / "admin-api.md").read_text()
    assert "admin-api.openapi.yaml" in text


def test_the_session_cookie_is_secure_over_https_and_usable_on_the_loopback_cleartext_listener(desk, workdir, processes):
    router, admin = desk
    secure = Admin(admin.base, admin.session.verify).login().headers["Set-Cookie"]
    assert "; Secure" in secure
    router.stop()
    port = free_port()
    text = router.config.read_text()
    router.config.write_text(text + f'cleartext_listen = ["127.0.0.1:{port}"]\n')
    router.start()
    wait_until(lambda: router.log_text().count("admin API listening") >= 3, 10, "both listeners")
    session = requests.Session()
    session.trust_env = False
    login = session.post(f"http://127.0.0.1:{port}/2011-12-03/auth/login", data={"username": "root", "password": ADMIN_PASSWORD})
    assert login.status_code == 200 and "Secure" not in login.headers["Set-Cookie"]
    assert session.get(f"http://127.0.0.1:{port}/2011-12-03/auth/whoami").json()["user"] == "root", "the client sends it back"


def test_a_stored_aim_xmpp_twin_stops_the_router_with_both_accounts_named(workdir, processes):
    router = RouterProcess(workdir)
    processes.append(router)
    seed_queue_and_gateway(router, gateway_protocol="aim")
    router.seed("""
        UPDATE gateways SET username = 'frankdesk@aol.com', normalised_username = 'frankdesk';
        INSERT INTO operators (name, role) VALUES ('frank', 'operator');
        INSERT INTO staffing_jids (jid, operator) VALUES ('frankdesk@aol.com', 'frank');
    """)
    result = subprocess.run([binary("refdesk-router"), "-c", str(router.config)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert "gateway 1 (aim frankdesk@aol.com) and staffing JID frankdesk@aol.com of frank" in router.log_text() + result.stderr
