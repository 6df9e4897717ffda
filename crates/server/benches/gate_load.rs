//! Loopback load test of `modelvet serve` (issue: "the gate's overhead against
//! serving the same files without scanning").
//!
//! ```sh
//! cargo build --release --bin modelvet
//! cargo bench -p modelvet-server --bench gate_load -- [--files 16] [--size 4M] \
//!     [--clients 16] [--seconds 10] [--rounds 3] [--burst 16]
//! ```
//!
//! What it does, all on 127.0.0.1:
//! 1. writes `--files` clean safetensors files of `--size` bytes (plus `--burst`
//!    more) and serves them from a test hub (`modelvet-testhub`, in process);
//! 2. starts `modelvet serve` (the binary in `MODELVET_BIN`, default
//!    `target/release/modelvet`) over that hub, in its own process, and
//!    downloads every file once through it (fetch + scan + cache);
//! 3. the baseline: a plain file server in this process, on the same HTTP stack
//!    (axum, hyper, tokio) and the same way of streaming a file from disk as the
//!    gate (`ReaderStream` over a `tokio::fs::File`), serving the same files
//!    from a folder: no name checks, no database, no audit log, no scan;
//! 4. rounds of `--clients` concurrent clients downloading the cached files for
//!    `--seconds`, baseline and gate interleaved so that both see the same
//!    machine: requests/s, MB/s and latency percentiles (time to the last byte);
//! 5. a burst: every client asks for each of `--burst` files the gate has never
//!    seen, at once, retrying on `429` after `Retry-After` as the Hub clients
//!    do; reports the time until every client had every file and, from the
//!    gate's `/metrics`, how many upstream fetches and scans that took (one each).
//!
//! Bounded: every request has a timeout and every round a deadline.
#![forbid(unsafe_code)]
// A command-line report: printing is its job.
#![allow(clippy::print_stdout)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use modelvet_testhub::{Repo, TestHub};
use tokio::io::AsyncReadExt;

const REPO: &str = "bench/model";

struct Args {
    files: usize,
    size: usize,
    clients: usize,
    seconds: u64,
    rounds: usize,
    burst: usize,
}

fn parse_args() -> Args {
    let mut a = Args { files: 16, size: 4 << 20, clients: 16, seconds: 10, rounds: 3, burst: 16 };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        // `cargo bench` passes `--bench`; ignore flags that are not ours.
        let mut value = || it.next().unwrap_or_default();
        match flag.as_str() {
            "--files" => a.files = value().parse().unwrap_or(a.files),
            "--size" => a.size = parse_size(&value()).unwrap_or(a.size),
            "--clients" => a.clients = value().parse().unwrap_or(a.clients),
            "--seconds" => a.seconds = value().parse().unwrap_or(a.seconds),
            "--rounds" => a.rounds = value().parse().unwrap_or(a.rounds),
            "--burst" => a.burst = value().parse().unwrap_or(a.burst),
            _ => {}
        }
    }
    a.files = a.files.clamp(1, 1000);
    a.clients = a.clients.clamp(1, 512);
    a.seconds = a.seconds.clamp(1, 300);
    a.rounds = a.rounds.clamp(1, 20);
    a.burst = a.burst.min(200);
    a
}

fn parse_size(s: &str) -> Option<usize> {
    let (n, mult) = match s.chars().last()? {
        'K' | 'k' => (&s[..s.len() - 1], 1 << 10),
        'M' | 'm' => (&s[..s.len() - 1], 1 << 20),
        'G' | 'g' => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1),
    };
    n.parse::<usize>().ok().map(|n| n * mult)
}

