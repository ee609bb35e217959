#!/usr/bin/env bash
# Builds refdesk_<version>_amd64.deb from release binaries:  build-deb.sh BIN_DIR OUT_DIR
# The tree is `make install PREFIX=/usr` (the same set a non-Debian install gets), with the examples moved to
# /usr/share/doc/refdesk/examples, binaries stripped, man pages compressed, and the three configuration files as
# conffiles. Depends comes from dpkg-shlibdeps (the C libraries the binaries really load; the Swift runtime is
# inside them). lintian's report is printed; an error-level finding fails the build.
# VERSION=… overrides the version in Sources/RefdeskVersion/RefdeskVersion.swift (the upgrade test labels an
# older build that way).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "$1")
out=$2
version=${VERSION:-$(sed -n 's/.*static let number = "\(.*\)".*/\1/p' Sources/RefdeskVersion/RefdeskVersion.swift)}
[ -n "$version" ] || { echo "build-deb.sh: no version found in Sources/RefdeskVersion/RefdeskVersion.swift" >&2; exit 1; }
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# dpkg-shlibdeps expects the tree at debian/PACKAGE, beside debian/control.
root=$work/debian/refdesk

make -s install DESTDIR="$root" PREFIX=/usr INSTALL_BIN="$bin" >/dev/null
doc=$root/usr/share/doc/refdesk
install -d "$doc/examples"
for name in router twilio aim; do
    mv "$root/etc/refdesk/$name.toml.example" "$doc/examples/$name.example.toml"
    chmod 0644 "$root/etc/refdesk/$name.toml"  # postinst makes them root:refdesk 0640
done
install -m 0644 README.md docs/admin-api.md docs/twilio-bridge.md docs/aim-bridge.md docs/bridge-protocol.md \
    docs/reliability.md "$doc/"
install -m 0644 packaging/debian/copyright "$doc/copyright"
printf 'refdesk (%s) unstable; urgency=medium\n\n  * Release %s.\n\n -- refdesk maintainers <dev@refdesk.invalid>  %s\n' \
    "$version" "$version" "$(git log -1 --format=%aD 2>/dev/null || date -R)" | gzip -9n > "$doc/changelog.gz"
# A completion file is sourced, not run.
sed -i '1{/^#!/d}' "$root/usr/share/bash-completion/completions/refdeskctl"
for page in "$root"/usr/share/man/man*/*; do gzip -9n "$page"; done
for program in refdesk-router refdesk-twilio refdesk-aim refdeskctl; do
    strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/bin/$program"
done

install -d "$root/DEBIAN"
printf 'Source: refdesk\n\nPackage: refdesk\nArchitecture: amd64\n' > "$work/debian/control"
shlibs=$(cd "$work" && dpkg-shlibdeps -O debian/refdesk/usr/bin/refdesk-router debian/refdesk/usr/bin/refdesk-twilio \
    debian/refdesk/usr/bin/refdesk-aim debian/refdesk/usr/bin/refdeskctl | sed -n 's/^shlibs:Depends=//p')
sed -e "s/@VERSION@/$version/" -e "s/@SHLIBS_DEPENDS@/$shlibs/" \
    -e "s/@INSTALLED_SIZE@/$(du -sk --exclude=DEBIAN "$root" | cut -f1)/" packaging/debian/control.in > "$root/DEBIAN/control"
install -m 0755 packaging/debian/postinst packaging/debian/prerm packaging/debian/postrm "$root/DEBIAN/"
(cd "$root" && find etc -type f | sed 's|^|/|' | sort) > "$root/DEBIAN/conffiles"
(cd "$root" && find usr -type f -print0 | sort -z | xargs -0 md5sum) > "$root/DEBIAN/md5sums"

package="$out/refdesk_${version}_amd64.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$package" >/dev/null
echo "built $package ($(du -h "$package" | cut -f1)); Depends: $shlibs, systemd"
if command -v lintian >/dev/null; then
    status=0
    report=$(lintian --tag-display-limit 0 --fail-on error "$package" 2>&1) || status=$?
    echo "lintian $package:"
    printf '%s\n' "$report" | grep -v 'running with root privileges' | sed 's/^/  /' || echo "  (no findings)"
    [ "$status" = 0 ] || { echo "lintian reports errors" >&2; exit 1; }
fi
