#!/usr/bin/env bash
# Whole-process speed and memory comparison of modelvet against the Python peer
# scanners (picklescan, modelscan, fickling, ModelAudit) on benign benchmark files.
#
#   bash bench/compare.sh
#
# Needs only the built modelvet binary from the repo. Everything else lives
# outside it:
#   MODELVET_BIN            modelvet binary   (default: <repo>/target/release/modelvet)
#   MODELVET_BENCH_VENV     peers' virtualenv (default: /opt/mv-bench-venv)
#   MODELVET_BENCH_DATA     data + results    (default: /tmp/mv-bench-data)
#   MODELVET_BENCH_TIMEOUT  per-run time-out in seconds (default: 300)
#   MODELVET_BENCH_RUNS     hyperfine runs for modelvet (default: 10)
#   MODELVET_BENCH_ONLY     space-separated input ids to run (default: all)
#   MODELVET_BENCH_TOOLS    space-separated tool ids to run (default: all)
#
# The data is generated deterministically (seeded) with the standard library
# and NumPy; nothing is downloaded except the pinned PyPI packages. Results are
# printed as Markdown and written to $MODELVET_BENCH_DATA/results.md. Re-running
# reuses the venv and the data when their stamps match.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BIN=${MODELVET_BIN:-$HERE/../target/release/modelvet}
VENV=${MODELVET_BENCH_VENV:-/opt/mv-bench-venv}
DATA=${MODELVET_BENCH_DATA:-/tmp/mv-bench-data}
TIMEOUT=${MODELVET_BENCH_TIMEOUT:-300}
MV_RUNS=${MODELVET_BENCH_RUNS:-10}
ONLY=${MODELVET_BENCH_ONLY:-}
TOOLS=${MODELVET_BENCH_TOOLS:-}
PYTHON=${PYTHON:-python3}

# Pinned peer versions (checked with `pip index versions NAME`, 2026-11-25).
PINS=(
  picklescan==1.0.5
  modelscan==0.8.8
  fickling==0.1.12
  modelaudit==0.2.54
  numpy==2.4.6              # picklescan needs numpy for .npy; also generates the data
  typing_extensions==4.16.0 # fickling's CLI imports it but does not declare it
)

# ModelAudit sends PostHog telemetry by default; never let it.
export PROMPTFOO_DISABLE_TELEMETRY=1
export NO_COLOR=1

