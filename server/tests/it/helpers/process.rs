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
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let env: Vec<(String, String)> = extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let child = Self::spawn(db, port, &env);
        let server = ServerProcess {
            base: format!("http://127.0.0.1:{port}"),
            child,
            port,
            env,
        };
        server.wait_up().await;
        server
    }

    fn spawn(db: &TestDb, port: u16, env: &[(String, String)]) -> std::process::Child {
        Self::command(db, env)
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("server starts")
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
        self.child = Self::spawn(db, self.port, &self.env);
        self.wait_up().await;
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
