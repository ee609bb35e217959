"""Staffing over XMPP: a real Prosody, the router as its XEP-0114 component, slixmpp librarians, and a test
bridge standing in for a gateway."""
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
