//! Validation of what clients put in URLs: repository ids, revisions and
//! paths inside a repository. Everything is checked before it reaches the
//! upstream, the database or a log line; nothing from a request ever names a
//! file on disk (blobs are stored by content hash).

use std::fmt;

/// Why a name was refused (the text is shown to the client).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NameError(pub String);

/// A model repository id, `namespace/name`, as the Hub allows them: ASCII
/// letters, digits, `-`, `_`, `.`; no leading or trailing `-`/`.`; no `--`
/// or `..`; at most 96 characters per part.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RepoId {
    namespace: String,
    name: String,
}

impl RepoId {
    pub fn new(namespace: &str, name: &str) -> Result<Self, NameError> {
        for part in [namespace, name] {
            check_part(part)?;
        }
        Ok(Self { namespace: namespace.to_string(), name: name.to_string() })
    }

    /// Parses `namespace/name`.
    pub fn parse(id: &str) -> Result<Self, NameError> {
        match id.split_once('/') {
            Some((ns, name)) => Self::new(ns, name),
            None => Err(NameError(format!("repository id {:?} is not namespace/name", clip(id)))),
        }
    }

    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for RepoId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

fn check_part(part: &str) -> Result<(), NameError> {
    let bad = |why: &str| Err(NameError(format!("repository name {:?} {why}", clip(part))));
    if part.is_empty() || part.len() > 96 {
        return bad("must have 1 to 96 characters");
    }
    if !part.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')) {
        return bad("may hold only letters, digits, '-', '_' and '.'");
    }
    if part.starts_with(['-', '.']) || part.ends_with(['-', '.']) || part.contains("--") || part.contains("..") {
        return bad("may not start or end with '-' or '.', nor hold '--' or '..'");
    }
    Ok(())
}

/// A revision: a branch, a tag, `refs/pr/N` or a commit id. At most 256
/// bytes of ASCII letters, digits and `-_./+`; no empty, `.` or `..` parts.
pub fn revision(rev: &str) -> Result<&str, NameError> {
    let ok = !rev.is_empty()
        && rev.len() <= 256
        && rev.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/' | b'+'))
        && rev.split('/').all(|p| !p.is_empty() && p != "." && p != "..");
    if ok { Ok(rev) } else { Err(NameError(format!("invalid revision {:?}", clip(rev)))) }
}

/// Whether a revision is a full commit id (40 lowercase hex digits).
pub fn is_commit(rev: &str) -> bool {
    rev.len() == 40 && rev.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A file's path inside a repository: `/`-separated parts that are not
/// empty, `.` or `..`; no backslashes or control characters; at most 1,024
/// bytes.
pub fn repo_path(path: &str) -> Result<&str, NameError> {
    let ok = !path.is_empty()
        && path.len() <= 1024
        && !path.chars().any(|c| c.is_control() || c == '\\')
        && path.split('/').all(|p| !p.is_empty() && p != "." && p != "..");
    if ok { Ok(path) } else { Err(NameError(format!("invalid file path {:?}", clip(path)))) }
}

/// A SHA-256 in lowercase hex.
pub fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// At most 80 characters of untrusted text, for messages.
pub fn clip(s: &str) -> String {
    s.chars().take(80).collect()
}

/// Percent-encodes one URL path segment (everything but unreserved characters).
pub fn encode_segment(s: &str) -> String {
    encode(s, false)
}

/// Percent-encodes a path, keeping `/` separators.
pub fn encode_path(s: &str) -> String {
    encode(s, true)
}

fn encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') || (keep_slash && b == b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_ids() {
        assert!(RepoId::parse("meta-llama/Llama-3.2-1B").is_ok());
        assert_eq!(RepoId::parse("org/model_1.v2").unwrap().to_string(), "org/model_1.v2");
        for bad in
            ["org", "org/", "/x", "../x", "org/..", "org/a..b", "org/-a", "org/a.", "o rg/x", "org/a/b", "org/a%2e"]
        {
            assert!(RepoId::parse(bad).is_err(), "{bad}");
        }
        assert!(RepoId::parse(&format!("org/{}", "a".repeat(97))).is_err());
    }

    #[test]
    fn revisions_and_paths() {
        for ok in ["main", "v1.0", "refs/pr/1", "0123456789abcdef0123456789abcdef01234567"] {
            assert!(revision(ok).is_ok(), "{ok}");
        }
        for bad in ["", "..", "a/../b", "/main", "main/", "ma in", "a\nb", "a%2fb"] {
            assert!(revision(bad).is_err(), "{bad:?}");
        }
        for ok in ["config.json", "onnx/model.onnx", ".gitattributes", "a b.txt"] {
            assert!(repo_path(ok).is_ok(), "{ok}");
        }
        for bad in ["", "/etc/passwd", "../x", "a/../../x", "a//b", "a\\b", "a/./b", "x\r\nSet-Cookie: a"] {
            assert!(repo_path(bad).is_err(), "{bad:?}");
        }
        assert!(is_commit("0123456789abcdef0123456789abcdef01234567"));
        assert!(!is_commit("main"));
    }

    #[test]
    fn encoding() {
        assert_eq!(encode_segment("refs/pr/1"), "refs%2Fpr%2F1");
        assert_eq!(encode_path("dir/a b#?.json"), "dir/a%20b%23%3F.json");
    }
}
