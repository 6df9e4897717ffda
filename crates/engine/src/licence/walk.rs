//! Which models a tree holds, and which of their files carry licence evidence.
//!
//! A **model** is either
//! - a *repository folder*: a folder with a model card (`README.md` with YAML
//!   front matter), `config.json`, `adapter_config.json` or `model_index.json`.
//!   Folders below a folder with a card or `model_index.json` are its
//!   components (diffusers' `unet/`, sentence-transformers' `1_Pooling/`) and
//!   belong to it; or
//! - a *loose model file*: a weight file (by extension) in a folder that is
//!   not a repository folder, such as a `.gguf` or `.pt` on its own.
//!
//! Licence files (`LICENSE*`, `LICENCE*`, `COPYING*`, `NOTICE*`,
//! `USE_POLICY*`) count only inside a repository folder: a project's own
//! `LICENSE` next to a folder of test models is the code's licence, not the
//! models'.

use std::path::{Path, PathBuf};

/// Most directory entries looked at under one root.
const MAX_ENTRIES: usize = 500_000;
/// Deepest folder nesting followed.
const MAX_DEPTH: usize = 48;

/// Extensions of files that hold weights (or a whole model).
const WEIGHTS: &[&str] = &[
    "safetensors",
    "gguf",
    "ggml",
    "onnx",
    "bin",
    "pt",
    "pth",
    "ckpt",
    "h5",
    "hdf5",
    "keras",
    "pb",
    "tflite",
    "msgpack",
    "pkl",
    "pickle",
    "joblib",
    "npz",
    "mlmodel",
    "llamafile",
    "nemo",
];

/// A model found in the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The repository folder, or the loose file.
    pub path: PathBuf,
    /// A repository folder (not a loose file).
    pub repo: bool,
    /// `README.md` with front matter, in the folder itself.
    pub card: Option<PathBuf>,
    pub adapter_config: Option<PathBuf>,
    /// Licence files in the folder or its components.
    pub licence_files: Vec<PathBuf>,
    /// Weight files of the model (their metadata may declare a licence).
    pub weights: Vec<PathBuf>,
}

/// One folder of a tree and the regular files directly in it (symbolic links
/// not followed), as the scanner's walk lists them: folders in depth-first
/// order, files sorted by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dir {
    pub path: PathBuf,
    pub files: Vec<PathBuf>,
}

/// Whether a file name is a licence file's.
pub fn is_licence_file(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let (stem, ext) = match lower.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() => (s, e),
        _ => (lower.as_str(), ""),
    };
    let prefixed =
        ["license", "licence", "copying", "notice", "use_policy", "use-policy"].iter().any(|p| stem.starts_with(p));
    // `LICENSE`, `LICENSE.md`, `LICENSE-MODEL`, `LICENSE.txt`, `NOTICE`; not `license_check.py`.
    prefixed && matches!(ext, "" | "md" | "txt" | "rst" | "markdown")
}

fn extension(p: &Path) -> String {
    p.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default()
}

pub fn is_weight_file(p: &Path) -> bool {
    WEIGHTS.contains(&extension(p).as_str())
}

fn name_is(p: &Path, name: &str) -> bool {
    p.file_name().is_some_and(|n| n.to_string_lossy().eq_ignore_ascii_case(name))
}

/// Reads at most `max` bytes of a file.
pub fn read_capped(p: &Path, max: u64) -> std::io::Result<(Vec<u8>, bool)> {
    use std::io::Read;
    let f = std::fs::File::open(p)?;
    let mut buf = Vec::new();
    f.take(max + 1).read_to_end(&mut buf)?;
    let cut = buf.len() as u64 > max;
    buf.truncate(usize::try_from(max).unwrap_or(usize::MAX));
    Ok((buf, cut))
}

/// A `README.md` whose first line opens YAML front matter.
fn has_front_matter(p: &Path) -> bool {
    read_capped(p, 64).is_ok_and(|(b, _)| {
        let b = b.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&b);
        b.starts_with(b"---\n") || b.starts_with(b"---\r\n")
    })
}

fn walk(root: &Path, deep: bool) -> Vec<Dir> {
    let mut out = Vec::new();
    let mut seen = 0usize;
    let mut stack = vec![(root.to_path_buf(), 0usize)];
    while let Some((dir, depth)) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else { continue };
        let mut entries: Vec<_> = rd.filter_map(Result::ok).collect();
        entries.sort_by_key(std::fs::DirEntry::file_name);
        let mut files = Vec::new();
        let mut subdirs = Vec::new();
        for e in entries {
            seen += 1;
            if seen > MAX_ENTRIES {
                break;
            }
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                if deep && depth < MAX_DEPTH && !matches!(e.file_name().to_str(), Some(".git" | ".hg" | ".svn")) {
                    subdirs.push(e.path());
                }
            } else if ft.is_file() {
                files.push(e.path());
            }
        }
        out.push(Dir { path: dir, files });
        stack.extend(subdirs.into_iter().rev().map(|d| (d, depth + 1)));
    }
    out
}

