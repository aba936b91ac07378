//! The wire contract of the policy API (`/api/v1`): every request and response body the
//! server, the `cvi` command line and the add-in exchange, and the problem document with
//! its causes. One definition for all three, so a changed field is a compile error
//! everywhere rather than a silent mismatch.
//!
//! With the `openapi` feature the types also derive `utoipa::ToSchema` (the server's
//! OpenAPI document); the add-in builds without it, so the bundle carries no schema code.

pub mod endpoints;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{sip_target::SipTarget, AppId, Coordinates, Grant, GrantTarget, Policy, Provider};

/// The cause of a failed request: the stable `type` of its problem document
/// (`urn:cvi:problem:<slug>`), which clients branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProblemKind {
    InvalidInput,
    Unauthenticated,
    Forbidden,
    NotFound,
    Conflict,
    /// The organizer's effective policy is disabled.
    PolicyDisabled,
    /// The policy names a provider the tenant has not configured.
    ProviderMissing,
    /// The provider's partner apps lack admin consent.
    ConsentMissing,
    PayloadTooLarge,
    RateLimited,
    /// A dependency (the database) is unavailable.
    Unavailable,
    /// The request took longer than the server allows one (30 s).
    Timeout,
    Internal,
}

impl ProblemKind {
    /// Every cause, for documentation and tests.
    pub const ALL: [ProblemKind; 13] = [
        Self::InvalidInput,
        Self::Unauthenticated,
        Self::Forbidden,
        Self::NotFound,
        Self::Conflict,
        Self::PolicyDisabled,
        Self::ProviderMissing,
        Self::ConsentMissing,
        Self::PayloadTooLarge,
        Self::RateLimited,
        Self::Unavailable,
        Self::Timeout,
        Self::Internal,
    ];

    /// The problem `type` (`urn:cvi:problem:policy-disabled`).
    ///
    /// ```
    /// use cvi_core::api::ProblemKind;
    /// assert_eq!(ProblemKind::PolicyDisabled.type_uri(), "urn:cvi:problem:policy-disabled");
    /// assert_eq!(ProblemKind::from_type_uri("urn:cvi:problem:not-found"), Some(ProblemKind::NotFound));
    /// ```
    #[must_use]
    pub fn type_uri(self) -> &'static str {
        match self {
            Self::InvalidInput => "urn:cvi:problem:invalid-input",
            Self::Unauthenticated => "urn:cvi:problem:unauthenticated",
            Self::Forbidden => "urn:cvi:problem:forbidden",
            Self::NotFound => "urn:cvi:problem:not-found",
            Self::Conflict => "urn:cvi:problem:conflict",
            Self::PolicyDisabled => "urn:cvi:problem:policy-disabled",
            Self::ProviderMissing => "urn:cvi:problem:provider-missing",
            Self::ConsentMissing => "urn:cvi:problem:consent-missing",
            Self::PayloadTooLarge => "urn:cvi:problem:payload-too-large",
            Self::RateLimited => "urn:cvi:problem:rate-limited",
            Self::Unavailable => "urn:cvi:problem:unavailable",
            Self::Timeout => "urn:cvi:problem:timeout",
            Self::Internal => "urn:cvi:problem:internal",
        }
    }

    /// The short name after `urn:cvi:problem:` (what the CLI prints).
    #[must_use]
    pub fn slug(self) -> &'static str {
        &self.type_uri()["urn:cvi:problem:".len()..]
    }

    /// The cause a problem `type` names, if it is one of ours.
    #[must_use]
    pub fn from_type_uri(uri: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.type_uri() == uri)
    }

    /// The HTTP status this cause is answered with.
    #[must_use]
    pub fn status(self) -> u16 {
        match self {
            Self::InvalidInput => 400,
            Self::Unauthenticated => 401,
            Self::Forbidden | Self::PolicyDisabled | Self::ProviderMissing => 403,
            Self::ConsentMissing => 403,
            Self::NotFound => 404,
            Self::Conflict => 409,
            Self::PayloadTooLarge => 413,
            Self::RateLimited => 429,
            Self::Unavailable => 503,
            Self::Timeout => 408,
            Self::Internal => 500,
        }
    }

    /// The problem's short title.
    #[must_use]
    pub fn title(self) -> &'static str {
        match self {
            Self::InvalidInput => "The request is not valid",
            Self::Unauthenticated => "A valid bearer token is required",
            Self::Forbidden => "Your role does not allow this",
            Self::NotFound => "No such resource",
            Self::Conflict => "The request conflicts with existing data",
            Self::PolicyDisabled => "Video interop is not enabled for this user",
            Self::ProviderMissing => "The policy's provider is not configured",
            Self::ConsentMissing => "Partner apps lack admin consent",
            Self::PayloadTooLarge => "The request body is too large",
            Self::RateLimited => "Too many requests",
            Self::Unavailable => "A dependency is unavailable",
            Self::Timeout => "The request took too long",
            Self::Internal => "Internal error",
        }
    }
}

