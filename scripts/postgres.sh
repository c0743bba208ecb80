#!/usr/bin/env bash
# scripts/postgres.sh -- a private, throwaway PostgreSQL for Wharf's tests.
#
# Usage:
#   source scripts/postgres.sh       # in a bash script (scripts/test.sh does this)
#       Reuses $WHARF_TEST_POSTGRES if it is set and reachable; otherwise
#       starts a fresh cluster and exports:
#         WHARF_TEST_POSTGRES  postgres://USER@127.0.0.1:PORT/wharf_test?sslmode=disable
#         WHARF_PG_STARTED     1 if this call started a cluster, 0 if it reused one
#         WHARF_PG_DIR         the cluster's temp dir (data, socket, log) [if started]
#         WHARF_PG_STOP        a command string: eval "$WHARF_PG_STOP" stops the
#                              cluster and deletes its dir          [if started]
#       and defines the function wharf_pg_stop (same as eval "$WHARF_PG_STOP").
#       The caller should stop it on exit, e.g.
#         trap 'wharf_pg_stop' EXIT
#       A cluster left behind by a sourcing shell that died is cleaned up by the
#       next run (or by `scripts/postgres.sh sweep`).
#
#   eval "$(scripts/postgres.sh)"    # interactive use: start one that keeps
#       running (prints `export ...` lines on stdout); later reuse it with
#       ./scripts/test.sh and stop it with: eval "$WHARF_PG_STOP"
#   scripts/postgres.sh stop DIR     # stop the cluster in DIR and delete DIR
#   scripts/postgres.sh sweep        # stop/delete clusters whose owner has exited
#
# Environment knobs: WHARF_PG_BINDIR (server bin dir to use), TMPDIR.
# Progress goes to stderr. Needs root only to install the postgresql package
# or to create the unprivileged user the server runs as (postgres refuses root).

_wpg_self="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
# shellcheck source=lib.sh
. "$(dirname "$_wpg_self")/lib.sh" || { echo "[wharf] ERROR: cannot load scripts/lib.sh" >&2; return 1 2>/dev/null || exit 1; }

_wpg_log() { printf '[wharf postgres] %s\n' "$*" >&2; }

# _wpg_client TOOL: path of a PostgreSQL client tool (PATH, then newest server dir).
_wpg_client() {
	local p
	if [ -n "${_wpg_bindir:-}" ] && [ -x "$_wpg_bindir/$1" ]; then echo "$_wpg_bindir/$1"; return 0; fi
	if p=$(command -v "$1" 2>/dev/null); then echo "$p"; return 0; fi
	for p in $(printf '%s\n' /usr/lib/postgresql/*/bin/"$1" | sort -V -r); do
		[ -x "$p" ] && { echo "$p"; return 0; }
	done
	return 1
}

# _wpg_reachable URL: true if a server answers a query at URL.
_wpg_reachable() {
	local url=$1 tool
	if tool=$(_wpg_client psql); then
		PGCONNECT_TIMEOUT=5 timeout 20 "$tool" -X -A -t -q -d "$url" -c 'select 1' </dev/null >/dev/null 2>&1
		return
	fi
	if tool=$(_wpg_client pg_isready); then
		timeout 20 "$tool" -q -t 5 -d "$url" </dev/null >/dev/null 2>&1
		return
	fi
	return 1
}

# _wpg_find_bindir: dir holding postgres, initdb, pg_ctl (newest version wins).
_wpg_find_bindir() {
	local p d
	if [ -n "${WHARF_PG_BINDIR:-}" ]; then
		[ -x "$WHARF_PG_BINDIR/postgres" ] && [ -x "$WHARF_PG_BINDIR/initdb" ] && { echo "$WHARF_PG_BINDIR"; return 0; }
		_wpg_log "WHARF_PG_BINDIR=$WHARF_PG_BINDIR has no postgres/initdb; ignoring it"
	fi
	for p in $(printf '%s\n' /usr/lib/postgresql/*/bin/postgres | sort -V -r); do
		d=$(dirname "$p")
		[ -x "$d/postgres" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
	done
	if p=$(command -v pg_ctl 2>/dev/null); then
		d=$(dirname "$(readlink -f "$p")")
		[ -x "$d/postgres" ] && [ -x "$d/initdb" ] && { echo "$d"; return 0; }
	fi
	return 1
}

# _wpg_pick_user: the OS user the server runs as.
_wpg_pick_user() {
	if ! wharf_is_root; then id -un; return 0; fi
	if id -u postgres >/dev/null 2>&1; then echo postgres; return 0; fi
	if ! id -u wharfpg >/dev/null 2>&1; then
		_wpg_log "creating system user wharfpg to run postgres (it refuses to run as root)"
		useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin wharfpg >&2 ||
			{ id -u wharfpg >/dev/null 2>&1 || return 1; }
	fi
	echo wharfpg
}

# _wpg_as USER CMD...: run CMD as USER (directly if that is us), cwd = $_wpg_dir.
_wpg_as() {
	local u=$1; shift
	if [ "$u" = "$(id -un)" ]; then
		(cd "${_wpg_dir:-/}" && "$@")
	elif command -v runuser >/dev/null 2>&1; then
		(cd "${_wpg_dir:-/}" && runuser -u "$u" -- "$@")
	else
		(cd "${_wpg_dir:-/}" && su -s /bin/sh "$u" -c "$(printf '%q ' "$@")")
	fi
}

# _wpg_pid_alive PID: running and not a zombie.
_wpg_pid_alive() {
	local st
	kill -0 "$1" 2>/dev/null || return 1
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 0
	[ "$st" != Z ]
}

# _wpg_stop DIR: immediate shutdown of the cluster in DIR, then delete DIR.
_wpg_stop() {
	local dir=${1:-} pid i
	[ -n "$dir" ] || { _wpg_log "stop: no dir given"; return 1; }
	[ -d "$dir" ] || return 0
	if [ ! -f "$dir/.wharf-pg" ]; then
		_wpg_log "stop: $dir is not a wharf postgres dir; refusing to touch it"
		return 1
	fi
	if [ -f "$dir/data/postmaster.pid" ]; then
		pid=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null || true)
		if [[ "$pid" =~ ^[0-9]+$ ]] && _wpg_pid_alive "$pid"; then
			kill -QUIT "$pid" 2>/dev/null || true # immediate shutdown
			for ((i = 0; i < 100; i++)); do
				_wpg_pid_alive "$pid" || break
				sleep 0.1
			done
			if _wpg_pid_alive "$pid"; then
				_wpg_log "postmaster $pid did not stop; killing it"
				kill -KILL "$pid" 2>/dev/null || true
				sleep 0.2
			fi
		fi
	fi
	rm -rf "$dir" 2>/dev/null || { sleep 0.5; rm -rf "$dir"; } || true
	_wpg_log "stopped and removed $dir"
}

