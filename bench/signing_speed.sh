#!/usr/bin/env bash
# Signing speed: `modelvet sign` against the reference `model_signing sign key`
# (model-signing 1.1.1) on a folder of a few gigabytes, with the machine's
# read-and-hash limit measured in the same run by `sha256sum` and
# `openssl dgst -sha256` (which uses the CPU's SHA extensions, like modelvet),
# one process per file on all cores via xargs, and, when installed, `b3sum`.
#
#   bash bench/signing_speed.sh
#
#   MODELVET_BIN          modelvet binary (default: <repo>/target/release/modelvet)
#   MODELVET_SIGNING_VENV virtualenv with model-signing==1.1.1 pyopenssl (default: /opt/mv-signing-venv)
#   MODELVET_BENCH_DIR    scratch folder, deleted at the end (default: /tmp/mv-signing-bench)
#   BIG_FILES / BIG_MIB / SMALL_FILES / SMALL_KIB  the model's shape (default: 3 x 1024 MiB + 2000 x 64 KiB)
#   RUNS                  hyperfine runs per command (default: 3)
#   MODELVET_B3SUM        b3sum binary (default: `b3sum` on PATH, else /opt/b3sum/bin/b3sum from
#                         `cargo install b3sum --locked --root /opt/b3sum`); skipped with a notice when absent
#
# Every command reads the same files from the page cache (one warm-up run
# each), so the numbers compare hashing and I/O paths, not the disk.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BIN=${MODELVET_BIN:-$HERE/../target/release/modelvet}
VENV=${MODELVET_SIGNING_VENV:-/opt/mv-signing-venv}
DIR=${MODELVET_BENCH_DIR:-/tmp/mv-signing-bench}
BIG_FILES=${BIG_FILES:-3}
BIG_MIB=${BIG_MIB:-1024}
SMALL_FILES=${SMALL_FILES:-2000}
SMALL_KIB=${SMALL_KIB:-64}
RUNS=${RUNS:-3}
JOBS=$(nproc)

if [ ! -x "$VENV/bin/model_signing" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet model-signing==1.1.1 pyopenssl==26.4.0
fi
command -v hyperfine >/dev/null || { echo "needs hyperfine" >&2; exit 2; }

trap 'rm -rf "$DIR"' EXIT
rm -rf "$DIR" && mkdir -p "$DIR/model/shards"
echo "creating $BIG_FILES x $BIG_MIB MiB + $SMALL_FILES x $SMALL_KIB KiB in $DIR/model" >&2
for i in $(seq 1 "$BIG_FILES"); do
  head -c "$((BIG_MIB << 20))" /dev/urandom >"$DIR/model/model-0000$i-of-0000$BIG_FILES.safetensors"
done
for i in $(seq 1 "$SMALL_FILES"); do
  head -c "$((SMALL_KIB << 10))" /dev/urandom >"$DIR/model/shards/part-$i.bin"
done
"$VENV/bin/python" - "$DIR/keys" <<'EOF'
import pathlib, sys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
d = pathlib.Path(sys.argv[1]); d.mkdir()
k = ec.generate_private_key(ec.SECP256R1())
(d / "private.pem").write_bytes(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
(d / "public.pem").write_bytes(k.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
EOF
SIZE=$(du -sb "$DIR/model" | cut -f1)
echo "model: $(du -sh "$DIR/model" | cut -f1), $(find "$DIR/model" -type f | wc -l) files; $JOBS CPUs; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)" >&2

CMDS=(
  "$BIN sign $DIR/model --key $DIR/keys/private.pem --signature $DIR/mv.sig"
  "$VENV/bin/model_signing sign key $DIR/model --private_key $DIR/keys/private.pem --signature $DIR/ms.sig"
  "find $DIR/model -type f -print0 | xargs -0 -P$JOBS -n1 sha256sum >/dev/null"
  "find $DIR/model -type f -print0 | xargs -0 -P$JOBS -n1 openssl dgst -sha256 >/dev/null"
)
NAMES=("modelvet sign" "model_signing sign key" "sha256sum (xargs -P$JOBS -n1)" "openssl dgst -sha256 (xargs -P$JOBS -n1)")
B3SUM=${MODELVET_B3SUM:-$(command -v b3sum || echo /opt/b3sum/bin/b3sum)}
if [ -x "$B3SUM" ]; then
  CMDS+=("find $DIR/model -type f -print0 | xargs -0 $B3SUM --num-threads $JOBS >/dev/null")
  NAMES+=("b3sum --num-threads $JOBS")
else
  echo "b3sum not found (set MODELVET_B3SUM, or: cargo install b3sum --locked --root /opt/b3sum): skipped" >&2
fi
ARGS=()
for i in "${!CMDS[@]}"; do ARGS+=(-n "${NAMES[$i]}" "${CMDS[$i]}"); done
hyperfine --warmup 1 --runs "$RUNS" --export-markdown "$DIR/../mv-signing-bench.md" "${ARGS[@]}"
echo
awk -v size="$SIZE" -F'|' 'NR>2 { gsub(/`/, "", $2); gsub(/ /, "", $3); split($3, a, "±"); printf "%-30s %8.2f s  %6.0f MB/s\n", $2, a[1], size / a[1] / 1e6 }' "$DIR/../mv-signing-bench.md"
# Both signatures verify with the other tool (same manifest).
"$BIN" verify "$DIR/model" --key "$DIR/keys/public.pem" --signature "$DIR/ms.sig"
"$VENV/bin/model_signing" verify key "$DIR/model" --public_key "$DIR/keys/public.pem" --signature "$DIR/mv.sig"
