//! `modelvet sign` and `modelvet verify`, and interoperability with the
//! reference tool, `model_signing` 1.1.1 (OpenSSF Model Signing), in both
//! directions and in key and certificate mode.
//!
//! The reference tool is found through `MODELVET_MODEL_SIGNING` (its
//! `model_signing` script inside a virtualenv; `.ci/run` installs it pinned
//! from PyPI and sets `MODELVET_REQUIRE_MODEL_SIGNING=1`). Without it the
//! interop checks print a notice and skip; the modelvet-only round trips still
//! run. Keys and certificates are generated here, in Rust.
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt as _;
use p256::pkcs8::{EncodePrivateKey as _, EncodePublicKey as _, LineEnding};

fn modelvet() -> Command {
    Command::cargo_bin("modelvet").unwrap()
}

/// The reference `model_signing` CLI, or `None` (with a notice) when absent.
fn reference() -> Option<PathBuf> {
    let tool = std::env::var_os("MODELVET_MODEL_SIGNING").map(PathBuf::from).filter(|p| p.is_file());
    if tool.is_none() {
        assert!(
            std::env::var_os("MODELVET_REQUIRE_MODEL_SIGNING").is_none(),
            "MODELVET_REQUIRE_MODEL_SIGNING is set but MODELVET_MODEL_SIGNING does not name the model_signing script"
        );
        eprintln!(
            "skipped: interop with the reference tool; set MODELVET_MODEL_SIGNING to model_signing from \
             `pip install model-signing==1.1.1 pyopenssl` (.ci/run installs it)"
        );
    }
    tool
}

struct Run {
    ok: bool,
    out: String,
}

fn run(mut cmd: Command) -> Run {
    let o = cmd.output().unwrap();
    let out = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    match o.status.code() {
        Some(0) => Run { ok: true, out },
        Some(1) => Run { ok: false, out },
        other => panic!("{cmd:?} exited with {other:?}:\n{out}"),
    }
}

#[derive(Clone, Copy, Debug)]
enum Curve {
    P256,
    P384,
    P521,
}

/// Writes `private.pem` and `public.pem` for a fresh key; returns their paths.
fn keypair(dir: &Path, curve: Curve, tag: &str) -> (PathBuf, PathBuf) {
    let mut rng = rand_core::OsRng;
    let (private, public) = match curve {
        Curve::P256 => {
            let k = p256::SecretKey::random(&mut rng);
            (
                k.to_pkcs8_pem(LineEnding::LF).unwrap().to_string(),
                k.public_key().to_public_key_pem(LineEnding::LF).unwrap(),
            )
        }
        Curve::P384 => {
            let k = p384::SecretKey::random(&mut rng);
            (
                k.to_pkcs8_pem(LineEnding::LF).unwrap().to_string(),
                k.public_key().to_public_key_pem(LineEnding::LF).unwrap(),
            )
        }
        Curve::P521 => {
            let k = p521::SecretKey::random(&mut rng);
            (
                k.to_pkcs8_pem(LineEnding::LF).unwrap().to_string(),
                k.public_key().to_public_key_pem(LineEnding::LF).unwrap(),
            )
        }
    };
    let (a, b) = (dir.join(format!("{tag}-private.pem")), dir.join(format!("{tag}-public.pem")));
    std::fs::write(&a, private).unwrap();
    std::fs::write(&b, public).unwrap();
    (a, b)
}

fn write(dir: &Path, rel: &str, data: &[u8]) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, data).unwrap();
}

/// A model exercising names and order: nested folders, dotfiles, an empty
/// file, `a/b` vs `a.b` (component order), unicode names, git files.
fn varied_model(dir: &Path) -> PathBuf {
    let m = dir.join("varied-model");
    write(&m, "README.md", b"---\nlicense: apache-2.0\n---\n# tiny\n");
    write(&m, "a/b", b"x");
    write(&m, "a.b", b"y");
    write(&m, "a-b", b"z");
    write(&m, "config.json", b"{\"hidden_size\":4}\n");
    write(&m, "empty.bin", b"");
    write(&m, ".hidden/.dotfile", b"dot");
    write(&m, "deep/er/still/weights.bin", &[7u8; 70_000]);
    write(&m, "t\u{e9}l\u{e9}chargement/\u{6a21}\u{578b}.bin", "\u{1f600}".as_bytes());
    write(&m, ".gitattributes", b"*.bin filter=lfs\n");
    write(&m, ".git/HEAD", b"ref: refs/heads/main\n");
    m
}

fn single_file_model(dir: &Path) -> PathBuf {
    let f = dir.join("model.safetensors");
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(&f, b"\x10\0\0\0\0\0\0\0{\"__metadata__\":{}}").unwrap();
    f
}

fn ms_sign_key(tool: &Path, model: &Path, key: &Path, sig: &Path, ignore: &[&Path]) {
    let mut c = Command::new(tool);
    c.args(["sign", "key"]).arg(model).arg("--private_key").arg(key).arg("--signature").arg(sig);
    for i in ignore {
        c.arg("--ignore-paths").arg(i);
    }
    let r = run(c);
    assert!(r.ok, "model_signing sign failed: {}", r.out);
}

fn ms_verify_key(tool: &Path, model: &Path, key: &Path, sig: &Path, extra: &[&str]) -> Run {
    let mut c = Command::new(tool);
    c.args(["verify", "key"]).arg(model).arg("--public_key").arg(key).arg("--signature").arg(sig).args(extra);
    run(c)
}

