//! Keyless (Sigstore) signatures: a short-lived Fulcio certificate that names
//! an OIDC identity, and a Rekor transparency-log entry that proves when the
//! signature was made.
//!
//! Verification is offline, against a Sigstore `trusted_root.json` the user
//! gives (Fulcio CA chains, Rekor and CT log keys, timestamp authorities, each
//! with a validity window). The Sigstore checks themselves are done by the
//! official `sigstore-verify` crate (sigstore-rust), built without its
//! `aws-lc-rs` backend: modelvet installs [`RustCryptoProvider`], a pure-Rust
//! provider on the RustCrypto crates it already uses (SHA-2, ECDSA P-256/P-384,
//! Ed25519). What `sigstore-verify` checks, in order:
//!
//! 1. the signing time: the Rekor entry's integrated time, authenticated by its
//!    signed entry timestamp (SET), and/or RFC 3161 timestamps from a trusted TSA;
//! 2. the certificate chain to a trusted Fulcio CA **at that time** (not now:
//!    Fulcio certificates live ten minutes), the leaf's `codeSigning` usage,
//!    and its embedded SCT against the trusted CT logs;
//! 3. the transparency-log entry: its Merkle inclusion proof against a
//!    checkpoint signed by a trusted log key, its SET, and that the entry
//!    describes this very signature and certificate;
//! 4. the DSSE signature by the leaf's key, and that the in-toto statement's
//!    subject is the digest given.
//!
//! modelvet then matches the certificate's identity (its SAN) and OIDC issuer
//! (Fulcio extension 1.3.6.1.4.1.57264.1.8, or the legacy .1.1) against the
//! identities the user trusts, and compares the signed manifest with the files
//! as for every other kind of signature.
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use sigstore_crypto::{CryptoProvider, HashContext, SigningScheme};
use sigstore_types::HashAlgorithm;
use sigstore_verify::types::{ArtifactDigest, Sha256Hash};
use sigstore_verify::{VerificationPolicy, Verifier};

use super::Failure;

/// Largest `trusted_root.json` read (the production one is about 7 KiB).
pub const MAX_TRUST_ROOT_BYTES: u64 = 4 << 20;

/// An OIDC identity the verifier trusts: the certificate's subject alternative
/// name (an email address or a URI, compared exactly) issued by `issuer`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The SAN: `alice@example.com`, or a workflow URI such as
    /// `https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main`.
    pub identity: String,
    /// The OIDC issuer, e.g. `https://accounts.google.com`.
    pub issuer: String,
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (issuer {})", self.identity, self.issuer)
    }
}

/// A trusted root that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustRootError {
    #[error("cannot read {path}: {message}")]
    Read { path: String, message: String },
    #[error("{path}: larger than {MAX_TRUST_ROOT_BYTES} bytes, not a trusted root")]
    TooLarge { path: String },
    #[error("not a Sigstore trusted root: {0}")]
    Invalid(String),
}

/// A loaded, checked `trusted_root.json`.
#[derive(Clone)]
pub struct TrustRoot {
    verifier: Arc<Verifier>,
    /// Where it came from (for messages).
    pub source: String,
}

impl fmt::Debug for TrustRoot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrustRoot").field("source", &self.source).finish_non_exhaustive()
    }
}

impl TrustRoot {
    /// Parses a trusted root (`application/vnd.dev.sigstore.trustedroot+json`),
    /// rejecting unusable material (bad keys, empty chains, bad windows) now
    /// rather than at verification time.
    pub fn from_json(json: &str, source: impl Into<String>) -> Result<Self, TrustRootError> {
        install_provider();
        if json.len() as u64 > MAX_TRUST_ROOT_BYTES {
            return Err(TrustRootError::TooLarge { path: source.into() });
        }
        // A client trust config (`model_signing --trust_config`) wraps the root.
        let value: serde_json::Value =
            serde_json::from_str(json).map_err(|e| TrustRootError::Invalid(format!("not JSON: {e}")))?;
        let root_json = match value.get("trustedRoot") {
            Some(inner)
                if value.get("mediaType").and_then(|m| m.as_str()).is_some_and(|m| m.contains("clienttrustconfig")) =>
            {
                inner.to_string()
            }
            _ => json.to_owned(),
        };
        let root = sigstore_verify::trust_root::TrustedRoot::from_json(&root_json)
            .map_err(|e| TrustRootError::Invalid(e.to_string()))?;
        if root.certificate_authorities.is_empty() {
            return Err(TrustRootError::Invalid("it lists no certificate authority (Fulcio)".into()));
        }
        let verifier = Verifier::new(&root).map_err(|e| TrustRootError::Invalid(e.to_string()))?;
        Ok(Self { verifier: Arc::new(verifier), source: source.into() })
    }

