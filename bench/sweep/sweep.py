#!/usr/bin/env python3
"""Scan the sweep corpus with modelvet and the peers; tabulate. Standard library only.

Called by run.sh; each step can be run alone:

    sweep.py corpus                      # targets.tsv of generated/ and pypi/ -> $MV_SWEEP_DIR/targets.tsv, corpus/ (hard links)
    sweep.py modelvet --bin BIN          # one `modelvet scan --format json TARGET` per target
    sweep.py peer picklescan|modelscan|modelaudit --venv DIR   # one folder run over corpus/, findings mapped to targets
    sweep.py report                      # Markdown tables + details

Verdicts per target (a file, or a folder written as one model):
    blocked  the tool would stop it: modelvet exit 1 (a finding at or above the fail level);
             picklescan a dangerous global; modelscan any issue (its exit 1); ModelAudit an issue of
             severity warning or critical (its exit 1)
    warned   findings that do not block: modelvet below the fail level; picklescan suspicious globals only;
             ModelAudit info-level issues only
    passed   no finding
    errors   the tool failed on it: modelvet exit 2 / crash / time-out; a peer's scan error for that file
    unscanned (peers) the tool skipped every file of the target (format not supported)
"""

import argparse
import collections
import concurrent.futures as cf
import json
import os
import re
import shutil
import subprocess
import sys
import time

SWEEP = os.environ.get("MV_SWEEP_DIR", "/tmp/mv-sweep")
RESULTS = os.environ.get("MV_SWEEP_RESULTS", os.path.join(SWEEP, "results"))
SOURCES = {"generated": os.path.join(SWEEP, "generated"), "pypi": os.path.join(SWEEP, "pypi")}
CORPUS = os.path.join(SWEEP, "corpus")
SEV_RANK = {"low": 1, "medium": 2, "high": 3, "critical": 4}
TOOLS = ("modelvet", "picklescan", "modelscan", "modelaudit")

PEER_ENV = dict(os.environ, PROMPTFOO_DISABLE_TELEMETRY="1", NO_COLOR="1", MODELAUDIT_DISABLE_TELEMETRY="1",
                DO_NOT_TRACK="1", POSTHOG_DISABLED="1", TERM="dumb", COLUMNS="400")


def log(*a):
    print("[sweep]", *a, file=sys.stderr, flush=True)


# ------------------------------------------------------------------ targets / corpus


def load_targets():
    rows = []
    with open(os.path.join(SWEEP, "targets.tsv")) as f:
        for line in f:
            if line.startswith("#"):
                continue
            rel, fmt, fam, src, what = line.rstrip("\n").split("\t")
            rows.append({"rel": rel, "format": fmt, "family": fam, "source": src, "what": what,
                         "path": os.path.join(CORPUS, rel)})
    return rows


def cmd_corpus(args):
    os.makedirs(RESULTS, exist_ok=True)
    if os.path.isdir(CORPUS):
        shutil.rmtree(CORPUS)
    rows = []
    for src, root in SOURCES.items():
        tsv = os.path.join(root, "targets.tsv")
        if not os.path.exists(tsv):
            log(f"no {tsv}: source {src} skipped")
            continue
        seen = set()
        with open(tsv) as f:
            for line in f:
                if line.startswith("#"):
                    continue
                parts = line.rstrip("\n").split("\t")
                if len(parts) != 4:
                    continue
                rel, fmt, fam, what = parts
                if rel in seen or not os.path.exists(os.path.join(root, rel)):
                    continue
                seen.add(rel)
                rows.append((f"{src}/{rel}", fmt, fam, src, what))
        # the corpus: hard links to every file of the source, tables left out
        for dirpath, _, files in os.walk(root):
            for fn in files:
                if dirpath == root and fn.endswith(".tsv"):
                    continue
                s = os.path.join(dirpath, fn)
                d = os.path.join(CORPUS, src, os.path.relpath(s, root))
                os.makedirs(os.path.dirname(d), exist_ok=True)
                try:
                    os.link(s, d)
                except OSError:
                    shutil.copy2(s, d)
    # a target nested inside a folder target (component folders) stays listed: it is its own row
    with open(os.path.join(SWEEP, "targets.tsv"), "w") as f:
        f.write("#rel\tformat\tfamily\tsource\twhat\n")
        for r in rows:
            f.write("\t".join(r) + "\n")
    log(f"{len(rows)} targets; corpus at {CORPUS}")


