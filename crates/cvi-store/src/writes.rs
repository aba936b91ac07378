//! Writing to the database: write transactions, and group commit for coordinate issuance.
//!
//! Issuance is the one write on the hot path (every scheduled meeting). The calls that
//! arrive while a batch is being written wait together and go into the next transaction
//! as one multi-row INSERT plus one multi-row audit INSERT. A caller gets its answer only
//! after the COMMIT that holds its row, so an acknowledged issuance is durable; on
//! PostgreSQL one commit (one fsync) covers the batch.

use std::sync::Arc;

use sqlx::Row;
use tokio::sync::{mpsc, oneshot, Mutex, OwnedMutexGuard};

use prometheus_client::metrics::histogram::Histogram;

use crate::{
    audit::{self, Entry},
    daily_stats,
    db::{now_ms, values_placeholders, Db},
};

/// At most this many issuances share a transaction (14 bound values a row keeps a batch
/// far below SQLite's and PostgreSQL's limits on bound parameters).
const MAX_BATCH: usize = 128;
/// Callers waiting for the writer; more wait on the channel (backpressure, not errors).
const QUEUE: usize = 1024;

/// Starts write transactions and runs the issuance writer. Cheap to clone.
#[derive(Clone)]
pub struct Writes {
    db: Db,
    /// SQLite needs `BEGIN IMMEDIATE` and one writer at a time (see [`Writes::begin`]).
    sqlite: bool,
    turn: Arc<Mutex<()>>,
    issue_tx: mpsc::Sender<Job>,
    /// Issuances per transaction (the server registers it as a metric).
    batch_sizes: Histogram,
}

/// A new meeting row, with everything the INSERT and its audit record need.
#[derive(Debug, Clone)]
pub struct NewMeeting {
    pub tenant: String,
    pub meeting_key: String,
    pub organizer: String,
    /// The organizer's immutable object id (`oid`), when the token carried one.
    pub organizer_oid: Option<String>,
    pub provider: String,
    pub tenant_key: String,
    pub video_id: String,
    pub subject: Option<String>,
    pub lang: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub expires_at: i64,
    pub teams_join_url: Option<String>,
    /// Who asked, for the audit log.
    pub actor: String,
    /// The tenant's configuration version the decision to issue was made with; the row
    /// goes in only if it is still the version at commit.
    pub config_version: i64,
}

/// What happened to one issuance in its batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    /// The row is committed.
    Yes,
    /// Nothing was written: the meeting key already exists (possibly issued by a
    /// concurrent call in the same batch) or the Video ID is taken. The caller looks.
    Conflict,
    /// Nothing was written: the tenant's providers, consents or grants changed after the
    /// decision (a revocation racing the issuance). The caller decides again.
    Stale,
}

struct Job {
    meeting: NewMeeting,
    reply: oneshot::Sender<Result<Inserted, Arc<sqlx::Error>>>,
}

impl Writes {
    /// Must be called inside a Tokio runtime: it spawns the issuance writer.
    /// Whether the database is SQLite (one writer) rather than PostgreSQL.
    pub fn is_sqlite(&self) -> bool {
        self.sqlite
    }

    pub fn start(db: Db, sqlite: bool, batch_sizes: Histogram) -> Writes {
        let (issue_tx, rx) = mpsc::channel(QUEUE);
        let w = Writes {
            db,
            sqlite,
            turn: Arc::default(),
            issue_tx,
            batch_sizes,
        };
        tokio::spawn(issue_writer(w.clone(), rx));
        w
    }

    /// Starts a transaction that will write.
    ///
    /// On SQLite, writers take turns in this process first (one SQLite database has one
    /// writer anyway) and then take the write lock up front with `BEGIN IMMEDIATE`: a deferred
    /// transaction that reads first and writes later fails with SQLITE_BUSY at once when
    /// another writer got in between, and waiting in SQLite's busy handler means sleeping
    /// in steps of up to 100 ms, which is what p99 latency showed before the queue.
    pub async fn begin(&self) -> Result<WriteTx, sqlx::Error> {
        if self.sqlite {
            let guard = self.turn.clone().lock_owned().await;
            let tx = self.db.begin_with("BEGIN IMMEDIATE").await?;
            Ok(WriteTx {
                tx,
                _turn: Some(guard),
            })
        } else {
            Ok(WriteTx {
                tx: self.db.begin().await?,
                _turn: None,
            })
        }
    }

