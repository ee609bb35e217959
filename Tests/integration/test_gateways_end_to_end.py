"""Patrons on SMS and AIM reach a librarian on XMPP and get the reply: the router (as Prosody's component), the real
bridges, slixmpp librarians, the fake Twilio API and the OSCAR test server, all started here on 127.0.0.1."""
import time

from conftest import wait_until
from fake_twilio import FakeTwilio
from oscar_server import OscarServer, PatronClient
from staffing import patron_jid, router_for, seed_desk
from test_aim_bridge import AIMBridgeProcess
from test_twilio_bridge import ACCOUNT, LIBRARY, PUBLIC, TOKEN, TwilioBridgeProcess, post_while_killing_the_router, sms
from xmpp_harness import librarians, prosody  # noqa: F401 (fixtures)

DESK, DESK_PASSWORD = "Ref Desk", "desk-secret"
PATRON, PATRON_PASSWORD = "Pat Ron", "patron-secret"


def test_a_text_reaches_the_librarian_and_the_reply_goes_back_through_twilio(workdir, processes, prosody, librarians):
    router = router_for(workdir, prosody)
    processes.append(router)
    seed_desk(router, {"alice": (["alice@localhost"], ["ask"])}, gateway_protocol="twilio")
    router.seed(f"UPDATE gateways SET secret = '{ACCOUNT}' WHERE id = 1;")
    alice = librarians("alice@localhost")
    router.start()
    api = FakeTwilio({ACCOUNT: TOKEN}).start()
    try:
        bridge = TwilioBridgeProcess(workdir, router.socket, api.base)
        processes.append(bridge)
        bridge.start()
        wait_until(lambda: router.query("SELECT 1") and "queue online" in router.log_text(), 15, "the queue to come online")

        status, _, _ = bridge.post("sms", sms(7, "+15551230001", "Can I renew my books by text?"))
        assert status == 200
        message = alice.wait_message(lambda m: m.body == "Can I renew my books by text?", timeout=15)
        assert message.sender.split("/")[0] == patron_jid(prosody, "+15551230001")

        alice.send(patron_jid(prosody, "+15551230001"), "Yes: reply with your card number.")
        call = wait_until(lambda: [c for c in api.accepted() if c["form"]["Body"] == "Yes: reply with your card number."],
                          15, "the reply at the Messages API")[0]
        assert call["path"] == f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
        assert call["form"] == {"To": "+15551230001", "From": LIBRARY, "Body": "Yes: reply with your card number.",
                                "StatusCallback": f"{PUBLIC}/status"}
        wait_until(lambda: router.query("SELECT message_id FROM delivery_reports WHERE status = 'sent'"), 10, "sent")
        reply_id = router.query("SELECT message_id FROM delivery_reports WHERE status = 'sent'")[0][0]
        assert api.send_status_callback(call, "delivered", target=f"http://127.0.0.1:{bridge.port}/refdesk/status") == 200
        wait_until(lambda: router.query("SELECT status FROM delivery_reports WHERE message_id = ? ORDER BY id", reply_id)
                   == [("sent",), ("delivered",)], 10, "the delivered report")
    finally:
        api.stop()


