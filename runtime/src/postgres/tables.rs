//! The tables, type and function the recorder creates, as the Python
//! library creates them, and the check that a table exists when it creates
//! nothing (`CREATE_TABLE=n`).

use std::time::Duration;

use postgres::error::SqlState;

use super::connection::PgConnection;
use super::{INSERT_RESULT, PostgresRecorder, QuotedNames, insert_ctes};
use crate::{ErrorKind, Result};

/// The composite type the Python library's recorders insert through
/// (`unnest($1::stored_event_uuid[])`), so that a Python service with
/// `CREATE_TABLE=n` can write to tables made here.
pub(super) fn stored_event_type(schema: &str) -> String {
    format!(
        "CREATE TYPE {schema}.\"stored_event_uuid\" AS (originator_id uuid, \
         originator_version bigint, topic text, state bytea)"
    )
}

/// Runs `CREATE ... IF NOT EXISTS` statements, taking a table, index,
/// schema or type that another process created at the same moment as
/// created.
pub(super) fn create(conn: &mut PgConnection, statements: &[String]) -> Result<()> {
    for statement in statements {
        match conn.client.batch_execute(statement) {
            // Another connection created it at the same moment: `IF NOT
            // EXISTS` does not guard against that, and PostgreSQL reports
            // whichever catalog row collided first (the table's, its row
            // type's, or a unique index of the catalog). A type has no `IF
            // NOT EXISTS`: one that exists is a duplicate object, as Python
            // finds it. Two connections replacing the function at once: the
            // other's is the same.
            Err(e)
                if [
                    SqlState::UNIQUE_VIOLATION,
                    SqlState::DUPLICATE_TABLE,
                    SqlState::DUPLICATE_SCHEMA,
                    SqlState::DUPLICATE_OBJECT,
                ]
                .iter()
                .any(|c| e.code() == Some(c))
                    || e.as_db_error()
                        .is_some_and(|db| db.message() == "tuple concurrently updated") => {}
            other => other?,
        }
    }
    Ok(())
}

/// Checks that `qualified_table` exists (with `CREATE_TABLE` off, nothing
/// creates it).
///
/// # Errors
///
/// [`ErrorKind::MissingTable`]; PostgreSQL errors.
pub(super) fn require_table(conn: &mut PgConnection, qualified_table: &str) -> Result<()> {
    let row = conn
        .client
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&qualified_table])?;
    if row.try_get::<_, bool>(0)? {
        Ok(())
    } else {
        Err(ErrorKind::MissingTable {
            table: qualified_table.to_owned(),
        }
        .into())
    }
}

/// The storage parameters of the Python library's tables.
pub(super) const TABLE_PARAMETERS: &str = "WITH (autovacuum_enabled = true, autovacuum_vacuum_threshold = 100000000, \
     autovacuum_vacuum_scale_factor = 0.5, autovacuum_analyze_threshold = 1000, \
     autovacuum_analyze_scale_factor = 0.01)";

/// The name of the recorder's insert function for the events table
/// `table`, quoted: `<table>_insert_events`, or `None` when that is longer
/// than the 63 bytes PostgreSQL keeps (it would be cut, and two tables
/// could share one function). A version that changes the function's
/// parameters or result must give it another name: `CREATE OR REPLACE`
/// cannot change a function's result type, and stores made by this version
/// keep this one.
pub(super) fn insert_function_name(table: &str) -> Option<String> {
    let name = format!("{table}_insert_events");
    if name.len() > 63 {
        return None;
    }
    crate::sql::quote_identifier("function", &name).ok()
}

