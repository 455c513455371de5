# Everything a developer or CI runs. `make test` is the whole gate.

GO              ?= go
BIN             := $(CURDIR)/.bin
GOLANGCI_LINT   := $(BIN)/golangci-lint
GOLANGCI_VERSION := v2.15.0
# Node tools (Redocly, Spectral, Prism), at the exact versions of
# tools/node/package-lock.json, installed once by `make node-tools` into
# tools/node/node_modules (npm ci; nothing is fetched on later runs).
NODE_TOOLS      := $(CURDIR)/tools/node
NODE_BIN        := $(NODE_TOOLS)/node_modules/.bin
NODE_STAMP      := $(NODE_TOOLS)/node_modules/.package-lock.json
REDOCLY         := $(NODE_BIN)/redocly
SPECTRAL        := $(NODE_BIN)/spectral
# REQUIRE_NODE_TOOLS=1 (CI sets it) makes a machine without Node.js a failure
# instead of a notice, and makes the Prism test fail rather than skip.
# REQUIRE_REDOCLY is its older name.
REQUIRE_NODE_TOOLS ?= $(REQUIRE_REDOCLY)
HAVE_NPM        := $(shell command -v npm >/dev/null 2>&1 && command -v node >/dev/null 2>&1 && echo yes)
DOCS_HTML       := $(CURDIR)/build/reference.html
# Fuzzing budget per target. A count, not a duration: with a duration, Go 1.26's
# fuzz coordinator can report a bare "context deadline exceeded" failure when its
# deadline races a busy worker (go.dev/issue/75804, fixed in Go 1.27); a count
# has no deadline to race. 20000 inputs take 2-10 s per target on 2 CPUs.
FUZZTIME        ?= 20000x

# Real parts. Tests that need a real part (PostgreSQL, Chromium, Prism,
# Redocly) skip with a notice when the part is absent, so that `make test`
# works on a clean clone. UP_REQUIRE_<PART>=1 (UP_REQUIRE_POSTGRES, as CI
# sets for each part it installs) requires a part: its tests then fail
# instead of skipping. UP_REQUIRE_REAL_PARTS does the same for a list of
# parts, separated by commas or spaces, or "all". Tests that call
# internal/realpart.Absent (every one: PostgreSQL, Chromium, Prism) honour
# both, and append each skip to UP_REAL_PARTS_SKIPPED_LOG, a file the race
# target sets and prints as a NOTICE. The parts and how to provide them:
#   postgres  UP_TEST_POSTGRES_DSN names a database the tests may create
#             tables in (README, Development; .ci/run starts PostgreSQL 15)
#   chromium  Chromium on PATH (UP_REQUIRE_CHROMIUM; internal/browsertest)
#   prism     Node.js and `make node-tools` (UP_REQUIRE_PRISM, which
#             REQUIRE_NODE_TOOLS=1 sets in the race target)
UP_REQUIRE_REAL_PARTS ?=
export UP_REQUIRE_REAL_PARTS

# Examples are Go modules of their own (their dependencies stay out of the
# SDK's go.mod), which ./... at the root does not reach: lint and race run
# in each of them too.
EXAMPLES        := example/webapp

.PHONY: all generate check-generated lint lint-go lint-spec node-tools docs test race demo demo-web bench fuzz clean

all: test

## generate: regenerate gen/, up/types.gen.go and api/REFERENCE.md from api/up.yaml
generate:
	$(GO) generate ./...

# GENERATED are the files go generate writes.
GENERATED := gen api up/types.gen.go

## check-generated: fail if the generated files differ from what the spec produces
check-generated: generate
	@git diff --exit-code --stat -- $(GENERATED) || { echo "generated files are stale: run 'make generate' and commit"; exit 1; }
	@untracked=$$(git ls-files --others --exclude-standard -- $(GENERATED)); \
	  if [ -n "$$untracked" ]; then echo "untracked generated files: $$untracked"; exit 1; fi

$(GOLANGCI_LINT):
	GOBIN=$(BIN) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_VERSION)

## lint: go vet and golangci-lint (in the SDK and each example module), and the OpenAPI linters on api/up.yaml:
## Redocly (redocly.yaml: every rule) and Spectral (.spectral.yaml:
## spectral:oas). The OpenAPI linters need Node.js; without it they are
## skipped with a notice, unless REQUIRE_NODE_TOOLS=1, as CI sets.
lint: lint-go lint-spec

lint-go: $(GOLANGCI_LINT)
	$(GO) vet ./...
	$(GOLANGCI_LINT) run ./...
	@for dir in $(EXAMPLES); do \
	  echo "cd $$dir && $(GO) vet ./... && $(GOLANGCI_LINT) run ./..."; \
	  (cd $$dir && $(GO) vet ./... && $(GOLANGCI_LINT) run ./...) || exit 1; \
	done

