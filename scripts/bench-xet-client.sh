#!/usr/bin/env bash
# scripts/bench-xet-client.sh -- Wharf's Xet client against stock
# huggingface_hub 2.x + hf_xet, same run, same server (issue: Xet in the hub
# SDK and the wharf CLI).
#
#   bash scripts/bench-xet-client.sh [SIZE_MIB] [NFILES]    (default 2048, 10000)
#
# Each client gets its own random data (the same sizes): content one client
# uploaded would be deduplicated for the other.
#   1. a SIZE_MIB random file: `wharf upload` vs HfApi.upload_file (each into
#      its own repo, each client with a fresh cache), and the machine's bound
#      (the larger of 2 x `openssl dgst -sha256` and `cp` of the file);
#   2. a 64 MiB random file re-uploaded with 1 % changed in the middle:
#      bytes POSTed (xorbs + shard, from the server's request log) and bytes
#      stored (blob store growth), for both clients;
#   3. NFILES random binary files of 1-10 KiB in one folder: files/s of
#      `wharf upload` vs HfApi.upload_folder;
#   4. download of the SIZE_MIB file: `wharf download` vs hf_hub_download.
# Needs compat/.venv-hf2 (WHARF_COMPAT_CLIENTS=hf2 bash compat/run.sh once).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
SIZE_MIB=${1:-2048}
NFILES=${2:-10000}
PY="$ROOT/compat/.venv-hf2/bin/python"
[ -x "$PY" ] || { echo "missing $PY: run WHARF_COMPAT_CLIENTS=hf2 bash compat/run.sh first" >&2; exit 1; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/wharf-bench-xetc.XXXXXX")
PID=""
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	[ "${WHARF_BENCH_KEEP:-0}" = 1 ] && echo "kept $TMP" || rm -rf "$TMP"
}
trap cleanup EXIT
now() { date +%s.%N; }
el() { python3 -c "print(f'{$2 - $1:.2f}')"; }
stored() { du -sb "$TMP/data/blobs" | cut -f1; }
posted() { # bytes of xorb and shard uploads logged so far
	grep -E 'route=cas\.(xorb|shard)\.upload' "$TMP/server.log" | sed -n 's/.* req_bytes=\([0-9]*\).*/\1/p' | awk '{s += $1} END {printf "%.0f\n", s}'
}

if [ -n "${WHARF_BENCH_BIN:-}" ]; then cp "$WHARF_BENCH_BIN" "$TMP/wharf"; else go build -o "$TMP/wharf" ./cmd/wharf; fi
W="$TMP/wharf"
mkdir -p "$TMP/data"
TOKEN=hf_bench$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
"$W" admin user add bench --token "$TOKEN" --data "$TMP/data" >/dev/null
"$W" serve --data "$TMP/data" --addr 127.0.0.1:0 >"$TMP/server.out" 2>"$TMP/server.log" &
PID=$!
E=""
for _ in $(seq 1 100); do
	E=$(sed -n 's/^wharf: serving \(http:\/\/[^ ]*\).*/\1/p' "$TMP/server.out")
	[ -n "$E" ] && break
	sleep 0.1
done
export HF_ENDPOINT="$E" HF_TOKEN="$TOKEN" HF_HUB_DISABLE_PROGRESS_BARS=1 HF_HUB_DISABLE_TELEMETRY=1
hfpy() { HF_HOME="$TMP/hf-$1" "$PY" - "${@:2}"; }
wharfc() { HF_HOME="$TMP/hf-$1" "$W" "${@:2}" --quiet; }
mkrepo() { "$PY" -c "from huggingface_hub import HfApi; HfApi().create_repo('$1', exist_ok=True)"; }

echo "==> 1. $SIZE_MIB MiB random file"
mkdir -p "$TMP/big" "$TMP/big-hf"
head -c "$((SIZE_MIB << 20))" /dev/urandom >"$TMP/big/model.bin"
head -c "$((SIZE_MIB << 20))" /dev/urandom >"$TMP/big-hf/model.bin"
sync
t0=$(now); openssl dgst -sha256 "$TMP/big/model.bin" >/dev/null; t1=$(now); sha=$(el "$t0" "$t1")
t0=$(now); cp "$TMP/big/model.bin" "$TMP/copy.bin"; sync; t1=$(now); cpt=$(el "$t0" "$t1"); rm -f "$TMP/copy.bin"
bound=$(python3 -c "print(f'{max(2 * $sha, $cpt):.2f}')")
mkrepo bench/big-wharf; mkrepo bench/big-hf
t0=$(now); wharfc w1 upload bench/big-wharf "$TMP/big/model.bin" model.bin >/dev/null; t1=$(now); tw=$(el "$t0" "$t1")
t0=$(now)
hfpy h1 "$TMP/big-hf/model.bin" <<'PYEOF'
import sys
from huggingface_hub import HfApi
HfApi().upload_file(path_or_fileobj=sys.argv[1], path_in_repo="model.bin", repo_id="bench/big-hf")
PYEOF
t1=$(now); th=$(el "$t0" "$t1")
echo "openssl sha256 ${sha}s, cp ${cpt}s, bound ${bound}s"
echo "wharf upload ${tw}s   hf_xet ${th}s   wharf/hf_xet $(python3 -c "print(f'{$tw / $th:.2f}')")   wharf/bound $(python3 -c "print(f'{$tw / $bound:.2f}')")"

