//! Command-line flags.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "modelvet",
    version,
    about = "Vet machine-learning model files before anyone loads them",
    long_about = "modelvet statically analyses model files (pickle, PyTorch, joblib, NumPy, \
                  dill, Keras, TensorFlow, ONNX, GGUF, safetensors, Hugging Face repositories, \
                  and the archives that hold them) and reports code that would run on load. \
                  It never executes, imports or unpickles what it inspects.",
    after_help = "Examples:\n  modelvet scan model.pt\n  modelvet scan --fail-on high --format json -o report.json ./models\n  modelvet scan --output sarif=modelvet.sarif ./models\n  modelvet policy init\n  modelvet rules\n  modelvet rule PKL001\n  modelvet licence ./models\n  modelvet bom ./models -o bom.cdx.json\n  modelvet sign ./my-model --key private.pem\n  modelvet verify ./my-model --key public.pem\n  modelvet serve --upstream https://huggingface.co\n\nExit codes: 0 nothing at or above the fail level, 1 blocked, 2 operational error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Scan files and folders for unsafe model content.
    Scan(ScanArgs),
    /// Write a CycloneDX AI-BOM of the models in files and folders.
    Bom(BomArgs),
    /// List every rule.
    Rules(RulesArgs),
    /// Show one rule's documentation.
    Rule(RuleArgs),
    /// Write, check or show the policy file (modelvet.toml).
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// List each model's licence: declared, detected, class, verdict, where found.
    #[command(alias = "license")]
    Licence(LicenceArgs),
    /// Run a Hugging-Face-compatible gate that scans every file before serving it.
    Serve(ServeArgs),
    /// Administer a gate: tokens, waivers, quarantine, audit log, rescans.
    Gate(GateArgs),
    /// Sign a model (file or folder) in the OpenSSF Model Signing format.
    Sign(SignArgs),
    /// Verify a model against its OpenSSF Model Signing signature.
    Verify(VerifyArgs),
}

#[derive(Args)]
#[command(
    after_help = "Examples:\n  modelvet licence ./models\n  modelvet licence --format json ~/.cache/huggingface/hub\n\n\
Policy: the [licences] table of --policy FILE, else ./modelvet.toml, else the repository root's.\n\n\
Exit codes: 0 no licence denied, 1 at least one model's licence is denied, 2 an operational error."
)]
pub struct LicenceArgs {
    /// Model folders or files (folders are walked recursively).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Output format: a table, or JSON (one object per model, with every declaration).
    #[arg(long, value_enum, default_value = "text")]
    pub format: ListFormat,

    /// Policy file [default: ./modelvet.toml, else the repository root's modelvet.toml].
    #[arg(long, value_name = "FILE", conflicts_with = "no_policy")]
    pub policy: Option<PathBuf>,

    /// Ignore any policy file: modelvet's default licence classes and verdicts.
    #[arg(long)]
    pub no_policy: bool,
}

#[derive(Args)]
#[command(after_help = "Examples:\n  \
modelvet gate token create --name ci --scope read --expires 90d\n  \
modelvet gate token list\n  \
modelvet gate token revoke ci\n  \
modelvet gate quarantine\n  \
modelvet gate waive 3f1c…e9 --reason \"reviewed in SEC-42\" --expires 2027-06-30\n  \
modelvet gate waive repo:meta_llama/tools --reason \"our partner, verified by phone\"\n  \
modelvet gate waivers\n  \
modelvet gate unwaive 3\n  \
modelvet gate audit --repo org/model --verdict blocked --since 2026-12-01 --limit 20 --format json\n  \
modelvet gate rescan --all --policy modelvet.toml\n  \
modelvet gate --server https://gate.example --token mvg_… quarantine\n\n\
Without --server these read and write the gate's data folder directly (also while it serves). \
With --server URL (or MODELVET_GATE_URL) they use a running gate's admin API with an admin token \
(--token or MODELVET_GATE_TOKEN); `token` commands always work on the data folder.\n\
Exit codes: 0 done, 2 error (bad argument, unreadable data folder, refused or unreachable server).")]
pub struct GateArgs {
    /// The gate's data folder [default: as for `modelvet serve`].
    #[arg(long, value_name = "DIR", global = true, conflicts_with = "server")]
    pub data: Option<PathBuf>,

