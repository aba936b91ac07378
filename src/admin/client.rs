//! The admin endpoints of the policy API, typed (same `fetch` client as the organizer's;
//! the console's replies and requests are read and written by hand in `admin::wire`).

use crate::api::{
    wire::{FromJs, ToJs},
    Api, ApiError,
};
use cvi_core::api::{
    endpoints::{
        CancelMeeting, ConsentLinksOf, ConsentStatus, CreateProvider, DailyStatistics, Endpoint,
        FindMeeting, InjectState, ListAudit, ListGrants, ListPolicies, ListProviders,
        OrganizerMeetings, PutGrant, RemoveProvider, SetInject, ShowMeeting, UpdateProvider,
        UserEffectivePolicy,
    },
    ConsentLinks, DailyStats, EffectiveView, GrantOutcome, GrantRequest, GrantView, InjectRequest,
    InjectStatus, Meeting, NewProvider, PolicyView, ProviderConsent, ProviderView, Removed,
    SetProvider,
};

/// A JSON value as the browser parsed it: an audit record's before or after, shown as
/// JSON text, never as markup. (Read by `admin::wire`; serde's reader is here because
/// `ListAudit` names it, and stays out of the bundle because nothing calls it.)
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(transparent)]
pub struct JsJson(#[serde(with = "serde_wasm_bindgen::preserve")] pub wasm_bindgen::JsValue);

/// An audited change, as the server's `cvi_core::api::AuditEntry`.
pub type AuditEntry = cvi_core::api::AuditEntry<JsJson>;
/// A page of the audit log, newest first.
pub type AuditPage = cvi_core::api::AuditPage<JsJson>;

/// Everything the console shows about the tenant's set-up, read together.
#[derive(Debug, Clone, PartialEq)]
pub struct Setup {
    pub providers: Vec<ProviderView>,
    pub policies: Vec<PolicyView>,
    pub grants: Vec<GrantView>,
    pub consent: Vec<ProviderConsent>,
}

impl Setup {
    /// The provider a policy hands out (`DefaultProvider` for none).
    pub fn provider_of(&self, policy: &str) -> Option<&str> {
        self.policies
            .iter()
            .find(|p| p.identity.eq_ignore_ascii_case(policy))
            .map(|p| p.provider_name.as_str())
    }
}

/// The admin's calls.
#[derive(Clone)]
pub struct AdminApi(pub Api);

impl AdminApi {
    /// One call of endpoint `E` (the organizer's `Api::call`).
    async fn call<E: Endpoint>(
        &self,
        args: &[&str],
        query: &[(&str, Option<&str>)],
        body: Option<&E::Request>,
    ) -> Result<E::Reply, ApiError>
    where
        E::Request: ToJs,
        E::Reply: FromJs,
    {
        self.0.call::<E>(args, query, body).await
    }

    /// The tenant's providers: one request only an admin may make.
    pub async fn providers(&self) -> Result<Vec<ProviderView>, ApiError> {
        self.call::<ListProviders>(&[], &[], None).await
    }

    pub async fn setup(&self) -> Result<Setup, ApiError> {
        let providers = self.providers().await?;
        let policies = self.call::<ListPolicies>(&[], &[], None).await?;
        let grants = self.call::<ListGrants>(&[], &[], None).await?;
        let consent = if providers.is_empty() {
            Vec::new()
        } else {
            self.call::<ConsentStatus>(&[], &[], None).await?
        };
        Ok(Setup {
            providers,
            policies,
            grants,
            consent,
        })
    }

    pub async fn create_provider(&self, p: &NewProvider) -> Result<ProviderView, ApiError> {
        self.call::<CreateProvider>(&[], &[], Some(p)).await
    }

    pub async fn set_provider(
        &self,
        name: &str,
        p: &SetProvider,
    ) -> Result<ProviderView, ApiError> {
        self.call::<UpdateProvider>(&[name], &[], Some(p)).await
    }

    pub async fn remove_provider(&self, name: &str) -> Result<Removed, ApiError> {
        self.call::<RemoveProvider>(&[name], &[], None).await
    }

    pub async fn put_grant(&self, g: &GrantRequest) -> Result<GrantOutcome, ApiError> {
        self.call::<PutGrant>(&[], &[], Some(g)).await
    }

    pub async fn effective(&self, upn: &str, groups: &str) -> Result<EffectiveView, ApiError> {
        let groups = Some(groups.trim()).filter(|g| !g.is_empty());
        self.call::<UserEffectivePolicy>(&[upn], &[("groups", groups)], None)
            .await
    }

    pub async fn inject(&self) -> Result<InjectStatus, ApiError> {
        self.call::<InjectState>(&[], &[], None).await
    }

    pub async fn set_inject(&self, enabled: bool) -> Result<InjectStatus, ApiError> {
        self.call::<SetInject>(&[], &[], Some(&InjectRequest { enabled }))
            .await
    }

    pub async fn consent_links(&self, provider: &str) -> Result<ConsentLinks, ApiError> {
        self.call::<ConsentLinksOf>(&[], &[("provider", Some(provider))], None)
            .await
    }

    pub async fn meeting(&self, key: &str) -> Result<Meeting, ApiError> {
        self.call::<ShowMeeting>(&[key], &[], None).await
    }

    pub async fn meeting_by_video_id(&self, id: &str) -> Result<Meeting, ApiError> {
        self.call::<FindMeeting>(&[], &[("video_id", Some(id))], None)
            .await
    }

    pub async fn meetings_of(&self, upn: &str) -> Result<Vec<Meeting>, ApiError> {
        self.call::<OrganizerMeetings>(&[upn], &[], None).await
    }

    pub async fn cancel_meeting(&self, key: &str) -> Result<Meeting, ApiError> {
        self.call::<CancelMeeting>(&[key], &[], None).await
    }

    /// A page of the audit log (20 entries), filtered by the server: `actor` exactly,
    /// actions starting with `action`, and one UTC `day` (`YYYY-MM-DD`); empty = any.
    pub async fn audit(
        &self,
        before: Option<&str>,
        actor: &str,
        action: &str,
        day: &str,
    ) -> Result<AuditPage, ApiError> {
        fn given(v: &str) -> Option<&str> {
            Some(v.trim()).filter(|v| !v.is_empty())
        }
        self.call::<ListAudit<JsJson>>(
            &[],
            &[
                ("limit", Some("20")),
                ("actor", given(actor)),
                ("action", given(action)),
                ("since", given(day)),
                ("until", given(day)),
                ("before", before),
            ],
            None,
        )
        .await
    }

    pub async fn stats(&self) -> Result<DailyStats, ApiError> {
        self.call::<DailyStatistics>(&[], &[("days", Some("30"))], None)
            .await
    }
}
