//! The organizer's requests and replies as JavaScript values, written and read field by
//! field (`js_sys::Reflect`) on top of the browser's JSON, not through serde.
//!
//! Why by hand: serde-wasm-bindgen's deserializer and the messages serde formats for a
//! value of the wrong type (float printing, string escaping and its Unicode tables) were
//! ~20 KB brotli of every organizer bundle — a fifth of the no-UI command page. These are
//! the five replies and four requests the pane, the command, the scheduler and the Teams
//! tab use, and the reader's tools; the console's own are in `admin::wire`.
//!
//! The field names are the wire contract of `cvi_core::api` (what the server writes with
//! serde): `tests/wasm_app.rs` reads what serde_json wrote and serde_json reads what
//! these wrote, for every type here, so the two cannot drift apart unnoticed.

use cvi_core::{
    api::{
        EffectiveView, GrantView, IssueRequest, Meeting, PolicyView, Problem, ProblemKind,
        Recurrence, RecurrencePattern, Role, ScheduleRequest, Scheduled, TargetKind, TokenReply,
        TokenRequest, UpdateRequest,
    },
    coordinates::Block,
    Coordinates, ProviderName,
};
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::JsValue;

/// A reply whose field (named) is missing or not what the contract says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bad(pub &'static str);

/// A value read from a parsed JSON reply.
pub trait FromJs: Sized {
    fn from_js(v: &JsValue) -> Result<Self, Bad>;
}

/// A request body as a JSON-ready value (absent optional fields left out, as serde's
/// `skip_serializing_if` does).
pub trait ToJs {
    fn to_js(&self) -> JsValue;
}

/// One JSON object of a reply.
pub(crate) struct Obj<'a>(&'a JsValue);

impl<'a> Obj<'a> {
    /// `what` names the object when `v` is not one.
    pub(crate) fn new(v: &'a JsValue, what: &'static str) -> Result<Self, Bad> {
        if v.is_object() && !Array::is_array(v) {
            Ok(Obj(v))
        } else {
            Err(Bad(what))
        }
    }

    /// The field, `None` when absent or null (serde reads both as `None`).
    pub(crate) fn get(&self, k: &'static str) -> Option<JsValue> {
        Reflect::get(self.0, &JsValue::from_str(k))
            .ok()
            .filter(|v| !v.is_undefined() && !v.is_null())
    }

    pub(crate) fn opt_str(&self, k: &'static str) -> Result<Option<String>, Bad> {
        self.get(k).map(|v| v.as_string().ok_or(Bad(k))).transpose()
    }

    pub(crate) fn str(&self, k: &'static str) -> Result<String, Bad> {
        self.opt_str(k)?.ok_or(Bad(k))
    }

    /// A string field that a `cvi_core` type checks (`TryFrom<String>`).
    pub(crate) fn checked<T: TryFrom<String>>(&self, k: &'static str) -> Result<Option<T>, Bad> {
        self.opt_str(k)?
            .map(|s| T::try_from(s).map_err(|_| Bad(k)))
            .transpose()
    }

    /// A `true`/`false` that must be there.
    pub(crate) fn bool(&self, k: &'static str) -> Result<bool, Bad> {
        self.get(k).and_then(|b| b.as_bool()).ok_or(Bad(k))
    }

    pub(crate) fn bool_or(&self, k: &'static str, default: bool) -> Result<bool, Bad> {
        self.get(k)
            .map_or(Ok(default), |v| v.as_bool().ok_or(Bad(k)))
    }

    /// A non-negative whole number up to `max`.
    pub(crate) fn uint(&self, k: &'static str, max: f64) -> Result<Option<f64>, Bad> {
        self.get(k)
            .map(|v| {
                v.as_f64()
                    .filter(|n| n.fract() == 0.0 && (0.0..=max).contains(n))
                    .ok_or(Bad(k))
            })
            .transpose()
    }

    pub(crate) fn strings(&self, k: &'static str) -> Result<Option<Vec<String>>, Bad> {
        let Some(v) = self.get(k) else {
            return Ok(None);
        };
        if !Array::is_array(&v) {
            return Err(Bad(k));
        }
        Array::from(&v)
            .iter()
            .map(|s| s.as_string().ok_or(Bad(k)))
            .collect::<Result<_, _>>()
            .map(Some)
    }