# ------------------------------------------------------------------ modelvet, one process per target


def run_modelvet_one(binary, t, timeout, fail_on):
    cmd = [binary, "scan", "--no-policy", "--format", "json", t["path"]]
    if fail_on:
        cmd[2:2] = ["--fail-on", fail_on]
    start = time.monotonic()
    rec = {"rel": t["rel"], "exit": None, "findings": [], "error": None, "formats": []}
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=timeout, cwd="/")
        rec["exit"] = p.returncode
        try:
            rep = json.loads(p.stdout)
        except ValueError:
            rep = None
            rec["error"] = f"exit {p.returncode}, no JSON: {p.stderr.decode(errors='replace')[-300:]}"
        if rep:
            fail_rank = SEV_RANK[rep.get("fail_on", "medium")]
            for tg in rep.get("targets", []):
                rec["formats"].append(tg.get("format"))
                for fd in tg.get("findings", []):
                    action = fd.get("action")
                    waived = fd.get("waiver") and not fd["waiver"].get("expired")
                    blocking = action == "deny" or (action != "warn" and not waived and SEV_RANK[fd["severity"]] >= fail_rank)
                    rec["findings"].append({"rule": fd["rule"], "name": fd["name"], "severity": fd["severity"], "blocking": blocking,
                                            "message": fd["message"], "evidence": fd.get("evidence", "")[:300],
                                            "file": os.path.relpath(fd["location"]["path"], CORPUS) if fd["location"]["path"].startswith("/")
                                            else fd["location"]["path"],
                                            "members": fd["location"].get("members", [])})
            if rep.get("errors"):
                rec["error"] = "; ".join(f"{e['path']}: {e['message']}" for e in rep["errors"])[:500]
    except subprocess.TimeoutExpired:
        rec["error"] = f"time-out after {timeout} s"
    rec["seconds"] = round(time.monotonic() - start, 4)
    if rec["error"] or rec["exit"] not in (0, 1):
        v = "error"
    elif any(f["blocking"] for f in rec["findings"]) or rec["exit"] == 1:
        v = "blocked"
    elif rec["findings"]:
        v = "warned"
    elif rec["formats"] and all(f in ("unrecognized", "unscanned") for f in rec["formats"]):
        v = "unscanned"
    else:
        v = "passed"
    rec["verdict"] = v
    return rec


def cmd_modelvet(args):
    targets = load_targets()
    binary = os.path.abspath(args.bin)
    out = os.path.join(RESULTS, "modelvet.jsonl")
    n = 0
    with open(out, "w") as f, cf.ThreadPoolExecutor(args.jobs) as ex:
        for rec in ex.map(lambda t: run_modelvet_one(binary, t, args.timeout, args.fail_on), targets):
            f.write(json.dumps(rec) + "\n")
            n += 1
            if n % 500 == 0:
                log(f"modelvet: {n}/{len(targets)}")
    log(f"modelvet: {n} targets -> {out}")


# ------------------------------------------------------------------ peers, one folder run each


def norm(p):
    p = os.path.normpath(p)
    if p.startswith(CORPUS + "/"):
        return p[len(CORPUS) + 1:]
    return p


def picklescan_units():
    """Folders to scan one by one: each family/package folder of each source."""
    units = []
    for src in sorted(os.listdir(CORPUS)):
        for d in sorted(os.listdir(os.path.join(CORPUS, src))):
            units.append(os.path.join(CORPUS, src, d))
    return units


