# refdesk — build, test, run.
#   make test     install test dependencies, build, run unit and integration tests (the fault-injection suite
#                 among them), a short fuzzing run of every decoder, and the short benchmark profile (figures
#                 printed, not asserted); this is what CI runs
#   make demo     install dependencies, build, start the stack on loopback (Ctrl-C stops it)
#   make install  release binaries, systemd units, example configs, man pages (PREFIX, DESTDIR; see docs/operations.md)
#   make deb      refdesk_<version>_amd64.deb from a release build, checked with lintian
#   make system-test  the .deb on a freshly booted Debian 12 under real systemd (systemd-nspawn), following
#                 docs/operations.md; part of `make test`
SWIFT ?= swift
CONFIGURATION ?= debug
BIN := $(shell $(SWIFT) build -c $(CONFIGURATION) --show-bin-path 2>/dev/null)

.PHONY: all build release deps test unit-test integration-test demo clean install uninstall deb system-test

all: build

deps:
	scripts/install-deps.sh

build:
	$(SWIFT) build -c $(CONFIGURATION)

# Release binaries carry the Swift runtime inside (--static-swift-stdlib): a library's server has no Swift
# toolchain, only Debian's C libraries (libsqlite3, libxml2, libssl, libcurl), which the package depends on.
# Nothing is loaded from beside the binaries, so no $$ORIGIN run path (--disable-local-rpath).
# (refdesk-testbridge is a test peer the benchmarks drive; it is not installed.)
RELEASE_PRODUCTS := refdesk-router refdesk-twilio refdesk-aim refdeskctl refdesk-testbridge
release:
	for product in $(RELEASE_PRODUCTS); do $(SWIFT) build -c release --static-swift-stdlib --disable-local-rpath --product $$product || exit 1; done

unit-test:
	$(SWIFT) test

integration-test: build
	REFDESK_BIN=$(BIN) .venv/bin/pytest -q Tests/integration

test: deps build unit-test integration-test fuzz-smoke bench-quick system-test

demo: deps build
	REFDESK_BIN=$(BIN) scripts/demo.sh

clean:
	rm -rf .build .venv

# A self-signed certificate and key for the admin API during development (in .dev-tls/).
.PHONY: dev-certificate
dev-certificate:
	scripts/dev-certificate.sh .dev-tls localhost

# ---- install -------------------------------------------------------------------------------------------------
# make install [PREFIX=/usr/local] [DESTDIR=/tmp/stage] [INSTALL_BIN=<dir with built binaries>]
# Binaries in $(PREFIX)/bin, units in $(PREFIX)/lib/systemd/system (UNITDIR), the system user in
# $(PREFIX)/lib/sysusers.d, example configs in /etc/refdesk (existing files are kept), man pages from --help.
# INSTALL_BIN skips the release build (the binaries there are installed as they are).
PREFIX ?= /usr/local
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/refdesk
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
BASHCOMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
DAEMONS := refdesk-router refdesk-twilio refdesk-aim
UNITS := refdesk-router.service refdesk-router.socket refdesk-twilio.service refdesk-aim.service
INSTALL_BIN ?=