    pub(crate) fn opt<T: FromJs>(&self, k: &'static str) -> Result<Option<T>, Bad> {
        self.get(k).map(|v| T::from_js(&v)).transpose()
    }
}

/// A JSON array, each item read as `T`.
impl<T: FromJs> FromJs for Vec<T> {
    fn from_js(v: &JsValue) -> Result<Self, Bad> {
        if !Array::is_array(v) {
            return Err(Bad("list"));
        }
        Array::from(v)
            .iter()
            .map(|item| T::from_js(&item))
            .collect()
    }
}

impl FromJs for Block {
    fn from_js(v: &JsValue) -> Result<Self, Bad> {
        let o = Obj::new(v, "block")?;
        Ok(Block {
            html: o.str("html")?,
            text: o.str("text")?,
        })
    }
}

impl FromJs for Coordinates {
    fn from_js(v: &JsValue) -> Result<Self, Bad> {
        let o = Obj::new(v, "coordinates")?;
        let provider = o
            .opt_str("provider")?
            .map(|s| {
                // serde's derived enum: the exact variant name.
                ProviderName::ALL
                    .into_iter()
                    .find(|p| p.as_str() == s)
                    .ok_or(Bad("provider"))
            })
            .transpose()?;
        Ok(Coordinates {
            meeting_key: o.opt_str("meeting_key")?,
            provider,
            tenant_key: o.checked("tenant_key")?,
            video_id: o.checked("video_id")?,
            ivr_uri: o.opt_str("ivr_uri")?,
            direct_dial_uri: o.opt_str("direct_dial_uri")?,
            more_info_url: o.opt_str("more_info_url")?,
            teams_join_url: o.opt_str("teams_join_url")?,
            expires_at: o.opt_str("expires_at")?,
            block: o.opt("block")?,
        })
    }
}

impl FromJs for Meeting {
    fn from_js(v: &JsValue) -> Result<Self, Bad> {
        let o = Obj::new(v, "meeting")?;
        Ok(Meeting {
            coordinates: Coordinates::from_js(v)?,
            subject: o.opt_str("subject")?,
            start: o.str("start")?,
            end: o.str("end")?,
            organizer: o.str("organizer")?,
            cancelled: o.bool_or("cancelled", false)?,
        })
    }
}

impl FromJs for Scheduled {
    fn from_js(v: &JsValue) -> Result<Self, Bad> {
        let o = Obj::new(v, "scheduled meeting")?;
        Ok(Scheduled {
            meeting: Meeting::from_js(v)?,
            event_id: o.str("event_id")?,
        })
    }
}

impl FromJs for PolicyView {
    fn from_js(v: &JsValue) -> Result<Self, Bad> {
        let o = Obj::new(v, "policy")?;
        Ok(PolicyView {
            identity: o.str("identity")?,
            description: o.str("description")?,
            provider_name: o.str("provider_name")?,
            enabled: o.bool("enabled")?,
        })
    }
}

impl FromJs for GrantView {
    fn from_js(v: &JsValue) -> Result<Self, Bad> {
        let o = Obj::new(v, "grant")?;
        let target = match o.str("target")?.as_str() {
            "user" => TargetKind::User,
            "group" => TargetKind::Group,
            "global" => TargetKind::Global,
            _ => return Err(Bad("target")),
        };
        Ok(GrantView {
            target,
            identity: o.opt_str("identity")?,
            rank: o.uint("rank", f64::from(u32::MAX))?.map(|n| n as u32),
            policy_name: o.str("policy_name")?,
        })
    }
}

impl FromJs for EffectiveView {
    fn from_js(v: &JsValue) -> Result<Self, Bad> {
        let o = Obj::new(v, "effective policy")?;
        Ok(EffectiveView {
            user: o.str("user")?,
            policy: o.opt("policy")?.ok_or(Bad("policy"))?,
            source: o.str("source")?,
            grant: o.opt("grant")?,
            reason: o.str("reason")?,
        })
    }
}

