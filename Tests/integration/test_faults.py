"""Faults, end to end: the whole stack carries a scripted load of patrons and librarians while the suite kills the
router, each bridge and Prosody with SIGKILL in turn (restarting them), makes the fake Twilio API answer 500 and
429, and has the OSCAR server drop the library's connection. At the end it reconciles: every patron message a
gateway accepted reached its librarian exactly once, every reply the router confirmed reached its patron exactly
once, each patron's messages and each conversation's replies in the order sent, and the router's offline inbox and
outbox and the bridges' spools are empty. It prints the counts.

Everything is real but the Twilio REST API and the OSCAR server (fakes that behave like them): Prosody, slixmpp
librarians (answering delivery receipts, XEP-0184, as current clients do), the router, refdesk-twilio, refdesk-aim.

Where the outside protocols cannot promise more, the load respects what a real peer would see:
- A librarian's client sends a reply again (same id) until the router confirms it with a receipt, and one reply
  at a time per conversation (otherwise a resend could overtake the next reply).
- Webhooks: Twilio's request is repeated with the same MessageSid until it is answered 200.
- OSCAR has no acknowledgement from the receiving client, and SMS none from the sending side: an IM the server
  has already written to a bridge that is killed, or a text Twilio accepted just before the bridge is killed, is
  beyond any bridge's reach (docs/reliability.md). So while a bridge is killed the suite holds the traffic that
  crosses that bridge towards the outside network (AIM patrons' IMs and AIM replies for refdesk-aim; SMS replies
  for refdesk-twilio) until the killed process's connection is gone; everything else keeps flowing, and traffic
  sent while the bridge is down waits in the router's outbox, the OSCAR server's offline store and Twilio's
  retries.

`REFDESK_FAULTS=long` runs three rounds of faults with more patrons; the default is one quick round.
"""
import os
import random
import re
import threading
import time
from collections import defaultdict

from conftest import report, wait_until
from fake_twilio import FakeTwilio
from oscar_server import OscarServer, PatronClient, normalize
from staffing import OFFLINE_REPLY, router_for
from test_aim_bridge import AIMBridgeProcess
from test_twilio_bridge import ACCOUNT, LIBRARY, TOKEN, TwilioBridgeProcess, sms
from xmpp_harness import librarians, prosody  # noqa: F401 (fixtures)

LONG = os.environ.get("REFDESK_FAULTS") == "long"
ROUNDS = 3 if LONG else 1
SMS_PATRONS = [f"+1555700{i:04d}" for i in range(12 if LONG else 6)]
AIM_PATRONS = {f"Patron {i}": f"patron-{i}-secret" for i in range(4 if LONG else 3)}
DESK, DESK_PASSWORD = "Ref Desk", "desk-secret"
PATRON_INTERVAL = 1.0    # seconds between one patron's messages (the bot-loop guard allows 10 turns in 10 s)
REPLY_EVERY = 3          # the librarian answers every third message of a patron
RESEND_AFTER = 3.0       # a librarian's client sends a reply again when no receipt came within this
LINE_TOKEN = re.compile(r"\b([sabt]\d+-\d+)\b")
REPLY = re.compile(r"^re ([sabt]\d+-\d+)$")
STANZA_ID = re.compile(r"<message[^>]*\bid=['\"]([^'\"]+)['\"]")


def seq_of(token: str) -> int:
    return int(token.split("-")[1])


def patron_of(token: str) -> str:
    return token.split("-")[0]


class Gate:
    """A pause switch load threads check before each send."""

    def __init__(self):
        self._open = threading.Event()
        self._open.set()

    def hold(self):
        self._open.clear()

    def release(self):
        self._open.set()

    def wait(self, stop: threading.Event):
        while not self._open.wait(0.1):
            if stop.is_set():
                return


