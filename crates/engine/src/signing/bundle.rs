//! The signature file, layer by layer: a Sigstore bundle v0.3 holding a DSSE
//! envelope whose payload is an in-toto statement listing every file's digest.
//!
//! The file is untrusted JSON: it is size-limited before parsing, every field
//! is checked for its type, and anything unexpected is a [`Malformed`] error
//! naming the field, never a panic. The payload is kept as the exact bytes
//! that were signed; it is parsed only after the signature has been checked
//! (the reference tool's key order is not stable, so nothing is canonicalised).
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Map, Value, json};

use super::manifest::{Method, RelPath, Resource};

pub const BUNDLE_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
pub const PREDICATE_TYPE: &str = "https://model_signing/signature/v1.0";

/// Largest signature file read (real ones are a few KiB per hundred files).
pub const MAX_BUNDLE_BYTES: u64 = 256 << 20;
/// Most certificates accepted in a bundle's chain.
pub const MAX_CERTIFICATES: usize = 16;

/// A signature file that is not what the format says.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed signature: {0}")]
pub struct Malformed(pub String);

fn bad(msg: impl Into<String>) -> Malformed {
    Malformed(msg.into())
}

/// What the bundle says about who signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Material {
    /// Key flow: the SHA-256 of the signer's public key PEM, when present.
    PublicKey { hint: Option<String> },
    /// Certificate flow: DER certificates, leaf first.
    Chain(Vec<Vec<u8>>),
    /// Keyless (Sigstore): a Fulcio leaf certificate and transparency-log entries.
    Keyless { certificate: Vec<u8> },
}

/// A decoded bundle. `payload` is exactly what was signed (inside the PAE).
#[derive(Debug, Clone)]
pub struct Bundle {
    pub material: Material,
    pub payload_type: String,
    pub payload: Vec<u8>,
    /// DER `ECDSA-Sig-Value` of `signatures[0]`.
    pub signature: Vec<u8>,
}

/// The DSSE v1 pre-authentication encoding: what is actually signed.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + payload_type.len() + 32);
    out.extend_from_slice(format!("DSSEv1 {} {payload_type} {} ", payload_type.len(), payload.len()).as_bytes());
    out.extend_from_slice(payload);
    out
}

fn field<'a>(obj: &'a Value, key: &str, ctx: &str) -> Result<&'a Value, Malformed> {
    obj.get(key).ok_or_else(|| bad(format!("{ctx} has no `{key}`")))
}

fn string<'a>(obj: &'a Value, key: &str, ctx: &str) -> Result<&'a str, Malformed> {
    field(obj, key, ctx)?.as_str().ok_or_else(|| bad(format!("{ctx}.{key} is not a string")))
}

fn base64(obj: &Value, key: &str, ctx: &str) -> Result<Vec<u8>, Malformed> {
    B64.decode(string(obj, key, ctx)?).map_err(|e| bad(format!("{ctx}.{key} is not base64: {e}")))
}

