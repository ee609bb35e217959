"""Nobody is left uninformed: whatever refdesk refuses, drops or fails to deliver, the person concerned is told, in
their own window, in plain words — and refdesk's answers in a patron's window come from that patron's address, so
clients keep them in that window instead of opening one for an unknown contact.

Real daemons and peers: Prosody, a slixmpp librarian, the router, refdesk-twilio, webhooks signed with the `twilio`
library, and the stand-in for Twilio's Messages API (which answers 21610 for opted-out numbers and 21211 for
invalid ones, and posts signed status callbacks as Twilio does)."""
import time

from conftest import wait_until
from fake_twilio import FakeTwilio
from staffing import OFFLINE_REPLY, router_for
from test_twilio_bridge import ACCOUNT, LIBRARY, TOKEN, TwilioBridgeProcess, sms
from xmpp_harness import librarians, prosody  # noqa: F401 (fixtures)

PATRON = "+15557400001"


class SMSDesk:
    """Queue `ask` on the library's Twilio number, staffed by alice (whose client answers receipts)."""

    def __init__(self, workdir, processes, prosody, librarians):
        self.prosody = prosody
        self.api = FakeTwilio({ACCOUNT: TOKEN}).start()
        self.router = router_for(workdir, prosody)
        processes.append(self.router)
        self.router.start()
        assert self.router.stop() == 0
        self.router.seed(f"""
            INSERT INTO queues (name, routing_policy, chat_limit, offline_reply) VALUES ('ask', 'ring-all', 0, '{OFFLINE_REPLY}');
            INSERT INTO gateways (protocol, queue, username, normalised_username, secret, created_at)
                VALUES ('twilio', 'ask', '{LIBRARY}', '{LIBRARY}', '{ACCOUNT}', 0);
            INSERT INTO operators (name, role) VALUES ('alice', 'operator');
            INSERT INTO staffing_jids (jid, operator) VALUES ('alice@localhost', 'alice');
            INSERT INTO assignments (operator, queue) VALUES ('alice', 'ask');
        """)
        self.alice = librarians("alice@localhost", receipts=True)
        self.router.start()
        self.bridge = TwilioBridgeProcess(workdir, self.router.socket, self.api.base, "segments_per_second = 100")
        processes.append(self.bridge)
        self.bridge.start()
        self.alice.wait_presence(lambda p: p.bare == f"ask@{prosody.component_domain}" and p.type == "available", 20)
        self.sid = 5_000_000

    def patron_jid(self, number: str = PATRON) -> str:
        return f"{number}@{self.prosody.component_domain}"

    def text(self, body: str, number: str = PATRON):
        self.sid += 1
        assert self.bridge.post("sms", sms(self.sid, number, body))[0] == 200

    def line(self, predicate, timeout: float = 15):
        return self.alice.wait_message(predicate, timeout)

    def reply(self, body: str, number: str = PATRON):
        self.alice.send(self.patron_jid(number), body)

    def calls_with(self, body: str):
        return [c for c in self.api.accepted() if c["form"].get("Body") == body]

    def close(self):
        self.api.stop()


def from_patron(desk, message, number=PATRON) -> bool:
    return message.bare == desk.patron_jid(number)


def test_a_reply_to_a_patron_who_texted_stop_is_not_sent_and_its_writer_is_told_in_the_patrons_window(
        workdir, processes, prosody, librarians):
    desk = SMSDesk(workdir, processes, prosody, librarians)
    try:
        desk.text("Do you have the 1962 Times?")
        desk.line(lambda m: "1962 Times" in m.body)
        desk.reply("Yes, on microfilm.")
        wait_until(lambda: desk.calls_with("Yes, on microfilm."), 15, "the first reply at the Messages API")

        desk.text("STOP")
        desk.line(lambda m: m.body.startswith("STOP") and "opted out" in m.body)
        desk.reply("Are you still there?")
        notice = desk.line(lambda m: "did not reach the patron" in m.body)
        assert from_patron(desk, notice), f"the notice came from {notice.sender}, not the patron's address"
        assert "\u201cAre you still there?\u201d" in notice.body
        assert "texted STOP" in notice.body and "START" in notice.body, notice.body
        time.sleep(1)
        assert not desk.calls_with("Are you still there?"), "a reply to an opted-out patron reached Twilio"
    finally:
        desk.close()


