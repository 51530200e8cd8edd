//! Storing events: the insert statement (notification ids given under the
//! table's lock, no gap left by a failed insert), the recorder's insert
//! function that runs it in one round trip, and what a failed insert means.

use postgres::error::SqlState;
use postgres::types::ToSql;
use uuid::Uuid;

use super::PostgresRecorder;
use super::errors::{Failure, as_postgres, conflicting_key, is_disconnect, sqlstate};
use crate::persistence::recorder::{BatchVersions, check_next_version};
use crate::persistence::{StoredEvent, Tracking};
use crate::{Error, ErrorKind, Result};

/// The statement the recorder stores a batch of events with, in the table
/// `qualified_table` (`schema.table`, quoted as needed), run inside the
/// transaction that holds the table's `EXCLUSIVE` lock. Its parameters are
/// the batch's ids (`uuid[]`), versions (`bigint[]`), topics (`text[]`) and
/// states (`bytea[]`); it returns one row: the highest notification id before
/// the batch, then (for the sequence) the highest after it, then, when the
/// first event of an aggregate in the batch does not follow the aggregate's
/// highest stored version, that aggregate's id, the event's version and the
/// highest stored version (and then nothing is inserted).
///
/// Notification ids are given here, under the lock, as the highest id plus
/// the event's position in the batch, and the column's sequence is moved past
/// them (for writers that use it, such as the Python library). A failed or
/// killed insert then leaves no gap in the log, as a sequence value spent on
/// it would.
///
/// ```
/// let sql = eventsmith::postgres::insert_statement("public.universe_events");
/// assert!(sql.contains("INSERT INTO public.universe_events"));
/// ```
pub fn insert_statement(qualified_table: &str) -> String {
    format!(
        "{} SELECT {} FROM base, counted, last",
        insert_ctes(qualified_table),
        INSERT_RESULT
    )
}

/// What [`insert_statement`] returns, as columns named for the insert
/// function's body: the highest id before, the highest after (set on the
/// sequence), and the gap found.
pub(super) const INSERT_RESULT: &str = "base.n AS n, CASE WHEN counted.c > 0 THEN last.v END AS last, \
     (SELECT id FROM gaps) AS gap_id, (SELECT version FROM gaps) AS gap_version, \
     (SELECT stored FROM gaps) AS gap_stored";

/// The common table expressions of [`insert_statement`]: the insert itself,
/// and `counted`, the rows inserted, with `last`, the sequence moved past them.
pub(super) fn insert_ctes(qualified_table: &str) -> String {
    let literal = qualified_table.replace('\'', "''");
    format!(
        "WITH base AS (SELECT COALESCE(MAX(notification_id), 0) AS n FROM {qualified_table}), \
         u AS (SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::bytea[]) \
         WITH ORDINALITY AS u(id, version, topic, state, ord)), \
         firsts AS (SELECT DISTINCT ON (id) id, version FROM u ORDER BY id, ord), \
         gaps AS (SELECT f.id, f.version, s.stored FROM firsts f, LATERAL \
         (SELECT COALESCE(MAX(originator_version), 0) AS stored FROM {qualified_table} \
         WHERE originator_id = f.id) s WHERE f.version <> 1 AND f.version <> s.stored + 1 \
         LIMIT 1), \
         ins AS (INSERT INTO {qualified_table} \
         (notification_id, originator_id, originator_version, topic, state) \
         SELECT base.n + u.ord, u.id, u.version, u.topic, u.state FROM base, u \
         WHERE NOT EXISTS (SELECT 1 FROM gaps) RETURNING 1), \
         counted AS (SELECT count(*) AS c FROM ins), \
         last AS (SELECT CASE WHEN counted.c > 0 THEN \
         setval(pg_get_serial_sequence('{literal}', 'notification_id'), base.n + counted.c) END AS v \
         FROM base, counted)"
    )
}

