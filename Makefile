# booksync: `make test` is the single source of truth for "does it work".
# It starts PostgreSQL when missing (scripts/ensure-postgres), installs GnuCash's
# engine when missing (scripts/ensure-gnucash), Debian's chromium and the dashboard's
# Playwright when missing (scripts/ensure-browser), then runs the gofmt check, go vet
# and every test; nothing is skipped for lack of a server or a browser.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := test
# Go may live in /usr/local/go/bin without being on PATH (fresh CI machines).
export PATH := $(PATH):/usr/local/go/bin

GO ?= go
GOTESTFLAGS ?=
TEST_TIMEOUT ?= 75m
PKGS ?= ./...
FUZZTIME ?= 10s

# Runs scripts/ensure-postgres and exports its URL for the rest of the recipe
# line. BOOKSYNC_REQUIRE_POSTGRES makes internal/pgtest fail instead of skip.
WITH_POSTGRES = line=$$(scripts/ensure-postgres | tail -n 1); \
	case "$$line" in BOOKSYNC_TEST_POSTGRES_URL=postgres*) ;; \
	  *) echo "scripts/ensure-postgres printed no URL: $$line" >&2; exit 1;; esac; \
	export "$$line" BOOKSYNC_REQUIRE_POSTGRES=1;

.PHONY: test check fmt-check vet go-test build bench bench-full fuzz-smoke postgres postgres-stop clean

# Runs scripts/ensure-browser and exports the chromium it found for the rest of the
# recipe line. BOOKSYNC_REQUIRE_BROWSER makes the browser tests fail instead of skip.
WITH_BROWSER = line=$$(scripts/ensure-browser | tail -n 1); \
	case "$$line" in BOOKSYNC_CHROMIUM=/*) ;; \
	  *) echo "scripts/ensure-browser printed no chromium: $$line" >&2; exit 1;; esac; \
	export "$$line" BOOKSYNC_REQUIRE_BROWSER=1;

test:
	@scripts/ensure-gnucash
	@$(WITH_BROWSER) $(WITH_POSTGRES) export BOOKSYNC_REQUIRE_GNUCASH=1; $(MAKE) --no-print-directory check

# check: the suite without starting PostgreSQL (pgtest skips when the URL is unset).
check: fmt-check vet go-test

fmt-check:
	@echo '>> gofmt -l' >&2
	@files=$$(find . \( -name '.?*' -o -name '_*' -o -name testdata -o -name node_modules \) -prune \
		-o -type f -name '*.go' -print | sort); \
	bad=$$(if [ -n "$$files" ]; then gofmt -l $$files; fi); \
	if [ -n "$$bad" ]; then echo "gofmt needed on:" >&2; echo "$$bad" >&2; echo "fix with: gofmt -w <files>" >&2; exit 1; fi

vet:
	$(GO) vet $(PKGS)

go-test:
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) $(GOTESTFLAGS) $(PKGS)

build:
	$(GO) build -o bin/booksync ./cmd/booksync

# Every benchmark once at quick sizes (-short: the engine's backlogs of a few thousand
# invoices, two minutes of the rate ceilings); bench-full runs them at the sizes the README's
# figures come from, which takes hours on a small machine.
bench:
	@$(WITH_POSTGRES) $(GO) test -short -run '^$$' -bench . -benchtime=1x -timeout $(TEST_TIMEOUT) $(PKGS)

bench-full:
	@$(WITH_POSTGRES) $(GO) test -run '^$$' -bench . -benchtime=1x -timeout 6h $(PKGS)

# Each Fuzz target for $(FUZZTIME) (optional; not part of `make test`).
fuzz-smoke:
	@$(WITH_POSTGRES) FUZZTIME=$(FUZZTIME) scripts/fuzz-smoke

# Start the test PostgreSQL and print its URL: export "$$(make -s postgres)".
postgres:
	@scripts/ensure-postgres | tail -n 1

postgres-stop:
	@scripts/ensure-postgres --stop

clean:
	rm -rf bin
