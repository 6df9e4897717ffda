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
    let joined = if p.is_absolute() { p.to_path_buf() } else { std::env::current_dir().unwrap_or_default().join(p) };
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
    let abs = absolute(path);
    let rel = abs.strip_prefix(absolute(root)).map(Path::to_path_buf).unwrap_or_else(|_| path.to_path_buf());
    rel.components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            Component::RootDir => Some(String::new()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("/")
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
    }
}