fn mv_sign(model: &Path, key: &Path, sig: &Path, extra: &[&std::ffi::OsStr]) {
    let r = run({
        let mut c = modelvet();
        c.arg("sign").arg(model).arg("--key").arg(key).arg("--signature").arg(sig).args(extra);
        c
    });
    assert!(r.ok, "modelvet sign failed: {}", r.out);
}

fn mv_verify(model: &Path, trust: (&str, &Path), sig: &Path, extra: &[&str]) -> Run {
    let mut c = modelvet();
    c.arg("verify").arg(model).arg(trust.0).arg(trust.1).arg("--signature").arg(sig).args(extra);
    run(c)
}

#[test]
fn round_trip_and_every_difference_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (private, public) = keypair(dir.path(), Curve::P256, "k");
    let model = varied_model(dir.path());
    let sig = dir.path().join("varied.sig");
    mv_sign(&model, &private, &sig, &[]);
    let r = mv_verify(&model, ("--key", &public), &sig, &[]);
    assert!(r.ok && r.out.contains("verified: 9 files signed by P-256 key sha256:"), "{}", r.out);

    // A changed file, with both digests.
    write(&model, "a.b", b"Y");
    write(&model, "extra.txt", b"new");
    std::fs::remove_file(model.join("empty.bin")).unwrap();
    let r = mv_verify(&model, ("--key", &public), &sig, &[]);
    assert!(!r.ok, "{}", r.out);
    assert!(r.out.contains("3 differences"), "{}", r.out);
    assert!(
        r.out.contains(
            "changed: a.b: expected sha256 a1fce4363854ff888cff4b8e7875d600c2682390412a8cf79b37d0b11148b0fa, found"
        ),
        "{}",
        r.out
    );
    assert!(r.out.contains("extra file (not signed): extra.txt"), "{}", r.out);
    assert!(r.out.contains("missing file (signed, not found): empty.bin"), "{}", r.out);
    // Unsigned files may be ignored; the change and the missing file still fail.
    let r = mv_verify(&model, ("--key", &public), &sig, &["--ignore-unsigned-files"]);
    assert!(!r.ok && !r.out.contains("extra.txt") && r.out.contains("missing file"), "{}", r.out);
}

#[test]
fn wrong_key_payload_edit_and_symlink_fail() {
    let dir = tempfile::tempdir().unwrap();
    let (private, public) = keypair(dir.path(), Curve::P384, "k");
    let (_, other_public) = keypair(dir.path(), Curve::P384, "other");
    let model = varied_model(dir.path());
    let sig = model.join("model.sig");
    mv_sign(&model, &private, &sig, &[]);
    assert!(mv_verify(&model, ("--key", &public), &sig, &[]).ok);
    let r = mv_verify(&model, ("--key", &other_public), &sig, &[]);
    assert!(!r.ok && r.out.contains("key mismatch"), "{}", r.out);

    // An edited payload (one resource name changed) breaks the signature.
    let text = std::fs::read_to_string(&sig).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let payload = v["dsseEnvelope"]["payload"].as_str().unwrap();
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::STANDARD.decode(payload).unwrap();
    let edited = String::from_utf8(raw).unwrap().replace("config.json", "config.jsoN");
    let forged = text.replace(payload, &base64::engine::general_purpose::STANDARD.encode(edited));
    let forged_path = dir.path().join("forged.sig");
    std::fs::write(&forged_path, forged).unwrap();
    let r = mv_verify(&model, ("--key", &public), &forged_path, &[]);
    assert!(!r.ok && r.out.contains("does not match its payload"), "{}", r.out);

    // Garbage is a clear "not verified", not a crash.
    std::fs::write(&forged_path, b"{\"mediaType\": 3").unwrap();
    let r = mv_verify(&model, ("--key", &public), &forged_path, &[]);
    assert!(!r.ok && r.out.contains("malformed signature"), "{}", r.out);

    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("config.json", model.join("link.json")).unwrap();
        let r = mv_verify(&model, ("--key", &public), &sig, &[]);
        assert!(!r.ok && r.out.contains("symbolic link") && r.out.contains("link.json"), "{}", r.out);
    }
}

#[test]
fn missing_signature_or_key_is_an_operational_error() {
    let dir = tempfile::tempdir().unwrap();
    let model = single_file_model(dir.path());
    let (_, public) = keypair(dir.path(), Curve::P256, "k");
    let st = modelvet().arg("verify").arg(&model).arg("--key").arg(&public).status().unwrap();
    assert_eq!(st.code(), Some(2));
    let st = modelvet().arg("sign").arg(&model).arg("--key").arg(dir.path().join("nope.pem")).status().unwrap();
    assert_eq!(st.code(), Some(2));
}