    /// A running gate's URL: use its admin API instead of the data folder [env: MODELVET_GATE_URL].
    #[arg(long, value_name = "URL", global = true)]
    pub server: Option<String>,

    /// An admin token for --server [env: MODELVET_GATE_TOKEN].
    #[arg(long, value_name = "TOKEN", global = true)]
    pub token: Option<String>,

    #[command(subcommand)]
    pub command: GateCommand,
}

#[derive(Subcommand)]
pub enum GateCommand {
    /// Release one file's content (by SHA-256) despite its blocking findings, or a held
    /// repository (`repo:ORG/NAME`, a look-alike name).
    Waive {
        /// The content's SHA-256 (as in the block message and the audit log), or `repo:ORG/NAME`.
        #[arg(value_name = "SHA256|repo:ORG/NAME")]
        sha256: String,
        /// Why it is accepted (mandatory).
        #[arg(long)]
        reason: String,
        /// Last day the waiver applies (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        expires: Option<String>,
        /// Who grants it [default: $USER; with --server, the token's name].
        #[arg(long)]
        by: Option<String>,
    },
    /// List the waivers (with the ids `unwaive` takes).
    Waivers {
        /// `text` or `json` (one object per line).
        #[arg(long, value_enum, default_value = "text")]
        format: ListFormat,
    },
    /// Remove a waiver by id (see `modelvet gate waivers`).
    Unwaive {
        #[arg(value_name = "ID")]
        id: i64,
    },
    /// List files whose latest decision was a block.
    Quarantine {
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// `text` or `json` (one object per line).
        #[arg(long, value_enum, default_value = "text")]
        format: ListFormat,
    },
    /// Show the newest decisions and administrators' actions.
    Audit {
        /// Only this repository (ORG/NAME).
        #[arg(long)]
        repo: Option<String>,
        /// Only this verdict: allowed, blocked, waived or held.
        #[arg(long)]
        verdict: Option<String>,
        /// Only entries at or after this date (YYYY-MM-DD) or RFC 3339 UTC time.
        #[arg(long, value_name = "TIME")]
        since: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// `text` or `json` (one object per line).
        #[arg(long, value_enum, default_value = "text")]
        format: ListFormat,
    },
    /// Re-judge stored files under the current scanner and policy; report what changed.
    #[command(after_help = "Examples:\n  \
modelvet gate rescan --all --policy modelvet.toml\n  \
modelvet gate rescan --repo org/model --format json\n  \
modelvet gate --server http://127.0.0.1:8765 --token mvg_… rescan --all\n\n\
Blobs are never fetched again: those without a scan by this modelvet version and scan settings are \
scanned again from the blob store; every file is then decided with the policy and the gate's waivers. \
Each changed verdict is written to the audit log (event `rescan`). With --server, the running gate's \
policy is used (restart it with the new policy first); without, --policy/--no-policy/--fail-on as for serve.")]
    Rescan {
        /// Only this repository (ORG/NAME).
        #[arg(long, conflicts_with = "all", required_unless_present = "all")]
        repo: Option<String>,
        /// Every stored file.
        #[arg(long)]
        all: bool,
        /// Policy file (data-folder mode) [default: ./modelvet.toml, else the repository root's].
        #[arg(long, value_name = "FILE", conflicts_with = "no_policy")]
        policy: Option<PathBuf>,
        /// Ignore any modelvet.toml (data-folder mode).
        #[arg(long)]
        no_policy: bool,
        /// Lowest severity that blocks (data-folder mode) [default: the policy's fail-on, else medium].
        #[arg(long, value_enum)]
        fail_on: Option<Level>,
        /// `text` or `json` (the summary as one object).
        #[arg(long, value_enum, default_value = "text")]
        format: ListFormat,
    },
    /// Create, list and revoke access tokens (stored hashed in the data folder).
    #[command(subcommand)]
    Token(TokenCommand),
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it once (it cannot be shown again).
    #[command(after_help = "Examples:\n  \
modelvet gate token create --name alice --scope read\n  \
modelvet gate token create --name ops --scope admin --expires 30d\n  \
export HF_TOKEN=$(modelvet gate token create --name ci --scope read --expires 2027-06-30)\n\n\
The token goes to standard output alone; clients send it as HF_TOKEN (Authorization: Bearer).")]
    Create {
        /// A name for it (shown in the audit log): letters, digits, '.', '_', '-', '@'.
        #[arg(long)]
        name: String,
        /// `read`: download and read the web page; `admin`: also the admin API.
        #[arg(long, value_enum)]
        scope: TokenScope,
        /// Lifetime (30d, 12h, 2w, 1y) or last day (YYYY-MM-DD) [default: never expires].
        #[arg(long, value_name = "DURATION|DATE")]
        expires: Option<String>,
    },
    /// List tokens: name, scope, created, last used, expiry (never the token).
    List {
        /// `text` or `json` (one object per line).
        #[arg(long, value_enum, default_value = "text")]
        format: ListFormat,
    },
    /// Revoke a token by name: it stops working at once.
    Revoke {
        #[arg(value_name = "NAME")]
        name: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum TokenScope {
    Read,
    Admin,
}

#[derive(Args)]
#[command(after_help = "Examples:\n  \
modelvet serve --upstream https://huggingface.co\n  \
modelvet serve --upstream https://huggingface.co --listen 127.0.0.1:9000 --data /srv/modelvet-gate --policy gate.toml\n  \
modelvet serve --upstream https://huggingface.co --listen 0.0.0.0:8765   # tokens required off loopback\n\n\
Then point the stock clients at it:\n  \
HF_ENDPOINT=http://127.0.0.1:8765 python -c 'from huggingface_hub import snapshot_download; snapshot_download(\"org/model\")'\n\n\
A file that fails the policy is refused with 403 and a reason naming the file and the rule; a file still\n\
being fetched and scanned is answered 429 with Retry-After (the client retries). HF_TOKEN in the gate's\n\
environment is sent to the upstream. Details: docs/gate.md.\n\n\
Access: clients send a gate token (`modelvet gate token create`) as HF_TOKEN. Without one they may read \
only while the gate listens on loopback (--no-anonymous / --allow-anonymous change that). The web page \
is at /ui, the admin API (admin tokens) under /admin/api/.\n\n\
Exit codes: 0 stopped by Ctrl-C or SIGTERM, 2 could not start (bad policy, data folder, address).")]
pub struct ServeArgs {
    /// The Hub-compatible server to fetch from.
    #[arg(long, value_name = "URL")]
    pub upstream: String,

    /// Address to listen on (loopback by default).
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8765")]
    pub listen: std::net::SocketAddr,

    /// Folder for the database and the blobs [default: $XDG_CACHE_HOME/modelvet/gate, else ~/.cache/modelvet/gate].
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,

    /// Policy file [default: ./modelvet.toml, else the repository root's modelvet.toml].
    #[arg(long, value_name = "FILE", conflicts_with = "no_policy")]
    pub policy: Option<PathBuf>,

    /// Ignore any modelvet.toml; use modelvet's defaults.
    #[arg(long)]
    pub no_policy: bool,

    /// Lowest severity that blocks [default: the policy's fail-on, else medium].
    #[arg(long, value_enum)]
    pub fail_on: Option<Level>,

    /// Largest file fetched from the upstream (`512M`, `100G`).
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "64G")]
    pub max_file_size: u64,

