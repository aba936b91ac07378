//! Scheduling through Microsoft Graph (the Teams tab, `cvi meeting schedule`): coordinates
//! are issued, the organizer's token is exchanged on their behalf, and the calendar event
//! is created (`POST /me/events`: a Teams meeting, the block in the body, the SIP URI as
//! location), patched on changes and deleted on cancellation.
//!
//! When Graph fails, the coordinates stay: scheduling is idempotent by `meeting_key`, so the
//! tab (or the CLI) retries with the same key and gets the same Video ID and, once Graph
//! answers, exactly one event (an event already created is found by its stored id, never
//! created twice).

use std::sync::Arc;

use cvi_core::api::{
    IssueRequest, Meeting, RecurrencePattern, ScheduleRequest, Scheduled, UpdateRequest,
};
use cvi_core::{meeting::email_address, times};
use cvi_store::{self as store, audit};
use serde_json::json;

use super::{
    meetings::{self, join_url, Issued},
    Caller, Context, Error, Result, Role,
};
use crate::graph::{Graph, GraphError};

/// At most this many attendees per event (Graph allows more; an invite is not a mailing).
const MAX_ATTENDEES: usize = 100;

/// Graph access is a deployment choice, not a failure: without it these operations are
/// refused, not reported as an outage.
fn graph_of(cx: &Context) -> Result<Arc<Graph>> {
    cx.graph.clone().ok_or_else(|| {
        Error::NotAllowed(
            "this server has no Microsoft Graph access (--client-id, --client-secret-file): it cannot create calendar events".into(),
        )
    })
}

fn graph_problem(e: GraphError) -> Error {
    match e {
        GraphError::Forbidden { .. } => Error::NotAllowed(format!(
            "{e} (for calendar events: the delegated permission Calendars.ReadWrite); the coordinates are kept: retry with the same meeting_key"
        )),
        e => Error::Unavailable(format!(
            "{e}; the coordinates are kept: retry with the same meeting_key"
        )),
    }
}

/// The Graph event of a scheduled meeting, or why there is none.
async fn event_of(cx: &Context, caller: &Caller, key: &str) -> Result<String> {
    store::meetings::graph_event(&cx.db, &caller.tenant, key)
        .await?
        .ok_or_else(|| {
            Error::NotFound(format!(
                "meeting {key:?} has no calendar event; schedule it with POST /api/v1/events"
            ))
        })
}

/// A recurrence's last day, checked; its end of day (UTC) is the series' end.
fn series_end(until: &str) -> Result<String> {
    times::parse_date(until).map_err(|e| Error::Invalid(format!("recurrence.until: {e}")))?;
    Ok(format!("{until}T23:59:59Z"))
}

