//! Every endpoint of `/api/v1`, declared once: its method, its path (with `{name}` path
//! parameters), its query, request and reply types, and the problems it can answer beyond
//! those every endpoint can (see [`COMMON_PROBLEMS`]). The server's routes and OpenAPI
//! document, the add-in's client, the `cvi` command line and the tests all use these.

use serde::{de::DeserializeOwned, Deserialize, Serialize};

use super::{
    AuditPage, BridgeView, CallbackOutcome, ConsentLinks, DailyStats, EffectiveView, GrantOutcome,
    GrantRequest, GrantView, ImportRequest, Imported, InjectRequest, InjectResync, InjectResynced,
    InjectStatus, IssueRequest, Meeting, NewBridge, NewBridgeCreated, NewProvider, OtdRequest,
    PolicyView, ProblemKind, ProviderConsent, ProviderView, Removed, Resolution, ResolveRequest,
    ScheduleRequest, Scheduled, SetProvider, TokenReply, TokenRequest, UpdateRequest,
};
use crate::{otd::OneTouchDial, plan::Plan};

/// Where the API lives on a server.
pub const BASE: &str = "/api/v1";

/// An HTTP method of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    /// As written on the wire.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

/// One endpoint. `()` stands for "none" (no query, no body).
pub trait Endpoint {
    const METHOD: Method;
    /// Under [`BASE`], with `{name}` for each path parameter.
    const PATH: &'static str;
    /// Problems this endpoint can answer besides [`COMMON_PROBLEMS`].
    const PROBLEMS: &'static [ProblemKind];
    type Query: Serialize;
    type Request: Serialize;
    type Reply: DeserializeOwned;

    /// The path under [`BASE`] with `args` put in place of the `{…}` parameters, in order,
    /// each percent-encoded as one path segment.
    ///
    /// ```
    /// use cvi_core::api::endpoints::{Endpoint, ShowMeeting};
    /// assert_eq!(ShowMeeting::path(&["a/b c"]), "/meetings/a%2Fb%20c");
    /// ```
    #[must_use]
    fn path(args: &[&str]) -> String {
        fill(Self::PATH, args)
    }
}

/// Problems any endpoint can answer: bad input, no or a wrong token, a role that does not
/// allow it, a body over the limit, too many requests, the database away.
pub const COMMON_PROBLEMS: &[ProblemKind] = &[
    ProblemKind::InvalidInput,
    ProblemKind::Unauthenticated,
    ProblemKind::Forbidden,
    ProblemKind::PayloadTooLarge,
    ProblemKind::RateLimited,
    ProblemKind::Unavailable,
];

/// `template` with `{…}` replaced by `args` in order, percent-encoded.
fn fill(template: &str, args: &[&str]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut args = args.iter();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}').map_or(rest.len(), |c| open + c + 1);
        if let Some(a) = args.next() {
            percent_encode(a, &mut out);
        }
        rest = &rest[close.min(rest.len())..];
    }
    out.push_str(rest);
    out
}

/// Percent-encodes everything but RFC 3986's unreserved characters and `@` (a UPN stays
/// readable in a path).
fn percent_encode(s: &str, out: &mut String) {
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~@".contains(&b) {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(char::from(b"0123456789ABCDEF"[usize::from(b >> 4)]));
            out.push(char::from(b"0123456789ABCDEF"[usize::from(b & 15)]));
        }
    }
}

/// A query string (`?a=1&b=2`, empty without pairs) of the pairs whose value is present.
///
/// ```
/// use cvi_core::api::endpoints::query_string;
/// assert_eq!(query_string(&[("video_id", Some("122 326")), ("x", None)]), "?video_id=122%20326");
/// ```
#[must_use]
pub fn query_string(pairs: &[(&str, Option<&str>)]) -> String {
    let mut out = String::new();
    for (k, v) in pairs {
        if let Some(v) = v {
            out.push(if out.is_empty() { '?' } else { '&' });
            percent_encode(k, &mut out);
            out.push('=');
            percent_encode(v, &mut out);
        }
    }
    out
}