# _wpg_sweep: remove clusters whose owning (sourcing) process has exited.
_wpg_sweep() {
	local d owner
	for d in "${TMPDIR:-/tmp}"/wharf-pg-* /tmp/wharf-pg-*; do
		[ -f "$d/.wharf-pg" ] && [ -f "$d/owner.pid" ] || continue
		owner=$(cat "$d/owner.pid" 2>/dev/null || true)
		[[ "$owner" =~ ^[0-9]+$ ]] || continue
		if ! kill -0 "$owner" 2>/dev/null && [ ! -d "/proc/$owner" ]; then
			_wpg_log "cleaning up leftover cluster $d (owner $owner is gone)"
			_wpg_stop "$d" || true
		fi
	done
}

# _wpg_mkdir USER: create the cluster's temp dir, usable by USER; sets _wpg_dir.
_wpg_mkdir() {
	local u=$1 base d
	for base in "${TMPDIR:-/tmp}" /tmp; do
		[ -d "$base" ] && [ -w "$base" ] || continue
		d=$(mktemp -d "$base/wharf-pg-XXXXXX") || continue
		# unix socket paths are limited to ~107 bytes
		if [ "${#d}" -gt 80 ]; then rm -rf "$d"; continue; fi
		: >"$d/.wharf-pg"
		chmod 0755 "$d"
		if [ "$u" != "$(id -un)" ]; then
			chown "$u" "$d" || { rm -rf "$d"; continue; }
			if ! _wpg_dir=/ _wpg_as "$u" test -w "$d" 2>/dev/null; then rm -rf "$d"; continue; fi
		fi
		_wpg_dir=$d
		return 0
	done
	_wpg_log "ERROR: could not create a temp dir for postgres usable by user $u"
	return 1
}

# _wpg_free_ports: candidate ports, free-looking ones first.
_wpg_free_ports() {
	local p
	if command -v python3 >/dev/null 2>&1; then
		python3 - <<-'PY' 2>/dev/null || true
		import socket
		for _ in range(3):
		    s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
		PY
	fi
	for ((p = 55432 + RANDOM % 60; p <= 55500; p++)); do echo "$p"; done
	for ((p = 55432; p <= 55500; p++)); do echo "$p"; done
}

