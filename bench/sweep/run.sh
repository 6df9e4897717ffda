#!/usr/bin/env bash
# Real-world benign sweep: scan every target of the sweep corpus with modelvet
# (one process per target) and with the peers (one folder run each, findings
# mapped back to targets), print Markdown tables per source, per format and per
# family, then time a whole-folder scan of the corpus by every tool in one run.
#
#   bash bench/sweep/run.sh [STEP...]     steps: corpus modelvet peers report timing (default: all)
#
# Builds nothing. The corpus comes from generate.py and fetch.py (see README.md).
#   MODELVET_BIN        modelvet binary               (default: <repo>/target/release/modelvet)
#   MV_SWEEP_DIR        sweep data and results        (default: /tmp/mv-sweep)
#   MV_SWEEP_RESULTS    results folder                (default: $MV_SWEEP_DIR/results)
#   MV_PEERS_VENV       venv with picklescan, modelscan, modelaudit (default: /opt/mv-peers-venv)
#   MV_SWEEP_JOBS       modelvet processes in parallel (default: 2)
#   MV_SWEEP_PEERS      peers to run                  (default: "picklescan modelscan modelaudit")
#   MV_SWEEP_TIME_RUNS  timed runs per tool           (default: 3; modelvet gets one warm-up)
# Results: $MV_SWEEP_DIR/results/ (tables.md, <tool>.jsonl, <tool>-details.md,
# modelvet-classes.md, timing.md).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
BIN=${MODELVET_BIN:-$REPO/target/release/modelvet}
export MV_SWEEP_DIR=${MV_SWEEP_DIR:-/tmp/mv-sweep}
PEERS_VENV=${MV_PEERS_VENV:-/opt/mv-peers-venv}
JOBS=${MV_SWEEP_JOBS:-2}
PEERS=${MV_SWEEP_PEERS:-picklescan modelscan modelaudit}
RUNS=${MV_SWEEP_TIME_RUNS:-3}
export MV_SWEEP_RESULTS=${MV_SWEEP_RESULTS:-$MV_SWEEP_DIR/results}
RESULTS=$MV_SWEEP_RESULTS
CORPUS=$MV_SWEEP_DIR/corpus
STEPS=${*:-corpus modelvet peers report timing}
PY=${PYTHON:-python3}

# ModelAudit sends telemetry by default; never let it.
export PROMPTFOO_DISABLE_TELEMETRY=1 NO_COLOR=1 DO_NOT_TRACK=1

log() { printf '[run.sh] %s\n' "$*" >&2; }
has() { [[ " $STEPS " == *" $1 "* ]]; }

[[ -x $BIN ]] || { log "modelvet binary not found at $BIN (set MODELVET_BIN)"; exit 2; }
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
mkdir -p "$RESULTS"

if has corpus; then
  $PY "$HERE/sweep.py" corpus
fi
if has modelvet; then
  log "modelvet $("$BIN" --version 2>/dev/null || true): one process per target, $JOBS in parallel"
  $PY "$HERE/sweep.py" modelvet --bin "$BIN" --jobs "$JOBS"
fi
if has peers; then
  for p in $PEERS; do
    if [[ -x $PEERS_VENV/bin/$p ]]; then
      log "$p: one folder run over $CORPUS"
      $PY "$HERE/sweep.py" peer "$p" --venv "$PEERS_VENV" || log "$p failed"
    else
      log "$p not installed in $PEERS_VENV: skipped"
    fi
  done
fi
if has report; then
  $PY "$HERE/sweep.py" report --families --classes
fi

if has timing; then
  # Whole process, whole corpus as one folder, every tool in the same hyperfine run.
  cmds=("$BIN scan --no-policy -q $CORPUS")
  names=(modelvet)
  for p in $PEERS; do
    [[ -x $PEERS_VENV/bin/$p ]] || continue
    case $p in
      picklescan) cmds+=("$PEERS_VENV/bin/picklescan -p $CORPUS") ;;
      modelscan) cmds+=("$PEERS_VENV/bin/modelscan -p $CORPUS") ;;
      modelaudit) cmds+=("$PEERS_VENV/bin/modelaudit scan --no-cache $CORPUS") ;;
    esac
    names+=("$p")
  done
  files=$(find "$CORPUS" -type f | wc -l)
  bytes=$(du -sb "$CORPUS" | cut -f1)
  {
    echo "## Folder timing: $CORPUS ($files files, $((bytes / 1048576)) MiB), $(nproc) CPUs"
    echo
    echo "Whole process, one folder, every tool in the same run. picklescan scans only pickles (and"
    echo "pickle-based PyTorch/NumPy files): every other file is passed over, so its time covers less work."
    echo
  } >"$RESULTS/timing.md"
  if command -v hyperfine >/dev/null; then
    args=()
    for i in "${!cmds[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]} >/dev/null 2>&1"); done
    hyperfine -i --warmup 1 --runs "$RUNS" --export-markdown "$RESULTS/timing-hyperfine.md" "${args[@]}" >&2
    cat "$RESULTS/timing-hyperfine.md" >>"$RESULTS/timing.md"
  else
    echo "| tool | runs | seconds (each run) |" >>"$RESULTS/timing.md"
    echo "|---|---:|---|" >>"$RESULTS/timing.md"
    for i in "${!cmds[@]}"; do
      ts=()
      for _ in $(seq "$RUNS"); do
        t=$( { /usr/bin/time -f '%e' bash -c "${cmds[$i]} >/dev/null 2>&1"; } 2>&1 | tail -n1)
        ts+=("$t")
      done
      echo "| ${names[$i]} | $RUNS | ${ts[*]} |" >>"$RESULTS/timing.md"
    done
  fi
  cat "$RESULTS/timing.md"
fi