    /// Seconds a download waits for its fetch and scan before being answered 429 (then the client retries).
    #[arg(long, value_name = "SECONDS", default_value_t = 5)]
    pub scan_wait: u64,

    /// Well-known publishers whose look-alikes are held: a file of `NAMESPACE<TAB>SOURCE` lines
    /// [default: the list shipped with modelvet].
    #[arg(long, value_name = "FILE")]
    pub publishers: Option<PathBuf>,

    /// Serve only repositories of this namespace; repeatable (others are held).
    #[arg(long, value_name = "ORG")]
    pub allow_publisher: Vec<String>,

    /// Let clients without a token download and read the web page
    /// [default: allowed on a loopback address only].
    #[arg(long, conflicts_with = "no_anonymous")]
    pub allow_anonymous: bool,

    /// Require a token for everything but /healthz, also on loopback.
    #[arg(long)]
    pub no_anonymous: bool,

    /// Log format on standard error.
    #[arg(long, value_enum, default_value = "text")]
    pub log_format: LogFormat,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
pub enum PolicyCommand {
    /// Write a commented default policy file.
    #[command(after_help = "Examples:\n  modelvet policy init\n  modelvet policy init ci/modelvet.toml --force")]
    Init {
        /// Where to write it.
        #[arg(default_value = "modelvet.toml", value_name = "FILE")]
        path: PathBuf,
        /// Replace an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Validate a policy file and report every problem with its line and column.
    #[command(after_help = "Examples:\n  modelvet policy check\n  modelvet policy check ci/modelvet.toml\n\n\
Exit codes: 0 valid (warnings allowed), 1 invalid, 2 the file cannot be read.")]
    Check {
        /// The policy file (default: ./modelvet.toml, else the repository root's).
        #[arg(value_name = "FILE")]
        path: Option<PathBuf>,
    },
    /// Print the policy in force, with defaults filled in.
    #[command(after_help = "Examples:\n  modelvet policy show\n  modelvet policy show --policy ci/modelvet.toml")]
    Show {
        /// The policy file (default: ./modelvet.toml, else the repository root's).
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Level {
    Critical,
    High,
    Medium,
    Low,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum Format {
    Text,
    Json,
    Sarif,
    Junit,
    Markdown,
    /// A CycloneDX 1.6 AI-BOM (as `modelvet bom` writes).
    Cyclonedx,
}

impl Format {
    /// Whether the format carries fingerprints or file hashes (so files must be hashed).
    pub fn needs_hashes(self) -> bool {
        matches!(self, Format::Json | Format::Sarif | Format::Cyclonedx)
    }
}

/// Where one report goes: `FORMAT=FILE`, or `FILE` in the `--format` format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputSpec {
    pub format: Option<Format>,
    /// `-` is standard output.
    pub path: PathBuf,
}

pub fn parse_output(s: &str) -> Result<OutputSpec, String> {
    if let Some((f, path)) = s.split_once('=') {
        let format = match f.to_ascii_lowercase().as_str() {
            "text" => Some(Format::Text),
            "json" => Some(Format::Json),
            "sarif" => Some(Format::Sarif),
            "junit" => Some(Format::Junit),
            "markdown" | "md" => Some(Format::Markdown),
            "cyclonedx" | "cdx" => Some(Format::Cyclonedx),
            _ => None,
        };
        if let Some(format) = format {
            if path.is_empty() {
                return Err(format!("{s:?}: no file after `=`"));
            }
            return Ok(OutputSpec { format: Some(format), path: PathBuf::from(path) });
        }
    }
    if s.is_empty() {
        return Err("empty output path".into());
    }
    Ok(OutputSpec { format: None, path: PathBuf::from(s) })
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Args)]
#[command(
    after_help = "Examples:\n  modelvet scan pytorch_model.bin\n  modelvet scan ~/models --jobs 4\n  modelvet scan --fail-on critical --format json --output report.json model.pkl\n  \
modelvet scan --output sarif=modelvet.sarif --output markdown=summary.md ./models\n  \
modelvet scan --policy ci/modelvet.toml --baseline last-week.json --cache ~/.cache/modelvet ./models\n  \
modelvet scan hf://openai-community/gpt2@main\n\n\
Policy: --policy FILE, else ./modelvet.toml, else the repository root's modelvet.toml\n(`modelvet policy init` writes one; --no-policy ignores them).\n\n\
Exit codes: 0 nothing blocks, 1 at least one blocking finding (at or above the fail level,\nor a rule the policy denies), 2 an operational error (missing path, unreadable file,\nbad arguments, invalid policy)."
)]
pub struct ScanArgs {
    /// Files or folders to scan (folders are walked recursively), or `hf://ORG/NAME[@REV]`: a
    /// repository on the Hub (`HF_ENDPOINT`, default https://huggingface.co; `HF_TOKEN`), scanned
    /// where it lives: safetensors/GGUF headers and ONNX external data by HTTP ranges, other files
    /// downloaded to a temporary folder.
    #[arg(required = true, value_name = "TARGET")]
    pub targets: Vec<PathBuf>,

