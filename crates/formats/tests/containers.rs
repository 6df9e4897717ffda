//! Container readers against archives made by real tools (7-Zip 25.01), and
//! regression inputs found by fuzzing (`fuzz/`). Each input is kept as hex.

use std::io::Cursor;

use modelvet_formats::container::{Anomaly, AnomalyKind, Budget, Entry, EntryKind, ReadSeek};
use modelvet_formats::{Limits, compress, sevenz, tar, zip};

type Walk =
    fn(&mut dyn ReadSeek, u64, &Limits, &Budget, &mut dyn FnMut(&Entry, &mut dyn ReadSeek, u64)) -> Vec<Anomaly>;

fn run(walk: Walk, bytes: &[u8]) -> (Vec<(Entry, Vec<u8>)>, Vec<Anomaly>) {
    let limits = Limits { max_decompressed_bytes: 64 << 20, ..Limits::default() };
    let budget = Budget::new(256 << 20);
    let mut seen = Vec::new();
    let a = walk(&mut Cursor::new(bytes), bytes.len() as u64, &limits, &budget, &mut |e, r, n| {
        let mut v = Vec::new();
        r.read_to_end(&mut v).unwrap();
        assert_eq!(v.len() as u64, n, "{}", e.name);
        seen.push((e.clone(), v));
    });
    (seen, a)
}