impl Serialize for ProblemKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.type_uri())
    }
}

impl<'de> Deserialize<'de> for ProblemKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let uri = String::deserialize(d)?;
        ProblemKind::from_type_uri(&uri)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown problem type {uri:?}")))
    }
}

/// RFC 9457 problem details, as every failed request answers.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    /// Stable identifier of the cause, `urn:cvi:problem:<slug>`.
    #[serde(rename = "type")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub kind: ProblemKind,
    /// Short summary of the cause.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What was wrong in this request and what to do about it.
    pub detail: String,
    /// Extra machine-readable data (e.g. the app ids still missing consent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing_app_ids: Option<Vec<String>>,
}

/// Who a token is for, and what it may do. A token may carry several roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Tenant admin: providers, grants, consent, audit.
    Admin,
    /// Schedules meetings: issues coordinates for their own meetings.
    Organizer,
    /// A partner's app (IVR, gateway): resolves dial strings.
    Partner,
}

// ---------------------------------------------------------------------------- meetings

/// `POST /meetings`: coordinates for a meeting (idempotent on `meeting_key`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct IssueRequest {
    /// The client's key for this meeting (Outlook item id, iCalUId, ...); 1-256 characters.
    pub meeting_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// RFC 3339 start.
    pub start: String,
    /// RFC 3339 end.
    pub end: String,
    /// For recurring meetings: RFC 3339 end of the series (expiry counts from it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series_end: Option<String>,
    /// Language of the rendered block: en, de, fr, es, ja.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    /// The Teams join link that Teams' own add-in wrote into the invite (https on
    /// teams.microsoft.com or teams.live.com): resolution hands it to bridges.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teams_join_url: Option<String>,
}

/// `PATCH /meetings/{key}`: change a meeting's times or subject; absent fields stay.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series_end: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teams_join_url: Option<String>,
}

/// One meeting of `POST /meetings:import` (`cvi meeting import`: one JSON line each).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ImportMeeting {
    pub meeting_key: String,
    /// Polycom, BlueJeans, Pexip or Cisco: configured in the tenant.
    pub provider: String,
    /// As the invites out there print it: 9 or 10 digits, no check digit needed.
    pub video_id: String,
    pub start: String,
    pub end: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teams_join_url: Option<String>,
}

/// `POST /meetings:import`: all meetings or none.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ImportRequest {
    pub meetings: Vec<ImportMeeting>,
}

/// What an import did.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Imported {
    pub imported: usize,
}

/// A meeting: its coordinates (the SPEC §8 coordinates JSON, block included) plus the
/// meeting's own fields.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Meeting {
    #[serde(flatten)]
    pub coordinates: Coordinates,
    #[serde(default)]
    pub subject: Option<String>,
    /// RFC 3339 start.
    pub start: String,
    /// RFC 3339 end.
    pub end: String,
    /// The organizer's UPN.
    pub organizer: String,
    #[serde(default)]
    pub cancelled: bool,
}

// --------------------------------------------------------------------------- providers

/// A provider as the API shows it (`Get-CsVideoInteropServiceProvider`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProviderView {
    /// Polycom, BlueJeans, Pexip or Cisco.
    pub name: String,
    /// `<key>@<domain>`, e.g. `813878896@t.plcm.vc`.
    pub tenant_key: String,
    pub instruction_uri: Option<String>,
    pub aad_application_ids: Vec<String>,
    pub allow_app_guest_joins_as_authenticated: bool,
    /// Where the SIP front door redirects a call to a meeting (a template).
    pub sip_gateway: String,
    /// Where it redirects a call to the IVR (a template).
    pub sip_ivr: String,
}

