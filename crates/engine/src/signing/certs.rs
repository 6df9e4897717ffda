//! The certificate flow: the bundle carries the signer's leaf certificate and
//! any intermediates; the verifier trusts a set of root certificates.
//!
//! Validation follows what the reference tool does with OpenSSL: the chain is
//! built from the leaf through the bundle's certificates to a trusted root,
//! every signature is checked, issuers below the root must be CAs, and all
//! validity periods are checked **at the leaf's notBefore** (a leaf that has
//! since expired still verifies; there is no revocation check). The leaf needs
//! KeyUsage `digitalSignature` or ExtendedKeyUsage `codeSigning`. Certificate
//! signatures must be ECDSA (SHA-256/384/512) on P-256/P-384/P-521.
use sha2::Digest as _;
use x509_cert::Certificate;
use x509_cert::der::{self, Decode as _, Encode as _};
use x509_cert::ext::pkix::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectAltName, name::GeneralName,
};

use super::keys::PublicKey;

const ECDSA_SHA256: der::oid::ObjectIdentifier = der::oid::ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_SHA384: der::oid::ObjectIdentifier = der::oid::ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const ECDSA_SHA512: der::oid::ObjectIdentifier = der::oid::ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.4");
const CODE_SIGNING: der::oid::ObjectIdentifier = der::oid::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3");

/// Most certificates read from one PEM file of trusted roots.
pub const MAX_ROOTS: usize = 1000;

/// Parses DER certificates (from a bundle).
pub fn parse_der(der: &[u8]) -> Result<Certificate, String> {
    Certificate::from_der(der).map_err(|e| format!("a certificate is not valid DER X.509: {e}"))
}

/// Parses every certificate of a PEM file.
pub fn parse_pem_chain(pem: &[u8]) -> Result<Vec<Certificate>, String> {
    let certs = Certificate::load_pem_chain(pem).map_err(|e| format!("not a PEM certificate file: {e}"))?;
    if certs.is_empty() {
        return Err("no certificate in the file".into());
    }
    if certs.len() > MAX_ROOTS {
        return Err(format!("more than {MAX_ROOTS} certificates in one file"));
    }
    Ok(certs)
}

/// The EC key a certificate certifies.
pub fn public_key(cert: &Certificate) -> Result<PublicKey, String> {
    let spki = cert.tbs_certificate.subject_public_key_info.to_der().map_err(|e| e.to_string())?;
    PublicKey::from_spki_der(&spki).map_err(|e| e.0)
}

/// A one-line description of who a certificate names: its subject and SANs.
pub fn describe(cert: &Certificate) -> String {
    let mut s = cert.tbs_certificate.subject.to_string();
    let sans = extension::<SubjectAltName>(cert).ok().flatten();
    if let Some(SubjectAltName(names)) = sans {
        let names: Vec<String> = names
            .iter()
            .filter_map(|n| match n {
                GeneralName::Rfc822Name(e) => Some(format!("email:{}", e.as_str())),
                GeneralName::DnsName(d) => Some(format!("dns:{}", d.as_str())),
                GeneralName::UniformResourceIdentifier(u) => Some(format!("uri:{}", u.as_str())),
                _ => None,
            })
            .collect();
        if !names.is_empty() {
            s = format!("{s} ({})", names.join(", "));
        }
    }
    s
}

fn extension<T: der::oid::AssociatedOid + for<'a> der::Decode<'a>>(cert: &Certificate) -> Result<Option<T>, String> {
    let Some(exts) = &cert.tbs_certificate.extensions else { return Ok(None) };
    match exts.iter().find(|e| e.extn_id == T::OID) {
        None => Ok(None),
        Some(e) => T::from_der(e.extn_value.as_bytes()).map(Some).map_err(|e| format!("bad extension {}: {e}", T::OID)),
    }
}

fn valid_at(cert: &Certificate, at: std::time::Duration) -> bool {
    let v = &cert.tbs_certificate.validity;
    v.not_before.to_unix_duration() <= at && at <= v.not_after.to_unix_duration()
}

/// Whether `issuer`'s key signed `child`.
fn signed_by(child: &Certificate, issuer: &Certificate) -> bool {
    let Ok(tbs) = child.tbs_certificate.to_der() else { return false };
    let digest: Vec<u8> = match child.signature_algorithm.oid {
        o if o == ECDSA_SHA256 => sha2::Sha256::digest(&tbs).to_vec(),
        o if o == ECDSA_SHA384 => sha2::Sha384::digest(&tbs).to_vec(),
        o if o == ECDSA_SHA512 => sha2::Sha512::digest(&tbs).to_vec(),
        _ => return false,
    };
    let Some(sig) = child.signature.as_bytes() else { return false };
    public_key(issuer).is_ok_and(|k| k.verify_prehash(&digest, sig))
}

fn is_ca(cert: &Certificate) -> bool {
    matches!(extension::<BasicConstraints>(cert), Ok(Some(bc)) if bc.ca)
}

/// Validates the bundle's chain (leaf first) against trusted roots and
/// returns the leaf's key and a description of the signer.
pub fn verify_chain(chain: &[Vec<u8>], roots: &[Certificate]) -> Result<(PublicKey, String), String> {
    let certs = chain.iter().map(|d| parse_der(d)).collect::<Result<Vec<_>, _>>()?;
    let (leaf, intermediates) = certs.split_first().ok_or("the signature holds no certificate")?;
    let at = leaf.tbs_certificate.validity.not_before.to_unix_duration();
    let usage_ok = matches!(extension::<KeyUsage>(leaf)?, Some(ku) if ku.0.contains(KeyUsages::DigitalSignature))
        || matches!(extension::<ExtendedKeyUsage>(leaf)?, Some(eku) if eku.0.contains(&CODE_SIGNING));
    if !usage_ok {
        return Err("the signing certificate allows neither digitalSignature nor codeSigning".into());
    }
    if !valid_at(leaf, at) {
        return Err("the signing certificate's validity period is empty".into());
    }
    // Like OpenSSL without partial chains: the path must end at a trusted,
    // self-signed certificate; trusting only an intermediate is not enough.
    let mut current = leaf;
    for _ in 0..=intermediates.len() + 1 {
        let issuer = &current.tbs_certificate.issuer;
        if let Some(root) =
            roots.iter().find(|r| &r.tbs_certificate.subject == issuer && valid_at(r, at) && signed_by(current, r))
        {
            if root.tbs_certificate.issuer == root.tbs_certificate.subject && signed_by(root, root) {
                return Ok((public_key(leaf)?, describe(leaf)));
            }
            if !is_ca(root) {
                break;
            }
            current = root;
            continue;
        }
        match intermediates
            .iter()
            .find(|c| &c.tbs_certificate.subject == issuer && is_ca(c) && valid_at(c, at) && signed_by(current, c))
        {
            Some(next) => current = next,
            None => break,
        }
    }
    Err(format!(
        "no chain from the signing certificate ({}) to a trusted root: unable to get the issuer certificate of {}",
        describe(leaf),
        current.tbs_certificate.subject
    ))
}
