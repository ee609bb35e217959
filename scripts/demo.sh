#!/usr/bin/env bash
# The whole refdesk stack on 127.0.0.1, for trying it out: a local Prosody (TLS, with a CA made for the demo) with a
# librarian account, the router as its component with its admin API on loopback HTTPS, the Twilio bridge against a
# stand-in for Twilio, the AIM bridge against a local OSCAR server; the queue "ask", its SMS and AIM gateways, the
# librarian and their staffing are set up through refdeskctl, as an admin would. Prints how to connect a real client,
# how to use refdeskctl, and how to be a patron (a phone in the terminal, an AIM user). Ctrl-C stops everything.
#
# `make demo` installs what is needed and builds first. State, configs, certificates and logs live in run/demo
# (DEMO_DIR); the CA is kept across runs, so a client told to trust it once keeps trusting the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BIN=${REFDESK_BIN:-.build/debug}
DIR=${DEMO_DIR:-run/demo}
PY=.venv/bin/python
for tool in "$BIN/refdesk-router" "$BIN/refdesk-twilio" "$BIN/refdesk-aim" "$BIN/refdeskctl" "$PY"; do
    [ -x "$tool" ] || { echo "demo: $tool is missing; run 'make demo' (it installs and builds first)" >&2; exit 1; }
done
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
BIN=$(cd "$BIN" && pwd)
rm -f "$DIR/peers.json"
scripts/demo-ca.sh "$DIR/tls"