    /// Lowest severity that blocks (exit code 1) [default: the policy's fail-on, else medium].
    #[arg(long, value_enum)]
    pub fail_on: Option<Level>,

    /// Format of the report on standard output (or in a bare `--output FILE`).
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,

    /// Also write a report to a file: FORMAT=FILE (text, json, sarif, junit, markdown, cyclonedx),
    /// or FILE for the --format report instead of standard output. Repeatable; `-` is
    /// standard output.
    #[arg(short, long, value_name = "[FORMAT=]FILE", value_parser = parse_output)]
    pub output: Vec<OutputSpec>,

    /// Policy file [default: ./modelvet.toml, else the repository root's modelvet.toml].
    #[arg(long, value_name = "FILE", conflicts_with = "no_policy")]
    pub policy: Option<PathBuf>,

    /// Ignore any policy file: modelvet's defaults only.
    #[arg(long)]
    pub no_policy: bool,

    /// Report only findings not already in this earlier JSON (or SARIF) report.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Reuse results for unchanged files from this folder (keyed by content hash,
    /// modelvet version and scan settings); created if missing.
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,

    /// Files scanned in parallel (default: one per CPU).
    #[arg(short, long, value_name = "N")]
    pub jobs: Option<usize>,

    /// List only targets with findings, and no progress bar.
    #[arg(short, long)]
    pub quiet: bool,

