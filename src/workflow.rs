//! What "Add", "Update" and "Remove" do to the meeting being composed. The task pane and
//! the no-UI command both call these, so the two can never behave differently.

use cvi_core::{
    invite::{self, Lang},
    location, Coordinates,
};

use crate::{
    api::{Api, ApiError, IssueRequest, ProblemKind, UpdateRequest},
    host::{Appointment, Body, HostError, Series},
    i18n::{rows, Key},
    words::tr,
};

/// Office.js refuses bodies longer than this (`body.setAsync`), counted in UTF-16 units.
pub const MAX_BODY_UTF16: usize = 1_000_000;

/// Why a step failed, in the terms of the state the user sees.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// A policy, provider or consent problem, or an unreachable server (the UI message key).
    Api(Key, String),
    /// The host refused (Office.js error text).
    Host(String),
    /// The body would exceed Outlook's limit.
    BodyTooLarge,
    /// The body holds someone else's block; the user must agree to replace it.
    Foreign(Box<Coordinates>),
    /// No token: the host could not sign the user in.
    SignIn(String),
}

impl From<HostError> for Failure {
    fn from(e: HostError) -> Self {
        Failure::Host(e.0)
    }
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        let key = match (&e, e.kind()) {
            (ApiError::Unreachable(_), _) => Key::Unreachable,
            (_, Some(ProblemKind::PolicyDisabled)) => Key::NotEnabled,
            (_, Some(ProblemKind::ProviderMissing)) => Key::ProviderMissing,
            (_, Some(ProblemKind::ConsentMissing)) => Key::ConsentMissing,
            (_, Some(ProblemKind::Unauthenticated)) => Key::SignInFailed,
            _ => Key::Failed,
        };
        Failure::Api(key, e.detail())
    }
}

impl Failure {
    /// The UI message for this failure, and the detail to show under it.
    pub fn message(&self) -> (Key, String) {
        match self {
            Failure::Api(k, d) => (*k, d.clone()),
            Failure::Host(d) => (Key::Failed, d.clone()),
            Failure::BodyTooLarge => (Key::BodyTooLarge, String::new()),
            Failure::Foreign(_) => (Key::Foreign, String::new()),
            Failure::SignIn(d) => (Key::SignInFailed, d.clone()),
        }
    }

    /// [`Failure::message`] in the page's language, each key's words named by its row
    /// (`i18n::rows`), so a page that shows nothing but outcomes (the command) links these
    /// rows of the word table and not the other forty.
    pub fn text(&self) -> (&'static str, String) {
        let (key, detail) = self.message();
        let row = match key {
            Key::Unreachable => rows::Unreachable,
            Key::NotEnabled => rows::NotEnabled,
            Key::ProviderMissing => rows::ProviderMissing,
            Key::ConsentMissing => rows::ConsentMissing,
            Key::SignInFailed => rows::SignInFailed,
            Key::BodyTooLarge => rows::BodyTooLarge,
            Key::Foreign => rows::Foreign,
            _ => rows::Failed,
        };
        (tr(row), detail)
    }
}

/// A fresh meeting key for an item that has none yet.
fn new_key() -> String {
    crate::host::browser::new_meeting_key("cvi")
}

/// Does `found` say the same as `ours` (same tenant key and Video ID)?
fn same(found: &Coordinates, ours: &Coordinates) -> bool {
    found.tenant_key == ours.tenant_key && found.video_id == ours.video_id
}

/// Writes `coords`' block into the body (replacing ours in place) and the SIP URI into
/// the location when it fits. A block that is not ours stops it unless `replace_foreign`.
/// What Add and Update did.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    pub coordinates: Coordinates,
    /// The direct-dial SIP URI did not fit in the location (255 characters): it is only in
    /// the invite, and the user is told so.
    pub location_full: bool,
}

