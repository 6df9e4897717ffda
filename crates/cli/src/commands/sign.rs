//! `modelvet sign`: writes an OpenSSF Model Signing signature for a model.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use modelvet_engine::signing::{self, Ignore, Signer, keys::PrivateKey};

use crate::cli::SignArgs;

pub fn run(args: SignArgs) -> Result<ExitCode> {
    let key_pem = std::fs::read_to_string(&args.key).with_context(|| format!("cannot read {}", args.key.display()))?;
    let key = PrivateKey::from_pem(&key_pem).with_context(|| format!("{}", args.key.display()))?;
    let signer = match &args.certificate {
        None => Signer::Key(key),
        Some(cert) => {
            let leaf = std::fs::read(cert).with_context(|| format!("cannot read {}", cert.display()))?;
            let mut chain = Vec::new();
            for p in &args.certificate_chain {
                chain.extend(std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?);
                chain.push(b'\n');
            }
            Signer::with_certificate(key, &leaf, &chain).with_context(|| format!("{}", cert.display()))?
        }
    };
    let signature = args.signature.clone().unwrap_or_else(|| signing::default_signature_path(&args.model));
    // The signature itself is never part of what it signs.
    let mut ignored = args.ignore_paths.clone();
    ignored.push(signature.clone());
    let ignore =
        Ignore { paths: signing::relative_to_model(&args.model, &ignored), git_paths: !args.no_ignore_git_paths };
    let started = Instant::now();
    let signed = signing::sign(&args.model, &ignore, &signer)
        .with_context(|| format!("cannot sign {}", args.model.display()))?;
    std::fs::write(&signature, &signed.bundle).with_context(|| format!("cannot write {}", signature.display()))?;
    eprintln!(
        "signed {} ({} file{}, root sha256:{}) in {:.2} s -> {}",
        args.model.display(),
        signed.files,
        if signed.files == 1 { "" } else { "s" },
        signed.root_digest,
        started.elapsed().as_secs_f64(),
        signature.display()
    );
    Ok(ExitCode::SUCCESS)
}
