#!/usr/bin/env bash
# scripts/bench-xet-client.sh -- Wharf's Xet client against stock
# huggingface_hub 2.x + hf_xet, same run, same server (issue: Xet in the hub
# SDK and the wharf CLI).
#
#   bash scripts/bench-xet-client.sh [SIZE_MIB] [NFILES]    (default 2048, 10000)
#
# Each client gets its own random data (the same sizes): content one client
# uploaded would be deduplicated for the other. Sections 1, 3 and 4 run
# WHARF_BENCH_ROUNDS times (default 2) with fresh data each round, the
# clients' order alternating, and report every round and the best time of
# each (this machine's disk and page cache costs vary from one minute to
# the next: a single run mostly measures the noise).
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
# shellcheck source=lib.sh
. scripts/lib.sh
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
wharf_bench_server "$W" "$TMP/data"
export HF_ENDPOINT="$E" HF_TOKEN="$TOKEN" HF_HUB_DISABLE_PROGRESS_BARS=1 HF_HUB_DISABLE_TELEMETRY=1
hfpy() { HF_HOME="$TMP/hf-$1" "$PY" - "${@:2}"; }
wharfc() { HF_HOME="$TMP/hf-$1" "$W" "${@:2}" --quiet; }
mkrepo() { "$PY" -c "from huggingface_hub import HfApi; HfApi().create_repo('$1', exist_ok=True)"; }

ROUNDS=${WHARF_BENCH_ROUNDS:-2}
best() { python3 -c "import sys; print(min(float(x) for x in sys.argv[1:]))" "$@"; }
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }

echo "==> 1. $SIZE_MIB MiB random file ($ROUNDS rounds)"
shas=() cps=() tws=() ths=()
for round in $(seq 1 "$ROUNDS"); do
	rm -rf "$TMP/big" "$TMP/big-hf"
	mkdir -p "$TMP/big" "$TMP/big-hf"
	head -c "$((SIZE_MIB << 20))" /dev/urandom >"$TMP/big/model.bin"
	head -c "$((SIZE_MIB << 20))" /dev/urandom >"$TMP/big-hf/model.bin"
	sync
	t0=$(now); openssl dgst -sha256 "$TMP/big/model.bin" >/dev/null; t1=$(now); sha=$(el "$t0" "$t1")
	t0=$(now); cp "$TMP/big/model.bin" "$TMP/copy.bin"; sync; t1=$(now); cpt=$(el "$t0" "$t1"); rm -f "$TMP/copy.bin"
	mkrepo "bench/big-wharf-$round"; mkrepo "bench/big-hf-$round"
	up_wharf() { t0=$(now); wharfc "w$round" upload "bench/big-wharf-$round" "$TMP/big/model.bin" model.bin >/dev/null; t1=$(now); tw=$(el "$t0" "$t1"); }
	up_hf() {
		t0=$(now)
		hfpy "h$round" "$TMP/big-hf/model.bin" "bench/big-hf-$round" <<'PYEOF'
import sys
from huggingface_hub import HfApi
HfApi().upload_file(path_or_fileobj=sys.argv[1], path_in_repo="model.bin", repo_id=sys.argv[2])
PYEOF
		t1=$(now); th=$(el "$t0" "$t1")
	}
	if [ $((round % 2)) = 1 ]; then up_wharf; up_hf; else up_hf; up_wharf; fi
	echo "round $round: openssl sha256 ${sha}s, cp ${cpt}s; wharf upload ${tw}s, hf_xet ${th}s"
	shas+=("$sha") cps+=("$cpt") tws+=("$tw") ths+=("$th")
done
sha=$(best "${shas[@]}"); cpt=$(best "${cps[@]}"); tw=$(best "${tws[@]}"); th=$(best "${ths[@]}")
bound=$(python3 -c "print(f'{max(2 * $sha, $cpt):.2f}')")
echo "best: openssl sha256 ${sha}s, cp ${cpt}s, bound ${bound}s"
echo "wharf upload ${tw}s   hf_xet ${th}s   wharf/hf_xet $(ratio "$tw" "$th")   wharf/bound $(ratio "$tw" "$bound")"

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