    /// Reads a trusted root from a file.
    pub fn from_file(path: &Path) -> Result<Self, TrustRootError> {
        let shown = path.display().to_string();
        let read = |e: std::io::Error| TrustRootError::Read { path: shown.clone(), message: e.to_string() };
        let meta = std::fs::metadata(path).map_err(read)?;
        if meta.len() > MAX_TRUST_ROOT_BYTES {
            return Err(TrustRootError::TooLarge { path: shown });
        }
        let text = std::fs::read_to_string(path).map_err(read)?;
        Self::from_json(&text, shown.clone()).map_err(|e| match e {
            TrustRootError::Invalid(m) => TrustRootError::Invalid(format!("{shown}: {m}")),
            other => other,
        })
    }
}

/// What a keyless verification trusts: a root and the identities allowed to sign.
#[derive(Debug, Clone)]
pub struct KeylessTrust {
    pub root: TrustRoot,
    /// At least one; a signature verifies when its certificate matches any.
    pub identities: Vec<Identity>,
}

/// The verified signer: who the certificate names, and when it signed.
#[derive(Debug, Clone)]
pub struct KeylessSigner {
    pub identity: String,
    pub issuer: String,
    /// The authenticated signing time (Unix seconds), when known.
    pub signed_at: Option<i64>,
}

/// Runs every Sigstore check on `bundle_json` for a statement whose subject
/// digest is `subject_sha256`, then matches the identity against `trust`.
pub fn verify_bundle(
    bundle_json: &[u8],
    subject_sha256: [u8; 32],
    trust: &KeylessTrust,
) -> Result<KeylessSigner, Failure> {
    let text = std::str::from_utf8(bundle_json)
        .map_err(|_| Failure::Malformed("malformed signature: the bundle is not UTF-8".into()))?;
    let bundle = sigstore_verify::types::Bundle::from_json(text)
        .map_err(|e| Failure::Malformed(format!("malformed signature: {e}")))?;
    let digest = ArtifactDigest::sha256(Sha256Hash::new(subject_sha256));
    let result =
        trust.root.verifier.verify(digest, &bundle, &VerificationPolicy::any_identity()).map_err(|e| match e {
            sigstore_verify::Error::Certificate(_) => {
                explain_certificate(&bundle).unwrap_or_else(|| map_error(e, &trust.root.source))
            }
            e => map_error(e, &trust.root.source),
        })?;
    let identity = result.identity().map(|s| s.as_str().to_owned());
    let issuer = result.issuer().map(str::to_owned);
    let (Some(identity), Some(issuer)) = (identity, issuer) else {
        return Err(Failure::Untrusted(
            "the signing certificate names no identity or no OIDC issuer, so it cannot be matched".into(),
        ));
    };
    if !trust.identities.iter().any(|t| t.identity == identity && t.issuer == issuer) {
        return Err(Failure::IdentityMismatch {
            found: Identity { identity, issuer },
            trusted: trust.identities.clone(),
        });
    }
    let signed_at =
        result.integrated_time().or_else(|| result.verified_timestamps().iter().min().copied()).map(|t| t.as_second());
    Ok(KeylessSigner { identity, issuer, signed_at })
}

/// A clearer message than the chain validator's when the leaf was not valid
/// at the time the log claims (the claim is only used to explain a failure).
fn explain_certificate(bundle: &sigstore_verify::types::Bundle) -> Option<Failure> {
    use x509_cert::der::Decode as _;
    let cert = x509_cert::Certificate::from_der(bundle.signing_certificate()?.as_bytes()).ok()?;
    let v = &cert.tbs_certificate.validity;
    let (from, to) = (v.not_before.to_unix_duration().as_secs(), v.not_after.to_unix_duration().as_secs());
    let logged = bundle
        .verification_material
        .tlog_entries
        .iter()
        .filter_map(|e| e.integrated_time)
        .map(|t| t.as_second())
        .find(|t| *t > 0)?;
    let logged = u64::try_from(logged).ok()?;
    if (from..=to).contains(&logged) {
        return None;
    }
    let ts = |t: u64| super::format_unix(i64::try_from(t).unwrap_or(i64::MAX));
    Some(Failure::Untrusted(format!(
        "the signing certificate was valid from {} to {}, but the signature was logged at {}",
        ts(from),
        ts(to),
        ts(logged)
    )))
}

fn map_error(e: sigstore_verify::Error, root: &str) -> Failure {
    use sigstore_verify::Error as E;
    match e {
        E::SignatureInvalid(_) => Failure::BadSignature,
        E::Certificate(c) => {
            let text = c.to_string();
            if text.contains("UnknownIssuer") {
                Failure::Untrusted(format!(
                    "the signing certificate was not issued by a certificate authority of the trusted root {root}"
                ))
            } else {
                Failure::Untrusted(format!("{text} (trusted root {root})"))
            }
        }
        E::TransparencyLog(t) => Failure::TransparencyLog(t.to_string()),
        E::Timestamp(t) => Failure::TransparencyLog(t.to_string()),
        E::ArtifactMismatch(m) => Failure::Malformed(format!("malformed signature: {m}")),
        E::InvalidBundle(m) | E::UnsupportedBundle(m) => Failure::Malformed(format!("malformed signature: {m}")),
        other => Failure::Untrusted(other.to_string()),
    }
}

