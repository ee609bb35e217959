#!/usr/bin/env bash
# Installs what building and testing refdesk needs on Debian: the C libraries, Prosody (the XMPP server the
# tests start on 127.0.0.1), sqlite3, Profanity and tmux (a real XMPP client the tests drive as a librarian), Chromium
# and its WebDriver (the web console is tested in a real browser), and a Python venv (.venv) with the test peers
# (slixmpp, twilio, pytest), schemathesis, Selenium, prometheus_client and tomli.
# Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libsqlite3-dev libxml2-dev libssl-dev openssl libcurl4-openssl-dev prosody sqlite3 python3-venv systemd tzdata
          dpkg-dev binutils lintian debootstrap systemd-container profanity tmux chromium chromium-driver)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "installing: ${missing[*]}"
    sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # The Debian package starts a system Prosody; refdesk's tests and demo run their own.
    $sudo systemctl disable --now prosody >/dev/null 2>&1 || $sudo service prosody stop >/dev/null 2>&1 || true
fi

if [ ! -x .venv/bin/pytest ] || ! cmp -s Tests/integration/requirements.txt .venv/requirements.txt; then
    python3 -m venv .venv
    .venv/bin/pip install -q --disable-pip-version-check -r Tests/integration/requirements.txt
    cp Tests/integration/requirements.txt .venv/requirements.txt
fi