class Load:
    """The patrons and librarians, and the ledger the reconciliation reads."""

    def __init__(self, prosody, bridge_holder, server, api):
        self.prosody, self.bridge_holder, self.server, self.api = prosody, bridge_holder, server, api
        self.stop = threading.Event()
        self.sms_gate, self.aim_gate = Gate(), Gate()          # patrons' sends
        self.sms_replies_gate, self.aim_replies_gate = Gate(), Gate()  # librarians' replies
        self.lock = threading.Lock()
        self.accepted = {}                      # patron token -> time a gateway accepted it (webhook 200 / IM sent)
        self.webhook_retries = 0
        self.replies_confirmed = {}             # token -> time the router confirmed the reply
        self.reply_resends = 0
        self.aim_clients = {}
        self.aim_received = defaultdict(list)   # normalised screen name -> texts, in arrival order
        self.threads = []

    # -- patrons

    def sms_patron(self, index: int, number: str):
        seq = 0
        while not self.stop.is_set():
            self.sms_gate.wait(self.stop)
            token = f"s{index}-{seq}"
            params = sms(900_000 + index * 10_000 + seq, number, token)
            while not self.stop.is_set():
                status = post_webhook(self.bridge_holder["twilio"], params)
                if status == 200:
                    with self.lock:
                        self.accepted[token] = time.monotonic()
                    break
                with self.lock:
                    self.webhook_retries += 1
                time.sleep(0.2)
            seq += 1
            time.sleep(PATRON_INTERVAL)

    def aim_patron(self, index: int, name: str, password: str):
        client = PatronClient(self.server, name, password, buddies=(DESK,)).sign_on()
        self.aim_clients[normalize(name)] = client
        threading.Thread(target=self._collect_ims, args=(normalize(name), client), daemon=True).start()
        seq = 0
        while not self.stop.is_set():
            self.aim_gate.wait(self.stop)
            if self.stop.is_set():
                break
            token = f"a{index}-{seq}"
            with self.lock:
                # Sent and accepted under the lock so a holder sees every IM the server may have routed.
                client.send_im("refdesk", token, store=True, ack=False)
                self.accepted[token] = time.monotonic()
            seq += 1
            time.sleep(PATRON_INTERVAL)

    def _collect_ims(self, name, client):
        while True:
            try:
                _, text, _ = client.next_message(timeout=1)
            except Exception:
                if client.signed_off.is_set():
                    return
                continue
            with self.lock:
                # Replies that waited for the IM rate class arrive together, one per line.
                self.aim_received[name].extend(text.split("\n"))

    # -- librarians

    def desk(self, librarian, replies_gate: Gate):
        """Reads the librarian's messages; answers every REPLY_EVERY-th line of each patron, one reply in flight
        per conversation, resending it until the router confirms it."""
        seen = 0
        in_flight = {}   # patron JID -> (token, last sent at)
        wanted = defaultdict(list)  # patron JID -> tokens to answer, in order
        while not self.stop.is_set() or in_flight or any(wanted.values()):
            messages = librarian.messages[seen:]
            seen += len(messages)
            for message in messages:
                for token in LINE_TOKEN.findall(message.body):
                    if seq_of(token) % REPLY_EVERY == REPLY_EVERY - 1:
                        patron = message.sender.split("/")[0]
                        with self.lock:
                            if token not in wanted[patron] and token not in self.replies_confirmed \
                                    and all(token != t for t, _ in in_flight.values()):
                                wanted[patron].append(token)
            for patron in list(wanted):
                current = in_flight.get(patron)
                if current and f"r-{current[0]}" in librarian.confirmed:
                    with self.lock:
                        self.replies_confirmed[current[0]] = time.monotonic()
                    del in_flight[patron]
                    current = None
                if current is None:
                    if not wanted[patron]:
                        continue
                    token = wanted[patron].pop(0)
                    replies_gate.wait(self.stop)
                    if librarian.send_with_receipt(patron, f"re {token}", f"r-{token}"):
                        in_flight[patron] = (token, time.monotonic())
                    else:
                        in_flight[patron] = (token, 0.0)
                elif time.monotonic() - current[1] > RESEND_AFTER:
                    replies_gate.wait(self.stop)
                    if librarian.send_with_receipt(patron, f"re {current[0]}", f"r-{current[0]}"):
                        with self.lock:
                            self.reply_resends += 1
                        in_flight[patron] = (current[0], time.monotonic())
            if self.stop.is_set() and time.monotonic() > self.drain_deadline:
                return
            time.sleep(0.05)

    def start(self, alice, bob):
        self.drain_deadline = float("inf")
        for index, number in enumerate(SMS_PATRONS):
            self.threads.append(threading.Thread(target=self.sms_patron, args=(index, number), daemon=True))
        for index, (name, password) in enumerate(AIM_PATRONS.items()):
            self.threads.append(threading.Thread(target=self.aim_patron, args=(index, name, password), daemon=True))
        self.desks = [threading.Thread(target=self.desk, args=(alice, self.sms_replies_gate), daemon=True),
                      threading.Thread(target=self.desk, args=(bob, self.aim_replies_gate), daemon=True)]
        for thread in self.threads + self.desks:
            thread.start()

    def finish_sending(self, drain: float):
        """Patrons stop; librarians answer what they have and finish their replies within `drain` seconds."""
        self.drain_deadline = time.monotonic() + drain
        self.stop.set()
        for gate in (self.sms_gate, self.aim_gate, self.sms_replies_gate, self.aim_replies_gate):
            gate.release()
        for thread in self.threads:
            thread.join(15)

    # -- what arrived

    def sms_replies_at_api(self):
        return [call["form"]["Body"] for call in self.api.accepted() if REPLY.match(call["form"].get("Body", ""))]

    def replies_for(self, prefix: str):
        with self.lock:
            return [t for t in self.replies_confirmed if t.startswith(prefix)]


