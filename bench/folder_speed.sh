#!/usr/bin/env bash
# CPU and wall time of one whole-folder scan, modelvet against the peers, interleaved
# so that every tool sees the same machine load.
#
#   bash bench/folder_speed.sh FOLDER [ROUNDS]
#
#   MODELVET_BIN   modelvet binary (default: <repo>/target/release/modelvet)
#   PEERS_VENV     virtualenv holding picklescan / modelscan / modelaudit (default: /opt/mv-bench-venv,
#                  as bench/compare.sh installs it); a peer that is not installed is skipped.
#   PEERS          peers to time (default: "picklescan modelscan"; add modelaudit for it too: one
#                  ModelAudit round over the sweep's PyPI part takes it over 9 minutes)
#
# Prints one line per tool and round: CPU (task-clock, ms), wall (s), exit code. picklescan
# scans only pickles (and zips/npy holding them); say so beside its figure.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DIR=${1:?usage: folder_speed.sh FOLDER [ROUNDS]}
ROUNDS=${2:-3}
BIN=${MODELVET_BIN:-$HERE/../target/release/modelvet}
VENV=${PEERS_VENV:-/opt/mv-bench-venv}
command -v perf >/dev/null || { echo "needs perf (apt-get install linux-perf)" >&2; exit 2; }
export PROMPTFOO_DISABLE_TELEMETRY=1 NO_COLOR=1

tools=("modelvet-jobs1|$BIN scan --jobs 1 $DIR" "modelvet|$BIN scan $DIR")
PEERS=${PEERS:-picklescan modelscan}
wants() { [[ " $PEERS " == *" $1 "* && -x $VENV/bin/$1 ]]; }
wants picklescan && tools+=("picklescan|$VENV/bin/picklescan -p $DIR")
wants modelscan && tools+=("modelscan|$VENV/bin/modelscan -p $DIR")
wants modelaudit && tools+=("modelaudit|$VENV/bin/modelaudit scan $DIR")

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
printf '%-16s %5s %10s %8s %4s\n' tool round cpu_ms wall_s exit
for r in $(seq "$ROUNDS"); do
  for t in "${tools[@]}"; do
    name=${t%%|*} cmd=${t#*|}
    perf stat -e task-clock -o "$tmp" timeout 1800 $cmd >/dev/null 2>&1
    rc=$?
    cpu=$(awk '/task-clock/ {gsub(",", "", $1); print $1}' "$tmp")
    wall=$(awk '/seconds time elapsed/ {print $1}' "$tmp")
    printf '%-16s %5s %10s %8s %4s\n' "$name" "$r" "$cpu" "$wall" "$rc"
  done
done
