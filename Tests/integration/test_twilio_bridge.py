"""refdesk-twilio end to end: the real router (gateway protocol `twilio`, its queue offline), the real bridge, and
a fake of Twilio's REST API. Webhooks are signed with the official `twilio` library, as Twilio signs them."""
import base64
import http.client
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ElementTree
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from conftest import RouterProcess, binary, seed_queue_and_gateway, wait_until
from fake_twilio import FakeTwilio

ACCOUNT = "AC" + "0123456789abcdef" * 2
TOKEN = "f00dfeedf00dfeedf00dfeedf00dfeed"
LIBRARY = "+15550000001"
PUBLIC = "https://sms.library.example/refdesk"
OFFLINE_REPLY = "The library is closed now; a librarian will answer when we open."
STOP_NOTE = "[The patron opted out of texts from this number. Replies will not be sent until they text START.]"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TwilioBridgeProcess:
    """refdesk-twilio with its config, spool and log in `workdir`; the auth token is a systemd-style credential."""

    def __init__(self, workdir: Path, router_socket: Path, api_base: str, extra: str = ""):
        self.workdir = workdir
        self.port = free_port()
        self.log = workdir / "twilio.log"
        self.spool = workdir / "twilio-spool.sqlite"
        self.credentials = workdir / "credentials"
        self.credentials.mkdir(exist_ok=True)
        (self.credentials / "twilio-main.token").write_text(TOKEN + "\n")
        self.config = workdir / "twilio.toml"
        self.config.write_text(
            f'[bridge]\nrouter_socket = "{router_socket}"\nspool = "{self.spool}"\ninstance = "sms-test"\nlog_level = "debug"\n'
            f'[twilio]\nlisten = "127.0.0.1:{self.port}"\npublic_url = "{PUBLIC}"\napi_base = "{api_base}"\n'
            f'retry_initial = "200ms"\nretry_maximum = "1s"\n{extra}\n'
            f'[[twilio.account]]\nsid = "{ACCOUNT}"\nauth_token_file = "twilio-main.token"\n')
        self.process = None

    def start(self):
        mark = self.log_text().count("gateway ready")
        log = open(self.log, "ab")
        environment = dict(os.environ, CREDENTIALS_DIRECTORY=str(self.credentials))
        self.process = subprocess.Popen([binary("refdesk-twilio"), "-c", str(self.config)], stderr=log,
                                        stdin=subprocess.DEVNULL, env=environment)
        log.close()
        wait_until(lambda: self.log_text().count("gateway ready") > mark or self.process.poll() is not None,
                   15, "the bridge to learn its gateway")
        assert self.process.poll() is None, f"bridge exited: {self.log_text()[-2000:]}"

    def kill(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def post(self, endpoint: str, params: dict, signature=None, sign_with: str = TOKEN, raw: bytes = None,
             content_type: str | None = "application/x-www-form-urlencoded"):
        """POSTs a webhook to the listener (the reverse proxy's view), signed over the public URL unless
        `signature` is given ("" for none), with `content_type` (None: no Content-Type header). Returns (status,
        content type, body)."""
        public_url = f"{PUBLIC}/{endpoint}"
        if signature is None:
            signature = RequestValidator(sign_with).compute_signature(public_url, params)
        headers = {"Content-Type": content_type} if content_type else {}
        if signature:
            headers["X-Twilio-Signature"] = signature
        data = raw if raw is not None else urllib.parse.urlencode(params).encode()
        if content_type is None:  # urllib would add a form Content-Type of its own
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                connection.putrequest("POST", f"/refdesk/{endpoint}", skip_accept_encoding=True)
                for name, value in {**headers, "Content-Length": str(len(data))}.items():
                    connection.putheader(name, value)
                connection.endheaders(data)
                response = connection.getresponse()
                return response.status, response.getheader("Content-Type"), response.read().decode()
            finally:
                connection.close()
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/refdesk/{endpoint}", data=data, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.headers.get("Content-Type"), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Content-Type"), error.read().decode()


def sms(sid_number: int, patron: str, body: str, to: str = LIBRARY, **extra) -> dict:
    params = {"MessageSid": f"SM{sid_number:032x}", "SmsSid": f"SM{sid_number:032x}", "AccountSid": ACCOUNT,
              "From": patron, "To": to, "Body": body, "NumMedia": "0", "NumSegments": "1", "ApiVersion": "2010-04-01"}
    params.update(extra)
    return params