/// A valid safetensors file of exactly `size` bytes (one U8 tensor); `seed`
/// makes its content (so its SHA-256) unique.
fn safetensors(size: usize, seed: usize) -> Vec<u8> {
    let mut header = format!(
        "{{\"__metadata__\":{{\"seed\":\"{seed}\"}},\"w\":{{\"dtype\":\"U8\",\"shape\":[N],\"data_offsets\":[0,N]}}}}"
    );
    // The header's own length changes N's digits; pad with spaces to a fixed width.
    let fixed = header.len() + 2 * 20;
    let data = size.saturating_sub(8 + fixed).max(1);
    header = header.replace('N', &data.to_string());
    while header.len() < fixed {
        header.push(' ');
    }
    let mut out = Vec::with_capacity(8 + header.len() + data);
    out.extend_from_slice(&(header.len() as u64).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend((0..data).map(|i| (i.wrapping_mul(31).wrapping_add(seed)) as u8));
    out
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(18765)
}

struct Gate {
    child: Child,
    url: String,
}

impl Drop for Gate {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_gate(bin: &Path, upstream: &str, data: &Path) -> Gate {
    let port = free_port();
    let child = Command::new(bin)
        .args(["serve", "--no-policy", "--upstream", upstream, "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("--data")
        .arg(data)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot start {}: {e} (build it: cargo build --release --bin modelvet)", bin.display())
        });
    let url = format!("http://127.0.0.1:{port}");
    let client = http_client();
    let deadline = Instant::now() + Duration::from_secs(30);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        while Instant::now() < deadline {
            if let Ok(r) = client.get(format!("{url}/healthz")).send().await
                && r.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the gate did not answer /healthz within 30 s");
    });
    Gate { child, url }
}

fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .pool_max_idle_per_host(1024)
        .build()
        .expect("http client")
}

/// The baseline: the same files, streamed from disk the way the gate streams its blobs.
fn start_baseline(dir: PathBuf) -> (SocketAddr, std::thread::JoinHandle<()>, tokio::sync::oneshot::Sender<()>) {
    async fn file(State(dir): State<Arc<PathBuf>>, UrlPath(name): UrlPath<String>) -> Response {
        if name.contains('/') || name.contains("..") {
            return StatusCode::BAD_REQUEST.into_response();
        }
        let Ok(f) = std::fs::File::open(dir.join(&name)) else { return StatusCode::NOT_FOUND.into_response() };
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        let reader = tokio::fs::File::from_std(f).take(len);
        (
            [(header::CONTENT_LENGTH, len)],
            Body::from_stream(tokio_util::io::ReaderStream::with_capacity(reader, modelvet_server::routes::BLOB_CHUNK)),
        )
            .into_response()
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let app = Router::new().route("/files/{name}", get(file)).with_state(Arc::new(dir));
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });
    });
    (addr, thread, stop)
}

/// Downloads `url` to the end; retries on 429 after `Retry-After` (bounded).
async fn download(client: &reqwest::Client, url: &str) -> Result<(u64, u32), String> {
    let mut retries = 0u32;
    loop {
        let mut resp = client.get(url).send().await.map_err(|e| e.to_string())?;
        if resp.status() == StatusCode::TOO_MANY_REQUESTS && retries < 120 {
            let wait = resp
                .headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(1);
            retries += 1;
            tokio::time::sleep(Duration::from_secs(wait.min(5))).await;
            continue;
        }
        if !resp.status().is_success() {
            return Err(format!("{url}: {}", resp.status()));
        }
        let mut n = 0u64;
        while let Some(chunk) = resp.chunk().await.map_err(|e| e.to_string())? {
            n += chunk.len() as u64;
        }
        return Ok((n, retries));
    }
}

struct RoundResult {
    requests: u64,
    bytes: u64,
    errors: u64,
    secs: f64,
    latencies_ms: Vec<f64>,
}