    /// Inserts a new meeting (and its audit record) in the next group commit.
    pub async fn issue(&self, meeting: NewMeeting) -> Result<Inserted, WriteError> {
        let (reply, answer) = oneshot::channel();
        self.issue_tx
            .send(Job { meeting, reply })
            .await
            .map_err(|_| WriteError::WriterGone)?;
        answer
            .await
            .map_err(|_| WriteError::WriterGone)?
            .map_err(WriteError::Db)
    }
}

/// Why a group-committed write failed.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("the issuance writer has stopped; restart the server")]
    WriterGone,
    #[error("{0}")]
    Db(Arc<sqlx::Error>),
}

/// Takes the first waiting issuance, everything queued behind it (up to [`MAX_BATCH`]),
/// writes them in one transaction and answers each caller.
async fn issue_writer(w: Writes, mut rx: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        w.batch_sizes.observe(batch.len() as f64);
        let meetings: Vec<&NewMeeting> = batch.iter().map(|j| &j.meeting).collect();
        let result = write_batch(&w, &meetings).await;
        drop(meetings);
        match result {
            Ok(inserted) => {
                for (job, outcome) in batch.drain(..).zip(inserted) {
                    let _ = job.reply.send(Ok(outcome));
                }
            }
            Err(e) => {
                tracing::error!("issuance batch of {} failed: {e}", batch.len());
                let e = Arc::new(e);
                for job in batch.drain(..) {
                    let _ = job.reply.send(Err(e.clone()));
                }
            }
        }
    }
}

/// One transaction: the configuration versions checked, the rows that do not conflict,
/// then their audit records. Says what happened to each meeting.
async fn write_batch(w: &Writes, all: &[&NewMeeting]) -> Result<Vec<Inserted>, sqlx::Error> {
    let now = now_ms();
    let mut tx = w.begin().await?;
    // Each tenant's version once per batch (a batch holds few tenants).
    let mut checked: Vec<(&str, i64, bool)> = Vec::new();
    let mut current = Vec::with_capacity(all.len());
    for m in all {
        let ok = match checked
            .iter()
            .find(|(t, v, _)| *t == m.tenant && *v == m.config_version)
        {
            Some((_, _, ok)) => *ok,
            None => {
                let ok =
                    crate::tenant_config::still_at(&mut tx, &m.tenant, m.config_version).await?;
                checked.push((&m.tenant, m.config_version, ok));
                ok
            }
        };
        current.push(ok);
    }
    let meetings: Vec<&NewMeeting> = all
        .iter()
        .zip(&current)
        .filter(|(_, ok)| **ok)
        .map(|(m, _)| *m)
        .collect();
    if meetings.is_empty() {
        tx.commit().await?;
        return Ok(vec![Inserted::Stale; all.len()]);
    }
    let sql = format!(
        "INSERT INTO meetings (tenant_id, meeting_key, organizer, provider, tenant_key, video_id, subject, lang, \
         starts_at, ends_at, expires_at, teams_join_url, cancelled, created_at, updated_at, organizer_oid) VALUES {} \
         ON CONFLICT DO NOTHING RETURNING tenant_id, meeting_key, video_id",
        values_placeholders(&tx, meetings.len(), 16)
    );
    // One statement text per batch size: kept out of the connection's statement cache,
    // where up to 2 × MAX_BATCH variants would push out the hot read queries.
    let mut q = sqlx::query(&sql).persistent(false);
    for m in &meetings {
        q = q
            .bind(&m.tenant)
            .bind(&m.meeting_key)
            .bind(&m.organizer)
            .bind(&m.provider)
            .bind(&m.tenant_key)
            .bind(&m.video_id)
            .bind(m.subject.clone())
            .bind(&m.lang)
            .bind(m.starts_at)
            .bind(m.ends_at)
            .bind(m.expires_at)
            .bind(m.teams_join_url.clone())
            .bind(0_i64)
            .bind(now)
            .bind(now)
            .bind(m.organizer_oid.clone());
    }
    let mut inserted = vec![false; meetings.len()];
    for r in q.fetch_all(&mut *tx).await? {
        let (t, k, v): (String, String, String) = (
            r.try_get("tenant_id")?,
            r.try_get("meeting_key")?,
            r.try_get("video_id")?,
        );
        // A key may be in the batch twice (concurrent retries with different Video IDs):
        // the row names the one that got in.
        if let Some(i) = (0..meetings.len()).find(|&i| {
            !inserted[i]
                && meetings[i].tenant == t
                && meetings[i].meeting_key == k
                && meetings[i].video_id == v
        }) {
            inserted[i] = true;
        }
    }
    let audited: Vec<Entry> = meetings
        .iter()
        .zip(&inserted)
        .filter(|(_, yes)| **yes)
        .map(|(m, _)| Entry {
            tenant: &m.tenant,
            actor: &m.actor,
            action: "meeting.issue",
            target: &m.meeting_key,
            before: None,
            after: serde_json::to_string(&m.video_id).ok(),
        })
        .collect();
    audit::record_all(&mut tx, now, &audited).await?;
    // Issued per tenant and provider today, for the console's chart: counted where the rows
    // are written, so the figure is exact.
    let mut issued: Vec<daily_stats::Add> = Vec::new();
    for m in meetings
        .iter()
        .zip(&inserted)
        .filter(|(_, yes)| **yes)
        .map(|(m, _)| m)
    {
        match issued
            .iter_mut()
            .find(|a| a.tenant == m.tenant && a.provider == m.provider)
        {
            Some(a) => a.count += 1,
            None => issued.push(daily_stats::Add {
                tenant: &m.tenant,
                day: daily_stats::day_of(now),
                provider: &m.provider,
                metric: daily_stats::Metric::Issued,
                count: 1,
            }),
        }
    }
    daily_stats::add(&mut tx, &issued).await?;
    tx.commit().await?;
    let mut inserted = inserted.into_iter();
    Ok(current
        .iter()
        .map(|ok| match (ok, ok.then(|| inserted.next()).flatten()) {
            (false, _) => Inserted::Stale,
            (true, Some(true)) => Inserted::Yes,
            (true, _) => Inserted::Conflict,
        })
        .collect())
}