/// The recorder's insert function for the events table: in one call (one
/// round trip, committed as it returns), the table's lock (within the lock
/// timeout given as `$5`, when not NULL), [`insert_statement`](super::insert_statement), and the
/// notification of the table's channel when it inserted; it returns what
/// [`insert_statement`](super::insert_statement) returns. `None` when the body's quoting tag is in
/// a name (it cannot then be quoted).
pub(super) fn insert_function(names: &QuotedNames, function: &str) -> Option<String> {
    const TAG: &str = "$eventsmith_insert$";
    let QuotedNames {
        schema,
        qualified_table,
        channel,
        ..
    } = names;
    let body = format!(
        "DECLARE r record; \
         BEGIN \
         IF $5 IS NOT NULL THEN PERFORM set_config('lock_timeout', $5, true); END IF; \
         LOCK TABLE {qualified_table} IN EXCLUSIVE MODE; \
         {} SELECT {INSERT_RESULT} INTO r FROM base, counted, last; \
         IF r.gap_id IS NULL THEN NOTIFY {channel}; END IF; \
         RETURN QUERY SELECT r.n, r.last, r.gap_id, r.gap_version, r.gap_stored; \
         END",
        insert_ctes(qualified_table)
    );
    (!body.contains(TAG)).then(|| {
        format!(
            "CREATE OR REPLACE FUNCTION {schema}.{function}(uuid[], bigint[], text[], bytea[], text) \
             RETURNS TABLE (o_n bigint, o_last bigint, o_gap_id uuid, o_gap_version bigint, \
             o_gap_stored bigint) LANGUAGE plpgsql AS {TAG}{body}{TAG}"
        )
    })
}

impl PostgresRecorder {
    /// Creates the schema, the events table and its index, and Python's
    /// composite type and insert function, when missing.
    ///
    /// Returns the insert function's name, when it was made.
    pub(super) fn create_table(
        names: &QuotedNames,
        lock_timeout: Option<Duration>,
        function: Option<String>,
        conn: &mut PgConnection,
    ) -> Result<Option<String>> {
        let QuotedNames {
            schema,
            index,
            qualified_table,
            channel,
            ..
        } = names;
        // The Python library's body, word for word, with its lock timeout in
        // whole seconds where it is whole (Python's is an `int`).
        let lock_timeout = match lock_timeout.unwrap_or_default() {
            t if t.subsec_nanos() == 0 => format!("{}s", t.as_secs()),
            t => format!("{}ms", t.as_millis().max(1)),
        };
        let statements = [
            format!("CREATE SCHEMA IF NOT EXISTS {schema}"),
            // As the Python library's PostgresApplicationRecorder creates it.
            format!(
                "CREATE TABLE IF NOT EXISTS {qualified_table} (originator_id uuid NOT NULL, \
                 originator_version bigint NOT NULL, topic text, state bytea, \
                 notification_id bigserial, PRIMARY KEY (originator_id, originator_version)) \
                 {TABLE_PARAMETERS}"
            ),
            format!(
                "CREATE UNIQUE INDEX IF NOT EXISTS {index} ON {qualified_table} (notification_id ASC)"
            ),
            stored_event_type(schema),
            // Python's `es_insert_events_uuid`, which its services call with
            // `POSTGRES_ENABLE_DB_FUNCTIONS=y`. One per schema, as Python
            // names it: the last application to create it in a schema is
            // the one whose table it inserts into, as in Python.
            format!(
                concat!(
                    "CREATE OR REPLACE FUNCTION {schema}.\"es_insert_events_uuid\"",
                    "(events {schema}.\"stored_event_uuid\"[]) ",
                    "RETURNS SETOF bigint ",
                    "LANGUAGE plpgsql ",
                    "AS ",
                    "$BODY$",
                    "BEGIN",
                    "    SET LOCAL lock_timeout = '{lock_timeout}';",
                    "    NOTIFY {channel};",
                    "    RETURN QUERY",
                    "    INSERT INTO {table} AS t (",
                    "    originator_id, originator_version, topic, state)",
                    "    SELECT originator_id, originator_version, topic, state",
                    "    FROM unnest(events)",
                    "    RETURNING notification_id;",
                    "END;",
                    "$BODY$",
                ),
                schema = schema,
                lock_timeout = lock_timeout,
                channel = channel,
                table = qualified_table,
            ),
        ];
        create(conn, &statements)?;
        let Some((function, sql)) =
            function.and_then(|f| insert_function(names, &f).map(|sql| (f, sql)))
        else {
            return Ok(None);
        };
        create(conn, &[sql])?;
        Ok(Some(function))
    }

    /// Whether the insert function `function` exists in the schema, for
    /// a recorder that creates nothing: without it, a save takes three
    /// round trips rather than one.
    pub(super) fn has_function(
        conn: &mut PgConnection,
        schema: &str,
        function: &str,
    ) -> Result<bool> {
        let signature = format!("{schema}.{function}(uuid[], bigint[], text[], bytea[], text)");
        let row = conn
            .client
            .query_one("SELECT to_regprocedure($1) IS NOT NULL", &[&signature])?;
        Ok(row.try_get(0)?)
    }
}