def peer_picklescan(venv, timeout):
    """picklescan aborts a whole folder scan on the first file it cannot handle ("Unhandled exception"), so it runs
    once per family/package folder, and file by file in a folder where it aborted. Each unit twice: the default run
    (dangerous globals block: its exit 1) and --strict, which names the suspicious globals per file (the default run
    only counts them); those are the 'warned' ones."""
    files = collections.defaultdict(lambda: {"issues": [], "errors": [], "scanned": True})
    tails = []
    rcs = collections.Counter()
    scanned = set()
    aborted = []

    def run(path, strict):
        cmd = [os.path.join(venv, "bin", "picklescan"), "-p", path] + (["--strict"] if strict else ["-l", "DEBUG"])
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=PEER_ENV, cwd="/")
        return p.returncode, p.stdout + "\n" + p.stderr

    def parse(text, strict):
        for line in text.splitlines():
            if not strict and line.startswith("Scanning file /"):
                scanned.add(norm(line[len("Scanning file "):]))
                continue
            m = re.match(r"^(/.+?): dangerous import '([^']*)' FOUND( \(promoted by --strict\))?", line)
            if m:
                promoted = bool(m.group(3))
                if strict and not promoted:
                    continue  # already counted by the default run
                files[norm(m.group(1))]["issues"].append({"rule": "suspicious global" if promoted else "dangerous global",
                                                          "detail": m.group(2), "blocking": not promoted})
                continue
            m = re.match(r"^ERROR: .*?(/\S+?): (.*)$", line)
            if m and not strict:
                files[norm(m.group(1))]["errors"].append(line[:300])

    for unit in picklescan_units():
        for strict in (False, True):
            rc, text = run(unit, strict)
            if "Unhandled exception" in text:
                if not strict:
                    aborted.append(norm(unit))
                # file by file, so that one file's crash is that file's error only
                for dirpath, _, fns in os.walk(unit):
                    for fn in sorted(fns):
                        fp = os.path.join(dirpath, fn)
                        rc1, t1 = run(fp, strict)
                        if "Unhandled exception" in t1:
                            if not strict:
                                files[norm(fp)]["errors"].append("picklescan: unhandled exception")
                                scanned.add(norm(fp))
                            continue
                        parse(t1, strict)
                continue
            rcs[rc] += 1
            parse(text, strict)
    files["__scanned__"] = scanned
    tails.append(f"folders where a folder scan aborted (unhandled exception): {aborted}")
    return files, dict(rcs), "\n".join(tails)


def peer_modelscan(venv, timeout):
    out = os.path.join(RESULTS, "modelscan-raw.json")
    if os.path.exists(out):
        os.remove(out)
    cmd = [os.path.join(venv, "bin", "modelscan"), "-p", CORPUS, "-r", "json", "-o", out]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=PEER_ENV, cwd="/")
    files = collections.defaultdict(lambda: {"issues": [], "errors": [], "scanned": True})
    try:
        rep = json.load(open(out))
    except (OSError, ValueError) as e:
        raise RuntimeError(f"no JSON report (exit {p.returncode}): {e}; {(p.stdout + p.stderr)[-500:]}") from e
    for iss in rep.get("issues", []):
        src = iss.get("source", "")
        src = src.split(":", 1)[0] if not os.path.exists(src) else src
        files[norm(src)]["issues"].append({"rule": f"{iss.get('severity')} {iss.get('operator', '')}".strip(),
                                           "detail": f"{iss.get('module', '')}.{iss.get('operator', '')} ({iss.get('scanner', '')})",
                                           "blocking": True})
    for e in rep.get("errors", []):
        src = e.get("source") or ""
        files[norm(src)]["errors"].append(f"{e.get('category', '')}: {e.get('description', e.get('message', ''))}"[:300])
    summ = rep.get("summary", {})
    for s in (summ.get("skipped", {}) or {}).get("skipped_files", []) or []:
        src = s.get("source", "") if isinstance(s, dict) else str(s)
        files[norm(src)]["scanned"] = False
    scanned = set()
    for s in (summ.get("scanned", {}) or {}).get("scanned_files", []) or []:
        s = s if isinstance(s, str) else s.get("source", "")
        scanned.add(norm(s.split(":", 1)[0] if not os.path.exists(s) else s))
    files["__scanned__"] = scanned
    return files, p.returncode, (p.stdout + p.stderr)[-2000:]


