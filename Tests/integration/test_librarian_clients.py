"""What librarians' XMPP clients see of refdesk, over a real Prosody with slixmpp librarians: commands typed with `!`
(which no client claims), refdesk's own lines marked, the same commands as XEP-0050 ad-hoc commands, patrons shown
available with a nickname while their chat is open, queue contacts with a name and an avatar, service discovery
answered with gateway identities, and a patron's MMS picture as an XEP-0066 out-of-band link."""
import base64
import hashlib
import struct
import time
import xml.etree.ElementTree as ET
import zlib

from conftest import wait_until
from staffing import patron_jid, router_for, seed_desk, start_bridge, wait_queue_online
from xmpp_harness import librarians, prosody  # noqa: F401 (fixtures)

PATRON = "+15551230001"
MARK = "[refdesk] "
NS = {"c": "jabber:client", "cmd": "http://jabber.org/protocol/commands", "x": "jabber:x:data",
      "info": "http://jabber.org/protocol/disco#info", "items": "http://jabber.org/protocol/disco#items",
      "nick": "http://jabber.org/protocol/nick", "vc": "vcard-temp", "up": "vcard-temp:x:update", "oob": "jabber:x:oob"}
CANNED = '[[canned]]\nname = "hours"\ntext = "We are open 9 to 5, Monday to Friday."\n'


def say(bridge, id, body, sender=PATRON, media=None):
    bridge.send({"op": "receive", "id": id, "gateway": 1, "from": sender, "body": body, "media": media or []})


