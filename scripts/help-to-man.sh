#!/usr/bin/env bash
# Writes a man page (roff) for a refdesk program from its --help and --version and the hand-written sections in
# docs/man/NAME.SECTION.sections (EXIT STATUS, ENVIRONMENT, FILES):
#   help-to-man.sh BINARY SECTION > NAME.SECTION
# ArgumentParser's help has OVERVIEW:, USAGE:, OPTIONS: blocks; each becomes a section, kept as preformatted text.
set -euo pipefail
binary=$1
section=${2:-8}
name=$(basename "$binary")
sections="$(dirname "$0")/../docs/man/$name.$section.sections"
help=$("$binary" --help)
version=$("$binary" --version)
overview=$(printf '%s\n' "$help" | sed -n 's/^OVERVIEW: //p' | head -n 1)
printf '.TH %s %s "" "refdesk %s" "refdesk manual"\n' "$(printf '%s' "$name" | tr '[:lower:]' '[:upper:]')" "$section" "$version"
printf '.SH NAME\n%s \\- %s\n' "$name" "$overview"
printf '%s\n' "$help" | awk '
    function escape(line) { gsub(/\\/, "\\e", line); if (line ~ /^[.'"'"']/) line = "\\&" line; return line }
    /^[A-Z][A-Z ]*:/ {
        if (open) print ".fi"
        heading = $0; sub(/:.*/, "", heading)
        rest = $0; sub(/^[A-Z][A-Z ]*: ?/, "", rest)
        if (heading == "USAGE") heading = "SYNOPSIS"
        if (heading == "OVERVIEW") heading = "DESCRIPTION"
        print ".SH " heading; print ".nf"; open = 1
        if (rest != "") print escape(rest)
        next
    }
    { if (open) print escape($0) }
    END { if (open) print ".fi" }'
cat "$sections"
printf '.SH VERSION\nThis page describes refdesk %s.\n' "$version"
printf '.SH SEE ALSO\nrefdesk-router(8), refdesk-twilio(8), refdesk-aim(8), refdeskctl(1), systemd.exec(5);\n/usr/share/doc/refdesk/operations.md.\n'
