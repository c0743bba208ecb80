#!/usr/bin/env bash
# compat/run.sh -- the compatibility contract: run the official Hub clients
# against a freshly built `wharf serve` and fail on any failure.
#
#   bash compat/run.sh            (from anywhere; scripts/test.sh runs it)
#
# Steps: build wharf; make sure the client environments exist (Python venvs
# compat/.venv-<name>/ from compat/requirements-<name>.txt, JS packages in
# compat/js/node_modules; each reinstalled only when its pinned files
# change); provision accounts in a temp data dir; start the server on a free
# 127.0.0.1 port; run every client suite; print a scenario x client table;
# stop the server. Exit status: 0 iff no scenario failed.
#
# Environment knobs (all optional):
#   WHARF_COMPAT_CLIENTS  space-separated subset of: hf036 hf1 hf2 hf2-noxet js js-noxet go go-noxet git
#   WHARF_COMPAT_ONLY     comma-separated scenario names to run (default: all)
#   WHARF_COMPAT_KEEP=1   keep the temp dir (server log, data, client logs)
#   WHARF_COMPAT_PYTHON   python used to create the venvs (default: python3)
#   WHARF_COMPAT_BIN      test this wharf binary instead of building ./cmd/wharf
#   WHARF_COMPAT_SCALEOUT=1  run the server as it runs at scale: two
#                         replicas on PostgreSQL ($WHARF_TEST_POSTGRES) and S3
#                         (versitygw, $WHARF_VERSITYGW) behind a round-robin
#                         proxy (compat/tools/rrproxy), so consecutive requests
#                         of a client go to different replicas
#   WHARF_COMPAT_WIRETAP=1  record every client's requests through
#                         compat/tools/wiretap.py; WHARF_COMPAT_WIRE_DIR=DIR
#                         keeps the logs (compare: compat/tools/wirediff.py)
#
# Suites write JSON lines {"client","scenario","status","detail","seconds"}
# to $WHARF_COMPAT_RESULTS; compat/report.py turns them into the table.
# compat/go/run.sh and compat/git/run.sh are run the same way (see
# compat/README.md).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
COMPAT="$ROOT/compat"
# shellcheck source=../scripts/lib.sh
. "$ROOT/scripts/lib.sh"

T0=$(date +%s)
log() { printf '[compat] %s\n' "$*" >&2; }
elapsed() { echo "$(($(date +%s) - T0))s"; }

if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
	export PATH="/usr/local/go/bin:$PATH"
fi

