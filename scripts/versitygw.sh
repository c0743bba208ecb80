#!/usr/bin/env bash
# scripts/versitygw.sh -- make sure versitygw (a real S3 server, for the S3
# blob backend's tests) is built and cached.
#
#   source scripts/versitygw.sh    # scripts/test.sh does this
#
# Exports WHARF_VERSITYGW, the path of the binary. It is built once with
# `go install github.com/versity/versitygw/cmd/versitygw@VERSION` into
# ${XDG_CACHE_HOME:-~/.cache}/wharf/versitygw-VERSION and reused after that.
# The tests start and stop their own server on a loopback port.
_wvgw_version=v1.8.0
_wvgw_dir="${XDG_CACHE_HOME:-$HOME/.cache}/wharf/versitygw-$_wvgw_version"
if [ ! -x "$_wvgw_dir/versitygw" ]; then
	echo "[wharf versitygw] building versitygw $_wvgw_version into $_wvgw_dir (once)" >&2
	mkdir -p "$_wvgw_dir"
	(cd "${TMPDIR:-/tmp}" && GOBIN="$_wvgw_dir" GOFLAGS=-mod=mod go install "github.com/versity/versitygw/cmd/versitygw@$_wvgw_version") >&2
fi
export WHARF_VERSITYGW="$_wvgw_dir/versitygw"
