//! A client of a running gate's admin API (what `modelvet gate --server URL
//! --token TOKEN ...` uses). Blocking calls, each bounded by a timeout;
//! the server's reason is returned as the error.

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::admin::{AuditFilter, NewWaiver};
use crate::db::{AuditEntry, WaiverRecord};
use crate::rescan::Summary;
use crate::web::url_encode;

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("{0:?} is not a gate URL (http://HOST:PORT or https://...)")]
    BadUrl(String),
    #[error("cannot reach the gate at {url}: {message}")]
    Unreachable { url: String, message: String },
    #[error("the gate answered {status}: {message}")]
    Status { status: u16, message: String },
    #[error("the gate's answer is not what this modelvet expects: {0}")]
    Answer(String),
    #[error("cannot start the HTTP client: {0}")]
    Setup(String),
}

/// Most bytes read from one answer (listings are bounded by their limits).
const MAX_ANSWER: usize = 64 << 20;

pub struct AdminClient {
    base: String,
    token: String,
    http: reqwest::Client,
    rt: tokio::runtime::Runtime,
}

impl AdminClient {
    pub fn new(url: &str, token: &str) -> Result<Self, ClientError> {
        let base = url.trim_end_matches('/').to_string();
        let ok_scheme = base.starts_with("http://") || base.starts_with("https://");
        if !ok_scheme || base.len() > 2000 || base.bytes().any(|b| !b.is_ascii_graphic()) {
            return Err(ClientError::BadUrl(url.to_string()));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ClientError::Setup(e.to_string()))?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| ClientError::Setup(e.to_string()))?;
        Ok(Self { base, token: token.trim().to_string(), http, rt })
    }

    fn send(&self, req: reqwest::RequestBuilder, timeout: Duration) -> Result<reqwest::Response, ClientError> {
        // (Futures are made inside the runtime: the timeout needs its timer.)
        let req = req.bearer_auth(&self.token).timeout(timeout);
        let resp = self
            .rt
            .block_on(async { req.send().await })
            .map_err(|e| ClientError::Unreachable { url: self.base.clone(), message: e.without_url().to_string() })?;
        if resp.status().is_success() {
            return Ok(resp);
        }
        let status = resp.status().as_u16();
        let header = resp.headers().get("x-error-message").and_then(|v| v.to_str().ok()).map(str::to_string);
        let body = self.rt.block_on(async { resp.text().await }).unwrap_or_default();
        let from_body = serde_json::from_str::<Value>(&body)
            .ok()
            .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_string));
        let message = from_body.or(header).unwrap_or_else(|| body.chars().take(500).collect());
        Err(ClientError::Status { status, message })
    }

    fn json<T: DeserializeOwned>(&self, req: reqwest::RequestBuilder) -> Result<T, ClientError> {
        let resp = self.send(req, Duration::from_secs(60))?;
        let bytes = self.rt.block_on(async { resp.bytes().await }).map_err(|e| ClientError::Answer(e.to_string()))?;
        if bytes.len() > MAX_ANSWER {
            return Err(ClientError::Answer("answer too large".into()));
        }
        serde_json::from_slice(&bytes).map_err(|e| ClientError::Answer(e.to_string()))
    }

    fn url(&self, path: &str) -> String {
        format!("{}/admin/api/{path}", self.base)
    }

    /// The token's name and scope.
    pub fn whoami(&self) -> Result<Value, ClientError> {
        self.json(self.http.get(self.url("whoami")))
    }

    pub fn waivers(&self) -> Result<Vec<WaiverRecord>, ClientError> {
        self.json(self.http.get(self.url("waivers")))
    }

    pub fn add_waiver(&self, w: &NewWaiver) -> Result<WaiverRecord, ClientError> {
        let body = serde_json::to_vec(w).map_err(|e| ClientError::Answer(e.to_string()))?;
        self.json(self.http.post(self.url("waivers")).header("content-type", "application/json").body(body))
    }

    pub fn remove_waiver(&self, id: i64) -> Result<WaiverRecord, ClientError> {
        self.json(self.http.delete(self.url(&format!("waivers/{id}"))))
    }

    pub fn quarantine(&self, limit: usize) -> Result<Vec<AuditEntry>, ClientError> {
        self.json(self.http.get(self.url(&format!("quarantine?limit={limit}"))))
    }

    pub fn audit(&self, f: &AuditFilter) -> Result<Vec<AuditEntry>, ClientError> {
        let mut q = Vec::new();
        for (k, v) in [("repo", &f.repo), ("verdict", &f.verdict), ("since", &f.since)] {
            if let Some(v) = v {
                q.push(format!("{k}={}", url_encode(v)));
            }
        }
        if let Some(b) = f.before {
            q.push(format!("before={b}"));
        }
        if let Some(l) = f.limit {
            q.push(format!("limit={l}"));
        }
        self.json(self.http.get(format!("{}?{}", self.url("audit"), q.join("&"))))
    }

    /// Starts a rescan and follows its progress lines until the summary.
    pub fn rescan(&self, repo: Option<&str>, progress: &mut dyn FnMut(usize, usize)) -> Result<Summary, ClientError> {
        let body = serde_json::json!({ "repo": repo });
        // Rescans of large stores take long: no overall timeout, the server streams progress.
        let req = self.http.post(self.url("rescan")).header("content-type", "application/json").body(body.to_string());
        let mut resp = self.send(req, Duration::from_secs(7 * 86_400))?;
        let mut buf: Vec<u8> = Vec::new();
        loop {
            let chunk =
                self.rt.block_on(async { resp.chunk().await }).map_err(|e| ClientError::Answer(e.to_string()))?;
            let Some(chunk) = chunk else { break };
            buf.extend_from_slice(&chunk);
            while let Some(i) = buf.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = buf.drain(..=i).collect();
                let v: Value = serde_json::from_slice(&line).map_err(|e| ClientError::Answer(e.to_string()))?;
                if let Some(s) = v.get("summary") {
                    return serde_json::from_value(s.clone()).map_err(|e| ClientError::Answer(e.to_string()));
                }
                if let Some(e) = v.get("error").and_then(Value::as_str) {
                    return Err(ClientError::Status { status: 500, message: e.to_string() });
                }
                if let (Some(d), Some(t)) = (v["done"].as_u64(), v["total"].as_u64()) {
                    progress(usize::try_from(d).unwrap_or(0), usize::try_from(t).unwrap_or(0));
                }
            }
            if buf.len() > MAX_ANSWER {
                return Err(ClientError::Answer("an answer line longer than 64 MiB".into()));
            }
        }
        Err(ClientError::Answer("the rescan ended without a summary".into()))
    }
}
