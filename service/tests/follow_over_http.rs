//! A follower in another process following a leader over HTTP (issue 21,
//! point 5): the leader's log read by the runtime's HTTP recorder
//! (`PERSISTENCE_MODULE=http`, `NOTIFICATION_LOG_URL`), its tracking in the
//! follower's own SQLite file. Served by the example service (stopped and
//! started again on the same store and address while the follower runs)
//! and by the Python library's `NotificationLogJSONService`
//! (`tests/python/serve_log.py`); each notification processed once, in
//! order. And what goes wrong: a service that is down (transient), one
//! that refuses (not), a URL that is not one, a log that is not
//! notifications.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use eventsmith::persistence::Environment;
use eventsmith::system::process;
use eventsmith::{Application, ErrorKind, MultiThreadedRunner, Pipe};
use eventsmith_generated::world::{Universe, WorldEvent};
use eventsmith_tests::backends::{SqliteFile, pairs};
use eventsmith_tests::python::Python;

mod common;

/// The example service on `store`, listening on `listen`; its address.
fn serve(store: &[(String, String)], listen: &str) -> (Child, String) {
    let (child, _stdout, address) = common::spawn(store, listen);
    (child, address)
}

/// SIGTERM, and the end of the process.
fn stop(mut child: Child) {
    // SAFETY: kill(2) on the child's own pid.
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    assert!(child.wait().unwrap().success());
}

/// One POST with a JSON body; the status.
fn post(address: &str, path: &str, json: &str) -> String {
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{json}",
        json.len()
    )
    .unwrap();
    let mut answer = String::new();
    std::io::Read::read_to_string(&mut stream, &mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 20"), "{answer}");
    answer
}

/// A world of `things` things, through the service.
fn world(address: &str, things: usize) {
    let answer = post(address, "/worlds", r#"{"name": "Earth"}"#);
    let id = answer
        .split("\"id\":\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    for n in 0..things {
        post(
            address,
            &format!("/worlds/{id}/history"),
            &format!(r#"{{"what": "thing {n}"}}"#),
        );
    }
}

use common::http_leader as leader;

/// A follower keeping its position in `file`.
fn follower(file: &SqliteFile) -> Application {
    Application::from_env(Environment::isolated("Counter", pairs(&file.env()))).unwrap()
}

/// Processes what is new; the notification ids the policy was given.
fn catch_up(follower: &Application, leader: &Application) -> eventsmith::Result<Vec<u64>> {
    let mut seen = Vec::new();
    process::<WorldEvent, _>(follower, leader, |_event, processing| {
        seen.push(processing.tracking().notification_id);
        Ok(())
    })?;
    Ok(seen)
}

#[test]
fn a_follower_follows_the_example_service_across_its_restart() {
    let store = SqliteFile::new();
    let (service, address) = serve(&store.env(), "127.0.0.1:0");
    world(&address, 3);
    let url = format!("http://{address}");
    let (leader, own) = (leader(&url, &[]).unwrap(), SqliteFile::new());
    let follower = follower(&own);
    assert_eq!(catch_up(&follower, &leader).unwrap(), [1, 2, 3, 4]);
    assert_eq!(catch_up(&follower, &leader).unwrap(), [0_u64; 0]);
    assert_eq!(leader.log().max_notification_id().unwrap(), Some(4));

    // Down: a transient error naming the URL; nothing processed.
    stop(service);
    let err = catch_up(&follower, &leader).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Http(_)), "{err}");
    assert!(err.is_transient(), "{err}");
    assert!(err.to_string().contains(&url), "{err}");

    // Up again on the same store and address, under a runner: it carries
    // on from its position, each notification once.
    let (service, again) = serve(&store.env(), &address);
    assert_eq!(again, address);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let pipe = Pipe::new::<WorldEvent, _>(
        Arc::new(follower.clone()),
        Arc::new(leader.clone()),
        move |_event, processing| {
            log.lock()
                .unwrap()
                .push(processing.tracking().notification_id);
            Ok(())
        },
    );
    let runner = MultiThreadedRunner::start(vec![pipe]).unwrap();
    world(&address, 2);
    // A restart while the runner follows: it retries, and reads on.
    stop(service);
    let (service, _) = serve(&store.env(), &address);
    world(&address, 1);
    let deadline = Instant::now() + Duration::from_secs(60);
    while seen.lock().unwrap().len() < 5 {
        assert!(
            Instant::now() < deadline,
            "the runner did not catch up: {:?}",
            runner.failures()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    runner.stop().unwrap();
    assert_eq!(*seen.lock().unwrap(), [5, 6, 7, 8, 9]);
    assert_eq!(catch_up(&follower, &leader).unwrap(), [0_u64; 0]);
    stop(service);
}

#[test]
fn a_follower_follows_the_python_librarys_json_service() {
    let Some(python) = Python::find() else { return };
    let mut server = python
        .command(&[&Python::script("serve_log.py"), "3", "4"], &[])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = server.stdin.take().unwrap();
    let mut output = BufReader::new(server.stdout.take().unwrap());
    let mut line = String::new();
    output.read_line(&mut line).unwrap();
    let address = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    let url = format!("http://{address}");
    // Sections of 10: Python's own size, and what its service allows.
    let leader = leader(&url, &[]).unwrap();
    let own = SqliteFile::new();
    let follower = follower(&own);
    let seen = catch_up(&follower, &leader).unwrap();
    assert_eq!(seen, (1..=15).collect::<Vec<u64>>());
    writeln!(input, "more 1 2").unwrap();
    line.clear();
    output.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "stored 18");
    assert_eq!(catch_up(&follower, &leader).unwrap(), [16, 17, 18]);
    assert_eq!(leader.log().max_notification_id().unwrap(), Some(18));

    // A larger section than the service's: refused by it, with its reason.
    let big = self::leader(&url, &[("NOTIFICATION_LOG_SECTION_SIZE", "11")]).unwrap();
    let err = big
        .log()
        .select(&eventsmith::persistence::NotificationQuery::new(1, 11))
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Http(_)), "{err}");
    assert!(!err.is_transient(), "{err}");
    assert!(err.to_string().contains("400"), "{err}");
    drop(input);
    assert!(server.wait().unwrap().success());
}

