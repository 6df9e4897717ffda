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
#   MV_SWEEP_SLOW_RUNS  timed runs of ModelAudit      (default: 1; 0 = reuse the peers step's run time)
#   MV_SWEEP_MODELAUDIT_SAMPLE  ModelAudit scans only N targets per source/family/format (default: 3;
#                       0 = the whole corpus, which took it over 50 minutes on a loaded 2-CPU machine)
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
      sample=0
      [[ $p == modelaudit ]] && sample=${MV_SWEEP_MODELAUDIT_SAMPLE:-3}
      $PY "$HERE/sweep.py" peer "$p" --venv "$PEERS_VENV" --sample "$sample" || log "$p failed"
    else
      log "$p not installed in $PEERS_VENV: skipped"
    fi
  done
fi
if has report; then
  $PY "$HERE/sweep.py" report --families --classes
fi

if has timing; then
  # Whole process, whole corpus as one folder, every tool in this same step, one after the other.
  # hyperfine per tool so that a slow peer can get fewer runs (MV_SWEEP_SLOW_RUNS, default 1).
  SLOW_RUNS=${MV_SWEEP_SLOW_RUNS:-1}
  files=$(find "$CORPUS" -type f | wc -l)
  bytes=$(du -sbL "$CORPUS" | cut -f1)
  {
    echo "## Folder timing: the sweep corpus as one folder ($files files, $((bytes / 1048576)) MiB), $(nproc) CPUs, $(date -u +%Y-%m-%d)"
    echo
    echo "Whole process, one folder, each tool in the same run.sh step; wall-clock seconds (hyperfine mean ± σ over the runs)."
    echo "picklescan scans only pickles (and pickle-based PyTorch/NumPy files) and passes every other file over;"
    echo "on this corpus its folder scan also stops at the first file it cannot handle (\"Unhandled exception\", exit 2),"
    echo "so its figure covers part of the corpus only."
    echo
    echo "| tool | command | runs | mean s | σ s | min s | exit codes |"
    echo "|---|---|---:|---:|---:|---:|---|"
  } >"$RESULTS/timing.md"
  time_tool() { # name runs warmup command
    local name=$1 runs=$2 warm=$3 cmd=$4 json=$RESULTS/timing-$1.json
    log "timing $name ($runs runs)"
    hyperfine -i -N --warmup "$warm" --runs "$runs" --export-json "$json" "$cmd" >&2 || true
    $PY - "$json" "$name" "$runs" "$cmd" >>"$RESULTS/timing.md" <<'PYEOF'
import json, sys
j, name, runs, cmd = sys.argv[1:5]
r = json.load(open(j))["results"][0]
rc = ",".join(sorted({str(c) for c in r.get("exit_codes", [])})) or "?"
sd = r.get("stddev") or 0.0
print(f"| {name} | `{cmd}` | {runs} | {r['mean']:.2f} | {sd:.2f} | {r['min']:.2f} | {rc} |")
PYEOF
  }
  time_tool modelvet "$RUNS" 1 "$BIN scan --no-policy -q $CORPUS"
  for p in $PEERS; do
    [[ -x $PEERS_VENV/bin/$p ]] || continue
    case $p in
      picklescan) time_tool picklescan "$RUNS" 0 "$PEERS_VENV/bin/picklescan -p $CORPUS" ;;
      modelscan) time_tool modelscan "$RUNS" 0 "$PEERS_VENV/bin/modelscan -p $CORPUS" ;;
      modelaudit)
        if ((SLOW_RUNS > 0)); then
          time_tool modelaudit "$SLOW_RUNS" 0 "$PEERS_VENV/bin/modelaudit scan --no-cache $CORPUS"
        elif [[ -f $RESULTS/modelaudit.run.txt ]]; then
          # MV_SWEEP_SLOW_RUNS=0: the wall time of the peers step's own folder run (same command plus -f json -o FILE)
          read -r _ rc secs _ _ where rest < <(head -n1 "$RESULTS/modelaudit.run.txt" | tr -d ',')
          echo "| modelaudit | \`modelaudit scan --no-cache -f json -o FILE $where\` (the peers step's run, $rest) | 1 | ${secs} | - | ${secs} | ${rc} |" >>"$RESULTS/timing.md"
        fi ;;
    esac
  done
  cat "$RESULTS/timing.md"
fi
