#!/usr/bin/env bash
# `modelvet scan hf://` against real-sized repository layouts on a local test
# hub: bytes read against the repository's size, and wall time.
#
#   cargo build --release -p modelvet -p modelvet-testhub
#   bash bench/hf_ranges.sh
#
# Layouts are generated (sparse files) into MODELVET_BENCH_DATA (default
# /tmp/mv-hf-bench) and deleted at the end unless MODELVET_BENCH_KEEP=1.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
bin="${MODELVET_BIN:-$root/target/release/modelvet}"
hubbin="${MODELVET_TESTHUB_BIN:-$root/target/release/modelvet-testhub}"
data="${MODELVET_BENCH_DATA:-/tmp/mv-hf-bench}"
port="${MODELVET_BENCH_PORT:-8799}"
layouts=(llm-sharded gguf-quants diffusers onnx-external mixed-bin-safetensors)

rm -rf "$data"
python3 "$here/hf_ranges.py" "$data"
args=()
for l in "${layouts[@]}"; do args+=(--repo "bench/$l=$data/$l"); done
"$hubbin" --listen "127.0.0.1:$port" "${args[@]}" 2>/dev/null &
hub=$!
trap 'kill $hub 2>/dev/null || true; [ "${MODELVET_BENCH_KEEP:-0}" = 1 ] || rm -rf "$data"' EXIT
for _ in $(seq 1 600); do
  curl -sf "http://127.0.0.1:$port/api/models/bench/llm-sharded" >/dev/null 2>&1 && break
  sleep 0.2
done

echo "| layout | files | repository size | bytes read (ranges) | share read | wall time (ranges) | bytes read (whole files) | wall time (whole files) |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for l in "${layouts[@]}"; do
  row=()
  for mode in ranges whole; do
    # Whole files: what `scan hf://` did before range reads.
    extra=(--no-policy)
    [ "$mode" = whole ] && extra+=(--whole-files)
    t0=$(date +%s.%N)
    out="$(HF_ENDPOINT="http://127.0.0.1:$port" "$bin" scan "${extra[@]}" --quiet --format json "hf://bench/$l" || true)"
    t1=$(date +%s.%N)
    read -r files total read_ n_ranged < <(printf '%s' "$out" | python3 -c '
import json,sys; r=json.load(sys.stdin)["remote"][0]
print(r["files"], r["repository_bytes"], r["bytes_read"], len(r["range_read"]))')
    row+=("$files" "$total" "$read_" "$n_ranged" "$(python3 -c "print(f'{$t1-$t0:.2f} s')")")
  done
  python3 - "$l" "${row[@]}" <<'PY'
import sys
l, f, total, rr, nr, tr, _, _, rw, _, tw = sys.argv[1:]
def h(n):
    n = int(n)
    for u in ["B", "KiB", "MiB", "GiB"]:
        if n < 1024 or u == "GiB":
            return f"{n:,} B" if u == "B" else f"{n:.1f} {u}"
        n /= 1024
print(f"| {l} | {f} ({nr} by ranges) | {h(total)} | {h(rr)} | {int(rr)/int(total)*100:.4f}% | {tr} | {h(rw)} | {tw} |")
PY
done