def post_webhook(bridge, params) -> int | None:
    """Twilio's webhook request; None when the bridge did not answer (it is down)."""
    try:
        return bridge.post("sms", params)[0]
    except OSError:
        return None


class Current:
    """Kills whichever process of a restarted daemon is current (for the `processes` fixture's teardown)."""

    def __init__(self, holder: dict, key: str):
        self.holder, self.key = holder, key

    def kill(self):
        self.holder[self.key].kill()


def deliveries(librarian):
    """token -> list of (stanza id, arrival index) over every message the librarian got."""
    found = defaultdict(list)
    for index, message in enumerate(list(librarian.messages)):
        match = STANZA_ID.search(message.xml)
        for token in LINE_TOKEN.findall(message.body):
            found[token].append((match.group(1) if match else f"no-id-{index}", index))
    return found


def test_faults_end_to_end_nothing_lost_nothing_doubled_order_kept(request, workdir, processes, prosody, librarians):
    server = OscarServer({DESK: DESK_PASSWORD, **AIM_PATRONS}, im_rate_scale=0.05, login_burst=200).start()
    api = FakeTwilio({ACCOUNT: TOKEN}).start()
    faults = defaultdict(int)
    try:
        router = router_for(workdir, prosody)
        processes.append(router)
        router.start()
        assert router.stop() == 0
        router.seed(f"""
            INSERT INTO queues (name, routing_policy, chat_limit, offline_reply) VALUES ('sms', 'ring-all', 0, '{OFFLINE_REPLY}');
            INSERT INTO queues (name, routing_policy, chat_limit, offline_reply) VALUES ('aim', 'ring-all', 0, '{OFFLINE_REPLY}');
            INSERT INTO gateways (protocol, queue, username, normalised_username, secret, created_at)
                VALUES ('twilio', 'sms', '{LIBRARY}', '{LIBRARY}', '{ACCOUNT}', 0);
            INSERT INTO gateways (protocol, queue, username, normalised_username, secret, created_at)
                VALUES ('aim', 'aim', 'RefDesk@aol.com', 'refdesk', '{DESK_PASSWORD}', 0);
            INSERT INTO operators (name, role) VALUES ('alice', 'operator'), ('bob', 'operator');
            INSERT INTO staffing_jids (jid, operator) VALUES ('alice@localhost', 'alice'), ('bob@localhost', 'bob');
            INSERT INTO assignments (operator, queue) VALUES ('alice', 'sms'), ('bob', 'aim');
        """)
        alice = librarians("alice@localhost", receipts=True)
        bob = librarians("bob@localhost", receipts=True)
        router.start()

        twilio = TwilioBridgeProcess(workdir, router.socket, api.base, "segments_per_second = 50")
        processes.append(twilio)
        twilio.start()
        aim = {"bridge": AIMBridgeProcess(workdir, router.socket, server)}
        processes.append(Current(aim, "bridge"))
        wait_until(lambda: server.is_online(DESK), 30, "the AIM desk to sign on")

        holder = {"twilio": twilio}
        load = Load(prosody, holder, server, api)
        load.start(alice, bob)
        pace = 4.0 if not LONG else 6.0

        def settle():
            time.sleep(pace)

        def wait_sms_replies_out():
            """Every reply the router confirmed to an SMS patron is at the Messages API."""
            missing = []

            def out():
                missing[:] = sorted(set(load.replies_for("s")) - {REPLY.match(b).group(1) for b in load.sms_replies_at_api()})
                return not missing
            try:
                wait_until(out, 30, "confirmed SMS replies to reach the Messages API")
            except AssertionError as error:
                raise AssertionError(f"{error}; missing: {missing}") from None

        def wait_aim_quiet():
            """Every IM sent so far is at bob, and every reply confirmed to an AIM patron is at its patron."""
            def done():
                got = deliveries(bob)
                with load.lock:
                    sent = [t for t in load.accepted if t.startswith("a")]
                    texts = {t for texts in load.aim_received.values() for t in texts}
                return all(t in got for t in sent) and all(f"re {t}" in texts for t in load.replies_for("a"))
            wait_until(done, 45, "AIM traffic to settle before the AIM bridge is killed")

        for _ in range(ROUNDS):
            settle()
            router.kill()
            faults["router killed"] += 1
            time.sleep(1)
            router.start()

            settle()
            api.fail_next(6, 500)
            faults["Twilio API answers 500 (calls)"] += 6

            settle()
            load.sms_replies_gate.hold()
            time.sleep(RESEND_AFTER)  # a reply just handed over is confirmed and queued for sending
            wait_sms_replies_out()
            holder["twilio"].kill()
            faults["refdesk-twilio killed"] += 1
            load.sms_replies_gate.release()
            time.sleep(1)
            holder["twilio"] = TwilioBridgeProcess(workdir, router.socket, api.base, "segments_per_second = 50")
            processes.append(holder["twilio"])
            holder["twilio"].start()

            settle()
            api.fail_next(6, 429)
            faults["Twilio API answers 429 (calls)"] += 6

            settle()
            load.aim_gate.hold()
            load.aim_replies_gate.hold()
            time.sleep(RESEND_AFTER)  # a reply just handed over is confirmed and queued for sending
            wait_aim_quiet()
            aim["bridge"].kill()
            faults["refdesk-aim killed"] += 1
            wait_until(lambda: not server.is_online(DESK), 10, "the OSCAR server to see the desk gone")
            load.aim_gate.release()
            load.aim_replies_gate.release()
            time.sleep(1)
            aim["bridge"] = AIMBridgeProcess(workdir, router.socket, server)

            settle()
            wait_until(lambda: server.is_online(DESK), 30, "the AIM desk to sign on again")

            def drop():
                connection = server.sessions.get(normalize(DESK))
                if connection is not None:
                    server._signed_off(connection)
                    connection.close()
                return connection is not None
            assert server.call(drop)
            faults["OSCAR server dropped the desk's connection"] += 1

            settle()
            prosody.kill()
            faults["Prosody killed"] += 1
            time.sleep(1)
            prosody.start()
            settle()

        load.finish_sending(drain=90)

        # Reconcile: everything accepted arrives, once, in order; nothing is left waiting anywhere.
        with load.lock:
            accepted = dict(load.accepted)
        librarian_of = {"s": alice, "a": bob}

        def all_delivered():
            got = {prefix: deliveries(librarian) for prefix, librarian in librarian_of.items()}
            return all(t in got[t[0]] for t in accepted)
        wait_until(all_delivered, 90, "every accepted patron message to reach its librarian", interval=0.5)
        for thread in load.desks:
            thread.join(100)
        replies = dict(load.replies_confirmed)

        def all_replies_out():
            at_api = load.sms_replies_at_api()
            with load.lock:
                texts = [t for texts in load.aim_received.values() for t in texts]
            return all((f"re {t}" in at_api) if t[0] == "s" else (f"re {t}" in texts) for t in replies)
        wait_until(all_replies_out, 90, "every confirmed reply to reach its patron", interval=0.5)
        wait_until(lambda: router.query("SELECT count(*) FROM offline_inbox")[0][0] == 0
                   and router.query("SELECT count(*) FROM outbox")[0][0] == 0, 30, "the router's inbox and outbox to empty")
        time.sleep(3)  # anything doubled would arrive by now

        lost_in, doubled_in, redelivered, out_of_order_in = [], [], 0, []
        for prefix, librarian in librarian_of.items():
            got = deliveries(librarian)
            for token in [t for t in accepted if t[0] == prefix]:
                ids = {stanza for stanza, _ in got.get(token, [])}
                if not ids:
                    lost_in.append(token)
                elif len(ids) > 1:
                    doubled_in.append((token, len(ids)))
                redelivered += len(got.get(token, [])) - len(ids)
            first_arrival = defaultdict(list)
            for token, arrivals in sorted(got.items(), key=lambda item: min(i for _, i in item[1])):
                first_arrival[patron_of(token)].append(seq_of(token))
            for patron, seqs in first_arrival.items():
                if seqs != sorted(seqs):
                    out_of_order_in.append((patron, [s for i, s in enumerate(seqs) if i and s < seqs[i - 1]][:5]))

        at_api = load.sms_replies_at_api()
        with load.lock:
            aim_texts = {name: list(texts) for name, texts in load.aim_received.items()}
        lost_out, doubled_out, out_of_order_out = [], [], []
        for token in replies:
            pool = at_api if token[0] == "s" else [t for texts in aim_texts.values() for t in texts]
            count = pool.count(f"re {token}")
            if count == 0:
                lost_out.append(token)
            elif count > 1:
                doubled_out.append((token, count))
        sms_reply_seqs = defaultdict(list)
        for body in at_api:
            token = REPLY.match(body).group(1)
            sms_reply_seqs[patron_of(token)].append(seq_of(token))
        aim_reply_seqs = {name: [seq_of(REPLY.match(t).group(1)) for t in texts if REPLY.match(t)] for name, texts in aim_texts.items()}
        for patron, seqs in list(sms_reply_seqs.items()) + list(aim_reply_seqs.items()):
            if seqs != sorted(seqs):
                out_of_order_out.append((patron, [s for i, s in enumerate(seqs) if i and s < seqs[i - 1]][:5]))

        spools = {
            "refdesk-twilio": holder["twilio"].spool, "refdesk-aim": workdir / "aim-spool.sqlite"}
        left_in_spools = {}
        for name, path in spools.items():
            import sqlite3
            connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
            try:
                left_in_spools[name] = (connection.execute("SELECT count(*) FROM pending").fetchone()[0],
                                        connection.execute("SELECT count(*) FROM outbound WHERE state = 'queued'").fetchone()[0])
            finally:
                connection.close()

        patron_messages = len(accepted)
        summary = (
            f"faults injected: {sum(faults.values())} ({', '.join(f'{name} {count}' for name, count in faults.items())}); "
            f"patron messages sent: {patron_messages} (SMS {sum(1 for t in accepted if t[0] == 's')}, "
            f"AIM {sum(1 for t in accepted if t[0] == 'a')}), replies sent: {len(replies)}; "
            f"lost {len(lost_in) + len(lost_out)}, duplicated {len(doubled_in) + len(doubled_out)}, "
            f"out of order {len(out_of_order_in) + len(out_of_order_out)}; "
            f"webhook retries {load.webhook_retries}, reply resends {load.reply_resends}, "
            f"lines sent again under the same id {redelivered}"
        )
        report(request.config, summary)
        assert patron_messages > 0 and replies
        assert not lost_in, f"patron messages never reached a librarian: {lost_in[:20]}"
        assert not doubled_in, f"patron messages a librarian got more than once: {doubled_in[:20]}"
        assert not out_of_order_in, f"patrons whose messages arrived out of order: {out_of_order_in}"
        assert not lost_out, f"confirmed replies that never reached their patron: {lost_out[:20]}"
        assert not doubled_out, f"replies a patron got more than once: {doubled_out[:20]}"
        assert not out_of_order_out, f"conversations whose replies arrived out of order: {out_of_order_out}"
        assert all(pending == 0 and queued == 0 for pending, queued in left_in_spools.values()), left_in_spools
        assert not [m for m in alice.messages + bob.messages if "conversation has ended" in m.body]
    finally:
        api.stop()
        server.stop()