def same_twiml(answer: str, expected: MessagingResponse) -> bool:
    def shape(element):
        return (element.tag, (element.text or "").strip(), sorted(element.attrib.items()), [shape(c) for c in element])
    return shape(ElementTree.fromstring(answer.encode())) == shape(ElementTree.fromstring(str(expected).encode()))


@pytest.fixture
def desk(workdir, processes):
    """Router with queue `ask` (offline) and a Twilio gateway for LIBRARY; the fake API; the bridge."""
    def make(extra: str = "", setup_sql: str = ""):
        router = RouterProcess(workdir)
        processes.append(router)
        seed_queue_and_gateway(router, gateway_protocol="twilio")
        router.seed(f"UPDATE gateways SET secret = '{ACCOUNT}' WHERE id = 1;" + setup_sql)
        router.start()
        api = FakeTwilio({ACCOUNT: TOKEN}).start()
        bridge = TwilioBridgeProcess(workdir, router.socket, api.base, extra)
        processes.append(bridge)
        bridge.start()
        return router, bridge, api
    return make


def inbox_count(router, sid: str = None) -> int:
    if sid:
        return router.query("SELECT count(*) FROM offline_inbox WHERE message_id = ?", sid)[0][0]
    return router.query("SELECT count(*) FROM offline_inbox")[0][0]


def reports(router, message_id: str):
    return router.query("SELECT status, reason FROM delivery_reports WHERE message_id = ? ORDER BY id", message_id)


def outbox_reply(router, recipient: str, body: str, reply_id: str):
    """Puts a librarian's reply into the stopped router's outbox, as the XMPP side would."""
    router.seed(f"INSERT INTO outbox (id, protocol, gateway_id, recipient, body, created_at) "
                f"VALUES ('{reply_id}', 'twilio', 1, '{recipient}', '{body}', 0);")


def test_a_text_to_the_offline_queue_is_stored_and_the_auto_reply_goes_out_through_the_messages_api(desk):
    router, bridge, api = desk()
    status, content_type, answer = bridge.post("sms", sms(1, "+15551230001", "Do you have the book?"))
    assert status == 200
    assert content_type == "text/xml; charset=utf-8"
    assert same_twiml(answer, MessagingResponse())
    wait_until(lambda: inbox_count(router, f"SM{1:032x}") == 1, 10, "the text in the offline inbox")
    assert router.query("SELECT patron, body FROM offline_inbox")[0] == ("+15551230001", "Do you have the book?")

    call = wait_until(lambda: api.accepted() and api.accepted()[0], 10, "the auto-reply at the API")
    assert call["path"] == f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
    assert call["authorization"] == "Basic " + base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
    assert call["form"] == {"To": "+15551230001", "From": LIBRARY, "Body": OFFLINE_REPLY, "StatusCallback": f"{PUBLIC}/status"}

    wait_until(lambda: router.query("SELECT message_id FROM delivery_reports WHERE status = 'sent'"), 10, "the sent report")
    reply_id = router.query("SELECT message_id FROM delivery_reports WHERE status = 'sent'")[0][0]
    assert api.send_status_callback(call, "delivered", target=f"http://127.0.0.1:{bridge.port}/refdesk/status") == 200
    wait_until(lambda: [s for s, _ in reports(router, reply_id)] == ["sent", "delivered"], 10, "the delivered report")


def test_replies_to_many_patrons_go_out_together_but_one_number_keeps_its_pace(desk):
    """Replies to different patrons do not wait for each other's spool commits, yet Twilio never sees one library
    number send faster than `segments_per_second`: here 8 auto-replies at 4 per second, at least 1/4 s apart."""
    router, bridge, api = desk(extra="segments_per_second = 4")
    patrons = [f"+1555123{n:04d}" for n in range(8)]
    for n, patron in enumerate(patrons):
        assert bridge.post("sms", sms(300 + n, patron, "hello?"))[0] == 200
    wait_until(lambda: len(api.accepted()) == len(patrons), 20, "every auto-reply at the API")
    calls = api.accepted()
    assert sorted(c["form"]["To"] for c in calls) == patrons
    gaps = [later["at"] - earlier["at"] for earlier, later in zip(calls, calls[1:])]
    assert min(gaps) >= 0.2, f"sends from one number closer than the pace allows: {[round(g, 3) for g in gaps]}"


