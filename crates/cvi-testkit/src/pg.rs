//! A throwaway PostgreSQL 15 cluster on 127.0.0.1, stopped when dropped.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use crate::{free_port, is_root, Result};

/// Where Debian and the image put PostgreSQL 15's server binaries.
const BIN_DIRS: [&str; 3] = ["/usr/lib/postgresql/15/bin", "/usr/local/bin", "/usr/bin"];

fn bin(name: &str) -> Result<PathBuf> {
    BIN_DIRS
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.exists())
        .ok_or_else(|| {
            format!("PostgreSQL 15 server binary {name} not found; run `cargo xtask setup`")
        })
}

/// A PostgreSQL binary, run as `postgres` when we are root (initdb refuses root).
fn pg(name: &str) -> Result<Command> {
    let bin = bin(name)?;
    Ok(if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin);
        c
    } else {
        Command::new(bin)
    })
}

fn run(cmd: &mut Command, what: &str) -> Result<()> {
    let out = cmd.output().map_err(|e| format!("{what}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// How durable the cluster is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// `fsync=off`: tests, where a lost cluster is simply made again.
    Throwaway,
    /// fsync and synchronous_commit on, as in production: benchmarks.
    Durable,
}

/// A running cluster. Its data lives in the directory given to [`PgCluster::start`].
#[derive(Debug)]
pub struct PgCluster {
    dir: PathBuf,
    data: PathBuf,
    port: u16,
    opts: String,
}

impl PgCluster {
    /// `initdb` into `dir` (emptied first) and start the server on a free port.
    pub fn start(dir: &Path, durability: Durability) -> Result<PgCluster> {
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        if is_root() {
            run(
                Command::new("chown")
                    .args(["-R", "postgres:postgres"])
                    .arg(dir),
                "chown of the cluster directory",
            )?;
        }
        let data = dir.join("data");
        let mut initdb = pg("initdb")?;
        initdb.args(["-A", "trust", "-U", "postgres", "-E", "UTF8"]);
        if durability == Durability::Throwaway {
            initdb.arg("--no-sync");
        }
        run(initdb.arg("-D").arg(&data), "initdb")?;
        let port = free_port()?;
        let mut opts = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c max_connections=200",
            data.display()
        );
        opts.push_str(match durability {
            Durability::Throwaway => " -c fsync=off",
            Durability::Durable => " -c shared_buffers=256MB",
        });
        let c = PgCluster {
            dir: dir.to_path_buf(),
            data,
            port,
            opts,
        };
        c.ctl(&["-w", "start"], "pg_ctl start")?;
        Ok(c)
    }

    fn ctl(&self, args: &[&str], what: &str) -> Result<()> {
        run(
            pg("pg_ctl")?
                .arg("-D")
                .arg(&self.data)
                .args(["-o", &self.opts, "-l"])
                .arg(self.dir.join("log"))
                .args(args),
            what,
        )
    }

    /// The `postgres` database of the cluster.
    #[must_use]
    pub fn url(&self) -> String {
        self.database_url("postgres")
    }

    /// A database of the cluster by name (create it with [`PgCluster::create_database`]).
    #[must_use]
    pub fn database_url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// Creates an empty database and returns its URL.
    pub fn create_database(&self, name: &str) -> Result<String> {
        let psql = bin("psql").or_else(|_| {
            // psql is a client: Debian puts it on PATH.
            Ok::<_, String>(PathBuf::from("psql"))
        })?;
        run(
            Command::new(psql)
                .args([
                    "-h",
                    "127.0.0.1",
                    "-p",
                    &self.port.to_string(),
                    "-U",
                    "postgres",
                    "-q",
                    "-c",
                ])
                .arg(format!("CREATE DATABASE {name}")),
            "CREATE DATABASE",
        )?;
        Ok(self.database_url(name))
    }

    /// Restarts the cluster (fast shutdown: every open connection dies).
    pub fn restart(&self) -> Result<()> {
        self.ctl(&["-m", "fast", "-w", "restart"], "pg_ctl restart")
    }

    /// Makes sure the cluster stops when this process ends even if `self` is never dropped
    /// (a `static`): a detached watchdog waits for our pid, then stops it and deletes it.
    pub fn stop_with_process(&self) -> Result<()> {
        let ctl = bin("pg_ctl")?;
        let ctl = if is_root() {
            format!("runuser -u postgres -- {}", ctl.display())
        } else {
            ctl.display().to_string()
        };
        let watchdog = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {ctl} -D {data} -m immediate stop >/dev/null 2>&1; rm -rf {dir}",
            pid = std::process::id(),
            data = self.data.display(),
            dir = self.dir.display()
        );
        run(
            Command::new("sh").args([
                "-c",
                &format!("setsid sh -c '{watchdog}' >/dev/null 2>&1 &"),
            ]),
            "starting the cluster's watchdog",
        )
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let _ = self.ctl(&["-m", "fast", "stop"], "pg_ctl stop");
    }
}
