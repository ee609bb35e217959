#!/bin/sh
# The demo's own certificate authority and a certificate for localhost signed by it:
#   scripts/demo-ca.sh DIRECTORY
# writes DIRECTORY/ca.crt (the CA a client is told to trust), DIRECTORY/ca.key, and DIRECTORY/localhost.crt and
# DIRECTORY/localhost.key (for localhost and 127.0.0.1: the demo's XMPP server and admin API). Nothing is written
# when ca.crt exists already, so a client that trusts the CA once keeps trusting the demo. DIRECTORY/trusted holds
# the CA alone under its OpenSSL hash name, for clients that take a directory of trusted CAs (Profanity's certpath).
set -eu
directory=${1:?usage: scripts/demo-ca.sh DIRECTORY}
mkdir -p "$directory"
[ -f "$directory/ca.crt" ] && exit 0
umask 077
openssl req -x509 -newkey rsa:2048 -sha256 -days 825 -nodes \
    -keyout "$directory/ca.key" -out "$directory/ca.crt" -subj "/CN=refdesk demo CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey rsa:2048 -sha256 -nodes -keyout "$directory/localhost.key" -out "$directory/localhost.csr" \
    -subj "/CN=localhost" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' \
    >"$directory/localhost.ext"
openssl x509 -req -in "$directory/localhost.csr" -CA "$directory/ca.crt" -CAkey "$directory/ca.key" -CAcreateserial \
    -days 825 -sha256 -extfile "$directory/localhost.ext" -out "$directory/localhost.crt" 2>/dev/null
rm -f "$directory/localhost.csr" "$directory/localhost.ext" "$directory/ca.srl"
chmod 0644 "$directory/ca.crt" "$directory/localhost.crt"
mkdir -p "$directory/trusted"
cp "$directory/ca.crt" "$directory/trusted/refdesk-demo-ca.pem"
chmod 0644 "$directory/trusted/refdesk-demo-ca.pem"
openssl rehash "$directory/trusted" 2>/dev/null || ln -sf refdesk-demo-ca.pem "$directory/trusted/$(openssl x509 -hash -noout -in "$directory/ca.crt").0"
chmod 0755 "$directory/trusted"
