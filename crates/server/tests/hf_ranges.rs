//! `scan hf://` by HTTP ranges: a file scanned from the ranges the scanner
//! asked for is judged exactly as the whole file (same format, same
//! findings), for every safetensors and GGUF fixture, benign and malicious,
//! and for ONNX external data; it reads far fewer bytes; a server that
//! ignores `Range` still gives the same verdicts.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{fixture, repo_root};
use modelvet_engine::{Options, Scanner, TargetReport};
use modelvet_server::hf::{DownloadLimits, HfTarget, download, download_temp};
use modelvet_testhub::{Repo, TestHub};

/// Every safetensors and GGUF fixture (`rel` from `fixtures/`), with the
/// name it gets in the test repository.
fn header_fixtures() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for class in ["benign", "malicious", "suspicious", "regressions"] {
        let mut stack = vec![repo_root().join("fixtures").join(class)];
        while let Some(dir) = stack.pop() {
            let Ok(rd) = std::fs::read_dir(&dir) else { continue };
            for e in rd.filter_map(Result::ok) {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                    continue;
                }
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                let plain = name.trim_end_matches(".hex");
                if plain.ends_with(".safetensors") || plain.ends_with(".gguf") {
                    let rel = p.strip_prefix(repo_root().join("fixtures")).unwrap().to_string_lossy().into_owned();
                    out.push((rel.clone(), format!("{class}/{}", plain.replace(' ', "_"))));
                }
            }
        }
    }
    out.sort();
    out
}

/// (format, findings) of a report, without its path.
fn verdict(t: &TargetReport) -> (String, Vec<String>) {
    let mut f: Vec<String> = t
        .findings
        .iter()
        .map(|f| {
            format!("{} {} {} {:?} @{:?}", f.rule.code, f.severity, f.message, f.location.members, f.location.offset)
        })
        .collect();
    f.sort();
    (t.format.clone(), f)
}

/// Verdicts by path in the repository.
type Verdicts = BTreeMap<String, (String, Vec<String>)>;

fn scanner() -> Scanner {
    Scanner::new(Options::default())
}

/// Verdicts of every file downloaded whole, by path in the repository.
fn whole_verdicts(url: &str, target: &HfTarget) -> Verdicts {
    let dir = tempfile::tempdir().unwrap();
    let limits = DownloadLimits { range_reads: false, ..DownloadLimits::default() };
    let snap = download(url, None, target, dir.path(), &limits).unwrap();
    let s = scanner();
    snap.files.iter().map(|p| (p.clone(), verdict(&s.scan_file(&dir.path().join(p)).unwrap()))).collect()
}

/// Verdicts of the files scanned from ranges, the paths read so, and the bytes read.
fn ranged_verdicts(url: &str, target: &HfTarget, limits: &DownloadLimits) -> (Verdicts, Vec<String>, u64, u64) {
    let mut d = download_temp(url, None, target, limits).unwrap();
    let reports = d.scan_ranged(&scanner());
    let root = d.path().to_path_buf();
    let mut out = BTreeMap::new();
    for r in reports {
        let r = r.unwrap();
        let rel = Path::new(&r.path).strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
        out.insert(rel, verdict(&r));
    }
    (out, d.snapshot.ranged.clone(), d.snapshot.bytes_read, d.snapshot.repo_bytes)
}

#[test]
fn header_only_verdicts_equal_whole_file_verdicts() {
    let fixtures = header_fixtures();
    assert!(fixtures.len() >= 30, "fixtures not found: {fixtures:?}");
    let mut repo = Repo::new("acme/headers");
    for (rel, name) in &fixtures {
        repo = repo.file(name, fixture(rel));
    }
    let hub = TestHub::start(vec![repo]).unwrap();
    let target = HfTarget::parse("hf://acme/headers").unwrap().unwrap();
    let whole = whole_verdicts(&hub.url(), &target);
    // Ranges for every file, however small, starting with 16 bytes: headers
    // are read piecewise, over many rounds.
    let limits = DownloadLimits { range_min_file: 0, first_range: 16, ..DownloadLimits::default() };
    let (ranged, by_ranges, read, total) = ranged_verdicts(&hub.url(), &target, &limits);
    assert_eq!(whole.len(), fixtures.len());
    let mut compared = 0;
    for (path, v) in &whole {
        if let Some(r) = ranged.get(path) {
            assert_eq!(r, v, "{path}: the header-only verdict differs from the whole file's");
            compared += 1;
        }
    }
    // Every fixture was scanned one way or the other, and most from ranges.
    assert_eq!(compared + (whole.len() - ranged.len()), whole.len());
    assert!(by_ranges.len() * 10 >= fixtures.len() * 8, "only {} of {} by ranges", by_ranges.len(), fixtures.len());
    // The chat-template payloads live in the GGUF header: still blocked.
    for must in [
        "malicious/ssti_named_template.gguf",
        "malicious/ssti_cycler_globals_popen.gguf",
        "malicious/hole_with_pickle.safetensors",
        "malicious/header_beyond_file.safetensors",
        "malicious/tensor_offset_oob.gguf",
    ] {
        let (_, findings) = ranged.get(must).unwrap_or_else(|| panic!("{must} not read by ranges: {by_ranges:?}"));
        assert!(!findings.is_empty(), "{must}: no findings");
        let worst = findings.iter().any(|f| f.contains(" critical ") || f.contains(" high "));
        assert!(worst, "{must}: {findings:?}");
    }
    assert!(read <= total * 2, "read {read} of {total}");
}

