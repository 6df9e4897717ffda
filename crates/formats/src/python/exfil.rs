//! Secrets read and sent over the network (`HitKind::SecretExfiltration`).
//!
//! A secret is a token-like environment variable (`HF_TOKEN`, `AWS_SECRET_ACCESS_KEY`,
//! `OPENAI_API_KEY`), the whole environment (`dict(os.environ)`), the Hugging Face
//! token (`huggingface_hub.get_token()`), or a credential file (`~/.aws/credentials`,
//! `~/.ssh/id_rsa`, `~/.netrc`, `~/.cache/huggingface/token`, ...). A send is a
//! network call (`requests.post`, `urllib.request.urlopen`, `http.client`,
//! `socket.sendall`, `smtplib`, DNS look-ups, ...), on a module or on a session,
//! connection or socket object made in the file.
//!
//! Two strengths: a secret that flows into a send's arguments (through variables,
//! containers, f-strings, within a function or at module level) is reported at the
//! send; a file that reads a secret *and* sends data that was not traced to it (the
//! value passed through a function argument, an attribute) is reported once, at its
//! first send. A plain download (`requests.get(url)` of nothing secret) is not a send
//! for the second case: remote code fetches images and vocabularies.

use ruff_python_ast::{self as ast, Expr};
use ruff_text_size::Ranged;

use super::{Analyzer, Hit, HitKind, any_expr, arg, keyword, truncate};

/// Words that make an environment variable's name a secret (`HF_TOKEN`, `DB_PASSWORD`).
const SECRET_WORDS: &[&str] = &[
    "TOKEN",
    "SECRET",
    "SECRETS",
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "CREDENTIAL",
    "CREDENTIALS",
    "APIKEY",
    "COOKIE",
    "AUTH",
];

/// Words that make a following `KEY` a secret (`API_KEY`, `AWS_ACCESS_KEY_ID`).
const KEY_KINDS: &[&str] = &["API", "ACCESS", "PRIVATE", "SECRET", "SIGNING", "ENCRYPTION", "MASTER", "SERVICE"];

/// Paths (lowercase) of credential files and folders.
const CREDENTIAL_PATHS: &[&str] = &[
    ".aws/credentials",
    ".aws/config",
    ".ssh/",
    "id_rsa",
    "id_ed25519",
    "id_ecdsa",
    "id_dsa",
    ".netrc",
    "_netrc",
    "huggingface/token",
    "huggingface/stored_tokens",
    ".git-credentials",
    ".docker/config.json",
    ".kube/config",
    ".pypirc",
    ".npmrc",
    ".gnupg",
    "/etc/shadow",
    "gcloud/credentials",
    "application_default_credentials",
    ".azure/",
    "keychains/",
];

/// Folders that hold nothing but credentials (`os.listdir("~/.ssh")`).
const CREDENTIAL_DIRS: &[&str] = &[".ssh", ".aws", ".gnupg", ".kube", ".azure"];

/// Calls that name, open or list a path.
const PATH_CALLS: &[&str] = &[
    "builtins.open",
    "io.open",
    "codecs.open",
    "os.open",
    "pathlib.Path",
    "pathlib.PosixPath",
    "pathlib.WindowsPath",
    "os.path.expanduser",
    "os.path.join",
    "os.listdir",
    "os.scandir",
    "os.walk",
    "glob.glob",
    "glob.iglob",
    "shutil.copy",
    "shutil.copy2",
    "shutil.copyfile",
    "shutil.copytree",
    "shutil.make_archive",
    "tarfile.open",
    "zipfile.ZipFile",
];

/// Methods that read or build a path (`Path.home().joinpath(".ssh").read_text()`).
const PATH_METHODS: &[&str] =
    &["read_text", "read_bytes", "read", "readlines", "open", "joinpath", "expanduser", "glob", "rglob", "iterdir"];

/// Functions that return the Hugging Face token.
const TOKEN_GETTERS: &[&str] = &[
    "huggingface_hub.get_token",
    "huggingface_hub.HfFolder.get_token",
    "huggingface_hub.utils.get_token",
    "huggingface_hub.utils._auth.get_token",
    "huggingface_hub.hf_api.HfFolder.get_token",
];

