//! ECDSA keys on the curves OpenSSF Model Signing allows (P-256, P-384,
//! P-521), read from PEM. The digest follows the curve (SHA-256/384/512) and
//! signatures are DER `ECDSA-Sig-Value`s, as the format requires.
use ecdsa::signature::{Signer as _, Verifier as _};
use p256::pkcs8::{DecodePrivateKey as _, DecodePublicKey as _, EncodePublicKey as _, LineEnding};
use sha2::{Digest as _, Sha256};

/// A key file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct KeyError(pub String);

/// A signing key.
pub enum PrivateKey {
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
    P521(p521::ecdsa::SigningKey),
}

/// A verifying key.
#[derive(Clone)]
pub enum PublicKey {
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    P521(p521::ecdsa::VerifyingKey),
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({} {})", self.curve(), self.hint())
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.sec1() == other.sec1()
    }
}

impl Eq for PublicKey {}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PrivateKey({})", self.public_key().curve())
    }
}

impl PrivateKey {
    /// Reads a PKCS#8 (`BEGIN PRIVATE KEY`) or SEC1 (`BEGIN EC PRIVATE KEY`)
    /// PEM private key. Encrypted keys are refused with a clear message.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        if pem.contains("ENCRYPTED") {
            return Err(KeyError(
                "encrypted private keys are not supported; decrypt it first (openssl pkcs8 -nocrypt)".into(),
            ));
        }
        if pem.contains("BEGIN EC PRIVATE KEY") {
            use p256::elliptic_curve::SecretKey;
            if let Ok(k) = SecretKey::<p256::NistP256>::from_sec1_pem(pem) {
                return Ok(Self::P256(k.into()));
            }
            if let Ok(k) = SecretKey::<p384::NistP384>::from_sec1_pem(pem) {
                return Ok(Self::P384(k.into()));
            }
            if let Ok(k) = SecretKey::<p521::NistP521>::from_sec1_pem(pem) {
                return p521::ecdsa::SigningKey::from_bytes(&k.to_bytes())
                    .map(Self::P521)
                    .map_err(|e| KeyError(format!("bad P-521 key: {e}")));
            }
            return Err(KeyError("not an EC private key on P-256, P-384 or P-521".into()));
        }
        if let Ok(k) = p256::ecdsa::SigningKey::from_pkcs8_pem(pem) {
            return Ok(Self::P256(k));
        }
        if let Ok(k) = p384::ecdsa::SigningKey::from_pkcs8_pem(pem) {
            return Ok(Self::P384(k));
        }
        if let Ok(k) = p521::SecretKey::from_pkcs8_pem(pem) {
            return p521::ecdsa::SigningKey::from_bytes(&k.to_bytes())
                .map(Self::P521)
                .map_err(|e| KeyError(format!("bad P-521 key: {e}")));
        }
        Err(KeyError(
            "not a PEM ECDSA private key on P-256, P-384 or P-521 (PKCS#8 `PRIVATE KEY` or SEC1 `EC PRIVATE KEY`)"
                .into(),
        ))
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        match self {
            Self::P256(k) => PublicKey::P256(*k.verifying_key()),
            Self::P384(k) => PublicKey::P384(*k.verifying_key()),
            Self::P521(k) => PublicKey::P521(p521::ecdsa::VerifyingKey::from(k)),
        }
    }

    /// Signs `msg` (hashed with the curve's digest); DER signature.
    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        match self {
            Self::P256(k) => {
                let s: p256::ecdsa::Signature = k.sign(msg);
                s.to_der().as_bytes().to_vec()
            }
            Self::P384(k) => {
                let s: p384::ecdsa::Signature = k.sign(msg);
                s.to_der().as_bytes().to_vec()
            }
            Self::P521(k) => {
                let s: p521::ecdsa::Signature = k.sign(msg);
                s.to_der().as_bytes().to_vec()
            }
        }
    }
}

