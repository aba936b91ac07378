//! Meetings: issue coordinates for the caller's meeting key (idempotent, also under
//! concurrent calls), show, update times, cancel.

use axum::{extract::State, http::StatusCode};
use cvi_core::api::{ImportRequest, Imported, IssueRequest, Meeting, UpdateRequest};
use cvi_core::{
    invite::{self, Lang},
    meeting::{self, MeetingError, MeetingKey, Schedule},
    Coordinates, ProviderName, VideoId,
};
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use super::policies::effective;
use crate::{
    auth::{Caller, Role},
    error::{ApiJson, ApiPath, ApiQuery, ApiResult, AppError},
    state::AppState,
};
use cvi_store::{
    self as store, audit,
    meetings::StoredMeeting,
    writes::{Inserted, NewMeeting, Writes},
};

/// Collisions in 10^9 IDs are rare; this many in a row means something is wrong.
/// Decisions made for one issuance while the tenant's configuration keeps changing.
const MAX_DECISIONS: u32 = 3;
const MAX_ID_ATTEMPTS: usize = 8;

pub(crate) fn parse_time(field: &str, s: &str) -> Result<i64, AppError> {
    let t = OffsetDateTime::parse(s.trim(), &Rfc3339).map_err(|e| {
        AppError::InvalidInput(format!(
            "{field}: {s:?} is not an RFC 3339 time like 2027-01-23T10:00:00Z ({e})"
        ))
    })?;
    Ok((t.unix_timestamp_nanos() / 1_000_000) as i64)
}

/// RFC 3339 (UTC) of Unix milliseconds, as the API shows times.
pub(crate) fn format_time(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

fn invalid(e: MeetingError) -> AppError {
    AppError::InvalidInput(e.to_string())
}

fn valid_key(k: &str) -> Result<(), AppError> {
    MeetingKey::parse(k).map(drop).map_err(invalid)
}

fn valid_subject(s: Option<&str>) -> Result<Option<String>, AppError> {
    meeting::subject(s).map_err(invalid)
}

fn lang(s: Option<&str>) -> Result<Lang, AppError> {
    match s {
        None => Ok(Lang::En),
        Some(l) => Lang::parse(l).ok_or_else(|| {
            AppError::InvalidInput(format!("lang {l:?} is not one of en, de, fr, es, ja"))
        }),
    }
}

pub(crate) fn join_url(s: Option<&str>) -> Result<Option<String>, AppError> {
    s.map(meeting::teams_join_url).transpose().map_err(invalid)
}

fn times(start: i64, end: i64, series_end: Option<i64>) -> Result<Schedule, AppError> {
    Schedule::new(start, end, series_end).map_err(invalid)
}

/// The reply for a stored meeting: its coordinates by the provider's dial plan and the
/// block rendered with cvi-core in the meeting's language.
fn view(m: StoredMeeting) -> Meeting {
    let mut c = Coordinates::for_provider(&m.provider, m.video_id);
    c.meeting_key = Some(m.key);
    c.expires_at = Some(format_time(m.expires_at));
    c.block = Some(invite::render(&c, m.lang));
    c.teams_join_url = m.teams_join_url;
    Meeting {
        coordinates: c,
        subject: m.subject,
        start: format_time(m.starts_at),
        end: format_time(m.ends_at),
        organizer: m.organizer,
        cancelled: m.cancelled,
    }
}

/// The organizer sees their meetings; admins see every meeting of the tenant. A meeting
/// issued to a token with an object id (`oid`) belongs to that id — a renamed UPN keeps it,
/// a new person given the old UPN does not get it; others belong to their UPN.
fn check_owner(caller: &Caller, m: &StoredMeeting) -> Result<(), AppError> {
    let own = match &m.organizer_oid {
        Some(oid) => caller.oid.as_deref() == Some(oid.as_str()),
        None => caller.upn.as_deref() == Some(m.organizer.as_str()),
    };
    if caller.roles.contains(&Role::Admin) || own {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "this meeting key belongs to another organizer".into(),
        ))
    }
}

fn not_found(key: &str) -> AppError {
    AppError::NotFound(format!("no meeting with key {key:?} in this tenant"))
}

