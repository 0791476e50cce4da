//! Test support: run the real `errand` binary on a free port against a
//! private data folder, and talk HTTP/1.1 to it with no client library.

#![allow(dead_code)] // each test binary uses its own subset

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn temp_dir(tag: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("errand-{tag}-{}-{}", std::process::id(), unique()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn unique() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

pub fn errand() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_errand"));
    cmd.current_dir(repo())
        .env("ERRAND_LOG", "warn,qdrant_edge=error");
    cmd
}

/// Under `make test`'s PostgreSQL pass (`ERRAND_TEST_POSTGRES` holds the
/// throwaway server's URL) the store is PostgreSQL, in a schema of its
/// own per data folder: each test keeps its private database, and servers
/// started on one data folder share one, as replicas do.
/// When the throwaway server has TLS (`ERRAND_TEST_POSTGRES_CA`), every
/// server connects with `sslmode=require` and that CA.
pub fn on_test_postgres(cmd: &mut Command, data: &Path) {
    if let Some(url) = test_postgres() {
        cmd.env("ERRAND_STORE_SCHEMA", schema_for(data));
        match std::env::var("ERRAND_TEST_POSTGRES_CA") {
            Ok(ca) => cmd
                .env("ERRAND_STORE_URL", format!("{url}?sslmode=require"))
                .env("ERRAND_STORE_CA_FILE", ca),
            Err(_) => cmd.env("ERRAND_STORE_URL", url),
        };
    }
}

pub fn test_postgres() -> Option<String> {
    std::env::var("ERRAND_TEST_POSTGRES")
        .ok()
        .filter(|u| !u.is_empty())
}

/// A schema name for a data folder: `t_` and a hash of its path.
pub fn schema_for(data: &Path) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    data.hash(&mut h);
    format!("t_{:016x}", h.finish())
}

/// `errand --data <data>`, on that folder's database whichever backend.
pub fn errand_on(data: &Path) -> Command {
    let mut cmd = errand();
    on_test_postgres(&mut cmd, data);
    cmd.arg("--data").arg(data);
    cmd
}

pub struct Server {
    pub child: Child,
    pub base: String,
    pub data: PathBuf,
}

impl Server {
    /// Starts `errand serve` on a free port with `data` as its data folder and waits for /readyz.
    pub fn start(data: &Path, extra: &[&str]) -> Server {
        Server::start_on(data, data, extra)
    }

    /// Like `start`, with the database of the folder `db_of` (the same one
    /// under PostgreSQL: a second replica of the server started there).
    pub fn start_on(data: &Path, db_of: &Path, extra: &[&str]) -> Server {
        let mut cmd = errand();
        on_test_postgres(&mut cmd, db_of);
        let mut child = cmd
            .args([
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--secret",
                "test-secret",
                "--data",
            ])
            .arg(data)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn errand serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base = line
            .trim()
            .strip_prefix("errand listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .to_string();
        let server = Server {
            child,
            base,
            data: data.to_path_buf(),
        };
        // A knowledge change that writes new reader examples (a recipe
        // title) makes the server embed them all and fit the reader again
        // before it is ready: about 100 s on 2 busy cores.
        let deadline = Instant::now() + Duration::from_secs(300);
        while server.get("/readyz", None).0 != 200 {
            assert!(Instant::now() < deadline, "server not ready in time");
            std::thread::sleep(Duration::from_millis(100));
        }
        server
    }

    pub fn get(&self, path: &str, auth: Option<&str>) -> (u16, serde_json::Value) {
        self.request("GET", path, auth, None)
    }

    pub fn post(
        &self,
        path: &str,
        auth: Option<&str>,
        body: Option<&str>,
    ) -> (u16, serde_json::Value) {
        self.request("POST", path, auth, body)
    }

    /// `auth` is either `Bearer <token>` or `demo:<customer id>`.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        auth: Option<&str>,
        body: Option<&str>,
    ) -> (u16, serde_json::Value) {
        self.request_with(method, path, auth, &[], body)
    }

    /// A request with extra headers, such as `Idempotency-Key`.
    pub fn request_with(
        &self,
        method: &str,
        path: &str,
        auth: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> (u16, serde_json::Value) {
        let (status, text) = self.raw(method, path, auth, headers, body);
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
        )
    }

    pub fn raw(
        &self,
        method: &str,
        path: &str,
        auth: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> (u16, String) {
        let mut all: Vec<(&str, &str)> = headers.to_vec();
        match auth {
            Some(a) if a.starts_with("demo:") => all.push(("X-Demo-Customer", &a[5..])),
            Some(a) => all.push(("Authorization", a)),
            None => {}
        }
        match errand::eval::client::Client::new(&self.base)
            .unwrap()
            .send(method, path, &all, body)
        {
            Ok(r) => (r.status, r.body),
            Err(_) => (0, String::new()),
        }
    }

    pub fn kill9(mut self) {
        self.child.kill().unwrap(); // SIGKILL on unix
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `Bearer <token>` for `who` (`--customer ID` or `--agent ID`), signed with the test secret.
pub fn token(data: &Path, who: &[&str]) -> String {
    let mut cmd = errand();
    cmd.args(["token", "--secret", "test-secret", "--data"])
        .arg(data)
        .args(who);
    format!(
        "Bearer {}",
        String::from_utf8(run_ok(&mut cmd)).unwrap().trim()
    )
}

/// The standard output of `cmd`, which must succeed (its stderr otherwise).
pub fn run_ok(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Copies the shipped knowledge to a private folder a test may corrupt.
pub fn copy_knowledge() -> PathBuf {
    let dst = temp_dir("knowledge");
    errand::eval::copy_dir(&repo().join("knowledge"), &dst).unwrap();
    dst
}

/// Replaces the first occurrence of `from` on line `line` (1-based) of `file`.
pub fn edit_line(file: &Path, line: usize, from: &str, to: &str) {
    let text = std::fs::read_to_string(file).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    assert!(
        lines[line - 1].contains(from),
        "line {line} of {} has no {from:?}",
        file.display()
    );
    lines[line - 1] = lines[line - 1].replacen(from, to, 1);
    std::fs::write(file, lines.join("\n") + "\n").unwrap();
}

/// A data folder whose search index is built once per `cargo test` run (the
/// shipped knowledge embeds in about 40 s); later calls are near-instant
/// because `errand index` only re-embeds what changed.
pub fn prebuilt_data() -> &'static Path {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("prebuilt-data");
        let out = errand()
            .arg("index")
            .arg("--data")
            .arg(&dir)
            .output()
            .expect("run errand index");
        assert!(
            out.status.success(),
            "errand index failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        dir
    })
}

/// A fresh data folder holding a copy of the prebuilt search index.
pub fn data_with_index(tag: &str) -> PathBuf {
    let dir = temp_dir(tag);
    errand::eval::copy_dir(&prebuilt_data().join("index"), &dir.join("index")).unwrap();
    dir
}

/// A server whose simulator runs 10 lifecycle minutes per second and never
/// finds a driver on its own, so every new order gets stuck waiting for one.
pub fn start_without_drivers(tag: &str) -> Server {
    let config = temp_dir(&format!("{tag}-config")).join("errand.toml");
    std::fs::write(
        &config,
        "[commerce.simulator]\nspeed = 600.0\ntick_ms = 50\nstuck_restaurant = 0.0\nstuck_no_driver = 1.0\nstuck_driver = 0.0\n",
    )
    .unwrap();
    Server::start(
        &data_with_index(tag),
        &["--config", config.to_str().unwrap()],
    )
}
