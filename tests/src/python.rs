//! The Python interpreter the interoperability tests run the Python
//! `eventsourcing` library with, and the scripts of `tests/python`.

use std::io::Write;
use std::process::{Command, Stdio};

/// The variable naming the interpreter (default `python3`).
pub const PYTHON: &str = "EVENTSMITH_PYTHON";

/// The variable that makes an interpreter without the library fail the
/// tests instead of skipping them (`.ci/run` sets it).
pub const REQUIRE_PYTHON: &str = "EVENTSMITH_REQUIRE_PYTHON";

/// An interpreter that imports the Python library.
#[derive(Clone, Debug)]
pub struct Python {
    program: String,
}

impl Python {
    /// The interpreter [`PYTHON`] names, when it imports `eventsourcing`
    /// with its `crypto`, `cryptography` and `postgres` extras. `None` (and
    /// a skip reported) when it cannot, unless [`REQUIRE_PYTHON`] is set,
    /// which makes that a failure.
    ///
    /// # Panics
    ///
    /// When the interpreter cannot import the library and
    /// [`REQUIRE_PYTHON`] is set.
    pub fn find() -> Option<Self> {
        let program = std::env::var(PYTHON).unwrap_or_else(|_| "python3".to_owned());
        let ok = Command::new(&program)
            .args(["-c", "import eventsourcing, Crypto, cryptography, psycopg"])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Some(Self { program });
        }
        assert!(
            std::env::var_os(REQUIRE_PYTHON).is_none(),
            "{program} cannot import eventsourcing[crypto,cryptography,postgres], and {REQUIRE_PYTHON} is set"
        );
        crate::skipped(&format!(
            "{program} cannot import eventsourcing[crypto,cryptography,postgres]; set {PYTHON}"
        ));
        None
    }

    /// The path of the script `tests/python/<name>`.
    pub fn script(name: &str) -> String {
        format!("{}/python/{name}", env!("CARGO_MANIFEST_DIR"))
    }

    /// The interpreter with `args`, in an environment of `env` and `PATH`
    /// alone: nothing else of the test's environment reaches it.
    pub fn command(&self, args: &[&str], env: &[(String, String)]) -> Command {
        let mut command = Command::new(&self.program);
        command
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(env.iter().cloned());
        command
    }

    /// Runs the interpreter with `args` (as [`command`](Self::command)
    /// sets it up), `input` on its standard input (written from another
    /// thread: a script may write while it reads); its standard output,
    /// trimmed.
    ///
    /// # Panics
    ///
    /// When it cannot be run or fails (with its standard error).
    pub fn run(&self, args: &[&str], env: &[(String, String)], input: &str) -> String {
        let mut child = self
            .command(args, env)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run python");
        let mut stdin = child.stdin.take().unwrap();
        let input = input.to_owned();
        let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
        let output = child.wait_with_output().expect("run python");
        writer.join().unwrap().unwrap();
        assert!(
            output.status.success(),
            "python {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    }

    /// Runs the script `tests/python/<script>` with `args`, as
    /// [`run`](Self::run) does, with nothing on its standard input.
    ///
    /// # Panics
    ///
    /// As [`run`](Self::run).
    pub fn run_script(&self, script: &str, args: &[&str], env: &[(String, String)]) -> String {
        let path = Self::script(script);
        let mut all = vec![path.as_str()];
        all.extend_from_slice(args);
        self.run(&all, env, "")
    }
}
