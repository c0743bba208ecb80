#!/usr/bin/env bash
# compat/go/run.sh -- the "go" column of compat/run.sh: the rows of
# compat/python/scenarios.py through the hub SDK and the wharf CLI
# (compat/go/scenarios). `bash compat/go/run.sh git` runs the "git" column
# instead (git and git-lfs binaries; compat/git/run.sh calls it so).
#
# Environment: what compat/run.sh gives every suite (compat/README.md), and
# WHARF_COMPAT_WHARF_BIN, the wharf binary under test (built from
# ./cmd/wharf when unset). Exit status: 0 all passed, 3 some scenario failed,
# anything else: the suite broke.
set -euo pipefail

suite=${1:-go}
ROOT=${WHARF_REPO_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
cd "$ROOT"
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
	export PATH="/usr/local/go/bin:$PATH"
fi
out=$(mktemp -d "${TMPDIR:-/tmp}/compat-go-bin.XXXXXX")
trap 'rm -rf "$out"' EXIT
go build -o "$out/scenarios" ./compat/go/scenarios
wharf=${WHARF_COMPAT_WHARF_BIN:-}
if [ -z "$wharf" ]; then
	go build -o "$out/wharf" ./cmd/wharf
	wharf="$out/wharf"
fi
if [ "$suite" = git ]; then
	for b in git git-lfs; do
		command -v "$b" >/dev/null 2>&1 || { echo "compat/go/run.sh: $b is not installed (apt-get install git git-lfs)" >&2; exit 2; }
	done
fi
"$out/scenarios" -suite "$suite" -wharf "$wharf"