ifeq ($(HAVE_NPM),yes)
lint-spec: node-tools
	$(REDOCLY) lint api/up.yaml --config redocly.yaml
	$(SPECTRAL) lint api/up.yaml --ruleset .spectral.yaml --fail-severity warn
else
lint-spec:
	@if [ "$(REQUIRE_NODE_TOOLS)" = 1 ]; then \
	  echo "the OpenAPI linters need Node.js and npm, which are not installed"; exit 1; \
	fi
	@echo "NOTICE: Node.js is not installed, so the Redocly and Spectral OpenAPI lints are skipped (CI runs them)"
endif

## node-tools: install Redocly, Spectral and Prism at the versions of
## tools/node/package-lock.json into tools/node/node_modules (once; again
## only when the lock file changes)
node-tools: $(NODE_STAMP)

$(NODE_STAMP): $(NODE_TOOLS)/package.json $(NODE_TOOLS)/package-lock.json
	@if [ "$(HAVE_NPM)" != yes ]; then echo "node-tools: Node.js and npm are not installed"; exit 1; fi
	npm ci --prefix $(NODE_TOOLS) --no-audit --no-fund --loglevel=error
	@touch $@

## docs: the API reference as one offline HTML page (build/reference.html,
## Redocly build-docs with its scripts inlined; not committed, see README),
## beside the committed Markdown reference api/REFERENCE.md
docs: node-tools
	$(GO) generate ./api
	@mkdir -p $(dir $(DOCS_HTML))
	$(REDOCLY) build-docs api/up.yaml --config redocly.yaml --inlineBundle \
	  --title "Jawbone UP API v1.1" --output $(DOCS_HTML)
	$(GO) run ./api/internal/offlinecheck $(DOCS_HTML)

## race: every test with the race detector, the example modules' too, then a NOTICE naming the tests
## of real parts that were skipped (see "Real parts" above). With Node.js,
## the Prism test runs against the tools of node-tools; UP_REQUIRE_PRISM=1
## (from REQUIRE_NODE_TOOLS=1) makes its skip a failure.
ifeq ($(HAVE_NPM),yes)
race: node-tools
endif
race:
	@log=$$(mktemp); \
	echo "UP_REQUIRE_PRISM=$(REQUIRE_NODE_TOOLS) $(GO) test -race ./..."; \
	UP_REAL_PARTS_SKIPPED_LOG=$$log UP_REQUIRE_PRISM=$(REQUIRE_NODE_TOOLS) $(GO) test -race ./...; status=$$?; \
	for dir in $(EXAMPLES); do \
	  echo "cd $$dir && $(GO) test -race ./..."; \
	  (cd $$dir && UP_REAL_PARTS_SKIPPED_LOG=$$log $(GO) test -race ./...) || status=1; \
	done; \
	if [ -s $$log ]; then \
	  echo "NOTICE: tests of real parts were SKIPPED because the parts are absent (CI runs them):"; \
	  sort -u $$log | awk -F'\t' '$$1 != part { part = $$1; printf "  %s: %s\n", $$1, $$3 } { printf "    %s\n", $$2 }'; \
	fi; \
	rm -f $$log; exit $$status

## test: everything CI checks
test: check-generated lint race fuzz

## fuzz: run each fuzz target for FUZZTIME (20000 inputs by default; longer locally: make fuzz FUZZTIME=2000000x)
# The targets are found with grep, so only the packages that have one are built.
fuzz:
	@grep -rl --include='*_test.go' --exclude-dir=testdata --exclude-dir=.git '^func Fuzz' . \
	  | xargs -r -n1 dirname | sort -u | while read -r dir; do \
	  for target in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go | sed 's/^func //' | sort -u); do \
	    echo "fuzz $$dir $$target"; \
	    $(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$dir || exit 1; \
	  done; \
	done

## demo: the whole SDK journey against the embedded fake UP server
demo:
	$(GO) run ./cmd/up demo

## demo-web: the reference web app (example/webapp) against an embedded fake
## UP server with seeded users; it prints the URL to open and the logins
demo-web:
	cd example/webapp && $(GO) run . -fake

## bench: the overhead figures of BENCHMARKS.md, section 1 (a few minutes):
## exact allocations per call, then time ratios from 60 interleaved rounds.
## BENCH_ROUNDS=300 narrows the intervals (BENCHMARKS.md gives the long run).
BENCH_ROUNDS ?= 60
bench:
	$(GO) test -run '^$$' -bench '^BenchmarkCalls$$' -benchtime=200x -benchmem ./up/
	$(GO) test -run '^$$' -bench '^BenchmarkRatio$$' -benchtime=$(BENCH_ROUNDS)x ./up/

clean:
	rm -rf $(BIN) $(NODE_TOOLS)/node_modules $(dir $(DOCS_HTML))