impl Bundle {
    /// Parses a signature file's bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, Malformed> {
        if bytes.len() as u64 > MAX_BUNDLE_BYTES {
            return Err(bad(format!("the file is larger than {MAX_BUNDLE_BYTES} bytes")));
        }
        let v: Value = serde_json::from_slice(bytes).map_err(|e| bad(format!("not JSON: {e}")))?;
        if !v.is_object() {
            return Err(bad("the bundle is not a JSON object"));
        }
        let media = string(&v, "mediaType", "the bundle")?;
        if media != BUNDLE_MEDIA_TYPE {
            return Err(bad(format!("unsupported bundle media type `{media}` (expected {BUNDLE_MEDIA_TYPE})")));
        }
        let vm = field(&v, "verificationMaterial", "the bundle")?;
        let material = if let Some(pk) = vm.get("publicKey") {
            let hint = match pk.get("hint") {
                None | Some(Value::Null) => None,
                Some(Value::String(h)) if h.is_empty() => None,
                Some(Value::String(h)) => Some(h.clone()),
                Some(_) => return Err(bad("verificationMaterial.publicKey.hint is not a string")),
            };
            Material::PublicKey { hint }
        } else if let Some(chain) = vm.get("x509CertificateChain") {
            let certs = field(chain, "certificates", "verificationMaterial.x509CertificateChain")?
                .as_array()
                .ok_or_else(|| bad("x509CertificateChain.certificates is not a list"))?;
            if certs.is_empty() || certs.len() > MAX_CERTIFICATES {
                return Err(bad(format!(
                    "the certificate chain holds {} certificates (1 to {MAX_CERTIFICATES})",
                    certs.len()
                )));
            }
            let ders =
                certs.iter().map(|c| base64(c, "rawBytes", "a chain certificate")).collect::<Result<Vec<_>, _>>()?;
            Material::Chain(ders)
        } else if let Some(cert) = vm.get("certificate") {
            Material::Keyless { certificate: base64(cert, "rawBytes", "verificationMaterial.certificate")? }
        } else {
            return Err(bad("verificationMaterial has neither publicKey, x509CertificateChain nor certificate"));
        };
        let env = field(&v, "dsseEnvelope", "the bundle")?;
        let payload_type = string(env, "payloadType", "dsseEnvelope")?.to_owned();
        let payload = base64(env, "payload", "dsseEnvelope")?;
        let sigs = field(env, "signatures", "dsseEnvelope")?
            .as_array()
            .ok_or_else(|| bad("dsseEnvelope.signatures is not a list"))?;
        let first = sigs.first().ok_or_else(|| bad("dsseEnvelope.signatures is empty"))?;
        let signature = base64(first, "sig", "dsseEnvelope.signatures[0]")?;
        Ok(Self { material, payload_type, payload, signature })
    }

    /// Writes the bundle as one line of compact JSON, like the reference tool.
    pub fn to_json(&self) -> String {
        let vm = match &self.material {
            Material::PublicKey { hint } => {
                json!({"publicKey": {"hint": hint.clone().unwrap_or_default()}, "tlogEntries": []})
            }
            Material::Chain(certs) => json!({
                "x509CertificateChain": {"certificates": certs.iter().map(|c| json!({"rawBytes": B64.encode(c)})).collect::<Vec<_>>()},
                "tlogEntries": [],
            }),
            Material::Keyless { certificate } => {
                json!({"certificate": {"rawBytes": B64.encode(certificate)}, "tlogEntries": []})
            }
        };
        json!({
            "mediaType": BUNDLE_MEDIA_TYPE,
            "verificationMaterial": vm,
            "dsseEnvelope": {
                "payload": B64.encode(&self.payload),
                "payloadType": self.payload_type,
                "signatures": [{"sig": B64.encode(&self.signature), "keyid": ""}],
            },
        })
        .to_string()
    }
}

/// The SHA-256 subject digest an in-toto payload claims, read loosely (before
/// its signature is checked; the keyless verifier binds the two).
pub fn subject_sha256(payload: &[u8]) -> Option<[u8; 32]> {
    let v: Value = serde_json::from_slice(payload).ok()?;
    let hex_digest = v.get("subject")?.get(0)?.get("digest")?.get("sha256")?.as_str()?;
    hex::decode(hex_digest).ok()?.try_into().ok()
}

/// The in-toto statement's content that verification uses.
#[derive(Debug, Clone)]
pub struct Statement {
    /// Subject name (informative, never compared).
    pub model_name: String,
    /// The subject's SHA-256: the root digest over the resources.
    pub root_digest: [u8; 32],
    pub method: Method,
    /// Paths the signer left out (relative entries only; others are dropped).
    pub ignore_paths: Vec<RelPath>,
    /// `(name, algorithm, digest)` in payload order.
    pub resources: Vec<SignedResource>,
}

/// One resource as the statement lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedResource {
    pub name: String,
    pub algorithm: String,
    pub digest: Vec<u8>,
}

/// Most resources accepted in one statement.
pub const MAX_RESOURCES: usize = 4_000_000;

fn decode_digest(s: &str, ctx: &str) -> Result<Vec<u8>, Malformed> {
    if s.len() > 256 {
        return Err(bad(format!("{ctx} digest is too long")));
    }
    hex::decode(s).map_err(|_| bad(format!("{ctx} digest `{s}` is not hexadecimal")))
}