echo "==> 2. 64 MiB random file, re-uploaded with 1 % changed in the middle"
"$PY" - "$TMP" <<'PYEOF'
import os, random, sys
d = sys.argv[1]; n = 64 << 20
for client, seed in (("wharf", 7), ("hf", 8)):
    r = random.Random(seed)
    a = r.randbytes(n); b = a[:n // 2] + r.randbytes(n // 100) + a[n // 2 + n // 100:]
    os.makedirs(f"{d}/v1-{client}"); os.makedirs(f"{d}/v2-{client}")
    open(f"{d}/v1-{client}/w.bin", "wb").write(a); open(f"{d}/v2-{client}/w.bin", "wb").write(b)
PYEOF
for client in wharf hf; do
	mkrepo "bench/dedup-$client"
	if [ $client = wharf ]; then wharfc d1 upload bench/dedup-wharf "$TMP/v1-$client/w.bin" w.bin >/dev/null; else
		hfpy d2 "$TMP/v1-$client/w.bin" bench/dedup-hf <<'PYEOF'
import sys
from huggingface_hub import HfApi
HfApi().upload_file(path_or_fileobj=sys.argv[1], path_in_repo="w.bin", repo_id=sys.argv[2])
PYEOF
	fi
	p0=$(posted); s0=$(stored)
	if [ $client = wharf ]; then wharfc d1 upload bench/dedup-wharf "$TMP/v2-$client/w.bin" w.bin >/dev/null; else
		hfpy d2 "$TMP/v2-$client/w.bin" bench/dedup-hf <<'PYEOF'
import sys
from huggingface_hub import HfApi
HfApi().upload_file(path_or_fileobj=sys.argv[1], path_in_repo="w.bin", repo_id=sys.argv[2])
PYEOF
	fi
	p1=$(posted); s1=$(stored)
	python3 -c "n = 64 << 20; p = $p1 - $p0; s = $s1 - $s0; print(f'$client: sent {p} bytes ({100 * p / n:.2f} %), stored {s} bytes ({100 * s / n:.2f} %)')"
done

echo "==> 3. $NFILES random binary files of 1-10 KiB"
"$PY" - "$TMP" "$NFILES" <<'PYEOF'
import os, random, sys
d, n = sys.argv[1], int(sys.argv[2])
for client, seed in (("wharf", 3), ("hf", 4)):
    r = random.Random(seed)
    for i in range(n):
        p = os.path.join(d, f"small-{client}", f"d{i % 100:02d}", f"f{i:05d}.bin")
        os.makedirs(os.path.dirname(p), exist_ok=True)
        open(p, "wb").write(r.randbytes(r.randint(1024, 10240)))
PYEOF
mkrepo bench/small-wharf; mkrepo bench/small-hf
t0=$(now); wharfc s1 upload bench/small-wharf "$TMP/small-wharf" . >/dev/null; t1=$(now); sw=$(el "$t0" "$t1")
t0=$(now)
hfpy s2 "$TMP/small-hf" <<'PYEOF'
import sys
from huggingface_hub import HfApi
HfApi().upload_folder(folder_path=sys.argv[1], repo_id="bench/small-hf")
PYEOF
t1=$(now); sh=$(el "$t0" "$t1")
python3 -c "n = $NFILES; print(f'wharf upload {$sw}s ({n / $sw:.0f} files/s)   hf upload_folder {$sh}s ({n / $sh:.0f} files/s)   ratio {$sh / $sw:.2f}x')"

echo "==> 4. download of the $SIZE_MIB MiB file"
t0=$(now); wharfc g1 download bench/big-wharf model.bin --local-dir "$TMP/dl-wharf" >/dev/null; t1=$(now); dw=$(el "$t0" "$t1")
t0=$(now)
hfpy g2 "$TMP/dl-hf" <<'PYEOF'
import sys
from huggingface_hub import hf_hub_download
hf_hub_download("bench/big-hf", "model.bin", local_dir=sys.argv[1])
PYEOF
t1=$(now); dh=$(el "$t0" "$t1")
cmp -s "$TMP/big/model.bin" "$TMP/dl-wharf/model.bin" || { echo "wharf download differs" >&2; exit 1; }
cmp -s "$TMP/big-hf/model.bin" "$TMP/dl-hf/model.bin" || { echo "hf_hub_download differs" >&2; exit 1; }
echo "wharf download ${dw}s   hf_hub_download (hf_xet) ${dh}s   hf/wharf $(python3 -c "print(f'{$dh / $dw:.2f}')")"
