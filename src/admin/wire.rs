//! The console's requests and replies, read and written field by field as the organizer's
//! are (`api::wire`): serde's derived readers and serde-wasm-bindgen were ~13 KB brotli of
//! the console's bundle for these twenty types.
//!
//! The field names and defaults are `cvi_core::api`'s serde attributes, mirrored:
//! `tests/wasm_app.rs` reads what serde_json wrote and checks that serde_json reads what
//! these write, for every type here.

use cvi_core::api::{
    AppConsent, AppIds, ConsentLink, ConsentLinks, DailySeries, DailyStats, GrantOutcome,
    GrantRequest, InjectOutcome, InjectRequest, InjectStatus, NewProvider, PermissionState,
    ProviderConsent, ProviderView, Removed, SetProvider, TargetKind,
};
use wasm_bindgen::JsValue;

use super::client::{AuditEntry, AuditPage, JsJson};
use crate::api::wire::{strings, Bad, FromJs, Obj, Out, ToJs};

/// A list of strings that must be there.
fn list(o: &Obj<'_>, k: &'static str) -> Result<Vec<String>, Bad> {
    o.strings(k)?.ok_or(Bad(k))
}

/// A field that must be there.
fn req<T: FromJs>(o: &Obj<'_>, k: &'static str) -> Result<T, Bad> {
    o.opt(k)?.ok_or(Bad(k))
}

/// A whole number in JSON's safe range (what the `i64` fields hold in practice).
fn opt_int(o: &Obj<'_>, k: &'static str) -> Result<Option<i64>, Bad> {
    const SAFE: f64 = 9_007_199_254_740_991.0;
    o.get(k)
        .map(|v| {
            v.as_f64()
                .filter(|n| n.fract() == 0.0 && (-SAFE..=SAFE).contains(n))
                .map(|n| n as i64)
                .ok_or(Bad(k))
        })
        .transpose()
}

/// A whole number that must be there.
fn int(o: &Obj<'_>, k: &'static str) -> Result<i64, Bad> {
    opt_int(o, k)?.ok_or(Bad(k))
}

impl FromJs for ProviderView {
    fn from_js(v: &JsValue) -> Result<Self, Bad> {
        let o = Obj::new(v, "provider")?;
        Ok(ProviderView {
            name: o.str("name")?,
            tenant_key: o.str("tenant_key")?,
            instruction_uri: o.opt_str("instruction_uri")?,
            aad_application_ids: list(&o, "aad_application_ids")?,
            allow_app_guest_joins_as_authenticated: o
                .bool("allow_app_guest_joins_as_authenticated")?,
            sip_gateway: o.str("sip_gateway")?,
            sip_ivr: o.str("sip_ivr")?,
        })
    }
}

impl FromJs for Removed {
    fn from_js(v: &JsValue) -> Result<Self, Bad> {
        let o = Obj::new(v, "removed provider")?;
        Ok(Removed {
            removed: req(&o, "removed")?,
            orphaned_grants: req(&o, "orphaned_grants")?,
            message: o.str("message")?,
        })
    }
}

impl FromJs for GrantOutcome {
    fn from_js(v: &JsValue) -> Result<Self, Bad> {
        let o = Obj::new(v, "grant outcome")?;
        Ok(GrantOutcome {
            grant: o.opt("grant")?,
            previous: o.opt("previous")?,
        })
    }
}

impl FromJs for ConsentLink {
    fn from_js(v: &JsValue) -> Result<Self, Bad> {
        let o = Obj::new(v, "consent link")?;
        Ok(ConsentLink {
            app_id: o.str("app_id")?,
            url: o.str("url")?,
            consented: o.bool("consented")?,
        })
    }
}

impl FromJs for ConsentLinks {
    fn from_js(v: &JsValue) -> Result<Self, Bad> {
        let o = Obj::new(v, "consent links")?;
        Ok(ConsentLinks {
            provider: o.str("provider")?,
            links: req(&o, "links")?,
            permissions: list(&o, "permissions")?,
        })
    }
}

impl FromJs for PermissionState {
    fn from_js(v: &JsValue) -> Result<Self, Bad> {
        let o = Obj::new(v, "permission")?;
        Ok(PermissionState {
            name: o.str("name")?,
            granted: o.bool("granted")?,
        })
    }
}

impl FromJs for AppConsent {
    fn from_js(v: &JsValue) -> Result<Self, Bad> {
        let o = Obj::new(v, "app consent")?;
        Ok(AppConsent {
            app_id: o.str("app_id")?,
            consented: o.bool("consented")?,
            error: o.opt_str("error")?,
            verified: o.bool_or("verified", false)?,
            permissions: o.opt("permissions")?.unwrap_or_default(),
        })
    }
}

impl FromJs for ProviderConsent {
    fn from_js(v: &JsValue) -> Result<Self, Bad> {
        let o = Obj::new(v, "provider consent")?;
        Ok(ProviderConsent {
            provider: o.str("provider")?,
            apps: req(&o, "apps")?,
            missing: list(&o, "missing")?,
            warning: o.opt_str("warning")?,
        })
    }
}

impl FromJs for InjectOutcome {
    fn from_js(v: &JsValue) -> Result<Self, Bad> {
        let o = Obj::new(v, "inject outcome")?;
        Ok(InjectOutcome {
            user: o.str("user")?,
            event_id: o.str("event_id")?,
            outcome: o.str("outcome")?,
            at: o.str("at")?,
        })
    }
}