def test_forged_unsigned_oversized_and_malformed_webhooks_are_refused_and_nothing_is_routed(desk):
    router, bridge, api = desk()
    forged = bridge.post("sms", sms(2, "+15551230002", "forged"), sign_with="not-the-auth-token")
    unsigned = bridge.post("sms", sms(3, "+15551230002", "unsigned"), signature="")
    oversized = bridge.post("sms", sms(4, "+15551230002", "x" * 70_000))
    malformed = bridge.post("sms", {}, signature="c2lnbmF0dXJl", raw=b"MessageSid=SM%zz&Body=%")
    unknown_number = bridge.post("sms", sms(5, "+15551230002", "to a number that is no gateway", to="+15559999999"))
    assert [forged[0], unsigned[0], oversized[0], malformed[0], unknown_number[0]] == [403, 403, 413, 400, 404]
    assert "signature" in forged[2].lower() and "signature" in unsigned[2].lower()

    # A good text sent afterwards arrives alone: the refused ones were never spooled.
    assert bridge.post("sms", sms(6, "+15551230002", "a real question"))[0] == 200
    wait_until(lambda: inbox_count(router) >= 1, 10, "the real text")
    time.sleep(0.5)
    assert router.query("SELECT body FROM offline_inbox") == [("a real question",)]
    assert "X-Twilio-Signature does not match" in bridge.log_text()


def test_both_endpoints_refuse_bodies_that_are_not_forms_with_415_and_route_nothing(desk):
    """docs/twilio-bridge.md: both endpoints take `application/x-www-form-urlencoded`. A validly signed body sent
    as another type (its bytes would still parse as a form) is refused with 415 and reaches nobody."""
    router, bridge, api = desk()
    params = sms(20, "+15551230020", "not a form")
    multipart = (b'--x\r\nContent-Disposition: form-data; name="Body"\r\n\r\nnot a form\r\n--x--\r\n')
    answers = [
        bridge.post("sms", params, content_type="text/plain"),
        bridge.post("sms", params, content_type="multipart/form-data; boundary=x"),
        bridge.post("sms", params, content_type="multipart/form-data; boundary=x", raw=multipart),
        bridge.post("sms", params, content_type="application/json"),
        bridge.post("sms", params, content_type=None),
        bridge.post("status", {"MessageSid": f"SM{21:032x}", "AccountSid": ACCOUNT, "MessageStatus": "delivered"},
                    content_type="text/plain"),
    ]
    assert [status for status, _, _ in answers] == [415] * len(answers), answers
    assert all("application/x-www-form-urlencoded" in body for _, _, body in answers)
    assert "'text/plain'" in answers[0][2]
    assert "415" in bridge.log_text()
    # The same text with the right type is taken; only it reaches the router.
    assert bridge.post("sms", params, content_type="application/x-www-form-urlencoded; charset=utf-8")[0] == 200
    wait_until(lambda: inbox_count(router) >= 1, 10, "the form-encoded text")
    time.sleep(0.5)
    assert router.query("SELECT body FROM offline_inbox") == [("not a form",)]


def test_a_replayed_message_sid_is_answered_200_and_changes_nothing(desk):
    router, bridge, api = desk()
    params = sms(7, "+15551230003", "once only")
    assert bridge.post("sms", params)[0] == 200
    wait_until(lambda: inbox_count(router, f"SM{7:032x}") == 1, 10, "the first copy")
    status, _, answer = bridge.post("sms", params)
    assert status == 200 and same_twiml(answer, MessagingResponse())
    time.sleep(1)
    assert inbox_count(router, f"SM{7:032x}") == 1


def test_mms_media_reach_the_router_as_links(desk):
    router, bridge, api = desk()
    params = sms(8, "+15551230004", "this page", NumMedia="1",
                 MediaUrl0=f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Messages/MM1/Media/ME1",
                 MediaContentType0="image/jpeg")
    assert bridge.post("sms", params)[0] == 200
    wait_until(lambda: inbox_count(router) == 1, 10, "the MMS")
    body = router.query("SELECT body FROM offline_inbox")[0][0]
    assert body.splitlines() == ["this page", f"[image/jpeg] {params['MediaUrl0']}"]


