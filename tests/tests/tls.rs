//! TLS (issue 25, point 1), against the cluster `.ci/postgres-tls` makes: it
//! takes TLS connections only (`hostssl`), shows a certificate for
//! 127.0.0.1 signed by a CA of its own, and lets the role `eventsmith_cert`
//! in by a client certificate only. Each of libpq's modes is tried, by this
//! project's variables and by libpq's; the pool's connections and a
//! subscription's are checked encrypted on the server's side.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use eventsmith::ErrorKind;
use eventsmith_generated::world::Universe;
use eventsmith_tests::backends::{REQUIRE_POSTGRES, pairs, with};
use uuid::Uuid;

/// The TLS cluster's port and certificates, or `None` (with a message)
/// when `.ci/postgres-tls` has not run and [`REQUIRE_POSTGRES`] is not set.
struct Cluster {
    dir: PathBuf,
    port: String,
    schema: String,
}

impl Cluster {
    fn new() -> Option<Self> {
        let (Some(dir), Some(port)) = (
            std::env::var_os("EVENTSMITH_TLS_DIR"),
            std::env::var("EVENTSMITH_TLS_PORT").ok(),
        ) else {
            let reason = "EVENTSMITH_TLS_DIR and EVENTSMITH_TLS_PORT are not set: run \
                          `eval \"$(.ci/postgres-tls)\"` (as root) first";
            assert!(std::env::var_os(REQUIRE_POSTGRES).is_none(), "{reason}");
            eventsmith_tests::skipped(reason);
            return None;
        };
        Some(Self {
            dir: dir.into(),
            port,
            schema: format!("test_{}", Uuid::new_v4().simple()),
        })
    }

    fn file(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }

    /// Settings for the cluster's `postgres` database as `user` at `host`,
    /// in a schema of this test's, with `extra` settings.
    fn env(&self, host: &str, user: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let base = [
            ("INFRASTRUCTURE_FACTORY", "eventsourcing.postgres:Factory"),
            ("POSTGRES_DBNAME", "postgres"),
            ("POSTGRES_HOST", host),
            ("POSTGRES_PORT", &self.port),
            ("POSTGRES_USER", user),
            ("POSTGRES_SCHEMA", &self.schema),
            ("POSTGRES_CONNECT_TIMEOUT", "5"),
        ];
        with(&base.map(|(k, v)| (k.to_owned(), v.to_owned())), extra)
    }

    /// The server's view of the connections of the application whose
    /// events table is `<schema>.universe_events`: whether each is encrypted.
    fn encrypted(&self) -> Vec<bool> {
        let mut admin = postgres::Config::new()
            .host("/var/run/postgresql")
            .port(self.port.parse().unwrap())
            .user("postgres")
            .dbname("postgres")
            .connect(postgres::NoTls)
            .expect("the TLS cluster's local socket (trust)");
        admin
            .query(
                "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
                 WHERE a.application_name = $1",
                &[&format!("es:{}.universe_events", self.schema)],
            )
            .unwrap()
            .iter()
            .map(|row| row.get(0))
            .collect()
    }
}

/// Commands, a query and a subscription over the connections `env` makes:
/// each of them encrypted, as the server sees them.
fn runs_encrypted(cluster: &Cluster, env: &[(String, String)]) {
    let app = Universe::isolated(pairs(env)).unwrap();
    let world = app.create_world("Earth").unwrap();
    app.make_it_so(world, "dinosaurs").unwrap();
    assert_eq!(app.get_history(world).unwrap(), ["dinosaurs"]);
    let mut subscription = app.log().subscribe(None, &[]).unwrap();
    assert_eq!(subscription.next().unwrap().unwrap().id, 1);
    let encrypted = cluster.encrypted();
    // The pool's connection and the subscription's.
    assert!(encrypted.len() >= 2, "{encrypted:?}");
    assert!(encrypted.iter().all(|ssl| *ssl), "{encrypted:?}");
}