/// A safetensors header followed by `data` zero bytes of tensor data.
fn safetensors_with_data(data: usize) -> Vec<u8> {
    let header = format!(r#"{{"w":{{"dtype":"F32","shape":[{}],"data_offsets":[0,{data}]}}}}"#, data / 4);
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header.as_bytes());
    out.resize(out.len() + data, 0);
    out
}

#[test]
fn large_files_are_read_by_their_headers_only_and_onnx_external_data_not_at_all() {
    let weights = safetensors_with_data(8 << 20);
    let gguf = fixture("benign/gguf/llama3_template.gguf");
    let mut big_gguf = gguf.clone();
    big_gguf.resize(gguf.len() + (4 << 20), 0); // the tensor data region
    // An ONNX model whose weights are in `model.onnx.data` (64 bytes needed; 3 MiB there).
    let onnx = fixture("benign/onnx/external_beside.onnx");
    let repo = Repo::new("acme/big")
        .file("config.json", b"{\"model_type\":\"llama\"}".to_vec())
        .file("model.safetensors", weights.clone())
        .file("model.gguf", big_gguf.clone())
        .file("onnx/model.onnx", onnx)
        .file("onnx/model.onnx.data", vec![0u8; 3 << 20]);
    let hub = TestHub::start(vec![repo]).unwrap();
    let target = HfTarget::parse("hf://acme/big").unwrap().unwrap();
    let whole = whole_verdicts(&hub.url(), &target);
    let (ranged, by_ranges, read, total) = ranged_verdicts(&hub.url(), &target, &DownloadLimits::default());
    assert_eq!(by_ranges, vec!["model.safetensors", "model.gguf", "onnx/model.onnx.data"]);
    for (p, v) in &ranged {
        assert_eq!(Some(v), whole.get(p), "{p}");
    }
    assert_eq!(ranged["onnx/model.onnx.data"].0, "onnx-external-data");
    // The whole files (config, ONNX graph) plus one 64 KiB range per large file.
    assert!(read < 300_000, "read {read} bytes of {total}");
    assert!(total > 15 << 20);

    // A server that ignores `Range` answers the whole file: only the first
    // range's bytes are taken and the answer dropped; the verdicts are the same.
    hub.set_ignore_range(true);
    let (again, by_ranges2, read2, _) = ranged_verdicts(&hub.url(), &target, &DownloadLimits::default());
    assert_eq!(again, ranged);
    assert_eq!(by_ranges2, by_ranges);
    assert!(read2 < 8 << 20, "read {read2} bytes from a server ignoring ranges");
}

#[test]
fn a_file_named_safetensors_that_is_not_is_read_whole() {
    // A pickle under a safetensors name: formats are found by content.
    let pickle = fixture("malicious/pickle/inst_os_system.pkl.hex");
    let mut padded = pickle.clone();
    padded.resize(2 << 20, b'\n');
    let repo = Repo::new("acme/liar").file("model.safetensors", padded);
    let hub = TestHub::start(vec![repo]).unwrap();
    let target = HfTarget::parse("hf://acme/liar").unwrap().unwrap();
    let (ranged, by_ranges, _, _) = ranged_verdicts(&hub.url(), &target, &DownloadLimits::default());
    assert!(ranged.is_empty() && by_ranges.is_empty());
    let whole = whole_verdicts(&hub.url(), &target);
    assert!(whole["model.safetensors"].1.iter().any(|f| f.starts_with("PKL")), "{whole:?}");
}