    /// When to colour text output.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,

    /// Scan the files that symbolic links in folders point to (links are otherwise reported, not followed).
    #[arg(long)]
    pub follow_symlinks: bool,

    /// Record each file's SHA-256 in the report (reads every byte; scanning alone reads only what each format needs).
    #[arg(long)]
    pub hash: bool,

    /// For `hf://` targets, download every file whole instead of reading headers by HTTP ranges
    /// (then every SHA-256 is computed here rather than taken from the repository's LFS pointers).
    #[arg(long)]
    pub whole_files: bool,

    /// Largest file or archive member scanned, e.g. 512M, 300G.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_file_size: Option<u64>,

    /// Deepest nesting of archives and nested payloads.
    #[arg(long, value_name = "N")]
    pub max_depth: Option<u32>,

    /// Most bytes one compressed member may expand to, e.g. 8G.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_decompressed: Option<u64>,

    /// Largest decompressed-to-compressed ratio before a member is a bomb.
    #[arg(long, value_name = "N")]
    pub max_ratio: Option<u64>,

    /// Most entries read from one archive.
    #[arg(long, value_name = "N")]
    pub max_entries: Option<u64>,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum BomSpec {
    #[value(name = "1.6")]
    V1_6,
    #[value(name = "1.7")]
    V1_7,
}

#[derive(Args)]
#[command(
    after_help = "Examples:\n  modelvet bom ./my-model\n  modelvet bom --output model.cdx.json --name my-org/my-model@0123abcd ./my-model\n  \
modelvet bom ~/.cache/huggingface/hub/models--openai-community--gpt2\n\n\
A model is a folder with config.json, adapter_config.json, model_index.json or a README.md\n\
model card (everything below it belongs to it), or a loose model file.\n\n\
Exit codes: 0 the BOM is written and nothing blocks, 1 the BOM is written and a model\n\
has a blocking finding, 2 an operational error (no BOM)."
)]
pub struct BomArgs {
    /// Model folders and files (folders are walked recursively).
    #[arg(required = true, value_name = "PATH")]
    pub targets: Vec<PathBuf>,

