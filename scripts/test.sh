#!/usr/bin/env bash
# scripts/test.sh -- THE test command of Wharf (CI runs it via .ci/run).
#
#   ./scripts/test.sh
#
# Installs what it needs (git, git-lfs, Chromium, PostgreSQL; root only), starts a
# private PostgreSQL (scripts/postgres.sh) unless $WHARF_TEST_POSTGRES already
# points at a reachable one, builds versitygw once (scripts/versitygw.sh: a
# real S3 server for the S3 tests), then runs: gofmt -l, go vet, go test
# -race, compat/run.sh, and compat/run.sh at scale (two replicas on
# PostgreSQL + S3 behind a round-robin proxy, with a kill -9 fault run).
# With CI=true, WHARF_REQUIRE_POSTGRES=1 and WHARF_REQUIRE_S3=1 are set so
# tests needing PostgreSQL or S3 fail instead of skipping, and the browser
# test fails without Chromium.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
# shellcheck source=lib.sh
. scripts/lib.sh

step="setup"
on_exit() {
	local rc=$?
	set +e
	if [ "${WHARF_PG_STARTED:-0}" = 1 ]; then
		wharf_pg_stop
	fi
	if [ "$rc" -eq 0 ]; then
		echo "==> wharf test.sh: ALL CHECKS PASSED (${passed_steps# })"
	else
		echo "==> wharf test.sh: FAILED at step '$step' (exit $rc)"
	fi
	exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP
passed_steps=""
pass() { passed_steps="$passed_steps $1"; }

echo "==> wharf test.sh in $ROOT (CI=${CI:-})"

# --- tools ------------------------------------------------------------------
step="tools"
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
	export PATH="/usr/local/go/bin:$PATH"
fi
command -v go >/dev/null 2>&1 || { wharf_log "ERROR: go is not on PATH (need Go >= the version in go.mod)"; exit 1; }
missing=()
command -v git >/dev/null 2>&1 || missing+=(git)
command -v git-lfs >/dev/null 2>&1 || missing+=(git-lfs)
# go test -race needs cgo and a C compiler
command -v gcc >/dev/null 2>&1 || missing+=(gcc libc6-dev)
# the browser test of the web UI (internal/web) drives headless Chromium
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1 && ! command -v google-chrome >/dev/null 2>&1; then
	missing+=(chromium)
fi
if [ "${#missing[@]}" -gt 0 ]; then
	if wharf_is_root; then
		wharf_apt_install "${missing[@]}"
	else
		wharf_log "ERROR: missing: ${missing[*]}. Not root, so not installing; run: sudo apt-get install -y ${missing[*]}"
		exit 1
	fi
fi
echo "==> $(go version); $(git --version); $(git lfs version 2>/dev/null | head -n 1)"

# --- postgres -----------------------------------------------------------------
step="postgres"
# shellcheck source=postgres.sh
. scripts/postgres.sh
echo "==> postgres: $WHARF_TEST_POSTGRES"
if [ "${CI:-}" = true ]; then
	export WHARF_REQUIRE_POSTGRES=1
fi

# --- S3 (versitygw) ---------------------------------------------------------------
step="versitygw"
# shellcheck source=versitygw.sh
. scripts/versitygw.sh
echo "==> versitygw: $WHARF_VERSITYGW"
if [ "${CI:-}" = true ]; then
	export WHARF_REQUIRE_S3=1
fi

# --- checks -------------------------------------------------------------------
step="gofmt"
echo "==> gofmt -l ."
unformatted=$(gofmt -l . 2>&1) || { printf '%s\n' "$unformatted"; exit 1; }
if [ -n "$unformatted" ]; then
	echo "gofmt: these files need formatting (run: gofmt -w <file>):"
	printf '    %s\n' $unformatted
	exit 1
fi
pass gofmt

step="go vet"
echo "==> go vet ./..."
go vet ./...
pass vet

step="go test"
# The browser test keeps a screenshot of every page it visits here.
export WHARF_SCREENSHOTS="${WHARF_SCREENSHOTS:-${TMPDIR:-/tmp}/wharf-screenshots}"
rm -rf "$WHARF_SCREENSHOTS"
echo "==> go test -race -count=1 -timeout 20m ./...${WHARF_REQUIRE_POSTGRES:+ (WHARF_REQUIRE_POSTGRES=1)}"
echo "==> screenshots: $WHARF_SCREENSHOTS"
go test -race -count=1 -timeout 20m ./...
echo "screenshots: $WHARF_SCREENSHOTS"
pass "go-test"

if [ -f compat/run.sh ]; then
	step="compat"
	echo "==> compat/run.sh"
	bash compat/run.sh
	pass compat
	step="compat scale-out"
	echo "==> compat/run.sh with two replicas on PostgreSQL + S3 behind a round-robin proxy (WHARF_COMPAT_SCALEOUT=1)"
	WHARF_COMPAT_SCALEOUT=1 bash compat/run.sh
	pass compat-scaleout
fi
step="done"
