//! The example service, run as its binary on each backend and spoken to
//! over HTTP: commands and queries, the notification log in the Python
//! library's JSON (read by the Python library's own client), health,
//! readiness and metrics, a 4xx with a reason for each kind of bad request,
//! and a graceful stop that finishes the request under way.

use std::io::{BufReader, Read, Write};
use std::net::TcpStream;
use std::process::Child;
use std::time::Duration;

use eventsmith_tests::backends::{Backend, PgSchema, postgres_client, with};
use eventsmith_tests::python::Python;

mod common;

/// The service, running.
struct Running {
    child: Child,
    address: String,
    stdout: BufReader<std::process::ChildStdout>,
}

impl Running {
    /// Starts the binary on a free port with `env` alone (and `PATH`).
    fn start(env: &[(String, String)]) -> Self {
        let (child, stdout, address) = common::spawn(env, "127.0.0.1:0");
        Self {
            child,
            address,
            stdout,
        }
    }

    fn request(&self, method: &str, path: &str, json: Option<&str>) -> (u16, String) {
        request(&self.address, method, path, json)
    }

    fn get(&self, path: &str) -> (u16, String) {
        self.request("GET", path, None)
    }

    fn post(&self, path: &str, json: &str) -> (u16, String) {
        self.request("POST", path, Some(json))
    }

    /// SIGTERM, then what the process printed and how it ended.
    fn stop(&mut self) -> (String, std::process::ExitStatus) {
        // SAFETY: kill(2) on the child's own pid.
        let pid = libc::pid_t::try_from(self.child.id()).unwrap();
        assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
        let mut rest = String::new();
        self.stdout.read_to_string(&mut rest).unwrap();
        (rest, self.child.wait().unwrap())
    }
}

