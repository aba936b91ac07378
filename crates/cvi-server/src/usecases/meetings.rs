//! Meetings: issue coordinates for a meeting key (idempotent, also under concurrent
//! calls), find, show, update times, cancel. The Outlook pane, the Teams tab's events and
//! (next) Graph notifications all issue through [`issue`].

use cvi_core::api::{IssueRequest, Meeting, UpdateRequest};
use cvi_core::{
    invite::{self, Lang},
    meeting::{self, MeetingError, MeetingKey, Schedule},
    times::{format_ms, parse_ms},
    Coordinates, ProviderName, VideoId,
};
use cvi_store::{
    self as store, audit,
    meetings::StoredMeeting,
    writes::{Inserted, NewMeeting, Writes},
};

use super::{policy::effective, Caller, Context, Error, Result, Role};

/// Decisions made for one issuance while the tenant's configuration keeps changing.
const MAX_DECISIONS: u32 = 3;
/// Collisions in 10^9 IDs are rare; this many in a row means something is wrong.
const MAX_ID_ATTEMPTS: usize = 8;

/// Whether [`issue`] drew new coordinates or found those the key already had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Issued {
    New,
    Existing,
}

/// Unix milliseconds of the RFC 3339 time in `field`.
pub fn time(field: &str, s: &str) -> Result<i64> {
    parse_ms(s).map_err(|e| Error::Invalid(format!("{field}: {e}")))
}

fn optional_time(field: &str, s: Option<&str>) -> Result<Option<i64>> {
    s.map(|v| time(field, v)).transpose()
}

fn invalid(e: MeetingError) -> Error {
    Error::Invalid(e.to_string())
}

pub(super) fn valid_key(k: &str) -> Result<()> {
    MeetingKey::parse(k).map(drop).map_err(invalid)
}

pub(super) fn valid_subject(s: Option<&str>) -> Result<Option<String>> {
    meeting::subject(s).map_err(invalid)
}

fn lang(s: Option<&str>) -> Result<Lang> {
    match s {
        None => Ok(Lang::En),
        Some(l) => Lang::parse(l)
            .ok_or_else(|| Error::Invalid(format!("lang {l:?} is not one of en, de, fr, es, ja"))),
    }
}

/// A Teams join link as the API accepts it.
pub fn join_url(s: Option<&str>) -> Result<Option<String>> {
    s.map(meeting::teams_join_url).transpose().map_err(invalid)
}

pub(super) fn times(start: i64, end: i64, series_end: Option<i64>) -> Result<Schedule> {
    Schedule::new(start, end, series_end).map_err(invalid)
}

/// A stored meeting as the API shows it: its coordinates by the provider's dial plan and
/// the block rendered with cvi-core in the meeting's language.
pub fn view(m: StoredMeeting) -> Meeting {
    let mut c = Coordinates::for_provider(&m.provider, m.video_id);
    c.meeting_key = Some(m.key);
    c.expires_at = Some(format_ms(m.expires_at));
    c.block = Some(invite::render(&c, m.lang));
    c.teams_join_url = m.teams_join_url;
    Meeting {
        coordinates: c,
        subject: m.subject,
        start: format_ms(m.starts_at),
        end: format_ms(m.ends_at),
        organizer: m.organizer,
        cancelled: m.cancelled,
    }
}

/// The organizer sees their meetings; admins see every meeting of the tenant. A meeting
/// issued to a token with an object id (`oid`) belongs to that id — a renamed UPN keeps it,
/// a new person given the old UPN does not get it; others belong to their UPN.
fn check_owner(caller: &Caller, m: &StoredMeeting) -> Result<()> {
    let own = match &m.organizer_oid {
        Some(oid) => caller.oid.as_deref() == Some(oid.as_str()),
        None => caller.upn.as_deref() == Some(m.organizer.as_str()),
    };
    if caller.roles.contains(&Role::Admin) || own {
        Ok(())
    } else {
        Err(Error::NotAllowed(
            "this meeting key belongs to another organizer".into(),
        ))
    }
}

fn not_found(key: &str) -> Error {
    Error::NotFound(format!("no meeting with key {key:?} in this tenant"))
}

fn existing(caller: &Caller, m: StoredMeeting) -> Result<Meeting> {
    check_owner(caller, &m)?;
    let v = view(m);
    if v.cancelled {
        return Err(Error::Conflict(format!(
            "meeting {:?} was cancelled; schedule it with a new meeting key",
            v.coordinates.meeting_key.as_deref().unwrap_or_default()
        )));
    }
    Ok(v)
}

