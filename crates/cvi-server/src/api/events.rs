//! Scheduling from the Teams tab: the server issues the coordinates, exchanges the
//! organizer's token on their behalf and creates the calendar event through Microsoft Graph
//! (`POST /me/events`, a Teams meeting, the block in the body, the SIP URI as location).
//!
//! When Graph fails, the coordinates stay: the request is idempotent by `meeting_key`, so
//! the tab (or `cvi meeting schedule`) retries with the same key and gets the same Video
//! ID and, once Graph answers, exactly one event (an event already created is found by its
//! stored id, never created twice).

use axum::{extract::State, http::HeaderMap, http::StatusCode};
use cvi_core::api::{
    IssueRequest, Meeting, RecurrencePattern, ScheduleRequest, Scheduled, UpdateRequest,
};
use serde_json::json;

use super::meetings::{issue_for, join_url};
use crate::{
    auth::{Caller, Role},
    error::{ApiJson, ApiPath, ApiResult, AppError},
    graph::{Graph, GraphError},
    state::AppState,
};
use cvi_store::{self as store, audit};

/// Graph access is a deployment choice, not a failure: without it these operations are
/// refused (403), not reported as an outage.
fn graph_of(s: &AppState) -> Result<std::sync::Arc<Graph>, AppError> {
    s.graph.clone().ok_or_else(|| {
        AppError::Forbidden(
            "this server has no Microsoft Graph access (--client-id, --client-secret-file): it cannot create calendar events".into(),
        )
    })
}

/// The organizer's own token, for the on-behalf-of exchange (the extractor checked it).
fn bearer(headers: &HeaderMap) -> String {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.get(7..))
        .unwrap_or_default()
        .to_string()
}

/// The Graph event of a scheduled meeting, or a 404 that says how to get one.
async fn event_of(s: &AppState, caller: &Caller, key: &str) -> Result<String, AppError> {
    store::meetings::graph_event(&s.db, &caller.tenant, key)
        .await?
        .ok_or_else(|| {
            AppError::NotFound(format!(
                "meeting {key:?} has no calendar event; schedule it with POST /api/v1/events"
            ))
        })
}

/// At most this many attendees per event (Graph allows more; an invite is not a mailing).
const MAX_ATTENDEES: usize = 100;

fn graph_problem(e: GraphError) -> AppError {
    match e {
        GraphError::Forbidden { .. } => AppError::Forbidden(format!(
            "{e} (for calendar events: the delegated permission Calendars.ReadWrite); the coordinates are kept: retry with the same meeting_key"
        )),
        e => AppError::Unavailable(format!(
            "{e}; the coordinates are kept: retry with the same meeting_key"
        )),
    }
}

/// Validates a recurrence's end date; its end of day (UTC) is the series' end.
fn series_end(until: &str) -> Result<String, AppError> {
    let ok = until.len() == 10
        && until.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if !ok {
        return Err(AppError::InvalidInput(format!(
            "recurrence.until: {until:?} is not a date like 2027-03-31"
        )));
    }
    Ok(format!("{until}T23:59:59Z"))
}

/// Schedule a Teams meeting with video coordinates in the organizer's calendar.
#[utoipa::path(post, path = "/events", request_body = ScheduleRequest, tag = "meetings",
    responses((status = 201, body = Scheduled), (status = 200, description = "already scheduled for this key", body = Scheduled),
              (status = 400, body = crate::error::Problem), (status = 403, body = crate::error::Problem), (status = 503, body = crate::error::Problem)))]
pub async fn create(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(req): ApiJson<ScheduleRequest>,
) -> Result<(StatusCode, ApiJson<Scheduled>), AppError> {
    caller.require(Role::Organizer)?;
    let graph = graph_of(&s)?;
    if req.attendees.len() > MAX_ATTENDEES {
        return Err(AppError::InvalidInput(format!(
            "attendees: at most {MAX_ATTENDEES}"
        )));
    }
    for a in &req.attendees {
        let (local, domain) = a.rsplit_once('@').unwrap_or(("", ""));
        if local.is_empty()
            || !domain.contains('.')
            || a.len() > 254
            || a.chars()
                .any(|c| c.is_whitespace() || c.is_control() || "<>\"(),;:".contains(c))
        {
            return Err(AppError::InvalidInput(format!(
                "attendees: {a:?} is not an e-mail address"
            )));
        }
    }
    if req.subject.trim().is_empty() {
        return Err(AppError::InvalidInput(
            "subject: give the meeting a subject".into(),
        ));
    }
    let until = req
        .recurrence
        .as_ref()
        .map(|r| series_end(&r.until))
        .transpose()?;
    let assertion = bearer(&headers);

    let (_, meeting) = issue_for(
        &s,
        &caller,
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
    if let Some(id) = store::meetings::graph_event(&s.db, &caller.tenant, &req.meeting_key).await? {
        // Scheduled before (a retry after a lost answer): the same event, no second one.
        return Ok((
            StatusCode::OK,
            ApiJson(Scheduled {
                meeting,
                event_id: id,
            }),
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
        "attendees": req.attendees.iter().map(|a| json!({"emailAddress": {"address": a}, "type": "required"})).collect::<Vec<_>>(),
        "isOnlineMeeting": true,
        "onlineMeetingProvider": "teamsForBusiness",
        "transactionId": req.meeting_key,
    });
    if let Some(r) = &req.recurrence {
        let start_date = &meeting.start[..10];
        let mut pattern = json!({"interval": 1});
        match r.pattern {
            RecurrencePattern::Daily => pattern["type"] = json!("daily"),
            RecurrencePattern::Weekly => {
                pattern["type"] = json!("weekly");
                pattern["daysOfWeek"] = json!([weekday(start_date)?]);
            }
        }
        event["recurrence"] = json!({
            "pattern": pattern,
            "range": {"type": "endDate", "startDate": start_date, "endDate": r.until},
        });
    }
    let token = graph
        .on_behalf_of(&caller.tenant, &assertion)
        .await
        .map_err(graph_problem)?;
    let created = graph
        .create_event(&token, &event)
        .await
        .map_err(graph_problem)?;
    // Graph's join link is stored as the meeting's (resolution hands it to bridges), if it
    // is one we accept.
    let join = join_url(created.join_url.as_deref()).ok().flatten();
    let mut tx = s.writes.begin().await?;
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
        StatusCode::CREATED,
        ApiJson(Scheduled {
            meeting,
            event_id: created.id,
        }),
    ))
}

