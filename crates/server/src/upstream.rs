//! The client of the upstream hub (any Hugging-Face-compatible server).
//! Every answer is untrusted: bodies are read with size limits, headers are
//! parsed strictly, and what reaches our clients is rebuilt by the gate, not
//! relayed.

use std::time::Duration;

use reqwest::header::{HeaderMap, LOCATION};
use reqwest::{Client, Method, StatusCode, redirect};

use crate::names::{RepoId, encode_path, encode_segment, is_commit, is_sha256};

/// Largest JSON answer read from the upstream (model info, tree pages).
pub const MAX_JSON_BYTES: usize = 32 << 20;
/// Largest error body read from the upstream.
const MAX_ERROR_BYTES: usize = 64 << 10;

/// Why the upstream could not give what was asked.
#[derive(Debug, Clone, thiserror::Error)]
pub enum UpstreamError {
    /// The upstream answered with an error status.
    #[error("upstream answered {status}: {message}")]
    Status {
        status: u16,
        /// Its `X-Error-Code` (`RepoNotFound`, `EntryNotFound`, ...), if any.
        code: Option<String>,
        message: String,
        commit: Option<String>,
    },
    /// It could not be reached, or broke off.
    #[error("upstream unreachable: {0}")]
    Transport(String),
    /// It answered something the gate will not use.
    #[error("upstream answer refused: {0}")]
    Invalid(String),
}

/// What a file is, from the upstream's `HEAD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMeta {
    pub commit: String,
    /// The upstream's entity tag, quotes and `W/` removed.
    pub etag: String,
    pub size: u64,
    /// The content's SHA-256 when the upstream states it (large files).
    pub sha256: Option<String>,
}

/// A configured upstream.
#[derive(Debug, Clone)]
pub struct Upstream {
    base: String,
    /// Does not follow redirects: the gate reads them.
    api: Client,
    /// Follows redirects (to a CDN), dropping credentials across origins.
    content: Client,
    token: Option<String>,
}

