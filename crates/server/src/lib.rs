//! `modelvet serve`: a Hugging-Face-Hub-compatible gate. Developers point
//! their stock tools at it (`HF_ENDPOINT=http://127.0.0.1:8765`); it fetches
//! each file from the upstream hub, scans it with the modelvet engine, decides
//! with the team's `modelvet.toml`, and serves it or refuses it with a reason
//! the client prints. Blobs and verdicts are cached by content hash, so a file
//! is fetched and scanned once however many clients ask.
//!
//! The pieces are behind interfaces so they can be swapped: [`store::BlobStore`]
//! (a local folder now), [`db::Db`] (SQLite now), [`upstream::Upstream`].
//!
//! ```no_run
//! use modelvet_server::{Config, Server};
//! let config = Config::new("https://huggingface.co", "/var/lib/modelvet-gate".into());
//! let server = Server::start(config).unwrap();
//! println!("HF_ENDPOINT={}", server.url());
//! ```
#![forbid(unsafe_code)]

pub mod admin;
pub mod auth;
pub mod client;
pub mod db;
pub mod gate;
pub mod hf;
pub mod judge;
pub mod lookalike;
pub mod names;
pub mod ranged;
pub mod rescan;
pub mod routes;
pub mod store;
pub mod upstream;
pub mod web;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use modelvet_engine::policy::Policy;
use modelvet_engine::{Limits, Severity};

pub use gate::GateLimits;

/// The default address: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8765";

/// Everything `modelvet serve` needs.
#[derive(Debug, Clone)]
pub struct Config {
    /// The upstream hub's base URL.
    pub upstream: String,
    /// Token sent to the upstream (`HF_TOKEN`), if any.
    pub upstream_token: Option<String>,
    /// Folder for the database and the blobs.
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub policy: Policy,
    /// Overrides the policy's `fail-on`.
    pub fail_on: Option<Severity>,
    pub scan_limits: Limits,
    pub limits: GateLimits,
    /// Well-known publishers (look-alike names are held) and the optional allowlist.
    pub publishers: lookalike::Publishers,
    /// Downloads and the web page without a token: `None` allows them only
    /// while listening on a loopback address (see [`Config::anonymous_read`]).
    pub allow_anonymous: Option<bool>,
}

impl Config {
    /// Defaults: loopback `127.0.0.1:8765`, modelvet's default policy and limits.
    pub fn new(upstream: &str, data_dir: PathBuf) -> Self {
        Self {
            upstream: upstream.to_string(),
            upstream_token: None,
            data_dir,
            listen: SocketAddr::from(([127, 0, 0, 1], 8765)),
            policy: Policy::default(),
            fail_on: None,
            scan_limits: Limits::default(),
            limits: GateLimits::default(),
            publishers: lookalike::Publishers::builtin(),
            allow_anonymous: None,
        }
    }

    /// Whether requests without a token may read: as configured, else only
    /// on a loopback address (a gate on `0.0.0.0` needs tokens unless told
    /// otherwise).
    pub fn anonymous_read(&self) -> bool {
        self.allow_anonymous.unwrap_or_else(|| self.listen.ip().is_loopback())
    }
}

/// The default data folder: `$XDG_CACHE_HOME/modelvet/gate`, else
/// `$HOME/.cache/modelvet/gate`.
pub fn default_data_dir() -> Option<PathBuf> {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").filter(|v| !v.is_empty()).map(|h| PathBuf::from(h).join(".cache")))?;
    Some(cache.join("modelvet").join("gate"))
}

/// Why the gate could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot use data folder {path}: {source}")]
    Data { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Db(#[from] db::DbError),
    #[error("upstream: {0}")]
    Upstream(String),
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: SocketAddr, source: std::io::Error },
    #[error("cannot start the runtime: {0}")]
    Runtime(std::io::Error),
}

/// Opens the database of a gate's data folder (for admin commands, which
/// may run while the gate serves).
pub fn open_db(data_dir: &std::path::Path) -> Result<db::SqliteDb, StartError> {
    std::fs::create_dir_all(data_dir).map_err(|source| StartError::Data { path: data_dir.to_path_buf(), source })?;
    Ok(db::SqliteDb::open(&data_dir.join(DB_FILE))?)
}