/// What `env` gets instead of an application, and how long that took.
fn refused(env: &[(String, String)]) -> (String, Duration) {
    let start = Instant::now();
    let err = Universe::isolated(pairs(env)).expect_err("refused");
    (err.to_string(), start.elapsed())
}

#[test]
fn each_mode_that_encrypts_reaches_a_tls_only_server() {
    let Some(cluster) = Cluster::new() else {
        return;
    };
    let ca = cluster.file("ca.crt");
    // libpq's default, prefer; then each mode by this project's variables.
    runs_encrypted(&cluster, &cluster.env("127.0.0.1", "postgres", &[]));
    for (mode, root) in [
        ("allow", None),
        ("prefer", None),
        ("require", None),
        ("require", Some(ca.as_str())),
        ("verify-ca", Some(&ca)),
        ("verify-full", Some(&ca)),
    ] {
        let mut extra = vec![("POSTGRES_SSLMODE", mode)];
        extra.extend(root.map(|root| ("POSTGRES_SSLROOTCERT", root)));
        runs_encrypted(&cluster, &cluster.env("127.0.0.1", "postgres", &extra));
    }
    // By libpq's own variables, as the Python library's psycopg reads them.
    runs_encrypted(
        &cluster,
        &cluster.env(
            "127.0.0.1",
            "postgres",
            &[("PGSSLMODE", "verify-full"), ("PGSSLROOTCERT", &ca)],
        ),
    );
    // verify-ca checks the chain, not the name: "localhost" is not on the
    // certificate, and passes.
    runs_encrypted(
        &cluster,
        &cluster.env(
            "localhost",
            "postgres",
            &[
                ("POSTGRES_SSLMODE", "verify-ca"),
                ("POSTGRES_SSLROOTCERT", &ca),
            ],
        ),
    );
    // This project's variable wins over libpq's.
    runs_encrypted(
        &cluster,
        &cluster.env(
            "127.0.0.1",
            "postgres",
            &[("POSTGRES_SSLMODE", "require"), ("PGSSLMODE", "disable")],
        ),
    );
}

#[test]
fn a_plain_connection_a_wrong_ca_and_a_wrong_host_name_are_refused_with_a_reason() {
    let Some(cluster) = Cluster::new() else {
        return;
    };
    let ca = cluster.file("ca.crt");
    let wrong_ca = cluster.file("wrong-ca.crt");
    let cases = [
        (
            "127.0.0.1",
            vec![("POSTGRES_SSLMODE", "disable")],
            "no encryption",
        ),
        (
            "127.0.0.1",
            vec![
                ("POSTGRES_SSLMODE", "verify-ca"),
                ("POSTGRES_SSLROOTCERT", &wrong_ca),
            ],
            "UnknownIssuer",
        ),
        // As libpq, require with a root certificate verifies the chain.
        (
            "127.0.0.1",
            vec![
                ("POSTGRES_SSLMODE", "require"),
                ("PGSSLROOTCERT", &wrong_ca),
            ],
            "UnknownIssuer",
        ),
        (
            "localhost",
            vec![
                ("POSTGRES_SSLMODE", "verify-full"),
                ("POSTGRES_SSLROOTCERT", &ca),
            ],
            "not valid for name \"localhost\"",
        ),
    ];
    for (host, extra, reason) in cases {
        let (err, took) = refused(&cluster.env(host, "postgres", &extra));
        assert!(err.contains(reason), "{extra:?}: {err}");
        // Where, and at once: a refusal is not tried again for the
        // 5 seconds of the connect timeout.
        assert!(
            err.contains(&format!("{host}:{}", cluster.port)),
            "{extra:?}: {err}"
        );
        assert!(took < Duration::from_secs(4), "{extra:?}: {took:?}");
    }
}