def tiny_png() -> bytes:
    """A 2×2 PNG, made here so the test needs no image file."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + b"\x20\x60\xc0" * 2 for _ in range(2))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def desk(workdir, processes, prosody, librarians, names=("alice", "bob"), protocol="twilio", extra_config=CANNED, more_sql=""):
    router = router_for(workdir, prosody, extra_config=extra_config)
    processes.append(router)
    seed_desk(router, {name: ([f"{name}@localhost"], ["ask"]) for name in names}, gateway_protocol=protocol)
    if more_sql:
        router.seed(more_sql)
    people = {name: librarians(f"{name}@localhost") for name in names}
    router.start()
    bridge = start_bridge(workdir, router, processes) if protocol == "test" else _bridge(workdir, router, processes, protocol)
    wait_queue_online(bridge)
    return router, bridge, people


def _bridge(workdir, router, processes, protocol):
    from conftest import BridgeProcess
    bridge = BridgeProcess(workdir, router.socket, protocol=protocol)
    processes.append(bridge)
    bridge.start()
    bridge.wait_event(lambda e: e["event"] == "connected")
    return bridge


def parse(xml: str) -> ET.Element:
    return ET.fromstring(xml)


def command(librarian, to, node, action=None, session=None, fields=None) -> ET.Element:
    """Runs (or continues) an ad-hoc command and returns its <command/> answer, or the <error/> when refused."""
    attributes = f"node='{node}'" + (f" action='{action}'" if action else "") + (f" sessionid='{session}'" if session else "")
    form = ""
    if fields is not None:
        form = "<x xmlns='jabber:x:data' type='submit'>" + "".join(
            f"<field var='{name}'><value>{value}</value></field>" for name, value in fields.items()) + "</x>"
    answer = parse(librarian.iq(to, f"<command xmlns='{NS['cmd']}' {attributes}>{form}</command>", type="set"))
    return answer.find("cmd:command", NS) if answer.get("type") == "result" else error_of(answer)


def error_of(answer: ET.Element) -> ET.Element:
    """The <error/> of an error answer (slixmpp writes the stanza's own children without their namespace)."""
    found = answer.find("c:error", NS)
    return found if found is not None else answer.find("error")


def note(answer: ET.Element) -> str:
    return answer.find("cmd:note", NS).text


# ------------------------------------------------------------------------------------------------ typed commands


def test_commands_typed_with_a_bang_reach_refdesk_and_its_answers_are_marked(workdir, processes, prosody, librarians):
    router, bridge, people = desk(workdir, processes, prosody, librarians, protocol="test")
    alice = people["alice"]
    patron = patron_jid(prosody, PATRON)
    say(bridge, "c1", "Where are the atlases?")
    alice.wait_message(lambda m: m.body == "Where are the atlases?")
    alice.send(patron, "Second floor.")
    bridge.wait_event(lambda e: e["event"] == "outbound" and e["body"] == "Second floor.")

    alice.send(patron, "!who")
    answer = alice.wait_message(lambda m: "Available on ask" in m.body)
    assert answer.body.startswith(MARK + "Available on ask: ") and answer.sender.startswith(patron)
    alice.send(patron, "/who")
    assert alice.wait_message(lambda m: "Available on ask" in m.body).body.startswith(MARK)
    alice.send(patron, "!frobnicate")
    assert alice.wait_message(lambda m: "Unknown command" in m.body).body.startswith(MARK + "Unknown command !frobnicate. Commands: !transfer")
    alice.send(patron, "!!Important: we close at five.")
    bridge.wait_event(lambda e: e["event"] == "outbound" and e["body"] == "!Important: we close at five.")
    alice.send(patron, "!close")
    closed = alice.wait_message(lambda m: "closed" in m.body)
    assert closed.body.startswith(MARK + "Chat ") and closed.body.endswith(" closed.") and closed.sender.startswith(patron)
    wait_until(lambda: router.query("SELECT state FROM conversations") == [("completed",)], 10, "the chat to complete")
    assert not [e for e in bridge.history if e["event"] == "outbound" and "who" in e["body"].lower()], "commands never reach the patron"
    patron_lines = [m for m in alice.messages if m.body in ("Where are the atlases?",)]
    assert patron_lines and not any(m.body.startswith(MARK) for m in patron_lines), "the patron's words carry no marker"

    # Writing to a queue's contact, or to a chat that ended, is answered by refdesk, marked.
    alice.send(f"ask@{prosody.component_domain}", "hello?")
    assert alice.wait_message(lambda m: "their own addresses" in m.body).body.startswith(MARK)
    alice.send(patron, "Are you still there?")
    assert alice.wait_message(lambda m: "has ended" in m.body).body.startswith(MARK)


# ------------------------------------------------------------------------------------------------ native look


def test_a_patron_shows_available_with_a_nickname_while_their_chat_is_open(workdir, processes, prosody, librarians):
    router, bridge, people = desk(workdir, processes, prosody, librarians)
    alice, bob = people["alice"], people["bob"]
    patron = patron_jid(prosody, PATRON)
    mark_alice, mark_bob = len(alice.presences), len(bob.presences)
    say(bridge, "p1", "Do you have the new Le Guin?")

    for librarian, mark in ((alice, mark_alice), (bob, mark_bob)):
        shown = librarian.wait_presence(lambda p: p.sender == patron and p.type == "available", since=mark)
        assert parse(shown.xml).find("nick:nick", NS).text == "SMS +1 555-123-0001"
        assert shown.status == "SMS patron on queue ask"
    line = alice.wait_message(lambda m: m.body == "Do you have the new Le Guin?")
    assert parse(line.xml).find("nick:nick", NS).text == "SMS +1 555-123-0001"

    alice.send(patron, "Yes, on the new shelf.")
    bob.wait_presence(lambda p: p.sender == patron and p.type == "unavailable", since=mark_bob)
    time.sleep(0.5)
    assert alice.presence_of(patron).type == "available", "the owner still sees the patron"
    alice.send(patron, "!close")
    alice.wait_presence(lambda p: p.sender == patron and p.type == "unavailable", since=mark_alice)


def test_a_queue_contact_has_a_name_and_an_avatar(workdir, processes, prosody, librarians):
    picture = tiny_png()
    (workdir / "avatar.png").write_bytes(picture)
    router = router_for(workdir, prosody, extra_config=f'avatar_file = "{workdir / "avatar.png"}"\n')
    processes.append(router)
    seed_desk(router, {"alice": (["alice@localhost"], ["ask"])})
    alice = librarians("alice@localhost", approves=False)
    router.start()
    queue = f"ask@{prosody.component_domain}"
    request = alice.wait_presence(lambda p: p.sender == queue and p.type == "subscribe", timeout=15)
    assert parse(request.xml).find("nick:nick", NS).text == "Queue ask", "the roster entry is offered with the queue's name"
    alice.approve(queue)
    alice.subscribe(queue)
    shown = alice.wait_presence(lambda p: p.sender.startswith(queue) and p.type == "available", timeout=15)
    assert parse(shown.xml).find("up:x/up:photo", NS).text == hashlib.sha1(picture).hexdigest()

    card = parse(alice.iq(queue, "<vCard xmlns='vcard-temp'/>")).find("vc:vCard", NS)
    assert card.find("vc:FN", NS).text == "Queue ask"
    assert card.find("vc:PHOTO/vc:TYPE", NS).text == "image/png"
    assert base64.b64decode(card.find("vc:PHOTO/vc:BINVAL", NS).text) == picture


def test_service_discovery_names_gateways_and_claims_only_what_refdesk_does(workdir, processes, prosody, librarians):
    router, bridge, people = desk(workdir, processes, prosody, librarians, names=("alice",), more_sql=(
        "INSERT INTO gateways (protocol, queue, username, normalised_username, secret, created_at) "
        "VALUES ('aim', 'ask', 'Ref Desk', 'refdesk', 'x', 0);"))
    alice = people["alice"]
    domain = prosody.component_domain

    def info(jid):
        answer = parse(alice.iq(jid, f"<query xmlns='{NS['info']}'/>"))
        assert answer.get("type") == "result", answer
        query = answer.find("info:query", NS)
        return ({(i.get("category"), i.get("type")) for i in query.findall("info:identity", NS)},
                {f.get("var") for f in query.findall("info:feature", NS)})

    identities, features = info(domain)
    assert identities == {("gateway", "sms"), ("gateway", "aim")}
    assert "http://jabber.org/protocol/chatstates" not in features and NS["info"] in features
    identities, features = info(f"ask@{domain}")
    assert identities == {("gateway", "sms"), ("gateway", "aim")} and NS["cmd"] in features and "vcard-temp" in features
    say(bridge, "d1", "hello")
    alice.wait_message(lambda m: m.body == "hello")
    identities, features = info(patron_jid(prosody, PATRON))
    assert identities == {("client", "sms")} and NS["cmd"] in features
    assert "http://jabber.org/protocol/chatstates" not in features, "SMS has no typing notifications"
    # What refdesk does not serve is still answered, as an error, so no client waits.
    unknown = parse(alice.iq(domain, "<query xmlns='jabber:iq:version'/>"))
    assert unknown.get("type") == "error" and error_of(unknown).find("{urn:ietf:params:xml:ns:xmpp-stanzas}service-unavailable") is not None


# ------------------------------------------------------------------------------------------------ ad-hoc commands


def test_ad_hoc_commands_transfer_send_canned_replies_set_auto_logout_and_close(workdir, processes, prosody, librarians):
    router, bridge, people = desk(workdir, processes, prosody, librarians)
    alice, bob = people["alice"], people["bob"]
    mallory = librarians("mallory@localhost")  # has an account on the server, staffs nothing
    patron = patron_jid(prosody, PATRON)
    queue = f"ask@{prosody.component_domain}"
    say(bridge, "a1", "I need a book on bees.")
    alice.wait_message(lambda m: m.body == "I need a book on bees.")
    bob.wait_message(lambda m: m.body == "I need a book on bees.")
    alice.send(patron, "Let me see.")
    bridge.wait_event(lambda e: e["event"] == "outbound" and e["body"] == "Let me see.")

    def listed(librarian, jid):
        answer = parse(librarian.iq(jid, f"<query xmlns='{NS['items']}' node='{NS['cmd']}'/>"))
        return [item.get("node") for item in answer.findall("items:query/items:item", NS)]
    assert listed(alice, patron) == ["transfer", "close", "canned", "who", "logout"]
    assert listed(alice, queue) == ["who", "logout"]
    assert listed(mallory, patron) == [], "someone who staffs nothing is offered no commands"
    refused = command(mallory, patron, "close")
    assert refused.find("{urn:ietf:params:xml:ns:xmpp-stanzas}forbidden") is not None

    form = command(alice, patron, "transfer")
    assert form.get("status") == "executing"
    options = [o.find("x:value", NS).text for o in form.findall("x:x/x:field[@var='target']/x:option", NS)]
    assert options == ["bob"], options
    done = command(alice, patron, "transfer", action="complete", session=form.get("sessionid"), fields={"target": "bob"})
    assert done.get("status") == "completed" and note(done).endswith("transferred to bob.")
    handover = bob.wait_message(lambda m: "Transferred from alice" in m.body)
    assert handover.body.startswith(MARK) and "I need a book on bees." in handover.body

    form = command(bob, patron, "canned")
    assert [o.find("x:value", NS).text for o in form.findall("x:x/x:field/x:option", NS)] == ["hours"]
    done = command(bob, patron, "canned", action="complete", session=form.get("sessionid"), fields={"name": "hours"})
    assert note(done) == "Sent hours: We are open 9 to 5, Monday to Friday."
    bridge.wait_event(lambda e: e["event"] == "outbound" and e["body"] == "We are open 9 to 5, Monday to Friday.")

    form = command(bob, queue, "logout")
    assert "Auto-logout is off." in form.find("x:x/x:instructions", NS).text
    done = command(bob, queue, "logout", action="complete", session=form.get("sessionid"), fields={"minutes": "30"})
    assert note(done).startswith("Auto-logout in 30 min")
    done = command(bob, queue, "logout", action="complete", session=form.get("sessionid"), fields={"minutes": "soon"})
    assert done.find("cmd:note", NS).get("type") == "error" and "is not a number of minutes" in note(done)
    assert command(bob, queue, "who").get("status") == "completed"
    assert command(bob, patron, "transfer", action="cancel", session="x").get("status") == "canceled"

    done = command(bob, patron, "close")
    assert done.get("status") == "completed" and note(done).endswith("closed.")
    wait_until(lambda: router.query("SELECT state FROM conversations") == [("completed",)], 10, "the chat to complete")
    assert note(command(bob, patron, "close")) == "This conversation has ended; nothing was done."
    assert not [m for m in bob.messages if m.body.startswith(MARK + "Sent hours")], "a menu command is answered in its note, not twice"


# ------------------------------------------------------------------------------------------------ pictures


def test_an_mms_picture_reaches_the_librarian_as_an_out_of_band_link_beside_the_text(workdir, processes, prosody, librarians):
    router, bridge, people = desk(workdir, processes, prosody, librarians, names=("alice",))
    alice = people["alice"]
    url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"
    say(bridge, "m1", "Is this book yours?", media=[{"url": url, "type": "image/jpeg"}])
    alice.wait_message(lambda m: m.body == "Is this book yours?")
    picture = alice.wait_message(lambda m: m.body == url)
    assert parse(picture.xml).find("oob:x/oob:url", NS).text == url
    history = router.query("SELECT body FROM messages WHERE direction = 'in'")
    assert history == [(f"Is this book yours?\n[image/jpeg] {url}",)], "the transcript keeps the link"


def test_an_avatar_that_is_not_a_small_picture_is_a_configuration_error(workdir):
    import subprocess
    from conftest import RouterProcess, binary
    for name, content, expected in (("notes.txt", b"not a picture", "is neither a PNG nor a JPEG image"),
                                    ("huge.png", tiny_png() + bytes(70_000), "the avatar is 70073 bytes; at most 65536 are taken")):
        (workdir / name).write_bytes(content)
        router = RouterProcess(workdir, extra_config=(
            f'[xmpp]\ndomain = "refdesk.localhost"\nsecret = "s"\navatar_file = "{workdir / name}"\n'))
        result = subprocess.run([binary("refdesk-router"), "-c", str(router.config), "--check-config"], capture_output=True, text=True)
        assert result.returncode == 78, result.stderr
        assert 'key "xmpp.avatar_file"' in result.stderr and expected in result.stderr, result.stderr