impl Statement {
    /// Builds the statement for a freshly hashed model.
    pub fn new(model_name: String, resources: &[Resource], ignore_paths: Vec<RelPath>) -> Self {
        Self {
            model_name,
            root_digest: super::manifest::root_digest(resources),
            method: Method::Files,
            ignore_paths,
            resources: resources
                .iter()
                .map(|r| SignedResource { name: r.name(), algorithm: "sha256".into(), digest: r.digest.to_vec() })
                .collect(),
        }
    }

    /// The payload bytes (compact JSON).
    pub fn to_json(&self) -> Vec<u8> {
        let mut ser = Map::new();
        ser.insert("method".into(), json!("files"));
        ser.insert("hash_type".into(), json!("sha256"));
        ser.insert("allow_symlinks".into(), json!(false));
        if let Method::Shards { shard_size } = self.method {
            ser.insert("method".into(), json!("shards"));
            ser.insert("shard_size".into(), json!(shard_size));
        }
        if !self.ignore_paths.is_empty() {
            ser.insert("ignore_paths".into(), json!(self.ignore_paths.iter().map(RelPath::name).collect::<Vec<_>>()));
        }
        let resources: Vec<Value> = self
            .resources
            .iter()
            .map(|r| json!({"name": r.name, "algorithm": r.algorithm, "digest": hex::encode(&r.digest)}))
            .collect();
        serde_json::to_vec(&json!({
            "_type": STATEMENT_TYPE,
            "subject": [{"name": self.model_name, "digest": {"sha256": hex::encode(self.root_digest)}}],
            "predicateType": PREDICATE_TYPE,
            "predicate": {"serialization": Value::Object(ser), "resources": resources},
        }))
        .unwrap_or_default()
    }

    /// Parses a payload (after its signature was checked).
    pub fn parse(payload: &[u8]) -> Result<Self, Malformed> {
        let v: Value = serde_json::from_slice(payload).map_err(|e| bad(format!("the payload is not JSON: {e}")))?;
        let ty = string(&v, "_type", "the statement")?;
        if ty != STATEMENT_TYPE {
            return Err(bad(format!("statement type `{ty}` is not {STATEMENT_TYPE}")));
        }
        let pt = string(&v, "predicateType", "the statement")?;
        if pt != PREDICATE_TYPE {
            return Err(bad(format!("predicate type `{pt}` is not supported (expected {PREDICATE_TYPE})")));
        }
        let subjects = field(&v, "subject", "the statement")?.as_array().ok_or_else(|| bad("subject is not a list"))?;
        let [subject] = subjects.as_slice() else {
            return Err(bad(format!("the statement has {} subjects, not one", subjects.len())));
        };
        let model_name = subject.get("name").and_then(Value::as_str).unwrap_or_default().to_owned();
        let root = decode_digest(
            string(field(subject, "digest", "the subject")?, "sha256", "subject.digest")?,
            "the subject",
        )?;
        let root_digest: [u8; 32] = root.try_into().map_err(|_| bad("the subject digest is not 32 bytes"))?;
        let predicate = field(&v, "predicate", "the statement")?;
        let ser = field(predicate, "serialization", "the predicate")?;
        let method = match string(ser, "method", "serialization")? {
            "files" => Method::Files,
            "shards" => {
                // The reference tool writes the size as a float (`1000000000.0`).
                let size = field(ser, "shard_size", "serialization")?;
                let n = size
                    .as_u64()
                    .or_else(|| {
                        size.as_f64().filter(|f| f.fract() == 0.0 && *f >= 1.0 && *f < 9.0e15).map(|f| f as u64)
                    })
                    .ok_or_else(|| bad(format!("serialization.shard_size `{size}` is not a positive whole number")))?;
                Method::Shards { shard_size: n }
            }
            other => return Err(bad(format!("serialization method `{other}` is not supported"))),
        };
        let hash_type = string(ser, "hash_type", "serialization")?;
        if hash_type != "sha256" {
            return Err(bad(format!("hash type `{hash_type}` is not supported (modelvet verifies sha256)")));
        }
        let mut ignore_paths = Vec::new();
        if let Some(list) = ser.get("ignore_paths") {
            let list = list.as_array().ok_or_else(|| bad("serialization.ignore_paths is not a list"))?;
            if list.len() > 10_000 {
                return Err(bad("serialization.ignore_paths holds more than 10,000 entries"));
            }
            for p in list {
                let p = p.as_str().ok_or_else(|| bad("an ignore_paths entry is not a string"))?;
                // Absolute or climbing entries cannot match a file in the model.
                if let Some(rel) = RelPath::parse(p).filter(|r| !r.0.is_empty()) {
                    ignore_paths.push(rel);
                }
            }
        }
        let list =
            field(predicate, "resources", "the predicate")?.as_array().ok_or_else(|| bad("resources is not a list"))?;
        if list.len() > MAX_RESOURCES {
            return Err(bad(format!("the statement lists more than {MAX_RESOURCES} resources")));
        }
        let resources = list
            .iter()
            .map(|r| {
                let name = string(r, "name", "a resource")?.to_owned();
                Ok(SignedResource {
                    algorithm: string(r, "algorithm", "a resource")?.to_owned(),
                    digest: decode_digest(string(r, "digest", "a resource")?, &format!("resource `{name}`"))?,
                    name,
                })
            })
            .collect::<Result<Vec<_>, Malformed>>()?;
        Ok(Self { model_name, root_digest, method, ignore_paths, resources })
    }