impl From<&Provider> for ProviderView {
    fn from(p: &Provider) -> Self {
        ProviderView {
            name: p.name.to_string(),
            tenant_key: p.tenant_key.to_string(),
            instruction_uri: p.instruction_uri.as_ref().map(|u| u.as_str().to_string()),
            aad_application_ids: p
                .aad_application_ids
                .iter()
                .map(|a| a.as_str().to_string())
                .collect(),
            allow_app_guest_joins_as_authenticated: p.allow_app_guest_joins_as_authenticated,
            sip_gateway: p
                .sip_gateway
                .clone()
                .unwrap_or_else(SipTarget::default_meeting)
                .into(),
            sip_ivr: p
                .sip_ivr
                .clone()
                .unwrap_or_else(SipTarget::default_ivr)
                .into(),
        }
    }
}

/// App ids: `["id", "id"]` or `"id;id"` as the cmdlet takes them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum AppIds {
    List(Vec<String>),
    Joined(String),
}

impl AppIds {
    /// The ids, validated and without duplicates.
    pub fn parse(&self) -> Result<Vec<AppId>, crate::provider::AppIdError> {
        match self {
            AppIds::List(v) => AppId::parse_list(&v.join(";")),
            AppIds::Joined(s) => AppId::parse_list(s),
        }
    }
}

/// `POST /providers` (`New-CsVideoInteropServiceProvider`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewProvider {
    pub name: String,
    pub tenant_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instruction_uri: Option<String>,
    /// App ids as a list, or one `;`-separated string as the cmdlet takes them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aad_application_ids: Option<AppIds>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_app_guest_joins_as_authenticated: Option<bool>,
    /// SIP redirect target for a meeting, e.g. `sip:{video_id}@gw.example.com`; placeholders
    /// `{video_id}`, `{direct_dial}`, `{tenant_key}`; empty = the default `sip:{direct_dial}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sip_gateway: Option<String>,
    /// SIP redirect target for the IVR (`{tenant_key}` only); empty = `sip:{tenant_key}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sip_ivr: Option<String>,
}

/// `PATCH /providers/{name}` (`Set-CsVideoInteropServiceProvider`): only the fields given
/// change. An empty string clears `instruction_uri`; an empty list clears the app ids.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetProvider {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instruction_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aad_application_ids: Option<AppIds>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_app_guest_joins_as_authenticated: Option<bool>,
    /// SIP redirect target for a meeting, e.g. `sip:{video_id}@gw.example.com`; placeholders
    /// `{video_id}`, `{direct_dial}`, `{tenant_key}`; empty = the default `sip:{direct_dial}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sip_gateway: Option<String>,
    /// SIP redirect target for the IVR (`{tenant_key}` only); empty = `sip:{tenant_key}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sip_ivr: Option<String>,
}

/// What removing a provider did.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Removed {
    pub removed: ProviderView,
    /// Grants whose policy names this provider: they stop producing coordinates.
    pub orphaned_grants: Vec<GrantView>,
    /// A sentence for the admin.
    pub message: String,
}

// ------------------------------------------------------------------- policies, grants

/// A policy as `Get-CsTeamsVideoInteropServicePolicy` shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicyView {
    pub identity: String,
    pub description: String,
    /// A provider name, or `DefaultProvider`.
    pub provider_name: String,
    pub enabled: bool,
}

impl From<&Policy> for PolicyView {
    fn from(p: &Policy) -> Self {
        PolicyView {
            identity: p.identity.to_string(),
            description: p.description.to_string(),
            provider_name: p
                .provider_name
                .map_or_else(|| "DefaultProvider".into(), |n| n.to_string()),
            enabled: p.enabled,
        }
    }
}

/// Whom a grant is for.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum TargetKind {
    User,
    Group,
    Global,
}

/// A grant as stored and shown.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GrantView {
    pub target: TargetKind,
    /// The UPN (user) or group id (group); absent for global.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    /// Group grants only: 1 = highest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rank: Option<u32>,
    pub policy_name: String,
}

