//! TLS helpers for the reliability tests: a throw-away CA and server certificate made with the
//! `openssl` command, and an `openssl s_server` driven through its stdin/stdout as a minimal
//! MC endpoint (201 + Location for a sessionStart, 204 for events).

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// `openssl` is there, or why not. Under `CI=true` a missing tool is a failure, never a skip.
pub fn openssl_available() -> bool {
    let ok = Command::new("openssl").arg("version").output().is_ok_and(|o| o.status.success());
    if !ok {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "openssl is missing (CI=true: a missing tool fails)");
        eprintln!("[mc-tls] openssl not found: TLS tests skipped");
    }
    ok
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl").args(args).current_dir(dir).output().expect("run openssl");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A CA (`ca.pem`) and a server certificate for `localhost` and 127.0.0.1 signed by it
/// (`srv.pem`, `srv.key`), in a fresh directory under the test's tmp dir.
pub fn make_certs(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("tls-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("cert dir");
    openssl(
        &dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=media-collection test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign",
        ],
    );
    openssl(
        &dir,
        &["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "srv.key", "-out", "srv.csr", "-subj", "/CN=localhost"],
    );
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .expect("ext.cnf");
    openssl(
        &dir,
        &[
            "x509",
            "-req",
            "-in",
            "srv.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "srv.pem",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ],
    );
    dir
}

/// `openssl s_server` on a free port of every interface, answering what it reads.
pub struct SServer {
    pub port: u16,
    child: Child,
    requests: Arc<Mutex<Vec<String>>>,
}

impl SServer {
    pub fn start(certs: &Path) -> SServer {
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").expect("free port");
            l.local_addr().expect("addr").port()
        };
        let mut child = Command::new("openssl")
            .args(["s_server", "-quiet", "-accept"])
            .arg(port.to_string())
            .arg("-cert")
            .arg(certs.join("srv.pem"))
            .arg("-key")
            .arg(certs.join("srv.key"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start openssl s_server");
        let stdin = child.stdin.take().expect("stdin");
        let mut stdout = child.stdout.take().expect("stdout");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let r = requests.clone();
        thread::spawn(move || answer(&mut stdout, stdin, &r));
        // Listening once a plain TCP connect succeeds (the failed handshake is harmless).
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "s_server did not start listening");
            thread::sleep(Duration::from_millis(20));
        }
        SServer { port, child, requests }
    }

    /// Request lines received, decrypted, in order.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for SServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads what s_server decrypted, request by request, and writes the answers back.
fn answer(stdout: &mut impl Read, mut stdin: ChildStdin, requests: &Mutex<Vec<String>>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            match stdout.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
            continue;
        };
        let head = String::from_utf8_lossy(&buf[..pos]).into_owned();
        let len: usize = head
            .lines()
            .filter_map(|l| l.split_once(':'))
            .find(|(n, _)| n.trim().eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.trim().parse().ok())
            .unwrap_or(0);
        while buf.len() < pos + 4 + len {
            match stdout.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        buf.drain(..pos + 4 + len);
        let line = head.lines().next().unwrap_or("").to_owned();
        let reply: &[u8] = if line.starts_with("POST /api/v1/sessions ") {
            b"HTTP/1.1 201 Created\r\nLocation: /api/v1/sessions/tls0001\r\nContent-Length: 0\r\n\r\n"
        } else {
            b"HTTP/1.1 204 No Content\r\n\r\n"
        };
        requests.lock().unwrap().push(line);
        if stdin.write_all(reply).and_then(|()| stdin.flush()).is_err() {
            return;
        }
    }
}