/// Issues coordinates for `caller`'s meeting key, or returns those the key already has.
pub async fn issue(cx: &Context, caller: &Caller, req: IssueRequest) -> Result<(Issued, Meeting)> {
    caller.require(Role::Organizer)?;
    let upn = caller.user()?.to_string();
    valid_key(&req.meeting_key)?;
    let subject = valid_subject(req.subject.as_deref())?;
    let lang = lang(req.lang.as_deref())?;
    let teams_join_url = join_url(req.teams_join_url.as_deref())?;
    let t = times(
        time("start", &req.start)?,
        time("end", &req.end)?,
        optional_time("series_end", req.series_end.as_deref())?,
    )?;

    // Decided again when the tenant's configuration changes before the row commits (a
    // grant, provider or consent revoked meanwhile must win: see cvi_store::writes).
    'decide: for _ in 0..MAX_DECISIONS {
        // Fast path, and the idempotence rule: a key that has coordinates keeps them. The same
        // statement reads the tenant's configuration version (see tenant_config.rs).
        let (config_version, found) = store::meetings::load_with_version_fast(
            &cx.db,
            cx.fast.as_ref(),
            &caller.tenant,
            &req.meeting_key,
        )
        .await?;
        if let Some(m) = found {
            return existing(caller, m).map(|v| (Issued::Existing, v));
        }

        quota(cx, &caller.tenant, &upn).await?;
        let eff = effective(cx, &caller.tenant, &upn, &caller.groups).await?;
        let provider_name = match (
            eff.policy.enabled,
            eff.policy.provider_name.parse::<ProviderName>(),
        ) {
            (true, Ok(p)) => p,
            _ => {
                return Err(Error::PolicyDisabled(format!(
                    "{} ({})",
                    eff.policy.identity, eff.reason
                )))
            }
        };
        let config = cx
            .config
            .at_version(&cx.db, &caller.tenant, config_version)
            .await?;
        let provider = config
            .provider(provider_name)
            .cloned()
            .ok_or_else(|| Error::ProviderMissing(provider_name.to_string()))?;
        let missing = config.missing_consent(&provider.aad_application_ids);
        if !missing.is_empty() {
            return Err(Error::ConsentMissing {
                provider: provider_name.to_string(),
                missing,
            });
        }

        let mut video_id = VideoId::generate(&mut rand::rngs::OsRng);
        for _ in 0..MAX_ID_ATTEMPTS {
            let new = NewMeeting {
                tenant: caller.tenant.clone(),
                meeting_key: req.meeting_key.clone(),
                organizer: upn.clone(),
                organizer_oid: caller.oid.clone(),
                provider: provider_name.as_str().to_string(),
                tenant_key: provider.tenant_key.to_string(),
                video_id: video_id.as_str().to_string(),
                subject: subject.clone(),
                lang: lang.code().to_string(),
                starts_at: t.start,
                ends_at: t.end,
                expires_at: t.expires,
                teams_join_url: teams_join_url.clone(),
                actor: caller.actor.clone(),
                config_version,
            };
            // Group commit: answered once the transaction holding this row (and its audit
            // record) has committed.
            let outcome = cx.writes.issue(new).await?;
            if outcome == Inserted::Stale {
                continue 'decide;
            }
            if outcome == Inserted::Yes {
                cx.metrics.coordinates_issued.inc();
                let v = view(StoredMeeting {
                    key: req.meeting_key.clone(),
                    provider: provider.clone(),
                    video_id,
                    lang,
                    subject: subject.clone(),
                    starts_at: t.start,
                    ends_at: t.end,
                    expires_at: t.expires,
                    organizer: upn.clone(),
                    organizer_oid: caller.oid.clone(),
                    cancelled: false,
                    teams_join_url: teams_join_url.clone(),
                });
                return Ok((Issued::New, v));
            }
            // A concurrent call issued this key first: same key, same Video ID.
            if let Some(m) = store::meetings::load(&cx.db, &caller.tenant, &req.meeting_key).await?
            {
                return existing(caller, m).map(|v| (Issued::Existing, v));
            }
            // The Video ID is taken. An expired or cancelled holder gives it up (and the next
            // attempt tries the same ID again); a live one keeps it, and we draw another.
            if purge_video_id(
                &cx.writes,
                &caller.tenant,
                &caller.actor,
                provider_name,
                &video_id,
            )
            .await?
                == 0
            {
                video_id = VideoId::generate(&mut rand::rngs::OsRng);
            }
        }
        return Err(Error::Internal(format!(
            "no free Video ID after {MAX_ID_ATTEMPTS} attempts"
        )));
    }
    Err(Error::Unavailable(
        "the tenant's video interop configuration kept changing during issuance; try again".into(),
    ))
}

