//! Shared by the archive fuzz targets: walk arbitrary bytes with one reader,
//! reading every member through so every decompression path runs.

use std::io::Cursor;

use modelvet_formats::Limits;
use modelvet_formats::container::{Anomaly, Budget, Entry, ReadSeek};

type Walk = fn(&mut dyn ReadSeek, u64, &Limits, &Budget, &mut dyn FnMut(&Entry, &mut dyn ReadSeek, u64)) -> Vec<Anomaly>;

pub fn walk_all(data: &[u8], sniff: fn(&[u8]) -> bool, walk: Walk) {
    let limits = Limits {
        max_decompressed_bytes: 64 << 20,
        max_total_decompressed_bytes: 256 << 20,
        max_entries: 10_000,
        ..Limits::default()
    };
    let budget = Budget::new(limits.max_total_decompressed_bytes);
    let _ = sniff(data);
    let mut src = Cursor::new(data);
    let mut buf = vec![0u8; 64 << 10];
    let _ = walk(&mut src, data.len() as u64, &limits, &budget, &mut |_, r, _| {
        while let Ok(n) = r.read(&mut buf) {
            if n == 0 {
                break;
            }
        }
    });
}
