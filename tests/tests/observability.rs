//! What the runtime reports (issue 25, point 4): `tracing` spans at its
//! boundaries, with the application, aggregate id and version,
//! notification id and backend as fields and no secret in any, and metrics
//! through the `metrics` facade, seen by a subscriber and a recorder of the
//! test's own on each backend.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use eventsmith::{Application, ErrorKind};
use eventsmith_generated::bank_accounts::Bank;
use eventsmith_generated::world::{Universe, World, WorldEvent};
use eventsmith_tests::backends::{PrivateServer, SqliteFile, pairs, with};
use eventsmith_tests::follow::policy;

const PASSWORD: &str = "pw-never-shown";
const CIPHER_KEY: &str = "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=";

/// The spans opened while it is the subscriber: each one's name and fields,
/// those recorded later included.
#[derive(Default)]
struct Spans(Mutex<Vec<(String, BTreeMap<String, String>)>>);

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.insert(
            field.name().to_owned(),
            format!("{value:?}").trim_matches('"').to_owned(),
        );
    }
}

impl tracing::Subscriber for Spans {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let mut fields = BTreeMap::new();
        span.record(&mut Fields(&mut fields));
        let mut spans = self.0.lock().unwrap();
        spans.push((span.metadata().name().to_owned(), fields));
        tracing::span::Id::from_u64(spans.len() as u64)
    }
    fn record(&self, id: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        let mut spans = self.0.lock().unwrap();
        let index = usize::try_from(id.into_u64()).unwrap() - 1;
        values.record(&mut Fields(&mut spans[index].1));
    }
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, _: &tracing::Event<'_>) {}
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

impl Spans {
    /// The spans named `name`.
    fn named(&self, name: &str) -> Vec<BTreeMap<String, String>> {
        let spans = self.0.lock().unwrap();
        spans
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, fields)| fields.clone())
            .collect()
    }
}

type Settings = Vec<(String, String)>;

/// The settings of the tutorial's application and of the bank that follows
/// it on each backend, with a password and a cipher key that no span may
/// show: in memory, SQLite files, a PostgreSQL server of the test's own
/// whose password is [`PASSWORD`].
fn backends(
    files: &[SqliteFile; 2],
    server: Option<&PrivateServer>,
) -> Vec<(&'static str, Settings, Settings)> {
    let mut backends = vec![
        ("memory", Vec::new(), Vec::new()),
        ("sqlite", files[0].env(), files[1].env()),
    ];
    if let Some(server) = server {
        backends.push(("postgres", server.env(), server.env()));
    }
    let secret = |env: &[(String, String)]| {
        with(
            env,
            &[("IS_SNAPSHOTTING_ENABLED", "y"), ("CIPHER_KEY", CIPHER_KEY)],
        )
    };
    backends
        .into_iter()
        .map(|(name, universe, bank)| (name, secret(&universe), secret(&bank)))
        .collect()
}