/// A writing transaction (and, on SQLite, this process's writer turn until it ends).
pub struct WriteTx {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    _turn: Option<OwnedMutexGuard<()>>,
}

impl WriteTx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}

impl std::ops::Deref for WriteTx {
    type Target = sqlx::AnyConnection;
    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

/// What tests of issuance writes start from (here and in the server's issuance tests).
#[cfg(any(test, feature = "testing"))]
pub mod testing {
    use super::*;

    /// Group commit on a fresh SQLite file (kept until the `TempDir` drops).
    pub async fn writes() -> (tempfile::TempDir, Db, Writes) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("w.db").display());
        let db = crate::db::connect(&url).await.unwrap();
        let w = Writes::start(db.clone(), true, Histogram::new([1.0, 2.0, 4.0]));
        (dir, db, w)
    }

    /// A Polycom meeting of tenant `t1`.
    pub fn meeting(key: &str, video_id: &str, expires_at: i64) -> NewMeeting {
        NewMeeting {
            tenant: "t1".into(),
            meeting_key: key.into(),
            organizer: "o@t1.example".into(),
            organizer_oid: None,
            provider: "Polycom".into(),
            tenant_key: "813878896@t.plcm.vc".into(),
            video_id: video_id.into(),
            subject: Some("Review".into()),
            lang: "en".into(),
            starts_at: 1,
            ends_at: 2,
            expires_at,
            teams_join_url: None,
            actor: "o@t1.example".into(),
            config_version: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{testing::writes, *};

    fn meeting(key: &str, video_id: &str) -> NewMeeting {
        testing::meeting(key, video_id, 3)
    }

    async fn count(w: &Writes, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(&w.db).await.unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn many_concurrent_issuances_all_land_with_their_audit_records() {
        let (_dir, _db, w) = writes().await;
        // More than one batch's worth, all queued at once.
        let n = MAX_BATCH * 3 + 7;
        let tasks: Vec<_> = (0..n)
            .map(|i| {
                let w = w.clone();
                tokio::spawn(async move {
                    w.issue(meeting(&format!("k{i}"), &format!("{i:010}")))
                        .await
                })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap(), Inserted::Yes);
        }
        assert_eq!(count(&w, "SELECT COUNT(*) FROM meetings").await, n as i64);
        assert_eq!(
            count(
                &w,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'meeting.issue'"
            )
            .await,
            n as i64
        );
        // Every issuance is counted in exactly one batch.
        let mut registry = prometheus_client::registry::Registry::default();
        registry.register("batch", "sizes", w.batch_sizes.clone());
        let mut metrics = String::new();
        prometheus_client::encoding::text::encode(&mut metrics, &registry).unwrap();
        assert!(metrics.contains(&format!("batch_sum {n}.0")), "{metrics}");
        let updated: i64 = count(
            &w,
            "SELECT COUNT(*) FROM meetings WHERE updated_at = created_at AND cancelled = 0",
        )
        .await;
        assert_eq!(updated, n as i64);
    }

    /// A decision made with an older configuration does not commit: the caller is told to
    /// decide again, and nothing is written (a revocation that committed first wins).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_issuance_decided_on_an_old_configuration_writes_nothing() {
        let (_dir, _db, w) = writes().await;
        let mut tx = w.begin().await.unwrap();
        crate::tenant_config::changed(&mut tx, "t1").await.unwrap();
        tx.commit().await.unwrap();
        let at = |key: &str, id: &str, v: i64| NewMeeting {
            config_version: v,
            ..meeting(key, id)
        };
        assert_eq!(
            w.issue(at("a", "1111111111", 1)).await.unwrap(),
            Inserted::Yes
        );
        // The grant is revoked (the version moves on) between decision and commit.
        let mut tx = w.begin().await.unwrap();
        crate::tenant_config::changed(&mut tx, "t1").await.unwrap();
        tx.commit().await.unwrap();
        // Both in one batch: the stale one is refused, the current one lands.
        let turn = w.begin().await.unwrap();
        let (a, b) = (w.clone(), w.clone());
        let stale = tokio::spawn(async move { a.issue(at("b", "2222222222", 1)).await });
        let fresh = tokio::spawn(async move { b.issue(at("c", "3333333333", 2)).await });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        turn.rollback().await.unwrap();
        assert_eq!(stale.await.unwrap().unwrap(), Inserted::Stale);
        assert_eq!(fresh.await.unwrap().unwrap(), Inserted::Yes);
        assert_eq!(
            count(&w, "SELECT COUNT(*) FROM meetings WHERE meeting_key = 'b'").await,
            0
        );
        assert_eq!(
            count(&w, "SELECT COUNT(*) FROM audit_log WHERE target = 'b'").await,
            0
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_key_twice_gets_one_row_and_a_taken_video_id_writes_nothing() {
        let (_dir, _db, w) = writes().await;
        // Hold the writer's turn so both calls queue up and land in one batch.
        let turn = w.begin().await.unwrap();
        let (a, b) = (w.clone(), w.clone());
        let first = tokio::spawn(async move { a.issue(meeting("same", "1111111111")).await });
        let second = tokio::spawn(async move { b.issue(meeting("same", "2222222222")).await });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        turn.rollback().await.unwrap();
        let results = [
            first.await.unwrap().unwrap(),
            second.await.unwrap().unwrap(),
        ];
        assert_eq!(
            results.iter().filter(|r| **r == Inserted::Yes).count(),
            1,
            "{results:?}"
        );
        let stored: String =
            sqlx::query_scalar("SELECT video_id FROM meetings WHERE meeting_key = 'same'")
                .fetch_one(&w.db)
                .await
                .unwrap();
        let winner = if results[0] == Inserted::Yes {
            "1111111111"
        } else {
            "2222222222"
        };
        assert_eq!(
            stored, winner,
            "the caller told Yes is the one whose Video ID is stored"
        );

        // Another key with a Video ID a live meeting holds: refused, nothing written.
        assert_eq!(
            w.issue(meeting("other", winner)).await.unwrap(),
            Inserted::Conflict
        );
        assert_eq!(count(&w, "SELECT COUNT(*) FROM meetings").await, 1);
        assert_eq!(count(&w, "SELECT COUNT(*) FROM audit_log").await, 1);
    }
}
