#!/usr/bin/env bash
# scripts/bench-xet.sh -- Xet server benchmark (issue: Xet storage in wharf serve).
#
#   bash scripts/bench-xet.sh [SIZE_MIB]     (default 2048)
#
# One run, one server, one random file:
#   - the machine's bound: openssl dgst -sha256 of the file, and cp of it;
#   - stock huggingface_hub 2.x + hf_xet (compat/.venv-hf2, made by
#     compat/run.sh) uploading it with Xet on, then with HF_HUB_DISABLE_XET=1
#     (to another repo), each timed;
#   - the server's RSS sampled every 50 ms during the Xet upload;
#   - GET resolve of the Xet-stored file (the bridge) with curl, timed.
# Prints the figures and the ratios (WHARF_BENCH_BIN=path: test that binary;
# WHARF_BENCH_KEEP=1: keep the temp dir with the server log). Needs the hf2 venv; run
# `WHARF_COMPAT_CLIENTS=hf2 bash compat/run.sh` once if it is missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=lib.sh
. scripts/lib.sh
ROOT=$(pwd)
SIZE_MIB=${1:-2048}
PY="$ROOT/compat/.venv-hf2/bin/python"
[ -x "$PY" ] || { echo "missing $PY: run WHARF_COMPAT_CLIENTS=hf2 bash compat/run.sh first" >&2; exit 1; }
command -v curl >/dev/null || { echo "curl is needed" >&2; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/wharf-bench-xet.XXXXXX")
PID=""
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	[ "${WHARF_BENCH_KEEP:-0}" = 1 ] && echo "kept $TMP" || rm -rf "$TMP"
}
trap cleanup EXIT

now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.2f}')"; }

if [ -n "${WHARF_BENCH_BIN:-}" ]; then cp "$WHARF_BENCH_BIN" "$TMP/wharf"; else go build -o "$TMP/wharf" ./cmd/wharf; fi
echo "==> $SIZE_MIB MiB random file"
head -c "$((SIZE_MIB << 20))" /dev/urandom >"$TMP/file.bin"
sync

t0=$(now); openssl dgst -sha256 "$TMP/file.bin" >/dev/null; t1=$(now)
sha=$(secs "$t0" "$t1")
t0=$(now); cp "$TMP/file.bin" "$TMP/copy.bin"; sync; t1=$(now)
cpt=$(secs "$t0" "$t1")
rm -f "$TMP/copy.bin"
bound=$(python3 -c "print(f'{max(2 * $sha, $cpt):.2f}')")
echo "openssl dgst -sha256: ${sha}s   cp: ${cpt}s   bound max(2*sha256, cp): ${bound}s"

DATA="$TMP/data"
wharf_bench_server "$TMP/wharf" "$DATA"

rss() { awk '/^VmRSS/ {print $2}' "/proc/$PID/status"; }
upload() { # upload REPO [ENV...]
	local repo=$1
	shift
	env -u HF_TOKEN HF_HOME="$TMP/hf-$repo" HF_ENDPOINT="$E" HF_HUB_DISABLE_PROGRESS_BARS=1 "$@" "$PY" - "$E" "$TOKEN" "$repo" "$TMP/file.bin" <<'PYEOF'
import sys
from huggingface_hub import HfApi
e, tok, repo, path = sys.argv[1:]
api = HfApi(endpoint=e, token=tok)
api.create_repo(repo, exist_ok=True)
api.upload_file(path_or_fileobj=path, path_in_repo="model.safetensors", repo_id=repo)
PYEOF
}

base=$(rss)
: >"$TMP/rss"
(while kill -0 "$PID" 2>/dev/null; do rss >>"$TMP/rss"; sleep 0.05; done) &
SAMPLER=$!
t0=$(now); upload bench/xet; t1=$(now)
kill "$SAMPLER" 2>/dev/null || true
xet=$(secs "$t0" "$t1")
peak=$(sort -n "$TMP/rss" | tail -n 1)
t0=$(now); upload bench/lfs HF_HUB_DISABLE_XET=1; t1=$(now)
lfs=$(secs "$t0" "$t1")

# Timed to /dev/null (a disk full of dirty pages by now would time the
# disk), then checked byte for byte.
t0=$(now); curl -sf -H "Authorization: Bearer $TOKEN" -o /dev/null "$E/bench/xet/resolve/main/model.safetensors"; t1=$(now)
get=$(secs "$t0" "$t1")
curl -sf -H "Authorization: Bearer $TOKEN" "$E/bench/xet/resolve/main/model.safetensors" | cmp -s "$TMP/file.bin" - ||
	{ echo "bridge download differs from the file" >&2; exit 1; }
xethash=$(curl -sfI -H "Authorization: Bearer $TOKEN" "$E/bench/xet/resolve/main/model.safetensors" | tr -d '\r' | sed -n 's/^[Xx]-[Xx]et-[Hh]ash: //p')
[ -n "$xethash" ] || { echo "the upload did not go through Xet (no X-Xet-Hash)" >&2; exit 1; }

python3 - "$SIZE_MIB" "$sha" "$cpt" "$bound" "$xet" "$lfs" "$base" "$peak" "$get" <<'PYEOF'
import sys
mib, sha, cp, bound, xet, lfs, base, peak, get = sys.argv[1:]
mib = int(mib); sha, cp, bound, xet, lfs, get = map(float, (sha, cp, bound, xet, lfs, get)); base, peak = int(base), int(peak)
print(f"upload, huggingface_hub 2.x + hf_xet, Xet on : {xet:7.2f} s  ({mib / xet:6.1f} MiB/s)")
print(f"upload, same client, HF_HUB_DISABLE_XET=1     : {lfs:7.2f} s  ({mib / lfs:6.1f} MiB/s)")
print(f"Xet on / Xet off                              : {xet / lfs:.2f}")
print(f"Xet upload / machine bound ({bound:.2f} s)       : {xet / bound:.2f}")
print(f"server RSS during the Xet upload: {base / 1024:.0f} MiB before, {peak / 1024:.0f} MiB peak, growth {(peak - base) / 1024:.0f} MiB")
print(f"GET resolve of the Xet file (bridge)          : {get:7.2f} s  ({mib / get:6.1f} MiB/s); cp {mib / cp:6.1f} MiB/s; bridge/cp throughput {cp / get:.2f}")
PYEOF