def test_a_reply_twilio_reports_undelivered_or_refuses_as_invalid_reaches_its_writer(workdir, processes, prosody,
                                                                                      librarians):
    desk = SMSDesk(workdir, processes, prosody, librarians)
    invalid = "+15557400099"
    try:
        desk.text("When do you open?")
        desk.line(lambda m: "When do you open" in m.body)
        desk.reply("At nine.")
        call = wait_until(lambda: (desk.calls_with("At nine.") or [None])[0], 15, "the reply at the Messages API")
        # The carrier cannot reach the phone: Twilio posts `undelivered` with 30003 minutes later.
        assert desk.api.send_status_callback(call, "undelivered", target=f"http://127.0.0.1:{desk.bridge.port}/refdesk/status",
                                             error_code=30003) == 200
        notice = desk.line(lambda m: "did not reach the patron" in m.body)
        assert from_patron(desk, notice)
        assert "\u201cAt nine.\u201d" in notice.body and "unreachable" in notice.body and "30003" in notice.body, notice.body

        # A number Twilio calls invalid: the REST call itself is refused with 21211.
        desk.api.invalid.add(invalid)
        desk.text("Hello?", number=invalid)
        desk.line(lambda m: m.body == "Hello?" and from_patron(desk, m, invalid))
        desk.reply("Hello, how can I help?", number=invalid)
        refused = desk.line(lambda m: "did not reach the patron" in m.body and from_patron(desk, m, invalid))
        assert "not a valid phone number" in refused.body and "21211" in refused.body, refused.body
    finally:
        desk.close()


def test_a_ping_pong_cut_off_tells_the_librarian_and_the_patron_once_and_later_lines_are_answered(
        workdir, processes, prosody, librarians):
    """docs: more than 10 turns within 10 s ends the chat; both sides are told once; for 5 minutes nothing is
    delivered either way, and a librarian who writes in the window is told why."""
    desk = SMSDesk(workdir, processes, prosody, librarians)
    try:
        cut = None
        for turn in range(12):
            desk.text(f"auto {turn}")
            seen = desk.line(lambda m, turn=turn: m.body == f"auto {turn}" or "was cut off" in m.body)
            if "was cut off" in seen.body:
                cut = seen
                break
            desk.reply(f"bot {turn}")
            time.sleep(0.1)
        assert cut is not None and turn == 6, "the eleventh turn within 10 s cuts the chat off"
        assert from_patron(desk, cut), f"the cut-off notice came from {cut.sender}"
        patron_notice = wait_until(lambda: [c for c in desk.api.accepted() if "not reaching the library" in c["form"]["Body"]],
                                   15, "the patron's one notice")
        assert patron_notice[0]["form"]["To"] == PATRON and "5 min" in patron_notice[0]["form"]["Body"]

        # The loop goes on from the patron's side: dropped, no second notice; the librarian's lines are refused aloud.
        desk.text("auto 99")
        desk.reply("bot 99")
        refused = desk.line(lambda m: "loop guard" in m.body)
        assert from_patron(desk, refused) and "not sent" in refused.body
        time.sleep(1.5)
        assert not [m for m in desk.alice.messages if m.body == "auto 99"]
        assert not desk.calls_with("bot 99")
        assert len([c for c in desk.api.accepted() if "not reaching the library" in c["form"]["Body"]]) == 1
    finally:
        desk.close()


def test_answers_to_commands_come_from_the_patrons_address_even_when_the_chat_ends(workdir, processes, prosody,
                                                                                   librarians):
    desk = SMSDesk(workdir, processes, prosody, librarians)
    try:
        desk.text("A question")
        desk.line(lambda m: m.body == "A question")
        desk.reply("/help")
        help_answer = desk.line(lambda m: m.body.startswith("Commands:"))
        assert from_patron(desk, help_answer), help_answer.sender
        desk.reply("/close")
        closed = desk.line(lambda m: "closed" in m.body)
        assert from_patron(desk, closed), f"'{closed.body}' came from {closed.sender}"
        assert not [m for m in desk.alice.messages if m.bare == prosody.component_domain]
    finally:
        desk.close()