/// Installs the RustCrypto provider for `sigstore-crypto` once per process.
pub fn install_provider() {
    static PROVIDER: RustCryptoProvider = RustCryptoProvider;
    // Already installed (by an earlier call): nothing to do.
    let _ = sigstore_crypto::install_default_provider(&PROVIDER);
}

/// A pure-Rust `sigstore-crypto` backend: SHA-2 (`sha2`, with the CPU's SHA
/// extensions), ECDSA P-256/P-384 (`p256`/`p384`, DER signatures) and Ed25519
/// (`ed25519-dalek`). RSA and ML-DSA are refused: Sigstore's public instance
/// uses neither for Fulcio, Rekor or CT, and a refusal is a clear failure.
#[derive(Debug)]
pub struct RustCryptoProvider;

enum Hasher {
    S256(sha2::Sha256),
    S384(sha2::Sha384),
    S512(sha2::Sha512),
}

impl HashContext for Hasher {
    fn update(&mut self, data: &[u8]) {
        use sha2::Digest as _;
        match self {
            Self::S256(h) => h.update(data),
            Self::S384(h) => h.update(data),
            Self::S512(h) => h.update(data),
        }
    }

    fn finalize(self: Box<Self>) -> Vec<u8> {
        use sha2::Digest as _;
        match *self {
            Self::S256(h) => h.finalize().to_vec(),
            Self::S384(h) => h.finalize().to_vec(),
            Self::S512(h) => h.finalize().to_vec(),
        }
    }
}

fn invalid(scheme: SigningScheme) -> sigstore_crypto::Error {
    sigstore_crypto::Error::Verification(format!("{} signature invalid", scheme.name()))
}

fn unsupported(scheme: SigningScheme) -> sigstore_crypto::Error {
    sigstore_crypto::Error::UnsupportedAlgorithm(format!("{} is not supported by modelvet", scheme.name()))
}

fn digest_for(scheme: SigningScheme, data: &[u8]) -> Option<Vec<u8>> {
    use sha2::Digest as _;
    Some(match scheme.hash_algorithm()? {
        HashAlgorithm::Sha2256 => sha2::Sha256::digest(data).to_vec(),
        HashAlgorithm::Sha2384 => sha2::Sha384::digest(data).to_vec(),
        HashAlgorithm::Sha2512 => sha2::Sha512::digest(data).to_vec(),
        _ => return None,
    })
}

fn ecdsa_prehashed(
    scheme: SigningScheme,
    point: &[u8],
    digest: &[u8],
    signature: &[u8],
) -> sigstore_crypto::Result<()> {
    use ecdsa::signature::hazmat::PrehashVerifier as _;
    let ok = match scheme {
        SigningScheme::EcdsaP256Sha256 | SigningScheme::EcdsaP256Sha384 => {
            let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(|_| invalid(scheme))?;
            let sig = p256::ecdsa::Signature::from_der(signature).map_err(|_| invalid(scheme))?;
            key.verify_prehash(digest, &sig).is_ok()
        }
        SigningScheme::EcdsaP384Sha256 | SigningScheme::EcdsaP384Sha384 => {
            let key = p384::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(|_| invalid(scheme))?;
            let sig = p384::ecdsa::Signature::from_der(signature).map_err(|_| invalid(scheme))?;
            key.verify_prehash(digest, &sig).is_ok()
        }
        _ => return Err(unsupported(scheme)),
    };
    if ok { Ok(()) } else { Err(invalid(scheme)) }
}

impl CryptoProvider for RustCryptoProvider {
    fn hash(&self, algorithm: HashAlgorithm) -> sigstore_crypto::Result<Box<dyn HashContext>> {
        use sha2::Digest as _;
        Ok(Box::new(match algorithm {
            HashAlgorithm::Sha2256 => Hasher::S256(sha2::Sha256::new()),
            HashAlgorithm::Sha2384 => Hasher::S384(sha2::Sha384::new()),
            HashAlgorithm::Sha2512 => Hasher::S512(sha2::Sha512::new()),
            other => {
                return Err(sigstore_crypto::Error::UnsupportedAlgorithm(format!(
                    "hash {other:?} is not supported by modelvet"
                )));
            }
        }))
    }