macro_rules! endpoints {
    ($(
        $(#[$doc:meta])*
        $name:ident: $method:ident $path:literal,
            query $query:ty, request $request:ty => $reply:ty, problems [$($problem:ident),*];
    )*) => {
        $(
            $(#[$doc])*
            #[derive(Debug, Clone, Copy)]
            pub struct $name;

            impl Endpoint for $name {
                const METHOD: Method = Method::$method;
                const PATH: &'static str = $path;
                const PROBLEMS: &'static [ProblemKind] = &[$(ProblemKind::$problem),*];
                type Query = $query;
                type Request = $request;
                type Reply = $reply;
            }
        )*

        /// Every endpoint: method, path, extra problems (the server checks its routes and
        /// OpenAPI document against this list).
        pub const ALL: &[(Method, &str, &[ProblemKind])] = &[
            $((Method::$method, $path, &[$(ProblemKind::$problem),*]),)*
            (Method::Get, ListAudit::<()>::PATH, &[]),
        ];
    };
}

endpoints! {
    /// The providers (Get-CsVideoInteropServiceProvider).
    ListProviders: Get "/providers", query FilterQuery, request () => Vec<ProviderView>, problems [];
    /// One provider.
    ShowProvider: Get "/providers/{name}", query (), request () => ProviderView, problems [NotFound];
    /// Configure a provider (New-CsVideoInteropServiceProvider).
    CreateProvider: Post "/providers", query (), request NewProvider => ProviderView, problems [Conflict];
    /// Change a provider (Set-CsVideoInteropServiceProvider).
    UpdateProvider: Patch "/providers/{name}", query (), request SetProvider => ProviderView, problems [NotFound, Conflict];
    /// Remove a provider and everything about it (Remove-CsVideoInteropServiceProvider).
    RemoveProvider: Delete "/providers/{name}", query (), request () => Removed, problems [NotFound];
    /// The preconstructed policies (Get-CsTeamsVideoInteropServicePolicy).
    ListPolicies: Get "/policies", query FilterQuery, request () => Vec<PolicyView>, problems [];
    /// One preconstructed policy.
    ShowPolicy: Get "/policies/{identity}", query (), request () => PolicyView, problems [NotFound];
    /// The tenant's grants, in decision order.
    ListGrants: Get "/grants", query (), request () => Vec<GrantView>, problems [];
    /// Grant a policy to a user, a group (with rank) or the tenant, or take a grant away.
    PutGrant: Put "/grants", query (), request GrantRequest => GrantOutcome, problems [NotFound, Conflict];
    /// Any user's effective policy and why (admins).
    UserEffectivePolicy: Get "/users/{upn}/effective-policy", query EffectiveQuery, request () => EffectiveView, problems [];
    /// The caller's own effective policy.
    MyEffectivePolicy: Get "/me/effective-policy", query (), request () => EffectiveView, problems [];
    /// Where "coordinates in every Teams meeting" stands (admins).
    InjectState: Get "/inject", query (), request () => InjectStatus, problems [];
    /// Turn "coordinates in every Teams meeting" on or off (admins).
    SetInject: Put "/inject", query (), request InjectRequest => InjectStatus, problems [];
    /// Read one user's calendar again and give its Teams meetings the block (admins).
    ResyncInject: Post "/inject/resync", query (), request InjectResync => InjectResynced, problems [NotFound, Unavailable];
    /// Admin-consent links for each of a provider's partner apps.
    ConsentLinksOf: Get "/consent/links", query ProviderQuery, request () => ConsentLinks, problems [NotFound];
    /// Where the identity platform sends the admin back (no token: a single-use state).
    ConsentCallback: Get "/consent/callback", query CallbackQuery, request () => CallbackOutcome, problems [NotFound];
    /// Which partner apps have consent.
    ConsentStatus: Get "/consent/status", query ProviderQuery, request () => Vec<ProviderConsent>, problems [NotFound];
    /// Issue (or return the already issued) coordinates for a meeting key.
    IssueMeeting: Post "/meetings", query (), request IssueRequest => Meeting, problems [PolicyDisabled, ProviderMissing, ConsentMissing, Conflict];
    /// The caller's meeting that holds a Video ID.
    FindMeeting: Get "/meetings", query ByVideoId, request () => Meeting, problems [NotFound];
    /// Import meetings issued elsewhere: all or none.
    ImportMeetings: Post "/meetings:import", query (), request ImportRequest => Imported, problems [Conflict];
    /// An organizer's newest meetings (admins).
    OrganizerMeetings: Get "/users/{upn}/meetings", query (), request () => Vec<Meeting>, problems [];
    /// A meeting's coordinates.
    ShowMeeting: Get "/meetings/{key}", query (), request () => Meeting, problems [NotFound];
    /// Change a meeting's times, subject, language or join link.
    UpdateMeeting: Patch "/meetings/{key}", query (), request UpdateRequest => Meeting, problems [NotFound, Conflict];
    /// Cancel a meeting: its Video ID stops resolving.
    CancelMeeting: Delete "/meetings/{key}", query (), request () => Meeting, problems [NotFound, Conflict];
    /// Schedule a Teams meeting with coordinates in the organizer's calendar (Graph).
    ScheduleEvent: Post "/events", query (), request ScheduleRequest => Scheduled, problems [PolicyDisabled, ProviderMissing, ConsentMissing, Conflict];
    /// Change a scheduled meeting and its calendar event.
    RescheduleEvent: Patch "/events/{key}", query (), request UpdateRequest => Meeting, problems [NotFound, Conflict];
    /// Cancel a scheduled meeting: the calendar event, then the coordinates.
    CancelEvent: Delete "/events/{key}", query (), request () => Meeting, problems [NotFound, Conflict];
    /// Resolve a dial string to its meeting (partner apps).
    Resolve: Post "/resolve", query (), request ResolveRequest => Resolution, problems [NotFound, ConsentMissing];
    /// Create a Pexip bridge's credentials (the secret is in this answer only).
    CreateBridge: Post "/bridges", query (), request NewBridge => NewBridgeCreated, problems [NotFound];
    /// The tenant's bridges.
    ListBridges: Get "/bridges", query (), request () => Vec<BridgeView>, problems [];
    /// Revoke a bridge's credentials.
    RemoveBridge: Delete "/bridges/{username}", query (), request () => BridgeView, problems [NotFound];
    /// Coordinates issued and resolutions per UTC day and provider.
    DailyStatistics: Get "/stats/daily", query StatsWindow, request () => DailyStats, problems [];
    /// Concurrent calls, ports and gateway VMs for a meeting load (Erlang B).
    PlanCapacity: Get "/plan", query PlanQuery, request () => Plan, problems [];
    /// One-touch dial: an invite body → the Teams link and the string a panel dials.
    ExtractOneTouchDial: Post "/otd/extract", query (), request OtdRequest => OneTouchDial, problems [];
    /// A token of the dev issuer (servers started with `--dev-issuer`).
    DevToken: Post "/dev/token", query (), request TokenRequest => TokenReply, problems [NotFound];
}

/// Who changed what, newest first. Generic over the JSON value of the entries' before and
/// after: `serde_json::Value` natively, the browser's value in the console.
#[derive(Debug, Clone, Copy)]
pub struct ListAudit<J>(std::marker::PhantomData<J>);

impl<J: DeserializeOwned> Endpoint for ListAudit<J> {
    const METHOD: Method = Method::Get;
    const PATH: &'static str = "/audit";
    const PROBLEMS: &'static [ProblemKind] = &[];
    type Query = AuditQuery;
    type Request = ();
    type Reply = AuditPage<J>;
}

/// `?filter=`: a regular expression over the identity (name), e.g. `^P`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct FilterQuery {
    /// A regular expression over the identity (name), e.g. `^P`.
    pub filter: Option<String>,
}

/// `?groups=` of an effective-policy lookup.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct EffectiveQuery {
    /// The user's groups, comma-separated (admins asking about another user).
    pub groups: Option<String>,
}