log() { printf '[compare.sh] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 2; }

[[ -x $BIN ]] || die "modelvet binary not found at $BIN (set MODELVET_BIN)"
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")

# --- tools ---------------------------------------------------------------------
need_apt=()
command -v hyperfine >/dev/null || need_apt+=(hyperfine)
[[ -x /usr/bin/time ]] || need_apt+=(time)
command -v timeout >/dev/null || need_apt+=(coreutils)
if ((${#need_apt[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    log "installing ${need_apt[*]} with apt-get"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    die "missing ${need_apt[*]}; install them (apt-get install ${need_apt[*]})"
  fi
fi

# --- virtualenv with the pinned peers (outside the repo) --------------------------
pin_stamp="$VENV/.mv-bench-pins"
if [[ ! -f $pin_stamp || "$(cat "$pin_stamp")" != "${PINS[*]}" ]]; then
  log "creating/updating venv $VENV"
  [[ -x $VENV/bin/python ]] || "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "${PINS[@]}" >&2
  echo "${PINS[*]}" >"$pin_stamp"
fi
PY="$VENV/bin/python"

# --- benchmark data (outside the repo) --------------------------------------------
mkdir -p "$DATA"
GEN="$DATA/.gen_data.py"
cat >"$GEN" <<'PY'
"""Deterministic benign benchmark data for bench/compare.sh (stdlib + NumPy only)."""
import collections, io, json, os, pickle, pickletools, struct, sys, types, zipfile
import numpy as np

OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)

def fake_module(name, **attrs):
    mod = types.ModuleType(name)
    mod.__path__ = []
    for k, v in attrs.items():
        if isinstance(v, type) or callable(v):
            v.__module__ = name
        setattr(mod, k, v)
    sys.modules[name] = mod
    return mod

# --- the PyTorch zip layout (torch.save, _use_new_zipfile_serialization) ----------
# Stand-ins for the globals torch pickles; nothing here imports torch.
def _rebuild_tensor_v2(*args):  # never called
    raise RuntimeError("benchmark stand-in")
class FloatStorage: pass
class LongStorage: pass
class HalfStorage: pass
fake_module("torch", FloatStorage=FloatStorage, LongStorage=LongStorage, HalfStorage=HalfStorage)
fake_module("torch._utils", _rebuild_tensor_v2=_rebuild_tensor_v2)
STORAGE = {np.dtype(np.float32): FloatStorage, np.dtype(np.int64): LongStorage, np.dtype(np.float16): HalfStorage}

class _Storage:
    def __init__(self, key, dtype, numel):
        self.key, self.dtype, self.numel = key, dtype, numel

class _Tensor:
    def __init__(self, storage, shape):
        self.storage, self.shape = storage, tuple(shape)
    def __reduce_ex__(self, proto):
        stride, acc = [], 1
        for d in reversed(self.shape):
            stride.insert(0, acc)
            acc *= d
        # torch: _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks)
        return (_rebuild_tensor_v2, (self.storage, 0, self.shape, tuple(stride), False, collections.OrderedDict()))

class TorchPickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, _Storage):
            # ('storage', storage_type, key, location, numel), as torch.serialization._save
            return ("storage", STORAGE[obj.dtype], obj.key, "cpu", obj.numel)
        return None

def _add_aligned(zf, name, data, align=64):
    """Stored member whose data starts on an `align` boundary ('FB' extra field, as torch)."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    start = zf.fp.tell() + 30 + len(name.encode()) + 4
    pad = (-start) % align
    info.extra = struct.pack("<HH", 0x4246, pad) + b"Z" * pad
    info.external_attr = 0o600 << 16
    zf.writestr(info, data)

def write_torch_zip(path, tensors, prefix="archive"):
    """tensors: list of (name, shape, dtype, make_bytes) with make_bytes() -> bytes."""
    sd = collections.OrderedDict()
    for i, (name, shape, dtype, _) in enumerate(tensors):
        numel = int(np.prod(shape)) if shape else 1
        sd[name] = _Tensor(_Storage(str(i), np.dtype(dtype), numel), shape)
    sd._metadata = collections.OrderedDict([("", {"version": 1})])
    buf = io.BytesIO()
    TorchPickler(buf, protocol=2).dump(sd)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        _add_aligned(zf, f"{prefix}/data.pkl", buf.getvalue())
        _add_aligned(zf, f"{prefix}/.format_version", b"1")
        _add_aligned(zf, f"{prefix}/.storage_alignment", b"64")
        _add_aligned(zf, f"{prefix}/byteorder", b"little")
        for i, (_, _, _, make) in enumerate(tensors):
            _add_aligned(zf, f"{prefix}/data/{i}", make())
        _add_aligned(zf, f"{prefix}/version", b"3\n")
        _add_aligned(zf, f"{prefix}/.data/serialization_id", b"%040d" % (len(tensors) * 7919))

def big_checkpoint(path, n_tensors, numel, seed):
    def maker(i):
        return lambda: np.random.default_rng(seed * 1000 + i).standard_normal(numel, dtype=np.float32).tobytes()
    tensors = [(f"layers.{i // 2}.{'weight' if i % 2 == 0 else 'bias'}", (2048, numel // 2048), np.float32, maker(i))
               for i in range(n_tensors)]
    write_torch_zip(path, tensors)

def small_checkpoint(path, rng):
    c = int(rng.integers(4, 17)); k = int(rng.integers(2, 5)); h = int(rng.integers(16, 65)); o = int(rng.integers(2, 11))
    def arr(shape, dtype=np.float32):
        a = rng.standard_normal(shape).astype(dtype)
        return lambda: a.tobytes()
    tensors = [
        ("conv1.weight", (c, 3, k, k), np.float32, arr((c, 3, k, k))),
        ("conv1.bias", (c,), np.float32, arr((c,))),
        ("bn1.weight", (c,), np.float32, arr((c,))),
        ("bn1.bias", (c,), np.float32, arr((c,))),
        ("bn1.running_mean", (c,), np.float32, arr((c,))),
        ("bn1.running_var", (c,), np.float32, arr((c,))),
        ("bn1.num_batches_tracked", (), np.int64, lambda: np.array(int(rng.integers(0, 10**6)), np.int64).tobytes()),
        ("fc.weight", (o, h), np.float16, arr((o, h), np.float16)),
        ("fc.bias", (o,), np.float16, arr((o,), np.float16)),
    ]
    write_torch_zip(path, tensors, prefix=os.path.splitext(os.path.basename(path))[0])

# --- joblib's format (joblib.numpy_pickle.NumpyPickler), reproduced ----------------
class NumpyArrayWrapper:
    def __init__(self, subclass, shape, order, dtype, allow_mmap=False, numpy_array_alignment_bytes=16):
        self.subclass = subclass; self.shape = shape; self.order = order; self.dtype = dtype
        self.allow_mmap = allow_mmap; self.numpy_array_alignment_bytes = numpy_array_alignment_bytes
fake_module("joblib")
fake_module("joblib.numpy_pickle", NumpyArrayWrapper=NumpyArrayWrapper)

class JoblibLikePickler(pickle._Pickler):
    """Arrays become a NumpyArrayWrapper object followed by their raw bytes, as joblib.dump."""
    def __init__(self, fh, protocol=pickle.DEFAULT_PROTOCOL):
        super().__init__(fh, protocol=protocol)
        self.fh = fh
    def save(self, obj, save_persistent_id=True):
        if type(obj) is np.ndarray and not obj.dtype.hasobject:
            w = NumpyArrayWrapper(np.ndarray, obj.shape, "C", obj.dtype, allow_mmap=True)
            super().save(w)
            if self.proto >= 4:
                self.framer.commit_frame(force=True)
            pad = 16 - ((self.fh.tell() + 1) % 16)
            self.fh.write(bytes([pad]) + b"\xff" * pad)
            self.fh.write(obj.tobytes("C"))
            return
        super().save(obj, save_persistent_id)

# sklearn-style estimators (objects pickled by class + state dict, as BaseEstimator)
class Ridge: pass
class StandardScaler: pass
class LogisticRegression: pass
fake_module("sklearn")
fake_module("sklearn.linear_model")
fake_module("sklearn.linear_model._ridge", Ridge=Ridge)
fake_module("sklearn.linear_model._logistic", LogisticRegression=LogisticRegression)
fake_module("sklearn.preprocessing")
fake_module("sklearn.preprocessing._data", StandardScaler=StandardScaler)

def joblib_like(path, rng, i):
    n = int(rng.integers(8, 129))
    kind = (i // 3) % 3
    if kind == 0:
        est = Ridge(); est.__dict__.update(alpha=1.0, fit_intercept=True, copy_X=True, max_iter=None, tol=1e-4,
            solver="auto", positive=False, random_state=None, n_features_in_=n,
            coef_=rng.standard_normal(n), intercept_=float(rng.standard_normal()), n_iter_=None, solver_="cholesky")
    elif kind == 1:
        est = StandardScaler(); est.__dict__.update(with_mean=True, with_std=True, copy=True, n_features_in_=n,
            n_samples_seen_=np.int64(int(rng.integers(100, 10**5))), mean_=rng.standard_normal(n),
            var_=rng.random(n), scale_=rng.random(n) + 0.5)
    else:
        k = int(rng.integers(2, 6))
        est = LogisticRegression(); est.__dict__.update(penalty="l2", dual=False, tol=1e-4, C=1.0, fit_intercept=True,
            intercept_scaling=1, class_weight=None, random_state=None, solver="lbfgs", max_iter=100,
            multi_class="deprecated", verbose=0, warm_start=False, n_jobs=None, l1_ratio=None, n_features_in_=n,
            classes_=np.arange(k), n_iter_=np.array([int(rng.integers(5, 100))], dtype=np.int32),
            coef_=rng.standard_normal((k, n)), intercept_=rng.standard_normal(k))
    est.__dict__["_sklearn_version"] = "1.7.2"
    with open(path, "wb") as fh:
        JoblibLikePickler(fh, protocol=4).dump(est)

def numpy_dict(path, rng, i):
    n = int(rng.integers(8, 200))
    d = {"weights": rng.standard_normal((n, 4)).astype(np.float32), "bias": rng.standard_normal(4).astype(np.float32),
         "vocab": np.array([f"tok{j}" for j in range(16)]), "mask": rng.random(n) > 0.5,
         "step": int(rng.integers(0, 10**6)), "lr": 1e-3, "name": f"model-{i}", "ids": list(range(8))}
    with open(path, "wb") as fh:
        pickle.dump(d, fh, protocol=(2, 4, 5)[(i // 3) % 3])

def count_ops(path):
    with open(path, "rb") as fh:
        return sum(1 for _ in pickletools.genops(fh))

manifest = {}
def done(key, path, **extra):
    manifest[key] = dict(path=path, bytes=os.path.getsize(path) if os.path.isfile(path) else None, **extra)
    print(f"  {key}: {path}", file=sys.stderr, flush=True)

MiB = 1 << 20
# (a) ~1 GiB PyTorch checkpoint: 64 tensors x 4 Mi float32; and a ~100 MiB one (6 tensors) for memory flatness.
big_checkpoint(f"{OUT}/torch_1g.pt", 64, 4 * MiB, seed=1); done("torch_1g", f"{OUT}/torch_1g.pt", tensors=64)
big_checkpoint(f"{OUT}/torch_100m.pt", 6, 4 * MiB, seed=2); done("torch_100m", f"{OUT}/torch_100m.pt", tensors=6)
# (b) 200 MiB bytes object (protocol 4), and a 20 MiB one for memory flatness.
for key, size, seed in (("bytes_200m", 200 * MiB, 3), ("bytes_20m", 20 * MiB, 4)):
    with open(f"{OUT}/{key}.pkl", "wb") as fh:
        pickle.dump(np.random.default_rng(seed).bytes(size), fh, protocol=4)
    done(key, f"{OUT}/{key}.pkl", opcodes=count_ops(f"{OUT}/{key}.pkl"))
# (c) opcode-heavy: list(range(5_000_000)), protocol 2 (BININT per item + MARK/APPENDS per 1000).
with open(f"{OUT}/list_5m.pkl", "wb") as fh:
    pickle.dump(list(range(5_000_000)), fh, protocol=2)
done("list_5m", f"{OUT}/list_5m.pkl", opcodes=count_ops(f"{OUT}/list_5m.pkl"), protocol=2)
# (d) 1,000 small models: torch zips, pickled dicts of NumPy arrays, joblib-style estimators.
small = f"{OUT}/small"
os.makedirs(small, exist_ok=True)
rng = np.random.default_rng(5)
for i in range(1000):
    if i % 3 == 0:
        small_checkpoint(f"{small}/model_{i:04d}.pt", rng)
    elif i % 3 == 1:
        numpy_dict(f"{small}/arrays_{i:04d}.pkl", rng, i)
    else:
        joblib_like(f"{small}/estimator_{i:04d}.joblib", rng, i)
sizes = [os.path.getsize(os.path.join(small, f)) for f in os.listdir(small)]
done("small_1000", small, files=len(sizes), total_bytes=sum(sizes), min_bytes=min(sizes), max_bytes=max(sizes))
# one small file alone: start-up cost
done("tiny_pt", f"{small}/model_0000.pt")
with open(f"{OUT}/manifest.json", "w") as fh:
    json.dump(manifest, fh, indent=1, sort_keys=True)
PY

gen_stamp="$DATA/.gen-stamp"
want_stamp="$(sha256sum "$GEN" | cut -c1-16) $("$PY" -c 'import numpy; print(numpy.__version__)')"
if [[ ! -f $gen_stamp || "$(cat "$gen_stamp")" != "$want_stamp" || ! -f $DATA/manifest.json ]]; then
  log "generating benchmark data in $DATA (about 1.5 GB, a minute or two)"
  rm -rf "$DATA/small" "$DATA/manifest.json" "$gen_stamp"
  "$PY" "$GEN" "$DATA"
  echo "$want_stamp" >"$gen_stamp"
fi
sync

# --- the runs --------------------------------------------------------------------
RUNDIR="$DATA/runs"
# A full run starts afresh; a partial one (MODELVET_BENCH_ONLY / _TOOLS) replaces only its own rows.
[[ -z $ONLY && -z $TOOLS ]] && rm -rf "$RUNDIR"
mkdir -p "$RUNDIR"
SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT

# input id | path | which tools (all = every tool; mv = modelvet only)
INPUTS=(
  "tiny_pt|$DATA/small/model_0000.pt|all"
  "torch_1g|$DATA/torch_1g.pt|all"
  "torch_100m|$DATA/torch_100m.pt|mv"
  "bytes_200m|$DATA/bytes_200m.pkl|all"
  "bytes_20m|$DATA/bytes_20m.pkl|mv"
  "list_5m|$DATA/list_5m.pkl|all"
  "small_1000|$DATA/small|all"
)
ALL_TOOLS=(modelvet modelvet-j1 modelvet-hash picklescan modelscan fickling modelaudit)

# The command line (a shell string) for tool $1 on path $2.
tool_cmd() {
  local tool=$1 p=$2 q
  q=$(printf '%q' "$p")
  case $tool in
    modelvet) echo "$BIN scan $q" ;;
    modelvet-j1) echo "$BIN scan --jobs 1 $q" ;;
    modelvet-hash) echo "$BIN scan --hash $q" ;;
    picklescan) echo "$VENV/bin/picklescan -p $q" ;;
    modelscan) echo "$VENV/bin/modelscan -p $q" ;;
    modelaudit) echo "$VENV/bin/modelaudit scan --no-cache $q" ;;
    fickling)
      if [[ -d $p ]]; then
        # fickling's CLI takes one pickle file: one process per file, exit codes counted.
        echo "bash -c 'declare -A c; for f in \"\$1\"/*; do $VENV/bin/fickling --check-safety --json-output /dev/null \"\$f\" >/dev/null 2>&1; c[\$?]=\$((\${c[\$?]:-0}+1)); done; for k in \"\${!c[@]}\"; do echo \"exit \$k: \${c[\$k]} files\"; done; ((\${c[0]:-0} == \$(ls \"\$1\" | wc -l)))' _ $q"
      else
        echo "$VENV/bin/fickling --check-safety --json-output /dev/null $q"
      fi ;;
  esac
}

# One line saying what the tool concluded (or why it failed), from its output.
summarize() {
  local tool=$1 out=$2 err=$3 s exc
  case $tool in
    modelvet*) s=$(grep -E 'scanned in' "$out" | tail -1) ;;
    picklescan) s=$( (grep -E '^(Scanned files|Infected files|Dangerous globals):' "$out"
                     grep -E '^ERROR' "$out" "$err" -h | head -1) | paste -sd';' -) ;;
    modelscan) s=$(grep -E 'Total Issues|No issues found|Total skipped|[Ee]rrors? (was|were|found)|scan failed' "$out" "$err" -h |
                  head -3 | paste -sd';' -) ;;
    fickling) s=$(cat "$out" "$err" | grep -v '^\s*$' | head -2 | paste -sd' ' -) ;;
    modelaudit) s=$( (grep -E '^Scanned |Found [0-9]+ issue|No issues found|Files: ' "$out" | head -2
                     grep -A1 -m2 '└─' "$out" | grep -v '└─\|^--' | sed 's/^ *//') | paste -sd';' -) ;;
  esac
  exc=$(cat "$err" "$out" | grep -E '^[A-Za-z_.]*(Error|Exception)(:|$)' | tail -1 || true)
  [[ -n $exc ]] && s="$exc; $s"
  printf '%s' "$s" | tr '\t|\n' '  ;' | tr -s ' ' | cut -c1-240
}

wanted() { # wanted LIST ITEM
  [[ -z $1 ]] && return 0
  [[ " $1 " == *" $2 "* ]]
}


for entry in "${INPUTS[@]}"; do
  IFS='|' read -r id path which <<<"$entry"
  wanted "$ONLY" "$id" || continue
  for tool in "${ALL_TOOLS[@]}"; do
    wanted "$TOOLS" "$tool" || continue
    [[ $which == mv && $tool != modelvet ]] && continue
    [[ $tool == modelvet-j1 && $id != small_1000 ]] && continue
    [[ $tool == modelvet-hash && $id != torch_1g && $id != bytes_200m ]] && continue
    [[ $tool == modelvet-hash ]] && ! "$BIN" scan --help | grep -q -- --hash && continue
    cmd=$(tool_cmd "$tool" "$path")
    tag="$id.$tool"
    load1=$(cut -d' ' -f1 /proc/loadavg)
    echo "$(date -u +%FT%TZ) $tag $(uptime)" >>"$RUNDIR/uptime.log"
    log "$tag (load $load1)"
    # 1. one probe run: exit code, output, peak RSS (GNU time), time-out detection
    set +e
    (cd "$SCRATCH" && /usr/bin/time -v -o "$RUNDIR/$tag.time" timeout -k 10 "$TIMEOUT" bash -c "$cmd" \
      >"$RUNDIR/$tag.out" 2>"$RUNDIR/$tag.err")
    rc=$?
    set -e
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$RUNDIR/$tag.time")
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$RUNDIR/$tag.time")
    note=$(summarize "$tool" "$RUNDIR/$tag.out" "$RUNDIR/$tag.err")
    if ((rc == 124 || rc == 137)); then
      printf '%s\t%s\t\t\t\t0\t%s\t%s\t%s\t%s\t\t\n' "$id" "$tool" "$rss" "timeout" "$load1" \
        "timed out after ${TIMEOUT}s (probe run); output so far: $note" >"$RUNDIR/$tag.row"
      continue
    fi
    # 2. repeated timed runs
    secs=$(awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }' <<<"$wall")
    if [[ $tool == modelvet* ]]; then runs=$MV_RUNS; warm=2
    elif awk "BEGIN{exit !($secs < 2)}"; then runs=10; warm=1
    elif awk "BEGIN{exit !($secs < 20)}"; then runs=5; warm=0
    else runs=3; warm=0; fi
    # modelvet runs without the time-out wrapper and without a shell (-N), so that its
    # start-up is not inflated; the probe above already showed that it finishes.
    if [[ $tool == modelvet* ]]; then hf=(-N "$cmd"); else hf=("timeout -k 10 $TIMEOUT $cmd"); fi
    (cd "$SCRATCH" && hyperfine --style none --ignore-failure --warmup "$warm" --runs "$runs" \
      --export-json "$RUNDIR/$tag.json" "${hf[@]}" >/dev/null 2>&1) ||
      log "hyperfine failed for $tag"
    stats=$("$PY" - "$RUNDIR/$tag.json" <<'PY'
import json, sys
try:
    r = json.load(open(sys.argv[1]))["results"][0]
    cpu = r["user"] + r["system"]  # means over the runs
    to = sum(1 for c in r.get("exit_codes", []) if c in (124, 137))
    print(f'{r["median"]:.4f}\t{r["min"]:.4f}\t{r["max"]:.4f}\t{len(r["times"])}\t{cpu:.4f}\t{to}')
except Exception:
    print("\t\t\t0\t\t")
PY
)
    IFS=$'\t' read -r s_med s_min s_max s_n s_cpu s_to <<<"$stats"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$id" "$tool" "$s_med" "$s_min" "$s_max" "$s_n" \
      "$rss" "$rc" "$load1" "$note" "$s_cpu" "$s_to" >"$RUNDIR/$tag.row"
  done
done

RESULTS="$RUNDIR/results.tsv"
printf 'input\ttool\tmedian_s\tmin_s\tmax_s\truns\trss_kb\texit\tload1\tnote\tcpu_s\ttimeouts\n' >"$RESULTS"
for entry in "${INPUTS[@]}"; do
  for tool in "${ALL_TOOLS[@]}"; do
    row="$RUNDIR/${entry%%|*}.$tool.row"
    [[ -f $row ]] && cat "$row" >>"$RESULTS"
  done
done

# --- report --------------------------------------------------------------------------
"$PY" - "$RESULTS" "$DATA/manifest.json" "$BIN" "$VENV" "$TIMEOUT" >"$DATA/results.md" <<'PY'
import csv, hashlib, json, os, subprocess, sys
res_path, man_path, binpath, venv, timeout = sys.argv[1:6]
rows = list(csv.DictReader(open(res_path), delimiter="\t"))
man = json.load(open(man_path))
def ver(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60).stdout.strip().splitlines()[-1]
    except Exception as e:
        return f"? ({e})"
def pipver(name):
    out = subprocess.run([f"{venv}/bin/pip", "show", name], capture_output=True, text=True).stdout
    return next((l.split(": ", 1)[1] for l in out.splitlines() if l.startswith("Version: ")), "?")

LABEL = {
    "tiny_pt": "one small torch zip (start-up)",
    "torch_1g": "PyTorch zip, 64 x 4 Mi float32",
    "torch_100m": "PyTorch zip, 6 x 4 Mi float32",
    "bytes_200m": "pickle of a 200 MiB bytes object",
    "bytes_20m": "pickle of a 20 MiB bytes object",
    "list_5m": "list(range(5_000_000)), protocol 2",
    "small_1000": "folder of 1,000 small models",
}
PEERS = ("picklescan", "modelscan", "fickling", "modelaudit")
def size(key):
    m = man[key]
    return m.get("bytes") or m.get("total_bytes") or 0
def human(b):
    for unit, f in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if b >= f:
            return f"{b / f:.1f} {unit}" if b < 100 * f else f"{b / f:.0f} {unit}"
    return f"{b} B"
def fmt_t(s):
    if s in (None, ""):
        return "–"
    s = float(s)
    return f"{s * 1000:.0f} ms" if s < 1 else f"{s:.2f} s"
def fmt_rss(kb):
    return f"{int(kb) / 1024:.0f} MiB" if kb else "–"

sha = hashlib.sha256(open(binpath, "rb").read()).hexdigest()[:16]
print(f"modelvet: `{binpath}` ({ver([binpath, '--version'])}, sha256 {sha}…); peers in `{venv}`: "
      + ", ".join(f"{n} {pipver(n)}" for n in PEERS + ("numpy",)))
print(f"\nWall = median whole-process wall time over `runs` hyperfine runs (min – max); CPU = mean user+system "
      f"time per run; peak RSS and exit code from one separate run under `/usr/bin/time -v`; time-out "
      f"{timeout} s per run; load1 = 1-minute load average when the row started (2 CPUs).\n")
print("| input | size | tool | wall (median) | min – max | runs | CPU | peak RSS | exit | load1 | note |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    key = r["input"]
    extra = ""
    if key == "list_5m" or key.startswith("bytes"):
        extra = f", {man[key]['opcodes']:,} opcodes"
    if key == "small_1000":
        extra = f", {man[key]['files']} files"
    mm = f"{fmt_t(r['min_s'])} – {fmt_t(r['max_s'])}" if r["min_s"] else "–"
    note = r["note"]
    if r.get("timeouts") and r["timeouts"] not in ("", "0"):
        note = f"**{r['timeouts']}/{r['runs']} runs timed out**; " + note
    print(f"| {LABEL[key]} | {human(size(key))}{extra} | {r['tool']} | {fmt_t(r['median_s'])} | {mm} | {r['runs']} "
          f"| {fmt_t(r.get('cpu_s'))} | {fmt_rss(r['rss_kb'])} | {r['exit']} | {r['load1']} | {note} |")

by = {(r["input"], r["tool"]): r for r in rows}
def val(i, t, field="median_s"):
    r = by.get((i, t))
    if not r or r["exit"] == "timeout" or not r.get(field) or r.get("timeouts") not in (None, "", "0"):
        return None
    return float(r[field])

print("\n### Derived\n")
for key in ("torch_1g", "torch_100m", "bytes_200m", "bytes_20m"):
    m = val(key, "modelvet")
    if m:
        print(f"- modelvet throughput on {LABEL[key]}: **{size(key) / m / 1e9:.2f} GB/s** wall "
              f"({human(size(key))} in {fmt_t(m)}, whole process)")
    h = val(key, "modelvet-hash")
    if h:
        print(f"- modelvet --hash (SHA-256 of the whole file) on {LABEL[key]}: **{size(key) / h / 1e9:.2f} GB/s** wall "
              f"({fmt_t(h)})")
for key in ("list_5m", "small_1000", "torch_1g", "bytes_200m", "tiny_pt"):
    for field, what in (("median_s", "wall"), ("cpu_s", "CPU")):
        m = val(key, "modelvet", field)
        # fastest peer that finished within the time-out, whatever its exit code, and the
        # fastest that gave a verdict (exit 0 or 1) when that is another one
        done = [(val(key, t, field), t) for t in PEERS if val(key, t, field)]
        verdict = [(v, t) for v, t in done if by[(key, t)]["exit"] in ("0", "1")]
        if not (m and done):
            continue
        j1 = val(key, "modelvet-j1", field)
        for label, peers in (("fastest peer", done), ("fastest peer with exit 0/1", verdict)):
            if not peers or (label != "fastest peer" and min(peers) == min(done)):
                continue
            best, who = min(peers)
            print(f"- {LABEL[key]} ({what}): modelvet {fmt_t(m)} vs {label} {who} {fmt_t(best)} "
                  f"(exit {by[(key, who)]['exit']}) "
                  f"→ **{best / m:.1f}×**" + (f"; modelvet --jobs 1 {fmt_t(j1)} → {best / j1:.1f}×" if j1 else ""))
m = val("list_5m", "modelvet")
if m:
    print(f"- modelvet opcode rate on list_5m: {man['list_5m']['opcodes'] / m / 1e6:.1f} M opcodes/s (wall, whole process)")
def rss(i):
    r = by.get((i, "modelvet"))
    return int(r["rss_kb"]) / 1024 if r and r["rss_kb"] else None
for small, big in (("bytes_20m", "bytes_200m"), ("torch_100m", "torch_1g")):
    a, b = rss(small), rss(big)
    if a and b:
        print(f"- modelvet peak RSS, {LABEL[small]} → {LABEL[big]} ({human(size(small))} → {human(size(big))}, "
              f"{size(big) / size(small):.0f}× the bytes): {a:.0f} MiB → {b:.0f} MiB ({b / a:.2f}×)")
fp = [f"{r['tool']} on {r['input']} (exit {r['exit']})" for r in rows if r["exit"] != "0"]
print("\nNon-zero exits on these benign inputs: " + ("; ".join(fp) if fp else "none") + ".")
PY
cat "$DATA/results.md"
log "raw results: $RESULTS; per-run output in $RUNDIR"