echo "==> 3. $NFILES random binary files of 1-10 KiB ($ROUNDS rounds)"
sws=() shs=()
for round in $(seq 1 "$ROUNDS"); do
	rm -rf "$TMP/small-wharf" "$TMP/small-hf"
	"$PY" - "$TMP" "$NFILES" "$round" <<'PYEOF'
import os, random, sys
d, n, round_ = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for client, seed in (("wharf", 3), ("hf", 4)):
    r = random.Random(seed * 1000 + round_)
    for i in range(n):
        p = os.path.join(d, f"small-{client}", f"d{i % 100:02d}", f"f{i:05d}.bin")
        os.makedirs(os.path.dirname(p), exist_ok=True)
        open(p, "wb").write(r.randbytes(r.randint(1024, 10240)))
PYEOF
	sync # no writeback of the new files during the uploads
	mkrepo "bench/small-wharf-$round"; mkrepo "bench/small-hf-$round"
	small_wharf() { t0=$(now); wharfc "s$round" upload "bench/small-wharf-$round" "$TMP/small-wharf" . >/dev/null; t1=$(now); sw=$(el "$t0" "$t1"); }
	small_hf() {
		t0=$(now)
		hfpy "t$round" "$TMP/small-hf" "bench/small-hf-$round" <<'PYEOF'
import sys
from huggingface_hub import HfApi
HfApi().upload_folder(folder_path=sys.argv[1], repo_id=sys.argv[2])
PYEOF
		t1=$(now); sh=$(el "$t0" "$t1")
	}
	if [ $((round % 2)) = 1 ]; then small_wharf; small_hf; else small_hf; small_wharf; fi
	echo "round $round: wharf upload ${sw}s, hf upload_folder ${sh}s"
	sws+=("$sw") shs+=("$sh")
done
sw=$(best "${sws[@]}"); sh=$(best "${shs[@]}")
python3 -c "n = $NFILES; print(f'best: wharf upload {$sw}s ({n / $sw:.0f} files/s)   hf upload_folder {$sh}s ({n / $sh:.0f} files/s)   ratio {$sh / $sw:.2f}x')"

echo "==> 4. download of the $SIZE_MIB MiB file ($ROUNDS rounds; the files of the last round of 1)"
dws=() dhs=()
for round in $(seq 1 "$ROUNDS"); do
	rm -rf "$TMP/dl-wharf" "$TMP/dl-hf"
	dl_wharf() { t0=$(now); wharfc "g$round" download "bench/big-wharf-$ROUNDS" model.bin --local-dir "$TMP/dl-wharf" >/dev/null; t1=$(now); dw=$(el "$t0" "$t1"); }
	dl_hf() {
		t0=$(now)
		hfpy "i$round" "$TMP/dl-hf" "bench/big-hf-$ROUNDS" <<'PYEOF'
import sys
from huggingface_hub import hf_hub_download
hf_hub_download(sys.argv[2], "model.bin", local_dir=sys.argv[1])
PYEOF
		t1=$(now); dh=$(el "$t0" "$t1")
	}
	if [ $((round % 2)) = 1 ]; then dl_wharf; dl_hf; else dl_hf; dl_wharf; fi
	cmp -s "$TMP/big/model.bin" "$TMP/dl-wharf/model.bin" || { echo "wharf download differs" >&2; exit 1; }
	cmp -s "$TMP/big-hf/model.bin" "$TMP/dl-hf/model.bin" || { echo "hf_hub_download differs" >&2; exit 1; }
	echo "round $round: wharf download ${dw}s, hf_hub_download ${dh}s"
	dws+=("$dw") dhs+=("$dh")
done
dw=$(best "${dws[@]}"); dh=$(best "${dhs[@]}")
echo "best: wharf download ${dw}s   hf_hub_download (hf_xet) ${dh}s   hf/wharf $(ratio "$dh" "$dw")"
