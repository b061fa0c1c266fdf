//! The `fluxbilling` binary in a process of its own.

use super::*;

/// The `fluxbilling` binary serving in a process of its own (for kill -9
/// and environment tests), on a free port, over `db`.
pub struct ServerProcess {
    pub base: String,
    child: std::process::Child,
    port: u16,
    env: Vec<(String, String)>,
}

/// A fixed secrets key for server processes (restarts must open what the
/// first run sealed).
pub const PROCESS_SECRETS_KEY: &str = "q2hGi2G0CzMPn4GYSqk5mWDXeFC3sWkGk+8KmEbAxJg=";

impl ServerProcess {
    /// The environment every run of the binary gets, then `extra`.
    fn command(db: &TestDb, extra: &[(String, String)]) -> std::process::Command {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_fluxbilling"));
        command
            .env("DATABASE_URL", &db.url)
            .env("FLUX_SECRETS_KEY", PROCESS_SECRETS_KEY)
            .env("FLUX_WEBHOOK_ALLOW_PRIVATE", "true")
            .env("FLUX_WORKER_HEARTBEAT_SECS", "1")
            .env("FLUX_WEBHOOK_RETRY_SCHEDULE", "1,1,1,1,1")
            .env("RUST_LOG", "warn");
        for (k, v) in extra {
            command.env(k, v);
        }
        command
    }

    /// An admin token for `db`, made by the binary.
    pub fn admin_token(db: &TestDb) -> String {
        let out = Self::command(db, &[])
            .args(["admin-token", "create", "--name", "process"])
            .output()
            .expect("binary runs");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .last()
            .expect("a token")
            .trim()
            .to_owned()
    }

    /// Starts `serve` and waits until it answers.
    pub async fn start(db: &TestDb, extra: &[(&str, &str)]) -> ServerProcess {
        let env: Vec<(String, String)> = extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        // Port 0: the server binds a free port itself and says which (a port
        // found free here could be taken before the server bound it).
        let (child, port) = Self::spawn(db, 0, &env);
        let server = ServerProcess {
            base: format!("http://127.0.0.1:{port}"),
            child,
            port,
            env,
        };
        server.wait_up().await;
        server
    }

    /// Starts `serve` on `port` (0: any) and returns the port it bound,
    /// read from the line it prints once listening.
    fn spawn(db: &TestDb, port: u16, env: &[(String, String)]) -> (std::process::Child, u16) {
        use std::io::BufRead;
        let mut child = Self::command(db, env)
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("server starts");
        let mut stdout = std::io::BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut bound = None;
        let mut line = String::new();
        while bound.is_none() && stdout.read_line(&mut line).unwrap_or(0) > 0 {
            bound = line
                .trim()
                .strip_prefix("FluxBilling is running on http://")
                .and_then(|addr| addr.rsplit(':').next()?.parse::<u16>().ok());
            line.clear();
        }
        let bound = bound.expect("the server says where it listens");
        // Whatever else it prints is drained, so it never blocks on a full pipe.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        (child, bound)
    }

    async fn wait_up(&self) {
        let health = format!("{}/healthz", self.base);
        eventually(30, || async {
            reqwest::get(&health).await.ok().filter(|r| r.status().is_success())
        })
        .await
        .expect("server up");
    }

    /// SIGKILL: no graceful anything.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts again on the same port and database, after a kill.
    pub async fn restart(&mut self, db: &TestDb) {
        self.kill();
        // The same port, so clients keep their base URL.
        self.child = Self::spawn(db, self.port, &self.env).0;
        self.wait_up().await;
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