/// Every supported curve, both directions, folder and single-file models,
/// signature inside and outside the model.
#[test]
fn key_mode_interop_with_model_signing_both_ways() {
    let Some(tool) = reference() else { return };
    let dir = tempfile::tempdir().unwrap();
    for (i, curve) in [Curve::P256, Curve::P384, Curve::P521].into_iter().enumerate() {
        let (private, public) = keypair(dir.path(), curve, &format!("k{i}"));
        let folder = varied_model(&dir.path().join(format!("m{i}")));
        let file = single_file_model(&dir.path().join(format!("f{i}")));
        for model in [&folder, &file] {
            let inside = if model.is_dir() { model.join("model.sig") } else { dir.path().join(format!("in{i}.sig")) };
            let outside = dir.path().join(format!("out{i}.sig"));
            // modelvet signs, the reference verifies.
            for sig in [&inside, &outside] {
                mv_sign(model, &private, sig, &[]);
                let r = ms_verify_key(&tool, model, &public, sig, &[]);
                assert!(r.ok, "{curve:?} {}: model_signing rejects modelvet's signature: {}", model.display(), r.out);
                std::fs::remove_file(sig).unwrap();
            }
            // The reference signs, modelvet verifies.
            for sig in [&inside, &outside] {
                ms_sign_key(&tool, model, &private, sig, &[]);
                let r = mv_verify(model, ("--key", &public), sig, &[]);
                assert!(r.ok, "{curve:?} {}: modelvet rejects model_signing's signature: {}", model.display(), r.out);
                std::fs::remove_file(sig).unwrap();
            }
        }
    }
}

/// Both tools agree on every tampering case, whichever tool signed.
#[test]
fn tampering_verdicts_agree_with_model_signing() {
    let Some(tool) = reference() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (private, public) = keypair(dir.path(), Curve::P256, "k");
    let (_, other) = keypair(dir.path(), Curve::P256, "other");
    type Tamper = fn(&Path);
    let cases: &[(&str, Tamper, bool)] = &[
        ("untouched", |_| {}, true),
        ("content changed", |m| write(m, "a.b", b"Y"), false),
        ("empty file filled", |m| write(m, "empty.bin", b"\0"), false),
        ("file added", |m| write(m, "extra.txt", b"new"), false),
        ("dotfile added", |m| write(m, ".hidden/.new", b"new"), false),
        ("file removed", |m| std::fs::remove_file(m.join("empty.bin")).unwrap(), false),
        ("file renamed", |m| std::fs::rename(m.join("a.b"), m.join("a.c")).unwrap(), false),
        ("unicode file changed", |m| write(m, "t\u{e9}l\u{e9}chargement/\u{6a21}\u{578b}.bin", b"x"), false),
        ("new .git content", |m| write(m, ".git/config", b"[core]\n"), true),
        #[cfg(unix)]
        ("symlink added", |m| std::os::unix::fs::symlink("config.json", m.join("link.json")).unwrap(), false),
    ];
    for signer in ["modelvet", "model_signing"] {
        for (i, (name, tamper, expect)) in cases.iter().enumerate() {
            let model = varied_model(&dir.path().join(format!("{signer}-{i}")));
            let sig = dir.path().join(format!("{signer}-{i}.sig"));
            if signer == "modelvet" {
                mv_sign(&model, &private, &sig, &[]);
            } else {
                ms_sign_key(&tool, &model, &private, &sig, &[]);
            }
            tamper(&model);
            let ours = mv_verify(&model, ("--key", &public), &sig, &[]);
            let theirs = ms_verify_key(&tool, &model, &public, &sig, &[]);
            assert_eq!(ours.ok, *expect, "signed by {signer}, {name}: modelvet says {}", ours.out);
            assert_eq!(theirs.ok, *expect, "signed by {signer}, {name}: model_signing says {}", theirs.out);
            // A wrong key always fails in both.
            assert!(!mv_verify(&model, ("--key", &other), &sig, &[]).ok, "{signer} {name}: other key");
            assert!(!ms_verify_key(&tool, &model, &other, &sig, &[]).ok, "{signer} {name}: other key (reference)");
        }
    }
    // --ignore_unsigned_files: an added file passes in both, a removed one fails in both.
    let model = varied_model(&dir.path().join("unsigned"));
    let sig = dir.path().join("unsigned.sig");
    ms_sign_key(&tool, &model, &private, &sig, &[]);
    write(&model, "extra.txt", b"new");
    assert!(mv_verify(&model, ("--key", &public), &sig, &["--ignore-unsigned-files"]).ok);
    assert!(ms_verify_key(&tool, &model, &public, &sig, &["--ignore_unsigned_files"]).ok);
    std::fs::remove_file(model.join("a.b")).unwrap();
    assert!(!mv_verify(&model, ("--key", &public), &sig, &["--ignore-unsigned-files"]).ok);
    assert!(!ms_verify_key(&tool, &model, &public, &sig, &["--ignore_unsigned_files"]).ok);
}

/// Ignore paths given at signing are recorded and honoured on the other side.
#[test]
fn ignore_paths_interop_with_model_signing() {
    let Some(tool) = reference() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (private, public) = keypair(dir.path(), Curve::P256, "k");
    for signer in ["modelvet", "model_signing"] {
        let model = varied_model(&dir.path().join(signer));
        write(&model, "notes/todo.txt", b"later");
        let sig = dir.path().join(format!("{signer}.sig"));
        let notes = model.join("notes");
        if signer == "modelvet" {
            mv_sign(&model, &private, &sig, &["--ignore-paths".as_ref(), notes.as_os_str()]);
        } else {
            ms_sign_key(&tool, &model, &private, &sig, &[&notes]);
        }
        // The ignored folder changes freely; the verifier need not repeat the flag.
        write(&model, "notes/todo.txt", b"changed");
        write(&model, "notes/more.txt", b"added");
        assert!(mv_verify(&model, ("--key", &public), &sig, &[]).ok, "signed by {signer}");
        assert!(ms_verify_key(&tool, &model, &public, &sig, &[]).ok, "signed by {signer} (reference)");
        write(&model, "config.json", b"{}");
        assert!(!mv_verify(&model, ("--key", &public), &sig, &[]).ok, "signed by {signer}");
        assert!(!ms_verify_key(&tool, &model, &public, &sig, &[]).ok, "signed by {signer} (reference)");
    }
}

