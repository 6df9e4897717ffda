//! Signing and verifying models in the OpenSSF Model Signing format (what the
//! `model-signing` tool reads and writes): a Sigstore bundle holding a
//! DSSE-wrapped in-toto statement that lists every file's SHA-256.
//!
//! * [`manifest`]: hashing a model folder (parallel), names, order, root digest.
//! * [`bundle`]: the bundle, the DSSE envelope and PAE, the statement.
//! * [`keys`]: ECDSA P-256/P-384/P-521 keys in PEM.
//! * [`certs`]: certificate chains checked against trusted roots.
//! * [`keyless`]: Sigstore keyless signatures (Fulcio certificate, Rekor entry)
//!   checked offline against a `trusted_root.json` and trusted identities.
//!
//! [`sign`] writes a bundle; [`verify`] returns a [`Verdict`] that lists every
//! difference between the signed manifest and the files on disk. Nothing here
//! executes or loads a model: files are only read and hashed.
//!
//! ```no_run
//! use modelvet_engine::signing::{self, keys::PublicKey, Trust, VerifyOptions};
//! let key = PublicKey::from_pem(&std::fs::read_to_string("public.pem").unwrap()).unwrap();
//! let sig = std::fs::read("model/model.sig").unwrap();
//! let verdict = signing::verify("model".as_ref(), &sig, &Trust::Key(key), &VerifyOptions::default()).unwrap();
//! println!("{verdict}");
//! ```
pub mod bundle;
pub mod certs;
pub mod check;
pub mod keyless;
pub mod keys;
pub mod manifest;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use bundle::{Bundle, Malformed, Material, PAYLOAD_TYPE, Statement};
use keys::{PrivateKey, PublicKey};
use manifest::{GIT_PATHS, HashError, Method, RelPath, Selection};

/// The default signature file name inside a model folder.
pub const SIGNATURE_FILE: &str = "model.sig";

/// An operational failure: something could not be read (exit 2), as opposed
/// to a signature that does not verify.
#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error("{0}")]
    Key(String),
}

/// Who signs.
#[derive(Debug)]
pub enum Signer {
    /// A private key; the bundle carries the public key's hint.
    Key(PrivateKey),
    /// A private key and its certificate (DER), plus the chain above it (DER).
    Certificate { key: PrivateKey, leaf: Vec<u8>, chain: Vec<Vec<u8>> },
}

impl Signer {
    /// A certificate signer, checking that the key matches the certificate.
    pub fn with_certificate(key: PrivateKey, leaf_pem: &[u8], chain_pem: &[u8]) -> Result<Self, SigningError> {
        use x509_cert::der::Encode as _;
        let leaf = certs::parse_pem_chain(leaf_pem).map_err(SigningError::Key)?;
        let leaf = leaf.first().ok_or_else(|| SigningError::Key("no certificate in the file".into()))?;
        if certs::public_key(leaf).map_err(SigningError::Key)? != key.public_key() {
            return Err(SigningError::Key("the private key does not match the signing certificate".into()));
        }
        let chain = if chain_pem.iter().all(u8::is_ascii_whitespace) {
            Vec::new()
        } else {
            certs::parse_pem_chain(chain_pem).map_err(SigningError::Key)?
        };
        let der = |c: &x509_cert::Certificate| c.to_der().map_err(|e| SigningError::Key(e.to_string()));
        Ok(Self::Certificate { leaf: der(leaf)?, chain: chain.iter().map(der).collect::<Result<_, _>>()?, key })
    }

    fn key(&self) -> &PrivateKey {
        match self {
            Self::Key(k) | Self::Certificate { key: k, .. } => k,
        }
    }
}

/// What to leave out of the manifest, as paths relative to the model.
#[derive(Debug, Clone)]
pub struct Ignore {
    /// User-given paths (already relative to the model).
    pub paths: Vec<RelPath>,
    /// Ignore `.git`, `.gitattributes`, `.github`, `.gitignore` (the reference default).
    pub git_paths: bool,
}

impl Default for Ignore {
    fn default() -> Self {
        Self { paths: Vec::new(), git_paths: true }
    }
}

impl Ignore {
    fn all(&self) -> Vec<RelPath> {
        let mut all = self.paths.clone();
        if self.git_paths {
            all.extend(GIT_PATHS.iter().filter_map(|p| RelPath::parse(p)));
        }
        all.sort();
        all.dedup();
        all
    }
}

/// A written signature.
#[derive(Debug)]
pub struct Signed {
    /// The bundle (one line of JSON) to write to the signature file.
    pub bundle: String,
    /// Resources signed.
    pub files: usize,
    /// The root digest (the statement's subject), hex.
    pub root_digest: String,
}

