//! What a use case can refuse or fail with, in the domain's words. Each front door turns it
//! into its own answer: the HTTP API into problem+json (one `From` in `error.rs`), the SIP
//! door into a status, the Pexip endpoint into `reject`.

/// Why a use case did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input is not valid; the message says what to change.
    #[error("{0}")]
    Invalid(String),
    /// A Video ID that is malformed or fails its check digit (tested before any lookup).
    #[error("video_id: {0}")]
    BadVideoId(String),
    /// No live meeting behind a dial string: unknown, expired, cancelled, another tenant's
    /// or another provider's are one answer, so the reply tells a guesser nothing.
    #[error("no live meeting matches this dial string")]
    UnknownMeeting,
    /// Something the caller names does not exist in their tenant.
    #[error("{0}")]
    NotFound(String),
    /// The caller's role, app or ownership does not allow this.
    #[error("{0}")]
    NotAllowed(String),
    /// The state of the tenant forbids it (a cancelled meeting, a key taken).
    #[error("{0}")]
    Conflict(String),
    /// The organizer's effective policy issues nothing: the policy and why.
    #[error("policy {0} issues no coordinates")]
    PolicyDisabled(String),
    /// The policy names a provider the tenant has not configured.
    #[error("provider {0} is not configured")]
    ProviderMissing(String),
    /// The provider's partner apps lack admin consent.
    #[error("the {provider} partner apps lack admin consent ({})", missing.join(", "))]
    ConsentMissing {
        provider: String,
        missing: Vec<String>,
    },
    /// Too many; retry after this many seconds.
    #[error("too many requests; retry after {0} seconds")]
    RateLimited(u64),
    /// A dependency (the database, Microsoft Graph) is not there now; retrying may work.
    #[error("{0}")]
    Unavailable(String),
    /// A bug or a broken invariant; the detail goes to the log only.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Shorthand for use-case results.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// True when the database is (perhaps briefly) not there, rather than the request wrong:
/// the client may retry. SQLSTATE classes 08 (connection exception) and 57 (operator
/// intervention, e.g. a server shutting down) on PostgreSQL.
fn database_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Io(_) => true,
        sqlx::Error::Database(d) => d
            .code()
            .is_some_and(|c| c.starts_with("08") || c.starts_with("57")),
        _ => false,
    }
}

/// True when a write lost to a concurrent one on a unique key (two grants of one rank, say).
pub fn unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

impl From<&sqlx::Error> for Error {
    fn from(e: &sqlx::Error) -> Self {
        if database_unavailable(e) {
            // The database's own words stay in the log: they name hosts, users and states.
            tracing::warn!(error = %e, "database unavailable");
            Error::Unavailable("the database is unavailable; retry in a moment".into())
        } else if unique_violation(e) {
            Error::Conflict(
                "a concurrent change took the same value first; read the current state and retry"
                    .into(),
            )
        } else {
            Error::Internal(e.to_string())
        }
    }
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Error::from(&e)
    }
}

impl From<cvi_store::writes::WriteError> for Error {
    fn from(e: cvi_store::writes::WriteError) -> Self {
        match e {
            // Shared by every caller of the failed batch.
            cvi_store::writes::WriteError::Db(e) => Error::from(&*e),
            e @ cvi_store::writes::WriteError::WriterGone => Error::Unavailable(e.to_string()),
        }
    }
}