def test_an_aim_screen_name_follows_its_queue_and_carries_ims_both_ways(workdir, processes, prosody, librarians):
    server = OscarServer({DESK: DESK_PASSWORD, PATRON: PATRON_PASSWORD}, im_rate_scale=0.05).start()
    try:
        router = router_for(workdir, prosody)
        processes.append(router)
        seed_desk(router, {"alice": (["alice@localhost"], ["ask"])}, gateway_protocol="aim")
        router.seed(f"UPDATE gateways SET username = 'RefDesk@aol.com', normalised_username = 'refdesk', "
                    f"secret = '{DESK_PASSWORD}' WHERE id = 1;")
        alice = librarians("alice@localhost", connect=False)
        router.start()
        bridge = AIMBridgeProcess(workdir, router.socket, server)
        processes.append(bridge)
        patron = PatronClient(server, PATRON, PATRON_PASSWORD, buddies=(DESK,)).sign_on()

        # Nobody staffs the queue: the screen name stays off. An IM stored by the server meanwhile waits.
        time.sleep(2)
        assert not server.is_online(DESK)
        patron.send_im("refdesk", "Are you open tomorrow?", store=True, ack=False)
        wait_until(lambda: server.stored_count(DESK) == 1, 10, "the server to store the IM")

        # A librarian signs in: the queue comes online, the screen name signs on, the stored IM reaches her.
        alice.connect()
        assert patron.wait_arrival(DESK, timeout=20), "the patron sees the library's screen name arrive"
        stored = alice.wait_message(lambda m: "Are you open tomorrow?" in m.body, timeout=20)
        assert stored.sender.split("/")[0] == patron_jid(prosody, "patron")

        patron.send_im("refdesk", "<HTML><BODY>And do you have <B>atlases</B>?</BODY></HTML>")
        alice.wait_message(lambda m: m.body == "And do you have atlases?", timeout=15)
        alice.send(patron_jid(prosody, "patron"), "Yes, on the second floor.")
        sender, text, _ = patron.next_message(timeout=15)
        assert (sender, text) == ("refdesk", "Yes, on the second floor.")

        # A burst of 50 replies arrives complete, in order, with no disconnect.
        for i in range(50):
            alice.send(patron_jid(prosody, "patron"), f"line {i}")
        received = patron.next_lines(50, timeout=60)
        assert received == [f"line {i}" for i in range(50)], "every line once, in order (lines that waited share IMs)"
        assert server.is_online(DESK)

        # An OSCAR server restart is survived.
        server.stop()
        server.start()
        patron = PatronClient(server, PATRON, PATRON_PASSWORD, buddies=(DESK,)).sign_on()
        wait_until(lambda: server.is_online(DESK), 30, "the bridge to sign on again")
        patron.send_im("refdesk", "still there?")
        alice.wait_message(lambda m: m.body == "still there?", timeout=15)

        # The last librarian leaves: the queue goes offline and the screen name signs off.
        alice.go_offline()
        assert patron.wait_departure(DESK, timeout=20), "the screen name signs off with its queue"
    finally:
        server.stop()


CHAT_STATES = "http://jabber.org/protocol/chatstates"


def test_aim_typing_reaches_the_librarian_and_hers_the_patron_and_server_notices_start_no_conversation(
        workdir, processes, prosody, librarians):
    """On the OSCAR test server with its real default rate classes: the patron's typing notices (0x04/0x14) show in
    the librarian's client as XEP-0085 chat states from the patron's address, and hers reach the patron's client; the
    server's "you received IMs while offline" notice is logged as the gateway's, never offered as a chat."""
    server = OscarServer({DESK: DESK_PASSWORD, PATRON: PATRON_PASSWORD}).start()
    try:
        router = router_for(workdir, prosody)
        processes.append(router)
        seed_desk(router, {"alice": (["alice@localhost"], ["ask"])}, gateway_protocol="aim")
        router.seed(f"UPDATE gateways SET username = 'RefDesk@aol.com', normalised_username = 'refdesk', "
                    f"secret = '{DESK_PASSWORD}' WHERE id = 1;")
        alice = librarians("alice@localhost", connect=False)
        router.start()
        bridge = AIMBridgeProcess(workdir, router.socket, server)
        processes.append(bridge)
        patron = PatronClient(server, PATRON, PATRON_PASSWORD, buddies=(DESK,)).sign_on()
        patron.send_im("refdesk", "Do you have maps of 1850?", store=True, ack=False)
        wait_until(lambda: server.stored_count(DESK) == 1, 10, "the server to store the IM")

        # The librarian signs in: the screen name signs on, the server sends its notice, then the stored IM.
        alice.connect()
        alice.wait_message(lambda m: m.body == "Do you have maps of 1850?", timeout=20)
        wait_until(lambda: "gateway notice" in router.log_text(), 10, "the router to log the server's notice")
        assert "You just received 1 IM(s) while you were offline" in router.log_text()
        time.sleep(1)
        assert not [m for m in alice.messages if "received 1 IM" in m.body or "oossystemmsg" in m.sender], \
            "the notice is nobody's chat"
        assert router.query("SELECT count(*) FROM conversations WHERE patron LIKE '%system%'")[0][0] == 0

        # She answers, so the chat is hers; the patron types: she sees composing, then paused, from his address.
        patron_address = patron_jid(prosody, "patron")
        alice.send(patron_address, "Yes, in the map room.")
        assert patron.next_message(timeout=15)[1] == "Yes, in the map room."
        def chat_state(name):
            return lambda m: m.bare == patron_address and not m.body and f"<{name} xmlns=\"{CHAT_STATES}\"" in m.xml
        patron.send_typing(DESK, 2)
        alice.wait_message(chat_state("composing"), timeout=10)
        patron.send_typing(DESK, 1)
        alice.wait_message(chat_state("paused"), timeout=10)

        # She types and pauses in the patron's window: his client shows it.
        alice.send_raw(f"<message to='{patron_address}' type='chat'><composing xmlns='{CHAT_STATES}'/></message>")
        assert patron.next_typing(timeout=10) == ("refdesk", 2)
        alice.send_raw(f"<message to='{patron_address}' type='chat'><paused xmlns='{CHAT_STATES}'/></message>")
        assert patron.next_typing(timeout=10) == ("refdesk", 1)
        assert bridge.process.poll() is None
    finally:
        server.stop()