install: $(if $(INSTALL_BIN),,release)
	$(eval SOURCE_BIN := $(or $(INSTALL_BIN),$(shell $(SWIFT) build -c release --show-bin-path)))
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPLETIONDIR) \
		$(DESTDIR)$(DOCDIR) $(DESTDIR)$(SYSCONFDIR)/refdesk
	for daemon in $(DAEMONS); do \
		install -m 0755 $(SOURCE_BIN)/$$daemon $(DESTDIR)$(PREFIX)/bin/$$daemon || exit 1; \
		scripts/help-to-man.sh $(SOURCE_BIN)/$$daemon 8 > $(DESTDIR)$(MANDIR)/man8/$$daemon.8 || exit 1; \
	done
	install -m 0755 $(SOURCE_BIN)/refdeskctl $(DESTDIR)$(PREFIX)/bin/refdeskctl
	scripts/help-to-man.sh $(SOURCE_BIN)/refdeskctl 1 > $(DESTDIR)$(MANDIR)/man1/refdeskctl.1
	$(SOURCE_BIN)/refdeskctl --generate-completion-script bash > $(DESTDIR)$(BASHCOMPLETIONDIR)/refdeskctl
	for unit in $(UNITS); do \
		sed -e 's|/usr/local/bin/|$(PREFIX)/bin/|g' -e 's|/usr/local/share/doc/refdesk/|$(DOCDIR)/|g' \
			-e 's|/etc/refdesk/|$(SYSCONFDIR)/refdesk/|g' systemd/$$unit > $(DESTDIR)$(UNITDIR)/$$unit || exit 1; \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$$unit; \
	done
	install -m 0644 systemd/refdesk.sysusers $(DESTDIR)$(SYSUSERSDIR)/refdesk.conf
	install -m 0644 systemd/refdesk.tmpfiles $(DESTDIR)$(TMPFILESDIR)/refdesk.conf
	install -m 0644 docs/operations.md $(DESTDIR)$(DOCDIR)/operations.md
	for name in router twilio aim; do \
		install -m 0644 config/$$name.example.toml $(DESTDIR)$(SYSCONFDIR)/refdesk/$$name.toml.example; \
		[ -e $(DESTDIR)$(SYSCONFDIR)/refdesk/$$name.toml ] || \
			install -m 0640 config/$$name.example.toml $(DESTDIR)$(SYSCONFDIR)/refdesk/$$name.toml; \
	done
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then \
		systemd-sysusers $(SYSUSERSDIR)/refdesk.conf && systemd-tmpfiles --create $(TMPFILESDIR)/refdesk.conf && \
		chgrp refdesk $(SYSCONFDIR)/refdesk/*.toml && \
		systemctl daemon-reload && \
		echo "installed; put the secrets in $(SYSCONFDIR)/refdesk (see $(DOCDIR)/operations.md), then:" && \
		echo "  systemctl enable --now refdesk-router.socket refdesk-router refdesk-twilio refdesk-aim"; \
	fi

# Removes what install put in place, except the configuration and the state (/etc/refdesk, /var/lib/refdesk).
uninstall:
	-@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then \
		systemctl disable --now refdesk-aim refdesk-twilio refdesk-router refdesk-router.socket 2>/dev/null; fi
	for daemon in $(DAEMONS); do rm -f $(DESTDIR)$(PREFIX)/bin/$$daemon $(DESTDIR)$(MANDIR)/man8/$$daemon.8; done
	rm -f $(DESTDIR)$(PREFIX)/bin/refdeskctl $(DESTDIR)$(MANDIR)/man1/refdeskctl.1 $(DESTDIR)$(BASHCOMPLETIONDIR)/refdeskctl
	for unit in $(UNITS); do rm -f $(DESTDIR)$(UNITDIR)/$$unit; done
	rm -f $(DESTDIR)$(SYSUSERSDIR)/refdesk.conf $(DESTDIR)$(TMPFILESDIR)/refdesk.conf $(DESTDIR)$(DOCDIR)/operations.md
	-rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null
	rm -f $(DESTDIR)$(SYSCONFDIR)/refdesk/*.toml.example
	-@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi

# Fuzzing: every libFuzzer target in Fuzz/ for FUZZ_SECONDS each; crashes land in Fuzz/regressions/.
FUZZ_SECONDS ?= 30
.PHONY: fuzz fuzz-smoke sanitize-test
fuzz:
	scripts/fuzz.sh $(FUZZ_SECONDS)

# The short fuzzing run `make test` ends with: every target for 10 s.
fuzz-smoke:
	scripts/fuzz.sh 10

# Unit tests under AddressSanitizer, then ThreadSanitizer (each in its own build directory).
# Leak detection is off: at exit it reports XCTest's own bookkeeping and test-file globals, not refdesk code.
sanitize-test:
	SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 $(SWIFT) test --scratch-path .build-asan --sanitize=address
	SWIFT_BACKTRACE=enable=no $(SWIFT) test --scratch-path .build-tsan --sanitize=thread

# Benchmarks (release build): `make bench` runs the full profile and prints the table kept in
# docs/performance.md; `make bench-quick` is the short profile CI runs (figures printed, not asserted).
BENCH_BIN = $(shell $(SWIFT) build -c release --show-bin-path 2>/dev/null)
.PHONY: bench bench-quick
bench: deps release
	REFDESK_BIN=$(BENCH_BIN) .venv/bin/python bench/run.py

bench-quick: deps release
	REFDESK_BIN=$(BENCH_BIN) .venv/bin/python bench/run.py --quick

# ---- Debian package and the system test -----------------------------------------------------------------------
# make deb [DEB_DIR=.build/deb] [VERSION=…]: refdesk_<version>_amd64.deb from the release build (make install's
# tree with PREFIX=/usr), Depends from dpkg-shlibdeps, then lintian's report. The version is
# Sources/RefdeskVersion/RefdeskVersion.swift's unless VERSION is given.
DEB_DIR ?= .build/deb
deb: release
	scripts/build-deb.sh $(shell $(SWIFT) build -c release --show-bin-path) $(DEB_DIR)

# make system-test: debootstraps Debian 12 once (cached in .build/system-test), boots it with systemd-nspawn,
# runs docs/operations.md's command blocks in order (its "make deb" on this machine, the rest inside), with real
# peers for the outside world, and an upgrade to a newer build of the package. Needs root.
system-test: deps release
	.venv/bin/python Tests/system/system_test.py --deb-dir $(DEB_DIR)