/// Refuses a new issuance when the organizer had `issue_quota_per_hour` in the last hour
/// (a runaway script or a stolen token cannot mint IDs without end); the refusal says when
/// a slot frees. Counted in the database, so N servers share one quota (concurrent
/// issuances can pass it by at most the number in flight).
async fn quota(cx: &Context, tenant: &str, organizer: &str) -> Result<()> {
    let limit = i64::from(cx.issue_quota_per_hour);
    if limit == 0 {
        return Ok(());
    }
    const HOUR_MS: i64 = 3_600_000;
    let now = cvi_store::db::now_ms();
    let (n, oldest) =
        store::meetings::issued_since(&cx.db, tenant, organizer, now - HOUR_MS).await?;
    if n < limit {
        return Ok(());
    }
    let retry_ms = oldest.map_or(HOUR_MS, |o| (o + HOUR_MS - now).max(1_000));
    Err(Error::RateLimited((retry_ms as u64).div_ceil(1000)))
}

/// Deletes the expired or cancelled meeting that holds `video_id`, with an audit record;
/// returns how many rows went (0 when the holder is live).
async fn purge_video_id(
    writes: &Writes,
    tenant: &str,
    actor: &str,
    provider: ProviderName,
    video_id: &VideoId,
) -> Result<u64> {
    let mut tx = writes.begin().await?;
    let purged = store::meetings::purge_dead(&mut tx, tenant, provider, video_id).await?;
    if purged > 0 {
        audit::record(
            &mut tx,
            tenant,
            actor,
            "meeting.purge",
            video_id.as_str(),
            None::<&()>,
            None::<&()>,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(purged)
}

/// The caller's meeting that holds a Video ID — how the add-in recognises its own block in
/// an item that lost its meeting key (another device, a copied item).
pub async fn find_by_video_id(cx: &Context, caller: &Caller, video_id: &str) -> Result<Meeting> {
    caller.require_any(&[Role::Organizer, Role::Admin])?;
    let id = VideoId::parse(video_id).map_err(|e| Error::BadVideoId(e.to_string()))?;
    let none = || Error::NotFound("no meeting of yours holds this Video ID".into());
    let m = store::meetings::by_video_id(&cx.db, &caller.tenant, &id)
        .await?
        .ok_or_else(none)?;
    // Another organizer's meeting is not yours to reuse: the same answer as none.
    check_owner(caller, &m).map_err(|_| none())?;
    Ok(view(m))
}

/// The newest meetings (at most 100) an organizer scheduled (admins).
pub async fn by_organizer(cx: &Context, caller: &Caller, upn: &str) -> Result<Vec<Meeting>> {
    caller.require(Role::Admin)?;
    let upn = upn.trim();
    if upn.is_empty() || upn.len() > 256 || upn.chars().any(char::is_control) {
        return Err(Error::Invalid(
            "upn: give the organizer's user principal name, e.g. ann@contoso.com".into(),
        ));
    }
    let found = store::meetings::by_organizer(&cx.db, &caller.tenant, upn, 100).await?;
    Ok(found.into_iter().map(view).collect())
}

/// A meeting's coordinates, for its organizer or an admin.
pub async fn show(cx: &Context, caller: &Caller, key: &str) -> Result<Meeting> {
    caller.require_any(&[Role::Organizer, Role::Admin])?;
    valid_key(key)?;
    let m = store::meetings::load(&cx.db, &caller.tenant, key)
        .await?
        .ok_or_else(|| not_found(key))?;
    check_owner(caller, &m)?;
    Ok(view(m))
}

/// Changes a meeting's times (its Video ID stays), subject, language or join link.
pub async fn update(
    cx: &Context,
    caller: &Caller,
    key: &str,
    req: UpdateRequest,
) -> Result<Meeting> {
    caller.require(Role::Organizer)?;
    valid_key(key)?;
    if req.subject.is_none()
        && req.start.is_none()
        && req.end.is_none()
        && req.series_end.is_none()
        && req.lang.is_none()
        && req.teams_join_url.is_none()
    {
        return Err(Error::Invalid(
            "nothing to change: give start, end, series_end, subject, lang or teams_join_url"
                .into(),
        ));
    }
    let new_join_url = join_url(req.teams_join_url.as_deref())?;
    let subject = valid_subject(req.subject.as_deref())?;
    let new_lang = req.lang.as_deref().map(|l| lang(Some(l))).transpose()?;
    let start = optional_time("start", req.start.as_deref())?;
    let end = optional_time("end", req.end.as_deref())?;
    let series_end = optional_time("series_end", req.series_end.as_deref())?;

    let mut tx = cx.writes.begin().await?;
    let stored = store::meetings::load(&mut *tx, &caller.tenant, key)
        .await?
        .ok_or_else(|| not_found(key))?;
    let t = times(
        start.unwrap_or(stored.starts_at),
        end.unwrap_or(stored.ends_at),
        series_end,
    )?;
    let before = existing(caller, stored)?;
    let change = store::meetings::Change {
        starts_at: t.start,
        ends_at: t.end,
        expires_at: t.expires,
        subject: subject.as_deref(),
        lang: new_lang,
        teams_join_url: new_join_url.as_deref(),
    };
    store::meetings::update(&mut tx, &caller.tenant, key, &change).await?;
    let after = view(
        store::meetings::load(&mut *tx, &caller.tenant, key)
            .await?
            .ok_or_else(|| not_found(key))?,
    );
    let summary = |v: &Meeting| serde_json::json!({"start": v.start, "end": v.end, "expires_at": v.coordinates.expires_at, "subject": v.subject});
    audit::record(
        &mut tx,
        &caller.tenant,
        &caller.actor,
        "meeting.update",
        key,
        Some(&summary(&before)),
        Some(&summary(&after)),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Cancels a meeting: its Video ID stops resolving at once.
pub async fn cancel(cx: &Context, caller: &Caller, key: &str) -> Result<Meeting> {
    caller.require_any(&[Role::Organizer, Role::Admin])?;
    valid_key(key)?;
    let mut tx = cx.writes.begin().await?;
    let stored = store::meetings::load(&mut *tx, &caller.tenant, key)
        .await?
        .ok_or_else(|| not_found(key))?;
    let before = existing(caller, stored)?;
    store::meetings::cancel(&mut tx, &caller.tenant, key).await?;
    audit::record(
        &mut tx,
        &caller.tenant,
        &caller.actor,
        "meeting.cancel",
        key,
        before.coordinates.video_id.as_ref(),
        None::<&()>,
    )
    .await?;
    tx.commit().await?;
    Ok(Meeting {
        cancelled: true,
        ..before
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use cvi_store::db::now_ms;

    fn meeting(key: &str, video_id: &VideoId, expires_at: i64) -> NewMeeting {
        cvi_store::writes::testing::meeting(key, video_id.as_str(), expires_at)
    }

    // Issuance draws random Video IDs, so no API test meets a collision; this is the path
    // it takes when one happens: a live holder keeps its ID, a cancelled or expired one
    // gives it up, and the new meeting gets it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_taken_video_id_is_reused_only_from_a_cancelled_or_expired_meeting() {
        let (_dir, db, writes) = cvi_store::writes::testing::writes().await;
        let purge = |id: VideoId| {
            let writes = writes.clone();
            async move {
                purge_video_id(&writes, "t1", "o@t1.example", ProviderName::Polycom, &id)
                    .await
                    .unwrap()
            }
        };
        let (live, old, gone) = (
            VideoId::parse_any("1223269647").unwrap(),
            VideoId::parse_any("1000000006").unwrap(),
            VideoId::parse_any("2000000003").unwrap(),
        );
        let future = now_ms() + 3_600_000;
        for (key, id, expires) in [
            ("live", &live, future),
            ("old", &old, 1),
            ("gone", &gone, future),
        ] {
            assert_eq!(
                writes.issue(meeting(key, id, expires)).await.unwrap(),
                Inserted::Yes
            );
        }
        sqlx::query("UPDATE meetings SET cancelled = 1 WHERE meeting_key = 'gone'")
            .execute(&db)
            .await
            .unwrap();

        for id in [&live, &old, &gone] {
            assert_eq!(
                writes.issue(meeting("new", id, future)).await.unwrap(),
                Inserted::Conflict,
                "{id} is held"
            );
        }
        assert_eq!(
            purge(live.clone()).await,
            0,
            "a live meeting keeps its Video ID"
        );
        assert_eq!(purge(old.clone()).await, 1, "an expired one gives it up");
        assert_eq!(purge(gone.clone()).await, 1, "a cancelled one gives it up");
        assert_eq!(
            writes.issue(meeting("new", &old, future)).await.unwrap(),
            Inserted::Yes
        );
        assert_eq!(
            writes.issue(meeting("new2", &gone, future)).await.unwrap(),
            Inserted::Yes
        );
        let purges: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'meeting.purge'")
                .fetch_one(&db)
                .await
                .unwrap();
        assert_eq!(purges, 2, "each purge is audited");
        let live_holder: String =
            sqlx::query_scalar("SELECT meeting_key FROM meetings WHERE video_id = $1")
                .bind(live.as_str())
                .fetch_one(&db)
                .await
                .unwrap();
        assert_eq!(live_holder, "live");
    }
}