/// Writes `coords`' block into the body (replacing ours in place) and the SIP URI into
/// the location when it fits; says whether it did not. A block that is not ours stops it
/// unless `replace_foreign`.
async fn write_block(
    appt: &dyn Appointment,
    coords: &Coordinates,
    lang: Lang,
    replace_foreign: bool,
) -> Result<Written, Failure> {
    let body = appt.body().await?;
    if !replace_foreign {
        if let Some(other) = invite::find(&body.value, body.kind)
            .into_iter()
            .filter(|f| !f.quoted)
            .map(|f| f.coordinates)
            .find(|c| !same(c, coords))
        {
            return Err(Failure::Foreign(Box::new(other)));
        }
    }
    let new = invite::upsert(&body.value, body.kind, &invite::block_of(coords, lang));
    if new.encode_utf16().count() > MAX_BODY_UTF16 {
        return Err(Failure::BodyTooLarge);
    }
    if new != body.value {
        appt.set_body(Body {
            kind: body.kind,
            value: new,
        })
        .await?;
    }
    let mut location_full = false;
    if let Some(uri) = &coords.direct_dial_uri {
        let current = appt.location().await?;
        match location::with_sip(&current, uri) {
            location::WithSip::Added(loc) => appt.set_location(loc).await?,
            location::WithSip::AlreadyThere => {}
            location::WithSip::NoRoom => location_full = true,
        }
    }
    Ok(Written {
        coordinates: coords.clone(),
        location_full,
    })
}

/// The Teams join link that Teams' own add-in wrote into the item's body (what leads a
/// bridge into the meeting once our Video ID is resolved).
async fn teams_join_url(appt: &dyn Appointment) -> Result<Option<String>, Failure> {
    let body = appt.body().await?;
    Ok(invite::teams_join_url(&body.value, body.kind))
}

/// An item without our meeting key (opened on another device, or copied) may still carry
/// our block: when its Video ID is one of this organizer's live meetings, that meeting's
/// key is the item's — no second Video ID, and the block is not "foreign".
async fn key_from_own_block(appt: &dyn Appointment, api: &Api) -> Result<Option<String>, Failure> {
    let body = appt.body().await?;
    for f in invite::find(&body.value, body.kind)
        .into_iter()
        .filter(|f| !f.quoted)
    {
        let Some(id) = f.coordinates.video_id.filter(|v| v.has_valid_check_digit()) else {
            continue;
        };
        if let Some(m) = api.find_by_video_id(id.as_str()).await? {
            if !m.cancelled && m.coordinates.tenant_key == f.coordinates.tenant_key {
                return Ok(m.coordinates.meeting_key);
            }
        }
    }
    Ok(None)
}

/// How far ahead a series without an end date holds its coordinates; the pane renews them
/// (Update) when it opens on the series within [`RENEW_WITHIN_MS`] of their expiry.
const ENDLESS_HORIZON_MS: f64 = 365.0 * 24.0 * 3600.0 * 1000.0;
/// See [`ENDLESS_HORIZON_MS`].
pub const RENEW_WITHIN_MS: f64 = 120.0 * 24.0 * 3600.0 * 1000.0;

/// The `series_end` to send: the series' own end, or for a series without one a year from
/// its start (or from now, when it started before).
fn series_end(series: &Series, start: &str) -> Option<String> {
    match series {
        Series::Single => None,
        Series::Until(end) => Some(end.clone()),
        Series::Endless => {
            let from = js_sys::Date::parse(start).max(js_sys::Date::now());
            let end =
                js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(from + ENDLESS_HORIZON_MS));
            Some(String::from(end.to_iso_string()))
        }
    }
}