/// Issues coordinates and creates the organizer's calendar event; `assertion` is the
/// organizer's own token, for the on-behalf-of exchange.
pub async fn schedule(
    cx: &Context,
    caller: &Caller,
    assertion: &str,
    req: ScheduleRequest,
) -> Result<(Issued, Scheduled)> {
    caller.require(Role::Organizer)?;
    let graph = graph_of(cx)?;
    if req.attendees.len() > MAX_ATTENDEES {
        return Err(Error::Invalid(format!(
            "attendees: at most {MAX_ATTENDEES}"
        )));
    }
    if let Some(a) = req.attendees.iter().find(|a| email_address(a).is_none()) {
        return Err(Error::Invalid(format!(
            "attendees: {a:?} is not an e-mail address like ann@example.com"
        )));
    }
    if req.subject.trim().is_empty() {
        return Err(Error::Invalid("subject: give the meeting a subject".into()));
    }
    let until = req
        .recurrence
        .as_ref()
        .map(|r| series_end(&r.until))
        .transpose()?;

    let (_, meeting) = meetings::issue(
        cx,
        caller,
        IssueRequest {
            meeting_key: req.meeting_key.clone(),
            subject: Some(req.subject.clone()),
            start: req.start.clone(),
            end: req.end.clone(),
            series_end: until,
            lang: req.lang.clone(),
            teams_join_url: None,
        },
    )
    .await?;
    if let Some(id) = store::meetings::graph_event(&cx.db, &caller.tenant, &req.meeting_key).await?
    {
        // Scheduled before (a retry after a lost answer): the same event, no second one.
        return Ok((
            Issued::Existing,
            Scheduled {
                meeting,
                event_id: id,
            },
        ));
    }

    let c = &meeting.coordinates;
    let html = c.block.as_ref().map(|b| b.html.clone()).unwrap_or_default();
    let sip = c
        .direct_dial_uri
        .as_deref()
        .map(|d| format!("sip:{d}"))
        .unwrap_or_default();
    let mut event = json!({
        "subject": req.subject,
        "body": {"contentType": "HTML", "content": html},
        "start": {"dateTime": meeting.start.trim_end_matches('Z'), "timeZone": "UTC"},
        "end": {"dateTime": meeting.end.trim_end_matches('Z'), "timeZone": "UTC"},
        "location": {"displayName": sip},
        "attendees": req.attendees.iter().map(|a| json!({"emailAddress": {"address": a.trim()}, "type": "required"})).collect::<Vec<_>>(),
        "isOnlineMeeting": true,
        "onlineMeetingProvider": "teamsForBusiness",
        "transactionId": req.meeting_key,
    });
    if let Some(r) = &req.recurrence {
        let start_date = meeting.start.get(..10).unwrap_or_default();
        let mut pattern = json!({"interval": 1});
        match r.pattern {
            RecurrencePattern::Daily => pattern["type"] = json!("daily"),
            RecurrencePattern::Weekly => {
                let day = times::parse_date(start_date)
                    .map_err(|e| Error::Invalid(format!("start: {e}")))?;
                pattern["type"] = json!("weekly");
                pattern["daysOfWeek"] = json!([times::weekday_name(day)]);
            }
        }
        event["recurrence"] = json!({
            "pattern": pattern,
            "range": {"type": "endDate", "startDate": start_date, "endDate": r.until},
        });
    }
    let token = graph
        .on_behalf_of(&caller.tenant, assertion)
        .await
        .map_err(graph_problem)?;
    let created = graph
        .create_event(&token, &event)
        .await
        .map_err(graph_problem)?;
    // Graph's join link is stored as the meeting's (resolution hands it to bridges), if it
    // is one we accept.
    let join = join_url(created.join_url.as_deref()).ok().flatten();
    let mut tx = cx.writes.begin().await?;
    store::meetings::set_graph_event(
        &mut tx,
        &caller.tenant,
        &req.meeting_key,
        &created.id,
        join.as_deref(),
    )
    .await?;
    audit::record(
        &mut tx,
        &caller.tenant,
        &caller.actor,
        "meeting.schedule",
        &req.meeting_key,
        None::<&()>,
        Some(&created.id),
    )
    .await?;
    tx.commit().await?;
    let mut meeting = meeting;
    if join.is_some() {
        meeting.coordinates.teams_join_url = join;
    }
    Ok((
        Issued::New,
        Scheduled {
            meeting,
            event_id: created.id,
        },
    ))
}

/// Changes a scheduled meeting's subject or times: the block is rendered again and the
/// calendar event patched to match.
pub async fn reschedule(
    cx: &Context,
    caller: &Caller,
    assertion: &str,
    key: &str,
    req: UpdateRequest,
) -> Result<Meeting> {
    caller.require(Role::Organizer)?;
    let graph = graph_of(cx)?;
    let id = event_of(cx, caller, key).await?;
    let m = meetings::update(cx, caller, key, req).await?;
    let patch = json!({
        "subject": m.subject.clone().unwrap_or_default(),
        "body": {"contentType": "HTML", "content": m.coordinates.block.as_ref().map(|b| b.html.clone()).unwrap_or_default()},
        "start": {"dateTime": m.start.trim_end_matches('Z'), "timeZone": "UTC"},
        "end": {"dateTime": m.end.trim_end_matches('Z'), "timeZone": "UTC"},
    });
    let token = graph
        .on_behalf_of(&caller.tenant, assertion)
        .await
        .map_err(graph_problem)?;
    graph
        .update_event(&token, &id, &patch)
        .await
        .map_err(graph_problem)?;
    Ok(m)
}

/// Cancels a scheduled meeting: the calendar event goes first (so a failure leaves the
/// coordinates for a retry), then the coordinates.
pub async fn cancel(cx: &Context, caller: &Caller, assertion: &str, key: &str) -> Result<Meeting> {
    caller.require(Role::Organizer)?;
    let graph = graph_of(cx)?;
    let id = event_of(cx, caller, key).await?;
    // Only the organizer's own meeting (the cancel below checks it too, after the event).
    meetings::show(cx, caller, key).await?;
    let token = graph
        .on_behalf_of(&caller.tenant, assertion)
        .await
        .map_err(graph_problem)?;
    graph
        .delete_event(&token, &id)
        .await
        .map_err(graph_problem)?;
    meetings::cancel(cx, caller, key).await
}