/// Network calls on a module; the second value says whether the call is a send
/// even with nothing secret traced into it (a plain download is not, nor is
/// making a connection or socket: what is sent through it is, see [`SEND_METHODS`]).
const SEND_CALLS: &[(&str, bool)] = &[
    ("requests.post", true),
    ("requests.put", true),
    ("requests.patch", true),
    ("requests.request", true),
    ("requests.delete", true),
    ("requests.get", false),
    ("requests.head", false),
    ("requests.options", false),
    ("requests.api.post", true),
    ("requests.api.put", true),
    ("requests.api.request", true),
    ("requests.api.get", false),
    ("httpx.post", true),
    ("httpx.put", true),
    ("httpx.patch", true),
    ("httpx.request", true),
    ("httpx.get", false),
    ("httpx.stream", false),
    ("urllib.request.urlopen", false),
    ("urllib.request.Request", false),
    ("urllib.request.urlretrieve", false),
    ("urllib.urlopen", false),
    ("urllib2.urlopen", false),
    ("urllib2.Request", false),
    ("http.client.HTTPConnection", false),
    ("http.client.HTTPSConnection", false),
    ("httplib.HTTPConnection", false),
    ("httplib.HTTPSConnection", false),
    ("socket.create_connection", false),
    ("socket.socket", false),
    ("socket.gethostbyname", false),
    ("socket.gethostbyname_ex", false),
    ("socket.getaddrinfo", false),
    ("smtplib.SMTP", false),
    ("smtplib.SMTP_SSL", false),
    ("ftplib.FTP", false),
    ("ftplib.FTP_TLS", false),
    ("ssl.get_server_certificate", false),
    ("webbrowser.open", false),
    ("webbrowser.open_new", false),
    ("webbrowser.open_new_tab", false),
    ("aiohttp.request", true),
    ("aiohttp.ClientSession", false),
    ("pycurl.Curl", false),
    ("xmlrpc.client.ServerProxy", false),
    ("telnetlib.Telnet", false),
    ("paramiko.SSHClient", false),
    ("dns.resolver.resolve", false),
    ("dns.resolver.query", false),
    ("huggingface_hub.upload_file", true),
    ("huggingface_hub.upload_folder", true),
    ("huggingface_hub.create_commit", true),
];

/// Calls that make a network object (session, connection, socket, client).
const NET_OBJECTS: &[&str] = &[
    "requests.Session",
    "requests.session",
    "requests.sessions.Session",
    "httpx.Client",
    "httpx.AsyncClient",
    "http.client.HTTPConnection",
    "http.client.HTTPSConnection",
    "httplib.HTTPConnection",
    "httplib.HTTPSConnection",
    "socket.socket",
    "socket.create_connection",
    "smtplib.SMTP",
    "smtplib.SMTP_SSL",
    "ftplib.FTP",
    "ftplib.FTP_TLS",
    "aiohttp.ClientSession",
    "urllib.request.build_opener",
    "xmlrpc.client.ServerProxy",
    "telnetlib.Telnet",
    "paramiko.SSHClient",
    "pycurl.Curl",
    "huggingface_hub.HfApi",
];

/// Methods of network objects that carry data out; the second value as in [`SEND_CALLS`].
const SEND_METHODS: &[(&str, bool)] = &[
    ("post", true),
    ("put", true),
    ("patch", true),
    ("request", true),
    ("send", true),
    ("sendall", true),
    ("sendto", true),
    ("sendmsg", true),
    ("sendfile", true),
    ("sendmail", true),
    ("send_message", true),
    ("storbinary", true),
    ("storlines", true),
    ("setopt", true),
    ("upload_file", true),
    ("upload_folder", true),
    ("create_commit", true),
    ("exec_command", true),
    ("get", false),
    ("open", false),
    ("connect", false),
];

/// Whether an environment variable's name says it holds a secret.
pub(super) fn is_secret_env_name(name: &str) -> bool {
    let up = name.to_ascii_uppercase();
    let parts: Vec<&str> = up.split(|c: char| !c.is_ascii_alphanumeric()).filter(|p| !p.is_empty()).collect();
    parts.iter().any(|p| SECRET_WORDS.contains(p))
        || parts.windows(2).any(|w| w[1] == "KEY" && KEY_KINDS.contains(&w[0]))
}

