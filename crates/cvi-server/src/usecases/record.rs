//! The record of what happened: the audit log, filtered and paged, and the console's
//! counts of coordinates issued and resolutions per day (admins).

use cvi_core::api::{endpoints::AuditQuery, DailySeries, DailyStats};
use cvi_core::times::{format_ms, parse_ms_or_day};
use cvi_store::{daily_stats, db::now_ms};

use super::{Caller, Context, Error, Result, Role};

/// The audit log's page, with its records as JSON.
pub type AuditPage = cvi_core::api::AuditPage<serde_json::Value>;
type AuditEntry = cvi_core::api::AuditEntry<serde_json::Value>;

/// A filter's time: RFC 3339, or a UTC day (`end_of_day`: the midnight after it).
fn time(field: &str, s: &str, end_of_day: bool) -> Result<i64> {
    parse_ms_or_day(s, end_of_day).map_err(|e| Error::Invalid(format!("{field}: {e}")))
}

/// A page of the audit log, newest first, filtered by actor, action prefix and time.
pub async fn audit_page(cx: &Context, caller: &Caller, p: &AuditQuery) -> Result<AuditPage> {
    caller.require(Role::Admin)?;
    let limit = p.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(Error::Invalid("limit must be between 1 and 500".into()));
    }
    let json = |v: Option<String>| v.and_then(|s| serde_json::from_str(&s).ok());
    fn text(v: &Option<String>) -> Option<&str> {
        v.as_deref().map(str::trim).filter(|v| !v.is_empty())
    }
    for (name, v) in [("actor", &p.actor), ("action", &p.action)] {
        if text(v).is_some_and(|v| v.len() > 256 || v.chars().any(char::is_control)) {
            return Err(Error::Invalid(format!(
                "{name}: at most 256 characters, no control characters"
            )));
        }
    }
    let filter = cvi_store::audit::Filter {
        actor: text(&p.actor),
        action: text(&p.action),
        since_ms: text(&p.since)
            .map(|v| time("since", v, false))
            .transpose()?,
        until_ms: text(&p.until).map(|v| time("until", v, true)).transpose()?,
    };
    let mut entries: Vec<AuditEntry> = cvi_store::audit::page(
        &cx.db,
        &caller.tenant,
        p.before.as_deref(),
        limit + 1,
        &filter,
    )
    .await?
    .into_iter()
    .map(|r| AuditEntry {
        id: r.id,
        at: r.at,
        actor: r.actor,
        action: r.action,
        target: r.target,
        before: json(r.before),
        after: json(r.after),
    })
    .collect();
    let next = (entries.len() > limit as usize).then(|| {
        entries.truncate(limit as usize);
        entries.last().map(|e| e.id.clone()).unwrap_or_default()
    });
    Ok(AuditPage { entries, next })
}

/// Coordinates issued and resolutions per UTC day and provider over the last `days`
/// (1-90, default 30), today included.
pub async fn daily(cx: &Context, caller: &Caller, days: Option<u32>) -> Result<DailyStats> {
    caller.require(Role::Admin)?;
    let days = days.unwrap_or(30);
    if !(1..=90).contains(&days) {
        return Err(Error::Invalid("days must be between 1 and 90".into()));
    }
    let today = daily_stats::day_of(now_ms());
    let first = today - i64::from(days) + 1;
    let counts = daily_stats::since(&cx.db, &caller.tenant, first).await?;
    let mut series: Vec<DailySeries> = Vec::new();
    for c in counts.into_iter().filter(|c| c.day <= today) {
        let i = match series
            .iter()
            .position(|x| x.metric == c.metric && x.provider == c.provider)
        {
            Some(i) => i,
            None => {
                series.push(DailySeries {
                    metric: c.metric.clone(),
                    provider: c.provider.clone(),
                    counts: vec![0; days as usize],
                });
                series.len() - 1
            }
        };
        series[i].counts[(c.day - first) as usize] += u64::try_from(c.count).unwrap_or(0);
    }
    series.sort_by(|a, b| (&a.metric, &a.provider).cmp(&(&b.metric, &b.provider)));
    Ok(DailyStats {
        days: (first..=today)
            .map(|d| format_ms(d * 86_400_000)[..10].to_string())
            .collect(),
        series,
    })
}