#[test]
fn a_client_certificate_logs_in_a_role_that_needs_one() {
    let Some(cluster) = Cluster::new() else {
        return;
    };
    let (ca, cert, key) = (
        cluster.file("ca.crt"),
        cluster.file("client.crt"),
        cluster.file("client.key"),
    );
    runs_encrypted(
        &cluster,
        &cluster.env(
            "127.0.0.1",
            "eventsmith_cert",
            &[
                ("POSTGRES_SSLMODE", "verify-full"),
                ("POSTGRES_SSLROOTCERT", &ca),
                ("POSTGRES_SSLCERT", &cert),
                ("POSTGRES_SSLKEY", &key),
            ],
        ),
    );
    let cluster = Cluster {
        schema: format!("test_{}", Uuid::new_v4().simple()),
        ..cluster
    };
    runs_encrypted(
        &cluster,
        &cluster.env(
            "127.0.0.1",
            "eventsmith_cert",
            &[("PGSSLCERT", &cert), ("PGSSLKEY", &key)],
        ),
    );
    let (err, _) = refused(&cluster.env(
        "127.0.0.1",
        "eventsmith_cert",
        &[("POSTGRES_SSLMODE", "require")],
    ));
    assert!(err.contains("requires a valid client certificate"), "{err}");
}

/// Certificate settings that cannot be used are refused at construction,
/// naming the variable: a mode libpq does not know, verification with no
/// root certificate, a certificate without its key, files that are missing
/// or hold no certificate or key.
#[test]
fn certificate_settings_that_cannot_be_used_name_the_variable() {
    let Some(cluster) = Cluster::new() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "not a certificate\n").unwrap();
    let empty = empty.display().to_string();
    let missing = dir.path().join("missing.pem").display().to_string();
    let (ca, cert) = (cluster.file("ca.crt"), cluster.file("client.crt"));
    // The settings, the variable named, and what the error says.
    type Case<'a> = (Vec<(&'a str, &'a str)>, &'a str, &'a str);
    let cases: Vec<Case<'_>> = vec![
        (
            vec![("POSTGRES_SSLMODE", "Require")],
            "POSTGRES_SSLMODE",
            "one of disable",
        ),
        (vec![("PGSSLMODE", "on")], "PGSSLMODE", "one of disable"),
        (
            vec![("POSTGRES_SSLMODE", "verify-full")],
            "POSTGRES_SSLMODE",
            "a root certificate",
        ),
        (
            vec![
                ("POSTGRES_SSLMODE", "verify-ca"),
                ("POSTGRES_SSLROOTCERT", &missing),
            ],
            "POSTGRES_SSLROOTCERT",
            "missing.pem",
        ),
        (
            vec![
                ("POSTGRES_SSLMODE", "verify-ca"),
                ("POSTGRES_SSLROOTCERT", &empty),
            ],
            "POSTGRES_SSLROOTCERT",
            "no certificate",
        ),
        (
            vec![
                ("POSTGRES_SSLROOTCERT", "system"),
                ("POSTGRES_SSLMODE", "verify-full"),
            ],
            "POSTGRES_SSLROOTCERT",
            "system's store is not read",
        ),
        (
            vec![("POSTGRES_SSLCERT", &cert)],
            "POSTGRES_SSLCERT",
            "POSTGRES_SSLKEY",
        ),
        (
            vec![("POSTGRES_SSLCERT", &cert), ("POSTGRES_SSLKEY", &empty)],
            "POSTGRES_SSLKEY",
            "empty.pem",
        ),
        (
            vec![("POSTGRES_SSLCERT", &empty), ("POSTGRES_SSLKEY", &ca)],
            "POSTGRES_SSLCERT",
            "no certificate",
        ),
    ];
    for (extra, variable, says) in cases {
        let err = Universe::isolated(pairs(&cluster.env("127.0.0.1", "postgres", &extra)))
            .expect_err("refused");
        assert!(
            matches!(err.kind(), ErrorKind::InvalidSetting { variable: v, .. } if v.starts_with(variable)),
            "{extra:?}: {err}"
        );
        assert!(err.to_string().contains(says), "{extra:?}: {err}");
    }
}