impl FromJs for Problem {
    fn from_js(v: &JsValue) -> Result<Self, Bad> {
        let o = Obj::new(v, "problem")?;
        Ok(Problem {
            kind: ProblemKind::from_type_uri(&o.str("type")?).ok_or(Bad("type"))?,
            title: o.str("title")?,
            status: o
                .uint("status", f64::from(u16::MAX))?
                .ok_or(Bad("status"))? as u16,
            detail: o.str("detail")?,
            missing_app_ids: o.strings("missing_app_ids")?,
        })
    }
}

impl FromJs for TokenReply {
    fn from_js(v: &JsValue) -> Result<Self, Bad> {
        let o = Obj::new(v, "token")?;
        Ok(TokenReply {
            token: o.str("token")?,
            // Seconds; 2^53 is beyond any lifetime a token has.
            expires_in: o
                .uint("expires_in", 9_007_199_254_740_991.0)?
                .ok_or(Bad("expires_in"))? as i64,
        })
    }
}

/// A request body under construction.
pub(crate) struct Out(Object);

impl Out {
    pub(crate) fn new() -> Self {
        Out(Object::new())
    }

    pub(crate) fn set(self, k: &str, v: impl Into<JsValue>) -> Self {
        // Setting a plain data property on a fresh plain object cannot throw.
        let _ = Reflect::set(&self.0, &JsValue::from_str(k), &v.into());
        self
    }

    pub(crate) fn opt(self, k: &str, v: Option<&str>) -> Self {
        match v {
            Some(v) => self.set(k, v),
            None => self,
        }
    }

    pub(crate) fn done(self) -> JsValue {
        self.0.into()
    }
}

pub(crate) fn strings(v: &[String]) -> Array {
    v.iter().map(|s| JsValue::from_str(s)).collect()
}

impl ToJs for () {
    fn to_js(&self) -> JsValue {
        JsValue::NULL
    }
}

impl ToJs for IssueRequest {
    fn to_js(&self) -> JsValue {
        Out::new()
            .set("meeting_key", self.meeting_key.as_str())
            .opt("subject", self.subject.as_deref())
            .set("start", self.start.as_str())
            .set("end", self.end.as_str())
            .opt("series_end", self.series_end.as_deref())
            .opt("lang", self.lang.as_deref())
            .opt("teams_join_url", self.teams_join_url.as_deref())
            .done()
    }
}

impl ToJs for UpdateRequest {
    fn to_js(&self) -> JsValue {
        Out::new()
            .opt("subject", self.subject.as_deref())
            .opt("start", self.start.as_deref())
            .opt("end", self.end.as_deref())
            .opt("series_end", self.series_end.as_deref())
            .opt("lang", self.lang.as_deref())
            .opt("teams_join_url", self.teams_join_url.as_deref())
            .done()
    }
}

impl ToJs for Recurrence {
    fn to_js(&self) -> JsValue {
        let pattern = match self.pattern {
            RecurrencePattern::Daily => "daily",
            RecurrencePattern::Weekly => "weekly",
        };
        Out::new()
            .set("pattern", pattern)
            .set("until", self.until.as_str())
            .done()
    }
}

impl ToJs for ScheduleRequest {
    fn to_js(&self) -> JsValue {
        let out = Out::new()
            .set("meeting_key", self.meeting_key.as_str())
            .set("subject", self.subject.as_str())
            .set("start", self.start.as_str())
            .set("end", self.end.as_str())
            .set("attendees", strings(&self.attendees));
        let out = match &self.recurrence {
            Some(r) => out.set("recurrence", r.to_js()),
            None => out,
        };
        out.opt("lang", self.lang.as_deref()).done()
    }
}

impl ToJs for TokenRequest {
    fn to_js(&self) -> JsValue {
        let role = match self.role {
            Role::Admin => "admin",
            Role::Organizer => "organizer",
            Role::Partner => "partner",
        };
        let out = Out::new()
            .set("tenant", self.tenant.as_str())
            .set("user", self.user.as_str())
            .set("role", role)
            .opt("app_id", self.app_id.as_deref());
        let out = if self.groups.is_empty() {
            out
        } else {
            out.set("groups", strings(&self.groups))
        };
        out.opt("oid", self.oid.as_deref()).done()
    }
}