_wpg_port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# _wpg_start OWNER_PID: initdb + start a cluster; sets the exported vars.
_wpg_start() {
	local owner=${1:-} u port started=0 tries=0 t0 url
	t0=$(date +%s.%N)
	_wpg_bindir=$(_wpg_find_bindir) || {
		_wpg_log "PostgreSQL server binaries not found; installing the postgresql package"
		wharf_apt_install postgresql || return 1
		_wpg_bindir=$(_wpg_find_bindir) || { _wpg_log "ERROR: postgresql installed but no server binaries found under /usr/lib/postgresql/*/bin"; return 1; }
	}
	u=$(_wpg_pick_user) || { _wpg_log "ERROR: no unprivileged user to run postgres as"; return 1; }
	_wpg_mkdir "$u" || return 1
	[ -n "$owner" ] && echo "$owner" >"$_wpg_dir/owner.pid"
	_wpg_log "initdb in $_wpg_dir/data (server $($_wpg_bindir/postgres --version | awk '{print $3}'), user $u)"
	if ! _wpg_as "$u" "$_wpg_bindir/initdb" -D "$_wpg_dir/data" -U "$u" --auth=trust -E UTF8 --locale=C --no-sync \
		</dev/null >"$_wpg_dir/initdb.log" 2>&1; then
		_wpg_log "ERROR: initdb failed:"; sed 's/^/    /' "$_wpg_dir/initdb.log" >&2
		_wpg_stop "$_wpg_dir"; return 1
	fi
	cat >>"$_wpg_dir/data/postgresql.conf" <<-EOF

	# --- wharf test cluster (scripts/postgres.sh) ---
	listen_addresses = '127.0.0.1'
	unix_socket_directories = '$_wpg_dir'
	fsync = off
	synchronous_commit = off
	full_page_writes = off
	max_connections = 200
	log_min_messages = warning
	EOF
	while read -r port; do
		[ -n "$port" ] || continue
		tries=$((tries + 1))
		[ "$tries" -le 8 ] || break
		_wpg_port_in_use "$port" && continue
		if _wpg_as "$u" "$_wpg_bindir/pg_ctl" -D "$_wpg_dir/data" -l "$_wpg_dir/postgres.log" -w -t 60 \
			-o "-p $port" start </dev/null >>"$_wpg_dir/pg_ctl.log" 2>&1; then
			started=1; break
		fi
		_wpg_log "could not start on port $port; retrying"
	done < <(_wpg_free_ports)
	if [ "$started" != 1 ]; then
		_wpg_log "ERROR: postgres failed to start. pg_ctl output and server log:"
		sed 's/^/    /' "$_wpg_dir/pg_ctl.log" "$_wpg_dir/postgres.log" >&2 2>/dev/null || true
		_wpg_stop "$_wpg_dir"; return 1
	fi
	if ! "$_wpg_bindir/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U "$u" -d postgres \
		-c 'CREATE DATABASE wharf_test' </dev/null >&2; then
		_wpg_log "ERROR: could not create database wharf_test"
		_wpg_stop "$_wpg_dir"; return 1
	fi
	url="postgres://$u@127.0.0.1:$port/wharf_test?sslmode=disable"
	export WHARF_TEST_POSTGRES="$url"
	export WHARF_PG_DIR="$_wpg_dir"
	export WHARF_PG_STOP
	WHARF_PG_STOP="$(printf '%q ' bash "$_wpg_self" stop "$_wpg_dir")"
	export WHARF_PG_STARTED=1
	_wpg_log "ready in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')s: $url"
}

# _wpg_ensure OWNER_PID: reuse $WHARF_TEST_POSTGRES if reachable, else start one.
_wpg_ensure() {
	if [ -n "${WHARF_TEST_POSTGRES:-}" ]; then
		if _wpg_reachable "$WHARF_TEST_POSTGRES"; then
			_wpg_log "using existing WHARF_TEST_POSTGRES=$WHARF_TEST_POSTGRES"
			export WHARF_TEST_POSTGRES
			export WHARF_PG_STARTED=0
			return 0
		fi
		_wpg_log "WHARF_TEST_POSTGRES=$WHARF_TEST_POSTGRES is not reachable; starting a private cluster instead"
		unset WHARF_TEST_POSTGRES WHARF_PG_DIR WHARF_PG_STOP
	fi
	_wpg_sweep
	_wpg_start "${1:-}"
}

wharf_pg_stop() {
	if [ "${WHARF_PG_STARTED:-0}" = 1 ] && [ -n "${WHARF_PG_STOP:-}" ]; then
		eval "$WHARF_PG_STOP" || true
	fi
	unset WHARF_PG_STARTED WHARF_PG_DIR WHARF_PG_STOP
	[ -n "${_wpg_dir:-}" ] && unset WHARF_TEST_POSTGRES _wpg_dir
	return 0
}

if [[ "${BASH_SOURCE[0]}" != "$0" ]]; then
	# Sourced: the sourcing shell owns the cluster. Positional args are the
	# caller's, so ignore them.
	_wpg_ensure "$$"
	return
fi

# Executed.
set -euo pipefail
case "${1:-start}" in
start)
	_wpg_ensure ""
	for _v in WHARF_TEST_POSTGRES WHARF_PG_DIR WHARF_PG_STOP; do
		[ -n "${!_v:-}" ] && printf 'export %s=%q\n' "$_v" "${!_v}"
	done
	if [ "${WHARF_PG_STARTED:-0}" = 1 ]; then
		_wpg_log "left running; stop it with: eval \"\$WHARF_PG_STOP\""
	fi
	;;
stop)
	if [ -n "${2:-}" ]; then _wpg_stop "$2"; else _wpg_stop "${WHARF_PG_DIR:-}"; fi
	;;
sweep) _wpg_sweep ;;
*)
	echo "usage: source $0 | eval \"\$($0 [start])\" | $0 stop DIR | $0 sweep" >&2
	exit 2
	;;
esac
