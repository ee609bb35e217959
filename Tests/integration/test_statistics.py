"""Statistics of chats driven through the real daemons: Prosody, the router as its component, two test bridges (one
serving an `aim` gateway) and two slixmpp librarians. Seven chats with known outcomes, counts and (measured) times;
every figure of the API, its breakdowns, the busiest hours in a half-hour time zone, the CSV export and
`refdeskctl stats` are checked against them."""
import csv
import io
import os
import subprocess
import time
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import requests

from conftest import BridgeProcess, binary, report, wait_until
from staffing import patron_jid, router_for, seed_desk, start_bridge, wait_queue_online
from test_admin_api import ADMIN_PASSWORD, create_user_in_database, free_port
from xmpp_harness import librarians, prosody  # noqa: F401 (fixtures)

ZONE = "Asia/Kolkata"  # UTC+05:30: local hours are not UTC hours
OPT_OUT = "STOP\n[The patron opted out of texts from this number. Replies will not be sent until they text START.]"


def now_ms():
    return int(time.time() * 1000)


class Desk:
    def __init__(self, prosody, bridges, alice, bob):
        self.prosody, self.bridges, self.alice, self.bob = prosody, bridges, alice, bob
        self.count = 0

    def write(self, patron, body, gateway=1):
        """A patron's message; returns when it was sent (ms)."""
        self.count += 1
        sent = now_ms()
        self.bridges[gateway].send({"op": "receive", "id": f"s{self.count}", "gateway": gateway, "from": patron, "body": body})
        return sent

    def received(self, librarian, body):
        librarian.wait_message(lambda m: m.body.endswith(body), timeout=15)
        return now_ms()

    def reply(self, librarian, patron, body, gateway=1):
        """A librarian's reply: (when sent, when the bridge had it, the outbound id)."""
        sent = now_ms()
        librarian.send(patron_jid(self.prosody, patron), body)
        event = self.bridges[gateway].wait_event(lambda e: e["event"] == "outbound" and e["body"] == body, timeout=15)
        return sent, now_ms(), event["id"]

    def command(self, librarian, patron, text, answer):
        """A command in the patron's window; (when sent, when its answer came)."""
        sent = now_ms()
        librarian.send(patron_jid(self.prosody, patron), text)
        librarian.wait_message(lambda m: answer in m.body, timeout=15)
        return sent, now_ms()