/// "Add video conferencing details": issue (idempotent on the item's key) and write.
pub async fn add(
    appt: &dyn Appointment,
    api: &Api,
    lang: Lang,
    replace_foreign: bool,
) -> Result<Written, Failure> {
    let kept = match appt.meeting_key().await? {
        Some(k) => Some(k),
        None => key_from_own_block(appt, api).await?,
    };
    let subject = appt.subject().await?;
    let times = appt.times().await?;
    let series_end = series_end(&appt.series().await?, &times.start);
    let join = teams_join_url(appt).await?;
    let request = |meeting_key: String| IssueRequest {
        meeting_key,
        subject: (!subject.trim().is_empty()).then(|| subject.clone()),
        start: times.start.clone(),
        end: times.end.clone(),
        series_end: series_end.clone(),
        lang: Some(lang.code().into()),
        teams_join_url: join.clone(),
    };
    let mut key = kept.clone().unwrap_or_else(new_key);
    let meeting = match api.issue(&request(key.clone())).await {
        // The item's key belongs to coordinates cancelled elsewhere (another client's
        // Remove): this meeting gets new ones under a new key.
        Err(e) if kept.is_some() && e.kind() == Some(ProblemKind::Conflict) => {
            key = new_key();
            api.issue(&request(key.clone())).await?
        }
        other => other?,
    };
    // Keep the key before touching the body, so a retry finds the same meeting.
    appt.set_meeting_key(Some(key)).await?;
    write_block(appt, &meeting.coordinates, lang, replace_foreign).await
}

/// "Update": send the item's current subject and times, then rewrite the block in place.
/// A block we did not issue stops it, as for Add, unless `replace_foreign`.
pub async fn update(
    appt: &dyn Appointment,
    api: &Api,
    lang: Lang,
    replace_foreign: bool,
) -> Result<Written, Failure> {
    let Some(key) = appt.meeting_key().await? else {
        return add(appt, api, lang, replace_foreign).await;
    };
    let subject = appt.subject().await?;
    let times = appt.times().await?;
    let series_end = series_end(&appt.series().await?, &times.start);
    let meeting = api
        .update(
            &key,
            &UpdateRequest {
                subject: (!subject.trim().is_empty()).then_some(subject),
                start: Some(times.start),
                end: Some(times.end),
                series_end,
                lang: Some(lang.code().into()),
                teams_join_url: teams_join_url(appt).await?,
            },
        )
        .await?;
    write_block(appt, &meeting.coordinates, lang, replace_foreign).await
}

/// "Remove": cancel the meeting's coordinates, take our block out of the body and the SIP
/// URI out of the location, forget the key. Everything else in the item stays — blocks we
/// did not issue too, unless `foreign_too`: when there are some, the result says so
/// (`Failure::Foreign`) after ours is gone, and the user may remove them as well.
pub async fn remove(appt: &dyn Appointment, api: &Api, foreign_too: bool) -> Result<(), Failure> {
    let mut ours: Option<Coordinates> = None;
    if let Some(key) = appt.meeting_key().await? {
        match api.cancel(&key).await {
            Ok(m) => ours = Some(m.coordinates),
            // Already gone on the server: still clean up the item.
            Err(e) if e.kind() == Some(ProblemKind::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let body = appt.body().await?;
    // Ours: our anchor survived, or it says our meeting's tenant key and Video ID.
    let is_ours =
        |f: &invite::Found| f.anchored || ours.as_ref().is_some_and(|c| same(&f.coordinates, c));
    let found: Vec<invite::Found> = invite::find(&body.value, body.kind)
        .into_iter()
        .filter(|f| !f.quoted)
        .collect();
    let dial = ours
        .as_ref()
        .and_then(|c| c.direct_dial_uri.clone())
        .or_else(|| {
            found
                .iter()
                .find(|f| is_ours(f))
                .and_then(|f| f.coordinates.direct_dial_uri.clone())
        });
    let foreign = found
        .iter()
        .find(|f| !is_ours(f))
        .map(|f| f.coordinates.clone());
    let new = invite::remove_where(&body.value, body.kind, |f| foreign_too || is_ours(f));
    if new != body.value {
        appt.set_body(Body {
            kind: body.kind,
            value: new,
        })
        .await?;
    }
    if let Some(uri) = dial {
        let current = appt.location().await?;
        if let Some(loc) = location::without_sip(&current, &uri) {
            appt.set_location(loc).await?;
        }
    }
    appt.set_meeting_key(None).await?;
    match foreign {
        Some(c) if !foreign_too => Err(Failure::Foreign(Box::new(c))),
        _ => Ok(()),
    }
}