fn kinds(a: &[Anomaly]) -> Vec<AnomalyKind> {
    a.iter().map(|a| a.kind).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

/// Runs bytes through every reader and codec, as the fuzz targets do.
fn everything(bytes: &[u8]) {
    for walk in [zip::walk as Walk, tar::walk, sevenz::walk] {
        let _ = run(walk, bytes);
    }
    let _ = (zip::sniff(bytes), tar::sniff(bytes), sevenz::sniff(bytes), compress::sniff(bytes));
    if let Some((&pick, rest)) = bytes.split_first() {
        let codecs = [
            compress::Codec::Gzip,
            compress::Codec::Zlib,
            compress::Codec::Bzip2,
            compress::Codec::Xz,
            compress::Codec::LzmaAlone,
            compress::Codec::Zstd,
            compress::Codec::Lz4Frame,
        ];
        let codec = codecs[usize::from(pick) % codecs.len()];
        let limits = Limits { max_decompressed_bytes: 64 << 20, ..Limits::default() };
        let _ = compress::decompress(codec, &mut &rest[..], rest.len() as u64, &limits, &Budget::new(256 << 20));
    }
}

/// `seed_enc.7z`, made by 7-Zip 25.01.
const SEVENZ_AES: &str = concat!(
    "377abcaf271c000463dab23640000000000000007a00000000000000bd8d4069af59106137141aff94a044217e6f2b06",
    "5a918ee853464ba345af21191dc593931db0fb1eaa5f606878e02088abd50f7d63e1f0e4d56dbeb2585d31d9a2220d26",
    "0104060001094000070b0100022406f1070112530f79d98d5621f5330524108d9b6df46eb92121010001000c36808e00",
    "080a01d8c891da000005011900111f006d006f00640065006c002f0064006100740061002e0070006b006c0000001904",
    "00000000140a0100f136501e0f7ddd01150601002080a4810000",
);

/// `seed_solid.7z`, made by 7-Zip 25.01.
const SEVENZ_SOLID_SYMLINK: &str = concat!(
    "377abcaf271c000447eeffebd0000000000000002200000000000000cd41e2ebe000a300415d0040008b29d780a063f7",
    "9026ea38a46f20610ea048b5586161e6c3f180095e790443f2e107a4811bb18c10cd6f74d15eb951864881104f8945b7",
    "951cc298c89949a9000000813307ae0fd2671d3d40c090d2ff7d694d8f18423c66b0c6cc6e2f0ed0bf41f2f3f92e0f7c",
    "b4bd5163a1d047de4352e3dd81f163812ac1f87e50b7d1fe3dd9e1dd4276d9f9e6383ab07b8dafd2ede521b3c064c909",
    "c73a7b26c24cf7a08467d6a50768d0fdd7b0e2d77678eb2b307d8d4501a00bfef54ed3ba81a71e1126d060834fa00000",
    "1706490109808700070b01000123030101055d001000000c80c60a01e1989ddc0000",
);

/// `seed_zipcrypto.zip`, made by 7-Zip 25.01.
const ZIP_ZIPCRYPTO: &str = concat!(
    "504b03041400010008007397795dd8c891da420000008e0000000e0000006d6f64656c2f646174612e706b6cf9c05546",
    "7dcd208c11ba51d92b469c2a2f6d0d5406307c12d6a3fc70162eb32f28159455c458903ccdd0f9ba877453321b5ce717",
    "aeab1833a815809aa10ccf3fb79a504b01023f031400010008007397795dd8c891da420000008e0000000e0024000000",
    "000000002080a481000000006d6f64656c2f646174612e706b6c0a0020000000000001001800f136501e0f7ddd010000",
    "0000000000000000000000000000504b05060000000001000100600000006e0000000000",
);

/// `seed_LZMA.zip`, made by 7-Zip 25.01.
const ZIP_LZMA_7ZIP: &str = concat!(
    "504b03041400000000007397795d000000000000000000000000060000006d6f64656c2f504b03043f0002000e007397",
    "795dd8c891da3d0000008e0000000e0000006d6f64656c2f646174612e706b6c190105005d001000000040008b29d780",
    "a063f79026ea38a46f20610ea048b5586161e6c3f180095e790443f2e107a4811bb18c10a49415ffffdb290000504b03",
    "040a00020000007397795d036b40df1000000010000000080000006d6f64656c2f6c6e2e2e2f2e2e2f6574632f706173",
    "737764504b03040a00020000007397795d082783a10600000006000000070000006d6f64656c2f7474656e736f72504b",
    "01023f031400000000007397795d000000000000000000000000060024000000000000001080ed41000000006d6f6465",
    "6c2f0a0020000000000001001800775f511e0f7ddd0100000000000000000000000000000000504b01023f033f000200",
    "0e007397795dd8c891da3d0000008e0000000e0024000000000000002080a481240000006d6f64656c2f646174612e70",
    "6b6c0a0020000000000001001800f136501e0f7ddd0100000000000000000000000000000000504b01023f030a000200",
    "00007397795d036b40df1000000010000000080024000000000000002080ffa18d0000006d6f64656c2f6c6e0a002000",
    "0000000001001800775f511e0f7ddd0100000000000000000000000000000000504b01023f030a00020000007397795d",
    "082783a10600000006000000070024000000000000002080a481c30000006d6f64656c2f740a00200000000000010018",
    "0037c3501e0f7ddd0100000000000000000000000000000000504b050600000000040004006b010000ee0000000000",
);

/// `seed_xz.zip`, made by 7-Zip 25.01.
const ZIP_XZ_7ZIP: &str = concat!(
    "504b0304140000005f007397795dd8c891da6c0000008e0000000e0000006d6f64656c2f646174612e706b6cfd377a58",
    "5a0000016922de360200210100000000372797d6e0008d002e5d0040008b29d780a063f79026ea38a46f20610ea048b5",
    "586161e6c3f180095e790443f2e107a4811bb18c1047dd6c00000000d8c891da0001468e010000003a543eac3e300d8b",
    "020000000001595a504b01023f03140000005f007397795dd8c891da6c0000008e0000000e0024000000000000002080",
    "a481000000006d6f64656c2f646174612e706b6c0a0020000000000001001800f136501e0f7ddd010000000000000000",
    "0000000000000000504b0506000000000100010060000000980000000000",
);

#[test]
fn seven_zip_aes_is_encrypted() {
    let (seen, a) = run(sevenz::walk, &unhex(SEVENZ_AES));
    assert!(seen.is_empty());
    assert_eq!(kinds(&a), vec![AnomalyKind::Encrypted]);
}

#[test]
fn seven_zip_solid_with_symlink() {
    let (seen, a) = run(sevenz::walk, &unhex(SEVENZ_SOLID_SYMLINK));
    assert_eq!(kinds(&a), vec![AnomalyKind::Link, AnomalyKind::PathTraversal]);
    let names: Vec<_> = seen.iter().map(|s| s.0.name.as_str()).collect();
    assert_eq!(names, vec!["model/data.pkl", "model/ln", "model/t"]);
    assert_eq!(seen[1].0.kind, EntryKind::Symlink { target: "../../etc/passwd".into() });
    assert!(seen[0].1.starts_with(b"\x80\x02"));
}

#[test]
fn zipcrypto_member_is_encrypted() {
    let (seen, a) = run(zip::walk, &unhex(ZIP_ZIPCRYPTO));
    assert!(seen.is_empty());
    assert!(kinds(&a).contains(&AnomalyKind::FlagBits));
    assert!(kinds(&a).contains(&AnomalyKind::Encrypted));
}

#[test]
fn seven_zip_made_zips_decode() {
    let (seen, a) = run(zip::walk, &unhex(ZIP_LZMA_7ZIP));
    assert_eq!(kinds(&a), vec![AnomalyKind::Link, AnomalyKind::PathTraversal]);
    assert_eq!(seen.len(), 3);
    assert!(seen[0].1.starts_with(b"\x80\x02") && seen[0].1.ends_with(b"."));
    let (seen, a) = run(zip::walk, &unhex(ZIP_XZ_7ZIP));
    assert!(a.is_empty(), "{a:?}");
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].1.len(), 142);
}

#[test]
fn real_archives_survive_every_reader() {
    for h in [SEVENZ_AES, SEVENZ_SOLID_SYMLINK, ZIP_ZIPCRYPTO, ZIP_LZMA_7ZIP, ZIP_XZ_7ZIP] {
        everything(&unhex(h));
    }
}
