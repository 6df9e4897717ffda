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