    fn verify_raw(
        &self,
        scheme: SigningScheme,
        spki_pubkey_bytes: &[u8],
        data: &[u8],
        signature: &[u8],
    ) -> sigstore_crypto::Result<()> {
        if scheme == SigningScheme::Ed25519 {
            use ed25519_dalek::Verifier as _;
            let bytes: &[u8; 32] = spki_pubkey_bytes.try_into().map_err(|_| invalid(scheme))?;
            let key = ed25519_dalek::VerifyingKey::from_bytes(bytes).map_err(|_| invalid(scheme))?;
            let sig = ed25519_dalek::Signature::from_slice(signature).map_err(|_| invalid(scheme))?;
            return key.verify(data, &sig).map_err(|_| invalid(scheme));
        }
        let digest = digest_for(scheme, data).ok_or_else(|| unsupported(scheme))?;
        ecdsa_prehashed(scheme, spki_pubkey_bytes, &digest, signature)
    }

    fn verify_prehashed(
        &self,
        scheme: SigningScheme,
        spki_pubkey_bytes: &[u8],
        digest: &[u8],
        signature: &[u8],
    ) -> sigstore_crypto::Result<()> {
        ecdsa_prehashed(scheme, spki_pubkey_bytes, digest, signature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_verifies_and_rejects_ecdsa() {
        use p256::ecdsa::{SigningKey, signature::Signer as _};
        let key = SigningKey::from_slice(&[7u8; 32]).unwrap();
        let point = key.verifying_key().to_encoded_point(false);
        let sig: p256::ecdsa::Signature = key.sign(b"hello");
        let der = sig.to_der();
        let p = RustCryptoProvider;
        p.verify_raw(SigningScheme::EcdsaP256Sha256, point.as_bytes(), b"hello", der.as_bytes()).unwrap();
        assert!(p.verify_raw(SigningScheme::EcdsaP256Sha256, point.as_bytes(), b"hellO", der.as_bytes()).is_err());
        assert!(p.verify_raw(SigningScheme::EcdsaP256Sha256, b"\x04junk", b"hello", der.as_bytes()).is_err());
        assert!(p.verify_raw(SigningScheme::RsaPkcs1Sha256, point.as_bytes(), b"hello", der.as_bytes()).is_err());
        assert_eq!(p.sha256(b"abc")[..4], [0xba, 0x78, 0x16, 0xbf]);
    }

    fn generated(name: &str) -> Vec<u8> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/signing/keyless/generated");
        std::fs::read(dir.join(name)).unwrap()
    }

    fn test_trust() -> KeylessTrust {
        let root = String::from_utf8(generated("trusted_root.json")).unwrap();
        KeylessTrust {
            root: TrustRoot::from_json(&root, "generated").unwrap(),
            identities: vec![Identity {
                identity: "model-signer@example.com".into(),
                issuer: "https://accounts.example.com".into(),
            }],
        }
    }

    fn subject(bundle: &[u8]) -> [u8; 32] {
        use base64::Engine as _;
        let v: serde_json::Value = serde_json::from_slice(bundle).unwrap();
        let payload =
            base64::engine::general_purpose::STANDARD.decode(v["dsseEnvelope"]["payload"].as_str().unwrap()).unwrap();
        crate::signing::bundle::subject_sha256(&payload).unwrap()
    }

    #[test]
    fn generated_bundle_verifies_and_names_its_signer() {
        let good = generated("good.sig");
        let signer = verify_bundle(&good, subject(&good), &test_trust()).unwrap();
        assert_eq!(signer.identity, "model-signer@example.com");
        assert_eq!(signer.issuer, "https://accounts.example.com");
        assert_eq!(signer.signed_at, Some(1_748_779_200));
        // Another subject digest than the statement's is refused.
        assert!(matches!(verify_bundle(&good, [0; 32], &test_trust()), Err(Failure::Malformed(_))));
    }

    /// Every single-byte change to a good bundle is an error or (in the few
    /// bytes nothing covers, like the DSSE `keyid`) still the same verdict:
    /// never a panic.
    #[test]
    fn mutated_bundles_never_panic() {
        let good = generated("good.sig");
        let trust = test_trust();
        let want = subject(&good);
        let mut accepted = 0;
        for i in (0..good.len()).step_by(7) {
            for b in [b'A', b'"', b'0', 0xff] {
                let mut m = good.clone();
                m[i] = b;
                if verify_bundle(&m, want, &trust).is_ok() {
                    accepted += 1;
                }
            }
        }
        // Accepted mutations can only be in unsigned, unchecked bytes; they are few.
        assert!(accepted < good.len() / 50, "{accepted} mutations accepted");
    }

    #[test]
    fn hostile_trust_roots_are_errors() {
        for bad in ["", "[]", "{}", r#"{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}"#] {
            assert!(TrustRoot::from_json(bad, "t").is_err(), "{bad}");
        }
    }
}
