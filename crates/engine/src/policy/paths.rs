//! Paths as policies see them: relative to the policy's folder, `/`-separated.

use std::path::{Component, Path, PathBuf};

/// The nearest enclosing folder with a `.git`, else `dir` itself.
pub fn repository_root(dir: &Path) -> PathBuf {
    let mut d = Some(dir);
    while let Some(p) = d {
        if p.join(".git").exists() {
            return p.to_path_buf();
        }
        d = p.parent();
    }
    dir.to_path_buf()
}

/// `p` made absolute against the current folder and normalised lexically
/// (`.` and `..` removed; no symbolic links resolved, no file touched).
pub fn absolute(p: &Path) -> PathBuf {
    absolute_in(&std::env::current_dir().unwrap_or_default(), p)
}

/// [`absolute`] against a given current folder.
fn absolute_in(cwd: &Path, p: &Path) -> PathBuf {
    let joined = if p.is_absolute() { p.to_path_buf() } else { cwd.join(p) };
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// `path` relative to `root`, `/`-separated, for policy globs; a path outside
/// `root` is given as scanned.
pub fn relative_path(root: &Path, path: &Path) -> String {
    Relative::new(root).of(path)
}

/// [`relative_path`] for many paths under one root: the current folder and
/// the root are resolved once, not once per path (a folder scan asks for
/// every file's policy path, twice).
#[derive(Debug, Clone)]
pub struct Relative {
    cwd: PathBuf,
    root: PathBuf,
}

impl Relative {
    pub fn new(root: &Path) -> Self {
        let cwd = std::env::current_dir().unwrap_or_default();
        let root = absolute_in(&cwd, root);
        Relative { cwd, root }
    }

    /// `path` relative to the root, `/`-separated.
    pub fn of(&self, path: &Path) -> String {
        // An absolute path without `.` or `..` is its own absolute form (the
        // usual case: every file a folder walk finds); only others are rebuilt.
        let plain = path.is_absolute() && !path.components().any(|c| matches!(c, Component::ParentDir));
        let abs = if plain { std::borrow::Cow::Borrowed(path) } else { absolute_in(&self.cwd, path).into() };
        let rel = abs.strip_prefix(&self.root).unwrap_or(path);
        let mut out = String::with_capacity(rel.as_os_str().len());
        let mut first = true;
        for c in rel.components() {
            let part = match c {
                Component::Normal(s) => s.to_string_lossy(),
                Component::RootDir => std::borrow::Cow::Borrowed(""),
                _ => continue,
            };
            if !first {
                out.push('/');
            }
            out.push_str(&part);
            first = false;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::relative_path;
    use std::path::Path;

    #[test]
    fn relative_paths() {
        assert_eq!(relative_path(Path::new("/r"), Path::new("/r/models/a.pt")), "models/a.pt");
        assert_eq!(relative_path(Path::new("/r/"), Path::new("/r/./x/../b.pt")), "b.pt");
        assert_eq!(relative_path(Path::new("/r"), Path::new("/other/b.pt")), "/other/b.pt");
        assert_eq!(relative_path(Path::new("/r"), Path::new("/r//m/./a.pt")), "m/a.pt");
        assert_eq!(relative_path(Path::new("/"), Path::new("/a")), "a");
    }
}
