//! Pieces the benchmarks share (each bench uses some of them).
#![allow(dead_code)]

/// The median of `values` (of an even count, the mean of the middle two).
pub(crate) fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// `rate` rounded, with thousands separated by commas.
pub(crate) fn commas(rate: f64) -> String {
    let n = rate.round() as u64;
    let digits = n.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// Whether `name` is among the comma-separated names of the variable `var`
/// (all are, when it is not set): `ES_BENCH_BACKENDS=postgres`,
/// `ES_BENCH_CONFIGS=cache,snapshots`, `ES_BENCH_WORKLOADS=account`.
pub(crate) fn chosen(var: &str, name: &str) -> bool {
    std::env::var(var).map_or(true, |names| {
        names
            .split(',')
            .any(|n| !n.is_empty() && name.starts_with(n.trim()))
    })
}

/// A clock's time so far (`libc::clock_gettime`); zero if it cannot be read.
fn clock(id: libc::clockid_t) -> std::time::Duration {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid timespec for the call to fill.
    let ok = unsafe { libc::clock_gettime(id, &mut t) } == 0;
    if !ok {
        return std::time::Duration::ZERO;
    }
    std::time::Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// This thread's CPU time so far (`CLOCK_THREAD_CPUTIME_ID`): the client's
/// work, whatever the disk or the server do meanwhile.
pub(crate) fn thread_cpu() -> std::time::Duration {
    clock(libc::CLOCK_THREAD_CPUTIME_ID)
}

/// The process's CPU time so far, all its threads
/// (`CLOCK_PROCESS_CPUTIME_ID`).
pub(crate) fn process_cpu() -> std::time::Duration {
    clock(libc::CLOCK_PROCESS_CPUTIME_ID)
}

/// The settings of the tutorial's PostgreSQL database, tables in `schema`.
pub(crate) fn postgres_settings(schema: &str) -> Vec<(String, String)> {
    [
        ("PERSISTENCE_MODULE", "postgres"),
        ("POSTGRES_DBNAME", "eventsourcing"),
        ("POSTGRES_HOST", "127.0.0.1"),
        ("POSTGRES_PORT", "5432"),
        ("POSTGRES_USER", "eventsourcing"),
        ("POSTGRES_PASSWORD", "eventsourcing"),
        // Unencrypted, as the Python side is told to be: the libraries are
        // compared, not TLS.
        ("POSTGRES_SSLMODE", "disable"),
        ("POSTGRES_SCHEMA", schema),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// A client of the tutorial's PostgreSQL database, when it answers.
pub(crate) fn postgres_client() -> Option<postgres::Client> {
    postgres::Config::new()
        .host("127.0.0.1")
        .port(5432)
        .user("eventsourcing")
        .password("eventsourcing")
        .dbname("eventsourcing")
        .connect(postgres::NoTls)
        .ok()
}

/// A figure of this process's `/proc/self/status` (`VmRSS`, `VmHWM`), in KiB.
pub(crate) fn status_kib(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|line| {
        let value = line.strip_prefix(key)?.strip_prefix(':')?;
        value.trim().trim_end_matches(" kB").trim().parse().ok()
    })
}

/// Hands free heap memory back to the system (glibc's `malloc_trim`), so
/// that what a measured step allocates shows in the resident size.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub(crate) fn release_free_memory() {
    unsafe extern "C" {
        fn malloc_trim(pad: usize) -> std::ffi::c_int;
    }
    // SAFETY: glibc's `malloc_trim` only hands free heap memory back to the system.
    unsafe {
        malloc_trim(0);
    }
}

/// Nothing to hand back elsewhere.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub(crate) fn release_free_memory() {}
