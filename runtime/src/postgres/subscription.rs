//! Subscriptions to a PostgreSQL log: a connection of their own that
//! listens on the table's channel before it catches up.

use super::*;

/// How long a PostgreSQL subscription waits on its connection at a time
/// before it looks whether it was stopped.
pub(crate) const PG_WAIT_SLICE: Duration = Duration::from_millis(100);

impl PostgresRecorder {
    /// Subscribes as [`ApplicationRecorder::subscribe`] does, running
    /// `after_listen` once, when the subscription's connection first
    /// listens and before it catches up: for tests that commit in between.
    ///
    /// The subscription has a connection of its own (not from the pool),
    /// on which it runs `LISTEN` on the table's channel (every insert,
    /// the Python library's too, notifies it on commit) before it selects
    /// anything, so that a commit can never fall between what it selected
    /// and what it is told of. After each notification it selects the ids
    /// above the last in sections. It waits on the connection
    /// [`PG_WAIT_SLICE`] at a time, to notice a stop. When the connection
    /// is lost it connects again (within `POSTGRES_CONNECT_TIMEOUT`),
    /// listens, and selects from the last id it yielded: nothing is
    /// missed or repeated.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Postgres`] when the subscription's connection cannot be
    /// made within `POSTGRES_CONNECT_TIMEOUT`, or `LISTEN` fails.
    #[doc(hidden)]
    pub fn subscribe_after_listen(
        &self,
        gt: Option<u64>,
        topics: &[&str],
        after_listen: Box<dyn FnOnce() + Send>,
    ) -> Result<Subscription> {
        let mut source = PgSource {
            manager: Manager::new(&self.config)?,
            connect_timeout: self.config.connect_timeout,
            listen: format!("LISTEN {}", self.names.channel),
            table: self.names.qualified_table.clone(),
            conn: None,
            after_listen: Some(after_listen),
        };
        // Listening from now: what is committed before the first `next()`
        // is caught up with then.
        blocking::outside_async(|| source.connection().map(drop))?;
        Ok(Subscription::new(Box::new(source), None, gt, topics))
    }
}

/// Reads a PostgreSQL log for a subscription, and listens for its commits.
struct PgSource {
    manager: Manager,
    connect_timeout: Duration,
    /// `LISTEN <channel>`.
    listen: String,
    table: String,
    /// The connection, listening, with the select prepared when it was.
    conn: Option<(Client, Option<(String, Statement)>)>,
    after_listen: Option<Box<dyn FnOnce() + Send>>,
}

impl PgSource {
    /// The listening connection: the one open, or a new one that listens
    /// (and then runs the hook, the first time).
    fn connection(&mut self) -> Result<&mut (Client, Option<(String, Statement)>)> {
        if self
            .conn
            .as_ref()
            .is_some_and(|(client, _)| client.is_closed())
        {
            self.conn = None;
        }
        let conn = match self.conn.take() {
            Some(conn) => conn,
            None => {
                let mut conn = self.manager.open_within(self.connect_timeout)?;
                conn.client.batch_execute(&self.listen)?;
                if let Some(hook) = self.after_listen.take() {
                    hook();
                }
                (conn.client, None)
            }
        };
        Ok(self.conn.insert(conn))
    }

    fn try_select(&mut self, query: &NotificationQuery) -> Result<Vec<Notification>, Failure> {
        let table = self.table.clone();
        let (client, prepared) = self.connection()?;
        let sql = notifications_sql(&table, query);
        let statement = match prepared {
            Some((prepared_sql, statement)) if *prepared_sql == sql => statement.clone(),
            _ => {
                let statement = client.prepare(&sql)?;
                *prepared = Some((sql, statement.clone()));
                statement
            }
        };
        fetch_notifications(client, &statement, query)
    }
}

impl Drop for PgSource {
    fn drop(&mut self) {
        // Closing the listening connection is a call into the driver.
        blocking::drop_outside_async(self.conn.take());
    }
}

/// Each call steps out of a tokio runtime the caller may be driving (see
/// `blocking`).
impl Source for PgSource {
    fn arm(&mut self) -> Result<()> {
        blocking::outside_async(|| self.arm_here())
    }

    fn select(&mut self, query: &NotificationQuery) -> Result<Vec<Notification>> {
        blocking::outside_async(|| self.select_here(query))
    }

    fn wait(&mut self, stopped: &AtomicBool) -> Result<()> {
        blocking::outside_async(|| self.wait_here(stopped))
    }
}

impl PgSource {
    fn arm_here(&mut self) -> Result<()> {
        // Notifications already received are of commits the select will see.
        let (client, _) = self.connection()?;
        let mut pending = client.notifications();
        let mut drained = pending.iter();
        while drained.next()?.is_some() {}
        Ok(())
    }

    fn select_here(&mut self, query: &NotificationQuery) -> Result<Vec<Notification>> {
        match self.try_select(query) {
            Ok(section) => Ok(section),
            Err(Failure::Postgres { error, .. }) if is_disconnect(&error) => {
                // Connect and listen again, then select from the same id.
                self.conn = None;
                self.try_select(query).map_err(|failure| match failure {
                    Failure::Postgres { error, .. } => Error::from(error),
                    Failure::Other(error) => error,
                })
            }
            Err(Failure::Postgres { error, .. }) => Err(Error::from(error)),
            Err(Failure::Other(error)) => Err(error),
        }
    }

    fn wait_here(&mut self, stopped: &AtomicBool) -> Result<()> {
        while !stopped.load(Ordering::SeqCst) {
            let Some((client, _)) = self.conn.as_mut() else {
                // Lost: a select will connect, listen, and catch up.
                return Ok(());
            };
            let woken = client.notifications().timeout_iter(PG_WAIT_SLICE).next();
            let closed = client.is_closed();
            match woken {
                Ok(Some(_)) => return Ok(()),
                Ok(None) if closed => self.conn = None,
                Ok(None) => {}
                Err(error) if closed || is_disconnect(&error) => self.conn = None,
                Err(error) => return Err(Error::from(error)),
            }
        }
        Ok(())
    }
}
