"""A stand-in for Twilio's Messages REST API (and Twilio's status callbacks), for the SMS bridge's tests.

It also has the phone side the demo needs (`phones`): a text from a phone goes to the library's webhook as Twilio
posts it, signed, with Twilio's own handling of STOP and START (the patron opted out or back in, and Twilio's
confirmation sent to them); every text to and from a number is kept as that phone's thread.

It answers like the real API where the bridge can tell the difference: HTTP basic authentication with the
Account SID and auth token (401 + error 20003 otherwise), required fields (21604 To, 21603 From, 21602 Body),
21211 for a `To` that is not a phone number, 21610 for a recipient who opted out, 201 with a Message resource
(`SM…` sid, status `queued`, or `accepted` through a Messaging Service); 21211 also for numbers marked invalid. It can be told to fail the next calls
with 500 or 429, records every call, and posts status callbacks signed with the official library's
RequestValidator, as Twilio would.
"""
import base64
import json
import re
import secrets
import ssl
import threading
import urllib.error
import time
import urllib.parse
import urllib.request
from datetime import datetime, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from twilio.request_validator import RequestValidator

E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")
PATH = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-f]{32})/Messages\.json$")
PHONE_TEXTS = re.compile(r"^/phone/([^/]+)/texts$")
PHONE_THREAD = re.compile(r"^/phone/([^/]+)/thread$")


def error_body(code: int, message: str, status: int) -> dict:
    return {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status}