impl PostgresRecorder {
    /// Stores a batch of events and, when given, a tracking record (its
    /// table created beforehand), in one transaction: the tracking record
    /// first (as the Python library's `PostgresProcessRecorder` does, so
    /// that both take their locks in the same order), then the table's
    /// lock, the notification and the events.
    pub(super) fn insert_with(
        &self,
        events: &[StoredEvent],
        tracking: Option<&Tracking>,
    ) -> Result<Vec<u64>> {
        if events.is_empty() {
            if let Some(tracking) = tracking {
                crate::persistence::TrackingRecorder::insert_tracking(self, tracking)?;
            }
            return Ok(Vec::new());
        }
        let tracked = tracking
            .map(|t| Ok::<_, Error>((t, crate::sql::tracking_id_to_store(t)?)))
            .transpose()?;
        // Within the batch, each aggregate's versions follow one another; the
        // statement checks that the first follows what is stored.
        let mut batch = BatchVersions::default();
        for e in events {
            if let Some(previous) = batch.previous(e.originator_id) {
                check_next_version(e.originator_id, e.originator_version, previous)?;
            }
            batch.set(e.originator_id, e.originator_version);
        }
        let ids: Vec<Uuid> = events.iter().map(|e| e.originator_id).collect();
        let versions: Vec<i64> = events
            .iter()
            .map(|e| i64::try_from(e.originator_version).unwrap_or(i64::MAX))
            .collect();
        let topics: Vec<&str> = events.iter().map(|e| e.topic.as_ref()).collect();
        let states: Vec<&[u8]> = events.iter().map(|e| e.state.as_slice()).collect();
        let params: [&(dyn ToSql + Sync); 4] = [&ids, &versions, &topics, &states];
        let result = match (&self.sql.insert_call, tracked) {
            (Some(call), None) => self.insert_in_one_trip(call, events, params),
            (_, tracked) => self.run(|conn| {
                // Lock first: preparing the insert also needs a lock on the
                // table, and only inside the transaction does the lock
                // timeout apply.
                match tracked {
                    None => conn.client.batch_execute(&self.sql.begin_and_lock)?,
                    Some((tracking, id)) => {
                        conn.client.batch_execute("BEGIN")?;
                        self.upsert_tracking(conn, tracking, id)?;
                        conn.client.batch_execute(&self.sql.lock)?;
                    }
                }
                let insert = conn.prepare(&self.sql.insert)?;
                let row = conn.client.query_one(&insert, &params)?;
                if let Some(gap) = version_gap(events, &row)? {
                    conn.client.batch_execute("ROLLBACK")?;
                    return Err(Failure::Other(gap));
                }
                conn.commit()?;
                Ok(row.try_get(0)?)
            }),
        };
        let base = match result {
            Ok(base) => base,
            Err(e) if sqlstate(&e) == Some(&SqlState::UNIQUE_VIOLATION) => {
                let (originator_id, originator_version) = as_postgres(&e)
                    .and_then(conflicting_key)
                    .unwrap_or_else(|| {
                        events.first().map_or((Uuid::nil(), 0), |e| {
                            (e.originator_id, e.originator_version)
                        })
                    });
                return Err(ErrorKind::VersionConflict {
                    originator_id,
                    originator_version,
                }
                .into());
            }
            Err(e) if sqlstate(&e) == Some(&SqlState::LOCK_NOT_AVAILABLE) => {
                return Err(ErrorKind::LockTimeout {
                    table: self.names.qualified_table.clone(),
                }
                .into());
            }
            Err(e) => return Err(e),
        };
        let base = u64::try_from(base).map_err(|_| ErrorKind::InvalidStoredRow {
            notification_id: Some(base),
            originator_id: None,
            originator_version: None,
            column: "notification_id",
            problem: "is below 0".to_owned(),
        })?;
        (1..=u64::try_from(events.len()).unwrap_or(u64::MAX))
            .map(|i| {
                base.checked_add(i).ok_or(
                    ErrorKind::InvalidStoredRow {
                        notification_id: i64::try_from(base).ok(),
                        originator_id: None,
                        originator_version: None,
                        column: "notification_id",
                        problem: "leaves no room for more notifications".to_owned(),
                    }
                    .into(),
                )
            })
            .collect()
    }
}

