# Everything a developer or CI runs. `make test` is the whole gate.

GO              ?= go
BIN             := $(CURDIR)/.bin
GOLANGCI_LINT   := $(BIN)/golangci-lint
GOLANGCI_VERSION := v2.15.0
REDOCLY_VERSION := 2.77.0
REDOCLY         := npx --yes @redocly/cli@$(REDOCLY_VERSION)
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
# parts, separated by commas or spaces, or "all". Go tests call
# internal/realpart.Absent, which does both and appends each skip to
# UP_REAL_PARTS_SKIPPED_LOG, a file the race target sets and prints as a
# NOTICE. The parts and how to provide them:
#   postgres  UP_TEST_POSTGRES_DSN names a database the tests may create
#             tables in (README, Development; .ci/run starts PostgreSQL 15)
#   redocly   Node.js with npx (the lint target)
UP_REQUIRE_REAL_PARTS ?=
export UP_REQUIRE_REAL_PARTS
comma := ,
# real_part_required expands to non-empty when the run requires part $(1).
real_part_required = $(filter $(1) all,$(subst $(comma), ,$(UP_REQUIRE_REAL_PARTS)))

.PHONY: all generate check-generated lint test race demo bench fuzz clean

all: test

## generate: regenerate gen/ and api/REFERENCE.md from api/up.yaml
generate:
	$(GO) generate ./...

## check-generated: fail if the generated files differ from what the spec produces
check-generated: generate
	@git diff --exit-code --stat -- gen api || { echo "generated files are stale: run 'make generate' and commit"; exit 1; }
	@untracked=$$(git ls-files --others --exclude-standard -- gen api); \
	  if [ -n "$$untracked" ]; then echo "untracked generated files: $$untracked"; exit 1; fi

$(GOLANGCI_LINT):
	GOBIN=$(BIN) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_VERSION)

## lint: go vet, golangci-lint and the Redocly OpenAPI linter (which needs
## Node.js; without it the step is skipped with a notice, unless
## REQUIRE_REDOCLY=1 or UP_REQUIRE_REAL_PARTS names redocly, as CI sets)
lint: $(GOLANGCI_LINT)
	$(GO) vet ./...
	$(GOLANGCI_LINT) run ./...
	@if command -v npx >/dev/null 2>&1; then \
	  echo "$(REDOCLY) lint api/up.yaml --config redocly.yaml"; \
	  $(REDOCLY) lint api/up.yaml --config redocly.yaml; \
	elif [ "$(REQUIRE_REDOCLY)" = 1 ] || [ -n "$(call real_part_required,redocly)" ]; then \
	  echo "Redocly needs Node.js (npx), which is not installed"; exit 1; \
	else \
	  echo "NOTICE: Node.js is not installed, so the Redocly OpenAPI lint is skipped (CI runs it)"; \
	fi

## race: every test with the race detector, then a NOTICE naming the tests
## of real parts that were skipped (see "Real parts" above)
race:
	@log=$$(mktemp); \
	echo "$(GO) test -race ./..."; \
	UP_REAL_PARTS_SKIPPED_LOG=$$log $(GO) test -race ./...; status=$$?; \
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

## bench: the benchmarks behind BENCHMARKS.md
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf $(BIN)