/// The model's name as the statement's subject records it.
fn model_name(model: &Path) -> String {
    let name = model.file_name().map(|n| n.to_string_lossy().into_owned());
    name.or_else(|| std::fs::canonicalize(model).ok()?.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default()
}

/// Hashes `model` (a file or a folder) and signs its manifest.
pub fn sign(model: &Path, ignore: &Ignore, signer: &Signer) -> Result<Signed, SigningError> {
    let ignore_all = ignore.all();
    let resources = manifest::hash_model(model, &Selection { ignore: ignore_all.clone(), only: None }, Method::Files)?;
    let statement = Statement::new(model_name(model), &resources, ignore_all);
    let payload = statement.to_json();
    let signature = signer.key().sign(&bundle::pae(PAYLOAD_TYPE, &payload));
    let material = match signer {
        Signer::Key(k) => Material::PublicKey { hint: Some(k.public_key().hint()) },
        Signer::Certificate { leaf, chain, .. } => {
            Material::Chain(std::iter::once(leaf.clone()).chain(chain.iter().cloned()).collect())
        }
    };
    let b = Bundle { material, payload_type: PAYLOAD_TYPE.into(), payload, signature };
    Ok(Signed { bundle: b.to_json(), files: resources.len(), root_digest: hex::encode(statement.root_digest) })
}

/// What the verifier trusts.
#[derive(Debug)]
pub enum Trust {
    /// One public key (key flow).
    Key(PublicKey),
    /// Root certificates (certificate flow).
    Roots(Vec<x509_cert::Certificate>),
    /// A Sigstore trusted root and the identities allowed to sign (keyless flow).
    Keyless(keyless::KeylessTrust),
}

/// Verification settings.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// Paths left out on the verifier's side (the signature's own list is added).
    pub ignore: Ignore,
    /// Check only the files the signature lists; extra files are not an error.
    pub ignore_unsigned_files: bool,
}

/// A successful verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Who signed: a key's hint or a certificate's subject.
    pub signer: String,
    /// Resources checked.
    pub files: usize,
}

/// One way the files differ from what was signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Difference {
    /// A file's content changed.
    Changed { name: String, expected: String, actual: String },
    /// A file that was not signed.
    Extra(String),
    /// A signed file that is gone.
    Missing(String),
    /// A symbolic link inside the model (links are never followed).
    Symlink(PathBuf),
    /// Something that is neither a file nor a folder.
    NotFileOrFolder(PathBuf),
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Changed { name, expected, actual } => {
                write!(f, "changed: {name}: expected sha256 {expected}, found {actual}")
            }
            Self::Extra(n) => write!(f, "extra file (not signed): {n}"),
            Self::Missing(n) => write!(f, "missing file (signed, not found): {n}"),
            Self::Symlink(p) => write!(f, "symbolic link (not allowed in a signed model): {}", p.display()),
            Self::NotFileOrFolder(p) => write!(f, "neither a file nor a folder: {}", p.display()),
        }
    }
}

/// Why a signature does not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The signature file is not a valid bundle or statement.
    Malformed(String),
    /// The bundle names another public key than the one given.
    KeyMismatch { expected: String, found: String },
    /// The bundle is of another kind than the trust given (key vs certificate vs keyless).
    WrongKind(String),
    /// The signature does not match the payload and key.
    BadSignature,
    /// The certificate chain does not lead to a trusted root.
    Untrusted(String),
    /// A keyless signature by an identity the verifier does not trust.
    IdentityMismatch { found: keyless::Identity, trusted: Vec<keyless::Identity> },
    /// The transparency-log entry (or timestamp) does not prove the signing time.
    TransparencyLog(String),
    /// The statement's subject is not the digest of its own resources.
    Inconsistent { recorded: String, computed: String },
    /// The files differ from the signed manifest.
    Differences(Vec<Difference>),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(m) => write!(f, "{m}"),
            Self::KeyMismatch { expected, found } => write!(
                f,
                "key mismatch: the signature was made with another key (its key hint is {found}, the given public key's is {expected})"
            ),
            Self::WrongKind(m) => write!(f, "{m}"),
            Self::BadSignature => write!(
                f,
                "the signature does not match its payload: the signature file was altered or made with another key"
            ),
            Self::Untrusted(m) => write!(f, "untrusted certificate: {m}"),
            Self::IdentityMismatch { found, trusted } => {
                let trusted: Vec<String> = trusted.iter().map(ToString::to_string).collect();
                write!(f, "identity mismatch: signed by {found}, but only {} is trusted", trusted.join(" or "))
            }
            Self::TransparencyLog(m) => write!(f, "transparency log: {m}"),
            Self::Inconsistent { recorded, computed } => write!(
                f,
                "the manifest is inconsistent: its root digest is {recorded}, but its resources hash to {computed}"
            ),
            Self::Differences(d) => {
                write!(
                    f,
                    "the files differ from the signed manifest ({} difference{}):",
                    d.len(),
                    if d.len() == 1 { "" } else { "s" }
                )?;
                for x in d {
                    write!(f, "\n  {x}")?;
                }
                Ok(())
            }
        }
    }
}

