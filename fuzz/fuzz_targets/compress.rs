#![no_main]
//! Sniffs arbitrary bytes, then decodes them with the codec chosen by the
//! first byte (so every codec is reached, not only the sniffed ones).

use std::io::Read;

use libfuzzer_sys::fuzz_target;
use modelvet_formats::Limits;
use modelvet_formats::compress::{Codec, decompress, sniff};
use modelvet_formats::container::Budget;

const CODECS: [Codec; 7] =
    [Codec::Gzip, Codec::Zlib, Codec::Bzip2, Codec::Xz, Codec::LzmaAlone, Codec::Zstd, Codec::Lz4Frame];

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_decompressed_bytes: 64 << 20, ..Limits::default() };
    let budget = Budget::new(256 << 20);
    let _ = sniff(data);
    let Some((&pick, rest)) = data.split_first() else { return };
    let codec = CODECS[usize::from(pick) % CODECS.len()];
    if let Ok((mut spool, len, _)) = decompress(codec, &mut &rest[..], rest.len() as u64, &limits, &budget) {
        let mut out = Vec::new();
        let _ = spool.read_to_end(&mut out);
        assert_eq!(out.len() as u64, len);
    }
});
