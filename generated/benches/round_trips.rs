//! W1 on PostgreSQL by the number of round trips a save takes (issue 25,
//! point 3): one (the recorder's insert function) against three (lock and
//! notify, insert, commit: a store without the function, used with
//! `CREATE_TABLE=n`), unencrypted; and one round trip over TLS (libpq's
//! default, `prefer`, on a server that offers it).
//!
//! ```sh
//! cargo bench -p eventsmith-generated --bench round_trips
//! ES_BENCH_QUICK=1 cargo bench -p eventsmith-generated --bench round_trips   # a smoke run
//! ```
//!
//! Each round creates the same number of worlds (one event, one save each)
//! through each configuration in turn, the order rotating from round to
//! round; the table gives the median round of each: events per second by
//! the wall clock, and the client's CPU per event (this thread's).

mod common;

use std::time::{Duration, Instant};

use common::{commas, median, postgres_client, postgres_settings, thread_cpu};
use eventsmith_generated::world::Universe;

/// One configuration: its name and its settings over the schema's.
struct Config {
    name: &'static str,
    schema: &'static str,
    extra: &'static [(&'static str, &'static str)],
    /// Drop the insert function after making the tables, so that saves
    /// take three round trips.
    without_function: bool,
}

const CONFIGS: [Config; 3] = [
    Config {
        name: "one round trip (insert function)",
        schema: "es_bench_rt_one",
        extra: &[("POSTGRES_SSLMODE", "disable")],
        without_function: false,
    },
    Config {
        name: "three round trips (no function, CREATE_TABLE=n)",
        schema: "es_bench_rt_three",
        extra: &[("POSTGRES_SSLMODE", "disable"), ("CREATE_TABLE", "n")],
        without_function: true,
    },
    Config {
        name: "one round trip, TLS (sslmode prefer)",
        schema: "es_bench_rt_tls",
        extra: &[("POSTGRES_SSLMODE", "prefer")],
        without_function: false,
    },
];

fn admin() -> postgres::Client {
    postgres_client().expect("the tutorial's PostgreSQL database")
}

fn application(config: &Config) -> Universe {
    let mut admin = admin();
    admin
        .batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {0} CASCADE; CREATE SCHEMA {0}",
            config.schema
        ))
        .unwrap();
    let base = postgres_settings(config.schema);
    let pairs = |extra: &[(&str, &str)]| {
        base.iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .chain(
                extra
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
            )
            .collect::<Vec<_>>()
    };
    // The tables (and the function), made with CREATE_TABLE on.
    drop(
        Universe::isolated(
            pairs(&[("POSTGRES_SSLMODE", "disable")])
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str())),
        )
        .unwrap(),
    );
    if config.without_function {
        admin
            .batch_execute(&format!(
                "DROP FUNCTION {}.universe_events_insert_events",
                config.schema
            ))
            .unwrap();
    }
    let settings = pairs(config.extra);
    Universe::isolated(settings.iter().map(|(k, v)| (k.as_str(), v.as_str()))).unwrap()
}

/// Wall time and this thread's CPU time of `saves` creations.
fn round(app: &Universe, saves: usize) -> (Duration, Duration) {
    let (start, cpu) = (Instant::now(), thread_cpu());
    for _ in 0..saves {
        app.create_world("Earth").unwrap();
    }
    (start.elapsed(), thread_cpu().saturating_sub(cpu))
}

fn main() {
    let quick = std::env::var("ES_BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0");
    let (rounds, saves) = if quick { (3, 200) } else { (7, 2_000) };
    let apps: Vec<Universe> = CONFIGS.iter().map(application).collect();
    // Warm each: connections open, statements prepared.
    for app in &apps {
        round(app, 50);
    }
    let mut rates = vec![Vec::new(); apps.len()];
    let mut cpus = vec![Vec::new(); apps.len()];
    for r in 0..rounds {
        for k in 0..apps.len() {
            let i = (r + k) % apps.len();
            let (wall, cpu) = round(&apps[i], saves);
            rates[i].push(saves as f64 / wall.as_secs_f64());
            cpus[i].push(cpu.as_secs_f64() * 1e6 / saves as f64);
        }
    }
    println!(
        "W1 on PostgreSQL, {saves} saves of one event a round, {rounds} rounds interleaved, medians\n"
    );
    println!("| save | events/s (wall) | client CPU per event | ÷ three round trips (wall) |");
    println!("|---|--:|--:|--:|");
    let three = median(rates[1].clone());
    for (i, config) in CONFIGS.iter().enumerate() {
        let rate = median(rates[i].clone());
        println!(
            "| {} | {} | {:.1} µs | {:.2} |",
            config.name,
            commas(rate),
            median(cpus[i].clone()),
            rate / three
        );
    }
    drop(apps);
    let mut admin = admin();
    for config in &CONFIGS {
        let _ = admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", config.schema));
    }
}