/// A large file that the reference tool's API shards (1 MiB shards here):
/// modelvet verifies the sharded manifest, hashing shards in parallel.
#[test]
fn sharded_signature_from_the_reference_api_verifies() {
    let Some(tool) = reference() else { return };
    let python = tool.parent().unwrap().join("python");
    let dir = tempfile::tempdir().unwrap();
    let (private, public) = keypair(dir.path(), Curve::P256, "k");
    let model = varied_model(dir.path());
    let big: Vec<u8> = (0..5_500_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    write(&model, "big/weights.bin", &big);
    let sig = dir.path().join("sharded.sig");
    let script = "import sys\nfrom model_signing import signing, hashing\n\
        signing.Config().use_elliptic_key_signer(private_key=sys.argv[2]).set_hashing_config(\
        hashing.Config().use_shard_serialization(shard_size=1048576)).sign(sys.argv[1], sys.argv[3])\n";
    let st = Command::new(&python).arg("-c").arg(script).arg(&model).arg(&private).arg(&sig).status().unwrap();
    assert!(st.success());
    let payload = std::fs::read_to_string(&sig).unwrap();
    assert!(payload.contains("payload"));
    let r = mv_verify(&model, ("--key", &public), &sig, &[]);
    assert!(r.ok, "{}", r.out);
    let mut changed = big.clone();
    changed[3_000_000] ^= 1;
    write(&model, "big/weights.bin", &changed);
    let r = mv_verify(&model, ("--key", &public), &sig, &[]);
    assert!(!r.ok && r.out.contains("changed: big/weights.bin:2097152:3145728"), "{}", r.out);
}

/// A local PKI like the one `model-signing.md` §5 builds with openssl:
/// root (P-256) -> intermediate (P-384) -> leaf (P-256, digitalSignature,
/// codeSigning, an e-mail SAN). Returns (root.pem, intermediate.pem,
/// leaf.pem, leaf-key.pem).
fn pki(dir: &Path, tag: &str) -> (PathBuf, PathBuf, PathBuf, PathBuf) {
    use std::str::FromStr as _;
    use std::time::Duration;
    use x509_cert::builder::{Builder as _, CertificateBuilder, Profile};
    use x509_cert::der::EncodePem as _;
    use x509_cert::ext::pkix::{ExtendedKeyUsage, SubjectAltName, name::GeneralName};
    use x509_cert::name::Name;
    use x509_cert::serial_number::SerialNumber;
    use x509_cert::spki::SubjectPublicKeyInfoOwned;
    use x509_cert::time::Validity;

    let mut rng = rand_core::OsRng;
    let root_key = p256::ecdsa::SigningKey::random(&mut rng);
    let int_key = p384::ecdsa::SigningKey::random(&mut rng);
    let leaf_key = p256::ecdsa::SigningKey::random(&mut rng);
    let validity = || Validity::from_now(Duration::from_secs(3600 * 24 * 365)).unwrap();
    let root_name = Name::from_str(&format!("CN=Test Root CA {tag}")).unwrap();
    let int_name = Name::from_str(&format!("CN=Test Intermediate {tag}")).unwrap();

    let spki = |k: &dyn Fn() -> Result<SubjectPublicKeyInfoOwned, x509_cert::spki::Error>| k().unwrap();
    let root = CertificateBuilder::new(
        Profile::Root,
        SerialNumber::from(1u32),
        validity(),
        root_name.clone(),
        spki(&|| SubjectPublicKeyInfoOwned::from_key(*root_key.verifying_key())),
        &root_key,
    )
    .unwrap()
    .build::<p256::ecdsa::DerSignature>()
    .unwrap();
    let int = CertificateBuilder::new(
        Profile::SubCA { issuer: root_name, path_len_constraint: Some(0) },
        SerialNumber::from(2u32),
        validity(),
        int_name.clone(),
        spki(&|| SubjectPublicKeyInfoOwned::from_key(*int_key.verifying_key())),
        &root_key,
    )
    .unwrap()
    .build::<p256::ecdsa::DerSignature>()
    .unwrap();
    let mut leaf = CertificateBuilder::new(
        Profile::Leaf { issuer: int_name, enable_key_agreement: false, enable_key_encipherment: false },
        SerialNumber::from(3u32),
        validity(),
        Name::from_str("CN=model-signer@example.com").unwrap(),
        spki(&|| SubjectPublicKeyInfoOwned::from_key(*leaf_key.verifying_key())),
        &int_key,
    )
    .unwrap();
    leaf.add_extension(&ExtendedKeyUsage(vec![x509_cert::der::oid::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3")]))
        .unwrap();
    leaf.add_extension(&SubjectAltName(vec![GeneralName::Rfc822Name(
        x509_cert::der::asn1::Ia5String::new("model-signer@example.com").unwrap(),
    )]))
    .unwrap();
    let leaf = leaf.build::<p384::ecdsa::DerSignature>().unwrap();

    let out = |name: &str, pem: String| {
        let p = dir.join(format!("{tag}-{name}"));
        std::fs::write(&p, pem).unwrap();
        p
    };
    let pem = |c: &x509_cert::Certificate| c.to_pem(x509_cert::der::pem::LineEnding::LF).unwrap();
    (
        out("root.pem", pem(&root)),
        out("int.pem", pem(&int)),
        out("leaf.pem", pem(&leaf)),
        out("leaf-key.pem", leaf_key.to_pkcs8_pem(LineEnding::LF).unwrap().to_string()),
    )
}

#[test]
fn certificate_mode_round_trip_and_untrusted_roots() {
    let dir = tempfile::tempdir().unwrap();
    let (root, int, leaf, key) = pki(dir.path(), "a");
    let (other_root, ..) = pki(dir.path(), "b");
    let model = varied_model(dir.path());
    let sig = dir.path().join("cert.sig");
    let r = run({
        let mut c = modelvet();
        c.arg("sign").arg(&model).arg("--key").arg(&key).arg("--certificate").arg(&leaf);
        c.arg("--certificate-chain").arg(&int).arg("--signature").arg(&sig);
        c
    });
    assert!(r.ok, "{}", r.out);
    let r = mv_verify(&model, ("--certificate-chain", &root), &sig, &[]);
    assert!(r.ok && r.out.contains("model-signer@example.com"), "{}", r.out);
    let r = mv_verify(&model, ("--certificate-chain", &other_root), &sig, &[]);
    assert!(!r.ok && r.out.contains("untrusted certificate"), "{}", r.out);
    // Trusting only the intermediate is not enough (as with OpenSSL).
    let r = mv_verify(&model, ("--certificate-chain", &int), &sig, &[]);
    assert!(!r.ok, "{}", r.out);
    // A key-mode verifier is told what to use.
    let (_, public) = keypair(dir.path(), Curve::P256, "k");
    let r = mv_verify(&model, ("--key", &public), &sig, &[]);
    assert!(!r.ok && r.out.contains("--certificate-chain"), "{}", r.out);
    // A key that does not match the certificate cannot sign.
    let (wrong, _) = keypair(dir.path(), Curve::P256, "w");
    let st =
        modelvet().arg("sign").arg(&model).arg("--key").arg(&wrong).arg("--certificate").arg(&leaf).status().unwrap();
    assert_eq!(st.code(), Some(2));
}

#[test]
fn certificate_mode_interop_with_model_signing_both_ways() {
    let Some(tool) = reference() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (root, int, leaf, key) = pki(dir.path(), "a");
    let (other_root, ..) = pki(dir.path(), "b");
    let ms_verify = |model: &Path, roots: &Path, sig: &Path| {
        let mut c = Command::new(&tool);
        c.args(["verify", "certificate"]).arg(model).arg("--certificate_chain").arg(roots).arg("--signature").arg(sig);
        run(c)
    };
    for signer in ["modelvet", "model_signing"] {
        let model = varied_model(&dir.path().join(signer));
        let sig = dir.path().join(format!("{signer}.sig"));
        let mut c = if signer == "modelvet" { modelvet() } else { Command::new(&tool) };
        if signer == "modelvet" {
            c.arg("sign").arg(&model).arg("--key").arg(&key).arg("--certificate").arg(&leaf);
            c.arg("--certificate-chain").arg(&int).arg("--signature").arg(&sig);
        } else {
            c.args(["sign", "certificate"]).arg(&model).arg("--private_key").arg(&key);
            c.arg("--signing_certificate").arg(&leaf).arg("--certificate_chain").arg(&int).arg("--signature").arg(&sig);
        }
        let r = run(c);
        assert!(r.ok, "{signer} sign: {}", r.out);
        let ours = mv_verify(&model, ("--certificate-chain", &root), &sig, &[]);
        let theirs = ms_verify(&model, &root, &sig);
        assert!(ours.ok, "signed by {signer}: modelvet says {}", ours.out);
        assert!(theirs.ok, "signed by {signer}: model_signing says {}", theirs.out);
        for roots in [&other_root, &int] {
            assert!(!mv_verify(&model, ("--certificate-chain", roots), &sig, &[]).ok, "{signer}: {}", roots.display());
            assert!(!ms_verify(&model, roots, &sig).ok, "{signer}: {} (reference)", roots.display());
        }
        write(&model, "config.json", b"{}");
        assert!(!mv_verify(&model, ("--certificate-chain", &root), &sig, &[]).ok, "{signer}: tampered");
        assert!(!ms_verify(&model, &root, &sig).ok, "{signer}: tampered (reference)");
    }
}

fn scan_json(policy: &Path, target: &Path) -> (i32, serde_json::Value) {
    let o =
        modelvet().arg("scan").arg("--policy").arg(policy).arg("--format").arg("json").arg(target).output().unwrap();
    let v = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stderr)));
    (o.status.code().unwrap(), v)
}

fn sig_findings(report: &serde_json::Value) -> Vec<(String, String)> {
    report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["findings"].as_array().unwrap().iter())
        .filter(|f| f["rule"].as_str().unwrap_or_default().starts_with("SIG"))
        .map(|f| (f["rule"].as_str().unwrap().to_owned(), f["message"].as_str().unwrap().to_owned()))
        .collect()
}