impl Upstream {
    /// `base` is `http(s)://host[:port][/prefix]`; `token` is sent as a bearer token.
    pub fn new(base: &str, token: Option<String>) -> Result<Self, String> {
        let base = base.trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) || base.chars().any(char::is_whitespace) {
            return Err(format!("upstream {base:?} is not an http:// or https:// URL"));
        }
        let agent = concat!("modelvet-gate/", env!("CARGO_PKG_VERSION"));
        let api = Client::builder()
            .user_agent(agent)
            .redirect(redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| e.to_string())?;
        let content = Client::builder()
            .user_agent(agent)
            .redirect(redirect::Policy::limited(5))
            .connect_timeout(Duration::from_secs(10))
            .read_timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self { base, api, content, token })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    fn request(&self, client: &Client, method: Method, url: &str) -> reqwest::RequestBuilder {
        let mut r = client.request(method, url).header("accept-encoding", "identity");
        if let Some(t) = &self.token {
            r = r.bearer_auth(t);
        }
        r
    }

    /// `GET {base}{path_and_query}` of a JSON API; returns the JSON and the
    /// `Link` header (tree paging).
    pub async fn api_json(&self, path_and_query: &str) -> Result<(serde_json::Value, Option<String>), UpstreamError> {
        let url = format!("{}{path_and_query}", self.base);
        let resp = self.request(&self.api, Method::GET, &url).send().await.map_err(transport)?;
        if !resp.status().is_success() {
            return Err(status_error(resp).await);
        }
        let link = resp.headers().get("link").and_then(|v| v.to_str().ok()).map(str::to_string);
        let body = read_limited(resp, MAX_JSON_BYTES).await?;
        let json = serde_json::from_slice(&body).map_err(|e| UpstreamError::Invalid(format!("not JSON: {e}")))?;
        Ok((json, link))
    }

    fn resolve_url(&self, repo: &RepoId, rev: &str, path: &str) -> String {
        format!(
            "{}/{}/{}/resolve/{}/{}",
            self.base,
            repo.namespace(),
            repo.name(),
            encode_segment(rev),
            encode_path(path)
        )
    }

    /// `HEAD` of a file: its commit, entity tag, size and (for large files) SHA-256.
    /// Same-origin redirects (renamed repositories) are followed; a
    /// cross-origin one (a CDN) is read, not followed.
    pub async fn head_file(&self, repo: &RepoId, rev: &str, path: &str) -> Result<FileMeta, UpstreamError> {
        let mut url = self.resolve_url(repo, rev, path);
        for _ in 0..5 {
            let resp = self.request(&self.api, Method::HEAD, &url).send().await.map_err(transport)?;
            let status = resp.status();
            let h = resp.headers();
            if status.is_redirection() && h.get("x-linked-etag").is_none() {
                let loc = header(h, LOCATION.as_str()).ok_or_else(|| invalid("redirect without Location"))?;
                url = if loc.starts_with('/') {
                    format!("{}{loc}", origin(&self.base))
                } else if loc.starts_with(&format!("{}/", origin(&self.base))) {
                    loc
                } else {
                    return Err(invalid("redirect to another origin without X-Linked-Etag"));
                };
                continue;
            }
            if !(status.is_success() || status.is_redirection()) {
                return Err(status_error(resp).await);
            }
            return meta_from(h);
        }
        Err(invalid("too many redirects"))
    }

    /// Starts downloading a file at a commit (redirects followed).
    pub async fn get_file(&self, repo: &RepoId, commit: &str, path: &str) -> Result<reqwest::Response, UpstreamError> {
        let url = self.resolve_url(repo, commit, path);
        let resp = self.request(&self.content, Method::GET, &url).send().await.map_err(transport)?;
        if resp.status() != StatusCode::OK {
            return Err(status_error(resp).await);
        }
        Ok(resp)
    }

    /// Asks for bytes `[start, end)` of a file of `size` bytes at a commit
    /// (redirects followed). A server that ignores `Range` and answers the
    /// whole file is [`Ranged::Whole`]: the caller reads what it needs and drops it.
    pub async fn get_range(
        &self,
        repo: &RepoId,
        commit: &str,
        path: &str,
        start: u64,
        end: u64,
        size: u64,
    ) -> Result<Ranged, UpstreamError> {
        if start >= end || end > size {
            return Err(invalid("empty or out-of-file range asked"));
        }
        let url = self.resolve_url(repo, commit, path);
        let resp = self
            .request(&self.content, Method::GET, &url)
            .header(reqwest::header::RANGE, format!("bytes={start}-{}", end - 1))
            .send()
            .await
            .map_err(transport)?;
        match resp.status() {
            StatusCode::OK => Ok(Ranged::Whole(resp)),
            StatusCode::PARTIAL_CONTENT => {
                let want = format!("bytes {start}-{}/{size}", end - 1);
                match header(resp.headers(), "content-range") {
                    Some(cr) if cr == want => Ok(Ranged::Partial(resp)),
                    Some(cr) => Err(UpstreamError::Invalid(format!("asked for {want}, got Content-Range {cr}"))),
                    None => Err(invalid("206 without Content-Range")),
                }
            }
            _ => Err(status_error(resp).await),
        }
    }
}

/// The answer to a range request.
#[derive(Debug)]
pub enum Ranged {
    /// `206` with exactly the bytes asked for.
    Partial(reqwest::Response),
    /// `200`: the server ignored `Range` and sends the whole file.
    Whole(reqwest::Response),
}

/// The origin (`scheme://host[:port]`) of a URL: the one parser for the
/// gate's redirect, paging and `Link` checks.
pub fn origin(base: &str) -> &str {
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    match base[after_scheme..].find('/') {
        Some(i) => &base[..after_scheme + i],
        None => base,
    }
}