const DB_FILE: &str = "gate.sqlite3";

fn build_gate(config: &Config) -> Result<Arc<gate::Gate>, StartError> {
    let data = |source| StartError::Data { path: config.data_dir.clone(), source };
    std::fs::create_dir_all(&config.data_dir).map_err(data)?;
    let store = store::LocalBlobStore::open(&config.data_dir.join("blobs")).map_err(data)?;
    // Scans run on links to blobs: same file system, cleared at start.
    let scratch = config.data_dir.join("blobs").join("tmp");
    let database = db::SqliteDb::open(&config.data_dir.join(DB_FILE))?;
    let upstream =
        upstream::Upstream::new(&config.upstream, config.upstream_token.clone()).map_err(StartError::Upstream)?;
    let judge = judge::Judge::new(config.policy.clone(), config.fail_on, config.scan_limits.clone());
    let mut gate =
        gate::Gate::new(upstream, Arc::new(store), Arc::new(database), judge, config.limits.clone(), scratch);
    gate.publishers = config.publishers.clone();
    Ok(Arc::new(gate))
}

/// A gate running on its own threads; stops when dropped.
pub struct Server {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    gate: Arc<gate::Gate>,
}

impl Server {
    /// Opens the storage, binds the address and starts serving in the
    /// background. `/healthz` answers as soon as this returns.
    pub fn start(config: Config) -> Result<Self, StartError> {
        let gate = build_gate(&config)?;
        let listener = std::net::TcpListener::bind(config.listen)
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .map_err(|source| StartError::Listen { addr: config.listen, source })?;
        let addr = listener.local_addr().map_err(|source| StartError::Listen { addr: config.listen, source })?;
        let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(StartError::Runtime)?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let app = routes::router(gate.clone(), routes::Access { anonymous_read: config.anonymous_read() });
        let thread = std::thread::spawn(move || {
            rt.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else { return };
                let shutdown = async move {
                    let _ = stopped.await;
                };
                if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
                    tracing::error!("server stopped: {e}");
                }
            });
        });
        Ok(Self { addr, stop: Some(stop), thread: Some(thread), gate })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`, the value for `HF_ENDPOINT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The gate's state (counters, database), for tests and admin tools.
    pub fn gate(&self) -> &Arc<gate::Gate> {
        &self.gate
    }

    /// Stops accepting connections and waits for open ones to finish.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Log format for [`run`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Runs the gate in the foreground until Ctrl-C or SIGTERM (the CLI's
/// `modelvet serve`). Logs go to standard error (`RUST_LOG` filters them).
pub fn run(config: Config, log: LogFormat) -> Result<(), StartError> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr()) && std::env::var_os("NO_COLOR").is_none();
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_ansi(ansi).with_writer(std::io::stderr);
    let _ = match log {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    let upstream = config.upstream.clone();
    let data = config.data_dir.clone();
    let anonymous = config.anonymous_read();
    let why = match config.allow_anonymous {
        Some(true) => "--allow-anonymous",
        Some(false) => "--no-anonymous",
        None if anonymous => "the default on a loopback address; --no-anonymous requires tokens",
        None => "the default off loopback; --allow-anonymous permits it",
    };
    let server = Server::start(config)?;
    tracing::info!(listen = %server.addr(), upstream = %upstream, data = %data.display(), "modelvet gate ready");
    if anonymous {
        tracing::info!("anonymous read: allowed ({why}); the admin API needs an admin token");
    } else {
        tracing::info!("anonymous read: refused ({why}); clients send a gate token as HF_TOKEN");
        let live = server.gate().db.tokens().map(|t| t.iter().filter(|t| t.revoked.is_none()).count()).unwrap_or(0);
        if live == 0 {
            tracing::warn!(
                "no access token exists yet: create one with `modelvet gate token create --name NAME --scope read`"
            );
        }
    }
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(StartError::Runtime)?;
    rt.block_on(async {
        #[cfg(unix)]
        {
            let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .map_err(StartError::Runtime)?;
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        Ok::<(), StartError>(())
    })?;
    tracing::info!("shutting down");
    server.stop();
    Ok(())
}
