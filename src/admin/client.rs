//! The admin endpoints of the policy API, typed (same `fetch` client as the organizer's).

use cvi_core::api::{
    endpoints::{
        CancelMeeting, ConsentLinksOf, ConsentStatus, CreateProvider, DailyStatistics, FindMeeting,
        InjectState, ListAudit, ListGrants, ListPolicies, ListProviders, OrganizerMeetings,
        PutGrant, RemoveProvider, SetInject, ShowMeeting, UpdateProvider, UserEffectivePolicy,
    },
    ConsentLinks, DailyStats, EffectiveView, GrantOutcome, GrantRequest, GrantView, InjectRequest,
    InjectStatus, Meeting, NewProvider, PolicyView, ProviderConsent, ProviderView, Removed,
    SetProvider,
};
use serde::Deserialize;

use crate::api::{Api, ApiError};

/// A JSON value as the browser parsed it: an audit record's before or after, shown as
/// JSON text, never as markup.
#[derive(Debug, Clone, PartialEq, Deserialize)]
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
    pub async fn setup(&self) -> Result<Setup, ApiError> {
        let providers = self.0.call::<ListProviders>(&[], &[], None).await?;
        let policies = self.0.call::<ListPolicies>(&[], &[], None).await?;
        let grants = self.0.call::<ListGrants>(&[], &[], None).await?;
        let consent = if providers.is_empty() {
            Vec::new()
        } else {
            self.0.call::<ConsentStatus>(&[], &[], None).await?
        };
        Ok(Setup {
            providers,
            policies,
            grants,
            consent,
        })
    }

    pub async fn create_provider(&self, p: &NewProvider) -> Result<ProviderView, ApiError> {
        self.0.call::<CreateProvider>(&[], &[], Some(p)).await
    }

    pub async fn set_provider(
        &self,
        name: &str,
        p: &SetProvider,
    ) -> Result<ProviderView, ApiError> {
        self.0.call::<UpdateProvider>(&[name], &[], Some(p)).await
    }

    pub async fn remove_provider(&self, name: &str) -> Result<Removed, ApiError> {
        self.0.call::<RemoveProvider>(&[name], &[], None).await
    }

    pub async fn put_grant(&self, g: &GrantRequest) -> Result<GrantOutcome, ApiError> {
        self.0.call::<PutGrant>(&[], &[], Some(g)).await
    }

    pub async fn effective(&self, upn: &str, groups: &str) -> Result<EffectiveView, ApiError> {
        let groups = Some(groups.trim()).filter(|g| !g.is_empty());
        self.0
            .call::<UserEffectivePolicy>(&[upn], &[("groups", groups)], None)
            .await
    }

    pub async fn inject(&self) -> Result<InjectStatus, ApiError> {
        self.0.call::<InjectState>(&[], &[], None).await
    }

    pub async fn set_inject(&self, enabled: bool) -> Result<InjectStatus, ApiError> {
        self.0
            .call::<SetInject>(&[], &[], Some(&InjectRequest { enabled }))
            .await
    }

    pub async fn consent_links(&self, provider: &str) -> Result<ConsentLinks, ApiError> {
        self.0
            .call::<ConsentLinksOf>(&[], &[("provider", Some(provider))], None)
            .await
    }

    pub async fn meeting(&self, key: &str) -> Result<Meeting, ApiError> {
        self.0.call::<ShowMeeting>(&[key], &[], None).await
    }

    pub async fn meeting_by_video_id(&self, id: &str) -> Result<Meeting, ApiError> {
        self.0
            .call::<FindMeeting>(&[], &[("video_id", Some(id))], None)
            .await
    }

    pub async fn meetings_of(&self, upn: &str) -> Result<Vec<Meeting>, ApiError> {
        self.0.call::<OrganizerMeetings>(&[upn], &[], None).await
    }

    pub async fn cancel_meeting(&self, key: &str) -> Result<Meeting, ApiError> {
        self.0.call::<CancelMeeting>(&[key], &[], None).await
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
        self.0
            .call::<ListAudit<JsJson>>(
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
        self.0
            .call::<DailyStatistics>(&[], &[("days", Some("30"))], None)
            .await
    }
}
