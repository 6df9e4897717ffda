//! Access tokens: who may download through the gate (`read`) and who may
//! administer it (`admin`, which includes `read`).
//!
//! A token is `mvg_` followed by 64 hex digits (256 random bits from the
//! operating system). The database keeps only its SHA-256; a presented token
//! is hashed and compared with every stored hash in constant time. Clients
//! send it as the Hub clients send `HF_TOKEN`: `Authorization: Bearer TOKEN`.
//! The web page takes it once in a login form and keeps it in an `HttpOnly`,
//! `SameSite=Strict` cookie.

use std::time::Duration;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::db::{self, Db, TokenRecord};

/// Every token starts with this, so leaked ones are easy to recognise (and
/// secret scanners can be taught the pattern `mvg_[0-9a-f]{64}`).
pub const TOKEN_PREFIX: &str = "mvg_";

/// The name the audit log records for requests without a token.
pub const ANONYMOUS: &str = "anonymous";

/// The cookie the web page keeps the token in.
pub const COOKIE: &str = "modelvet_gate_token";

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// Download files, read model info and listings, read the web page.
    Read,
    /// Everything `read` may, plus the admin API (waivers, audit log, rescans).
    Admin,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "read" => Some(Scope::Read),
            "admin" => Some(Scope::Admin),
            _ => None,
        }
    }
}

/// Who is asking: a token's name and scope, or anonymous.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub name: String,
    pub scope: Scope,
    /// Whether a token was presented.
    pub authenticated: bool,
}

impl Identity {
    pub fn anonymous() -> Self {
        Self { name: ANONYMOUS.into(), scope: Scope::Read, authenticated: false }
    }
}

/// Why a token or a token command was refused.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("no token was sent")]
    Missing,
    #[error("the token is not one this gate issued (or it was mistyped)")]
    Unknown,
    #[error("the token {0:?} was revoked")]
    Revoked(String),
    #[error("the token {0:?} expired at {1}")]
    Expired(String, String),
    #[error("a token named {0:?} already exists (revoke it first, or choose another name)")]
    NameTaken(String),
    #[error("{0:?} is not a usable token name: 1 to 64 letters, digits, '.', '_', '-' or '@', and not \"anonymous\"")]
    BadName(String),
    #[error("{0:?} is not an expiry: use a duration (30d, 12h, 90m, 2w, 1y) or a date (YYYY-MM-DD)")]
    BadExpiry(String),
    #[error("the operating system's random source failed: {0}")]
    Random(String),
    #[error(transparent)]
    Db(#[from] db::DbError),
}

/// The hex SHA-256 of a token: what the database stores.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A fresh token: the prefix and 256 random bits in hex.
pub fn generate() -> Result<String, AuthError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| AuthError::Random(e.to_string()))?;
    Ok(format!("{TOKEN_PREFIX}{}", hex::encode(bytes)))
}

/// Checks a token name: short, printable, unambiguous in logs.
pub fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name != ANONYMOUS
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-@".contains(&b))
}

