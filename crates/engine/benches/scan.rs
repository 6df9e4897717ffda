//! Micro-benchmarks of the scanning engine on in-memory inputs:
//! `cargo bench -p modelvet-engine`. Whole-process comparisons with the Python
//! scanners are in `bench/compare.sh` (see BENCHMARKS.md).

use divan::counter::BytesCount;
use modelvet_engine::{Options, Scanner};

fn main() {
    divan::main();
}

/// A protocol-4 pickle of one `bytes` object of `n` bytes.
fn bytes_pickle(n: usize) -> Vec<u8> {
    let mut p = vec![0x80, 4, 0x8e];
    p.extend_from_slice(&(n as u64).to_le_bytes());
    p.extend((0..n).map(|i| (i * 31 % 251) as u8));
    p.push(b'.');
    p
}

/// A protocol-2 pickle of `list(range(n))`: about `n` opcodes.
fn int_list_pickle(n: u32) -> Vec<u8> {
    let mut p = vec![0x80, 2, b']', b'q', 0];
    for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
        p.push(b'(');
        for &i in chunk {
            p.push(b'J');
            p.extend_from_slice(&(i as i32).to_le_bytes());
        }
        p.push(b'e');
    }
    p.push(b'.');
    p
}

#[divan::bench(args = [1 << 20, 64 << 20])]
fn raw_bytes_pickle(bencher: divan::Bencher, n: usize) {
    let data = bytes_pickle(n);
    let scanner = Scanner::new(Options::default());
    bencher.counter(BytesCount::new(data.len())).bench(|| scanner.scan_bytes("bytes.pkl", divan::black_box(&data)));
}

#[divan::bench(args = [100_000, 1_000_000])]
fn opcode_heavy_pickle(bencher: divan::Bencher, n: u32) {
    let data = int_list_pickle(n);
    let scanner = Scanner::new(Options::default());
    bencher.counter(BytesCount::new(data.len())).bench(|| scanner.scan_bytes("ints.pkl", divan::black_box(&data)));
}

#[divan::bench]
fn pytorch_state_dict(bencher: divan::Bencher) {
    let data =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/benign/torch/checkpoint_adam.pt")).unwrap();
    let scanner = Scanner::new(Options::default());
    bencher.counter(BytesCount::new(data.len())).bench(|| scanner.scan_bytes("model.pt", divan::black_box(&data)));
}

/// A protocol-4 pickle shaped like a dictionary file (pykakasi's
/// `kanwadict4.db`): `n` text keys, each mapping to a list of (text, None)
/// pairs, every object memoized. Plain data: the shape pass's fast path.
fn dict_pickle(n: u32) -> Vec<u8> {
    let mut body = vec![b'}', 0x94, b'('];
    let text = |out: &mut Vec<u8>, s: &str| {
        out.push(0x8c);
        out.push(s.len() as u8);
        out.extend_from_slice(s.as_bytes());
        out.push(0x94);
    };
    for i in 0..n {
        text(&mut body, &format!("\u{6f22}\u{5b57}{i}"));
        body.extend([b']', 0x94]);
        for j in 0..2 {
            text(&mut body, &format!("\u{304b}\u{3093}{j}"));
            body.extend([b'N', 0x86, 0x94, b'a']);
        }
        if i % 1000 == 999 {
            body.extend([b'u', b'(']);
        }
    }
    body.extend([b'u', b'.']);
    let mut p = vec![0x80, 4, 0x95];
    p.extend_from_slice(&(body.len() as u64).to_le_bytes());
    p.extend(body);
    p
}

#[divan::bench(args = [100_000])]
fn plain_data_dict_pickle(bencher: divan::Bencher, n: u32) {
    let data = dict_pickle(n);
    let scanner = Scanner::new(Options::default());
    bencher.counter(BytesCount::new(data.len())).bench(|| scanner.scan_bytes("dict.db", divan::black_box(&data)));
}

/// CRC-32 (IEEE), bit by bit: the benchmark's archive must check out.
fn crc32(data: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 { (c >> 1) ^ 0xedb8_8320 } else { c >> 1 };
        }
    }
    !c
}

/// A `torch.save`-shaped archive: `data.pkl` and `tensors` stored members of
/// `size` bytes each, as a checkpoint of that many weights is laid out.
fn checkpoint_zip(tensors: usize, size: usize) -> Vec<u8> {
    let mut members: Vec<(String, Vec<u8>)> = vec![("archive/data.pkl".into(), int_list_pickle(1000))];
    for t in 0..tensors {
        members.push((format!("archive/data/{t}"), (0..size).map(|i| ((i * 7 + t) % 251) as u8).collect()));
    }
    let (mut out, mut central) = (Vec::new(), Vec::new());
    for (name, data) in &members {
        let (offset, crc) = (out.len() as u32, crc32(data));
        let fixed = |sig: &[u8], out: &mut Vec<u8>| {
            out.extend_from_slice(sig);
            out.extend([20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            out.extend(crc.to_le_bytes());
            out.extend((data.len() as u32).to_le_bytes());
            out.extend((data.len() as u32).to_le_bytes());
            out.extend((name.len() as u16).to_le_bytes());
        };
        fixed(b"PK\x03\x04", &mut out);
        out.extend([0, 0]);
        out.extend(name.as_bytes());
        out.extend(data);
        central.extend(b"PK\x01\x02\x14\x00");
        fixed(b"", &mut central);
        central.extend([0u8; 12]);
        central.extend(offset.to_le_bytes());
        central.extend(name.as_bytes());
    }
    let (cd_offset, cd_len, n) = (out.len() as u32, central.len() as u32, members.len() as u16);
    out.extend(central);
    out.extend(b"PK\x05\x06\x00\x00\x00\x00");
    out.extend(n.to_le_bytes());
    out.extend(n.to_le_bytes());
    out.extend(cd_len.to_le_bytes());
    out.extend(cd_offset.to_le_bytes());
    out.extend([0, 0]);
    out
}

/// A 100 MB checkpoint on disk (400 tensors of 256 KiB): what a scan reads of
/// it (the pickle, each member's header and first bytes) and not its weights.
#[divan::bench(sample_count = 20)]
fn checkpoint_file_400_tensors(bencher: divan::Bencher) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.pt");
    let data = checkpoint_zip(400, 256 << 10);
    std::fs::write(&path, &data).unwrap();
    let scanner = Scanner::new(Options::default());
    let report = scanner.scan_file(&path).unwrap();
    assert!(report.findings.is_empty(), "{:?}", report.findings);
    bencher.counter(BytesCount::new(data.len())).bench(|| scanner.scan_file(divan::black_box(&path)));
}