#[test]
fn each_boundary_has_a_span_with_its_fields_and_no_secret() {
    let files = [SqliteFile::new(), SqliteFile::new()];
    let server = PrivateServer::start_with_password(PASSWORD);
    for (backend, env, bank_env) in backends(&files, server.as_ref()) {
        let spans = Arc::new(Spans::default());
        let (earth, bank) = tracing::subscriber::with_default(Arc::clone(&spans), || {
            let app = Universe::isolated(pairs(&env)).unwrap();
            let earth = app.create_world("Earth").unwrap();
            app.make_it_so(earth, "dinosaurs").unwrap();
            assert_eq!(app.get_history(earth).unwrap(), ["dinosaurs"]);
            app.take_snapshot(earth, None).unwrap();
            let mut subscription = app.log().subscribe(None, &[]).unwrap();
            assert!(subscription.next().is_some());
            let bank =
                Application::isolated_with_defaults("Bank", Bank::DEFAULTS, pairs(&bank_env))
                    .unwrap();
            let processed = eventsmith::system::process::<WorldEvent, _>(
                &bank,
                app.as_application(),
                policy(&bank),
            )
            .unwrap();
            assert_eq!(processed, 2);
            (earth, bank)
        });
        drop(bank);
        let id = earth.uuid().to_string();
        let saves = spans.named("eventsmith.save");
        let first = saves
            .iter()
            .find(|s| s.get("application").map(String::as_str) == Some("Universe"))
            .unwrap_or_else(|| panic!("{backend}: {saves:?}"));
        for (field, value) in [
            ("backend", backend),
            ("aggregate_id", &id),
            ("version", "1"),
            ("events", "1"),
            ("notification_id", "1"),
        ] {
            assert_eq!(
                first.get(field).map(String::as_str),
                Some(value),
                "{backend}: {first:?}"
            );
        }
        let get = spans.named("eventsmith.get");
        assert!(
            get.iter()
                .any(|s| s.get("aggregate_id") == Some(&id) && s.get("replayed").is_some()),
            "{backend}: {get:?}"
        );
        let snapshots = spans.named("eventsmith.snapshot");
        let universe = |s: &&BTreeMap<String, String>| {
            s.get("application").map(String::as_str) == Some("Universe")
        };
        assert_eq!(
            snapshots.iter().filter(universe).count(),
            1,
            "{backend}: {snapshots:?}"
        );
        assert!(!spans.named("eventsmith.subscribe").is_empty(), "{backend}");
        let process = spans.named("eventsmith.process");
        assert_eq!(process.len(), 2, "{backend}: {process:?}");
        assert_eq!(
            process[1].get("notification_id").map(String::as_str),
            Some("2")
        );
        assert_eq!(process[1].get("follower").map(String::as_str), Some("Bank"));
        assert_eq!(
            process[1].get("leader").map(String::as_str),
            Some("Universe")
        );
        assert_eq!(
            process[1].get("topic").map(String::as_str),
            Some("universe:World.SomethingHappened")
        );
        // The bank's saves, tracked, are spans of the bank.
        assert!(
            saves
                .iter()
                .any(|s| s.get("application").map(String::as_str) == Some("Bank"))
        );
        let connects = spans.named("eventsmith.connect");
        if backend == "postgres" {
            assert!(!connects.is_empty());
            assert!(
                connects[0]["endpoint"].starts_with("127.0.0.1:"),
                "{connects:?}"
            );
        } else {
            assert!(connects.is_empty(), "{backend}: {connects:?}");
        }
        let all = spans.0.lock().unwrap();
        for (name, fields) in all.iter() {
            for value in fields.values() {
                assert!(
                    !value.contains(PASSWORD) && !value.contains(CIPHER_KEY),
                    "{backend}: {name} shows a secret: {fields:?}"
                );
            }
        }
    }
}

/// A `metrics` recorder of the test's own: every counter, gauge and
/// histogram by name and labels.
#[derive(Default)]
struct Recorded {
    counters: Mutex<BTreeMap<String, Arc<AtomicU64>>>,
    gauges: Mutex<BTreeMap<String, Arc<AtomicU64>>>,
    histograms: Mutex<BTreeMap<String, Arc<Samples>>>,
}

#[derive(Default)]
struct Samples(Mutex<Vec<f64>>);

impl metrics::HistogramFn for Samples {
    fn record(&self, value: f64) {
        self.0.lock().unwrap().push(value);
    }
}

/// `name{label=value,...}`, labels sorted.
fn key_text(key: &metrics::Key) -> String {
    let mut labels: Vec<String> = key
        .labels()
        .map(|l| format!("{}={}", l.key(), l.value()))
        .collect();
    labels.sort();
    format!("{}{{{}}}", key.name(), labels.join(","))
}

impl metrics::Recorder for Recorded {
    fn describe_counter(
        &self,
        _: metrics::KeyName,
        _: Option<metrics::Unit>,
        _: metrics::SharedString,
    ) {
    }
    fn describe_gauge(
        &self,
        _: metrics::KeyName,
        _: Option<metrics::Unit>,
        _: metrics::SharedString,
    ) {
    }
    fn describe_histogram(
        &self,
        _: metrics::KeyName,
        _: Option<metrics::Unit>,
        _: metrics::SharedString,
    ) {
    }
    fn register_counter(&self, key: &metrics::Key, _: &metrics::Metadata<'_>) -> metrics::Counter {
        let mut counters = self.counters.lock().unwrap();
        metrics::Counter::from_arc(Arc::clone(counters.entry(key_text(key)).or_default()))
    }
    fn register_gauge(&self, key: &metrics::Key, _: &metrics::Metadata<'_>) -> metrics::Gauge {
        let mut gauges = self.gauges.lock().unwrap();
        metrics::Gauge::from_arc(Arc::clone(gauges.entry(key_text(key)).or_default()))
    }
    fn register_histogram(
        &self,
        key: &metrics::Key,
        _: &metrics::Metadata<'_>,
    ) -> metrics::Histogram {
        let mut histograms = self.histograms.lock().unwrap();
        metrics::Histogram::from_arc(Arc::clone(histograms.entry(key_text(key)).or_default()))
    }
}