/// Issue (or return the already issued) coordinates for a meeting key.
#[utoipa::path(post, path = "/meetings", request_body = IssueRequest, tag = "meetings",
    responses((status = 201, description = "issued", body = Meeting), (status = 200, description = "already issued for this key", body = Meeting),
              (status = 400, body = crate::error::Problem), (status = 403, description = "policy disabled, provider missing or consent missing", body = crate::error::Problem),
              (status = 409, body = crate::error::Problem)))]
pub async fn issue(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<IssueRequest>,
) -> Result<(StatusCode, ApiJson<Meeting>), AppError> {
    issue_for(&s, &caller, req)
        .await
        .map(|(st, m)| (st, ApiJson(m)))
}

/// Issuance for `caller` (the Outlook pane's `POST /meetings` and the Teams tab's
/// `POST /events`): 201 with new coordinates, or 200 with those the key already has.
pub(crate) async fn issue_for(
    s: &AppState,
    caller: &Caller,
    req: IssueRequest,
) -> Result<(StatusCode, Meeting), AppError> {
    let (s, caller) = (s.clone(), caller.clone());
    caller.require(Role::Organizer)?;
    let upn = caller.user()?.to_string();
    valid_key(&req.meeting_key)?;
    let subject = valid_subject(req.subject.as_deref())?;
    let lang = lang(req.lang.as_deref())?;
    let teams_join_url = join_url(req.teams_join_url.as_deref())?;
    let t = times(
        parse_time("start", &req.start)?,
        parse_time("end", &req.end)?,
        req.series_end
            .as_deref()
            .map(|e| parse_time("series_end", e))
            .transpose()?,
    )?;

    // Decided again when the tenant's configuration changes before the row commits (a
    // grant, provider or consent revoked meanwhile must win: see store::writes).
    'decide: for _ in 0..MAX_DECISIONS {
        // Fast path, and the idempotence rule: a key that has coordinates keeps them. The same
        // statement reads the tenant's configuration version (see tenant_config.rs).
        let (config_version, found) =
            store::meetings::load_with_version(&s.db, &caller.tenant, &req.meeting_key).await?;
        if let Some(m) = found {
            return existing(&caller, m).map(|v| (StatusCode::OK, v));
        }

        quota(&s, &caller.tenant, &upn).await?;
        let eff = effective(&s.db, &caller.tenant, &upn, &caller.groups).await?;
        let provider_name = match (
            eff.policy.enabled,
            eff.policy.provider_name.parse::<ProviderName>(),
        ) {
            (true, Ok(p)) => p,
            _ => {
                return Err(AppError::PolicyDisabled(format!(
                    "{} ({})",
                    eff.policy.identity, eff.reason
                )))
            }
        };
        let config = s
            .config
            .at_version(&s.db, &caller.tenant, config_version)
            .await?;
        let provider = config
            .provider(provider_name)
            .cloned()
            .ok_or_else(|| AppError::ProviderMissing(provider_name.to_string()))?;
        let missing = config.missing_consent(&provider.aad_application_ids);
        if !missing.is_empty() {
            return Err(AppError::ConsentMissing {
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
            let outcome = s.writes.issue(new).await?;
            if outcome == Inserted::Stale {
                continue 'decide;
            }
            if outcome == Inserted::Yes {
                s.metrics.coordinates_issued.inc();
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
                return Ok((StatusCode::CREATED, v));
            }
            // A concurrent call issued this key first: same key, same Video ID.
            if let Some(m) = store::meetings::load(&s.db, &caller.tenant, &req.meeting_key).await? {
                return existing(&caller, m).map(|v| (StatusCode::OK, v));
            }
            // The Video ID is taken. An expired or cancelled holder gives it up (and the next
            // attempt tries the same ID again); a live one keeps it, and we draw another.
            if purge_video_id(
                &s.writes,
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
        return Err(AppError::Internal(format!(
            "no free Video ID after {MAX_ID_ATTEMPTS} attempts"
        )));
    }
    Err(AppError::Unavailable(
        "the tenant's video interop configuration kept changing during issuance; try again".into(),
    ))
}

/// Refuses a new issuance when the organizer had `issue_quota_per_hour` in the last hour
/// (a runaway script or a stolen token cannot mint IDs without end); 429 says when a slot
/// frees. Counted in the database, so N servers share one quota (concurrent issuances can
/// pass it by at most the number in flight).
async fn quota(s: &AppState, tenant: &str, organizer: &str) -> Result<(), AppError> {
    let limit = i64::from(s.issue_quota_per_hour);
    if limit == 0 {
        return Ok(());
    }
    const HOUR_MS: i64 = 3_600_000;
    let now = cvi_store::db::now_ms();
    let (n, oldest) =
        store::meetings::issued_since(&s.db, tenant, organizer, now - HOUR_MS).await?;
    if n < limit {
        return Ok(());
    }
    let retry_ms = oldest.map_or(HOUR_MS, |o| (o + HOUR_MS - now).max(1_000));
    Err(AppError::RateLimited((retry_ms as u64).div_ceil(1000)))
}

/// Deletes the expired or cancelled meeting that holds `video_id`, with an audit record;
/// returns how many rows went (0 when the holder is live).
async fn purge_video_id(
    writes: &Writes,
    tenant: &str,
    actor: &str,
    provider: ProviderName,
    video_id: &VideoId,
) -> Result<u64, AppError> {
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

fn existing(caller: &Caller, m: StoredMeeting) -> Result<Meeting, AppError> {
    check_owner(caller, &m)?;
    let v = view(m);
    if v.cancelled {
        return Err(AppError::Conflict(format!(
            "meeting {:?} was cancelled; schedule it with a new meeting key",
            v.coordinates.meeting_key.as_deref().unwrap_or_default()
        )));
    }
    Ok(v)
}

/// Import meetings issued elsewhere (Microsoft's CVI, another provider), so the invites out
/// there keep working: all or none. Their Video IDs need no check digit.
#[utoipa::path(post, path = "/meetings:import", request_body = ImportRequest, tag = "meetings",
    responses((status = 200, body = Imported), (status = 400, description = "a line is not valid: the detail names it", body = crate::error::Problem),
              (status = 409, description = "a meeting key exists, or a Video ID is live on another meeting", body = crate::error::Problem)))]
pub async fn import(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<ImportRequest>,
) -> ApiResult<Imported> {
    caller.require(Role::Admin)?;
    if req.meetings.is_empty() {
        return Err(AppError::InvalidInput(
            "nothing to import: meetings is empty".into(),
        ));
    }
    let providers = store::providers::list(&s.db, &caller.tenant).await?;
    // Everything checked before anything is written: all lines or none.
    struct Line {
        key: String,
        provider: cvi_core::Provider,
        video_id: VideoId,
        subject: Option<String>,
        t: Schedule,
        join: Option<String>,
    }
    let mut lines: Vec<Line> = Vec::with_capacity(req.meetings.len());
    for (i, m) in req.meetings.iter().enumerate() {
        let line = i + 1;
        let at = |e: AppError| AppError::InvalidInput(format!("line {line}: {e}"));
        valid_key(&m.meeting_key).map_err(at)?;
        let name: ProviderName =
            m.provider
                .parse()
                .map_err(|e: cvi_core::provider::UnknownProvider| {
                    at(AppError::InvalidInput(e.to_string()))
                })?;
        let provider = providers
            .iter()
            .find(|p| p.name == name)
            .cloned()
            .ok_or_else(|| at(AppError::InvalidInput(format!("the {name} provider is not configured in this tenant; add it first (`cvi provider new`)"))))?;
        let video_id = VideoId::parse_any(&m.video_id)
            .map_err(|e| at(AppError::InvalidInput(format!("video_id: {e}"))))?;
        let t = times(
            parse_time("start", &m.start).map_err(at)?,
            parse_time("end", &m.end).map_err(at)?,
            None,
        )
        .map_err(at)?;
        let subject = valid_subject(m.subject.as_deref()).map_err(at)?;
        let join = join_url(m.teams_join_url.as_deref()).map_err(at)?;
        if let Some(j) = lines.iter().position(|l| l.key == m.meeting_key) {
            return Err(at(AppError::InvalidInput(format!(
                "meeting_key {:?} is on line {} too",
                m.meeting_key,
                j + 1
            ))));
        }
        if let Some(j) = lines
            .iter()
            .position(|l| l.provider.name == name && l.video_id == video_id)
        {
            return Err(at(AppError::InvalidInput(format!(
                "Video ID {video_id} of {name} is on line {} too",
                j + 1
            ))));
        }
        lines.push(Line {
            key: m.meeting_key.clone(),
            provider,
            video_id,
            subject,
            t,
            join,
        });
    }
    let mut tx = s.writes.begin().await?;
    for (i, l) in lines.iter().enumerate() {
        let line = i + 1;
        if store::meetings::load(&mut *tx, &caller.tenant, &l.key)
            .await?
            .is_some()
        {
            return Err(AppError::Conflict(format!(
                "line {line}: meeting key {:?} exists in this tenant; nothing was imported",
                l.key
            )));
        }
        let (_, live) = store::meetings::live_by_video_id(
            &mut *tx,
            &caller.tenant,
            l.provider.name,
            &l.video_id,
        )
        .await?;
        if let Some(other) = live {
            return Err(AppError::Conflict(format!(
                "line {line}: Video ID {} of {} is live on meeting {:?}; nothing was imported",
                l.video_id, l.provider.name, other.key
            )));
        }
        // A dead holder (expired or cancelled) gives the ID up, as for our own IDs.
        store::meetings::purge_dead(&mut tx, &caller.tenant, l.provider.name, &l.video_id).await?;
        store::meetings::insert_imported(
            &mut tx,
            &caller.tenant,
            &store::meetings::Imported {
                key: &l.key,
                organizer: &caller.actor,
                provider: l.provider.name,
                tenant_key: &l.provider.tenant_key,
                video_id: &l.video_id,
                subject: l.subject.as_deref(),
                starts_at: l.t.start,
                ends_at: l.t.end,
                expires_at: l.t.expires,
                teams_join_url: l.join.as_deref(),
            },
        )
        .await
        .map_err(|e| match crate::error::unique_violation(&e) {
            true => AppError::Conflict(format!(
                "line {line}: taken by a concurrent change; nothing was imported"
            )),
            false => AppError::from(e),
        })?;
    }
    // Resolution must learn at once that this tenant has IDs without our check digit.
    store::tenant_config::changed(&mut tx, &caller.tenant).await?;
    audit::record(
        &mut tx,
        &caller.tenant,
        &caller.actor,
        "meeting.import",
        &format!("{} meetings", lines.len()),
        None::<&()>,
        Some(&serde_json::json!({"count": lines.len()})),
    )
    .await?;
    tx.commit().await?;
    Ok(ApiJson(Imported {
        imported: lines.len(),
    }))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct ByVideoId {
    /// A Video ID as an invite shows it (spaces allowed).
    pub video_id: String,
}

/// The caller's meeting that holds a Video ID — how the add-in recognises its own block in
/// an item that lost its meeting key (another device, a copied item).
#[utoipa::path(get, path = "/meetings", params(ByVideoId), tag = "meetings",
    responses((status = 200, body = Meeting), (status = 404, body = crate::error::Problem)))]
pub async fn find_by_video_id(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ByVideoId>,
) -> ApiResult<Meeting> {
    caller.require_any(&[Role::Organizer, Role::Admin])?;
    let id = VideoId::parse(&q.video_id)
        .map_err(|e| AppError::InvalidInput(format!("video_id: {e}")))?;
    let none = || AppError::NotFound("no meeting of yours holds this Video ID".into());
    let m = store::meetings::by_video_id(&s.db, &caller.tenant, &id)
        .await?
        .ok_or_else(none)?;
    // Another organizer's meeting is not yours to reuse: the same answer as none.
    check_owner(&caller, &m).map_err(|_| none())?;
    Ok(ApiJson(view(m)))
}

/// The newest meetings (at most 100) an organizer scheduled, for the admin console.
#[utoipa::path(get, path = "/users/{upn}/meetings", params(("upn" = String, Path, description = "The organizer's UPN")), tag = "meetings",
    responses((status = 200, body = [Meeting]), (status = 400, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn by_organizer(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(upn): ApiPath<String>,
) -> ApiResult<Vec<Meeting>> {
    caller.require(Role::Admin)?;
    let upn = upn.trim();
    if upn.is_empty() || upn.len() > 256 || upn.chars().any(char::is_control) {
        return Err(AppError::InvalidInput(
            "upn: give the organizer's user principal name, e.g. ann@contoso.com".into(),
        ));
    }
    let found = store::meetings::by_organizer(&s.db, &caller.tenant, upn, 100).await?;
    Ok(ApiJson(found.into_iter().map(view).collect()))
}

/// Show a meeting's coordinates.
#[utoipa::path(get, path = "/meetings/{key}", params(("key" = String, Path, description = "The client's meeting key")), tag = "meetings",
    responses((status = 200, body = Meeting), (status = 404, body = crate::error::Problem)))]
pub async fn show(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<Meeting> {
    caller.require_any(&[Role::Organizer, Role::Admin])?;
    valid_key(&key)?;
    let m = store::meetings::load(&s.db, &caller.tenant, &key)
        .await?
        .ok_or_else(|| not_found(&key))?;
    check_owner(&caller, &m)?;
    Ok(ApiJson(view(m)))
}

/// Change a meeting's times (its Video ID stays) or subject.
#[utoipa::path(patch, path = "/meetings/{key}", params(("key" = String, Path, description = "The client's meeting key")), request_body = UpdateRequest, tag = "meetings",
    responses((status = 200, body = Meeting), (status = 400, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn update(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(key): ApiPath<String>,
    ApiJson(req): ApiJson<UpdateRequest>,
) -> ApiResult<Meeting> {
    caller.require(Role::Organizer)?;
    valid_key(&key)?;
    if req.subject.is_none()
        && req.start.is_none()
        && req.end.is_none()
        && req.series_end.is_none()
        && req.lang.is_none()
        && req.teams_join_url.is_none()
    {
        return Err(AppError::InvalidInput(
            "nothing to change: give start, end, series_end, subject, lang or teams_join_url"
                .into(),
        ));
    }
    let new_join_url = join_url(req.teams_join_url.as_deref())?;
    let subject = valid_subject(req.subject.as_deref())?;
    let new_lang = req.lang.as_deref().map(|l| lang(Some(l))).transpose()?;
    let start = req
        .start
        .as_deref()
        .map(|v| parse_time("start", v))
        .transpose()?;
    let end = req
        .end
        .as_deref()
        .map(|v| parse_time("end", v))
        .transpose()?;
    let series_end = req
        .series_end
        .as_deref()
        .map(|v| parse_time("series_end", v))
        .transpose()?;

    let mut tx = s.writes.begin().await?;
    let stored = store::meetings::load(&mut *tx, &caller.tenant, &key)
        .await?
        .ok_or_else(|| not_found(&key))?;
    let t = times(
        start.unwrap_or(stored.starts_at),
        end.unwrap_or(stored.ends_at),
        series_end,
    )?;
    let before = existing(&caller, stored)?;
    let change = store::meetings::Change {
        starts_at: t.start,
        ends_at: t.end,
        expires_at: t.expires,
        subject: subject.as_deref(),
        lang: new_lang,
        teams_join_url: new_join_url.as_deref(),
    };
    store::meetings::update(&mut tx, &caller.tenant, &key, &change).await?;
    let after = view(
        store::meetings::load(&mut *tx, &caller.tenant, &key)
            .await?
            .ok_or_else(|| not_found(&key))?,
    );
    let summary = |v: &Meeting| serde_json::json!({"start": v.start, "end": v.end, "expires_at": v.coordinates.expires_at, "subject": v.subject});
    audit::record(
        &mut tx,
        &caller.tenant,
        &caller.actor,
        "meeting.update",
        &key,
        Some(&summary(&before)),
        Some(&summary(&after)),
    )
    .await?;
    tx.commit().await?;
    Ok(ApiJson(after))
}

/// Cancel a meeting: its Video ID stops resolving at once.
#[utoipa::path(delete, path = "/meetings/{key}", params(("key" = String, Path, description = "The client's meeting key")), tag = "meetings",
    responses((status = 200, body = Meeting), (status = 404, body = crate::error::Problem)))]
pub async fn cancel(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<Meeting> {
    caller.require_any(&[Role::Organizer, Role::Admin])?;
    valid_key(&key)?;
    let mut tx = s.writes.begin().await?;
    let stored = store::meetings::load(&mut *tx, &caller.tenant, &key)
        .await?
        .ok_or_else(|| not_found(&key))?;
    let before = existing(&caller, stored)?;
    store::meetings::cancel(&mut tx, &caller.tenant, &key).await?;
    audit::record(
        &mut tx,
        &caller.tenant,
        &caller.actor,
        "meeting.cancel",
        &key,
        before.coordinates.video_id.as_ref(),
        None::<&()>,
    )
    .await?;
    tx.commit().await?;
    Ok(ApiJson(Meeting {
        cancelled: true,
        ..before
    }))
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
