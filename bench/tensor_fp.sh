#!/usr/bin/env bash
# False-positive check: PyTorch zips whose tensor members (archive/data/N) hold
# ordinary random weights must all pass. Raw tensor bytes start with a byte that
# is also a pickle opcode about one time in ten, so a scanner that sniffs those
# members as pickles will sooner or later block a benign checkpoint.
#
#   bash bench/tensor_fp.sh            # 5 dtypes x 200 files x 100 tensors = 100,000 members
#
# MODELVET_BIN (default <repo>/target/release/modelvet), PYTHON (python3 with numpy;
# default: the compare.sh venv if present), MODELVET_FP_DATA (default /tmp/mv-tensor-fp),
# MODELVET_FP_FILES (files per dtype, default 200). Exit 0 when every file passes.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BIN=${MODELVET_BIN:-$HERE/../target/release/modelvet}
VENV=${MODELVET_BENCH_VENV:-/opt/mv-bench-venv}
PY=${PYTHON:-$([[ -x $VENV/bin/python ]] && echo "$VENV/bin/python" || echo python3)}
OUT=${MODELVET_FP_DATA:-/tmp/mv-tensor-fp}
FILES=${MODELVET_FP_FILES:-200}
[[ -x $BIN ]] || { echo "modelvet binary not found at $BIN (set MODELVET_BIN)" >&2; exit 2; }

rm -rf "$OUT"
mkdir -p "$OUT"
"$PY" - "$OUT" "$FILES" <<'PY'
import collections, io, os, pickle, struct, sys, types, zipfile
import numpy as np
out, files = sys.argv[1], int(sys.argv[2])

def fake(name, **attrs):
    m = types.ModuleType(name); m.__path__ = []
    for k, v in attrs.items():
        v.__module__ = name; setattr(m, k, v)
    sys.modules[name] = m
def _rebuild_tensor_v2(*a): raise RuntimeError
class FloatStorage: pass
class HalfStorage: pass
class BFloat16Storage: pass
class LongStorage: pass
fake("torch", FloatStorage=FloatStorage, HalfStorage=HalfStorage, BFloat16Storage=BFloat16Storage, LongStorage=LongStorage)
fake("torch._utils", _rebuild_tensor_v2=_rebuild_tensor_v2)

class St:
    def __init__(s, key, cls, n): s.key, s.cls, s.n = key, cls, n
class T:
    def __init__(s, st, n): s.st, s.n = st, n
    def __reduce_ex__(s, p):
        return (_rebuild_tensor_v2, (s.st, 0, (s.n,), (1,), False, collections.OrderedDict()))
class P(pickle.Pickler):
    def persistent_id(s, o):
        return ("storage", o.cls, o.key, "cpu", o.n) if isinstance(o, St) else None

def write(path, members, cls, prefix):
    sd = collections.OrderedDict((f"t{i}", T(St(str(i), cls, n), n)) for i, (n, _) in enumerate(members))
    buf = io.BytesIO(); P(buf, protocol=2).dump(sd)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        def add(name, data):
            zi = zipfile.ZipInfo(f"{prefix}/{name}", date_time=(1980, 1, 1, 0, 0, 0))
            pad = (-(zf.fp.tell() + 30 + len(zi.filename) + 4)) % 64
            zi.extra = struct.pack("<HH", 0x4246, pad) + b"Z" * pad
            zf.writestr(zi, data)
        add("data.pkl", buf.getvalue()); add("byteorder", b"little")
        for i, (_, data) in enumerate(members):
            add(f"data/{i}", data)
        add("version", b"3\n")

rng = np.random.default_rng(7)
kinds = {
    "f32_normal": (FloatStorage, 4, lambda n: rng.standard_normal(n).astype(np.float32).tobytes()),
    "f32_small": (FloatStorage, 4, lambda n: (0.02 * rng.standard_normal(n)).astype(np.float32).tobytes()),
    "f16_normal": (HalfStorage, 2, lambda n: rng.standard_normal(n).astype(np.float16).tobytes()),
    "bf16_normal": (BFloat16Storage, 2,
                    lambda n: (rng.standard_normal(n).astype(np.float32).view(np.uint32) >> 16).astype(np.uint16).tobytes()),
    "i64_small": (LongStorage, 8, lambda n: rng.integers(0, 30000, n).astype(np.int64).tobytes()),
}
for kind, (cls, _, make) in kinds.items():
    os.makedirs(f"{out}/{kind}", exist_ok=True)
    for z in range(files):
        members = []
        for _ in range(100):
            n = int(rng.integers(64, 1024)); members.append((n, make(n)))
        write(f"{out}/{kind}/m{z:04d}.pt", members, cls, f"m{z:04d}")
PY

rc=0
for d in "$OUT"/*/; do
  kind=$(basename "$d")
  set +e
  "$BIN" scan "$d" >"$OUT/$kind.txt"
  code=$?
  set -e
  echo "$kind: exit $code; $(tail -1 "$OUT/$kind.txt")"
  ((code == 0)) || rc=1
done
((rc == 0)) || { echo "some benign checkpoints were flagged; see: $BIN scan -q $OUT" >&2; }
exit $rc
