"""Staffing over XMPP: a real Prosody, the router as its XEP-0114 component, slixmpp librarians, and a test
bridge standing in for a gateway."""
import re
import time

from conftest import wait_until
from staffing import OFFLINE_REPLY, patron_jid, router_for, seed_desk, start_bridge, wait_queue_online
from xmpp_harness import librarians, prosody  # noqa: F401 (fixtures)

PATRON = "+15551230001"


def say(bridge, id, body, sender=PATRON):
    bridge.send({"op": "receive", "id": id, "gateway": 1, "from": sender, "body": body})


def test_ring_all_first_reply_wins(workdir, processes, prosody, librarians):
    router = router_for(workdir, prosody)
    processes.append(router)
    seed_desk(router, {"alice": (["alice@localhost"], ["ask"]), "bob": (["bob@localhost"], ["ask"])})
    alice = librarians("alice@localhost")
    bob = librarians("bob@localhost")
    router.start()
    bridge = start_bridge(workdir, router, processes)
    wait_queue_online(bridge)

    say(bridge, "m1", "Where are the atlases?")
    patron = patron_jid(prosody, PATRON)
    assert alice.wait_message(lambda m: m.body == "Where are the atlases?", timeout=10).sender.startswith(patron)
    assert bob.wait_message(lambda m: m.body == "Where are the atlases?", timeout=10).sender.startswith(patron)

    alice.send(patron, "Second floor, by the windows.")
    reply = bridge.wait_event(lambda e: e["event"] == "outbound" and e["body"] == "Second floor, by the windows.")
    assert reply["to"] == PATRON
    told = bob.wait_message(lambda m: "alice" in m.body, timeout=10)
    assert "took" in told.body or "alice" in told.body

    say(bridge, "m2", "Thanks! And maps?")
    alice.wait_message(lambda m: m.body == "Thanks! And maps?", timeout=10)
    time.sleep(1)
    assert not [m for m in bob.messages if m.body == "Thanks! And maps?"], "only the owner gets later messages"


def test_statuses_decide_who_gets_new_chats_and_whether_the_queue_is_online(workdir, processes, prosody, librarians):
    router = router_for(workdir, prosody)
    processes.append(router)
    seed_desk(router, {"alice": (["alice@localhost"], ["ask"]), "bob": (["bob@localhost"], ["ask"]),
                       "carol": (["carol@localhost"], ["ask"])})
    alice = librarians("alice@localhost")
    bob = librarians("bob@localhost", show="dnd")
    carol = librarians("carol@localhost", show="away")
    router.start()
    bridge = start_bridge(workdir, router, processes)
    wait_queue_online(bridge)

    say(bridge, "s1", "Is the library open on Sunday?")
    alice.wait_message(lambda m: m.body == "Is the library open on Sunday?", timeout=10)
    time.sleep(1)
    for busy in (bob, carol):
        assert not [m for m in busy.messages if m.body == "Is the library open on Sunday?"], "dnd and away get no new chats"

    # The last routable librarian goes away: the queue goes offline, once; back: online, once.
    alice.set_presence("away")
    wait_queue_online(bridge, online=False)
    alice.set_presence(None)
    wait_queue_online(bridge, online=True)
    time.sleep(1.5)
    changes = [e["online"] for e in bridge.history if e["event"] == "online"]
    assert changes == [True, False, True], f"the bridge saw {changes}"


def test_delivery_follows_the_jid_where_the_operator_is_available(workdir, processes, prosody, librarians):
    router = router_for(workdir, prosody)
    processes.append(router)
    seed_desk(router, {"alice": (["alice@localhost", "alice@external.localhost"], ["ask"])})
    local = librarians("alice@localhost")
    external = librarians("alice@external.localhost", show="away")
    router.start()
    bridge = start_bridge(workdir, router, processes)
    wait_queue_online(bridge)

    say(bridge, "j1", "first question", sender="+15551230001")
    local.wait_message(lambda m: m.body == "first question", timeout=10)
    queue = f"ask@{prosody.component_domain}"
    wait_until(lambda: external.subscription(queue) in ("from", "both"), 15, "the external account to approve the queue")
    external.set_presence(None)
    time.sleep(1)
    local.set_presence("away")
    time.sleep(1)
    say(bridge, "j2", "second question", sender="+15551230002")
    external.wait_message(lambda m: m.body == "second question", timeout=10)
    assert not [m for m in local.messages if m.body == "second question"]