# ------------------------------------------------------------------------------------------ the router, again and again

STORM_KILLS = int(os.environ.get("REFDESK_STORM_KILLS", "40" if LONG else "22"))
STORM_PATRONS = 32
SECOND_NUMBER = "+15550000002"


def storm_seed(request) -> int:
    """The storm's random seed: REFDESK_FAULT_SEED replays a run; otherwise a fresh one, printed first."""
    seed = int(os.environ.get("REFDESK_FAULT_SEED") or random.randrange(1 << 32))
    report(request.config, f"router kill storm: seed {seed} (replay with REFDESK_FAULT_SEED={seed})")
    return seed


def storm_desk(workdir, processes, prosody, librarians):
    """Two SMS queues on two numbers of one Twilio account: `sms` staffed by alice, whose client answers delivery
    receipts, and `text` staffed by carol, whose client answers none (it still asks for receipts for its own
    replies, as it must to know they arrived). The router, refdesk-twilio and the Messages API stand-in."""
    api = FakeTwilio({ACCOUNT: TOKEN}).start()
    router = router_for(workdir, prosody)
    processes.append(router)
    router.start()
    assert router.stop() == 0
    router.seed(f"""
        INSERT INTO queues (name, routing_policy, chat_limit, offline_reply) VALUES ('sms', 'ring-all', 0, '{OFFLINE_REPLY}');
        INSERT INTO queues (name, routing_policy, chat_limit, offline_reply) VALUES ('text', 'ring-all', 0, '{OFFLINE_REPLY}');
        INSERT INTO gateways (protocol, queue, username, normalised_username, secret, created_at)
            VALUES ('twilio', 'sms', '{LIBRARY}', '{LIBRARY}', '{ACCOUNT}', 0);
        INSERT INTO gateways (protocol, queue, username, normalised_username, secret, created_at)
            VALUES ('twilio', 'text', '{SECOND_NUMBER}', '{SECOND_NUMBER}', '{ACCOUNT}', 0);
        INSERT INTO operators (name, role) VALUES ('alice', 'operator'), ('carol', 'operator');
        INSERT INTO staffing_jids (jid, operator) VALUES ('alice@localhost', 'alice'), ('carol@localhost', 'carol');
        INSERT INTO assignments (operator, queue) VALUES ('alice', 'sms'), ('carol', 'text');
    """)
    alice = librarians("alice@localhost", receipts=True)
    carol = librarians("carol@localhost", receipts=True, answer_receipts=False)
    router.start()
    twilio = TwilioBridgeProcess(workdir, router.socket, api.base, "segments_per_second = 200")
    processes.append(twilio)
    twilio.start()
    # Both queues online (each librarian has seen its queue come online) before the load starts.
    for librarian, queue in ((alice, "sms"), (carol, "text")):
        librarian.wait_presence(lambda p: p.bare == f"{queue}@{prosody.component_domain}" and p.type == "available", 20)
    return router, twilio, api, alice, carol


