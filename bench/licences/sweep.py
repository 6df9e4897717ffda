#!/usr/bin/env python3
"""Measure `modelvet licence` on real model cards.

Downloads the pinned PyPI artifacts of manifest.tsv with `pip download`
(checked by SHA-256),
extracts every Markdown file with YAML front matter (model cards and card
templates) they ship,
adds the cards of an optional folder (e.g. huggingface_hub's
tests/fixtures/cards from a checkout: --cards DIR), lays each card out as a
model folder, runs `modelvet licence --format json`, and prints how many were
classified, needed review, were denied, unknown or missing. Standard library
only; nothing is executed or imported from the artifacts.

    python3 bench/licences/sweep.py --modelvet target/release/modelvet [--cards DIR]
"""
import argparse, hashlib, json, os, pathlib, shutil, subprocess, sys, tarfile, tempfile, zipfile
from collections import Counter

HERE = pathlib.Path(__file__).resolve().parent
CACHE = pathlib.Path(os.environ.get("MV_LICENCE_CACHE", pathlib.Path.home() / ".cache/modelvet-licence-sweep"))
MAX = 1 << 20


def fetch(spec, filename, sha256):
    """The artifact, fetched with `pip download --no-deps` and verified."""
    path = CACHE / filename
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--disable-pip-version-check", "-d", str(CACHE)]
        if filename.endswith(".tar.gz"):
            cmd += ["--no-binary", ":all:"]
        subprocess.run(cmd + [spec], capture_output=True)
    if not path.exists() or hashlib.sha256(path.read_bytes()).hexdigest() != sha256:
        sys.exit(f"{filename}: missing or SHA-256 mismatch")
    return path


def members(path):
    """(name, bytes) of every card-like member, read under a size cap."""
    if path.suffix == ".whl" or path.suffix == ".zip":
        with zipfile.ZipFile(path) as z:
            for i in z.infolist():
                if i.filename.endswith(".md") and i.file_size <= MAX and is_card(data := z.read(i)):
                    yield i.filename, data
    else:
        with tarfile.open(path) as t:
            for i in t.getmembers():
                if i.isfile() and i.name.endswith(".md") and i.size <= MAX and is_card(data := t.extractfile(i).read()):
                    yield i.name, data


def is_card(data):
    """A Markdown file that opens with YAML front matter, as model cards do."""
    return data.lstrip(b"\xef\xbb\xbf").startswith(b"---")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--modelvet", default="target/release/modelvet")
    ap.add_argument("--cards", help="a folder of extra model cards (*.md), e.g. huggingface_hub/tests/fixtures/cards")
    ap.add_argument("--keep", help="write the laid-out tree here instead of a temporary folder")
    a = ap.parse_args()
    root = pathlib.Path(a.keep or tempfile.mkdtemp(prefix="mv-licence-sweep-"))
    if root.exists():
        shutil.rmtree(root)
    n = 0
    for line in (HERE / "manifest.tsv").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        spec, filename, sha, _ = line.split("\t")
        for name, data in members(fetch(spec, filename, sha)):
            n += 1
            d = root / spec.split("==")[0] / name.replace("/", "__")
            d.mkdir(parents=True)
            (d / "README.md").write_bytes(data)
    if a.cards:
        for p in sorted(pathlib.Path(a.cards).glob("*.md")):
            n += 1
            d = root / "cards" / p.stem
            d.mkdir(parents=True)
            # A card without front matter is still a repository's README: config.json marks the folder.
            (d / "README.md").write_bytes(p.read_bytes()[:MAX])
            (d / "config.json").write_text("{}")
    out = subprocess.run([a.modelvet, "licence", "--no-policy", "--format", "json", str(root)], capture_output=True)
    if out.returncode not in (0, 1):
        sys.exit(out.stderr.decode())
    report = json.loads(out.stdout)
    models = [m for m in report["models"] if not m["dataset"]]
    cls = Counter(m["class"] for m in models)
    verdict = Counter(m["verdict"] for m in models)
    for m in models:
        rel = os.path.relpath(m["model"], root)
        print(f"{m['class']:<15} {m['verdict']:<7} {m.get('licence') or '-':<24} {rel}")
    classified = sum(v for k, v in cls.items() if k not in ("unknown", "missing", "other"))
    print(f"\n{n} cards from {len(report['models'])} model folders; {len(models)} models: "
          f"{classified} classified, {verdict['review']} need review, {verdict['deny']} denied, "
          f"{cls['unknown']} unknown, {cls['missing']} missing, {cls['other']} other")
    print("findings:", dict(Counter(f["rule"] for f in report["findings"])))


if __name__ == "__main__":
    main()
