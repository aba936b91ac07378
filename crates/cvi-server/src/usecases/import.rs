//! Import: meetings issued elsewhere (Microsoft's CVI, another provider), so the invites
//! out there keep working. All lines or none; their Video IDs need no check digit.

use cvi_core::api::{ImportRequest, Imported};
use cvi_core::{meeting::Schedule, Provider, ProviderName, VideoId};
use cvi_store::{self as store, audit};

use super::{
    meetings::{join_url, time, times, valid_key, valid_subject},
    unique_violation, Caller, Context, Error, Result, Role,
};

/// One line, checked.
struct Line {
    key: String,
    provider: Provider,
    video_id: VideoId,
    subject: Option<String>,
    t: Schedule,
    join: Option<String>,
}

/// Imports `req`'s meetings into the caller's tenant (admins).
pub async fn import(cx: &Context, caller: &Caller, req: ImportRequest) -> Result<Imported> {
    caller.require(Role::Admin)?;
    if req.meetings.is_empty() {
        return Err(Error::Invalid(
            "nothing to import: meetings is empty".into(),
        ));
    }
    let providers = store::providers::list(&cx.db, &caller.tenant).await?;
    // Everything checked before anything is written: all lines or none.
    let mut lines: Vec<Line> = Vec::with_capacity(req.meetings.len());
    for (i, m) in req.meetings.iter().enumerate() {
        let line = i + 1;
        let at = |e: Error| Error::Invalid(format!("line {line}: {e}"));
        let invalid = |m: String| at(Error::Invalid(m));
        valid_key(&m.meeting_key).map_err(at)?;
        let name: ProviderName = m
            .provider
            .parse()
            .map_err(|e: cvi_core::provider::UnknownProvider| invalid(e.to_string()))?;
        let provider = providers
            .iter()
            .find(|p| p.name == name)
            .cloned()
            .ok_or_else(|| invalid(format!("the {name} provider is not configured in this tenant; add it first (`cvi provider new`)")))?;
        let video_id =
            VideoId::parse_any(&m.video_id).map_err(|e| invalid(format!("video_id: {e}")))?;
        let t = times(
            time("start", &m.start).map_err(at)?,
            time("end", &m.end).map_err(at)?,
            None,
        )
        .map_err(at)?;
        let subject = valid_subject(m.subject.as_deref()).map_err(at)?;
        let join = join_url(m.teams_join_url.as_deref()).map_err(at)?;
        if let Some(j) = lines.iter().position(|l| l.key == m.meeting_key) {
            return Err(invalid(format!(
                "meeting_key {:?} is on line {} too",
                m.meeting_key,
                j + 1
            )));
        }
        if let Some(j) = lines
            .iter()
            .position(|l| l.provider.name == name && l.video_id == video_id)
        {
            return Err(invalid(format!(
                "Video ID {video_id} of {name} is on line {} too",
                j + 1
            )));
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
    let mut tx = cx.writes.begin().await?;
    for (i, l) in lines.iter().enumerate() {
        let line = i + 1;
        if store::meetings::load(&mut *tx, &caller.tenant, &l.key)
            .await?
            .is_some()
        {
            return Err(Error::Conflict(format!(
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
            return Err(Error::Conflict(format!(
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
        .map_err(|e| match unique_violation(&e) {
            true => Error::Conflict(format!(
                "line {line}: taken by a concurrent change; nothing was imported"
            )),
            false => Error::from(e),
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
    Ok(Imported {
        imported: lines.len(),
    })
}