impl GrantView {
    /// The domain grant this view shows (`None` when a field its target needs is absent).
    #[must_use]
    pub fn to_grant(&self) -> Option<Grant> {
        let target = match self.target {
            TargetKind::User => GrantTarget::User {
                upn: self.identity.clone()?,
            },
            TargetKind::Group => GrantTarget::Group {
                group_id: self.identity.clone()?,
                rank: self.rank?,
            },
            TargetKind::Global => GrantTarget::Global,
        };
        Some(Grant {
            target,
            policy_name: self.policy_name.clone(),
        })
    }
}

impl From<&Grant> for GrantView {
    fn from(g: &Grant) -> Self {
        let (target, identity, rank) = match &g.target {
            GrantTarget::User { upn } => (TargetKind::User, Some(upn.clone()), None),
            GrantTarget::Group { group_id, rank } => {
                (TargetKind::Group, Some(group_id.clone()), Some(*rank))
            }
            GrantTarget::Global => (TargetKind::Global, None, None),
        };
        GrantView {
            target,
            identity,
            rank,
            policy_name: g.policy_name.clone(),
        }
    }
}

/// `PUT /grants` (`Grant-CsTeamsVideoInteropServicePolicy`): assign, or unassign with
/// `policy_name: null`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GrantRequest {
    pub target: TargetKind,
    /// UPN for user grants, group id for group grants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    /// Group grants: 1 = highest; distinct among the tenant's group grants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rank: Option<u32>,
    /// The policy to assign; `null` removes the grant.
    #[serde(default)]
    pub policy_name: Option<String>,
}

/// What a grant request did.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GrantOutcome {
    /// The grant now in force, or absent when it was removed.
    pub grant: Option<GrantView>,
    /// The grant it replaced or removed, if any.
    pub previous: Option<GrantView>,
}

/// The effective policy of a user and why.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EffectiveView {
    pub user: String,
    pub policy: PolicyView,
    /// `direct`, `group`, `global` or `default`.
    pub source: String,
    /// The grant that decided it (absent for `default`).
    pub grant: Option<GrantView>,
    /// A sentence: why this policy applies.
    pub reason: String,
}

// ----------------------------------------------------------------------------- consent

/// One partner app's consent link.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsentLink {
    pub app_id: String,
    pub url: String,
    pub consented: bool,
}

/// The links for one provider.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsentLinks {
    pub provider: String,
    pub links: Vec<ConsentLink>,
    /// The Graph application permissions each app asks for.
    pub permissions: Vec<String>,
}

/// What the consent callback recorded.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallbackOutcome {
    pub provider: String,
    pub app_id: String,
    pub consented: bool,
    /// Confirmed with Microsoft Graph (false: believed from the callback, as in the demo).
    #[serde(default)]
    pub verified: bool,
    /// Graph application permissions still missing (when verified).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_permissions: Vec<String>,
    pub message: String,
}

/// One Graph application permission of a partner app, as Graph showed it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PermissionState {
    pub name: String,
    pub granted: bool,
}

/// One app's consent state.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppConsent {
    pub app_id: String,
    pub consented: bool,
    pub error: Option<String>,
    /// Confirmed with Microsoft Graph; false when believed from the callback (no Graph).
    #[serde(default)]
    pub verified: bool,
    /// Per permission, when verified.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub permissions: Vec<PermissionState>,
}

/// Consent state of one provider.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProviderConsent {
    pub provider: String,
    pub apps: Vec<AppConsent>,
    /// App ids still lacking consent: no coordinates are issued until this is empty.
    pub missing: Vec<String>,
    /// Said when the provider lists no partner app: nothing to consent, and no partner can
    /// resolve its meetings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// The warning for a provider that lists no partner app ids.
#[must_use]
pub fn no_partner_app_warning(provider: &str) -> String {
    format!(
        "the {provider} provider lists no partner app (AadApplicationIds): no partner app can join its meetings and there is nothing to consent; set them with `cvi provider set --identity {provider} --aad-application-ids ID;ID`"
    )
}

// ------------------------------------------------------- coordinates in every Teams meeting

/// Turn "coordinates in every Teams meeting" on or off for the caller's tenant.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InjectRequest {
    pub enabled: bool,
}

