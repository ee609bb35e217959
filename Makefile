# refdesk — build, test, run.
#   make test     install test dependencies, build, run unit and integration tests
#   make demo     install dependencies, build, start the stack on loopback (Ctrl-C stops it)
SWIFT ?= swift
CONFIGURATION ?= debug
BIN := $(shell $(SWIFT) build -c $(CONFIGURATION) --show-bin-path 2>/dev/null)

.PHONY: all build release deps test unit-test integration-test demo clean

all: build

deps:
	scripts/install-deps.sh

build:
	$(SWIFT) build -c $(CONFIGURATION)

release:
	$(SWIFT) build -c release

unit-test:
	$(SWIFT) test

integration-test: build
	REFDESK_BIN=$(BIN) .venv/bin/pytest -q Tests/integration

test: deps build unit-test integration-test

demo: deps build
	REFDESK_BIN=$(BIN) scripts/demo.sh

clean:
	rm -rf .build .venv