/// `modelvet scan` verifies a folder's model.sig against `[signing]` and
/// reports one SIG rule per outcome.
#[test]
fn scan_reports_signature_outcomes_under_the_policy() {
    let dir = tempfile::tempdir().unwrap();
    let (private, _) = keypair(dir.path(), Curve::P256, "k");
    keypair(dir.path(), Curve::P256, "o");
    let model = varied_model(dir.path());
    mv_sign(&model, &private, &model.join("model.sig"), &[]);
    let policy = |name: &str, body: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        p
    };
    let trusted = policy("trusted.toml", "[signing]\nkeys = [\"k-public.pem\"]\nrequire = true\n");
    let (code, v) = scan_json(&trusted, &model);
    assert_eq!(code, 0, "{v}");
    let f = sig_findings(&v);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(f[0].0 == "SIG001" && f[0].1.starts_with("verified: 9 files"), "{f:?}");
    // The signature file is one target: its scan as a file and its verification in one report.
    let sigs: Vec<&serde_json::Value> = v["targets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["path"].as_str().unwrap().ends_with("model.sig"))
        .collect();
    assert_eq!(sigs.len(), 1, "{v}");
    assert_eq!(sigs[0]["format"], "model-signature");

    let untrusted = policy("untrusted.toml", "[signing]\nkeys = [\"o-public.pem\"]\n");
    let (code, v) = scan_json(&untrusted, &model);
    assert_eq!(code, 1);
    assert!(sig_findings(&v).iter().any(|(c, m)| c == "SIG002" && m.contains("key mismatch")), "{v}");

    let none = policy("none.toml", "fail-on = \"low\"\n");
    let (code, v) = scan_json(&none, &model);
    assert_eq!(code, 0, "a note never blocks: {v}");
    assert_eq!(sig_findings(&v)[0].0, "SIG004");

    write(&model, "config.json", b"{\"hidden_size\":5}\n");
    let (code, v) = scan_json(&trusted, &model);
    assert_eq!(code, 1);
    let f = sig_findings(&v);
    assert!(f[0].0 == "SIG002" && f[0].1.contains("1 difference"), "{f:?}");

    std::fs::remove_file(model.join("model.sig")).unwrap();
    let (code, v) = scan_json(&trusted, &model);
    assert_eq!(code, 1);
    assert_eq!(sig_findings(&v)[0].0, "SIG003");
}