async fn round(urls: Arc<Vec<String>>, clients: usize, seconds: u64) -> RoundResult {
    let client = http_client();
    let start = Instant::now();
    let stop = start + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (client, urls) = (client.clone(), urls.clone());
        tasks.push(tokio::spawn(async move {
            let (mut lat, mut bytes, mut errors) = (Vec::new(), 0u64, 0u64);
            let mut i = c;
            while Instant::now() < stop {
                let t = Instant::now();
                match download(&client, &urls[i % urls.len()]).await {
                    Ok((n, _)) => {
                        bytes += n;
                        lat.push(t.elapsed().as_secs_f64() * 1000.0);
                    }
                    Err(_) => errors += 1,
                }
                i += 1;
            }
            (lat, bytes, errors)
        }));
    }
    let mut r = RoundResult { requests: 0, bytes: 0, errors: 0, secs: 0.0, latencies_ms: Vec::new() };
    for t in tasks {
        if let Ok((lat, bytes, errors)) = t.await {
            r.requests += lat.len() as u64;
            r.latencies_ms.extend(lat);
            r.bytes += bytes;
            r.errors += errors;
        }
    }
    r.secs = start.elapsed().as_secs_f64();
    r
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn report(name: &str, r: &mut RoundResult) -> f64 {
    r.latencies_ms.sort_by(f64::total_cmp);
    let rps = r.requests as f64 / r.secs;
    println!(
        "{name:<9} {:>8.1} {:>9.1} {:>8.1} {:>8.1} {:>8.1} {:>8.1} {:>6}",
        rps,
        r.bytes as f64 / r.secs / 1e6,
        pct(&r.latencies_ms, 0.50),
        pct(&r.latencies_ms, 0.90),
        pct(&r.latencies_ms, 0.99),
        r.latencies_ms.last().copied().unwrap_or(f64::NAN),
        r.errors
    );
    rps
}

async fn metric(client: &reqwest::Client, gate: &str, name: &str) -> u64 {
    let Ok(resp) = client.get(format!("{gate}/metrics")).send().await else { return 0 };
    let text = resp.text().await.unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|v| v.trim().parse().ok()).filter(|_| !l.starts_with('#')))
        .unwrap_or(0)
}