CLIENTS=${WHARF_COMPAT_CLIENTS:-"hf036 hf1 hf2 hf2-noxet js js-noxet go go-noxet git"}
want() { case " $CLIENTS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/wharf-compat.XXXXXX")
SERVER_PID=""
cleanup() {
	local rc=$?
	set +e
	if [ -n "${TAP_PID:-}" ]; then kill "$TAP_PID" 2>/dev/null; wait "$TAP_PID" 2>/dev/null; fi
	if [ -n "${WHARF_COMPAT_WIRE_DIR:-}" ] && compgen -G "$TMP/wire-*.jsonl" >/dev/null; then
		mkdir -p "$WHARF_COMPAT_WIRE_DIR" && cp "$TMP"/wire-*.jsonl "$WHARF_COMPAT_WIRE_DIR"/
	fi
	if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill -TERM "$SERVER_PID" 2>/dev/null
		for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
	fi
	for pid in ${REPLICA_PIDS[@]+"${REPLICA_PIDS[@]}"} ${VG_PID:-}; do
		kill -TERM "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	if [ -n "${dbname:-}" ] && [ -n "${PSQL:-}" ]; then
		"$PSQL" -X -q -d "$WHARF_TEST_POSTGRES" -c "DROP DATABASE IF EXISTS $dbname" >/dev/null 2>&1
	fi
	if [ "${WHARF_COMPAT_KEEP:-0}" = 1 ] || { [ "$rc" -ne 0 ] && [ "${CI:-}" != true ]; }; then
		log "kept $TMP (server.log, client logs, data)"
	else
		rm -rf "$TMP"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# --- tools ----------------------------------------------------------------
PYTHON=${WHARF_COMPAT_PYTHON:-python3}
need_pkgs=()
command -v go >/dev/null 2>&1 || { log "ERROR: go is not on PATH"; exit 1; }
command -v "$PYTHON" >/dev/null 2>&1 || need_pkgs+=(python3 python3-venv python3-pip)
# git rows: the git column, and hf036's Repository (git_repository)
if want git || want hf036 || want go; then
	command -v git >/dev/null 2>&1 || need_pkgs+=(git)
	command -v git-lfs >/dev/null 2>&1 || need_pkgs+=(git-lfs)
fi
if want js || want js-noxet; then
	command -v node >/dev/null 2>&1 || need_pkgs+=(nodejs)
	command -v npm >/dev/null 2>&1 || need_pkgs+=(npm)
fi
if [ "${#need_pkgs[@]}" -gt 0 ]; then
	wharf_apt_install "${need_pkgs[@]}"
fi

hash_files() { cat "$@" | sha256sum | cut -d' ' -f1; }

# ensure_venv NAME: compat/.venv-NAME from compat/requirements-NAME.txt,
# rebuilt only when the requirements file (or the interpreter) changed.
ensure_venv() {
	local name=$1 req="$COMPAT/requirements-$1.txt" dir="$COMPAT/.venv-$1"
	local want_hash
	want_hash="$(hash_files "$req")-$("$PYTHON" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')"
	if [ -x "$dir/bin/python" ] && [ "$(cat "$dir/.wharf-requirements-hash" 2>/dev/null)" = "$want_hash" ] &&
		"$dir/bin/python" -c 'import huggingface_hub' 2>/dev/null; then
		return 0
	fi
	log "installing $name venv ($(grep -v '^#' "$req" | tr '\n' ' '))"
	rm -rf "$dir"
	if ! "$PYTHON" -m venv "$dir" >/dev/null 2>&1; then
		rm -rf "$dir"
		wharf_apt_install python3-venv
		"$PYTHON" -m venv "$dir"
	fi
	"$dir/bin/python" -m pip install -q --disable-pip-version-check --no-input -r "$req"
	echo "$want_hash" >"$dir/.wharf-requirements-hash"
}

# ensure_npm: compat/js/node_modules from the committed package-lock.json,
# `npm ci` only when missing or stale.
ensure_npm() {
	local dir="$COMPAT/js" want_hash
	want_hash="$(hash_files "$dir/package.json" "$dir/package-lock.json")-$(node --version)"
	if [ -d "$dir/node_modules/@huggingface/hub" ] &&
		[ "$(cat "$dir/node_modules/.wharf-lock-hash" 2>/dev/null)" = "$want_hash" ]; then
		return 0
	fi
	log "npm ci in compat/js"
	(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
	echo "$want_hash" >"$dir/node_modules/.wharf-lock-hash"
}

# --- build ------------------------------------------------------------------
if [ -n "${WHARF_COMPAT_BIN:-}" ]; then
	log "using prebuilt $WHARF_COMPAT_BIN"
	cp "$WHARF_COMPAT_BIN" "$TMP/wharf"
else
	log "building wharf"
	go build -o "$TMP/wharf" ./cmd/wharf
fi
# The Python scenarios run the wharf CLI too (cross-tool scenarios).
export WHARF_BIN="$TMP/wharf"

# --- client environments ----------------------------------------------------
for c in hf036 hf1 hf2; do
	if want "$c" || { [ "$c" = hf2 ] && { want hf2-noxet || [ "${WHARF_COMPAT_SCALEOUT:-0}" = 1 ]; }; }; then ensure_venv "$c"; fi
done
if want js || want js-noxet; then ensure_npm; fi
log "environments ready ($(elapsed))"

# --- accounts ----------------------------------------------------------------
DATA="$TMP/data"
mkdir -p "$DATA"
rand_token() { echo "hf_$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"; }
export WHARF_TOKEN_ALICE WHARF_TOKEN_BOB WHARF_TOKEN_READ
WHARF_TOKEN_ALICE=$(rand_token)
WHARF_TOKEN_BOB=$(rand_token)
WHARF_TOKEN_READ=$(rand_token)
SCALEOUT=${WHARF_COMPAT_SCALEOUT:-0}
DBFLAG=()
if [ "$SCALEOUT" = 1 ]; then
	[ -n "${WHARF_TEST_POSTGRES:-}" ] || { log "ERROR: WHARF_COMPAT_SCALEOUT=1 needs WHARF_TEST_POSTGRES (scripts/postgres.sh)"; exit 1; }
	[ -x "${WHARF_VERSITYGW:-}" ] || { log "ERROR: WHARF_COMPAT_SCALEOUT=1 needs WHARF_VERSITYGW (scripts/versitygw.sh)"; exit 1; }
	PSQL=$(command -v psql || ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | sort -V | tail -n 1)
	dbname="wharf_compat_$$_$(date +%s)"
	"$PSQL" -X -q -d "$WHARF_TEST_POSTGRES" -c "CREATE DATABASE $dbname" >/dev/null
	DBURL="${WHARF_TEST_POSTGRES%%\?*}"
	DBURL="${DBURL%/*}/$dbname?sslmode=disable"
	DBFLAG=(--db "$DBURL")
fi
W() { "$TMP/wharf" "$@" --data "$DATA" "${DBFLAG[@]}" >>"$TMP/admin.log" 2>&1; }
W admin user add alice --fullname "Alice Compat" --email alice@example.com --token "$WHARF_TOKEN_ALICE"
W admin user add bob --fullname "Bob Compat" --token "$WHARF_TOKEN_BOB"
W admin org add acme --member alice
# an organization alice administers (its settings: org_private_default)
W admin org add acme-admins --member alice:admin
W admin token add alice --role read --value "$WHARF_TOKEN_READ" --name compat-read

# --- server -----------------------------------------------------------------
# The files exist before the servers start: a background job opens its
# redirections only once it runs, possibly after the first sed below.
free_port() { "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_line() { # wait_line FILE SED-EXPR PID WHAT: echo the first match
	local out=""
	for _ in $(seq 1 300); do
		out=$(sed -n "$2" "$1" | head -n 1)
		[ -n "$out" ] && { echo "$out"; return 0; }
		kill -0 "$3" 2>/dev/null || { log "ERROR: $4 exited"; return 1; }
		sleep 0.1
	done
	log "ERROR: $4 did not start"
	return 1
}
if [ "$SCALEOUT" = 1 ]; then
	VG_PORT=$(free_port)
	mkdir -p "$TMP/s3/wharf"
	"$WHARF_VERSITYGW" --access compat --secret compatsecret --port "127.0.0.1:$VG_PORT" --quiet posix "$TMP/s3" >"$TMP/versitygw.log" 2>&1 &
	VG_PID=$!
	export AWS_ACCESS_KEY_ID=compat AWS_SECRET_ACCESS_KEY=compatsecret AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
	for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$VG_PORT" && break; sleep 0.1; done
	od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$TMP/secret"
	PROXY_PORT=$(free_port)
	ENDPOINT="http://127.0.0.1:$PROXY_PORT"
	BACKENDS=()
	REPLICA_PIDS=()
	REPLICA_PORTS=()
	# start_replica I: replica I (0 or 1) on its port; appends to its log.
	start_replica() {
		local i=$1 port=${REPLICA_PORTS[$1]}
		mkdir -p "$TMP/replica-$i"
		: >"$TMP/server-$i.out"
		"$TMP/wharf" serve --data "$TMP/replica-$i" "${DBFLAG[@]}" --addr "127.0.0.1:$port" --public-url "$ENDPOINT" \
			--blobs "s3://wharf/blobs?endpoint=http://127.0.0.1:$VG_PORT&region=us-east-1" --secret-file "$TMP/secret" \
			>"$TMP/server-$i.out" 2>>"$TMP/server-$i.log" &
		REPLICA_PIDS[$i]=$!
		wait_line "$TMP/server-$i.out" 's/^wharf: serving \(http:\/\/[^ ]*\).*/\1/p' "$!" "replica $i" >/dev/null ||
			{ cat "$TMP/server-$i.log" >&2; return 1; }
	}
	for i in 0 1; do
		REPLICA_PORTS[$i]=$(free_port)
		start_replica "$i" || exit 1
		BACKENDS+=("http://127.0.0.1:${REPLICA_PORTS[$i]}")
	done
	go build -o "$TMP/rrproxy" ./compat/tools/rrproxy
	: >"$TMP/server.out"
	"$TMP/rrproxy" -listen "127.0.0.1:$PROXY_PORT" "${BACKENDS[@]}" >"$TMP/server.out" 2>"$TMP/server.log" &
	SERVER_PID=$!
	wait_line "$TMP/server.out" 's/^rrproxy: listening \(http:[^ ]*\)$/\1/p' "$SERVER_PID" rrproxy >/dev/null || exit 1
	# The xet_dedup scenarios measure the stored bytes: here they are in the bucket.
	COMPAT_DATA="$TMP/s3/wharf"
	log "scale-out: replicas ${BACKENDS[*]} on PostgreSQL and versitygw :$VG_PORT behind $ENDPOINT"
else
	: >"$TMP/server.out"
	: >"$TMP/server.log"
	"$TMP/wharf" serve --data "$DATA" --addr 127.0.0.1:0 >"$TMP/server.out" 2>"$TMP/server.log" &
	SERVER_PID=$!
	ENDPOINT=$(wait_line "$TMP/server.out" 's/^wharf: serving \(http:\/\/[^ ]*\).*/\1/p' "$SERVER_PID" "wharf serve") ||
		{ cat "$TMP/server.log" >&2; exit 1; }
	COMPAT_DATA="$DATA"
fi
"$PYTHON" - "$ENDPOINT" <<'EOF'
import sys, time, urllib.request
for _ in range(100):
    try:
        urllib.request.urlopen(sys.argv[1] + "/", timeout=2).read()
        sys.exit(0)
    except Exception:
        time.sleep(0.1)
sys.exit("server at %s does not answer" % sys.argv[1])
EOF
log "wharf serving at $ENDPOINT ($(elapsed))"

export WHARF_ENDPOINT="$ENDPOINT"
export WHARF_COMPAT_RESULTS="$TMP/results.jsonl"
: >"$WHARF_COMPAT_RESULTS"

# start_tap NAME: with WHARF_COMPAT_WIRETAP=1, put a recording proxy
# (compat/tools/wiretap.py) between client NAME and the server; sets
# CLIENT_ENDPOINT to the URL the client must use.
TAP_PID=""
start_tap() {
	CLIENT_ENDPOINT=$ENDPOINT
	[ "${WHARF_COMPAT_WIRETAP:-0}" = 1 ] || return 0
	local out="$TMP/tap-$1.out"
	"$PYTHON" "$COMPAT/tools/wiretap.py" --upstream "$ENDPOINT" --log "$TMP/wire-$1.jsonl" --client "$1" >"$out" 2>&1 &
	TAP_PID=$!
	for _ in $(seq 1 100); do
		CLIENT_ENDPOINT=$(sed -n 's/^wiretap: listening \(http:[^ ]*\)$/\1/p' "$out")
		[ -n "$CLIENT_ENDPOINT" ] && return 0
		sleep 0.1
	done
	log "ERROR: wiretap did not start"; cat "$out" >&2; exit 1
}
stop_tap() {
	if [ -n "$TAP_PID" ]; then
		kill "$TAP_PID" 2>/dev/null || true
		wait "$TAP_PID" 2>/dev/null || true
		TAP_PID=""
	fi
}

# client_env NAME: the isolation every client run gets (and its wiretap).
client_env() {
	local name=$1
	local home="$TMP/home-$name"
	mkdir -p "$home/hf" "$home/work"
	start_tap "$name"
	CLIENT_ENV=(env -u HF_TOKEN -u HUGGING_FACE_HUB_TOKEN -u HUGGINGFACE_CO_STAGING -u HF_HUB_OFFLINE
		-u HF_HUB_CACHE -u HUGGINGFACE_HUB_CACHE -u HF_TOKEN_PATH -u HF_HUB_ENABLE_HF_TRANSFER
		HOME="$home" HF_HOME="$home/hf" XDG_CACHE_HOME="$home/cache"
		WHARF_ENDPOINT="$CLIENT_ENDPOINT" HF_ENDPOINT="$CLIENT_ENDPOINT"
		HF_HUB_DISABLE_TELEMETRY=1 HF_HUB_DISABLE_PROGRESS_BARS=1
		HF_HUB_DISABLE_UPDATE_CHECK=1 DO_NOT_TRACK=1
		TMPDIR="$home/work" WHARF_COMPAT_CLIENT="$name" PYTHONUNBUFFERED=1
		WHARF_COMPAT_DATA="$COMPAT_DATA" WHARF_COMPAT_SCALEOUT="$SCALEOUT")
}

# run_suite NAME CMD...: run one client suite; a suite that dies without
# reporting a failure still fails the run.
suite_failed=()
run_suite() {
	local name=$1
	shift
	local t rc
	t=$(date +%s)
	log "== $name"
	set +e
	"$@" </dev/null 2>&1 | tee "$TMP/$name.log" | sed "s/^/[$name] /"
	rc=${PIPESTATUS[0]}
	set -e
	log "== $name done in $(($(date +%s) - t))s (exit $rc)"
	stop_tap
	# 3 = the suite ran to its end and reported failed scenarios.
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then suite_failed+=("$name:$rc"); fi
	return 0
}

# Every huggingface_hub column runs as users run it: hf_xet installed and
# Xet on. hf2-noxet (2.x with HF_HUB_DISABLE_XET=1) guards the LFS path.
for c in hf036 hf1 hf2 hf2-noxet; do
	want "$c" || continue
	client_env "$c"
	venv=${c%-noxet}
	extra=()
	if [ "$c" != "$venv" ]; then extra=(HF_HUB_DISABLE_XET=1); fi
	run_suite "$c" "${CLIENT_ENV[@]}" "${extra[@]}" PATH="$COMPAT/.venv-$venv/bin:$PATH" \
		"$COMPAT/.venv-$venv/bin/python" "$COMPAT/python/scenarios.py"
done
if want js; then
	client_env js
	run_suite js "${CLIENT_ENV[@]}" node "$COMPAT/js/scenarios.mjs"
fi
if want js-noxet; then
	client_env js-noxet
	run_suite js-noxet "${CLIENT_ENV[@]}" WHARF_COMPAT_USE_XET=false node "$COMPAT/js/scenarios.mjs"
fi
# The Go suites (compat/go/run.sh: hub SDK + wharf CLI; compat/git/run.sh:
# git and git-lfs) get the same env contract, the machine's Go caches (HOME
# is a temp dir for the client) and the wharf binary under test.
# go-noxet is the go suite with HF_HUB_DISABLE_XET=1: the SDK's LFS path.
for c in go go-noxet git; do
	suite=${c%-noxet}
	want "$c" && [ -f "$COMPAT/$suite/run.sh" ] || continue
	client_env "$c"
	extra=()
	if [ "$c" != "$suite" ]; then extra=(HF_HUB_DISABLE_XET=1); fi
	run_suite "$c" "${CLIENT_ENV[@]}" "${extra[@]}" GOCACHE="$(go env GOCACHE)" GOMODCACHE="$(go env GOMODCACHE)" \
		GOPATH="$(go env GOPATH)" WHARF_REPO_ROOT="$ROOT" WHARF_COMPAT_WHARF_BIN="$TMP/wharf" \
		bash "$COMPAT/$suite/run.sh"
done

# The fault suites (scale-out only): kill -9 a replica while uploads,
# commits and pushes are in flight (compat/python/scenarios.py
# replica_kill), with Xet and with LFS multipart; the killed replica is
# started again after each.
if [ "$SCALEOUT" = 1 ]; then
	CLIENTS="$CLIENTS fault fault-noxet"
	for c in fault fault-noxet; do
		client_env "$c"
		extra=()
		if [ "$c" = fault-noxet ]; then extra=(HF_HUB_DISABLE_XET=1); fi
		victim=0
		[ "$c" = fault-noxet ] && victim=1
		run_suite "$c" "${CLIENT_ENV[@]}" "${extra[@]}" WHARF_COMPAT_ONLY=replica_kill \
			WHARF_COMPAT_REPLICA_PIDS="${REPLICA_PIDS[$victim]}" PATH="$COMPAT/.venv-hf2/bin:$PATH" \
			"$COMPAT/.venv-hf2/bin/python" "$COMPAT/python/scenarios.py"
		wait "${REPLICA_PIDS[$victim]}" 2>/dev/null || true
		start_replica "$victim" || exit 1
	done
fi

# --- report -----------------------------------------------------------------
rc=0
"$PYTHON" "$COMPAT/report.py" "$WHARF_COMPAT_RESULTS" --clients "$CLIENTS" --failed-suites "${suite_failed[*]:-}" \
	--known "$COMPAT/known-failures.txt" || rc=$?
if [ "$rc" -ne 0 ]; then
	for f in "$TMP"/server.log "$TMP"/server-*.log; do
		[ -f "$f" ] || continue
		log "server log tail ($f):"
		grep -v ' status=[23][0-9][0-9] ' "$f" | tail -n 40 | sed 's/^/[server] /' >&2 || true
	done
fi
log "total $(elapsed)"
exit "$rc"