    /// Write the BOM to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// CycloneDX specification version.
    #[arg(long, value_enum, default_value = "1.6")]
    pub spec_version: BomSpec,

    /// The model's Hugging Face repository, ORG/NAME[@REVISION], for its purl
    /// (only with a single model; overrides what the files say).
    #[arg(long, value_name = "ORG/NAME[@REV]")]
    pub name: Option<String>,

    /// Lowest severity that blocks [default: the policy's fail-on, else medium].
    #[arg(long, value_enum)]
    pub fail_on: Option<Level>,

    /// Policy file [default: ./modelvet.toml, else the repository root's modelvet.toml].
    #[arg(long, value_name = "FILE", conflicts_with = "no_policy")]
    pub policy: Option<PathBuf>,

    /// Ignore any policy file: modelvet's defaults only.
    #[arg(long)]
    pub no_policy: bool,

    /// Report symbolic links instead of describing the files they point to
    /// (a Hugging Face cache's snapshots are links).
    #[arg(long)]
    pub no_follow_symlinks: bool,

    /// Files scanned and hashed in parallel (default: one per CPU).
    #[arg(short, long, value_name = "N")]
    pub jobs: Option<usize>,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ListFormat {
    Text,
    Json,
}

#[derive(Args)]
pub struct RulesArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ListFormat,
}

#[derive(Args)]
#[command(after_help = "Examples:\n  modelvet sign ./my-model --key private.pem\n  \
modelvet sign ./my-model --key private.pem --signature my-model.sig --ignore-paths my-model/notes\n  \
modelvet sign ./my-model --key signer.key --certificate signer.pem --certificate-chain intermediate.pem\n\n\
The signature is a Sigstore bundle that the `model_signing` tool (OpenSSF Model Signing) verifies.\n\
Exit codes: 0 signed, 2 error (unreadable model or key, a symbolic link in the model).")]
pub struct SignArgs {
    /// The model: a file or a folder (walked recursively, dotfiles included).
    #[arg(value_name = "PATH")]
    pub model: PathBuf,
    /// ECDSA private key (P-256, P-384 or P-521), PEM (PKCS#8 or SEC1), unencrypted.
    #[arg(long, value_name = "PRIVATE.pem")]
    pub key: PathBuf,
    /// Sign in certificate mode: the signing certificate (PEM) for --key.
    #[arg(long, value_name = "CERT.pem")]
    pub certificate: Option<PathBuf>,
    /// Certificates above the signing certificate (PEM), embedded in the signature; repeatable.
    #[arg(long, value_name = "CHAIN.pem", requires = "certificate")]
    pub certificate_chain: Vec<PathBuf>,
    /// Where to write the signature [default: PATH/model.sig for a folder, PATH.sig for a file].
    #[arg(long, value_name = "FILE")]
    pub signature: Option<PathBuf>,
    /// A file or folder inside the model to leave out; repeatable.
    #[arg(long, value_name = "P")]
    pub ignore_paths: Vec<PathBuf>,
    /// Also sign .git, .gitattributes, .github and .gitignore (left out by default).
    #[arg(long)]
    pub no_ignore_git_paths: bool,
}

