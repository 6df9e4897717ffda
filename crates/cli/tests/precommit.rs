//! The real `pre-commit` runs the repository's `.pre-commit-hooks.yaml` on a
//! temporary project: a staged malicious model blocks, a clean one passes, and
//! Python sources are never handed to the hook.
//!
//! pre-commit is found through `MODELVET_PRE_COMMIT` (a path to the executable)
//! or on PATH. Without it these tests print a notice and pass, unless
//! `MODELVET_REQUIRE_PRE_COMMIT=1` (set by `.ci/run`, which installs a pinned
//! pre-commit into a virtualenv) makes a missing pre-commit a failure.
//!
//! The hook used is `modelvet-system` (modelvet on PATH): PATH starts with the
//! folder of the `modelvet` binary this test suite built. The `language: rust`
//! hook differs only in how pre-commit gets the binary (`cargo install` of the
//! root package); it is tested too when `MODELVET_PRE_COMMIT_RUST=1`, since
//! that means a full build.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;

use common::{repo_file as fixture, repo_root};

fn pre_commit() -> Option<PathBuf> {
    let required = std::env::var("MODELVET_REQUIRE_PRE_COMMIT").is_ok_and(|v| v == "1");
    let found = match std::env::var_os("MODELVET_PRE_COMMIT").filter(|v| !v.is_empty()) {
        Some(p) => {
            let p = PathBuf::from(p);
            assert!(p.is_file(), "MODELVET_PRE_COMMIT={} is not a file", p.display());
            Some(p)
        }
        None => std::env::var_os("PATH")
            .and_then(|path| std::env::split_paths(&path).map(|d| d.join("pre-commit")).find(|c| c.is_file())),
    };
    if found.is_none() {
        assert!(!required, "MODELVET_REQUIRE_PRE_COMMIT=1 but pre-commit was not found (set MODELVET_PRE_COMMIT)");
        eprintln!("notice: pre-commit not found (MODELVET_PRE_COMMIT or PATH); skipping the pre-commit hook test");
    }
    found
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// A hook repository holding this repository's `.pre-commit-hooks.yaml` and a
/// project repository whose `.pre-commit-config.yaml` uses its `modelvet-system`
/// hook, each a fresh git repository in a temporary folder.
struct Sandbox {
    _tmp: tempfile::TempDir,
    project: PathBuf,
    home: PathBuf,
    cache: PathBuf,
    pre_commit: PathBuf,
}

impl Sandbox {
    /// The `modelvet-system` hook from a hook repository holding only this
    /// repository's `.pre-commit-hooks.yaml` (the working copy's, committed anew).
    fn new(pre_commit: PathBuf) -> Sandbox {
        let sb = Sandbox::empty(pre_commit);
        let hooks = sb.project.with_file_name("hooks");
        std::fs::create_dir_all(&hooks).unwrap();
        std::fs::copy(repo_root().join(".pre-commit-hooks.yaml"), hooks.join(".pre-commit-hooks.yaml")).unwrap();
        sb.git(&hooks, &["init", "-q", "-b", "main"]);
        sb.git(&hooks, &["add", ".pre-commit-hooks.yaml"]);
        sb.git(&hooks, &["commit", "-q", "-m", "hooks"]);
        let rev = String::from_utf8(sb.git(&hooks, &["rev-parse", "HEAD"]).stdout).unwrap().trim().to_string();
        sb.use_hook(&hooks, &rev, "modelvet-system");
        sb
    }

    fn empty(pre_commit: PathBuf) -> Sandbox {
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path().canonicalize().unwrap();
        let (project, home, cache) = (base.join("project"), base.join("home"), base.join("pre-commit-home"));
        for d in [&project, &home, &cache] {
            std::fs::create_dir_all(d).unwrap();
        }
        std::fs::write(home.join(".gitconfig"), "").unwrap();
        Sandbox { _tmp: tmp, project, home, cache, pre_commit }
    }

    /// Writes and stages a `.pre-commit-config.yaml` that uses hook `id` of `repo` at `rev`.
    fn use_hook(&self, repo: &Path, rev: &str, id: &str) {
        self.git(&self.project, &["init", "-q", "-b", "main"]);
        let config = format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: {id}\n",
            repo.to_str().expect("UTF-8 path")
        );
        self.write(".pre-commit-config.yaml", config.as_bytes());
        self.git(&self.project, &["add", ".pre-commit-config.yaml"]);
    }

    /// A command with a controlled environment: the built `modelvet` first on
    /// PATH, pre-commit's cache and git's configuration inside the sandbox.
    fn command(&self, program: &Path, dir: &Path) -> Command {
        let bin_dir = Path::new(env!("CARGO_BIN_EXE_modelvet")).parent().unwrap().to_path_buf();
        let path = std::env::var_os("PATH").unwrap_or_default();
        let path = std::env::join_paths(std::iter::once(bin_dir).chain(std::env::split_paths(&path))).unwrap();
        let mut cmd = Command::new(program);
        if let Some(real_home) = std::env::var_os("HOME").map(PathBuf::from) {
            for (var, dir) in [("CARGO_HOME", ".cargo"), ("RUSTUP_HOME", ".rustup")] {
                if std::env::var_os(var).is_none() && real_home.join(dir).is_dir() {
                    cmd.env(var, real_home.join(dir));
                }
            }
        }
        cmd.current_dir(dir)
            .env("PATH", path)
            .env("HOME", &self.home)
            .env("PRE_COMMIT_HOME", &self.cache)
            .env("GIT_CONFIG_GLOBAL", self.home.join(".gitconfig"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "modelvet test")
            .env("GIT_AUTHOR_EMAIL", "test@modelvet.invalid")
            .env("GIT_COMMITTER_NAME", "modelvet test")
            .env("GIT_COMMITTER_EMAIL", "test@modelvet.invalid")
            .env_remove("SKIP")
            .env_remove("PRE_COMMIT_ALLOW_NO_CONFIG")
            .env_remove("GIT_DIR")
            .env_remove("GIT_INDEX_FILE")
            .env_remove("GIT_WORK_TREE");
        cmd
    }

    fn git(&self, dir: &Path, args: &[&str]) -> Output {
        let out = self.command(Path::new("git"), dir).args(args).output().expect("run git");
        assert!(out.status.success(), "git {args:?} failed: {}", text(&out));
        out
    }

    fn write(&self, rel: &str, bytes: &[u8]) {
        let p = self.project.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }

    fn stage(&self, rel: &str, bytes: &[u8]) {
        self.write(rel, bytes);
        self.git(&self.project, &["add", rel]);
    }

    /// `pre-commit run` on the staged files, showing hook output even on success.
    fn run(&self) -> Output {
        self.command(&self.pre_commit, &self.project)
            .args(["run", "--verbose", "--color", "never"])
            .output()
            .expect("run pre-commit")
    }
}

#[test]
fn staged_malicious_models_are_blocked() {
    let Some(pc) = pre_commit() else { return };
    let sb = Sandbox::new(pc);
    sb.stage("models/evil_checkpoint.pt", &fixture("examples/models/evil_checkpoint.pt.hex"));
    sb.stage("weights/Model.PKL", &fixture("fixtures/malicious/pickle/builtin_eval_py2_proto2.pkl.hex"));
    sb.stage("models/clean.pt", &fixture("examples/models/clean_state_dict.pt"));

    let out = sb.run();
    let log = text(&out);
    assert_eq!(out.status.code(), Some(1), "pre-commit must fail:\n{log}");
    assert!(log.contains("PKL001"), "hook output names the rule:\n{log}");
    for name in ["evil_checkpoint.pt", "Model.PKL", "clean.pt"] {
        assert!(log.contains(name), "{name} was passed to modelvet:\n{log}");
    }
    assert!(log.contains("modelvet (scan model files)") && log.contains("Failed"), "{log}");

    // The same through git itself: `pre-commit install` puts the hook in
    // .git/hooks, and the commit is refused.
    let install = sb.command(&sb.pre_commit, &sb.project).arg("install").output().unwrap();
    assert!(install.status.success(), "pre-commit install: {}", text(&install));
    let commit = sb.command(Path::new("git"), &sb.project).args(["commit", "-m", "add models"]).output().unwrap();
    let log = text(&commit);
    assert!(!commit.status.success(), "git commit must be refused:\n{log}");
    assert!(log.contains("PKL001"), "{log}");
    let head =
        sb.command(Path::new("git"), &sb.project).args(["rev-parse", "--verify", "-q", "HEAD"]).output().unwrap();
    assert!(!head.status.success(), "nothing was committed");
}

#[test]
fn staged_clean_models_pass() {
    let Some(pc) = pre_commit() else { return };
    let sb = Sandbox::new(pc);
    sb.stage("models/clean_state_dict.pt", &fixture("examples/models/clean_state_dict.pt"));
    sb.stage("config.json", br#"{"architectures": ["BertModel"], "model_type": "bert"}"#);

    let out = sb.run();
    let log = text(&out);
    assert_eq!(out.status.code(), Some(0), "pre-commit must pass:\n{log}");
    assert!(log.contains("Passed"), "{log}");
    assert!(log.contains("clean_state_dict.pt") && log.contains("config.json"), "files were scanned:\n{log}");
}

#[test]
fn python_sources_are_not_passed_to_the_hook() {
    let Some(pc) = pre_commit() else { return };
    let sb = Sandbox::new(pc);
    let script = b"import os; os.system('x')\n";

    // modelvet itself would flag this file (PYT rules), so the hook passing
    // below shows that pre-commit never handed it over.
    sb.write("direct/train.py", script);
    let direct = sb
        .command(Path::new(env!("CARGO_BIN_EXE_modelvet")), &sb.project)
        .args(["scan", "direct/train.py"])
        .output()
        .unwrap();
    assert_eq!(direct.status.code(), Some(1), "modelvet flags the script when given it:\n{}", text(&direct));
    std::fs::remove_dir_all(sb.project.join("direct")).unwrap();

    sb.stage("train.py", script);
    let out = sb.run();
    let log = text(&out);
    assert_eq!(out.status.code(), Some(0), "{log}");
    assert!(log.contains("(no files to check)Skipped"), "hook skipped with only a .py staged:\n{log}");

    sb.stage("models/clean_state_dict.pt", &fixture("examples/models/clean_state_dict.pt"));
    let out = sb.run();
    let log = text(&out);
    assert_eq!(out.status.code(), Some(0), "{log}");
    assert!(log.contains("clean_state_dict.pt") && !log.contains("train.py"), "only the model was passed:\n{log}");
}

/// The `language: rust` hook: pre-commit clones this repository at HEAD (the
/// committed state) and runs `cargo install --path .`, which builds the root
/// package's `modelvet-hook`. A full build, so opt-in: `MODELVET_PRE_COMMIT_RUST=1`
/// (release profile overridden to opt-level 0 to keep it to a few minutes).
#[test]
fn rust_hook_builds_from_the_repository_and_blocks() {
    if !std::env::var("MODELVET_PRE_COMMIT_RUST").is_ok_and(|v| v == "1") {
        eprintln!("notice: set MODELVET_PRE_COMMIT_RUST=1 to build and run the `language: rust` hook");
        return;
    }
    let Some(pc) = pre_commit() else { return };
    let sb = Sandbox::empty(pc);
    let repo = repo_root().canonicalize().unwrap();
    let rev = sb.command(Path::new("git"), &repo).args(["rev-parse", "HEAD"]).output().unwrap();
    assert!(rev.status.success(), "{} is not a git checkout", repo.display());
    sb.use_hook(&repo, String::from_utf8(rev.stdout).unwrap().trim(), "modelvet");
    sb.stage("models/evil_checkpoint.pt", &fixture("examples/models/evil_checkpoint.pt.hex"));

    let out = sb
        .command(&sb.pre_commit, &sb.project)
        .args(["run", "--verbose", "--color", "never"])
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
        .env("CARGO_PROFILE_RELEASE_LTO", "off")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16")
        .env("CARGO_PROFILE_RELEASE_DEBUG", "0")
        .output()
        .unwrap();
    let log = text(&out);
    assert_eq!(out.status.code(), Some(1), "{log}");
    assert!(log.contains("- hook id: modelvet\n") && log.contains("PKL001"), "{log}");
}