def post_while_killing_the_router(bridge, router, texts, kill_after=(250, 600)) -> list:
    """Posts `texts` from 16 threads while the router is SIGKILLed and restarted after each count in `kill_after`;
    returns the HTTP statuses."""
    statuses = []
    lock = threading.Lock()

    def post(params):
        status = bridge.post("sms", params)[0]
        with lock:
            statuses.append(status)

    def chaos():
        for threshold in kill_after:
            wait_until(lambda: len(statuses) >= threshold, 60, f"{threshold} posts")
            router.kill()
            time.sleep(0.3)
            router.start()

    killer = threading.Thread(target=chaos)
    killer.start()
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(post, texts))
    killer.join()
    return statuses


def test_a_thousand_texts_reach_the_router_exactly_once_while_it_is_killed_and_restarted_twice(desk):
    router, bridge, api = desk(extra="segments_per_second = 50")
    texts = [sms(10_000 + i, f"+1555124{i % 10:04d}", f"question {i}") for i in range(1000)]
    statuses = post_while_killing_the_router(bridge, router, texts)
    assert statuses.count(200) == 1000, f"not all answered 200: {sorted(set(statuses))}"
    assert router.log_text().count("listening for bridges") == 4  # seed run, start, two restarts

    wait_until(lambda: inbox_count(router) >= 1000, 60, "all texts in the router")
    rows = router.query("SELECT message_id, count(*) FROM offline_inbox GROUP BY message_id")
    assert len(rows) == 1000 and all(count == 1 for _, count in rows)
    assert {sid for sid, _ in rows} == {params["MessageSid"] for params in texts}

    with ThreadPoolExecutor(max_workers=16) as pool:
        replay = list(pool.map(lambda params: bridge.post("sms", params)[0], texts))
    assert replay.count(200) == 1000
    time.sleep(2)
    assert inbox_count(router) == 1000


def test_429_and_500_are_retried_and_21610_becomes_a_failed_delivery_report(desk):
    router, bridge, api = desk()
    api.fail_next(2, 500)
    api.fail_next(1, 429)
    assert bridge.post("sms", sms(20, "+15551230005", "hello?"))[0] == 200
    call = wait_until(lambda: api.accepted() and api.accepted()[0], 20, "the reply after retries")
    assert [c["status"] for c in api.calls] == [500, 500, 429, 201]
    assert all(c["form"] == call["form"] for c in api.calls), "each retry sends the same message"
    wait_until(lambda: router.query("SELECT 1 FROM delivery_reports WHERE status = 'sent'"), 10, "the sent report")
    assert "reply will be retried" in bridge.log_text()

    api.opted_out.add("+15551230006")
    assert bridge.post("sms", sms(21, "+15551230006", "hi"))[0] == 200
    failed = wait_until(lambda: router.query("SELECT reason FROM delivery_reports WHERE status = 'failed'"), 20, "the failed report")
    assert "21610" in failed[0][0] and "START" in failed[0][0]
    time.sleep(1)
    assert len([c for c in api.calls if c["form"]["To"] == "+15551230006"]) == 1, "a permanent error is not retried"


def test_a_2000_character_reply_arrives_as_two_messages_in_order(desk):
    words = [f"word{i:03d}" for i in range(250)]
    long_reply = " ".join(words)[:2000].rstrip()
    assert len(long_reply) > 1600
    router, bridge, api = desk(setup_sql=f"UPDATE queues SET offline_reply = '{long_reply}';")
    assert bridge.post("sms", sms(30, "+15551230007", "a long answer please"))[0] == 200
    wait_until(lambda: len(api.accepted()) == 2, 20, "two API calls")
    first, second = [c["form"]["Body"] for c in api.accepted()]
    assert len(first) <= 1600 and len(second) <= 1600
    assert first + " " + second == long_reply
    assert first.split()[-1] in words and second.split()[0] in words, "cut between words"
    reply_id = wait_until(lambda: router.query("SELECT message_id FROM delivery_reports WHERE status = 'sent'"), 10, "sent")[0][0]
    target = f"http://127.0.0.1:{bridge.port}/refdesk/status"
    assert api.send_status_callback(api.accepted()[0], "delivered", target=target) == 200
    time.sleep(0.5)
    assert [s for s, _ in reports(router, reply_id)] == ["sent"], "delivered only when every part is"
    assert api.send_status_callback(api.accepted()[1], "delivered", target=target) == 200
    wait_until(lambda: [s for s, _ in reports(router, reply_id)] == ["sent", "delivered"], 10, "delivered")