class FakeTwilio:
    def __init__(self, accounts: dict, tls: tuple | None = None, keep_alive: bool = True):
        """`tls`: (certificate file, key file) to serve HTTPS, as the real API does. `keep_alive`: keep connections
        open between requests (HTTP/1.1, as the real API does); False answers every call with `Connection: close`."""
        self.accounts = dict(accounts)  # Account SID -> auth token
        self.connections = 0            # TCP connections accepted
        self.opted_out = set()          # numbers answered with 21610
        self.invalid = set()            # E.164-shaped numbers Twilio still calls invalid (21211), as it does for unassigned ones
        self.calls = []                 # every request, in arrival order
        self._script = []               # (status, code, message) answers for the next calls
        self._lock = threading.Lock()
        self.threads = {}               # phone number -> [{"n", "from": "you"|"library"|"Twilio", "body", "at"}]
        self.webhook = None             # (where to post, the public URL Twilio signs over)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # An answer leaves in one write, without Nagle's algorithm, as Twilio's servers send it. Written as the
            # headers and then the body, the body waited for the client's delayed ACK: 40 ms on every call over a
            # kept connection.
            wbufsize = -1
            disable_nagle_algorithm = True

            def setup(self):
                super().setup()
                with fake._lock:
                    fake.connections += 1

            def do_GET(self):
                match = PHONE_THREAD.match(urllib.parse.urlsplit(self.path).path)
                after = int(dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query)).get("after", "0") or 0)
                status, body = (200, {"entries": fake.phone_thread(urllib.parse.unquote(match.group(1)), after)}) if match else (
                    404, error_body(20404, f"The requested resource {self.path} was not found", 404))
                self._reply(status, body)

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length).decode("utf-8")
                match = PHONE_TEXTS.match(self.path)
                if match:
                    form = dict(urllib.parse.parse_qsl(raw, keep_blank_values=True))
                    self._reply(*fake.text_from_phone(urllib.parse.unquote(match.group(1)), form.get("To", ""), form.get("Body", "")))
                    return
                self._reply(*fake._answer(self.path, self.headers.get("Authorization", ""), raw))

            def _reply(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                if not keep_alive:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        scheme = "http"
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            scheme = "https"
        self.port = self.server.server_address[1]
        self.base = f"{scheme}://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def fail_next(self, count: int, status: int):
        """The next `count` calls get `status` (500 or 429) with Twilio's error JSON."""
        code, message = {500: (20500, "Internal Server Error"), 429: (20429, "Too Many Requests")}[status]
        with self._lock:
            self._script += [(status, code, message)] * count

    # --- the phone side

    STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
    START_WORDS = {"START", "YES", "UNSTOP"}
    STOP_REPLY = ("You have successfully been unsubscribed. You will not receive any more messages from this number. "
                  "Reply START to resubscribe.")
    START_REPLY = ("You have successfully been re-subscribed to messages from this number. Reply HELP for help. "
                   "Reply STOP to unsubscribe. Msg&Data Rates May Apply.")

    def phones(self, webhook_target: str, public_url: str):
        """Texts from phones (`POST /phone/NUMBER/texts` with To and Body) go to `webhook_target`, signed over
        `public_url` as Twilio signs them; `GET /phone/NUMBER/thread?after=N` lists that phone's texts after the Nth."""
        self.webhook = (webhook_target, public_url)
        return self

    def phone_thread(self, number: str, after: int = 0) -> list:
        with self._lock:
            return [entry for entry in self.threads.get(number, []) if entry["n"] > after]

    def _note(self, number: str, sender: str, body: str):
        entries = self.threads.setdefault(number, [])
        entries.append({"n": len(entries) + 1, "from": sender, "body": body, "at": time.time()})

    def text_from_phone(self, number: str, to: str, body: str):
        """What Twilio does with a text from a phone: opt-out keywords change the number's state and get Twilio's
        own confirmation; then the text goes to the library's webhook. Returns (HTTP status, JSON) for the phone."""
        if self.webhook is None or not E164.match(number) or not E164.match(to):
            return 400, {"message": "a text needs a phone number (E.164), a To number and a configured webhook"}
        account = next(iter(self.accounts))
        keyword = body.strip().upper()
        params = {"MessageSid": "SM" + secrets.token_hex(16), "AccountSid": account, "From": number, "To": to,
                  "Body": body, "NumMedia": "0", "NumSegments": "1", "ApiVersion": "2010-04-01"}
        with self._lock:
            self._note(number, "you", body)
            if keyword in self.STOP_WORDS:
                self.opted_out.add(number)
                params["OptOutType"] = "STOP"
                self._note(number, "Twilio", self.STOP_REPLY)
            elif keyword in self.START_WORDS:
                self.opted_out.discard(number)
                params["OptOutType"] = "START"
                self._note(number, "Twilio", self.START_REPLY)
        target, public_url = self.webhook
        signature = RequestValidator(self.accounts[account]).compute_signature(public_url, params)
        request = urllib.request.Request(target, data=urllib.parse.urlencode(params).encode(), method="POST",
                                         headers={"X-Twilio-Signature": signature,
                                                  "Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return 200, {"webhook_status": response.status}
        except urllib.error.HTTPError as error:
            return 200, {"webhook_status": error.code}
        except OSError as error:
            return 502, {"message": f"the library's webhook did not answer: {error}"}

    def accepted(self):
        """The calls answered with 201, in order."""
        with self._lock:
            return [call for call in self.calls if call["status"] == 201]

    def _answer(self, path: str, authorization: str, raw: str):
        form = dict(urllib.parse.parse_qsl(raw, keep_blank_values=True))
        call = {"path": path, "form": form, "authorization": authorization, "at": time.monotonic()}
        with self._lock:
            status, body = self._decide(path, authorization, form)
            call["status"], call["response"] = status, body
            self.calls.append(call)
        return status, body

    def _decide(self, path: str, authorization: str, form: dict):
        match = PATH.match(path)
        if not match:
            return 404, error_body(20404, f"The requested resource {path} was not found", 404)
        account = match.group(1)
        expected = "Basic " + base64.b64encode(f"{account}:{self.accounts.get(account, '')}".encode()).decode()
        if account not in self.accounts or authorization != expected:
            return 401, error_body(20003, "Authenticate", 401)
        if self._script:
            status, code, message = self._script.pop(0)
            return status, error_body(code, message, status)
        to = form.get("To", "")
        if not to:
            return 400, error_body(21604, "A 'To' phone number is required.", 400)
        if not form.get("From") and not form.get("MessagingServiceSid"):
            return 400, error_body(21603, "A 'From' phone number is required.", 400)
        if not form.get("Body") and not form.get("MediaUrl"):
            return 400, error_body(21602, "Message body is required.", 400)
        if not E164.match(to) or to in self.invalid:
            return 400, error_body(21211, f"The 'To' number {to} is not a valid phone number.", 400)
        if to in self.opted_out:
            return 400, error_body(21610, "Attempt to send to unsubscribed recipient", 400)
        sid = "SM" + secrets.token_hex(16)
        now = format_datetime(datetime.now(timezone.utc))
        self._note(to, "library", form.get("Body", ""))
        through_service = "MessagingServiceSid" in form and "From" not in form
        return 201, {
            "account_sid": account, "api_version": "2010-04-01", "body": form["Body"],
            "date_created": now, "date_sent": None, "date_updated": now, "direction": "outbound-api",
            "error_code": None, "error_message": None, "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"), "num_media": "0", "num_segments": "1",
            "price": None, "price_unit": "USD", "sid": sid, "status": "accepted" if through_service else "queued",
            "subresource_uris": {"media": f"/2010-04-01/Accounts/{account}/Messages/{sid}/Media.json"},
            "to": to, "uri": f"/2010-04-01/Accounts/{account}/Messages/{sid}.json",
        }

    def send_status_callback(self, call: dict, status: str, target: str = None, error_code: int = None):
        """Posts Twilio's status callback for an accepted call to its StatusCallback URL (or to `target`, the
        bridge's listener behind that public URL), signed over the public URL; returns the HTTP status."""
        account = PATH.match(call["path"]).group(1)
        public_url = call["form"]["StatusCallback"]
        params = {
            "AccountSid": account, "ApiVersion": "2010-04-01", "From": call["form"].get("From", ""),
            "MessageSid": call["response"]["sid"], "MessageStatus": status, "SmsSid": call["response"]["sid"],
            "SmsStatus": status, "To": call["form"]["To"],
        }
        if error_code is not None:
            params["ErrorCode"] = str(error_code)
        signature = RequestValidator(self.accounts[account]).compute_signature(public_url, params)
        request = urllib.request.Request(
            target or public_url, data=urllib.parse.urlencode(params).encode(), method="POST",
            headers={"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