def test_offline_messages_wait_for_the_first_librarian_oldest_first_with_their_age(workdir, processes, prosody, librarians):
    router = router_for(workdir, prosody)
    processes.append(router)
    seed_desk(router, {"alice": (["alice@localhost"], ["ask"])})
    alice = librarians("alice@localhost", connect=False)  # she has an account but is not signed in
    router.start()
    bridge = start_bridge(workdir, router, processes)
    for i in range(3):
        say(bridge, f"o{i}", f"after hours question {i}")
    reply = bridge.wait_event(lambda e: e["event"] == "outbound")
    assert reply["body"] == OFFLINE_REPLY and reply["to"] == PATRON
    wait_until(lambda: router.query("SELECT count(*) FROM offline_inbox")[0][0] == 3, 10, "three stored messages")
    time.sleep(0.5)
    assert len([e for e in bridge.history if e["event"] == "outbound"]) == 1, "one auto-reply per offline spell"

    alice.connect()
    wait_queue_online(bridge)
    received = [alice.wait_message(lambda m, i=i: f"after hours question {i}" in m.body, timeout=15) for i in range(3)]
    bodies = [m.body for m in alice.messages if "after hours question" in m.body]
    assert [int(b.rsplit(" ", 1)[1]) for b in bodies] == [0, 1, 2], f"oldest first: {bodies}"
    assert all("ago" in m.body or "sent" in m.body for m in received), f"marked with their age: {bodies}"
    wait_until(lambda: router.query("SELECT count(*) FROM offline_inbox")[0][0] == 0, 10, "the inbox to empty")


def test_the_router_survives_a_prosody_restart_mid_conversation(workdir, processes, prosody, librarians):
    router = router_for(workdir, prosody)
    processes.append(router)
    seed_desk(router, {"alice": (["alice@localhost"], ["ask"])})
    alice = librarians("alice@localhost")
    router.start()
    bridge = start_bridge(workdir, router, processes)
    wait_queue_online(bridge)
    say(bridge, "r1", "before the restart")
    alice.wait_message(lambda m: m.body == "before the restart", timeout=10)
    patron = patron_jid(prosody, PATRON)
    alice.send(patron, "I am looking now.")
    bridge.wait_event(lambda e: e["event"] == "outbound" and e["body"] == "I am looking now.")

    prosody.restart()
    alice.wait_online(timeout=20)
    wait_until(lambda: router.log_text().count("XMPP component connected") >= 2, 20, "the router to reconnect")
    say(bridge, "r2", "after the restart")
    alice.wait_message(lambda m: m.body.endswith("after the restart"), timeout=20)
    alice.send(patron, "Found it.")
    bridge.wait_event(lambda e: e["event"] == "outbound" and e["body"] == "Found it.", timeout=15)
    assert router.process.poll() is None


def test_malformed_xml_from_the_server_ends_in_a_clean_reconnect(workdir, processes):
    """A misbehaving XMPP server (a raw socket: Prosody never sends malformed XML) gets a stream error and a new
    connection, and the router stays up."""
    import socket
    import threading
    from conftest import RouterProcess

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    connections = []

    def serve():
        while len(connections) < 2:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            connections.append(conn)
            conn.recv(4096)
            conn.sendall(b"<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' "
                         b"xmlns:stream='http://etherx.jabber.org/streams' id='abc' from='refdesk.localhost'>"
                         b"<handshake/><message><body>unclosed</mess></stream:stream>")
    threading.Thread(target=serve, daemon=True).start()
    router = RouterProcess(workdir, extra_config=f'[xmpp]\nserver = "127.0.0.1:{port}"\ndomain = "refdesk.localhost"\nsecret = "s"\n')
    processes.append(router)
    router.start()
    wait_until(lambda: len(connections) >= 2, 15, "a second connection after the malformed stream")
    assert "XMPP component connection lost" in router.log_text()
    assert router.process.poll() is None
    server.close()
    for conn in connections:
        conn.close()


def test_transfer_to_an_operator_carries_the_conversation_so_far(workdir, processes, prosody, librarians):
    router = router_for(workdir, prosody)
    processes.append(router)
    seed_desk(router, {"alice": (["alice@localhost"], ["ask"]), "bob": (["bob@localhost"], ["other"])},
              queues={"ask": ("ring-all", 0), "other": ("ring-all", 0)})
    alice = librarians("alice@localhost")
    bob = librarians("bob@localhost")
    router.start()
    bridge = start_bridge(workdir, router, processes)
    wait_queue_online(bridge)
    patron = patron_jid(prosody, PATRON)
    say(bridge, "t1", "I need help with genealogy records.")
    alice.wait_message(lambda m: m.body == "I need help with genealogy records.")
    alice.send(patron, "Let me find our specialist.")
    bridge.wait_event(lambda e: e["event"] == "outbound" and e["body"] == "Let me find our specialist.")

    alice.send(patron, "!transfer bob")
    handover = bob.wait_message(lambda m: m.body.startswith("[refdesk] Transferred from alice"), timeout=10)
    assert "genealogy records" in handover.body and "Let me find our specialist." in handover.body
    alice.wait_message(lambda m: "transferred to bob" in m.body)
    say(bridge, "t2", "Thank you!")
    bob.wait_message(lambda m: m.body == "Thank you!")
    bob.send(patron, "Hello, this is Bob.")
    bridge.wait_event(lambda e: e["event"] == "outbound" and e["body"] == "Hello, this is Bob.")