def post_until_accepted(bridge, params, stop: threading.Event) -> tuple[bool, int]:
    """Twilio's side of a webhook: repeated, same MessageSid, until answered 200 (or `stop`). Returns whether it was
    accepted and the number of retries."""
    retries = 0
    while not stop.is_set():
        if post_webhook(bridge, params) == 200:
            return True, retries
        retries += 1
        time.sleep(0.2)
    return False, retries


def reconcile_lines(accepted: dict, librarian_of: dict):
    """(lost, doubled, out of order, sent again under the same id) over the patron lines librarians got, counting
    each stanza id once: a line sent again after a crash carries the id it had, so a client shows it once."""
    lost, doubled, out_of_order, again = [], [], [], 0
    for prefix, librarian in librarian_of.items():
        got = deliveries(librarian)
        for token in [t for t in accepted if t.startswith(prefix)]:
            ids = {stanza for stanza, _ in got.get(token, [])}
            if not ids:
                lost.append(token)
            elif len(ids) > 1:
                doubled.append((token, len(ids)))
            again += len(got.get(token, [])) - len(ids)
        first_arrival = defaultdict(list)
        for token, arrivals in sorted(got.items(), key=lambda item: min(i for _, i in item[1])):
            first_arrival[patron_of(token)].append(seq_of(token))
        for patron, seqs in first_arrival.items():
            if seqs != sorted(seqs):
                out_of_order.append((patron, [s for i, s in enumerate(seqs) if i and s < seqs[i - 1]][:5]))
    return lost, doubled, out_of_order, again