impl Recorded {
    fn counter(&self, key: &str) -> u64 {
        self.counters
            .lock()
            .unwrap()
            .get(key)
            .map_or(0, |c| c.load(Ordering::SeqCst))
    }
    fn gauge(&self, key: &str) -> Option<f64> {
        self.gauges
            .lock()
            .unwrap()
            .get(key)
            .map(|g| f64::from_bits(g.load(Ordering::SeqCst)))
    }
    fn samples(&self, key: &str) -> usize {
        self.histograms
            .lock()
            .unwrap()
            .get(key)
            .map_or(0, |h| h.0.lock().unwrap().len())
    }
}

#[test]
fn saves_conflicts_gets_replays_processing_and_lag_are_counted() {
    let files = [SqliteFile::new(), SqliteFile::new()];
    for (backend, env, bank_env) in backends(&files, None) {
        let recorded = Recorded::default();
        let app_labels = format!("{{application=Universe,backend={backend}}}");
        let follow_labels = "{follower=Bank,leader=Universe}";
        metrics::with_local_recorder(&recorded, || {
            let app = Universe::isolated(pairs(&env)).unwrap();
            let earth = app.create_world("Earth").unwrap();
            app.make_it_so(earth, "dinosaurs").unwrap();
            let mut stale: World = app.repository().get(earth).unwrap();
            app.make_it_so(earth, "trucks").unwrap();
            stale.make_it_so("internet");
            let err = app.as_application().save(&mut stale).unwrap_err();
            assert!(matches!(err.kind(), ErrorKind::VersionConflict { .. }));
            let bank =
                Application::isolated_with_defaults("Bank", Bank::DEFAULTS, pairs(&bank_env))
                    .unwrap();
            eventsmith::system::process::<WorldEvent, _>(
                &bank,
                app.as_application(),
                policy(&bank),
            )
            .unwrap();
            // A follower that saves nothing moves its position on: no save.
            let quiet = Application::isolated_with_defaults(
                "Quiet",
                Bank::DEFAULTS,
                std::iter::empty::<(&str, &str)>(),
            )
            .unwrap();
            eventsmith::system::process::<WorldEvent, _>(&quiet, app.as_application(), |_, _| {
                Ok(())
            })
            .unwrap();
            let lag = eventsmith::system::lag(
                "Bank",
                &**bank.process_recorder().unwrap(),
                app.as_application(),
            )
            .unwrap();
            assert_eq!(lag.behind(), 0);
        });
        assert_eq!(
            recorded.counter(&format!("eventsmith_saves_total{app_labels}")),
            3,
            "{backend}"
        );
        assert_eq!(
            recorded.counter(&format!("eventsmith_events_saved_total{app_labels}")),
            3
        );
        assert_eq!(
            recorded.counter(&format!("eventsmith_save_conflicts_total{app_labels}")),
            1
        );
        // Three gets (a command, the stale copy, a command) replayed 1, 2, 2 events.
        assert_eq!(
            recorded.counter(&format!("eventsmith_gets_total{app_labels}")),
            3
        );
        assert_eq!(
            recorded.counter(&format!("eventsmith_events_replayed_total{app_labels}")),
            1 + 2 + 2
        );
        assert_eq!(
            recorded.counter(&format!(
                "eventsmith_notifications_processed_total{follow_labels}"
            )),
            3
        );
        assert_eq!(
            recorded.gauge(&format!("eventsmith_follower_position{follow_labels}")),
            Some(3.0)
        );
        let quiet = "{application=Quiet,backend=memory}";
        assert_eq!(
            recorded.counter(&format!("eventsmith_saves_total{quiet}")),
            0
        );
        assert_eq!(
            recorded.counter(
                "eventsmith_notifications_processed_total{follower=Quiet,leader=Universe}"
            ),
            3
        );
        assert_eq!(
            recorded.gauge(&format!("eventsmith_follower_lag{follow_labels}")),
            Some(0.0)
        );
        // Latency is timed on a database, not in memory.
        let timed = recorded.samples(&format!("eventsmith_save_seconds{app_labels}"));
        assert_eq!(timed, if backend == "memory" { 0 } else { 4 }, "{backend}");
    }
}
