#!/usr/bin/env bash
# scripts/bench-scaleout.sh -- scale-out benchmark (issue: PostgreSQL + S3,
# stateless replicas).
#
#   bash scripts/bench-scaleout.sh [SIZE_MIB]     (default 2048)
#
# Same run, same machine, one PostgreSQL:
#   1. a SIZE_MIB random file uploaded with huggingface_hub 2.x, Xet off
#      (LFS multipart), to one replica on local disk, then through two
#      replicas (round-robin proxy) to S3 (versitygw): wall time, and each
#      replica's CPU time and peak RSS during the upload;
#   2. commit throughput of 32 writers on 32 repos: one replica vs two.
# Needs compat/.venv-hf2 (run WHARF_COMPAT_CLIENTS=hf2 bash compat/run.sh once).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
SIZE_MIB=${1:-2048}
PY="$ROOT/compat/.venv-hf2/bin/python"
[ -x "$PY" ] || { echo "missing $PY: run WHARF_COMPAT_CLIENTS=hf2 bash compat/run.sh first" >&2; exit 1; }
# shellcheck source=lib.sh
. scripts/lib.sh
# shellcheck source=postgres.sh
. scripts/postgres.sh
# shellcheck source=versitygw.sh
. scripts/versitygw.sh
TMP=$(mktemp -d "${TMPDIR:-/tmp}/wharf-bench-scaleout.XXXXXX")
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	[ "${WHARF_PG_STARTED:-0}" = 1 ] && wharf_pg_stop
	rm -rf "$TMP"
}
trap cleanup EXIT
PSQL=$(command -v psql || ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | sort -V | tail -n 1)
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; } # user+system ticks
newdb() {
	local name="wharf_bench_$1_$$"
	"$PSQL" -X -q -d "$WHARF_TEST_POSTGRES" -c "CREATE DATABASE $name" >/dev/null
	local u="${WHARF_TEST_POSTGRES%%\?*}"
	echo "${u%/*}/$name?sslmode=disable"
}

go build -o "$TMP/wharf" ./cmd/wharf
go build -o "$TMP/rrproxy" ./compat/tools/rrproxy
go build -o "$TMP/benchcommits" ./scripts/benchcommits
head -c "$((SIZE_MIB << 20))" /dev/urandom >"$TMP/file.bin"
TOKEN=hf_bench$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$TMP/secret"
VG_PORT=$(free_port)
mkdir -p "$TMP/s3/wharf"
"$WHARF_VERSITYGW" --access bench --secret benchsecret --port "127.0.0.1:$VG_PORT" --quiet posix "$TMP/s3" >/dev/null 2>&1 &
PIDS+=($!)
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=benchsecret AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null

# serve NAME DB PUBLIC [BLOBS]: start a replica, echo "pid port"
serve() {
	local port
	port=$(free_port)
	mkdir -p "$TMP/$1"
	"$TMP/wharf" serve --data "$TMP/$1" --db "$2" --addr "127.0.0.1:$port" --public-url "${3:-http://127.0.0.1:$port}" \
		--blobs "${4:-local}" --secret-file "$TMP/secret" >"$TMP/$1.out" 2>"$TMP/$1.log" &
	local pid=$!
	PIDS+=("$pid")
	for _ in $(seq 1 100); do grep -q serving "$TMP/$1.out" 2>/dev/null && break; sleep 0.1; done
	echo "$pid $port"
}
upload() { # upload ENDPOINT REPO
	env HF_HOME="$TMP/hf-$2" HF_ENDPOINT="$1" HF_HUB_DISABLE_XET=1 HF_HUB_DISABLE_PROGRESS_BARS=1 "$PY" - "$1" "$TOKEN" "$2" "$TMP/file.bin" <<'PYEOF'
import sys
from huggingface_hub import HfApi
e, tok, repo, path = sys.argv[1:]
api = HfApi(endpoint=e, token=tok)
api.create_repo(repo, exist_ok=True)
api.upload_file(path_or_fileobj=path, path_in_repo="model.safetensors", repo_id=repo)
PYEOF
}
measure() { # measure LABEL ENDPOINT PID...
	local label=$1 e=$2
	shift 2
	local c0=() p
	for p in "$@"; do c0+=("$(cpu "$p")"); done
	: >"$TMP/rss"
	(while :; do for p in "$@"; do echo "$p $(awk '/^VmRSS/ {print $2}' "/proc/$p/status")"; done >>"$TMP/rss"; sleep 0.1; done) &
	local sampler=$!
	local t0 t1
	t0=$(now)
	upload "$e" "bench/$label"
	t1=$(now)
	kill "$sampler"
	local i=0
	printf '%-34s %7.2f s (%6.1f MiB/s)\n' "$label upload" "$(python3 -c "print($t1 - $t0)")" "$(python3 -c "print($SIZE_MIB / ($t1 - $t0))")"
	for p in "$@"; do
		printf '    replica pid %s: CPU %.2f s, peak RSS %d MiB\n' "$p" "$(python3 -c "print(($(cpu "$p") - ${c0[$i]}) / $(getconf CLK_TCK))")" \
			"$(awk -v p="$p" '$1 == p {if ($2 > m) m = $2} END {print int(m / 1024)}' "$TMP/rss")"
		i=$((i + 1))
	done
	echo "$t0 $t1" >"$TMP/times-$label"
}

DB1=$(newdb one)
"$TMP/wharf" admin user add bench --token "$TOKEN" --db "$DB1" --data "$TMP/admin1" >/dev/null
read -r P1 PORT1 < <(serve one "$DB1")
echo "==> $SIZE_MIB MiB, Xet off (LFS multipart)"
measure local-one-replica "http://127.0.0.1:$PORT1" "$P1"

DB2=$(newdb two)
"$TMP/wharf" admin user add bench --token "$TOKEN" --db "$DB2" --data "$TMP/admin2" >/dev/null
PPORT=$(free_port)
S3="s3://wharf/blobs?endpoint=http://127.0.0.1:$VG_PORT&region=us-east-1"
read -r PA PORTA < <(serve ra "$DB2" "http://127.0.0.1:$PPORT" "$S3")
read -r PB PORTB < <(serve rb "$DB2" "http://127.0.0.1:$PPORT" "$S3")
"$TMP/rrproxy" -listen "127.0.0.1:$PPORT" "http://127.0.0.1:$PORTA" "http://127.0.0.1:$PORTB" >/dev/null 2>&1 &
PIDS+=($!)
sleep 0.5
measure s3-two-replicas "http://127.0.0.1:$PPORT" "$PA" "$PB"
python3 - "$TMP" <<'PYEOF'
import sys
d = sys.argv[1]
a = [float(x) for x in open(f"{d}/times-local-one-replica").read().split()]
b = [float(x) for x in open(f"{d}/times-s3-two-replicas").read().split()]
print(f"two replicas + S3 / one replica + local disk: {(b[1] - b[0]) / (a[1] - a[0]):.2f}")
PYEOF

echo "==> commit throughput, 32 writers on 32 repos"
echo -n "one replica : "
"$TMP/benchcommits" -endpoint "http://127.0.0.1:$PORT1" -token "$TOKEN" -writers 32 -commits 20
echo -n "two replicas: "
"$TMP/benchcommits" -endpoint "http://127.0.0.1:$PPORT" -token "$TOKEN" -writers 32 -commits 20
