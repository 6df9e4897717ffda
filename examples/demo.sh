#!/usr/bin/env bash
# Builds modelvet and scans the bundled example: a clean PyTorch state_dict and a
# PyTorch checkpoint whose data.pkl runs a (harmless) shell command on load.
# The malicious example is stored hex-encoded and decoded into a temporary folder.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$here/models/clean_state_dict.pt" "$work/"
hex=$(tr -d ' \n' < "$here/models/evil_checkpoint.pt.hex")
printf '%b' "$(sed 's/../\\x&/g' <<< "$hex")" > "$work/evil_checkpoint.pt"
cargo build --release --quiet -p modelvet --manifest-path "$here/../Cargo.toml"
status=0
# Where cargo put it: CARGO_TARGET_DIR when set (relative to the workspace), else target/.
target=${CARGO_TARGET_DIR:-target}
[[ $target == /* ]] || target="$here/../$target"
"$target/release/modelvet" scan "$work" || status=$?
echo "modelvet exited with $status (0 pass, 1 blocked, 2 error)"