    /// SHA-256 over the listed digests in payload order (must equal the subject).
    pub fn computed_root(&self) -> [u8; 32] {
        use sha2::{Digest as _, Sha256};
        let mut h = Sha256::new();
        for r in &self.resources {
            h.update(&r.digest);
        }
        h.finalize().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_measured_prefix() {
        let p = pae(PAYLOAD_TYPE, &[b'x'; 1721]);
        assert!(p.starts_with(b"DSSEv1 28 application/vnd.in-toto+json 1721 x"));
        assert_eq!(p.len(), 44 + 1721);
    }

    #[test]
    fn hostile_bundles_are_errors_not_panics() {
        for input in [
            &b""[..],
            b"[]",
            b"{\"mediaType\":1}",
            b"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\"}",
            b"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":{}}",
            b"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":{\"publicKey\":{}},\"dsseEnvelope\":{\"payload\":\"!!\",\"payloadType\":\"x\",\"signatures\":[]}}",
            b"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":{\"publicKey\":{}},\"dsseEnvelope\":{\"payload\":\"\",\"payloadType\":\"x\",\"signatures\":[]}}",
        ] {
            assert!(Bundle::parse(input).is_err(), "{}", String::from_utf8_lossy(input));
        }
        let deep = "[".repeat(100_000);
        assert!(Bundle::parse(deep.as_bytes()).is_err());
    }

    #[test]
    fn statement_round_trips_and_accepts_float_shard_sizes() {
        let payload = br#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"m","digest":{"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}}],"predicateType":"https://model_signing/signature/v1.0","predicate":{"serialization":{"method":"shards","hash_type":"sha256","shard_size":32.0,"allow_symlinks":false,"ignore_paths":["/abs","../up","model.sig"]},"resources":[]}}"#;
        let s = Statement::parse(payload).unwrap();
        assert_eq!(s.method, Method::Shards { shard_size: 32 });
        assert_eq!(s.ignore_paths, vec![RelPath::parse("model.sig").unwrap()]);
        assert_eq!(s.computed_root(), s.root_digest);
        let again = Statement::parse(&s.to_json()).unwrap();
        assert_eq!(again.method, s.method);
        assert_eq!(again.ignore_paths, s.ignore_paths);
    }

    #[test]
    fn statement_rejects_bad_shapes() {
        for bad in [
            r#"{"_type":"https://in-toto.io/Statement/v1","subject":[],"predicateType":"https://model_signing/signature/v1.0","predicate":{}}"#,
            r#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"zz"}}],"predicateType":"https://model_signing/signature/v1.0","predicate":{}}"#,
            r#"{"_type":"x","subject":[],"predicateType":"y","predicate":{}}"#,
            r#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}}],"predicateType":"https://model_signing/signature/v1.0","predicate":{"serialization":{"method":"shards","hash_type":"sha256","shard_size":-1.5},"resources":[]}}"#,
        ] {
            assert!(Statement::parse(bad.as_bytes()).is_err(), "{bad}");
        }
    }
}