/// The credential file or folder named by these strings (each, and all joined as one path).
fn credential_path(strings: &[String]) -> Option<String> {
    let joined = strings.join("/");
    strings.iter().chain(std::iter::once(&joined)).find_map(|s| {
        let lower = s.to_ascii_lowercase().replace('\\', "/");
        let trimmed = lower.trim_end_matches('/');
        let hit = CREDENTIAL_PATHS.iter().any(|m| lower.contains(m))
            || CREDENTIAL_DIRS.iter().any(|d| trimmed == *d || trimmed.ends_with(&format!("/{d}")));
        hit.then(|| truncate(s, 120))
    })
}

/// A secret read, and how to describe it.
struct Secret {
    what: String,
    /// A token, key or credential file (the whole environment is not: it is copied
    /// for subprocesses all the time, and counts only when traced into a send).
    specific: bool,
    /// The Hugging Face token, which Hugging Face's own services are sent.
    hf_token: bool,
}

impl Secret {
    fn env(key: &str) -> Self {
        let hf = matches!(key, "HF_TOKEN" | "HUGGING_FACE_HUB_TOKEN" | "HUGGINGFACE_TOKEN" | "HF_API_TOKEN");
        Secret { what: format!("environment variable {key}"), specific: true, hf_token: hf }
    }

    fn environment() -> Self {
        Secret { what: "the whole environment".into(), specific: false, hf_token: false }
    }

    fn file(path: String) -> Self {
        let hf = path.contains("huggingface");
        Secret { what: format!("the credential file {path:?}"), specific: true, hf_token: hf }
    }

    fn derived(what: String, hf_token: bool) -> Self {
        Secret { what, specific: false, hf_token }
    }
}

/// A send seen in the file.
pub(super) struct SendSite {
    offset: u32,
    name: String,
    import_time: bool,
}

/// What the exfiltration check has seen so far in one file.
#[derive(Default)]
pub(super) struct ExfilState {
    /// The first secret read: offset and what it reads.
    first_read: Option<(u32, String)>,
    /// The first send that does not need a traced secret.
    first_send: Option<SendSite>,
    /// A secret was traced into a send (reported there).
    flowed: bool,
    /// Variables holding network objects (sessions, connections, sockets).
    net_objects: std::collections::HashSet<String>,
    /// The functions being walked, innermost last.
    pub(super) functions: Vec<String>,
    /// Functions of this file that return a secret.
    secret_functions: std::collections::HashSet<String>,
}

