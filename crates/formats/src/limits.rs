//! Bounds that every parser honours, so that no length field, nesting level or
//! compression ratio in an untrusted file can make a scan allocate, recurse or
//! run without limit. Hitting a bound is never silent: the caller reports it.

/// Resource limits for one scan. Every parser receives them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest file (or decompressed member) that is scanned at all.
    pub max_file_bytes: u64,
    /// How deep containers may nest (zip in tar in gzip …), and nested pickles.
    pub max_depth: u32,
    /// Most entries read from one archive.
    pub max_entries: u64,
    /// Most bytes one compressed stream or member may expand to.
    pub max_decompressed_bytes: u64,
    /// Most bytes all decompression within one target may produce.
    pub max_total_decompressed_bytes: u64,
    /// Largest ratio of decompressed to compressed size before a member is a bomb.
    pub max_ratio: u64,
    /// Most memo entries the pickle machine keeps values for.
    pub max_memo_entries: usize,
    /// Longest string or bytes operand kept in memory; longer ones are kept as a
    /// prefix plus their file offset.
    pub max_inline_bytes: usize,
    /// Most items of a container value kept for evidence and analysis.
    pub max_container_items: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_file_bytes: 256 << 30,
            max_depth: 10,
            max_entries: 100_000,
            max_decompressed_bytes: 8 << 30,
            max_total_decompressed_bytes: 32 << 30,
            max_ratio: 1_000,
            max_memo_entries: 1 << 20,
            max_inline_bytes: 16 << 20,
            max_container_items: 256,
        }
    }
}