def test_a_burst_of_texts_through_two_quick_router_kills_reaches_the_librarian_once_each(request, workdir, processes,
                                                                                         prosody, librarians):
    """As seen in the field: 30 numbers post 300 signed texts within about a second (each retried until 200, as
    Twilio does); the router is killed after the 80th answer and again 0.1-0.2 s after it came back, then after the
    180th. Every text reaches the librarian (whose client answers receipts) exactly once, in each patron's order,
    without waiting for any presence change."""
    rng = random.Random(storm_seed(request))
    router, twilio, api, alice, _ = storm_desk(workdir, processes, prosody, librarians)
    numbers = [f"+1555710{i:04d}" for i in range(30)]
    accepted, lock, stop = {}, threading.Lock(), threading.Event()
    answered = [0]

    def patron(index, number):
        for seq in range(10):
            token = f"b{index}-{seq}"
            assert post_until_accepted(twilio, sms(2_000_000 + index * 100 + seq, number, token), stop)[0]
            with lock:
                accepted[token] = time.monotonic()
                answered[0] += 1

    def kills():
        for threshold in (80, 180):
            wait_until(lambda: answered[0] >= threshold, 60, f"{threshold} texts answered")
            router.kill()
            router.start()
            time.sleep(rng.uniform(0.1, 0.2))
            router.kill()
            router.start()

    threads = [threading.Thread(target=patron, args=(i, n), daemon=True) for i, n in enumerate(numbers)]
    killer = threading.Thread(target=kills, daemon=True)
    killer.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    killer.join(60)
    assert len(accepted) == 300

    def all_in():
        got = deliveries(alice)
        return all(token in got for token in accepted)
    try:
        wait_until(all_in, 60, "every text to reach the librarian", interval=0.5)
    except AssertionError:
        got = deliveries(alice)
        missing = sorted(t for t in accepted if t not in got)
        waiting = router.query("SELECT count(*) FROM switchboard_pending")[0][0]
        raise AssertionError(f"{len(missing)} texts never reached the librarian (pending rows: {waiting}): {missing[:20]}")
    time.sleep(2)
    lost, doubled, out_of_order, again = reconcile_lines(accepted, {"b": alice})
    assert (lost, doubled, out_of_order) == ([], [], []), (lost[:10], doubled[:10], out_of_order[:10])
    wait_until(lambda: router.query("SELECT count(*) FROM librarian_outbox")[0][0] == 0, 20, "the lines' receipts")