#[derive(Args)]
#[command(after_help = "Examples:\n  modelvet verify ./my-model --key public.pem\n  \
modelvet verify ./my-model --signature my-model.sig --key public.pem --ignore-unsigned-files\n  \
modelvet verify ./my-model --certificate-chain ca.pem\n  \
modelvet verify ./my-model --trust-root trusted_root.json \\\n      \
--identity alice@example.com --identity-provider https://accounts.google.com\n\n\
Accepts signatures written by the `model_signing` tool: key, certificate and keyless (Sigstore) modes.\n\
Keyless signatures are verified offline against the Sigstore trusted_root.json given (never online):\n\
the Fulcio chain at the logged signing time, the identity and issuer, the Rekor entry, the signature.\n\
Exit codes: 0 verified, 1 not verified (every difference is listed), 2 error (unreadable model, key, signature or trusted root).")]
pub struct VerifyArgs {
    /// The model: a file or a folder.
    #[arg(value_name = "PATH")]
    pub model: PathBuf,
    /// The signature [default: PATH/model.sig for a folder, PATH.sig for a file].
    #[arg(long, value_name = "FILE")]
    pub signature: Option<PathBuf>,
    /// The signer's public key (PEM).
    #[arg(
        long,
        value_name = "PUBLIC.pem",
        required_unless_present_any = ["certificate_chain", "trust_root"],
        conflicts_with_all = ["certificate_chain", "trust_root"]
    )]
    pub key: Option<PathBuf>,
    /// Trusted root certificates (PEM) for a certificate-mode signature; repeatable.
    #[arg(long, value_name = "ROOTS.pem", conflicts_with = "trust_root")]
    pub certificate_chain: Vec<PathBuf>,
    /// Keyless mode: the Sigstore trusted root (trusted_root.json, or a client trust config).
    #[arg(long, value_name = "trusted_root.json", requires_all = ["identity", "identity_provider"])]
    pub trust_root: Option<PathBuf>,
    /// Keyless mode: the signer's identity, the certificate's email or URI (exact match).
    #[arg(long, value_name = "EMAIL_OR_URI", requires = "trust_root")]
    pub identity: Option<String>,
    /// Keyless mode: the OIDC issuer that vouched for the identity, e.g. https://accounts.google.com.
    #[arg(long, value_name = "ISSUER_URL", requires = "trust_root")]
    pub identity_provider: Option<String>,
    /// Check only the files the signature lists (files added since signing pass).
    #[arg(long)]
    pub ignore_unsigned_files: bool,
    /// A file or folder inside the model to leave out; repeatable.
    #[arg(long, value_name = "P")]
    pub ignore_paths: Vec<PathBuf>,
    /// Also check .git, .gitattributes, .github and .gitignore (left out by default).
    #[arg(long)]
    pub no_ignore_git_paths: bool,
}

#[derive(Args)]
pub struct RuleArgs {
    /// A rule code (PKL001) or name (dangerous-import).
    pub code: String,
}

/// Parses `123`, `64K`, `512M`, `8G`, `1T` (binary units).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (num, mult) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let m: u64 = match c.to_ascii_uppercase() {
                'K' => 1 << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                'T' => 1 << 40,
                'B' => 1,
                _ => return Err(format!("unknown size unit in {s:?} (use K, M, G or T)")),
            };
            (&t[..i], m)
        }
        _ => (t, 1),
    };
    let n: u64 = num.trim().parse().map_err(|_| format!("{s:?} is not a size (e.g. 512M)"))?;
    n.checked_mul(mult).ok_or_else(|| format!("{s:?} is too large"))
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn outputs() {
        use super::{Format, OutputSpec, parse_output};
        use std::path::PathBuf;
        assert_eq!(
            parse_output("sarif=out/x.sarif"),
            Ok(OutputSpec { format: Some(Format::Sarif), path: PathBuf::from("out/x.sarif") })
        );
        assert_eq!(parse_output("report.json"), Ok(OutputSpec { format: None, path: PathBuf::from("report.json") }));
        assert_eq!(parse_output("a=b.txt"), Ok(OutputSpec { format: None, path: PathBuf::from("a=b.txt") }));
        assert_eq!(parse_output("MD=-").map(|o| o.format), Ok(Some(Format::Markdown)));
        assert!(parse_output("json=").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("10"), Ok(10));
        assert_eq!(parse_size("2g"), Ok(2 << 30));
        assert!(parse_size("12Q").is_err());
        assert!(parse_size("x").is_err());
    }
}
