# shellcheck shell=bash
# Shared helpers for Wharf's scripts. Source it; it defines functions only,
# sets no shell options and runs nothing.

wharf_log() { printf '[wharf] %s\n' "$*" >&2; }

# wharf_is_root: true when running as uid 0.
wharf_is_root() { [ "$(id -u)" = 0 ]; }

# wharf_apt_install PKG...: install Debian packages non-interactively (root
# only). Tries without `apt-get update` first (fast, works when the package
# lists are present) and runs `apt-get update` only if that fails.
wharf_apt_install() {
	if ! wharf_is_root; then
		wharf_log "ERROR: missing packages: $* -- not root, cannot install them; run: sudo apt-get install -y $*"
		return 1
	fi
	if ! command -v apt-get >/dev/null 2>&1; then
		wharf_log "ERROR: missing packages: $* -- and apt-get is not available; install them by hand"
		return 1
	fi
	local -a apt=(env DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=a
		apt-get -y -q -o DPkg::Lock::Timeout=300
		-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
	wharf_log "installing with apt-get: $*"
	if "${apt[@]}" install --no-install-recommends "$@" </dev/null >&2; then
		return 0
	fi
	wharf_log "apt-get install failed; running apt-get update and retrying"
	"${apt[@]}" update </dev/null >&2 || wharf_log "warning: apt-get update failed"
	if "${apt[@]}" install --no-install-recommends "$@" </dev/null >&2; then
		return 0
	fi
	wharf_log "ERROR: apt-get install $* failed"
	return 1
}

# wharf_bench_server WHARF DATA: create user bench in DATA with a fresh
# token, start `WHARF serve` on a loopback port (logs DATA/../server.out and
# server.log beside DATA), and set TOKEN, PID and E (the hub's URL). Fails
# if the server does not announce itself within 10 s.
wharf_bench_server() {
	local w=$1 data=$2 dir
	dir=$(dirname "$data")
	mkdir -p "$data"
	TOKEN=hf_bench$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
	"$w" admin user add bench --token "$TOKEN" --data "$data" >/dev/null
	"$w" serve --data "$data" --addr 127.0.0.1:0 >"$dir/server.out" 2>"$dir/server.log" &
	PID=$!
	E=""
	for _ in $(seq 1 100); do
		E=$(sed -n 's/^wharf: serving \(http:\/\/[^ ]*\).*/\1/p' "$dir/server.out")
		[ -n "$E" ] && return 0
		sleep 0.1
	done
	wharf_log "ERROR: the server did not start"
	cat "$dir/server.log" >&2
	return 1
}
