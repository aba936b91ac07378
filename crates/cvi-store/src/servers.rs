//! `servers`: one row per running server, refreshed by its heartbeat.

use crate::db::Db;

/// Records that server `id` is alive at `now_ms`, forgets servers silent for a minute, and
/// counts those seen within `window_ms` (this one included).
pub async fn heartbeat(db: &Db, id: &str, now_ms: i64, window_ms: i64) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "INSERT INTO servers (id, seen_at) VALUES ($1, $2) \
         ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at",
    )
    .bind(id)
    .bind(now_ms)
    .execute(db)
    .await?;
    sqlx::query("DELETE FROM servers WHERE seen_at < $1")
        .bind(now_ms - 60_000)
        .execute(db)
        .await?;
    sqlx::query_scalar("SELECT COUNT(*) FROM servers WHERE seen_at >= $1")
        .bind(now_ms - window_ms)
        .fetch_one(db)
        .await
}