def test_transfer_to_a_queue_close_canned_who_and_history(workdir, processes, prosody, librarians):
    router = router_for(workdir, prosody, extra_config='[[canned]]\nname = "hours"\ntext = "We are open 9 to 5, Monday to Friday."\n')
    processes.append(router)
    seed_desk(router, {"alice": (["alice@localhost"], ["ask"]), "bob": (["bob@localhost"], ["other"])},
              queues={"ask": ("ring-all", 0), "other": ("ring-all", 0)})
    alice = librarians("alice@localhost")
    bob = librarians("bob@localhost")
    router.start()
    bridge = start_bridge(workdir, router, processes)
    wait_queue_online(bridge)
    # The queue the chat is transferred to must be staffed too (bob's presence reaches the router on its own time).
    wait_until(lambda: re.search(r"queue online .*queue=other", router.log_text()), 30, "queue other to come online")
    patron = patron_jid(prosody, PATRON)

    say(bridge, "q1", "When are you open?")
    alice.wait_message(lambda m: m.body == "When are you open?")
    alice.send(patron, "!canned hours")
    bridge.wait_event(lambda e: e["event"] == "outbound" and e["body"] == "We are open 9 to 5, Monday to Friday.")
    alice.send(patron, "/who")
    assert "alice" in alice.wait_message(lambda m: m.body.startswith("[refdesk] Available on ask")).body
    alice.send(patron, "/transfer other")
    bob.wait_message(lambda m: "When are you open?" in m.body, timeout=10)
    bob.send(patron, "Anything else?")
    bridge.wait_event(lambda e: e["event"] == "outbound" and e["body"] == "Anything else?")
    bob.send(patron, "!close")
    bob.wait_message(lambda m: "closed" in m.body)

    wait_until(lambda: router.query("SELECT state FROM conversations") == [("completed",)], 10, "the chat to complete")
    (queue, operator, started, answered, ended), = router.query(
        "SELECT queue, operator, started_at, answered_at, ended_at FROM conversations")
    assert queue == "other" and operator == "bob" and started <= answered <= ended
    lines = router.query("SELECT direction, sender, body FROM messages ORDER BY id")
    assert ("in", "patron", "When are you open?") in lines
    assert ("out", "bob", "Anything else?") in lines

    say(bridge, "q2", "One more thing")
    alice.wait_message(lambda m: m.body == "One more thing", timeout=10)
    assert len(router.query("SELECT id FROM conversations")) == 2, "after /close the next message starts a new chat"


def test_a_queue_without_transcripts_keeps_only_metadata(workdir, processes, prosody, librarians):
    router = router_for(workdir, prosody)
    processes.append(router)
    seed_desk(router, {"alice": (["alice@localhost"], ["ask"])})
    router.seed("UPDATE queues SET keeps_transcripts = 0;")
    alice = librarians("alice@localhost")
    router.start()
    bridge = start_bridge(workdir, router, processes)
    wait_queue_online(bridge)
    say(bridge, "p1", "a private question")
    alice.wait_message(lambda m: m.body == "a private question")
    alice.send(patron_jid(prosody, PATRON), "a private answer")
    bridge.wait_event(lambda e: e["event"] == "outbound" and e["body"] == "a private answer")
    wait_until(lambda: router.query("SELECT state, operator FROM conversations") == [("ongoing", "alice")], 10, "an ongoing chat")
    # Who wrote when is kept (the statistics count it); what they wrote is not.
    assert router.query("SELECT direction, sender, body FROM messages ORDER BY id") == [("in", "patron", ""), ("out", "alice", "")]


def test_outside_opening_hours_the_queue_is_offline_and_says_when_it_opens(workdir, processes, prosody, librarians):
    import datetime
    now = datetime.datetime.now(datetime.timezone.utc)
    # Open only on a day two days from now: closed now, whatever the time.
    day = (now + datetime.timedelta(days=2)).strftime("%a")
    router = router_for(workdir, prosody)
    processes.append(router)
    seed_desk(router, {"alice": (["alice@localhost"], ["ask"])})
    router.seed(f"UPDATE queues SET opening_hours = '{day} 09:00-17:00', time_zone = 'UTC', "
                "offline_reply = 'We are closed. We open {next_open}.';")
    alice = librarians("alice@localhost")
    router.start()
    bridge = start_bridge(workdir, router, processes)
    say(bridge, "h1", "Are you there?")
    reply = bridge.wait_event(lambda e: e["event"] == "outbound")
    long_day = (now + datetime.timedelta(days=2)).strftime("%A")
    assert reply["body"] == f"We are closed. We open {long_day} 09:00."
    time.sleep(1)
    assert not [e for e in bridge.history if e["event"] == "online" and e["online"]], "closed although alice is available"
    assert not [m for m in alice.messages if m.body == "Are you there?"]


