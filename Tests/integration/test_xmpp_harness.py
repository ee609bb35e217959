"""The XMPP test harness against a real Prosody: the server it configures behaves like a site's server for the
router (component port and secret, two account hosts, presence subscriptions, restarts), and its librarians are
real slixmpp clients."""
import re

import pytest

from conftest import wait_until
from xmpp_harness import (ComponentHandshakeError, Librarian, LibrarianError, ProsodyServer, RawComponent,
                          free_port, port_accepts, prosody, librarians)  # noqa: F401 (fixtures)

ALICE, BOB = "alice@localhost", "bob@external.localhost"


def test_prosody_runs_from_its_own_directory_on_loopback_and_stops_without_leftovers(workdir):
    server = ProsodyServer(workdir)
    config = server.config.read_text()
    assert "/etc/prosody" not in config
    assert f"c2s_ports = {{ {server.c2s_port} }}" in config and 'c2s_interfaces = { "127.0.0.1" }' in config

    server.start()
    try:
        log = server.log_text()
        assert "Hello and welcome to Prosody" in log and "/etc/prosody" not in log
        assert str(server.process.pid) == server.pidfile.read_text().strip()
        assert port_accepts(server.c2s_port) and port_accepts(server.component_port)
    finally:
        assert server.stop() == 0
    assert not port_accepts(server.c2s_port) and not port_accepts(server.component_port)
    assert not server.running and "Received SIGTERM" in server.log_text()

    server.start()
    server.kill()
    assert not port_accepts(server.c2s_port) and not port_accepts(server.component_port)


def test_accounts_are_created_with_prosodyctl_in_the_servers_data_directory(prosody):
    prosody.create_user(ALICE, "first")
    assert prosody.user_exists(ALICE)
    assert not prosody.user_exists(BOB)
    with pytest.raises(ValueError, match="accounts live on"):
        prosody.create_user("carol@elsewhere.example", "x")


def test_two_librarians_on_different_hosts_exchange_messages_and_see_each_others_presence(librarians):
    alice = librarians(ALICE)
    bob = librarians(BOB, show="chat", status="at the desk")

    alice.send(BOB, "can you take the next patron?")
    sender, body = bob.wait_message(timeout=5)
    assert (sender.split("/")[0], body) == (ALICE, "can you take the next patron?")
    bob.send(ALICE, "yes")
    assert alice.wait_message(lambda m: m.bare == BOB, timeout=5).body == "yes"

    alice.subscribe(BOB)  # bob accepts automatically and subscribes back
    seen = alice.wait_presence(lambda p: p.bare == BOB and p.type == "available", timeout=5)
    assert (seen.show, seen.status) == ("chat", "at the desk")
    bob.wait_presence(lambda p: p.bare == ALICE and p.type == "available", timeout=5)
    wait_until(lambda: alice.subscription(BOB) == "both" and bob.subscription(ALICE) == "both", 5,
               "a mutual subscription")

    bob.set_presence("away", "lunch")
    alice.wait_presence(lambda p: p.bare == BOB and p.show == "away" and p.status == "lunch", timeout=5)
    bob.go_offline()
    alice.wait_presence(lambda p: p.bare == BOB and p.type == "unavailable", timeout=5)
    assert alice.presence_of(BOB).type == "unavailable"


def test_connection_failures_are_reported_clearly(prosody, librarians):
    prosody.create_user(ALICE, "right")
    with pytest.raises(LibrarianError, match="rejected the password"):
        librarians(ALICE, password="wrong", create=False)

    nothing_listens = free_port()
    unreachable = Librarian(ALICE, "right", port=nothing_listens)
    try:
        with pytest.raises(LibrarianError, match=f"could not connect to 127.0.0.1:{nothing_listens}: .*refused"):
            unreachable.connect(timeout=5)
    finally:
        unreachable.disconnect()


def test_raw_component_authenticates_and_receives_what_librarians_send_to_its_domain(prosody, librarians):
    with pytest.raises(ComponentHandshakeError, match="refused the handshake"):
        RawComponent(prosody.component_port, prosody.component_domain, "not the secret").connect()

    component = RawComponent(prosody.component_port, prosody.component_domain, prosody.component_secret).connect()
    try:
        alice = librarians(ALICE)
        alice.send(f"someone@{prosody.component_domain}", "hello desk")
        stanza = component.wait_for(re.compile(r"<message.*?</message>", re.S), timeout=5)
        assert "hello desk" in stanza and f"to='someone@{prosody.component_domain}'" in stanza
        assert "from='alice@localhost/" in stanza

        # What the router does at start: subscribe to a librarian's presence; the librarian accepts and
        # subscribes back.
        component.send(f"<presence type='subscribe' from='{prosody.component_domain}' to='{ALICE}'/>")
        component.wait_for(re.compile(r"<presence[^>]*type='subscribed'[^>]*/?>"), timeout=5)
        component.wait_for(re.compile(r"<presence[^>]*type='subscribe'[^>]*/?>"), timeout=5)
    finally:
        component.close()


def test_librarians_reconnect_after_prosody_restarts_and_after_it_is_killed(prosody, librarians):
    alice = librarians(ALICE, show="chat")
    bob = librarians(BOB)

    sessions = alice.sessions
    prosody.restart()
    alice.wait_online(timeout=10, after_sessions=sessions)
    bob.wait_online(timeout=10, after_sessions=1)
    alice.send(BOB, "still there?")
    assert bob.wait_message(lambda m: m.body == "still there?", timeout=5).bare == ALICE

    prosody.kill()
    alice.wait_offline(timeout=5)
    prosody.start()
    alice.wait_online(timeout=10, after_sessions=sessions + 1)
    bob.wait_online(timeout=10, after_sessions=2)
    bob.send(ALICE, "yes")
    assert alice.wait_message(lambda m: m.body == "yes", timeout=5).bare == BOB