/// Change a scheduled meeting's subject or times: the coordinates' block is rendered again
/// and the calendar event patched to match.
#[utoipa::path(patch, path = "/events/{key}", params(("key" = String, Path)), request_body = UpdateRequest, tag = "meetings",
    responses((status = 200, body = Meeting), (status = 404, body = crate::error::Problem), (status = 503, body = crate::error::Problem)))]
pub async fn update(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiPath(key): ApiPath<String>,
    ApiJson(req): ApiJson<UpdateRequest>,
) -> ApiResult<Meeting> {
    caller.require(Role::Organizer)?;
    let graph = graph_of(&s)?;
    let id = event_of(&s, &caller, &key).await?;
    let ApiJson(m) = super::meetings::update(
        State(s.clone()),
        caller.clone(),
        ApiPath(key.clone()),
        ApiJson(req),
    )
    .await?;
    let patch = json!({
        "subject": m.subject.clone().unwrap_or_default(),
        "body": {"contentType": "HTML", "content": m.coordinates.block.as_ref().map(|b| b.html.clone()).unwrap_or_default()},
        "start": {"dateTime": m.start.trim_end_matches('Z'), "timeZone": "UTC"},
        "end": {"dateTime": m.end.trim_end_matches('Z'), "timeZone": "UTC"},
    });
    let token = graph
        .on_behalf_of(&caller.tenant, &bearer(&headers))
        .await
        .map_err(graph_problem)?;
    graph
        .update_event(&token, &id, &patch)
        .await
        .map_err(graph_problem)?;
    Ok(ApiJson(m))
}

/// Cancel a scheduled meeting: the calendar event goes first (so a failure leaves the
/// coordinates for a retry), then the coordinates.
#[utoipa::path(delete, path = "/events/{key}", params(("key" = String, Path)), tag = "meetings",
    responses((status = 200, body = Meeting), (status = 404, body = crate::error::Problem), (status = 503, body = crate::error::Problem)))]
pub async fn cancel(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<Meeting> {
    caller.require(Role::Organizer)?;
    let graph = graph_of(&s)?;
    let id = event_of(&s, &caller, &key).await?;
    // Only the organizer's own meeting (the cancel below checks it too, after the event).
    super::meetings::show(State(s.clone()), caller.clone(), ApiPath(key.clone())).await?;
    let token = graph
        .on_behalf_of(&caller.tenant, &bearer(&headers))
        .await
        .map_err(graph_problem)?;
    graph
        .delete_event(&token, &id)
        .await
        .map_err(graph_problem)?;
    super::meetings::cancel(State(s), caller, ApiPath(key)).await
}

/// Graph's `dayOfWeek` of a `YYYY-MM-DD` date (Zeller's congruence; the date was checked).
fn weekday(date: &str) -> Result<&'static str, AppError> {
    let n = |r: std::ops::Range<usize>| date.get(r).and_then(|v| v.parse::<i64>().ok());
    let (Some(mut y), Some(mut m), Some(d)) = (n(0..4), n(5..7), n(8..10)) else {
        return Err(AppError::InvalidInput(format!(
            "start: {date:?} is not a date"
        )));
    };
    if m < 3 {
        m += 12;
        y -= 1;
    }
    let h = (d + (13 * (m + 1)) / 5 + y + y / 4 - y / 100 + y / 400) % 7;
    Ok([
        "saturday",
        "sunday",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
    ][h as usize])
}

#[cfg(test)]
mod tests {
    #[test]
    fn weekdays_of_known_dates() {
        assert_eq!(super::weekday("2027-01-23").unwrap(), "saturday");
        assert_eq!(super::weekday("2026-11-29").unwrap(), "sunday");
        assert_eq!(super::weekday("2024-02-29").unwrap(), "thursday");
    }
}