#[test]
fn policy_check_reports_signing_errors_with_positions() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("modelvet.toml");
    std::fs::write(&p, "[signing]\nkeys = [\"missing.pem\"]\nrequire = \"yes\"\nidentity = 1\n").unwrap();
    let o = modelvet().args(["policy", "check"]).arg(&p).output().unwrap();
    let err = String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("2:9") && err.contains("cannot read public key"), "{err}");
    assert!(err.contains("3:11") && err.contains("true or false"), "{err}");
    assert!(err.contains("4:1") && err.contains("unknown key `identity`"), "{err}");
}

// ---------------------------------------------------------------------------
// Keyless (Sigstore) signatures, verified offline against a trusted root.
// Fixtures: fixtures/signing/keyless/ (README there says where each came from).

const KEYLESS: &str = "fixtures/signing/keyless";
/// The identity of the generated bundles.
const GEN_ID: (&str, &str) = ("model-signer@example.com", "https://accounts.example.com");

/// Copies a fixture folder into `dir` (tests edit their copy).
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

fn keyless_dir() -> PathBuf {
    common::repo_root().join(KEYLESS)
}

fn mv_verify_keyless(model: &Path, root: &Path, sig: &Path, id: (&str, &str), extra: &[&str]) -> Run {
    let mut c = modelvet();
    c.arg("verify").arg(model).arg("--trust-root").arg(root).arg("--signature").arg(sig);
    c.args(["--identity", id.0, "--identity-provider", id.1]).args(extra);
    run(c)
}

fn ms_verify_keyless(tool: &Path, model: &Path, config: &Path, sig: &Path, id: (&str, &str)) -> Run {
    let mut c = Command::new(tool);
    c.args(["verify", "sigstore"]).arg(model).arg("--signature").arg(sig).arg("--trust_config").arg(config);
    c.args(["--identity", id.0, "--identity_provider", id.1]);
    run(c)
}

/// The public Sigstore instance's real trusted root (from the `sigstore`
/// wheel on PyPI) is read and used: a signature made under another root is
/// refused as untrusted, not as an unreadable root.
#[test]
fn keyless_real_trusted_root_is_read_and_does_not_vouch_for_another_ca() {
    let dir = tempfile::tempdir().unwrap();
    let real_root = keyless_dir().join("real/trusted_root.json");
    let gen_dir = keyless_dir().join("generated");
    let model = dir.path().join("tiny-model");
    copy_tree(&gen_dir.join("tiny-model"), &model);
    let good = gen_dir.join("good.sig");
    let r = mv_verify_keyless(&model, &gen_dir.join("trusted_root.json"), &good, GEN_ID, &[]);
    assert!(r.ok, "{}", r.out);
    let r = mv_verify_keyless(&model, &real_root, &good, GEN_ID, &[]);
    // Read and used (a verdict, exit 1), not refused as unreadable (exit 2):
    // none of its log keys or CAs signed this bundle.
    assert!(!r.ok && r.out.contains("not verified:"), "{}", r.out);
    assert!(r.out.contains("log key") || r.out.contains("untrusted"), "{}", r.out);
}

