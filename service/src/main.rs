//! An example service: the tutorial's `Universe` over HTTP, on axum.
//!
//! ```sh
//! cargo run -p eventsmith-service -- --listen 127.0.0.1:8080
//! ```
//!
//! It reads its storage from the environment as the applications do
//! (`PERSISTENCE_MODULE`, `POSTGRES_*`, `SQLITE_DBNAME`; in memory when
//! nothing is set), prints `listening on ADDR` once it takes requests, and
//! on SIGTERM or Ctrl-C stops taking new ones, finishes those under way, and
//! exits.
//!
//! | request | answer |
//! |---|---|
//! | `POST /worlds` `{"name": "Earth"}` | 201 `{"id": "…"}` |
//! | `POST /worlds/{id}/history` `{"what": "dinosaurs"}` | 204 |
//! | `GET /worlds/{id}` | 200 `{"id", "name", "history", "version"}` |
//! | `GET /notifications/{section_id}` | 200: the Python library's `NotificationLogJSONService.get_log_section` |
//! | `GET /notifications?start=N&limit=M&topics=a,b&inclusive_of_start=true` | 200: its `get_notifications` |
//! | `GET /health` | 200 while the process runs |
//! | `GET /ready` | 200 when the store answers, 503 with the reason when not |
//! | `GET /metrics` | the runtime's metrics, in Prometheus's text format |
//!
//! A request that cannot be served as asked gets a 4xx with the reason as
//! text: 400 for a malformed id, section id, number or topic, or a limit
//! above the section size; 404 for a world that does not exist; 409 for a
//! command that lost a race with another. A store that does not answer is a
//! 503.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use eventsmith::{Aggregate, ErrorKind, Uuid};
use eventsmith_generated::world::{
    AsyncUniverse, Universe, WorldId, WorldSomethingHappened, WorldStarted,
};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use serde::Deserialize;

const USAGE: &str =
    "usage: service [--listen ADDR]   (default 127.0.0.1:8080; storage from the environment)";

/// What the handlers share.
struct Service {
    universe: AsyncUniverse,
    metrics: PrometheusHandle,
}

type Shared = State<Arc<Service>>;

/// A request's failure, as an HTTP status and a reason.
struct Failure(StatusCode, String);

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        (self.0, self.1).into_response()
    }
}

impl From<eventsmith::Error> for Failure {
    fn from(error: eventsmith::Error) -> Self {
        let status = match error.kind() {
            ErrorKind::AggregateNotFound { .. } => StatusCode::NOT_FOUND,
            ErrorKind::VersionConflict { .. } => StatusCode::CONFLICT,
            ErrorKind::InvalidSectionId { .. } | ErrorKind::LimitAboveSectionSize { .. } => {
                StatusCode::BAD_REQUEST
            }
            _ if error.is_transient() => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Self(status, error.to_string())
    }
}

fn bad_request(reason: impl Into<String>) -> Failure {
    Failure(StatusCode::BAD_REQUEST, reason.into())
}

/// Runs a call of the blocking API through the async facade, on its
/// bounded blocking pool: no worker thread waits on the database.
async fn blocking<T: Send + 'static>(
    service: &Arc<Service>,
    call: impl FnOnce(&Universe) -> eventsmith::Result<T> + Send + 'static,
) -> Result<T, Failure> {
    Ok(service.universe.call(call).await?)
}

/// A JSON body, or a 4xx saying what is wrong with it.
fn body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, Failure> {
    body.map(|Json(value)| value)
        .map_err(|rejection| Failure(rejection.status(), rejection.body_text()))
}

fn world_id(id: &str) -> Result<WorldId, Failure> {
    Uuid::parse_str(id)
        .map(WorldId::from_uuid_unchecked)
        .map_err(|e| bad_request(format!("{id:?} is not a world's id: {e}")))
}

#[derive(Deserialize)]
struct NewWorld {
    name: String,
}

async fn create_world(
    State(service): Shared,
    new: Result<Json<NewWorld>, JsonRejection>,
) -> Result<Response, Failure> {
    let NewWorld { name } = body(new)?;
    let id = service.universe.create_world(name).await?;
    let created = serde_json::json!({ "id": id.uuid().to_string() });
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

#[derive(Deserialize)]
struct Happening {
    what: String,
}

async fn make_it_so(
    State(service): Shared,
    Path(id): Path<String>,
    happening: Result<Json<Happening>, JsonRejection>,
) -> Result<StatusCode, Failure> {
    let id = world_id(&id)?;
    let Happening { what } = body(happening)?;
    service.universe.make_it_so(id, what).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn get_world(State(service): Shared, Path(id): Path<String>) -> Result<Response, Failure> {
    let id = world_id(&id)?;
    let world = service.universe.get_world(id).await?;
    let json = serde_json::json!({
        "id": world.id().uuid().to_string(),
        "name": world.name(),
        "history": world.history(),
        "version": world.version(),
    });
    Ok(Json(json).into_response())
}

fn json_text(text: String) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], text).into_response()
}