#[test]
fn settings_and_answers_that_are_wrong_are_typed_errors() {
    let err = leader("", &[]).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::MissingSetting { .. }),
        "{err}"
    );
    for url in [
        "ftp://x",
        "http://",
        "https://example.com",
        "http://h/?q",
        "localhost:8080",
        " ",
    ] {
        let err = leader(url, &[]).unwrap_err();
        assert!(
            matches!(
                err.kind(),
                ErrorKind::InvalidSetting { .. } | ErrorKind::MissingSetting { .. }
            ),
            "{url:?}: {err}"
        );
        assert!(
            err.to_string().contains("NOTIFICATION_LOG_URL"),
            "{url:?}: {err}"
        );
    }
    for size in ["0", "10001", "-1", "ten"] {
        let err = leader(
            "http://127.0.0.1:1",
            &[("NOTIFICATION_LOG_SECTION_SIZE", size)],
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("NOTIFICATION_LOG_SECTION_SIZE"),
            "{size}: {err}"
        );
    }

    // Nothing can be stored through it.
    let leader_app = leader("http://127.0.0.1:1", &[]).unwrap();
    let err = Universe::with_env(Environment::isolated(
        Universe::NAME,
        [
            ("PERSISTENCE_MODULE", "http"),
            ("NOTIFICATION_LOG_URL", "http://127.0.0.1:1"),
        ],
    ))
    .unwrap()
    .create_world("Earth")
    .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Http(_)), "{err}");
    assert!(err.to_string().contains("cannot be done"), "{err}");
    assert!(!err.is_transient());

    // Answers that are not the Python library's JSON of notifications, from
    // a server of the test's own: each an error naming what is wrong.
    for (body, expect) in [
        ("{\"not\": \"a list\"}", "not the Python library's JSON"),
        ("[{\"id\": 1}]", "not the Python library's JSON"),
        (
            "[{\"id\": 1, \"originator_id\": \"zz\", \"originator_version\": 1, \"topic\": \"t\", \"state\": \"\"}]",
            "notification 1",
        ),
        (
            "[{\"id\": 2, \"originator_id\": \"00000000000000000000000000000001\", \"originator_version\": 1, \"topic\": \"t\", \"state\": \"!!\"}]",
            "state",
        ),
    ] {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = [0_u8; 4096];
            let _ = std::io::Read::read(&mut stream, &mut request);
            write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
            .unwrap();
        });
        let app = leader(&format!("http://{address}"), &[]).unwrap();
        let err = app.log().max_notification_id().unwrap_err();
        assert!(err.to_string().contains(expect), "{body}: {err}");
        server.join().unwrap();
    }
    drop(leader_app);
}
