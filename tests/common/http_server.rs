//! A real HTTP server on loopback for get_url and uri: Python's http.server on
//! 127.0.0.1 and a free port (the kernel's pick, printed by the server once bound),
//! serving a folder, with a few routes to exercise a client: `/echo` (the request as
//! JSON: method, headers, body), `/status/N` (that status), `/redirect/PATH` (302 to
//! PATH), `/auth/PATH` (PATH behind basic auth `user:secret`), `/named` (a
//! Content-Disposition file name), `/cookie` (two Set-Cookie headers). Over https with a self-signed certificate too.
//! Killed when dropped.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

const SERVER: &str = r#"
import base64, http.server, json, os, sys
root = sys.argv[1]
class Handler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *a, **k):
        super().__init__(*a, directory=root, **k)
    def log_message(self, *a):
        pass
    def answer(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
    def route(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        p = self.path
        if p.startswith("/echo"):
            seen = {"method": self.command, "path": p, "body": body.decode("utf-8", "replace"),
                    "headers": {k.lower(): v for k, v in self.headers.items()}}
            return self.answer(200, json.dumps(seen).encode(), [("Content-Type", "application/json"), ("X-Echo", "yes")])
        if p.startswith("/status/"):
            return self.answer(int(p.split("/")[2]), b"status body\n", [("Content-Type", "text/plain")])
        if p.startswith("/redirect/"):
            return self.answer(302, b"", [("Location", "/" + p[len("/redirect/"):])])
        if p.startswith("/auth/"):
            want = "Basic " + base64.b64encode(b"user:secret").decode()
            if self.headers.get("Authorization") != want:
                return self.answer(401, b"no\n", [("WWW-Authenticate", 'Basic realm="t"')])
            self.path = "/" + p[len("/auth/"):]
            return super().do_GET()
        if p.startswith("/cookie"):
            return self.answer(200, b"", [("Set-Cookie", "session=abc; Path=/"), ("Set-Cookie", "theme=dark")])
        if p.startswith("/named"):
            return self.answer(200, b"named content\n", [("Content-Disposition", 'attachment; filename="../given.txt"')])
        if self.command in ("GET", "HEAD"):
            return super().do_GET() if self.command == "GET" else super().do_HEAD()
        return self.answer(405, b"")
    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = route
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
if len(sys.argv) > 3:
    import ssl
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(sys.argv[2], sys.argv[3])
    server.socket = context.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
"#;

pub struct HttpServer {
    child: Child,
    pub port: u16,
    scheme: &'static str,
    /// The self-signed certificate's folder of an https server.
    _tls: Option<tempfile::TempDir>,
}

impl HttpServer {
    /// Serve `dir` (and the routes above) until dropped.
    pub fn start(dir: &Path) -> HttpServer {
        HttpServer::spawn(dir, None)
    }

    /// The same over https, with a self-signed certificate for 127.0.0.1 made by the
    /// real openssl (no client trusts it).
    pub fn start_https(dir: &Path) -> HttpServer {
        let tls = tempfile::tempdir().expect("tempdir");
        let (cert, key) = (tls.path().join("cert.pem"), tls.path().join("key.pem"));
        let made = Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            ])
            .args([
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
            ])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        assert!(made, "openssl could not make a certificate");
        let mut server = HttpServer::spawn(dir, Some((&cert, &key)));
        server._tls = Some(tls);
        server
    }

    fn spawn(dir: &Path, tls: Option<(&Path, &Path)>) -> HttpServer {
        let mut command = Command::new("python3");
        command.args(["-c", SERVER]).arg(dir);
        if let Some((cert, key)) = tls {
            command.arg(cert).arg(key);
        }
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs the test HTTP server");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("piped stdout");
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the server prints its port");
        let port = line.trim().parse().expect("a port number");
        HttpServer {
            child,
            port,
            scheme: if tls.is_some() { "https" } else { "http" },
            _tls: None,
        }
    }

    /// `http(s)://127.0.0.1:PORT/PATH`.
    pub fn url(&self, path: &str) -> String {
        format!(
            "{}://127.0.0.1:{}/{}",
            self.scheme,
            self.port,
            path.trim_start_matches('/')
        )
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