async fn section(State(service): Shared, Path(id): Path<String>) -> Result<Response, Failure> {
    let json = blocking(&service, move |universe| universe.log().section_json(&id)).await?;
    Ok(json_text(json))
}

#[derive(Deserialize)]
struct Selection {
    start: Option<String>,
    limit: Option<String>,
    topics: Option<String>,
    inclusive_of_start: Option<String>,
}

/// The topics the tutorial's application stores.
const TOPICS: [&str; 2] = [WorldStarted::TOPIC, WorldSomethingHappened::TOPIC];

async fn notifications(
    State(service): Shared,
    Query(selection): Query<Selection>,
) -> Result<Response, Failure> {
    let number = |name: &str, text: &str| {
        text.parse::<u64>()
            .map_err(|_| bad_request(format!("{name}={text:?}: expected a whole number from 0")))
    };
    let start = selection
        .start
        .as_deref()
        .map(|text| number("start", text))
        .transpose()?;
    let Some(limit) = selection.limit.as_deref() else {
        return Err(bad_request("limit is required"));
    };
    let limit = usize::try_from(number("limit", limit)?)
        .map_err(|_| bad_request(format!("limit={limit:?} is too large")))?;
    let topics: Vec<String> = selection
        .topics
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .filter(|topic| !topic.is_empty())
        .map(str::to_owned)
        .collect();
    if let Some(unknown) = topics.iter().find(|t| !TOPICS.contains(&t.as_str())) {
        return Err(bad_request(format!(
            "unknown topic {unknown:?}: this application stores {}",
            TOPICS.join(", ")
        )));
    }
    let inclusive = match selection.inclusive_of_start.as_deref() {
        None | Some("true") => true,
        Some("false") => false,
        Some(other) => {
            return Err(bad_request(format!(
                "inclusive_of_start={other:?}: expected true or false"
            )));
        }
    };
    let json = blocking(&service, move |universe| {
        let topics: Vec<&str> = topics.iter().map(String::as_str).collect();
        universe
            .log()
            .notifications_json(start, limit, &topics, inclusive)
    })
    .await?;
    Ok(json_text(json))
}

async fn health() -> &'static str {
    "ok"
}

async fn ready(State(service): Shared) -> Result<&'static str, Failure> {
    blocking(&service, |universe| universe.log().max_notification_id())
        .await
        .map(|_| "ready")
        .map_err(|Failure(_, reason)| Failure(StatusCode::SERVICE_UNAVAILABLE, reason))
}

async fn metrics(State(service): Shared) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        service.metrics.render(),
    )
        .into_response()
}

fn router(service: Arc<Service>) -> Router {
    Router::new()
        .route("/worlds", post(create_world))
        .route("/worlds/{id}", get(get_world))
        .route("/worlds/{id}/history", post(make_it_so))
        .route("/notifications", get(notifications))
        .route("/notifications/{section_id}", get(section))
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics))
        .with_state(service)
}

/// `--listen ADDR`, or the default.
fn listen_address() -> Result<SocketAddr, String> {
    let mut args = std::env::args().skip(1);
    let mut listen = "127.0.0.1:8080".to_owned();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--listen" => listen = args.next().ok_or("--listen needs an address")?,
            "--help" | "-h" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    listen
        .parse()
        .map_err(|e| format!("--listen {listen:?}: {e} (expected host:port, e.g. 127.0.0.1:8080)"))
}

/// A line on standard output, flushed; nothing when no one reads it.
fn say(line: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{line}").and_then(|()| stdout.flush());
}

/// SIGTERM or Ctrl-C.
async fn stop_requested() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let listen = match listen_address() {
        Ok(listen) => listen,
        Err(reason) => {
            if !reason.is_empty() {
                eprintln!("{reason}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    // Before the application: it registers its metrics when it is made.
    let metrics = match PrometheusBuilder::new().install_recorder() {
        Ok(handle) => handle,
        Err(e) => {
            eprintln!("cannot install the metrics recorder: {e}");
            return ExitCode::FAILURE;
        }
    };
    let universe = match AsyncUniverse::from_env().await {
        Ok(universe) => universe,
        Err(e) => {
            eprintln!("cannot start the application: {e}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind(listen).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("cannot listen on {listen}: {e}");
            return ExitCode::FAILURE;
        }
    };
    match listener.local_addr() {
        Ok(address) => say(&format!("listening on {address}")),
        Err(e) => {
            eprintln!("cannot listen on {listen}: {e}");
            return ExitCode::FAILURE;
        }
    }
    let service = Arc::new(Service { universe, metrics });
    let served = axum::serve(listener, router(Arc::clone(&service)))
        .with_graceful_shutdown(stop_requested())
        .await;
    // Requests under way have finished; the application (its pool) goes now.
    drop(service);
    match served {
        Ok(()) => {
            say("stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("serving failed: {e}");
            ExitCode::FAILURE
        }
    }
}