/// The path and query of a URL on `base`'s origin, `None` for another origin.
pub fn same_origin_rest<'u>(url: &'u str, base: &str) -> Option<&'u str> {
    let rest = url.strip_prefix(origin(base))?;
    (rest.is_empty() || rest.starts_with('/')).then_some(rest)
}

fn header(h: &HeaderMap, name: &str) -> Option<String> {
    h.get(name).and_then(|v| v.to_str().ok()).map(|s| s.trim().to_string())
}

fn unquote(etag: &str) -> String {
    etag.trim().trim_start_matches("W/").trim_matches('"').to_string()
}

fn invalid(msg: &str) -> UpstreamError {
    UpstreamError::Invalid(msg.to_string())
}

fn transport(e: reqwest::Error) -> UpstreamError {
    // Without the URL: it may hold a presigned query string.
    UpstreamError::Transport(e.without_url().to_string())
}

fn meta_from(h: &HeaderMap) -> Result<FileMeta, UpstreamError> {
    let commit = header(h, "x-repo-commit").ok_or_else(|| invalid("no X-Repo-Commit"))?;
    if !is_commit(&commit) {
        return Err(invalid("X-Repo-Commit is not a 40-hex commit id"));
    }
    let linked = header(h, "x-linked-etag").map(|e| unquote(&e));
    let etag = linked.clone().or_else(|| header(h, "etag").map(|e| unquote(&e))).ok_or_else(|| invalid("no ETag"))?;
    if etag.is_empty() || etag.len() > 128 || !etag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(invalid("malformed ETag"));
    }
    let size = header(h, "x-linked-size")
        .or_else(|| header(h, "content-length"))
        .and_then(|s| s.parse::<u64>().ok())
        .ok_or_else(|| invalid("no size (X-Linked-Size or Content-Length)"))?;
    let sha256 = linked.map(|e| e.to_ascii_lowercase()).filter(|e| is_sha256(e));
    Ok(FileMeta { commit, etag, size, sha256 })
}

/// Reads a body, refusing more than `limit` bytes.
pub async fn read_limited(mut resp: reqwest::Response, limit: usize) -> Result<Vec<u8>, UpstreamError> {
    let mut out = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(transport)? {
        if out.len() + chunk.len() > limit {
            return Err(UpstreamError::Invalid(format!("answer larger than {limit} bytes")));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// The upstream's own words for an error status.
async fn status_error(resp: reqwest::Response) -> UpstreamError {
    let status = resp.status().as_u16();
    let h = resp.headers();
    let code = header(h, "x-error-code").filter(|c| c.len() <= 64 && c.bytes().all(|b| b.is_ascii_alphanumeric()));
    let commit = header(h, "x-repo-commit").filter(|c| is_commit(c));
    let mut message = header(h, "x-error-message").unwrap_or_default();
    if message.is_empty() {
        let body = read_limited(resp, MAX_ERROR_BYTES).await.unwrap_or_default();
        message = match serde_json::from_slice::<serde_json::Value>(&body) {
            Ok(v) => v.get("error").and_then(|e| e.as_str()).map(str::to_string).unwrap_or_else(|| v.to_string()),
            Err(_) => String::from_utf8_lossy(&body).trim().to_string(),
        };
    }
    if message.is_empty() {
        message = StatusCode::from_u16(status).map(|s| s.to_string()).unwrap_or_else(|_| status.to_string());
    }
    UpstreamError::Status { status, code, message: message.chars().take(500).collect(), commit }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_and_etags() {
        assert_eq!(origin("https://hub.example/api/prefix"), "https://hub.example");
        assert_eq!(origin("http://127.0.0.1:9"), "http://127.0.0.1:9");
        assert_eq!(unquote("W/\"abc\""), "abc");
        assert!(Upstream::new("ftp://x", None).is_err());
        assert!(Upstream::new("https://huggingface.co/", None).is_ok_and(|u| u.base() == "https://huggingface.co"));
    }
}