impl FromJs for InjectStatus {
    fn from_js(v: &JsValue) -> Result<Self, Bad> {
        let o = Obj::new(v, "inject status")?;
        Ok(InjectStatus {
            enabled: o.bool("enabled")?,
            graph_configured: o.bool("graph_configured")?,
            missing: list(&o, "missing")?,
            consent_url: o.opt_str("consent_url")?,
            subscriptions: int(&o, "subscriptions")?,
            subscriptions_expiring: int(&o, "subscriptions_expiring")?,
            subscriptions_failed: opt_int(&o, "subscriptions_failed")?.unwrap_or(0),
            last_failure: o.opt_str("last_failure")?,
            queue_depth: int(&o, "queue_depth")?,
            oldest_waiting: o.opt_str("oldest_waiting")?,
            recent: o.opt("recent")?.unwrap_or_default(),
        })
    }
}

/// A count of a chart: a whole number from 0.
struct Count(u64);

impl FromJs for Count {
    fn from_js(v: &JsValue) -> Result<Self, Bad> {
        v.as_f64()
            .filter(|n| n.fract() == 0.0 && (0.0..=9_007_199_254_740_991.0).contains(n))
            .map(|n| Count(n as u64))
            .ok_or(Bad("counts"))
    }
}

impl FromJs for DailySeries {
    fn from_js(v: &JsValue) -> Result<Self, Bad> {
        let o = Obj::new(v, "series")?;
        let counts: Vec<Count> = req(&o, "counts")?;
        Ok(DailySeries {
            metric: o.str("metric")?,
            provider: o.str("provider")?,
            counts: counts.into_iter().map(|c| c.0).collect(),
        })
    }
}

impl FromJs for DailyStats {
    fn from_js(v: &JsValue) -> Result<Self, Bad> {
        let o = Obj::new(v, "daily statistics")?;
        Ok(DailyStats {
            days: list(&o, "days")?,
            series: req(&o, "series")?,
        })
    }
}

impl FromJs for JsJson {
    fn from_js(v: &JsValue) -> Result<Self, Bad> {
        Ok(JsJson(v.clone()))
    }
}

impl FromJs for AuditEntry {
    fn from_js(v: &JsValue) -> Result<Self, Bad> {
        let o = Obj::new(v, "audit entry")?;
        Ok(AuditEntry {
            id: o.str("id")?,
            at: int(&o, "at")?,
            actor: o.str("actor")?,
            action: o.str("action")?,
            target: o.str("target")?,
            before: o.opt("before")?,
            after: o.opt("after")?,
        })
    }
}

impl FromJs for AuditPage {
    fn from_js(v: &JsValue) -> Result<Self, Bad> {
        let o = Obj::new(v, "audit page")?;
        Ok(AuditPage {
            entries: req(&o, "entries")?,
            next: o.opt_str("next")?,
        })
    }
}

/// App ids as given: a list, or one `;`-separated string (serde's untagged enum).
fn app_ids(out: Out, ids: Option<&AppIds>) -> Out {
    match ids {
        Some(AppIds::List(ids)) => out.set("aad_application_ids", strings(ids)),
        Some(AppIds::Joined(ids)) => out.set("aad_application_ids", ids.as_str()),
        None => out,
    }
}

/// An optional flag, left out when absent.
fn opt_flag(out: Out, k: &str, v: Option<bool>) -> Out {
    match v {
        Some(v) => out.set(k, v),
        None => out,
    }
}

impl ToJs for NewProvider {
    fn to_js(&self) -> JsValue {
        let out = Out::new()
            .set("name", self.name.as_str())
            .set("tenant_key", self.tenant_key.as_str())
            .opt("instruction_uri", self.instruction_uri.as_deref());
        let out = app_ids(out, self.aad_application_ids.as_ref());
        opt_flag(
            out,
            "allow_app_guest_joins_as_authenticated",
            self.allow_app_guest_joins_as_authenticated,
        )
        .opt("sip_gateway", self.sip_gateway.as_deref())
        .opt("sip_ivr", self.sip_ivr.as_deref())
        .done()
    }
}

impl ToJs for SetProvider {
    fn to_js(&self) -> JsValue {
        let out = Out::new()
            .opt("tenant_key", self.tenant_key.as_deref())
            .opt("instruction_uri", self.instruction_uri.as_deref());
        let out = app_ids(out, self.aad_application_ids.as_ref());
        opt_flag(
            out,
            "allow_app_guest_joins_as_authenticated",
            self.allow_app_guest_joins_as_authenticated,
        )
        .opt("sip_gateway", self.sip_gateway.as_deref())
        .opt("sip_ivr", self.sip_ivr.as_deref())
        .done()
    }
}

impl ToJs for GrantRequest {
    fn to_js(&self) -> JsValue {
        let target = match self.target {
            TargetKind::User => "user",
            TargetKind::Group => "group",
            TargetKind::Global => "global",
        };
        let out = Out::new()
            .set("target", target)
            .opt("identity", self.identity.as_deref());
        let out = match self.rank {
            Some(rank) => out.set("rank", rank),
            None => out,
        };
        // Written even when absent: `null` is how a grant is removed.
        let policy = self
            .policy_name
            .as_deref()
            .map_or(JsValue::NULL, JsValue::from_str);
        out.set("policy_name", policy).done()
    }
}

impl ToJs for InjectRequest {
    fn to_js(&self) -> JsValue {
        Out::new().set("enabled", self.enabled).done()
    }
}
