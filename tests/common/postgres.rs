//! A throwaway PostgreSQL cluster for tests: `initdb` into a new directory, a server on a
//! free loopback port with its Unix sockets in that directory, stopped and removed on drop.
//!
//! The binaries are found through `PG_BINDIR`, `pg_config --bindir`, the newest
//! `/usr/lib/postgresql/*/bin`, or `PATH`. Without them the tests fail and name the Debian
//! package to install, so that a machine without PostgreSQL never passes silently.
//! PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user
//! (which the Debian package creates) through `runuser`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

/// A running cluster, stopped and deleted when dropped.
pub struct Cluster {
    bin: PathBuf,
    dir: PathBuf,
    run_as: Option<&'static str>,
    port: u16,
}

impl Cluster {
    /// Creates and starts a cluster, or panics saying what failed.
    pub fn start() -> Cluster {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let bin = find_binaries();
        let run_as = is_root().then_some("postgres");
        let dir = std::env::temp_dir().join(format!(
            "batch-odata-pg-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("creating the cluster directory");
        let mut cluster = Cluster {
            bin,
            dir,
            run_as,
            port: 0,
        };
        if let Some(user) = run_as {
            let owner = format!("{user}:");
            checked(Command::new("chown").arg(&owner).arg(&cluster.dir), "chown");
        }
        let data = cluster.dir.join("data");
        cluster.run(
            "initdb",
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-U".as_ref(),
                "postgres".as_ref(),
                "--auth=trust".as_ref(),
                "--encoding=UTF8".as_ref(),
                "--locale=C".as_ref(),
                "--no-sync".as_ref(),
            ],
        );
        // A port found free can be taken before the server binds it, so a failed start is
        // retried on another port.
        for attempt in 0..3 {
            cluster.port = free_port();
            let options = format!(
                "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off \
                 -c synchronous_commit=off -c full_page_writes=off",
                cluster.port,
                cluster.dir.display()
            );
            let log = cluster.dir.join("server.log");
            let started = cluster.try_run(
                "pg_ctl",
                &[
                    "-D".as_ref(),
                    data.as_os_str(),
                    "-l".as_ref(),
                    log.as_os_str(),
                    "-o".as_ref(),
                    options.as_ref(),
                    "-w".as_ref(),
                    "-t".as_ref(),
                    "60".as_ref(),
                    "start".as_ref(),
                ],
            );
            if started.status.success() {
                return cluster;
            }
            if attempt == 2 {
                let log = std::fs::read_to_string(&log).unwrap_or_default();
                panic!(
                    "pg_ctl start failed: {}\nserver log:\n{log}",
                    String::from_utf8_lossy(&started.stderr)
                );
            }
        }
        unreachable!("the loop returns or panics on its last attempt")
    }

    /// Returns the connection string of the `postgres` database as the `postgres` user.
    pub fn url(&self) -> String {
        format!(
            "host=127.0.0.1 port={} user=postgres dbname=postgres",
            self.port
        )
    }

    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        match self.run_as {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--"]).arg(path);
                command
            }
            None => Command::new(path),
        }
    }

    fn try_run(&self, program: &str, args: &[&std::ffi::OsStr]) -> Output {
        self.command(program)
            .args(args)
            .current_dir(&self.dir)
            .output()
            .unwrap_or_else(|error| panic!("running {program} failed: {error}"))
    }

    fn run(&self, program: &str, args: &[&std::ffi::OsStr]) {
        let output = self.try_run(program, args);
        assert!(
            output.status.success(),
            "{program} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        if self.port != 0 {
            let _ = self.try_run(
                "pg_ctl",
                &[
                    "-D".as_ref(),
                    data.as_os_str(),
                    "-m".as_ref(),
                    "immediate".as_ref(),
                    "-w".as_ref(),
                    "stop".as_ref(),
                ],
            );
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Returns the directory with `initdb` and `pg_ctl`, or panics naming the package.
fn find_binaries() -> PathBuf {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(dir) = std::env::var_os("PG_BINDIR") {
        candidates.push(dir.into());
    }
    if let Ok(output) = Command::new("pg_config").arg("--bindir").output()
        && output.status.success()
    {
        candidates.push(String::from_utf8_lossy(&output.stdout).trim().into());
    }
    if let Ok(entries) = std::fs::read_dir("/usr/lib/postgresql") {
        let mut versions: Vec<(u32, PathBuf)> = entries
            .flatten()
            .filter_map(|entry| {
                let version = entry.file_name().to_str()?.parse().ok()?;
                Some((version, entry.path().join("bin")))
            })
            .collect();
        versions.sort();
        candidates.extend(versions.into_iter().rev().map(|(_, path)| path));
    }
    if let Some(path) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&path));
    }
    candidates
        .into_iter()
        .find(|dir| has_server(dir))
        .unwrap_or_else(|| {
            panic!(
                "PostgreSQL server binaries (initdb, pg_ctl) not found in PG_BINDIR, \
                 pg_config --bindir, /usr/lib/postgresql/*/bin or PATH; install them with \
                 `apt-get install postgresql` (Debian) or set PG_BINDIR"
            )
        })
}

fn has_server(dir: &Path) -> bool {
    dir.join("initdb").is_file() && dir.join("pg_ctl").is_file() && dir.join("postgres").is_file()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("binding a loopback port")
}

fn checked(command: &mut Command, name: &str) {
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("running {name} failed: {error}"));
    assert!(
        output.status.success(),
        "{name} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}