def peer_modelaudit(venv, timeout):
    out = os.path.join(RESULTS, "modelaudit-raw.json")
    if os.path.exists(out):
        os.remove(out)
    cmd = [os.path.join(venv, "bin", "modelaudit"), "scan", "--no-cache", "-f", "json", "-o", out, CORPUS]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=PEER_ENV, cwd="/")
    files = collections.defaultdict(lambda: {"issues": [], "errors": [], "scanned": True})
    try:
        rep = json.load(open(out))
    except (OSError, ValueError) as e:
        raise RuntimeError(f"no JSON report (exit {p.returncode}): {e}; {(p.stdout + p.stderr)[-500:]}") from e
    for iss in rep.get("issues", []):
        loc = iss.get("location") or (iss.get("details") or {}).get("path") or ""
        loc = re.split(r" \(|:(?=[^/]*$)", loc)[0] if not os.path.exists(loc) else loc
        sev = str(iss.get("severity", "")).lower()
        if sev == "debug":
            continue
        key = norm(loc)
        det = iss.get("details") if isinstance(iss.get("details"), dict) else {}
        if sev in ("error",) or iss.get("type") == "error" or det.get("operational_error"):
            files[key]["errors"].append(iss.get("message", "")[:300])
            continue
        files[key]["issues"].append({"rule": f"{sev} {iss.get('rule_code') or iss.get('type') or ''}".strip(),
                                     "detail": str(iss.get("message", ""))[:300], "blocking": sev in ("warning", "critical", "high", "medium")})
    scanned = set()
    for a in rep.get("assets", []) or []:
        pth = a.get("path") if isinstance(a, dict) else None
        if pth and a.get("type") not in (None, "unknown", "skipped"):
            scanned.add(norm(pth))
    files["__scanned__"] = scanned
    return files, p.returncode, (p.stdout + p.stderr)[-2000:]


def attribute(targets, files):
    """Per target: the issues of every file at or under its path."""
    scanned_set = files.pop("__scanned__", None)
    recs = []
    keys = sorted(files)
    skeys = sorted(scanned_set) if scanned_set is not None else None
    for t in targets:
        rel = t["rel"]
        mine = [k for k in keys if k == rel or k.startswith(rel + "/")]
        issues, errors = [], []
        scanned = False
        for k in mine:
            issues += [dict(i, file=k) for i in files[k]["issues"]]
            errors += files[k]["errors"]
            scanned = scanned or files[k]["scanned"]
        if errors and not issues:
            v = "error"
        elif any(i["blocking"] for i in issues):
            v = "blocked"
        elif issues:
            v = "warned"
        elif skeys is not None and not any(k == rel or k.startswith(rel + "/") for k in skeys):
            v = "unscanned"
        else:
            v = "passed"
        recs.append({"rel": rel, "verdict": v, "findings": [{"rule": i["rule"], "message": i["detail"], "blocking": i["blocking"],
                                                              "severity": "block" if i["blocking"] else "note", "file": i["file"]}
                                                             for i in issues], "error": "; ".join(errors)[:500] or None})
    return recs


def make_sample(targets, per_family):
    """A smaller corpus for a slow tool: the first N targets (in sorted order) of each source/family/format group,
    hard-linked under SWEEP/sample-N with the same relative paths."""
    global CORPUS
    root = os.path.join(SWEEP, f"sample-{per_family}")
    if os.path.isdir(root):
        shutil.rmtree(root)
    groups = collections.defaultdict(list)
    for t in sorted(targets, key=lambda t: t["rel"]):
        groups[(t["source"], t["family"], t["format"])].append(t)
    chosen = [t for g in groups.values() for t in g[:per_family]]
    for t in chosen:
        src = os.path.join(CORPUS, t["rel"])
        paths = [src] if os.path.isfile(src) else [os.path.join(dp, f) for dp, _, fs in os.walk(src) for f in fs]
        for p in paths:
            d = os.path.join(root, os.path.relpath(p, CORPUS))
            os.makedirs(os.path.dirname(d), exist_ok=True)
            if not os.path.exists(d):
                os.link(p, d)
    CORPUS = root
    return chosen


