#!/usr/bin/env bash
# Starts refdesk on loopback with embedded defaults: the router (SQLite in run/demo), a queue "ask" with a gateway,
# and a bridge you can type patron messages into. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${REFDESK_BIN:-.build/debug}
DIR=run/demo
mkdir -p "$DIR"
cat > "$DIR/router.toml" <<TOML
[router]
database = "$PWD/$DIR/router.sqlite"
[bridges]
socket = "$PWD/$DIR/router.sock"
TOML

pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    echo "refdesk demo stopped."
}
trap cleanup EXIT INT TERM

if [ ! -f "$DIR/router.sqlite" ]; then
    "$BIN/refdesk-router" -c "$DIR/router.toml" 2>>"$DIR/router.log" & pid=$!
    for _ in $(seq 50); do [ -S "$DIR/router.sock" ] && break; sleep 0.1; done
    kill -TERM "$pid"; wait "$pid" || true
    sqlite3 "$DIR/router.sqlite" "
        INSERT INTO queues (name, routing_policy, chat_limit, offline_reply)
            VALUES ('ask', 'ring-all', 0, 'Thanks for your message! The library is closed now; a librarian will answer when we open.');
        INSERT INTO gateways (protocol, queue, username, normalised_username, secret, created_at)
            VALUES ('test', 'ask', '+15550000001', '+15550000001', '', 0);"
fi

"$BIN/refdesk-router" -c "$DIR/router.toml" 2>>"$DIR/router.log" & pids+=($!)
for _ in $(seq 50); do [ -S "$DIR/router.sock" ] && break; sleep 0.1; done

cat <<TEXT
refdesk is running (router log: $DIR/router.log, database: $DIR/router.sqlite).

Queue "ask" has gateway 1 (+15550000001). Nobody is staffing it, so a patron gets the offline reply once
and the message waits in the offline inbox. Type a patron message as a JSON line, for example:

  {"op":"receive","id":"demo-1","gateway":1,"from":"+15551234567","body":"Do you have the new Le Guin?"}

and see it stored:  sqlite3 $DIR/router.sqlite 'select patron, body from offline_inbox'
Ctrl-C stops the demo.
TEXT
"$BIN/refdesk-testbridge" --socket "$DIR/router.sock" --spool "$DIR/bridge.sqlite" 2>>"$DIR/bridge.log"