pids=()
cleanup() {
    trap - EXIT INT TERM
    local index
    for ((index = ${#pids[@]} - 1; index >= 0; index--)); do
        kill -TERM "${pids[index]}" 2>/dev/null || true
        wait "${pids[index]}" 2>/dev/null || true
    done
    echo "refdesk demo stopped (logs in $DIR)."
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
    echo "demo: $1" >&2
    shift
    for log in "$@"; do echo "--- $log" >&2; tail -n 20 "$log" >&2 || true; done
    exit 1
}

# Prosody, the Twilio API stand-in and the OSCAR server.
"$PY" scripts/demo_peers.py "$DIR" 2>>"$DIR/peers.log" &
pids+=($!)
for _ in $(seq 300); do
    [ -f "$DIR/peers.json" ] && break
    kill -0 "${pids[0]}" 2>/dev/null || fail "the test peers did not start" "$DIR/peers.log" "$DIR/prosody/prosody.log"
    sleep 0.1
done
[ -f "$DIR/peers.json" ] || fail "the test peers did not start within 30 s" "$DIR/peers.log"
peer() { "$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$DIR/peers.json" "$1"; }
C2S_PORT=$(peer c2s_port)
COMPONENT_PORT=$(peer component_port)
DOMAIN=$(peer component_domain)
LIBRARIAN=$(peer librarian)
LIBRARIAN_PASSWORD=$(peer librarian_password)
ACCOUNT=$(peer twilio_account)
WEBHOOK_PORT=$(peer webhook_port)
ROUTER_METRICS=$(peer router_metrics_port)
AIM_METRICS=$(peer aim_metrics_port)
ADMIN_PORT=$(peer admin_port)
DESK=$(peer desk)
CA=$(peer ca_file)

mkdir -p "$DIR/credentials"
chmod 0700 "$DIR/credentials"
peer component_secret >"$DIR/credentials/xmpp-component.secret"
peer twilio_token >"$DIR/credentials/twilio-main.token"

cat >"$DIR/router.toml" <<TOML
[router]
database = "$DIR/router.sqlite"
metrics_listen = "127.0.0.1:$ROUTER_METRICS"
[bridges]
socket = "$DIR/router.sock"
[presence]
settle_time = "500ms"
[xmpp]
server = "127.0.0.1:$COMPONENT_PORT"
domain = "$DOMAIN"
secret_file = "xmpp-component.secret"
avatar_file = "$DIR/queue-avatar.png"
[admin]
listen = ["127.0.0.1:$ADMIN_PORT"]
certificate_file = "$DIR/tls/localhost.crt"
key_file = "$DIR/tls/localhost.key"
password_iterations = 100000
[[canned]]
name = "hours"
text = "We are open Monday to Friday 9 to 6, Saturday 10 to 2."
TOML
cat >"$DIR/twilio.toml" <<TOML
[bridge]
router_socket = "$DIR/router.sock"
spool = "$DIR/twilio-spool.sqlite"
instance = "demo-sms"
[twilio]
listen = "127.0.0.1:$WEBHOOK_PORT"
public_url = "$(peer public_url)"
api_base = "$(peer twilio_api)"
[[twilio.account]]
sid = "$ACCOUNT"
auth_token_file = "twilio-main.token"
TOML
cat >"$DIR/aim.toml" <<TOML
[bridge]
router_socket = "$DIR/router.sock"
spool = "$DIR/aim-spool.sqlite"
instance = "demo-aim"
[aim]
server = "127.0.0.1:$(peer oscar_port)"
reconnect_maximum = "5s"
metrics_listen = "127.0.0.1:$AIM_METRICS"
TOML

export CREDENTIALS_DIRECTORY="$DIR/credentials"
# The first admin account goes straight into the database (the admin API needs an admin to sign in); everything
# else is set up through refdeskctl below, as an admin would.
fresh=false
if [ ! -f "$DIR/router.sqlite" ]; then
    fresh=true
    "$PY" -c 'import secrets; print(secrets.token_urlsafe(12))' >"$DIR/credentials/admin-password"
    "$BIN/refdesk-router" -c "$DIR/router.toml" --create-admin admin <"$DIR/credentials/admin-password" >>"$DIR/setup.log" 2>>"$DIR/router.log" \
        || fail "the admin account could not be created" "$DIR/router.log"
fi
ADMIN_PASSWORD=$(cat "$DIR/credentials/admin-password")
cat >"$DIR/refdeskctl.conf" <<CONF
url = "https://localhost:$ADMIN_PORT"
user = "admin"
ca_file = "$CA"
cookie_file = "$DIR/refdeskctl-cookies"
CONF

"$BIN/refdesk-router" -c "$DIR/router.toml" 2>>"$DIR/router.log" &
pids+=($!)
"$BIN/refdesk-twilio" -c "$DIR/twilio.toml" 2>>"$DIR/twilio.log" &
pids+=($!)
"$BIN/refdesk-aim" -c "$DIR/aim.toml" 2>>"$DIR/aim.log" &
pids+=($!)

healthy() { "$PY" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' "$1" 2>/dev/null; }
for url in "http://127.0.0.1:$ROUTER_METRICS/healthz" "http://127.0.0.1:$WEBHOOK_PORT/healthz" "http://127.0.0.1:$AIM_METRICS/healthz"; do
    for _ in $(seq 300); do
        healthy "$url" && break
        for pid in "${pids[@]}"; do
            kill -0 "$pid" 2>/dev/null || fail "a daemon exited during start-up" "$DIR/router.log" "$DIR/twilio.log" "$DIR/aim.log"
        done
        sleep 0.1
    done
    healthy "$url" || fail "$url did not become healthy within 30 s" "$DIR/router.log" "$DIR/twilio.log" "$DIR/aim.log"
done

export REFDESKCTL_CONFIG="$DIR/refdeskctl.conf" REFDESK_PASSWORD="$ADMIN_PASSWORD"
ctl() { "$BIN/refdeskctl" "$@" >>"$DIR/setup.log" 2>&1 || fail "refdeskctl $* failed" "$DIR/setup.log"; }
for _ in $(seq 100); do "$BIN/refdeskctl" whoami >/dev/null 2>&1 && break; sleep 0.2; done
if $fresh; then
    ctl queues create ask --offline-reply "Thanks for your message! No librarian is at the desk right now; we will answer as soon as one is."
    printf '%s' "$ACCOUNT" | ctl gateways add ask --protocol twilio --username +15550000001
    peer desk_password | ctl gateways add ask --protocol aim --username "$DESK"
    ctl users create librarian
    ctl staffing add librarian "$LIBRARIAN"
    ctl assignments add ask librarian
fi

cat <<TEXT

refdesk is running on 127.0.0.1 (configs, databases, certificates and logs in $DIR).

Be the librarian: connect any XMPP client (Conversations, Gajim, Dino, Monal, Profanity) with
    JID       $LIBRARIAN
    password  $LIBRARIAN_PASSWORD
    server    127.0.0.1   port $C2S_PORT   (STARTTLS; the certificate is for localhost, signed by the demo's CA)
Trust the demo's CA, $CA:
    Profanity    /tls certpath set $DIR/tls/trusted   then   /connect $LIBRARIAN server 127.0.0.1 port $C2S_PORT tls force
    Gajim        when it warns that the certificate is not trusted, check it was issued by "refdesk demo CA" and trust it
    Dino         sudo cp $CA /usr/local/share/ca-certificates/refdesk-demo.crt && sudo update-ca-certificates
    Conversations, Monal: install ca.crt on the device (Android: Settings > Security > Install a certificate;
                 iOS: open it, then Settings > General > About > Certificate Trust Settings), or accept it when asked
Accept the presence subscription from ask@$DOMAIN ("Queue ask") and be available: queue "ask" goes online.
Patrons write from +15551234567@$DOMAIN (SMS) and patron@$DOMAIN (AIM); reply in their window. Commands start
with ! (!help, !transfer NAME, !close, !canned hours, !who, !logout 30), or use the contact's commands menu.

Be a patron texting the library (type texts, see the library's replies; STOP and START work as on a phone):
    DEMO_DIR=$DIR $ROOT/$PY $ROOT/scripts/demo_phone.py
Be a patron on AIM, IMing the screen name "$DESK" as "$(peer patron)" (it prints the librarian's replies):
    DEMO_DIR=$DIR $ROOT/$PY $ROOT/scripts/demo_send.py im "Is the library open on Sunday?"
While nobody staffs the queue, a text gets the offline reply and waits for the librarian; an IM waits at the AIM
server (the library's screen name is signed off) and arrives when the librarian is available.

Manage it with refdeskctl, signed in as admin (password $ADMIN_PASSWORD), over the admin API at https://localhost:$ADMIN_PORT:
    export REFDESKCTL_CONFIG=$DIR/refdeskctl.conf REFDESK_PASSWORD=$ADMIN_PASSWORD
    $BIN/refdeskctl status
    $BIN/refdeskctl gateways
    $BIN/refdeskctl chats --queue ask

Metrics and health:
    curl http://127.0.0.1:$ROUTER_METRICS/metrics   curl http://127.0.0.1:$ROUTER_METRICS/healthz
    curl http://127.0.0.1:$WEBHOOK_PORT/metrics   curl http://127.0.0.1:$AIM_METRICS/metrics

Ctrl-C stops the demo.
TEXT

# Runs until Ctrl-C, or until a process exits on its own.
set +e
wait -n "${pids[@]}"
echo "demo: a process exited on its own; stopping" >&2
exit 1