def test_every_statistic_of_chats_through_the_daemons(workdir, processes, prosody, librarians, request):
    port = free_port()
    router = router_for(workdir, prosody, extra_config=f'[admin]\ncleartext_listen = ["127.0.0.1:{port}"]\npassword_iterations = 100000\n')
    processes.append(router)
    seed_desk(router, {"alice": (["alice@localhost"], ["ask"]), "bob": (["bob@localhost"], ["ask"])})
    router.seed("INSERT INTO gateways (protocol, queue, username, normalised_username, secret, created_at) "
                "VALUES ('aim', 'ask', 'askdesk', 'askdesk', '', 0);")
    create_user_in_database(router, "root", ADMIN_PASSWORD)
    alice = librarians("alice@localhost")
    bob = librarians("bob@localhost")
    router.start()
    test_bridge = start_bridge(workdir, router, processes)
    aim_bridge = BridgeProcess(workdir, router.socket, name="aim", protocol="aim")
    processes.append(aim_bridge)
    aim_bridge.start()
    aim_bridge.wait_event(lambda e: e["event"] == "connected")
    wait_queue_online(test_bridge)

    api = requests.Session()
    api.trust_env = False
    base = f"http://127.0.0.1:{port}/2011-12-03"
    assert api.post(base + "/auth/login", data={"username": "root", "password": ADMIN_PASSWORD}).status_code == 200
    assert api.put(base + "/queues/ask", data={"timeZone": ZONE}).status_code == 200
    desk = Desk(prosody, {1: test_bridge, 2: aim_bridge}, alice, bob)
    began = now_ms()

    # A: answered by alice after ~1.5 s, two lines each way, one reply not delivered, closed.
    a_sent = desk.write("+15551230001", "a1: atlases?")
    a_seen = desk.received(alice, "a1: atlases?")
    time.sleep(1.5)
    a_reply, a_out, a_id = desk.reply(alice, "+15551230001", "a: the map room")
    desk.write("+15551230001", "a2: thanks")
    desk.received(alice, "a2: thanks")
    desk.reply(alice, "+15551230001", "a: you are welcome")
    test_bridge.send({"op": "delivery", "id": a_id, "status": "failed", "reason": "unreachable handset"})
    alice.wait_message(lambda m: "did not reach the patron" in m.body, timeout=15)
    time.sleep(0.5)
    a_close, a_closed = desk.command(alice, "+15551230001", "/close", "closed")

    # B (AIM): answered by alice after ~3 s, transferred to bob, who replies and closes.
    b_sent = desk.write("patronaim", "b1: hello from AIM", gateway=2)
    b_seen = desk.received(alice, "b1: hello from AIM")
    time.sleep(3)
    b_reply, b_out, _ = desk.reply(alice, "patronaim", "b: hello", gateway=2)
    desk.command(alice, "patronaim", "/transfer bob", "transferred to bob")
    bob.wait_message(lambda m: "Transferred from alice" in m.body, timeout=15)
    desk.reply(bob, "patronaim", "b: bob here", gateway=2)
    b_close, b_closed = desk.command(bob, "patronaim", "/close", "closed")

    # C: closed by alice without a reply (unanswered); D: the patron opts out first, then it is closed (abandoned).
    desk.write("+15551230003", "c1: anyone?")
    desk.received(alice, "c1: anyone?")
    desk.command(alice, "+15551230003", "/close", "closed")
    desk.write("+15551230004", OPT_OUT)
    desk.received(alice, OPT_OUT.split("\n")[1])
    desk.command(alice, "+15551230004", "/close", "closed")

    # E and F write while nobody staffs the queue; when alice is back she closes E unanswered and answers F.
    alice.set_presence("away")
    bob.set_presence("away")
    wait_queue_online(test_bridge, online=False)
    desk.write("+15551230005", "e1: late question")
    desk.write("+15551230006", "f1: another late question")
    test_bridge.wait_event(lambda e: e["event"] == "outbound" and e["to"] == "+15551230006")
    time.sleep(1)
    alice.set_presence(None)
    desk.received(alice, "f1: another late question")
    desk.command(alice, "+15551230005", "/close", "closed")
    desk.reply(alice, "+15551230006", "f: answered in the morning")
    desk.command(alice, "+15551230006", "/close", "closed")

    # G: still waiting.
    desk.write("+15551230007", "g1: still there?")
    desk.received(alice, "g1: still there?")
    ended = now_ms()

    def statistics(**query):
        response = api.get(base + "/statistics", params=query)
        assert response.status_code == 200, response.text
        return response.json()

    report_range = statistics(period="range")
    totals = report_range["totals"]
    expected = {"started": 7, "answered": 3, "missed": 3, "missedOffline": 1, "missedUnanswered": 1, "missedAbandoned": 1,
                "waiting": 1, "arrivedOffline": 2, "transferred": 1, "messagesIn": 8, "messagesOut": 5, "optOuts": 1,
                "deliveryFailures": 1}
    assert {key: totals[key] for key in expected} == expected, totals
    assert report_range["pendingChats"] == 0

    # Time to first reply: A and B only (F waited in the offline inbox). Nearest rank of two: p50 is A, p90 is B.
    a_wait, b_wait = totals["firstReplyP50"], totals["firstReplyP90"]
    assert (a_reply - a_seen) / 1000 <= a_wait <= (a_out - a_sent) / 1000, (a_wait, a_reply - a_seen, a_out - a_sent)
    assert (b_reply - b_seen) / 1000 <= b_wait <= (b_out - b_sent) / 1000, (b_wait, b_reply - b_seen, b_out - b_sent)
    # Chat length, from the first reply to the end: A, B and F; p90 is the longest, B's or A's.
    a_length = ((a_close - a_out) / 1000, (a_closed - a_reply) / 1000)
    b_length = ((b_close - b_out) / 1000, (b_closed - b_reply) / 1000)
    assert max(a_length[0], b_length[0]) <= totals["durationP90"] <= max(a_length[1], b_length[1]), (totals, a_length, b_length)

    # By channel and by librarian (who answered first).
    channels = {row["channel"]: row for row in statistics(by="channel")["rows"]}
    assert {name: (row["started"], row["answered"], row["transferred"]) for name, row in channels.items()} == {"aim": (1, 1, 1), "test": (6, 2, 0)}
    assert b_wait == channels["aim"]["firstReplyP50"]
    operators = {row["operator"]: row for row in statistics(by="operator")["rows"]}
    assert {name: (row["started"], row["answered"]) for name, row in operators.items()} == {"alice": (3, 3), "": (4, 0)}
    assert statistics(operator="bob")["totals"]["started"] == 0, "a transferred chat counts for who answered it first"
    assert statistics(channel="aim")["totals"]["messagesOut"] == 2

    # Periods and busiest hours on the queue's clock (Asia/Kolkata).
    zone = ZoneInfo(ZONE)
    cells = set()
    for instant in range(began // 1000, ended // 1000 + 1, 60):
        local = datetime.fromtimestamp(instant, timezone.utc).astimezone(zone)
        cells.add((local.weekday(), local.hour))
    by_hour = statistics(period="hour")
    busy = {(day, hour): count for day, row in enumerate(by_hour["busiestHours"]) for hour, count in enumerate(row["chats"]) if count}
    assert set(busy) <= cells and sum(busy.values()) == 7, (busy, cells)
    started_local = datetime.fromtimestamp(began / 1000, timezone.utc).astimezone(zone)
    labels = {row["period"]: row["started"] for row in by_hour["rows"] if row["started"]}
    assert started_local.strftime("%Y-%m-%dT%H:00") in labels and sum(labels.values()) == 7, labels
    day = statistics(period="day", **{"from": started_local.strftime("%Y-%m-%d"), "to": started_local.strftime("%Y-%m-%d")})
    assert [row["period"] for row in day["rows"]] == [started_local.strftime("%Y-%m-%d")]
    assert statistics(period="month")["rows"][-1]["period"] == datetime.fromtimestamp(ended / 1000, timezone.utc).astimezone(zone).strftime("%Y-%m")

    # The CSV: one row per chat, stable columns, patrons masked unless an admin asks; no message text anywhere.
    exported = api.get(base + "/statistics/chats.csv")
    assert exported.status_code == 200 and exported.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(rows) == 7
    assert list(rows[0]) == ["chat_id", "queue", "channel", "librarian", "patron", "state", "outcome", "arrived_offline",
                             "first_message_utc", "first_message_local", "answered_utc", "ended_utc", "first_reply_seconds",
                             "duration_seconds", "messages_in", "messages_out", "transfers", "opted_out", "delivery_failures"]
    assert sorted(row["outcome"] for row in rows) == sorted(["answered", "answered", "answered", "missed_unanswered", "missed_abandoned",
                                                             "missed_offline", "waiting"])
    assert all("xxx" in row["patron"] or row["patron"].startswith("p") for row in rows)
    assert not any(word in exported.text for word in ("atlases", "map room", "hello"))
    full = {row["patron"]: row for row in csv.DictReader(io.StringIO(api.get(base + "/statistics/chats.csv", params={"patrons": "full"}).text))}
    assert full["'+15551230001"]["delivery_failures"] == "1" and full["'+15551230001"]["messages_in"] == "2"
    assert full["patronaim"]["channel"] == "aim" and full["patronaim"]["transfers"] == "1" and full["patronaim"]["librarian"] == "alice"
    assert full["'+15551230006"]["arrived_offline"] == "1" and full["'+15551230006"]["first_reply_seconds"] != ""
    assert full["'+15551230004"]["opted_out"] == "1"
    first_local = datetime.fromtimestamp(a_sent / 1000, timezone.utc).astimezone(zone).strftime("%Y-%m-%d %H:%M")
    assert full["'+15551230001"]["first_message_local"] in (first_local,
        datetime.fromtimestamp(a_out / 1000, timezone.utc).astimezone(zone).strftime("%Y-%m-%d %H:%M"))

    # Operators may read statistics but not export full numbers; bad input is refused with what was wrong.
    assert api.post(base + "/users", data={"name": "olive", "password": "olive-password-1"}).status_code == 201
    olive = requests.Session()
    olive.trust_env = False
    assert olive.post(base + "/auth/login", data={"username": "olive", "password": "olive-password-1"}).status_code == 200
    assert olive.get(base + "/statistics").json()["totals"]["started"] == 7
    assert olive.get(base + "/statistics/chats.csv", params={"patrons": "full"}).status_code == 403
    for query, words in (({"period": "fortnight"}, "period"), ({"from": "2024-13-01"}, "from"), ({"by": "mood"}, "by"),
                         ({"from": "2024-05-02", "to": "2024-05-01"}, "after"), ({"period": "hour", "from": "2020-01-01", "to": "2024-01-01"}, "rows")):
        refused = api.get(base + "/statistics", params=query)
        assert refused.status_code == 400 and words in refused.json()["message"], (query, refused.text)

    # refdeskctl stats: the same figures in a table.
    environment = dict(os.environ, REFDESK_URL=f"http://127.0.0.1:{port}", REFDESK_USER="root", REFDESK_PASSWORD=ADMIN_PASSWORD,
                       REFDESK_COOKIE_FILE=str(workdir / "cookies"))
    subprocess.run([binary("refdeskctl"), "login"], env=environment, check=True, capture_output=True, timeout=30)
    shown = subprocess.run([binary("refdeskctl"), "stats", "--period", "range"], env=environment, capture_output=True, text=True, timeout=30)
    assert shown.returncode == 0, shown.stderr
    total_line = next(line for line in shown.stdout.splitlines() if line.startswith("total"))
    assert total_line.split()[1:4] == ["7", "3", "3"], shown.stdout
    assert "Chats started by weekday and hour" in shown.stdout
    csv_out = subprocess.run([binary("refdeskctl"), "stats", "export", "--channel", "aim"], env=environment, capture_output=True, text=True, timeout=30)
    assert csv_out.returncode == 0 and len(csv_out.stdout.strip().splitlines()) == 2, csv_out.stdout
    found = subprocess.run([binary("refdeskctl"), "chats", "--text", "atlases"], env=environment, capture_output=True, text=True, timeout=30)
    assert found.returncode == 0 and len(found.stdout.strip().splitlines()) == 2 and "+15551230001" in found.stdout, found.stdout
    chat_a = api.get(base + "/chats", params={"text": "atlases"}).json()[0]["id"]
    transcript = subprocess.run([binary("refdeskctl"), "chat", str(chat_a)], env=environment, capture_output=True, text=True, timeout=30)
    assert transcript.returncode == 0, transcript.stderr
    assert "patron: a1: atlases?" in transcript.stdout and "alice: a: the map room" in transcript.stdout, transcript.stdout
    lines = api.get(base + f"/chats/{chat_a}").json()["lines"]
    assert [(line["direction"], line["text"]) for line in lines] == [("in", "a1: atlases?"), ("out", "a: the map room"), ("in", "a2: thanks"),
                                                                      ("out", "a: you are welcome")]
    assert api.get(base + "/chats/999999").status_code == 404
    # A queue that keeps no transcripts: its lines are counted, their text is not kept.
    assert api.put(base + "/queues/ask", data={"keepsTranscripts": "false"}).status_code == 200
    desk.write("+15551230008", "h1: private question")
    desk.received(alice, "h1: private question")
    desk.reply(alice, "+15551230008", "h: private answer")
    chat_h = api.get(base + "/chats", params={"text": "+15551230008"}).json()[0]["id"]
    shown = api.get(base + f"/chats/{chat_h}").json()
    assert shown["keepsTranscripts"] is False and [(line["direction"], line["text"]) for line in shown["lines"]] == [("in", None), ("out", None)]
    assert router.query("SELECT count(*) FROM messages WHERE body LIKE '%private%'")[0][0] == 0, "no text is stored"
    after = statistics(period="range")["totals"]
    assert (after["started"], after["answered"], after["messagesIn"], after["messagesOut"]) == (8, 4, 9, 6), after
    report(request.config, f"statistics through the daemons: 7 chats, first reply p50 {a_wait} s / p90 {b_wait} s, "
                           f"length p90 {totals['durationP90']} s, all figures as driven")
    assert router.process.poll() is None