/// The error for the version gap the insert statement's `row` reports,
/// if it reports one (nothing was inserted then).
fn version_gap(events: &[StoredEvent], row: &postgres::Row) -> Result<Option<Error>, Failure> {
    let Some(originator_id) = row.try_get::<_, Option<Uuid>>(2)? else {
        return Ok(None);
    };
    let stored: Option<i64> = row.try_get(4)?;
    // The version as given (the statement saw it cut to `bigint`).
    let version = events
        .iter()
        .find(|e| e.originator_id == originator_id)
        .map_or(0, |e| e.originator_version);
    let Ok(stored) = u64::try_from(stored.unwrap_or(0)) else {
        return Ok(Some(
            ErrorKind::InvalidStoredRow {
                notification_id: None,
                originator_id: Some(originator_id.to_string()),
                originator_version: stored,
                column: "originator_version",
                problem: "is below 0".to_owned(),
            }
            .into(),
        ));
    };
    Ok(Some(
        check_next_version(originator_id, version, stored)
            .err()
            .unwrap_or_else(|| {
                ErrorKind::VersionGap {
                    originator_id,
                    originator_version: version,
                    expected: stored.saturating_add(1),
                }
                .into()
            }),
    ))
}

impl PostgresRecorder {
    /// Stores a batch of events by the insert function: one round trip,
    /// committed as it returns. A connection that fails during the call
    /// leaves it unknown whether the call was committed: the first event is
    /// looked for, and the call made again only when it is not stored.
    fn insert_in_one_trip(
        &self,
        call: &str,
        events: &[StoredEvent],
        params: [&(dyn ToSql + Sync); 4],
    ) -> Result<i64> {
        let [ids, versions, topics, states] = params;
        let lock_timeout = &self.sql.lock_timeout;
        let mut attempt: u32 = 0;
        // Whether a call was lost, neither found stored nor known refused.
        let mut lost = false;
        loop {
            attempt = attempt.saturating_add(1);
            let result = self.run(|conn| {
                let call = conn.prepare(call)?;
                conn.autocommit = true;
                let row = conn
                    .client
                    .query_one(&call, &[ids, versions, topics, states, lock_timeout])
                    .map_err(|error| Failure::Postgres {
                        may_retry: !is_disconnect(&error),
                        error,
                    })?;
                match version_gap(events, &row)? {
                    Some(gap) => Err(Failure::Other(gap)),
                    None => Ok(row.try_get(0)?),
                }
            });
            match result {
                Err(e) if as_postgres(&e).is_some_and(is_disconnect) => {
                    if let Some(base) = self.stored_base(events)? {
                        return Ok(base);
                    }
                    if attempt >= 3 {
                        return Err(e);
                    }
                    lost = true;
                }
                // The lost call was still running (waiting for the table's
                // lock) when it was looked for, and stored the events
                // since: this call found them there.
                Err(e) if lost && sqlstate(&e) == Some(&SqlState::UNIQUE_VIOLATION) => {
                    return match self.stored_base(events)? {
                        Some(base) => Ok(base),
                        None => Err(e),
                    };
                }
                other => return other,
            }
        }
    }

    /// The highest notification id before `events`, when they are stored
    /// as given (their first event, with its topic and state): a call that
    /// was committed before its connection failed.
    fn stored_base(&self, events: &[StoredEvent]) -> Result<Option<i64>> {
        let Some(first) = events.first() else {
            return Ok(None);
        };
        let version = i64::try_from(first.originator_version).unwrap_or(i64::MAX);
        let row = self.run(|conn| {
            let select = conn.prepare(&self.sql.select_one)?;
            Ok(conn
                .client
                .query_opt(&select, &[&first.originator_id, &version])?)
        })?;
        let Some(row) = row else { return Ok(None) };
        let (id, topic, state): (i64, &str, &[u8]) =
            (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        Ok(
            (topic == first.topic.as_ref() && state == first.state.as_slice())
                .then(|| id.saturating_sub(1)),
        )
    }
}