/// Where "coordinates in every Teams meeting" stands for a tenant.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InjectStatus {
    pub enabled: bool,
    /// This server's own Graph access (`--client-id`): without it nothing can be written.
    pub graph_configured: bool,
    /// What still stops it, in words an admin acts on (empty: nothing).
    pub missing: Vec<String>,
    /// Our app's admin-consent link, while its consent is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_url: Option<String>,
    pub subscriptions: i64,
    /// Subscriptions that expire within a day.
    pub subscriptions_expiring: i64,
    /// Users whose subscription Graph refused at the last reconciliation (tried again every
    /// minute), and the first reason.
    #[serde(default)]
    pub subscriptions_failed: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_failure: Option<String>,
    /// Notifications received and not yet processed.
    pub queue_depth: i64,
    /// When the oldest waiting notification arrived (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oldest_waiting: Option<String>,
    /// What processing made of the latest events, newest first: why one was not given the
    /// block (`not-organizer`, `not-a-teams-meeting`, `no-grant`, `foreign-block`,
    /// `removed-by-organizer`, `graph-refused`, …) or that it was (`written`).
    #[serde(default)]
    pub recent: Vec<InjectOutcome>,
}

/// Read one user's calendar again (admins).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InjectResync {
    /// The user's UPN.
    pub user: String,
}

/// What a resync queued.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InjectResynced {
    pub user: String,
    /// Events queued to be looked at again (a day back to 180 days ahead).
    pub queued: u64,
}

/// What processing made of one event: ids, time and outcome (never its subject or body).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InjectOutcome {
    /// The organizer's UPN.
    pub user: String,
    /// Graph's event id.
    pub event_id: String,
    pub outcome: String,
    /// RFC 3339.
    pub at: String,
}

// -------------------------------------------------------------------------- resolution

/// `POST /resolve`: what a partner's IVR or gateway asks.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResolveRequest {
    /// A direct-dial URI (`813878896.1223269647@t.plcm.vc`, `sip:` optional), or the
    /// tenant key dialled into the IVR (then `video_id` is required).
    pub dial_string: String,
    /// The Video ID typed at the IVR prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_id: Option<String>,
    /// The Video ID as the caller keyed it (`1187204536#`): digits and a final `#`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dtmf: Option<String>,
    /// Who dialled, when the partner knows it (the device's SIP From or IP address, at most
    /// 256 characters): the enumeration limit is then kept per caller, so one abusive
    /// dialer does not lock out the tenant's other callers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller: Option<String>,
}

/// What a dial string leads to: the meeting, or (a tenant key alone) the provider's IVR,
/// which then asks for the Video ID.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Resolution {
    Resolved(Resolved),
    Ivr(IvrPrompt),
}

/// A tenant key dialled without a Video ID: play the prompt.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IvrPrompt {
    pub provider: String,
    pub tenant_key: String,
}

/// The meeting a dial string leads to.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Resolved {
    pub meeting_key: String,
    pub provider: String,
    pub tenant_key: String,
    pub video_id: String,
    pub subject: Option<String>,
    pub start: String,
    pub end: String,
    /// The Teams meeting to join, when the organizer's invite carried it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teams_join_url: Option<String>,
}

/// `POST /otd/extract`: an invite body as a room system's calendar received it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OtdRequest {
    /// The body: HTML, plain text or a whole .ics file.
    pub body: String,
    /// `html` or `text`; absent: told from the body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

// ------------------------------------------------------------------------- dev issuer

/// `POST /dev/token` (servers started with `--dev-issuer`): who the token is for.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    pub tenant: String,
    /// UPN (users) or a name for the app (partner apps).
    pub user: String,
    pub role: Role,
    /// Partner apps: the app id that must be one of the provider's AadApplicationIds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// The user's immutable object id, as Entra's `oid` claim carries it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oid: Option<String>,
}

