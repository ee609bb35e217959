#!/bin/sh
# Creates a self-signed certificate and key for the admin API in development:
#   scripts/dev-certificate.sh [DIRECTORY] [HOSTNAME]
# writes DIRECTORY/admin.crt and DIRECTORY/admin.key (mode 0600), valid for HOSTNAME, localhost, 127.0.0.1 and ::1.
# Clients verify against admin.crt itself (curl --cacert admin.crt, refdeskctl --ca-file admin.crt).
set -eu
directory=${1:-.}
host=${2:-localhost}
mkdir -p "$directory"
umask 077
openssl req -x509 -newkey rsa:2048 -sha256 -days 825 -nodes \
    -keyout "$directory/admin.key" -out "$directory/admin.crt" \
    -subj "/CN=$host" \
    -addext "subjectAltName=DNS:$host,DNS:localhost,IP:127.0.0.1,IP:::1" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign" \
    -addext "extendedKeyUsage=serverAuth" 2>/dev/null
chmod 0644 "$directory/admin.crt"
echo "wrote $directory/admin.crt and $directory/admin.key"