/// The generated bundles: every way a keyless signature can be wrong gives
/// its own verdict, and the good ones verify.
#[test]
fn keyless_generated_bundles_cover_every_failure() {
    let dir = tempfile::tempdir().unwrap();
    let gen_dir = keyless_dir().join("generated");
    let root = gen_dir.join("trusted_root.json");
    let model = dir.path().join("tiny-model");
    copy_tree(&gen_dir.join("tiny-model"), &model);
    let sig = |n: &str| gen_dir.join(n);

    let r = mv_verify_keyless(&model, &root, &sig("good.sig"), GEN_ID, &[]);
    assert!(r.ok, "{}", r.out);
    assert!(
        r.out.contains("verified: 6 files signed by model-signer@example.com (issuer https://accounts.example.com, logged at 2025-06-01T12:00:00Z, keyless)"),
        "{}",
        r.out
    );
    // A client trust config (what `model_signing --trust_config` reads) works as the root too.
    let r = mv_verify_keyless(&model, &gen_dir.join("trust_config.json"), &sig("good.sig"), GEN_ID, &[]);
    assert!(r.ok, "{}", r.out);
    let uri = "https://github.com/example/models/.github/workflows/sign.yml@refs/heads/main";
    let r = mv_verify_keyless(
        &model,
        &root,
        &sig("good-uri.sig"),
        (uri, "https://token.actions.githubusercontent.com"),
        &[],
    );
    assert!(r.ok && r.out.contains(uri), "{}", r.out);

    for (id, what) in [
        (("other@example.com", GEN_ID.1), "wrong identity"),
        ((GEN_ID.0, "https://accounts.google.com"), "wrong issuer"),
        (("model-signer@example.co", GEN_ID.1), "identity prefix"),
    ] {
        let r = mv_verify_keyless(&model, &root, &sig("good.sig"), id, &[]);
        assert!(!r.ok && r.out.contains("identity mismatch"), "{what}: {}", r.out);
    }
    for (name, expected) in [
        (
            "expired.sig",
            "untrusted certificate: the signing certificate was valid from 2025-06-01T10:00:00Z to 2025-06-01T10:10:00Z, but the signature was logged at 2025-06-01T12:00:00Z",
        ),
        (
            "untrusted-ca.sig",
            "untrusted certificate: the signing certificate was not issued by a certificate authority of the trusted root",
        ),
        ("bad-set.sig", "transparency log"),
        ("bad-proof.sig", "transparency log"),
        ("tampered-entry.sig", "transparency log"),
        ("unknown-log.sig", "transparency log"),
        ("tampered-payload.sig", "the signature does not match its payload"),
    ] {
        let r = mv_verify_keyless(&model, &root, &sig(name), GEN_ID, &[]);
        assert!(!r.ok && r.out.contains(expected), "{name}: {}", r.out);
    }
    // Wrong kind of trust for the signature, and the other way round.
    let (_, public) = keypair(dir.path(), Curve::P256, "k");
    let r = mv_verify(&model, ("--key", &public), &sig("good.sig"), &[]);
    assert!(!r.ok && r.out.contains("keyless Sigstore signature") && r.out.contains("--trust-root"), "{}", r.out);

    // The files, as for every signature: all differences named.
    write(&model, "a.b", b"z");
    write(&model, "extra.txt", b"new");
    let r = mv_verify_keyless(&model, &root, &sig("good.sig"), GEN_ID, &[]);
    assert!(!r.ok && r.out.contains("2 differences"), "{}", r.out);
    assert!(
        r.out.contains("changed: a.b: expected sha256 a1fce436")
            && r.out.contains("extra file (not signed): extra.txt"),
        "{}",
        r.out
    );
    let r = mv_verify_keyless(&model, &root, &sig("good.sig"), GEN_ID, &["--ignore-unsigned-files"]);
    assert!(!r.ok && r.out.contains("1 difference"), "{}", r.out);

    // A broken trusted root is an error (exit 2), not a verdict.
    let bad_root = dir.path().join("bad_root.json");
    std::fs::write(&bad_root, "{\"mediaType\": 1}").unwrap();
    let o = modelvet()
        .arg("verify")
        .arg(&model)
        .arg("--trust-root")
        .arg(&bad_root)
        .args(["--identity", GEN_ID.0, "--identity-provider", GEN_ID.1])
        .arg("--signature")
        .arg(sig("good.sig"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("not a Sigstore trusted root"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// `model_signing verify sigstore --trust_config` (offline with a trust
/// config) and modelvet give the same verdict on every generated bundle.
#[test]
fn keyless_verdicts_agree_with_the_reference_tool() {
    let Some(tool) = reference() else { return };
    let dir = tempfile::tempdir().unwrap();
    let gen_dir = keyless_dir().join("generated");
    let (root, config) = (gen_dir.join("trusted_root.json"), gen_dir.join("trust_config.json"));
    let model = dir.path().join("tiny-model");
    copy_tree(&gen_dir.join("tiny-model"), &model);
    let uri = (
        "https://github.com/example/models/.github/workflows/sign.yml@refs/heads/main",
        "https://token.actions.githubusercontent.com",
    );
    let cases: Vec<(&str, (&str, &str), bool)> = vec![
        ("good.sig", GEN_ID, true),
        ("good-uri.sig", uri, true),
        ("good.sig", ("other@example.com", GEN_ID.1), false),
        ("good.sig", (GEN_ID.0, "https://accounts.google.com"), false),
        ("expired.sig", GEN_ID, false),
        ("untrusted-ca.sig", GEN_ID, false),
        ("bad-set.sig", GEN_ID, false),
        ("bad-proof.sig", GEN_ID, false),
        ("tampered-entry.sig", GEN_ID, false),
        ("tampered-payload.sig", GEN_ID, false),
        ("unknown-log.sig", GEN_ID, false),
    ];
    for (name, id, expected) in &cases {
        let sig = gen_dir.join(name);
        let ours = mv_verify_keyless(&model, &root, &sig, *id, &[]);
        let theirs = ms_verify_keyless(&tool, &model, &config, &sig, *id);
        assert_eq!(ours.ok, *expected, "{name} {id:?}: {}", ours.out);
        assert_eq!(theirs.ok, *expected, "{name} {id:?} (reference): {}", theirs.out);
    }
    write(&model, "a.b", b"z");
    let sig = gen_dir.join("good.sig");
    assert!(!mv_verify_keyless(&model, &root, &sig, GEN_ID, &[]).ok);
    assert!(!ms_verify_keyless(&tool, &model, &config, &sig, GEN_ID).ok, "reference: changed file");
}

/// `[signing]` with `trust-root` and `identities`: scan verifies a keyless
/// model.sig (SIG001), and reports an untrusted identity (SIG002).
#[test]
fn scan_verifies_keyless_signatures_under_the_policy() {
    let dir = tempfile::tempdir().unwrap();
    let gen_dir = keyless_dir().join("generated");
    let model = dir.path().join("tiny-model");
    copy_tree(&gen_dir.join("tiny-model"), &model);
    std::fs::copy(gen_dir.join("good.sig"), model.join("model.sig")).unwrap();
    std::fs::copy(gen_dir.join("trusted_root.json"), dir.path().join("trusted_root.json")).unwrap();
    let policy = |name: &str, identities: &str| {
        let p = dir.path().join(name);
        std::fs::write(
            &p,
            format!("[signing]\ntrust-root = \"trusted_root.json\"\nidentities = [{identities}]\nrequire = true\n"),
        )
        .unwrap();
        p
    };
    let trusted = policy(
        "trusted.toml",
        "{ identity = \"nobody@example.com\", issuer = \"https://accounts.example.com\" }, \
         { identity = \"model-signer@example.com\", issuer = \"https://accounts.example.com\" }",
    );
    let (code, v) = scan_json(&trusted, &model);
    assert_eq!(code, 0, "{v}");
    let f = sig_findings(&v);
    assert!(f.len() == 1 && f[0].0 == "SIG001" && f[0].1.contains("model-signer@example.com"), "{f:?}");

    let other =
        policy("other.toml", "{ identity = \"model-signer@example.com\", issuer = \"https://accounts.google.com\" }");
    let (code, v) = scan_json(&other, &model);
    assert_eq!(code, 1, "{v}");
    let f = sig_findings(&v);
    assert!(f[0].0 == "SIG002" && f[0].1.contains("identity mismatch"), "{f:?}");

    std::fs::copy(gen_dir.join("expired.sig"), model.join("model.sig")).unwrap();
    let (code, v) = scan_json(&trusted, &model);
    assert_eq!(code, 1, "{v}");
    let f = sig_findings(&v);
    assert!(f[0].0 == "SIG002" && f[0].1.contains("untrusted certificate"), "{f:?}");
}

#[test]
fn policy_check_reports_keyless_errors_with_positions() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("modelvet.toml");
    std::fs::write(&p, "[signing]\ntrust-root = \"missing.json\"\nidentities = [{ identity = \"a@b.c\" }, { issuer = \"https://x\", who = 1 }, 3]\n").unwrap();
    let o = modelvet().args(["policy", "check"]).arg(&p).output().unwrap();
    let err = String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("2:14") && err.contains("cannot read") && err.contains("missing.json"), "{err}");
    assert!(err.contains("3:15") && err.contains("has no `issuer`"), "{err}");
    assert!(err.contains("3:39") && err.contains("has no `identity`"), "{err}");
    assert!(err.contains("3:63") && err.contains("unknown key `who`"), "{err}");
    assert!(err.contains("3:74") && err.contains("must be a table"), "{err}");

    std::fs::write(&p, "[signing]\nidentities = [{ identity = \"a@b.c\", issuer = \"https://x\" }]\nrequire = true\n")
        .unwrap();
    let o = modelvet().args(["policy", "check"]).arg(&p).output().unwrap();
    let err = String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("2:14") && err.contains("needs `trust-root"), "{err}");

    std::fs::write(&p, "[signing]\ntrust-root = \"bad.json\"\n").unwrap();
    std::fs::write(dir.path().join("bad.json"), "{}").unwrap();
    let o = modelvet().args(["policy", "check"]).arg(&p).output().unwrap();
    let err = String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("2:14") && err.contains("not a Sigstore trusted root"), "{err}");
}