def cmd_peer(args):
    targets = load_targets()
    fn = {"picklescan": peer_picklescan, "modelscan": peer_modelscan, "modelaudit": peer_modelaudit}[args.tool]
    if args.sample:
        targets = make_sample(targets, args.sample)
        log(f"{args.tool}: sample of {len(targets)} targets ({args.sample} per source/family/format) in {CORPUS}")
    start = time.monotonic()
    try:
        files, rc, tail = fn(args.venv, args.timeout)
    except FileNotFoundError as e:
        log(f"{args.tool}: not installed ({e})")
        return
    except subprocess.TimeoutExpired:
        log(f"{args.tool}: time-out after {args.timeout} s")
        return
    except RuntimeError as e:
        log(f"{args.tool}: {e}")
        return
    secs = time.monotonic() - start
    recs = attribute(targets, files)
    for r in recs:
        r["sample"] = args.sample or 0
    with open(os.path.join(RESULTS, f"{args.tool}.jsonl"), "w") as f:
        for r in recs:
            f.write(json.dumps(r) + "\n")
    with open(os.path.join(RESULTS, f"{args.tool}.run.txt"), "w") as f:
        f.write(f"exit {rc}, {secs:.1f} s, on {CORPUS} ({len(targets)} targets)\n{tail}\n")
    log(f"{args.tool}: exit {rc} in {secs:.1f} s; {len(files)} files with output")


# ------------------------------------------------------------------ report

VERDICTS = ("passed", "warned", "blocked", "error")


def load_results(tool):
    p = os.path.join(RESULTS, f"{tool}.jsonl")
    if not os.path.exists(p):
        return None
    with open(p) as f:
        return {r["rel"]: r for r in map(json.loads, f)}


def table(targets, res, key, title):
    groups = collections.OrderedDict()
    for t in sorted(targets, key=lambda t: t[key]):
        groups.setdefault(t[key], collections.Counter())
        r = res.get(t["rel"])
        groups[t[key]]["targets"] += 1
        groups[t[key]][r["verdict"] if r else "missing"] += 1
    lines = [f"| {title} | targets | passed | warned | blocked | errors | not scanned |", "|---|---:|---:|---:|---:|---:|---:|"]
    tot = collections.Counter()
    for g, c in groups.items():
        tot.update(c)
        lines.append(f"| {g} | {c['targets']} | {c['passed']} | {c['warned']} | {c['blocked']} | {c['error'] + c['missing']} | "
                     f"{c['unscanned']} |")
    lines.append(f"| **all** | **{tot['targets']}** | **{tot['passed']}** | **{tot['warned']}** | **{tot['blocked']}** | "
                 f"**{tot['error'] + tot['missing']}** | **{tot['unscanned']}** |")
    return "\n".join(lines)


def finding_class(f, t):
    """A class of finding: rule + the top-level package it names (or the target's family)."""
    m = re.search(r"(?:imports?|references|instance of) ([A-Za-z_][\w.]*)", f["message"])
    if m:
        name = m.group(1)
        top = name.split(".")[0]
        cls = f"{top}.*" if "." in name else name
        return cls, name
    return f"family {t['family']}", ""


