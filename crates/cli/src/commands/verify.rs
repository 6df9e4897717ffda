//! `modelvet verify`: checks a model against its OpenSSF Model Signing signature.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};
use modelvet_engine::signing::keyless::{Identity, KeylessTrust, TrustRoot};
use modelvet_engine::signing::{self, Ignore, Trust, Verdict, VerifyOptions, bundle, certs, keys::PublicKey};

use crate::cli::VerifyArgs;

pub fn run(args: VerifyArgs) -> Result<ExitCode> {
    let trust = match (&args.key, &args.trust_root) {
        (_, Some(root)) => {
            let root = TrustRoot::from_file(root)?;
            let (Some(identity), Some(issuer)) = (args.identity.clone(), args.identity_provider.clone()) else {
                anyhow::bail!("--trust-root needs --identity and --identity-provider");
            };
            Trust::Keyless(KeylessTrust { root, identities: vec![Identity { identity, issuer }] })
        }
        (Some(k), None) => {
            let pem = std::fs::read_to_string(k).with_context(|| format!("cannot read {}", k.display()))?;
            Trust::Key(PublicKey::from_pem(&pem).with_context(|| format!("{}", k.display()))?)
        }
        (None, None) => {
            let mut roots = Vec::new();
            for p in &args.certificate_chain {
                let pem = std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?;
                roots.extend(
                    certs::parse_pem_chain(&pem)
                        .map_err(anyhow::Error::msg)
                        .with_context(|| format!("{}", p.display()))?,
                );
            }
            Trust::Roots(roots)
        }
    };
    let signature = args.signature.clone().unwrap_or_else(|| signing::default_signature_path(&args.model));
    let meta =
        std::fs::metadata(&signature).with_context(|| format!("cannot read the signature {}", signature.display()))?;
    if meta.len() > bundle::MAX_BUNDLE_BYTES {
        anyhow::bail!(
            "{}: a signature larger than {} bytes is not read",
            signature.display(),
            bundle::MAX_BUNDLE_BYTES
        );
    }
    let sig =
        std::fs::read(&signature).with_context(|| format!("cannot read the signature {}", signature.display()))?;
    let mut ignored = args.ignore_paths.clone();
    ignored.push(signature.clone());
    let options = VerifyOptions {
        ignore: Ignore {
            paths: signing::relative_to_model(&args.model, &ignored),
            git_paths: !args.no_ignore_git_paths,
        },
        ignore_unsigned_files: args.ignore_unsigned_files,
    };
    let verdict = signing::verify(&args.model, &sig, &trust, &options)
        .with_context(|| format!("cannot verify {}", args.model.display()))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}: {verdict}", args.model.display())?;
    Ok(match verdict {
        Verdict::Verified(_) => ExitCode::SUCCESS,
        Verdict::NotVerified(_) => ExitCode::from(1),
    })
}
