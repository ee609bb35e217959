#!/usr/bin/env bash
# The whole refdesk stack on 127.0.0.1, for trying it out: a local Prosody with a librarian account, the router as
# its component, the Twilio bridge against a stand-in for Twilio's API, the AIM bridge against a local OSCAR
# server, and a queue "ask" with an SMS and an AIM gateway. Prints how to connect as the librarian and how to send
# a test text and a test IM. Ctrl-C stops everything.
#
# `make demo` installs what is needed and builds first. State, configs and logs live in run/demo (DEMO_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${REFDESK_BIN:-.build/debug}
DIR=${DEMO_DIR:-run/demo}
PY=.venv/bin/python
for tool in "$BIN/refdesk-router" "$BIN/refdesk-twilio" "$BIN/refdesk-aim" "$PY"; do
    [ -x "$tool" ] || { echo "demo: $tool is missing; run 'make demo' (it installs and builds first)" >&2; exit 1; }
done
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
rm -f "$DIR/peers.json"

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
DESK=$(peer desk)

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
TOML
cat >"$DIR/twilio.toml" <<TOML
[bridge]
router_socket = "$DIR/router.sock"
spool = "$DIR/twilio-spool.sqlite"
instance = "demo-sms"
[twilio]
listen = "127.0.0.1:$WEBHOOK_PORT"
public_url = "https://sms.library.example/refdesk"
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
if [ ! -f "$DIR/router.sqlite" ]; then
    # The first start creates the schema; then the example desk goes in (the admin API can do this instead).
    "$BIN/refdesk-router" -c "$DIR/router.toml" 2>>"$DIR/router.log" &
    pid=$!
    for _ in $(seq 100); do [ -S "$DIR/router.sock" ] && break; sleep 0.1; done
    kill -TERM "$pid"
    wait "$pid" || fail "the router could not create its database" "$DIR/router.log"
    sqlite3 "$DIR/router.sqlite" "
        INSERT INTO queues (name, routing_policy, chat_limit, offline_reply)
            VALUES ('ask', 'ring-all', 0, 'Thanks for your message! No librarian is at the desk right now; we will answer as soon as one is.');
        INSERT INTO gateways (protocol, queue, username, normalised_username, secret, created_at)
            VALUES ('twilio', 'ask', '+15550000001', '+15550000001', '$ACCOUNT', 0);
        INSERT INTO gateways (protocol, queue, username, normalised_username, secret, created_at)
            VALUES ('aim', 'ask', '$DESK', '$(echo "$DESK" | tr -d ' ' | tr '[:upper:]' '[:lower:]')', '$(peer desk_password)', 0);
        INSERT INTO operators (name, role) VALUES ('librarian', 'operator');
        INSERT INTO staffing_jids (jid, operator) VALUES ('$LIBRARIAN', 'librarian');
        INSERT INTO assignments (operator, queue) VALUES ('librarian', 'ask');"
fi

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

cat <<TEXT

refdesk is running on 127.0.0.1 (configs, databases and logs in $DIR).

Be the librarian: connect any XMPP client (Gajim, Dino, Psi, profanity) with
    JID       $LIBRARIAN
    password  $LIBRARIAN_PASSWORD
    server    127.0.0.1   port $C2S_PORT   (no TLS: allow plain-text authentication)
accept the presence subscription from ask@$DOMAIN, and be available: queue "ask" goes online.
Patrons' messages arrive from +15551234567@$DOMAIN (SMS) and patron@$DOMAIN (AIM); reply in the chat.

Send a test text (a webhook signed as Twilio signs it):
    $PY scripts/demo_send.py sms "Do you have the new Le Guin?"
Send a test IM from the AIM screen name "$(peer patron)" to "$DESK" (it prints the librarian's replies):
    $PY scripts/demo_send.py im "Is the library open on Sunday?"
While nobody staffs the queue, a text gets the offline reply and waits for the librarian; the AIM screen name
signs on only while the queue is staffed, so be available before sending the IM.

Metrics and health:
    curl http://127.0.0.1:$ROUTER_METRICS/metrics   curl http://127.0.0.1:$ROUTER_METRICS/healthz
    curl http://127.0.0.1:$WEBHOOK_PORT/metrics   curl http://127.0.0.1:$AIM_METRICS/metrics
Replies sent by SMS are recorded by the Twilio stand-in (see $DIR/twilio.log).

Ctrl-C stops the demo.
TEXT

# Runs until Ctrl-C, or until a process exits on its own.
set +e
wait -n "${pids[@]}"
echo "demo: a process exited on its own; stopping" >&2
exit 1