/// The models under `root` (a folder or a single file), in path order.
pub fn models(root: &Path) -> Vec<Found> {
    if root.is_file() {
        // A card or adapter config named on its own (a pre-commit hook passes
        // changed files) stands for its folder; a weight file for itself.
        let card = name_is(root, "README.md") && has_front_matter(root);
        if (card || name_is(root, "adapter_config.json"))
            && let Some(dir) = root.parent()
        {
            let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
            return models_in(dir, false).into_iter().filter(|m| m.path == dir).collect();
        }
        if !is_weight_file(root) {
            return Vec::new();
        }
        return vec![Found {
            path: root.to_path_buf(),
            repo: false,
            card: None,
            adapter_config: None,
            licence_files: Vec::new(),
            weights: vec![root.to_path_buf()],
        }];
    }
    models_in(root, true)
}

/// The models in a folder, and in its subfolders when `deep`.
fn models_in(root: &Path, deep: bool) -> Vec<Found> {
    models_listed(walk(root, deep))
}

/// The models of a tree already listed (see [`Dir`]), as [`models`] finds
/// them under the listing's root: a scan passes the listing it walked rather
/// than have every folder read twice.
pub fn models_listed(dirs: Vec<Dir>) -> Vec<Found> {
    let mut out: Vec<Found> = Vec::new();
    // Indexes into `out` of repository folders that absorb their subfolders.
    let mut absorbing: Vec<usize> = Vec::new();
    for d in dirs {
        let card = d.files.iter().find(|f| name_is(f, "README.md") && has_front_matter(f)).cloned();
        let adapter = d.files.iter().find(|f| name_is(f, "adapter_config.json")).cloned();
        let index = d.files.iter().any(|f| name_is(f, "model_index.json"));
        let config = d.files.iter().any(|f| name_is(f, "config.json"));
        let licence_files: Vec<PathBuf> = d
            .files
            .iter()
            .filter(|f| f.file_name().is_some_and(|n| is_licence_file(&n.to_string_lossy())))
            .cloned()
            .collect();
        let weights: Vec<PathBuf> = d.files.iter().filter(|f| is_weight_file(f)).cloned().collect();
        let parent = absorbing.iter().rev().copied().find(|&i| d.path.starts_with(&out[i].path));
        if let Some(i) = parent {
            // A component of a repository folder.
            out[i].licence_files.extend(licence_files);
            out[i].weights.extend(weights);
            continue;
        }
        let repo = card.is_some() || adapter.is_some() || index || config;
        if repo {
            if card.is_some() || index {
                absorbing.push(out.len());
            }
            out.push(Found { path: d.path, repo, card, adapter_config: adapter, licence_files, weights });
        } else {
            for w in weights {
                out.push(Found {
                    path: w.clone(),
                    repo: false,
                    card: None,
                    adapter_config: None,
                    licence_files: Vec::new(),
                    weights: vec![w],
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn licence_file_names() {
        for n in ["LICENSE", "LICENCE.md", "license.txt", "LICENSE-MODEL", "COPYING", "NOTICE", "USE_POLICY.md"] {
            assert!(is_licence_file(n), "{n}");
        }
        for n in ["license_check.py", "README.md", "licenses.json", "config.json"] {
            assert!(!is_licence_file(n), "{n}");
        }
    }

    #[test]
    fn repositories_absorb_components_and_loose_files_stand_alone() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        let w = |p: &str, s: &str| {
            let p = r.join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, s).unwrap();
        };
        w("sd/README.md", "---\nlicense: openrail\n---\n");
        w("sd/model_index.json", "{}");
        w("sd/unet/config.json", "{}");
        w("sd/unet/diffusion_pytorch_model.safetensors", "");
        w("sd/LICENSE.md", "x");
        w("loose/a.gguf", "");
        w("loose/b.pt", "");
        w("loose/LICENSE", "project licence");
        w("adapter/adapter_config.json", "{}");
        w("project/README.md", "# not a card\n");
        let m = models(r);
        let paths: Vec<String> = m.iter().map(|f| f.path.strip_prefix(r).unwrap().display().to_string()).collect();
        assert_eq!(paths, vec!["adapter", "loose/a.gguf", "loose/b.pt", "sd"]);
        let sd = &m[3];
        assert!(sd.repo && sd.card.is_some());
        assert_eq!(sd.weights.len(), 1);
        assert_eq!(sd.licence_files.len(), 1);
        assert!(!m[1].repo && m[1].licence_files.is_empty());
        assert!(m[0].adapter_config.is_some());
        // The same tree listed by someone else (the scanner) gives the same models.
        assert_eq!(models_listed(walk(r, true)), m);
    }
}