def test_stop_blocks_replies_until_start(desk):
    router, bridge, api = desk()
    patron = "+15551230008"
    assert bridge.post("sms", sms(40, patron, "STOP"))[0] == 200
    wait_until(lambda: inbox_count(router) == 1, 10, "the STOP text at the router")
    assert router.query("SELECT body FROM offline_inbox")[0][0] == "STOP\n" + STOP_NOTE
    # The auto-reply the STOP text triggered is not sent.
    failed = wait_until(lambda: router.query("SELECT reason FROM delivery_reports WHERE status = 'failed'"), 10, "blocked")
    assert "opt out" in failed[0][0] and "START" in failed[0][0]

    router.stop()
    outbox_reply(router, patron, "Here is your answer.", "reply-while-stopped")
    router.start()
    wait_until(lambda: reports(router, "reply-while-stopped"), 10, "the blocked reply's report")
    assert reports(router, "reply-while-stopped")[0][0] == "failed"
    assert not [c for c in api.calls if c["form"]["To"] == patron]

    assert bridge.post("sms", sms(41, patron, "start"))[0] == 200
    wait_until(lambda: inbox_count(router) == 2, 10, "the START text at the router")
    router.stop()
    outbox_reply(router, patron, "Welcome back.", "reply-after-start")
    router.start()
    wait_until(lambda: [c for c in api.accepted() if c["form"]["To"] == patron], 10, "the reply after START")
    assert [c["form"]["Body"] for c in api.accepted() if c["form"]["To"] == patron] == ["Welcome back."]
    wait_until(lambda: reports(router, "reply-after-start") == [("sent", None)], 10, "sent")


def test_check_config_names_the_bad_key_and_never_prints_the_token(workdir, processes):
    bridge = TwilioBridgeProcess(workdir, workdir / "router.sock", "https://api.twilio.com")
    environment = dict(os.environ, CREDENTIALS_DIRECTORY=str(bridge.credentials))
    check = lambda env: subprocess.run([binary("refdesk-twilio"), "-c", str(bridge.config), "--check-config"],
                                       capture_output=True, text=True, env=env)
    good = check(environment)
    assert good.returncode == 0 and good.stdout.strip() == f"{bridge.config}: ok"

    # Outside systemd a relative name is read beside the configuration file (where LoadCredential= takes it from);
    # there is none there, and the error names the file, the key's line, the key and the path it tried.
    without_credentials = check({k: v for k, v in environment.items() if k != "CREDENTIALS_DIRECTORY"})
    assert without_credentials.returncode == 78
    key_line = bridge.config.read_text().splitlines().index('auth_token_file = "twilio-main.token"') + 1
    assert f'{bridge.config}:{key_line}: key "twilio.account[1].auth_token_file"' in without_credentials.stderr
    assert str(bridge.config.parent / "twilio-main.token") in without_credentials.stderr
    (bridge.config.parent / "twilio-main.token").write_text(TOKEN + "\n")
    beside = check({k: v for k, v in environment.items() if k != "CREDENTIALS_DIRECTORY"})
    assert beside.returncode == 0, beside.stderr

    bridge.config.write_text(bridge.config.read_text().replace("[twilio]\n", "[twilio]\nsegment_per_second = 2\n"))
    typo = check(environment)
    assert typo.returncode == 78
    assert 'unknown key "twilio.segment_per_second"' in typo.stderr and 'did you mean "twilio.segments_per_second"' in typo.stderr
    assert TOKEN not in good.stdout + without_credentials.stderr + typo.stderr


def test_ready_is_notified_when_listening_numbers_are_masked_and_sigterm_stops_cleanly(desk, workdir):
    router, bridge, api = desk()
    bridge.kill()
    bridge.config.write_text(bridge.config.read_text().replace('log_level = "debug"', 'log_level = "info"'))
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(workdir / "notify.sock"))
    notify.settimeout(15)
    os.environ["NOTIFY_SOCKET"] = str(workdir / "notify.sock")
    try:
        bridge.start()
    finally:
        del os.environ["NOTIFY_SOCKET"]
    assert b"READY=1" in notify.recv(4096)
    assert bridge.post("sms", sms(50, "+15551239876", "hello"))[0] == 200
    wait_until(lambda: "text received" in bridge.log_text(), 10, "the log line")
    assert "+1555…9876" in bridge.log_text() and "+15551239876" not in bridge.log_text()
    assert TOKEN not in bridge.log_text()
    bridge.process.send_signal(signal.SIGTERM)
    assert bridge.process.wait(10) == 0, bridge.log_text()[-3000:]
    assert "stopped" in bridge.log_text()