/// The outcome of a verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Verified(Verified),
    NotVerified(Failure),
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Verified(v) => {
                write!(f, "verified: {} file{} signed by {}", v.files, if v.files == 1 { "" } else { "s" }, v.signer)
            }
            Self::NotVerified(x) => write!(f, "not verified: {x}"),
        }
    }
}

/// Checks the bundle's signer against the trust; returns the verifying key and
/// a description of the signer. `raw` is the whole signature file (the keyless
/// flow hands it to the Sigstore verifier).
fn check_signer(b: &Bundle, raw: &[u8], trust: &Trust) -> Result<(PublicKey, String), Failure> {
    match (&b.material, trust) {
        (Material::PublicKey { hint }, Trust::Key(key)) => {
            let expected = key.hint();
            match hint {
                Some(found) if !found.eq_ignore_ascii_case(&expected) => {
                    Err(Failure::KeyMismatch { expected, found: found.clone() })
                }
                _ => Ok((key.clone(), format!("{} key sha256:{expected}", key.curve()))),
            }
        }
        (Material::Chain(chain), Trust::Roots(roots)) => certs::verify_chain(chain, roots).map_err(Failure::Untrusted),
        (Material::Keyless { certificate }, Trust::Keyless(k)) => {
            let signer = keyless::verify_bundle(raw, bundle::subject_sha256(&b.payload).unwrap_or([0; 32]), k)?;
            let leaf = certs::parse_der(certificate).map_err(Failure::Untrusted)?;
            let key = certs::public_key(&leaf).map_err(Failure::Untrusted)?;
            let when = signer.signed_at.map(|t| format!(", logged at {}", format_unix(t))).unwrap_or_default();
            Ok((key, format!("{} (issuer {}{when}, keyless)", signer.identity, signer.issuer)))
        }
        (Material::Keyless { .. }, _) => Err(Failure::WrongKind(
            "this is a keyless Sigstore signature: verify it with --trust-root trusted_root.json --identity ID --identity-provider ISSUER".into(),
        )),
        (Material::PublicKey { .. }, Trust::Roots(_) | Trust::Keyless(_)) => Err(Failure::WrongKind(
            "the signature was made with a key, not a certificate: verify it with --key PUBLIC.pem".into(),
        )),
        (Material::Chain(_), Trust::Key(_) | Trust::Keyless(_)) => Err(Failure::WrongKind(
            "the signature was made with a certificate: verify it with --certificate-chain ROOTS.pem".into(),
        )),
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` for Unix seconds (UTC, proleptic Gregorian).
pub(crate) fn format_unix(t: i64) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", secs / 3600, secs % 3600 / 60, secs % 60)
}

/// Verifies the signature file's bytes against the model at `model`.
///
/// `Err` only for what could not be read (the model's files); everything
/// wrong with the signature or the files is a [`Verdict::NotVerified`].
pub fn verify(model: &Path, signature: &[u8], trust: &Trust, options: &VerifyOptions) -> Result<Verdict, SigningError> {
    let not = |f: Failure| Ok(Verdict::NotVerified(f));
    let b = match Bundle::parse(signature) {
        Ok(b) => b,
        Err(Malformed(m)) => return not(Failure::Malformed(format!("malformed signature: {m}"))),
    };
    let (key, signer) = match check_signer(&b, signature, trust) {
        Ok(x) => x,
        Err(f) => return not(f),
    };
    if !key.verify(&bundle::pae(&b.payload_type, &b.payload), &b.signature) {
        return not(Failure::BadSignature);
    }
    if b.payload_type != PAYLOAD_TYPE {
        return not(Failure::Malformed(format!("payload type `{}` is not {PAYLOAD_TYPE}", b.payload_type)));
    }
    let statement = match Statement::parse(&b.payload) {
        Ok(s) => s,
        Err(Malformed(m)) => return not(Failure::Malformed(format!("malformed statement: {m}"))),
    };
    let computed = statement.computed_root();
    if computed != statement.root_digest {
        return not(Failure::Inconsistent {
            recorded: hex::encode(statement.root_digest),
            computed: hex::encode(computed),
        });
    }
    let mut expected: BTreeMap<&str, (&str, &[u8])> = BTreeMap::new();
    for r in &statement.resources {
        if expected.insert(&r.name, (&r.algorithm, &r.digest)).is_some() {
            return not(Failure::Malformed(format!("malformed statement: `{}` is listed twice", r.name)));
        }
    }
    let mut ignore = options.ignore.all();
    ignore.extend(statement.ignore_paths.iter().cloned());
    let only = if options.ignore_unsigned_files {
        let mut names = Vec::new();
        for r in &statement.resources {
            let path = match statement.method {
                Method::Files => r.name.as_str(),
                Method::Shards { .. } => r.name.rsplitn(3, ':').nth(2).unwrap_or(&r.name),
            };
            match RelPath::parse(path) {
                Some(p) => names.push(p),
                None => {
                    return not(Failure::Malformed(format!(
                        "malformed statement: resource name `{path}` leaves the model"
                    )));
                }
            }
        }
        names.sort();
        names.dedup();
        Some(names)
    } else {
        None
    };
    let resources = match manifest::hash_model(model, &Selection { ignore, only }, statement.method) {
        Ok(r) => r,
        Err(HashError::Symlink(p)) => return not(Failure::Differences(vec![Difference::Symlink(p)])),
        Err(HashError::NotFileOrFolder(p)) => return not(Failure::Differences(vec![Difference::NotFileOrFolder(p)])),
        Err(HashError::Missing(p)) => {
            let name = p.strip_prefix(model).map_or_else(|_| p.display().to_string(), |r| r.display().to_string());
            return not(Failure::Differences(vec![Difference::Missing(name)]));
        }
        Err(HashError::Limit(m)) => return not(Failure::Malformed(m)),
        Err(e) => return Err(e.into()),
    };
    let algorithm = match statement.method {
        Method::Files => "sha256".to_owned(),
        Method::Shards { shard_size } => format!("sha256-sharded-{shard_size}"),
    };
    let mut differences = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for r in &resources {
        let name = r.name();
        match expected.get(name.as_str()) {
            None => differences.push(Difference::Extra(name)),
            Some(&(alg, digest)) => {
                seen.insert(name.clone());
                if alg != algorithm || digest != r.digest {
                    differences.push(Difference::Changed {
                        expected: if alg == algorithm {
                            hex::encode(digest)
                        } else {
                            format!("{alg}:{}", hex::encode(digest))
                        },
                        actual: hex::encode(r.digest),
                        name,
                    });
                }
            }
        }
    }
    for name in expected.keys() {
        if !seen.contains(*name) {
            differences.push(Difference::Missing((*name).to_owned()));
        }
    }
    if !differences.is_empty() {
        return not(Failure::Differences(differences));
    }
    Ok(Verdict::Verified(Verified { signer, files: resources.len() }))
}

/// Turns paths as a user gives them (relative to the current folder, or
/// absolute) into paths relative to the model, as the reference tool does:
/// links are resolved, and paths outside the model are dropped.
pub fn relative_to_model(model: &Path, paths: &[PathBuf]) -> Vec<RelPath> {
    let Ok(root) = std::fs::canonicalize(model) else { return Vec::new() };
    paths
        .iter()
        .filter_map(|p| {
            let resolved = resolve_lenient(&std::path::absolute(p).ok()?);
            let rel = resolved.strip_prefix(&root).ok()?;
            let parts: Option<Vec<String>> =
                rel.components().map(|c| c.as_os_str().to_str().map(str::to_owned)).collect();
            Some(RelPath(parts?)).filter(|r| !r.0.is_empty())
        })
        .collect()
}

/// Canonicalises the longest existing ancestor of `path` and appends the
/// rest, resolving `.` and `..` lexically (like Python's `Path.resolve()`).
fn resolve_lenient(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut normal = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                normal.pop();
            }
            Component::CurDir => {}
            other => normal.push(other),
        }
    }
    let mut existing = normal.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(canon) = std::fs::canonicalize(existing) {
            return rest.iter().rev().fold(canon, |acc: PathBuf, c| acc.join(c));
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                existing = parent;
            }
            _ => return normal,
        }
    }
}

/// Where a model's signature is by default: `model.sig` inside a folder,
/// `FILE.sig` beside a single-file model.
pub fn default_signature_path(model: &Path) -> PathBuf {
    if model.is_dir() {
        model.join(SIGNATURE_FILE)
    } else {
        let mut s = model.as_os_str().to_owned();
        s.push(".sig");
        PathBuf::from(s)
    }
}