/// `?provider=` of the consent endpoints.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct ProviderQuery {
    /// Polycom, BlueJeans, Pexip or Cisco.
    pub provider: Option<String>,
}

/// What the identity platform sends back to the consent callback.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct CallbackQuery {
    pub admin_consent: Option<String>,
    pub tenant: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// `?video_id=` of the meeting lookup.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct ByVideoId {
    /// A Video ID as an invite shows it (spaces allowed).
    pub video_id: String,
}

/// `?days=` of the daily statistics.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct StatsWindow {
    /// How many days, today included: 1-90 (default 30).
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 90))]
    pub days: Option<u32>,
}

/// The audit log's filters and page.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct AuditQuery {
    /// Entries per page, 1-500 (default 50).
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 500))]
    pub limit: Option<u32>,
    /// `next` of the previous page: entries older than it.
    pub before: Option<String>,
    /// Only this actor's entries (exactly as recorded, e.g. admin@contoso.com).
    pub actor: Option<String>,
    /// Only actions starting with this (`grant`, `provider.new`).
    pub action: Option<String>,
    /// Entries at or after this time: RFC 3339, or a day `YYYY-MM-DD` (UTC).
    pub since: Option<String>,
    /// Entries before this time: RFC 3339, or a day `YYYY-MM-DD` (UTC, the day after it).
    pub until: Option<String>,
}

/// The Plan step's inputs.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct PlanQuery {
    /// Meetings with a video room system per day.
    pub meetings_per_day: f64,
    /// Their average length in minutes.
    pub avg_minutes: f64,
    /// The share of a day's meetings in its busiest hour, 0 to 1 (e.g. 0.15).
    pub peak_hour_share: f64,
    /// The share of calls that may find every port busy, between 0 and 1 (default 0.01).
    pub blocking: Option<f64>,
    /// Gateway ports one VM serves (default 10).
    pub ports_per_vm: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_filled_in_order_and_encoded() {
        assert_eq!(
            UserEffectivePolicy::path(&["ann@contoso.com"]),
            "/users/ann@contoso.com/effective-policy"
        );
        assert_eq!(
            ShowProvider::path(&["Pex ip/../x"]),
            "/providers/Pex%20ip%2F..%2Fx"
        );
        assert_eq!(ListProviders::path(&[]), "/providers");
        assert_eq!(ShowMeeting::path(&["ü"]), "/meetings/%C3%BC");
    }

    #[test]
    fn every_endpoint_is_listed_once() {
        let mut seen = std::collections::HashSet::new();
        for (m, p, _) in ALL {
            assert!(seen.insert((m, p)), "{} {p} twice", m.as_str());
        }
        assert_eq!(ALL.len(), 36);
    }
}