def test_the_auto_logout_timer_stops_new_chats_and_tells_the_operator(workdir, processes, prosody, librarians):
    router = router_for(workdir, prosody)
    processes.append(router)
    seed_desk(router, {"alice": (["alice@localhost"], ["ask"])})
    alice = librarians("alice@localhost")
    router.start()
    bridge = start_bridge(workdir, router, processes)
    wait_queue_online(bridge)
    say(bridge, "a1", "hello")
    alice.wait_message(lambda m: m.body == "hello")
    alice.send(patron_jid(prosody, PATRON), "!logout 1")
    alice.wait_message(lambda m: m.body.startswith("[refdesk] Auto-logout in 1 min"))
    alice.wait_message(lambda m: m.body.startswith("[refdesk] Auto-logout:"), timeout=75)
    wait_queue_online(bridge, online=False)
    say(bridge, "a2", "anyone?", sender="+15551230002")
    bridge.wait_event(lambda e: e["event"] == "outbound" and e["to"] == "+15551230002" and e["body"] == OFFLINE_REPLY)


def test_open_conversations_survive_a_router_crash(workdir, processes, prosody, librarians):
    """SIGKILL the router mid-conversation: after the restart the patron still talks to the owner only, and a
    hand-over still carries the conversation so far."""
    router = router_for(workdir, prosody)
    processes.append(router)
    seed_desk(router, {"alice": (["alice@localhost"], ["ask"]), "bob": (["bob@localhost"], ["ask"])})
    alice = librarians("alice@localhost")
    bob = librarians("bob@localhost")
    router.start()
    bridge = start_bridge(workdir, router, processes)
    wait_queue_online(bridge)
    patron = patron_jid(prosody, PATRON)
    say(bridge, "c1", "Do you keep old newspapers?")
    alice.wait_message(lambda m: m.body == "Do you keep old newspapers?")
    alice.send(patron, "Yes, on microfilm.")
    bridge.wait_event(lambda e: e["event"] == "outbound" and e["body"] == "Yes, on microfilm.")
    wait_until(lambda: router.query("SELECT count(*) FROM switchboard_conversations")[0][0] == 1, 10, "the conversation saved")

    router.kill()
    router.start()
    say(bridge, "c2", "From 1950?")
    alice.wait_message(lambda m: m.body == "From 1950?", timeout=20)
    time.sleep(1)
    assert not [m for m in bob.messages if m.body == "From 1950?"], "the owner keeps the chat across the crash"
    alice.send(patron, "!transfer bob")
    handover = bob.wait_message(lambda m: m.body.startswith("[refdesk] Transferred from alice"), timeout=15)
    assert "Do you keep old newspapers?" in handover.body and "From 1950?" in handover.body


def test_an_unanswered_chat_keeps_every_message_across_a_router_crash(workdir, processes, prosody, librarians):
    """Nobody answers while the patron writes a dozen lines; the router is SIGKILLed. A librarian who signs in
    after the restart is offered the chat with every line, in order. Each waiting line is its own saved row (so a
    line costs one insert, however long the chat waits), and the rows go once the chat is answered."""
    router = router_for(workdir, prosody)
    processes.append(router)
    seed_desk(router, {"alice": (["alice@localhost"], ["ask"]), "bob": (["bob@localhost"], ["ask"])})
    alice = librarians("alice@localhost")
    router.start()
    bridge = start_bridge(workdir, router, processes)
    wait_queue_online(bridge)
    lines = [f"question, part {n}" for n in range(1, 13)]
    for n, line in enumerate(lines):
        say(bridge, f"u{n}", line)
    alice.wait_message(lambda m: m.body == lines[-1])
    wait_until(lambda: router.query("SELECT count(*) FROM switchboard_pending")[0][0] == len(lines), 10,
               "each waiting line saved as a row")

    router.kill()
    router.start()
    bob = librarians("bob@localhost")
    bob.wait_message(lambda m: m.body == lines[-1], timeout=30)
    offered = [m.body for m in bob.messages if m.body in lines]
    assert offered == lines, f"the late offer should carry every line in order, got {offered}"

    bob.send(patron_jid(prosody, PATRON), "Happy to help.")
    bridge.wait_event(lambda e: e["event"] == "outbound" and e["body"] == "Happy to help.")
    wait_until(lambda: router.query("SELECT count(*) FROM switchboard_pending")[0][0] == 0, 10,
               "the waiting lines forgotten once answered")