/// One request on a connection of its own: the status and the body.
fn request(address: &str, method: &str, path: &str, json: Option<&str>) -> (u16, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let body = json.unwrap_or_default();
    let content_type = if json.is_some() {
        "Content-Type: application/json\r\n"
    } else {
        ""
    };
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n{content_type}Content-Length: {}\r\n\r\n{body}",
        address,
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {response:?}"));
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn id_of(created: &str) -> String {
    let json: serde_json::Value = serde_json::from_str(created).unwrap();
    json["id"].as_str().unwrap().to_owned()
}

/// Commands, queries, the log, health, readiness, metrics, and every kind
/// of bad request, on `env`'s store.
fn serves(backend: &str, env: &[(String, String)]) {
    let mut service = Running::start(env);
    assert_eq!(service.get("/health"), (200, "ok".to_owned()), "{backend}");
    assert_eq!(
        service.get("/ready"),
        (200, "ready".to_owned()),
        "{backend}"
    );
    let (status, created) = service.post("/worlds", r#"{"name": "Earth"}"#);
    assert_eq!(status, 201, "{backend}: {created}");
    let earth = id_of(&created);
    for what in ["dinosaurs", "trucks"] {
        let (status, body) = service.post(
            &format!("/worlds/{earth}/history"),
            &format!(r#"{{"what": "{what}"}}"#),
        );
        assert_eq!(status, 204, "{backend}: {body}");
    }
    let (status, world) = service.get(&format!("/worlds/{earth}"));
    assert_eq!(status, 200, "{backend}: {world}");
    let world: serde_json::Value = serde_json::from_str(&world).unwrap();
    assert_eq!(world["history"], serde_json::json!(["dinosaurs", "trucks"]));
    assert_eq!(world["version"], 3);

    let (status, section) = service.get("/notifications/1,10");
    assert_eq!(status, 200, "{backend}: {section}");
    let section: serde_json::Value = serde_json::from_str(&section).unwrap();
    assert_eq!(section["id"], "1,3");
    assert_eq!(section["items"][2]["originator_id"], earth.replace('-', ""));
    let (status, selected) = service.get("/notifications?start=2&limit=5&inclusive_of_start=false");
    assert_eq!(status, 200, "{backend}: {selected}");
    let selected: Vec<serde_json::Value> = serde_json::from_str(&selected).unwrap();
    assert_eq!(selected.len(), 1);
    assert_eq!(selected[0]["id"], 3);

    let (status, metrics) = service.get("/metrics");
    assert_eq!(status, 200);
    assert!(
        metrics.contains(&format!(
            "eventsmith_saves_total{{application=\"Universe\",backend=\"{backend}\"}} 3"
        )),
        "{backend}: {metrics}"
    );

    let unknown = "0b6a7c58-36c8-4bf4-8bd3-ec1bb8fdc7c2";
    let bad = [
        (
            "GET",
            "/notifications/1-10".to_owned(),
            None,
            400,
            "section id",
        ),
        (
            "GET",
            "/notifications/1,x".to_owned(),
            None,
            400,
            "section id",
        ),
        (
            "GET",
            "/notifications?limit=11".to_owned(),
            None,
            400,
            "greater than section size",
        ),
        (
            "GET",
            "/notifications?limit=-1".to_owned(),
            None,
            400,
            "whole number",
        ),
        (
            "GET",
            "/notifications?start=x&limit=1".to_owned(),
            None,
            400,
            "whole number",
        ),
        (
            "GET",
            "/notifications".to_owned(),
            None,
            400,
            "limit is required",
        ),
        (
            "GET",
            "/notifications?limit=1&topics=nope".to_owned(),
            None,
            400,
            "unknown topic",
        ),
        (
            "GET",
            "/notifications?limit=1&inclusive_of_start=yes".to_owned(),
            None,
            400,
            "true or false",
        ),
        (
            "GET",
            "/worlds/not-a-uuid".to_owned(),
            None,
            400,
            "not a world's id",
        ),
        ("GET", format!("/worlds/{unknown}"), None, 404, "not found"),
        (
            "POST",
            format!("/worlds/{unknown}/history"),
            Some(r#"{"what": "x"}"#),
            404,
            "not found",
        ),
        (
            "POST",
            "/worlds".to_owned(),
            Some(r#"{"nam": "x"}"#),
            422,
            "missing field",
        ),
        ("POST", "/worlds".to_owned(), Some("{"), 400, "EOF"),
    ];
    for (method, path, json, expected, says) in bad {
        let (status, body) = service.request(method, &path, json);
        assert_eq!(status, expected, "{backend}: {method} {path}: {body}");
        assert!(body.contains(says), "{backend}: {method} {path}: {body}");
    }
    let (rest, status) = service.stop();
    assert!(status.success(), "{backend}: {status}");
    assert_eq!(rest.trim(), "stopped", "{backend}");
}

#[test]
fn serves_the_tutorial_on_every_backend() {
    for backend in [
        Backend::memory(),
        Backend::sqlite_file(),
        Backend::postgres(),
    ]
    .into_iter()
    .flatten()
    {
        let name = match backend.name {
            n if n.contains("postgres") => "postgres",
            n if n.contains("sqlite") => "sqlite",
            _ => "memory",
        };
        serves(name, &backend.env());
    }
}

/// Python's `NotificationLogJSONClient`, over an HTTP transport, reads the
/// service's log: every notification by sections (the library's
/// `NotificationLogReader`) and by selection, as the service's log holds them.
#[test]
fn the_python_librarys_client_reads_the_log_over_http() {
    let Some(python) = Python::find() else { return };
    let mut service = Running::start(&[]);
    let mut ids = Vec::new();
    for i in 0..12 {
        let (_, created) = service.post("/worlds", &format!(r#"{{"name": "World {i}"}}"#));
        ids.push(id_of(&created).replace('-', ""));
    }
    let base = format!("http://{}", service.address);
    let script = Python::script("http_log.py");
    let read = python.run(&[&script, &base, "sections"], &[], "");
    let read: Vec<serde_json::Value> = read
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    // Twelve, across two sections of ten.
    assert_eq!(read.len(), 12);
    for (n, (line, id)) in read.iter().zip(&ids).enumerate() {
        assert_eq!(line[0], n + 1);
        assert_eq!(line[1], id.as_str());
        assert_eq!(line[3], "universe:World.Started");
        assert!(line[4].as_str().unwrap().contains(&format!("World {n}")));
    }
    let selected = python.run(&[&script, &base, "select", "11", "5"], &[], "");
    let selected: Vec<u64> = selected
        .lines()
        .map(|line| {
            serde_json::from_str::<serde_json::Value>(line).unwrap()[0]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(selected, [11, 12]);
    let (_, status) = service.stop();
    assert!(status.success());
}

/// A stop (SIGTERM) while a command waits for the table's lock: the
/// service takes no new request, finishes that one (its event stored, its
/// answer sent), then exits.
#[test]
fn a_stop_finishes_the_request_under_way() {
    let Some(pg) = PgSchema::new() else { return };
    let env = with(&pg.env(), &[]);
    let mut service = Running::start(&env);
    let (status, _) = service.post("/worlds", r#"{"name": "Earth"}"#);
    assert_eq!(status, 201);
    let mut client = postgres_client().unwrap();
    let mut lock = client.transaction().unwrap();
    lock.batch_execute(&format!(
        "LOCK TABLE \"{}\".universe_events IN EXCLUSIVE MODE",
        pg.schema
    ))
    .unwrap();
    let address = service.address.clone();
    let waiting = std::thread::spawn(move || {
        request(&address, "POST", "/worlds", Some(r#"{"name": "Mars"}"#))
    });
    // Until the command waits on the lock.
    let mut watcher = postgres_client().unwrap();
    while watcher
        .query_opt(
            "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = 'eventsourcing'",
            &[],
        )
        .unwrap()
        .is_none()
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    let pid = libc::pid_t::try_from(service.child.id()).unwrap();
    // SAFETY: kill(2) on the child's own pid.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    std::thread::sleep(Duration::from_millis(300));
    // No new connection is taken.
    assert!(TcpStream::connect(&service.address).is_err());
    lock.commit().unwrap();
    let (status, body) = waiting.join().unwrap();
    assert_eq!(status, 201, "{body}");
    let (rest, exit) = service.stop_waiting();
    assert!(exit.success(), "{exit}");
    assert_eq!(rest.trim(), "stopped");
    let stored: i64 = client
        .query_one(
            &format!("SELECT count(*) FROM \"{}\".universe_events", pg.schema),
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(stored, 2);
}

/// A test that fails leaves no service running (it would hold the test
/// runner's output open).
impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Running {
    /// What the process printed until it exited, and how it ended.
    fn stop_waiting(&mut self) -> (String, std::process::ExitStatus) {
        let mut rest = String::new();
        self.stdout.read_to_string(&mut rest).unwrap();
        (rest, self.child.wait().unwrap())
    }
}