def test_a_thousand_texts_reach_the_librarian_exactly_once_although_the_router_is_killed_twice(workdir, processes, prosody, librarians):
    """Texts arrive after hours while the router is SIGKILLed twice; the first librarian to sign in gets every one
    exactly once; replaying all the webhooks afterwards changes nothing."""
    from concurrent.futures import ThreadPoolExecutor

    router = router_for(workdir, prosody)
    processes.append(router)
    seed_desk(router, {"alice": (["alice@localhost"], ["ask"])}, gateway_protocol="twilio")
    router.seed(f"UPDATE gateways SET secret = '{ACCOUNT}' WHERE id = 1;")
    alice = librarians("alice@localhost", connect=False)
    router.start()
    api = FakeTwilio({ACCOUNT: TOKEN}).start()
    try:
        bridge = TwilioBridgeProcess(workdir, router.socket, api.base, "segments_per_second = 50")
        processes.append(bridge)
        bridge.start()
        texts = [sms(20_000 + i, f"+1555125{i % 20:04d}", f"question {i:04d}") for i in range(1000)]
        statuses = post_while_killing_the_router(bridge, router, texts, kill_after=(300, 700))
        assert statuses.count(200) == 1000
        wait_until(lambda: router.query("SELECT count(*) FROM offline_inbox")[0][0] >= 1000, 60, "every text stored")

        alice.connect()
        wait_until(lambda: len([m for m in alice.messages if "question " in m.body]) >= 1000, 120,
                   "the librarian to receive every text", interval=0.5)
        time.sleep(2)
        bodies = [m.body.rsplit("question ", 1)[1] for m in alice.messages if "question " in m.body]
        assert len(bodies) == 1000 and len(set(bodies)) == 1000, "each text exactly once"
        # (Order is not checked here: the webhooks are posted from 16 threads at once, so a patron's texts have no
        # defined order; per-conversation order is the bridge protocol soak test's subject.)

        with ThreadPoolExecutor(max_workers=16) as pool:
            replay = list(pool.map(lambda params: bridge.post("sms", params)[0], texts))
        assert replay.count(200) == 1000
        time.sleep(3)
        assert len([m for m in alice.messages if "question " in m.body]) == 1000, "a replay changes nothing"
        print(f"\n1,000 texts, router killed twice: delivered {len(bodies)}, duplicated 0, lost 0")
    finally:
        api.stop()