impl PublicKey {
    /// Reads a `BEGIN PUBLIC KEY` (SubjectPublicKeyInfo) PEM.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        if let Ok(k) = p256::ecdsa::VerifyingKey::from_public_key_pem(pem) {
            return Ok(Self::P256(k));
        }
        if let Ok(k) = p384::ecdsa::VerifyingKey::from_public_key_pem(pem) {
            return Ok(Self::P384(k));
        }
        if let Ok(k) = p521::PublicKey::from_public_key_pem(pem) {
            return p521::ecdsa::VerifyingKey::from_affine(*k.as_affine())
                .map(Self::P521)
                .map_err(|e| KeyError(format!("bad P-521 key: {e}")));
        }
        Err(KeyError("not a PEM public key on P-256, P-384 or P-521 (`BEGIN PUBLIC KEY`)".into()))
    }

    /// Builds a key from a certificate's SubjectPublicKeyInfo (DER).
    pub fn from_spki_der(der: &[u8]) -> Result<Self, KeyError> {
        if let Ok(k) = p256::ecdsa::VerifyingKey::from_public_key_der(der) {
            return Ok(Self::P256(k));
        }
        if let Ok(k) = p384::ecdsa::VerifyingKey::from_public_key_der(der) {
            return Ok(Self::P384(k));
        }
        if let Ok(k) = p521::PublicKey::from_public_key_der(der) {
            return p521::ecdsa::VerifyingKey::from_affine(*k.as_affine())
                .map(Self::P521)
                .map_err(|e| KeyError(format!("bad P-521 key: {e}")));
        }
        Err(KeyError("the certificate's key is not an EC key on P-256, P-384 or P-521".into()))
    }

    /// The uncompressed SEC1 point.
    fn sec1(&self) -> Vec<u8> {
        match self {
            Self::P256(k) => k.to_encoded_point(false).as_bytes().to_vec(),
            Self::P384(k) => k.to_encoded_point(false).as_bytes().to_vec(),
            Self::P521(k) => k.to_encoded_point(false).as_bytes().to_vec(),
        }
    }

    /// The curve's name.
    pub fn curve(&self) -> &'static str {
        match self {
            Self::P256(_) => "P-256",
            Self::P384(_) => "P-384",
            Self::P521(_) => "P-521",
        }
    }

    /// The canonical PEM (SPKI, uncompressed point, 64-column base64, LF).
    pub fn to_pem(&self) -> String {
        let pem = match self {
            Self::P256(k) => k.to_public_key_pem(LineEnding::LF),
            Self::P384(k) => k.to_public_key_pem(LineEnding::LF),
            Self::P521(k) => p521::PublicKey::from_affine(*k.as_affine())
                .map_err(|_| p256::pkcs8::spki::Error::KeyMalformed)
                .and_then(|k| k.to_public_key_pem(LineEnding::LF)),
        };
        pem.unwrap_or_default()
    }

    /// The key-flow hint: lowercase hex SHA-256 of the canonical PEM text.
    pub fn hint(&self) -> String {
        hex::encode(Sha256::digest(self.to_pem().as_bytes()))
    }

    /// Checks a DER signature over `msg` (hashed with the curve's digest).
    pub fn verify(&self, msg: &[u8], der: &[u8]) -> bool {
        match self {
            Self::P256(k) => p256::ecdsa::Signature::from_der(der).is_ok_and(|s| k.verify(msg, &s).is_ok()),
            Self::P384(k) => p384::ecdsa::Signature::from_der(der).is_ok_and(|s| k.verify(msg, &s).is_ok()),
            Self::P521(k) => p521::ecdsa::Signature::from_der(der).is_ok_and(|s| k.verify(msg, &s).is_ok()),
        }
    }

    /// Checks a DER signature over an already computed digest (certificate
    /// signatures choose their digest independently of the curve).
    pub fn verify_prehash(&self, digest: &[u8], der: &[u8]) -> bool {
        use ecdsa::signature::hazmat::PrehashVerifier as _;
        match self {
            Self::P256(k) => p256::ecdsa::Signature::from_der(der).is_ok_and(|s| k.verify_prehash(digest, &s).is_ok()),
            Self::P384(k) => p384::ecdsa::Signature::from_der(der).is_ok_and(|s| k.verify_prehash(digest, &s).is_ok()),
            Self::P521(k) => p521::ecdsa::Signature::from_der(der).is_ok_and(|s| k.verify_prehash(digest, &s).is_ok()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_on_every_curve() {
        let mut rng = rand_core::OsRng;
        let keys = [
            PrivateKey::P256(p256::ecdsa::SigningKey::random(&mut rng)),
            PrivateKey::P384(p384::ecdsa::SigningKey::random(&mut rng)),
            PrivateKey::P521(p521::ecdsa::SigningKey::random(&mut rng)),
        ];
        for k in &keys {
            let pk = k.public_key();
            let sig = k.sign(b"message");
            assert!(pk.verify(b"message", &sig), "{}", pk.curve());
            assert!(!pk.verify(b"messagf", &sig), "{}", pk.curve());
            let pem = pk.to_pem();
            assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n") && pem.ends_with("-----END PUBLIC KEY-----\n"));
            assert_eq!(PublicKey::from_pem(&pem).unwrap(), pk);
            assert_eq!(pk.hint().len(), 64);
        }
    }

    #[test]
    fn junk_keys_are_errors() {
        assert!(PrivateKey::from_pem("").is_err());
        assert!(PrivateKey::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n").is_err());
        assert!(PublicKey::from_pem("-----BEGIN PUBLIC KEY-----\n!!\n-----END PUBLIC KEY-----\n").is_err());
    }
}