/// Parses an expiry (`30d`, `12h`, `90m`, `2w`, `1y`, or `YYYY-MM-DD`, which
/// lasts through that day, UTC) into an RFC 3339 time, counted from `now`
/// (seconds since the epoch).
pub fn parse_expiry(s: &str, now: u64) -> Result<String, AuthError> {
    let bad = || AuthError::BadExpiry(s.to_string());
    let t = s.trim();
    if let Some(d) = modelvet_engine::policy::Date::parse(t) {
        let days = days_from_civil(d.year, d.month, d.day);
        let end = u64::try_from(days).map_err(|_| bad())?.checked_mul(86_400).ok_or_else(bad)? + 86_399;
        if end <= now {
            return Err(bad());
        }
        return Ok(db::rfc3339(end));
    }
    let unit = t.chars().last().ok_or_else(bad)?;
    let n: u64 = t[..t.len() - unit.len_utf8()].parse().map_err(|_| bad())?;
    let secs = match unit {
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        'y' => 365 * 86_400,
        _ => return Err(bad()),
    };
    let d = n.checked_mul(secs).filter(|d| *d > 0 && *d <= 100 * 365 * 86_400).ok_or_else(bad)?;
    Ok(db::rfc3339(now + d))
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's days-from-civil).
fn days_from_civil(year: i32, month: u8, day: u8) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Creates a token; returns the token (shown once, never stored) and its record.
pub fn create(
    db: &dyn Db,
    name: &str,
    scope: Scope,
    expires: Option<&str>,
) -> Result<(String, TokenRecord), AuthError> {
    if !valid_name(name) {
        return Err(AuthError::BadName(name.to_string()));
    }
    let token = generate()?;
    if !db.add_token(name, scope.as_str(), &hash_token(&token), expires)? {
        return Err(AuthError::NameTaken(name.to_string()));
    }
    let rec = db
        .tokens()?
        .into_iter()
        .rev()
        .find(|t| t.name == name && t.revoked.is_none())
        .ok_or_else(|| AuthError::Db(db::DbError::from(rusqlite::Error::QueryReturnedNoRows)))?;
    Ok((token, rec))
}

/// How often `last used` is written for one token (not on every request).
const TOUCH_EVERY: Duration = Duration::from_secs(60);

/// Finds the token a client presented. Every stored hash is compared, in
/// constant time, whatever matches first.
pub fn verify(db: &dyn Db, presented: &str, now: u64) -> Result<Identity, AuthError> {
    if presented.is_empty() {
        return Err(AuthError::Missing);
    }
    let wanted = Sha256::digest(presented.as_bytes());
    let mut found: Option<TokenRecord> = None;
    for t in db.tokens()? {
        let stored = hex::decode(&t.hash).unwrap_or_default();
        // Revoked tokens are matched too, so the answer can say so.
        let same: bool = stored.as_slice().ct_eq(wanted.as_slice()).into();
        if same && (found.is_none() || t.revoked.is_none()) {
            found = Some(t);
        }
    }
    let t = found.ok_or(AuthError::Unknown)?;
    if t.revoked.is_some() {
        return Err(AuthError::Revoked(t.name));
    }
    let now_s = db::rfc3339(now);
    if let Some(exp) = &t.expires
        && *exp <= now_s
    {
        return Err(AuthError::Expired(t.name, exp.clone()));
    }
    let recent = db::rfc3339(now.saturating_sub(TOUCH_EVERY.as_secs()));
    let stale = t.last_used.as_deref().is_none_or(|last| recent.as_str() > last);
    if stale {
        db.touch_token(t.id, &now_s)?;
    }
    let scope = Scope::parse(&t.scope).unwrap_or(Scope::Read);
    Ok(Identity { name: t.name, scope, authenticated: true })
}

/// The token in `Authorization: Bearer TOKEN` (also `token TOKEN`, as some
/// git-style clients send), if any.
pub fn bearer(header: Option<&str>) -> Option<&str> {
    let h = header?.trim();
    let (kind, rest) = h.split_once(' ')?;
    (kind.eq_ignore_ascii_case("bearer") || kind.eq_ignore_ascii_case("token")).then(|| rest.trim())
}

/// The web page's token cookie in a `Cookie` header, if any.
pub fn cookie(header: Option<&str>) -> Option<&str> {
    header?.split(';').filter_map(|p| p.trim().split_once('=')).find(|(k, _)| *k == COOKIE).map(|(_, v)| v.trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::tests::db;

    #[test]
    fn tokens_verify_until_revoked_or_expired() {
        let (_d, db) = db();
        let now = 1_800_000_000;
        let (token, rec) = create(&db, "ci", Scope::Read, None).unwrap();
        assert!(token.starts_with(TOKEN_PREFIX) && token.len() == 4 + 64);
        assert_eq!(rec.hash, hash_token(&token));
        assert_ne!(rec.hash, token);
        let who = verify(&db, &token, now).unwrap();
        assert_eq!((who.name.as_str(), who.scope), ("ci", Scope::Read));
        assert_eq!(db.tokens().unwrap()[0].last_used.as_deref(), Some(db::rfc3339(now).as_str()));
        assert!(matches!(verify(&db, &format!("{token}x"), now), Err(AuthError::Unknown)));
        assert!(matches!(verify(&db, "", now), Err(AuthError::Missing)));
        assert!(matches!(create(&db, "ci", Scope::Admin, None), Err(AuthError::NameTaken(_))));
        assert!(db.revoke_token("ci").unwrap());
        assert!(matches!(verify(&db, &token, now), Err(AuthError::Revoked(n)) if n == "ci"));

        let exp = parse_expiry("1h", now).unwrap();
        let (t2, _) = create(&db, "short", Scope::Admin, Some(&exp)).unwrap();
        assert_eq!(verify(&db, &t2, now + 3599).unwrap().scope, Scope::Admin);
        assert!(matches!(verify(&db, &t2, now + 3600), Err(AuthError::Expired(..))));
    }

    #[test]
    fn names_expiries_and_headers() {
        assert!(valid_name("ci-bot@team.x"));
        for bad in ["", "anonymous", "a b", "<script>", &"x".repeat(65)] {
            assert!(!valid_name(bad), "{bad}");
        }
        let now = 1_796_235_847; // 2026-12-02T18:24:07Z
        assert_eq!(parse_expiry("30d", now).unwrap(), "2027-01-01T18:24:07Z");
        assert_eq!(parse_expiry("2027-06-30", now).unwrap(), "2027-06-30T23:59:59Z");
        for bad in ["", "5", "0d", "3x", "-1d", "2020-01-01", "99999999y"] {
            assert!(parse_expiry(bad, now).is_err(), "{bad}");
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 2, 29), 11_016);
        assert_eq!(bearer(Some("Bearer mvg_ab")), Some("mvg_ab"));
        assert_eq!(bearer(Some("bearer  mvg_ab ")), Some("mvg_ab"));
        assert_eq!(bearer(Some("Basic eA==")), None);
        assert_eq!(cookie(Some("a=1; modelvet_gate_token=mvg_x; b=2")), Some("mvg_x"));
        assert_eq!(cookie(Some("a=1")), None);
    }
}