def test_the_router_killed_again_and_again_under_load_loses_nothing_and_doubles_nothing(request, workdir, processes,
                                                                                      prosody, librarians):
    """At least 20 SIGKILLs of the router on a seeded random schedule (printed, so a failure replays): some within
    0.2 s of a restart, some before or just after its XMPP handshake, some under full load; 32 SMS patrons on two
    numbers post the whole time and both librarians answer every third line, one whose client answers delivery
    receipts and one whose client does not. Every text a gateway accepted reaches its librarian once, every reply the
    router confirmed reaches its patron once, each in order; nothing is left in any outbox."""
    rng = random.Random(storm_seed(request))
    router, twilio, api, alice, carol = storm_desk(workdir, processes, prosody, librarians)
    stop = threading.Event()
    lock = threading.Lock()
    accepted, confirmed = {}, {}
    counters = defaultdict(int)

    def patron(index, number, library, prefix):
        seq = 0
        time.sleep(rng.uniform(0, PATRON_INTERVAL))
        while not stop.is_set():
            token = f"{prefix}{index}-{seq}"
            sid = (3_000_000 if prefix == "s" else 4_000_000) + index * 10_000 + seq
            taken, retries = post_until_accepted(twilio, sms(sid, number, token, to=library), stop)
            with lock:
                if taken:
                    accepted[token] = time.monotonic()
                counters["webhook retries"] += retries
            seq += 1
            time.sleep(PATRON_INTERVAL * rng.uniform(0.8, 1.2))

    def desk(librarian):
        """Answers every REPLY_EVERY-th line of each patron, one reply in flight per patron, sent again (same id)
        until the router confirms it with a receipt."""
        seen, in_flight, wanted = 0, {}, defaultdict(list)
        while not stop.is_set() or in_flight or any(wanted.values()):
            for message in librarian.messages[seen:]:
                seen += 1
                for token in LINE_TOKEN.findall(message.body):
                    if seq_of(token) % REPLY_EVERY == REPLY_EVERY - 1 and token not in wanted[message.bare] \
                            and token not in confirmed and all(token != t for t, _ in in_flight.values()):
                        wanted[message.bare].append(token)
            for patron_jid in list(wanted):
                current = in_flight.get(patron_jid)
                if current and f"r-{current[0]}" in librarian.confirmed:
                    with lock:
                        confirmed[current[0]] = time.monotonic()
                    del in_flight[patron_jid]
                    current = None
                if current is None and wanted[patron_jid]:
                    token = wanted[patron_jid].pop(0)
                    sent = librarian.send_with_receipt(patron_jid, f"re {token}", f"r-{token}")
                    in_flight[patron_jid] = (token, time.monotonic() if sent else 0.0)
                elif current is not None and time.monotonic() - current[1] > RESEND_AFTER:
                    if librarian.send_with_receipt(patron_jid, f"re {current[0]}", f"r-{current[0]}"):
                        with lock:
                            counters["reply resends"] += 1
                        in_flight[patron_jid] = (current[0], time.monotonic())
            if stop.is_set() and time.monotonic() > drain_deadline[0]:
                return
            time.sleep(0.05)

    drain_deadline = [float("inf")]
    half = STORM_PATRONS // 2
    patrons = [threading.Thread(target=patron, args=(i, f"+1555720{i:04d}", LIBRARY, "s"), daemon=True) for i in range(half)]
    patrons += [threading.Thread(target=patron, args=(i, f"+1555730{i:04d}", SECOND_NUMBER, "t"), daemon=True)
                for i in range(half)]
    desks = [threading.Thread(target=desk, args=(librarian,), daemon=True) for librarian in (alice, carol)]
    for thread in patrons + desks:
        thread.start()

    kinds = defaultdict(int)
    handshakes = router.log_text().count("XMPP component connected")
    time.sleep(2)
    for number in range(STORM_KILLS):
        kind = "under load" if number == 0 else rng.choice(
            ["within 0.2 s of a restart", "before its XMPP handshake", "just after its XMPP handshake", "under load"])
        if kind == "within 0.2 s of a restart":
            time.sleep(rng.uniform(0.0, 0.2))
        elif kind == "just after its XMPP handshake":
            wait_until(lambda: router.log_text().count("XMPP component connected") > handshakes, 10,
                       "the XMPP handshake", interval=0.005)
            time.sleep(rng.uniform(0.0, 0.03))
        elif kind == "under load":
            time.sleep(rng.uniform(0.4, 2.0))
        router.kill()
        kinds[kind] += 1
        time.sleep(rng.uniform(0.0, 0.3))
        handshakes = router.log_text().count("XMPP component connected")
        router.start()
    time.sleep(3)
    stop.set()
    drain_deadline[0] = time.monotonic() + 60
    for thread in patrons:
        thread.join(30)

    librarian_of = {"s": alice, "t": carol}
    with lock:
        texts = dict(accepted)
    try:
        wait_until(lambda: all(t in deliveries(librarian_of[t[0]]) for t in texts), 60,
                   "every accepted text to reach its librarian", interval=0.5)
    except AssertionError:
        missing = sorted(t for t in texts if t not in deliveries(librarian_of[t[0]]))
        raise AssertionError(f"seed-replayable: {len(missing)} texts never reached a librarian: {missing[:20]}")
    for thread in desks:
        thread.join(90)
    with lock:
        replies = dict(confirmed)

    def replies_out():
        at_api = [c["form"]["Body"] for c in api.accepted() if REPLY.match(c["form"].get("Body", ""))]
        return all(f"re {t}" in at_api for t in replies)
    wait_until(replies_out, 60, "every confirmed reply to reach the Messages API", interval=0.5)
    wait_until(lambda: router.query("SELECT count(*) FROM outbox")[0][0] == 0
               and router.query("SELECT count(*) FROM librarian_outbox")[0][0] == 0, 30,
               "the router's outboxes to empty")
    time.sleep(3)  # anything doubled would arrive by now

    lost_in, doubled_in, out_of_order_in, again = reconcile_lines(texts, librarian_of)
    at_api = [REPLY.match(c["form"]["Body"]).group(1) for c in api.accepted() if REPLY.match(c["form"].get("Body", ""))]
    lost_out = [t for t in replies if t not in at_api]
    doubled_out = [(t, at_api.count(t)) for t in replies if at_api.count(t) > 1]
    by_patron = defaultdict(list)
    for token in at_api:
        by_patron[token.split("-")[0]].append(seq_of(token))
    out_of_order_out = [(p, s) for p, s in by_patron.items() if s != sorted(s)]
    summary = (
        f"faults injected: {STORM_KILLS} (router killed {STORM_KILLS}: "
        f"{', '.join(f'{kind} {count}' for kind, count in sorted(kinds.items()))}); "
        f"patron messages sent: {len(texts)} (SMS {len(texts)}, from {STORM_PATRONS} patrons), replies sent: "
        f"{len(replies)}; lost {len(lost_in) + len(lost_out)}, duplicated {len(doubled_in) + len(doubled_out)}, "
        f"out of order {len(out_of_order_in) + len(out_of_order_out)}; webhook retries {counters['webhook retries']}, "
        f"reply resends {counters['reply resends']}, lines sent again under the same id {again}"
    )
    report(request.config, summary)
    assert len(texts) > 0 and replies
    assert not lost_in, f"texts never reached a librarian: {lost_in[:20]}"
    assert not doubled_in, f"texts a librarian got more than once: {doubled_in[:20]}"
    assert not out_of_order_in, f"patrons whose texts arrived out of order: {out_of_order_in}"
    assert not lost_out, f"confirmed replies that never reached their patron: {lost_out[:20]}"
    assert not doubled_out, f"replies a patron got more than once: {doubled_out[:20]}"
    assert not out_of_order_out, f"patrons whose replies arrived out of order: {out_of_order_out}"
    assert not [m for m in alice.messages + carol.messages if "conversation has ended" in m.body]
    api.stop()