def cmd_report(args):
    targets = load_targets()
    by_rel = {t["rel"]: t for t in targets}
    out = []
    out.append(f"# Benign sweep: {len(targets)} targets, "
               f"{len({t['format'] for t in targets})} formats, {len({t['family'] for t in targets})} families\n")
    for tool in TOOLS:
        res = load_results(tool)
        if res is None:
            continue
        note = " (scans only pickles: every other format is passed unscanned)" if tool == "picklescan" else ""
        tt = targets
        sample = max((r.get("sample", 0) for r in res.values()), default=0)
        if sample:
            tt = [t for t in targets if t["rel"] in res]
            note += (f" — on a SAMPLE of {len(tt)} targets (the first {sample} of each source/family/format group): "
                     "the whole corpus takes it longer than this run allowed")
        out.append(f"## {tool}{note}\n")
        out.append(table(tt, res, "source", "source") + "\n")
        out.append(table(tt, res, "format", "format") + "\n")
        if args.families:
            out.append(table(tt, res, "family", "family") + "\n")
        # details
        det = collections.defaultdict(list)
        for rel, r in res.items():
            t = by_rel.get(rel)
            if t is None:
                continue
            for f in r["findings"]:
                det[(f["rule"], "block" if f["blocking"] else "low")].append((t, f))
            if r.get("error"):
                det[("ERROR", "error")].append((t, {"message": r["error"], "file": rel}))
        with open(os.path.join(RESULTS, f"{tool}-details.md"), "w") as fh:
            fh.write(f"# {tool}: every finding, grouped by rule\n\n")
            for (rule, lvl), items in sorted(det.items(), key=lambda kv: (kv[0][1] != "block", kv[0][0])):
                fh.write(f"## {rule} ({lvl}): {len(items)} findings in {len({t['rel'] for t, _ in items})} targets\n\n")
                for t, f in sorted(items, key=lambda x: x[0]["rel"]):
                    fh.write(f"- `{f.get('file', t['rel'])}` [{t['source']}/{t['family']}/{t['format']}] "
                             f"{f.get('severity', '')} {f.get('name', '')}: {f['message']}\n")
                fh.write("\n")
    md = "\n".join(out)
    with open(os.path.join(RESULTS, "tables.md"), "w") as fh:
        fh.write(md + "\n")
    print(md)
    # modelvet's blocking findings by class, for the notes
    res = load_results("modelvet")
    if res is not None and args.classes:
        cls = collections.defaultdict(lambda: {"targets": set(), "examples": [], "names": collections.Counter()})
        low = collections.defaultdict(lambda: {"targets": set(), "names": collections.Counter()})
        for rel, r in res.items():
            t = by_rel.get(rel)
            if t is None:
                continue
            for f in r["findings"]:
                c, name = finding_class(f, t)
                key = (f["rule"], f["name"], f["severity"], c)
                d = cls[key] if f["blocking"] else low[key]
                d["targets"].add(rel)
                if name:
                    d["names"][name] += 1
                if f["blocking"] and len(d["examples"]) < 3:
                    d["examples"].append(f"`{f['file']}`: {f['message'][:200]}")
        lines = []
        nblock = sum(1 for r in res.values() if r["verdict"] == "blocked")
        nerr = sum(1 for r in res.values() if r["verdict"] == "error")
        lines.append(f"Blocked targets: {nblock} of {len(res)}; errors: {nerr}.\n")
        lines.append("### Blocking findings by rule and class\n")
        lines.append("| rule | severity | class | targets | names (count) |")
        lines.append("|---|---|---|---:|---|")
        for key, d in sorted(cls.items(), key=lambda kv: -len(kv[1]["targets"])):
            names = ", ".join(f"{n} ({c})" for n, c in d["names"].most_common(8))
            lines.append(f"| {key[0]} {key[1]} | {key[2]} | {key[3]} | {len(d['targets'])} | {names} |")
        lines.append("\nExamples:\n")
        for key, d in sorted(cls.items(), key=lambda kv: -len(kv[1]["targets"])):
            lines.append(f"- **{key[0]} {key[3]}**: " + " / ".join(d["examples"]))
        lines.append("\n### Non-blocking findings by rule and class\n")
        lines.append("| rule | severity | class | targets | names (count) |")
        lines.append("|---|---|---|---:|---|")
        for key, d in sorted(low.items(), key=lambda kv: -len(kv[1]["targets"])):
            names = ", ".join(f"{n} ({c})" for n, c in d["names"].most_common(8))
            lines.append(f"| {key[0]} {key[1]} | {key[2]} | {key[3]} | {len(d['targets'])} | {names} |")
        errs = [(rel, r["error"]) for rel, r in res.items() if r["verdict"] == "error"]
        if errs:
            lines.append("\n### Errors\n")
            for rel, e in errs[:40]:
                lines.append(f"- `{rel}`: {e}")
        with open(os.path.join(RESULTS, "modelvet-classes.md"), "w") as fh:
            fh.write("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("corpus")
    m = sub.add_parser("modelvet")
    m.add_argument("--bin", required=True)
    m.add_argument("--jobs", type=int, default=2)
    m.add_argument("--timeout", type=int, default=120)
    m.add_argument("--fail-on", default=None)
    p = sub.add_parser("peer")
    p.add_argument("tool", choices=("picklescan", "modelscan", "modelaudit"))
    p.add_argument("--venv", default="/opt/mv-peers-venv")
    p.add_argument("--timeout", type=int, default=7200)
    p.add_argument("--sample", type=int, default=0, help="scan only N targets per source/family/format (slow tools)")
    r = sub.add_parser("report")
    r.add_argument("--families", action="store_true", help="also a table per family (library)")
    r.add_argument("--classes", action="store_true", help="write results/modelvet-classes.md")
    args = ap.parse_args()
    {"corpus": cmd_corpus, "modelvet": cmd_modelvet, "peer": cmd_peer, "report": cmd_report}[args.cmd](args)


if __name__ == "__main__":
    main()