fn main() {
    let args = parse_args();
    let bin = std::env::var_os("MODELVET_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/release/modelvet"));
    let tmp = tempfile::tempdir().expect("temp dir");
    let files_dir = tmp.path().join("files");
    std::fs::create_dir_all(&files_dir).expect("mkdir");
    let mut repo = Repo::new(REPO);
    let names: Vec<String> = (0..args.files + args.burst).map(|i| format!("model-{i:04}.safetensors")).collect();
    for (i, n) in names.iter().enumerate() {
        let bytes = safetensors(args.size, i);
        std::fs::write(files_dir.join(n), &bytes).expect("write");
        repo = repo.file(n, bytes);
    }
    let hub = TestHub::start(vec![repo]).expect("test hub");
    let gate = start_gate(&bin, &hub.url(), &tmp.path().join("gate"));
    let (base_addr, base_thread, base_stop) = start_baseline(files_dir);
    let (cached, burst) = names.split_at(args.files);
    let main_urls: Arc<Vec<String>> =
        Arc::new(cached.iter().map(|n| format!("{}/{REPO}/resolve/main/{n}", gate.url)).collect());
    let base_urls: Arc<Vec<String>> =
        Arc::new(cached.iter().map(|n| format!("http://{base_addr}/files/{n}")).collect());

    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    rt.block_on(async {
        let client = http_client();
        // `snapshot_download` asks for the commit first and downloads every file
        // by commit id; `hf_hub_download(revision="main")` asks by branch, which
        // the gate resolves with a HEAD to the upstream on every request.
        let info = client
            .get(format!("{}/api/models/{REPO}", gate.url))
            .send()
            .await
            .expect("model info")
            .bytes()
            .await
            .expect("model info body");
        let info: serde_json::Value = serde_json::from_slice(&info).expect("model info json");
        let commit = info["sha"].as_str().expect("model info has a sha").to_string();
        let gate_urls: Arc<Vec<String>> =
            Arc::new(cached.iter().map(|n| format!("{}/{REPO}/resolve/{commit}/{n}", gate.url)).collect());
        // Warm: every cached file fetched and scanned once, and the page cache.
        let t = Instant::now();
        for u in main_urls.iter().chain(base_urls.iter()) {
            download(&client, u).await.unwrap_or_else(|e| panic!("warm-up download failed: {e}"));
        }
        println!(
            "modelvet gate load test: {} cached files of {} bytes, {} clients, {} s per round, {} rounds \
             (warm-up, first fetch+scan of every file: {:.2} s)",
            args.files,
            args.size,
            args.clients,
            args.seconds,
            args.rounds,
            t.elapsed().as_secs_f64()
        );
        println!(
            "{:<9} {:>8} {:>9} {:>8} {:>8} {:>8} {:>8} {:>6}",
            "server", "req/s", "MB/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors"
        );
        let (mut base_rps, mut gate_rps, mut main_rps) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..args.rounds {
            let mut b = round(base_urls.clone(), args.clients, args.seconds).await;
            base_rps.push(report("baseline", &mut b));
            let mut g = round(gate_urls.clone(), args.clients, args.seconds).await;
            gate_rps.push(report("gate", &mut g));
            let mut m = round(main_urls.clone(), args.clients, args.seconds).await;
            main_rps.push(report("gate@main", &mut m));
        }
        let (b, g, m) = (median(&mut base_rps), median(&mut gate_rps), median(&mut main_rps));
        println!(
            "overhead on cached clean downloads (median throughput): {:.1}% by commit id, {:.1}% by branch name \
             (one upstream HEAD per request to resolve the branch)",
            (1.0 - g / b) * 100.0,
            (1.0 - m / b) * 100.0
        );

        if !burst.is_empty() {
            let fetches0 = metric(&client, &gate.url, "modelvet_gate_upstream_fetches_total").await;
            let scans0 = metric(&client, &gate.url, "modelvet_gate_scans_total").await;
            let t = Instant::now();
            let mut tasks = Vec::new();
            for c in 0..args.clients {
                let client = client.clone();
                let urls: Vec<String> = (0..burst.len())
                    .map(|i| format!("{}/{REPO}/resolve/main/{}", gate.url, burst[(i + c) % burst.len()]))
                    .collect();
                tasks.push(tokio::spawn(async move {
                    let mut retries = 0;
                    let mut failures = 0;
                    let futs = urls.into_iter().map(|u| {
                        let client = client.clone();
                        async move { download(&client, &u).await }
                    });
                    for r in futures_join_all(futs).await {
                        match r {
                            Ok((_, n)) => retries += n,
                            Err(_) => failures += 1,
                        }
                    }
                    (retries, failures)
                }));
            }
            let (mut retries, mut failures) = (0, 0);
            for t in tasks {
                if let Ok((r, f)) = t.await {
                    retries += r;
                    failures += f;
                }
            }
            let secs = t.elapsed().as_secs_f64();
            let fetches = metric(&client, &gate.url, "modelvet_gate_upstream_fetches_total").await - fetches0;
            let scans = metric(&client, &gate.url, "modelvet_gate_scans_total").await - scans0;
            println!(
                "burst: {} clients x {} uncached files ({} downloads): all done in {secs:.2} s, {failures} failed, \
                 {retries} retries after 429; upstream fetches {fetches}, scans {scans} (one each expected)",
                args.clients,
                burst.len(),
                args.clients * burst.len()
            );
        }
    });
    let _ = base_stop.send(());
    let _ = base_thread.join();
    drop(gate);
    drop(hub);
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// `join_all` without the futures crate: runs the downloads concurrently.
async fn futures_join_all<F, T>(futs: impl Iterator<Item = F>) -> Vec<T>
where
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let handles: Vec<_> = futs.map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        if let Ok(v) = h.await {
            out.push(v);
        }
    }
    out
}