/// A bearer token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenReply {
    pub token: String,
    pub expires_in: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_types_round_trip() {
        for k in ProblemKind::ALL {
            let json = serde_json::to_string(&k).unwrap();
            assert_eq!(serde_json::from_str::<ProblemKind>(&json).unwrap(), k);
            assert!(k.type_uri().ends_with(k.slug()));
        }
        assert!(serde_json::from_str::<ProblemKind>("\"urn:cvi:problem:nope\"").is_err());
    }

    #[test]
    fn a_meeting_is_its_coordinates_plus_its_own_fields() {
        let json = serde_json::json!({
            "meeting_key": "m1", "provider": "Polycom", "tenant_key": "813878896@t.plcm.vc",
            "video_id": "1223269647", "subject": null, "start": "2027-01-23T09:00:00Z",
            "end": "2027-01-23T10:00:00Z", "organizer": "ann@fabrikam.example", "cancelled": false
        });
        let m: Meeting = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(m.coordinates.meeting_key.as_deref(), Some("m1"));
        assert_eq!(serde_json::to_value(&m).unwrap(), json);
    }
}

// --------------------------------------------------------------------------- bridges

/// `POST /bridges`: credentials for one Pexip Infinity bridge of a provider.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewBridge {
    /// The provider whose calls this bridge routes (Pexip, usually).
    pub provider: String,
    /// Pexip's name of its Teams Connector, sent as `teams_proxy_name` (it must match the
    /// bridge's configuration exactly, or Pexip discards the answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teams_connector: Option<String>,
}

/// A bridge's credentials as listed: never the secret.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BridgeView {
    /// The HTTP Basic user name the bridge presents.
    pub username: String,
    pub provider: String,
    pub teams_connector: Option<String>,
    pub created_by: String,
    /// RFC 3339.
    pub created_at: String,
}

/// The answer to `POST /bridges`: the secret, shown this once.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewBridgeCreated {
    #[serde(flatten)]
    pub bridge: BridgeView,
    /// The HTTP Basic password; only its hash is kept, so it cannot be shown again.
    pub secret: String,
    /// What to enter as the policy server URL on the bridge.
    pub policy_server_url: String,
}

// --------------------------------------------------------------------------- events

/// How a scheduled meeting repeats (Graph's `patternedRecurrence`, reduced to what the tab
/// offers).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum RecurrencePattern {
    Daily,
    Weekly,
}

/// A recurrence: a pattern until a date (inclusive).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Recurrence {
    pub pattern: RecurrencePattern,
    /// `YYYY-MM-DD`, the last day a meeting may fall on.
    pub until: String,
}

/// `POST /events`: schedule a Teams meeting with video coordinates in the organizer's
/// calendar through Microsoft Graph (the Teams tab; `cvi meeting schedule`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ScheduleRequest {
    /// The client's key: a retry with the same key reuses the coordinates and the event.
    pub meeting_key: String,
    pub subject: String,
    /// RFC 3339.
    pub start: String,
    /// RFC 3339.
    pub end: String,
    /// Attendees' e-mail addresses.
    #[serde(default)]
    pub attendees: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recurrence: Option<Recurrence>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
}

/// The answer to `POST /events`: the meeting, its calendar event and Teams join link.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Scheduled {
    #[serde(flatten)]
    pub meeting: Meeting,
    /// Graph's id of the calendar event.
    pub event_id: String,
}

// --------------------------------------------------------------------------- stats

/// `GET /stats/daily`: per UTC day, coordinates issued and resolutions, by provider.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DailyStats {
    /// The days, oldest first (`YYYY-MM-DD`, UTC), today last.
    pub days: Vec<String>,
    /// One series per metric and provider that has a count in these days.
    pub series: Vec<DailySeries>,
}

/// One line of a chart: a count per day of [`DailyStats::days`].
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DailySeries {
    /// `issued` or `resolved`.
    pub metric: String,
    pub provider: String,
    pub counts: Vec<u64>,
}

// --------------------------------------------------------------------------- audit

/// One audited change, from `GET /audit`. `J` is the JSON value type of the record before
/// and after (any JSON): the server's `serde_json::Value`, the console's browser value —
/// cvi-core itself takes no JSON library.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry<J> {
    pub id: String,
    /// Unix milliseconds.
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    /// The record before the change (absent when it was created).
    pub before: Option<J>,
    /// The record after the change (absent when it was removed).
    pub after: Option<J>,
}

/// A page of the audit log, newest first.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditPage<J> {
    pub entries: Vec<AuditEntry<J>>,
    /// Pass as `before` for the next page; absent on the last page.
    pub next: Option<String>,
}