impl Analyzer<'_> {
    fn is_secret_name(&self, name: &str) -> bool {
        self.scopes.iter().rev().take(1).chain(self.scopes.first()).any(|s| s.secret.contains(name))
    }

    fn is_environ(&self, e: &Expr) -> bool {
        self.resolve(e, 0).is_some_and(|r| r.name == "os.environ" || r.name == "os.environb")
    }

    /// The secret this one expression reads (not looking below it), if any.
    fn secret_here(&self, x: &Expr) -> Option<Secret> {
        match x {
            Expr::Name(n) if self.is_secret_name(n.id.as_str()) => {
                Some(Secret::derived(format!("`{}`", n.id.as_str()), self.is_hf_token_name(n.id.as_str())))
            }
            Expr::Subscript(s) if self.is_environ(&s.value) => {
                let key = self.fold(&s.slice, 0)?.text;
                is_secret_env_name(&key).then(|| Secret::env(&key))
            }
            Expr::Dict(d) => {
                d.items.iter().any(|i| i.key.is_none() && self.is_environ(&i.value)).then(Secret::environment)
            }
            Expr::Call(c) => self.secret_call(x, c),
            _ => None,
        }
    }

    fn is_hf_token_name(&self, name: &str) -> bool {
        self.scopes.iter().rev().take(1).chain(self.scopes.first()).any(|s| s.hf_token.contains(name))
    }

    /// The secret the call `c` (the expression `x`) reads, if any.
    fn secret_call(&self, x: &Expr, c: &ast::ExprCall) -> Option<Secret> {
        if let Some(r) = self.resolve(&c.func, 0) {
            let name = r.name.as_str();
            match name {
                "os.getenv"
                | "os.getenvb"
                | "os.environ.get"
                | "os.environ.pop"
                | "os.environ.setdefault"
                | "os.environ.__getitem__" => {
                    let key = self.fold(arg(c, 0, "key")?, 0)?.text;
                    return is_secret_env_name(&key).then(|| Secret::env(&key));
                }
                "os.environ.copy" | "os.environ.items" | "os.environ.values" | "os.environb.items" => {
                    return Some(Secret::environment());
                }
                "netrc.netrc" => return Some(Secret::file("~/.netrc".into())),
                _ if TOKEN_GETTERS.contains(&name) => {
                    return Some(Secret {
                        what: format!("the Hugging Face token ({name})"),
                        specific: true,
                        hf_token: true,
                    });
                }
                _ => {}
            }
            if PATH_CALLS.contains(&name) {
                return credential_path(&self.strings_in(x)).map(Secret::file);
            }
        }
        // dict(os.environ), json.dumps(os.environ), str(os.environ), ... (`dict` resolves to no module).
        if c.arguments.args.iter().any(|a| self.is_environ(a)) {
            return Some(Secret::environment());
        }
        match &*c.func {
            Expr::Attribute(a) if PATH_METHODS.contains(&a.attr.as_str()) => {
                credential_path(&self.strings_in(x)).map(Secret::file)
            }
            // A function of this file that returns a secret.
            Expr::Name(n) if self.exfil.secret_functions.contains(n.id.as_str()) => {
                Some(Secret::derived(format!("the value of {}()", n.id.as_str()), false))
            }
            _ => None,
        }
    }

    /// The secret read anywhere below `e`, if any.
    pub(super) fn secret_in(&self, e: &Expr) -> Option<String> {
        self.secret_below(e).map(|s| s.what)
    }

    fn secret_below(&self, e: &Expr) -> Option<Secret> {
        let mut found = None;
        any_expr(e, &mut |x| {
            found = self.secret_here(x);
            found.is_some()
        });
        found
    }

    /// Whether everything secret below `e` is the Hugging Face token.
    fn only_hf_token(&self, e: &Expr) -> bool {
        let mut other = false;
        any_expr(e, &mut |x| {
            other = self.secret_here(x).is_some_and(|s| !s.hf_token);
            other
        });
        !other
    }

    /// Marks the names bound by `target` as holding a secret (from `value`).
    pub(super) fn mark_secret(&mut self, target: &Expr, value: &Expr) {
        let hf_token = self.only_hf_token(value);
        let mut names = Vec::new();
        any_expr(target, &mut |x| {
            if let Expr::Name(n) = x {
                names.push(n.id.to_string());
            }
            false
        });
        if let Some(scope) = self.scopes.last_mut() {
            for n in &names {
                if hf_token {
                    scope.hf_token.insert(n.clone());
                } else {
                    scope.hf_token.remove(n);
                }
            }
            scope.secret.extend(names);
        }
    }

    /// `return <secret>` inside a function: calls of that function read the secret.
    pub(super) fn note_return(&mut self, value: &Expr) {
        if let Some(f) = self.exfil.functions.last().cloned()
            && self.secret_below(value).is_some()
        {
            self.exfil.secret_functions.insert(f);
        }
    }

    /// After an assignment or a `with`/`for` binding: propagate secrets and network objects.
    pub(super) fn bind_exfil(&mut self, target: &Expr, value: &Expr) {
        if self.secret_in(value).is_some() {
            self.mark_secret(target, value);
        }
        if let Expr::Name(n) = target {
            let net = matches!(value, Expr::Call(c) if self.makes_net_object(c));
            if net {
                self.exfil.net_objects.insert(n.id.to_string());
            } else {
                self.exfil.net_objects.remove(n.id.as_str());
            }
        }
    }

    fn makes_net_object(&self, c: &ast::ExprCall) -> bool {
        self.resolve(&c.func, 0).is_some_and(|r| NET_OBJECTS.contains(&r.name.as_str()))
    }

    /// Records secret reads at this expression (one node, not below it).
    pub(super) fn note_secret_read(&mut self, x: &Expr) {
        if self.exfil.first_read.is_some() || matches!(x, Expr::Name(_)) {
            return;
        }
        if let Some(secret) = self.secret_here(x).filter(|s| s.specific) {
            self.exfil.first_read = Some((u32::from(x.start()), secret.what));
        }
    }

    /// The network call `c` makes, if any: its name and whether it sends without a traced secret.
    fn send_of(&self, c: &ast::ExprCall) -> Option<(String, bool)> {
        if let Some(r) = self.resolve(&c.func, 0)
            && let Some((_, strong)) = SEND_CALLS.iter().find(|(n, _)| *n == r.name)
        {
            let with_data = arg(c, 1, "data").is_some() || keyword(c, "method").is_some();
            let strong = *strong || (r.name.ends_with("urlopen") || r.name.ends_with("Request")) && with_data;
            return Some((r.name, strong));
        }
        let Expr::Attribute(a) = &*c.func else { return None };
        let method = a.attr.as_str();
        let (_, strong) = SEND_METHODS.iter().find(|(m, _)| *m == method)?;
        let receiver = match &*a.value {
            Expr::Name(n) if self.exfil.net_objects.contains(n.id.as_str()) => n.id.to_string(),
            Expr::Call(inner) if self.makes_net_object(inner) => {
                self.resolve(&inner.func, 0).map_or_else(|| "a connection".into(), |r| format!("{}()", r.name))
            }
            Expr::Attribute(inner) if matches!(&*inner.value, Expr::Name(s) if s.id.as_str() == "self") => {
                // self.session.post(...): a session kept on the object.
                let field = inner.attr.as_str();
                let looks_net = ["session", "sock", "socket", "conn", "connection", "client", "http", "smtp", "ftp"]
                    .iter()
                    .any(|k| field.to_ascii_lowercase().contains(k));
                if !looks_net || method == "get" || method == "open" {
                    return None;
                }
                format!("self.{field}")
            }
            _ => return None,
        };
        Some((format!("{receiver}.{method}"), *strong))
    }

    /// Checks one call as a possible send of a secret.
    pub(super) fn check_send(&mut self, c: &ast::ExprCall) {
        let Some((name, strong)) = self.send_of(c) else { return };
        let args: Vec<&Expr> = c.arguments.args.iter().chain(c.arguments.keywords.iter().map(|k| &k.value)).collect();
        let carried = args.iter().find_map(|a| self.secret_in(a));
        // The Hugging Face token sent to Hugging Face itself is what it is for.
        if carried.is_some() && self.url_is_hub(c) && args.iter().all(|a| self.only_hf_token(a)) {
            return;
        }
        if let Some(what) = carried {
            self.exfil.flowed = true;
            self.hit(
                HitKind::SecretExfiltration { flow: true },
                c,
                format!("{name} sends {what} over the network"),
                None,
            );
        } else if strong && self.exfil.first_send.is_none() {
            let import_time = self.import_time();
            self.exfil.first_send = Some(SendSite { offset: u32::from(c.start()), name, import_time });
        }
    }

    /// Whether the request goes to `huggingface.co` (or a subdomain), by its URL
    /// (first argument or `url=`, a literal, a constant or a class constant `self.URL`).
    fn url_is_hub(&self, c: &ast::ExprCall) -> bool {
        let Some(u) = arg(c, 0, "url") else { return false };
        let text = match u {
            Expr::Attribute(a) if matches!(&*a.value, Expr::Name(n) if matches!(n.id.as_str(), "self" | "cls")) => {
                self.consts.get(a.attr.as_str()).cloned()
            }
            _ => self.fold(u, 0).map(|f| f.text),
        };
        let Some(text) = text else { return false };
        let Some(rest) = text.strip_prefix("https://") else { return false };
        let host = rest.split(['/', '?', '#']).next().unwrap_or("").to_ascii_lowercase();
        host == "huggingface.co" || host == "hf.co" || host.ends_with(".huggingface.co")
    }

    /// At the end of a file: a secret read and a send, not traced one into the other.
    pub(super) fn finish_exfil(&mut self) {
        if self.exfil.flowed || self.hits.len() >= super::MAX_HITS {
            return;
        }
        let (Some((read_at, what)), Some(send)) = (self.exfil.first_read.take(), self.exfil.first_send.take()) else {
            return;
        };
        let (offset, read_line, detail) = match &self.at {
            // A payload's own offsets are not the file's: everything reports at the outer call.
            Some((outer, code)) => (*outer, String::new(), format!(" (in code passed to {code})")),
            None => (send.offset, format!(" (line {})", self.lines.line_col(read_at).0), String::new()),
        };
        let (line, col) = self.lines.line_col(offset);
        self.hits.push(Hit {
            kind: HitKind::SecretExfiltration { flow: false },
            offset,
            line,
            col,
            import_time: send.import_time,
            detail: format!("{} sends data over the network, and the file reads {what}{read_line}{detail}", send.name),
            evidence: None,
        });
    }
}
