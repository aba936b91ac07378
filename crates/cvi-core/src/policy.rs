//! Video interop service policies and grants, as
//! `Get-/Grant-CsTeamsVideoInteropServicePolicy` model them, and the resolver that says
//! which policy applies to a user and why.
//!
//! Precedence: a direct grant to the user beats any group grant; among the user's groups
//! the best rank (1 = highest) wins; then the tenant-wide (global) grant; then the
//! built-in `Global` policy, which is disabled.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::ProviderName;

/// A preconstructed, read-only policy.
///
/// Strings are `Cow` so the table below is a `const` while API clients still deserialize it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub identity: Cow<'static, str>,
    pub description: Cow<'static, str>,
    /// `None` stands for the cmdlet's `DefaultProvider`.
    pub provider_name: Option<ProviderName>,
    pub enabled: bool,
}

/// The six policies every tenant has. Nobody can create, change or delete them.
pub const POLICIES: [Policy; 6] = [
    Policy {
        identity: Cow::Borrowed("Global"),
        description: Cow::Borrowed("Tenant default: no video interop coordinates"),
        provider_name: None,
        enabled: false,
    },
    Policy {
        identity: Cow::Borrowed("Tag:PolycomServiceProviderEnabled"),
        description: Cow::Borrowed("Meetings carry Polycom (Poly RealConnect) coordinates"),
        provider_name: Some(ProviderName::Polycom),
        enabled: true,
    },
    Policy {
        identity: Cow::Borrowed("Tag:BlueJeansServiceProviderEnabled"),
        description: Cow::Borrowed("Meetings carry BlueJeans Gateway coordinates"),
        provider_name: Some(ProviderName::BlueJeans),
        enabled: true,
    },
    Policy {
        identity: Cow::Borrowed("Tag:PexipServiceProviderEnabled"),
        description: Cow::Borrowed("Meetings carry Pexip coordinates"),
        provider_name: Some(ProviderName::Pexip),
        enabled: true,
    },
    Policy {
        identity: Cow::Borrowed("Tag:CiscoServiceProviderEnabled"),
        description: Cow::Borrowed("Meetings carry Cisco Webex video integration coordinates"),
        provider_name: Some(ProviderName::Cisco),
        enabled: true,
    },
    Policy {
        identity: Cow::Borrowed("Tag:ServiceProviderDisabled"),
        description: Cow::Borrowed("Video interop coordinates are turned off"),
        provider_name: None,
        enabled: false,
    },
];

/// No policy has that name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown policy {0:?}; the policies are Global, Tag:PolycomServiceProviderEnabled, Tag:BlueJeansServiceProviderEnabled, Tag:PexipServiceProviderEnabled, Tag:CiscoServiceProviderEnabled, Tag:ServiceProviderDisabled")]
pub struct UnknownPolicy(pub String);

impl Policy {
    /// Looks a policy up by identity, case-insensitively; `Tag:` may be omitted.
    pub fn by_identity(identity: &str) -> Result<&'static Policy, UnknownPolicy> {
        let wanted = identity.trim();
        POLICIES
            .iter()
            .find(|p| {
                p.identity.eq_ignore_ascii_case(wanted)
                    || p.identity
                        .strip_prefix("Tag:")
                        .is_some_and(|short| short.eq_ignore_ascii_case(wanted))
            })
            .ok_or_else(|| UnknownPolicy(identity.to_string()))
    }

    /// The built-in default that applies when nothing is granted.
    #[must_use]
    pub fn global() -> &'static Policy {
        &POLICIES[0]
    }
}

/// Whom a grant applies to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum GrantTarget {
    /// One user, by UPN (compared case-insensitively).
    User { upn: String },
    /// A group, with its rank among group grants (1 = highest; distinct per tenant).
    Group { group_id: String, rank: u32 },
    /// Everyone in the tenant.
    Global,
}

/// A policy assignment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub target: GrantTarget,
    pub policy_name: String,
}

/// Why a grant's identity is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    #[error("identity {0:?} is not a UPN like ann@contoso.com")]
    Upn(String),
    #[error("group id {0:?} must be 1-256 letters, digits, '-', '_', '.', '@'")]
    Group(String),
}

/// A user's UPN as grants key it: `name@domain`, at most 256 characters, no spaces, quotes
/// or markup; compared case-insensitively, so kept lower-case.
///
/// ```
/// use cvi_core::policy::upn;
/// assert_eq!(upn(" Ann@Contoso.com ").unwrap(), "ann@contoso.com");
/// assert!(upn("ann").is_err());
/// ```
pub fn upn(id: &str) -> Result<String, IdentityError> {
    let id = id.trim();
    let ok = id.len() <= 256
        && id.split('@').count() == 2
        && !id.starts_with('@')
        && !id.ends_with('@')
        && !id
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>\"'".contains(c));
    ok.then(|| id.to_ascii_lowercase())
        .ok_or_else(|| IdentityError::Upn(id.to_string()))
}

/// A group id as grants key it (GUIDs in Entra): 1-256 of letters, digits, `-_.@`;
/// compared case-insensitively, so kept lower-case.
pub fn group_id(id: &str) -> Result<String, IdentityError> {
    let id = id.trim();
    let ok = !id.is_empty()
        && id.len() <= 256
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.@".contains(c));
    ok.then(|| id.to_ascii_lowercase())
        .ok_or_else(|| IdentityError::Group(id.to_string()))
}

/// Why a policy applies to a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum PolicyReason {
    /// Granted to the user directly.
    Direct { grant: Grant },
    /// Granted to one of the user's groups, the one with the best rank.
    Group { grant: Grant },
    /// Granted tenant-wide.
    Global { grant: Grant },
    /// Nothing granted: the built-in `Global` policy.
    Default,
}

/// The policy that applies to a user, and the grant that made it so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EffectivePolicy {
    pub policy: Policy,
    pub reason: PolicyReason,
}

/// Resolves the effective policy of `upn`, a member of `groups`, under `grants`.
///
/// Grants naming an unknown policy are skipped (storage validates names on write, so this
/// only guards against data written by an older version).
///
/// ```
/// use cvi_core::policy::{effective_policy, Grant, GrantTarget, PolicyReason};
/// let grants = [
///     Grant { target: GrantTarget::Global, policy_name: "Tag:PolycomServiceProviderEnabled".into() },
///     Grant { target: GrantTarget::Group { group_id: "sales".into(), rank: 1 },
///             policy_name: "Tag:ServiceProviderDisabled".into() },
/// ];
/// let e = effective_policy("ann@contoso.com", &["sales".into()], &grants);
/// assert!(!e.policy.enabled);
/// assert!(matches!(e.reason, PolicyReason::Group { .. }));
/// ```
#[must_use]
pub fn effective_policy(upn: &str, groups: &[String], grants: &[Grant]) -> EffectivePolicy {
    let known = |g: &&Grant| Policy::by_identity(&g.policy_name).is_ok();
    let direct = grants
        .iter()
        .filter(known)
        .find(|g| matches!(&g.target, GrantTarget::User { upn: u } if u.eq_ignore_ascii_case(upn)));
    let group = || {
        grants
            .iter()
            .filter(known)
            .filter_map(|g| match &g.target {
                GrantTarget::Group { group_id, rank }
                    if groups.iter().any(|m| m.eq_ignore_ascii_case(group_id)) =>
                {
                    Some((*rank, g))
                }
                _ => None,
            })
            .min_by_key(|(rank, _)| *rank)
            .map(|(_, g)| g)
    };
    let global = || {
        grants
            .iter()
            .filter(known)
            .find(|g| g.target == GrantTarget::Global)
    };

    let (grant, reason): (Option<&Grant>, fn(Grant) -> PolicyReason) = if let Some(g) = direct {
        (Some(g), |grant| PolicyReason::Direct { grant })
    } else if let Some(g) = group() {
        (Some(g), |grant| PolicyReason::Group { grant })
    } else if let Some(g) = global() {
        (Some(g), |grant| PolicyReason::Global { grant })
    } else {
        (None, |_| PolicyReason::Default)
    };
    match grant {
        Some(g) => EffectivePolicy {
            // `known` filtered out unknown names above.
            policy: Policy::by_identity(&g.policy_name)
                .unwrap_or(Policy::global())
                .clone(),
            reason: reason(g.clone()),
        },
        None => EffectivePolicy {
            policy: Policy::global().clone(),
            reason: PolicyReason::Default,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn user(upn: &str, p: &str) -> Grant {
        Grant {
            target: GrantTarget::User { upn: upn.into() },
            policy_name: p.into(),
        }
    }
    fn group(id: &str, rank: u32, p: &str) -> Grant {
        Grant {
            target: GrantTarget::Group {
                group_id: id.into(),
                rank,
            },
            policy_name: p.into(),
        }
    }
    fn global(p: &str) -> Grant {
        Grant {
            target: GrantTarget::Global,
            policy_name: p.into(),
        }
    }
    const POLY: &str = "Tag:PolycomServiceProviderEnabled";
    const CISCO: &str = "Tag:CiscoServiceProviderEnabled";
    const PEXIP: &str = "Tag:PexipServiceProviderEnabled";
    const OFF: &str = "Tag:ServiceProviderDisabled";

    #[test]
    fn precedence_matrix() {
        let g = vec!["a".to_string(), "b".to_string()];
        // nothing granted
        let e = effective_policy("u@x.com", &g, &[]);
        assert_eq!(
            (e.policy.identity.as_ref(), e.reason),
            ("Global", PolicyReason::Default)
        );
        // global only
        let e = effective_policy("u@x.com", &g, &[global(POLY)]);
        assert_eq!(e.policy.provider_name, Some(ProviderName::Polycom));
        assert!(matches!(e.reason, PolicyReason::Global { .. }));
        // group beats global; best rank wins regardless of order
        let grants = [
            global(POLY),
            group("b", 2, PEXIP),
            group("a", 1, CISCO),
            group("zz", 0, OFF),
        ];
        let e = effective_policy("u@x.com", &g, &grants);
        assert_eq!(e.policy.provider_name, Some(ProviderName::Cisco));
        assert_eq!(
            e.reason,
            PolicyReason::Group {
                grant: group("a", 1, CISCO)
            }
        );
        // direct beats group, case-insensitive UPN
        let mut grants = grants.to_vec();
        grants.push(user("U@X.com", OFF));
        let e = effective_policy("u@x.com", &g, &grants);
        assert!(!e.policy.enabled);
        assert!(matches!(e.reason, PolicyReason::Direct { .. }));
        // another user's direct grant does not apply
        let e = effective_policy("v@x.com", &[], &grants);
        assert!(matches!(e.reason, PolicyReason::Global { .. }));
    }

    #[test]
    fn policy_lookup() {
        assert_eq!(
            Policy::by_identity("polycomserviceproviderenabled")
                .unwrap()
                .identity,
            POLY
        );
        assert!(Policy::by_identity("Tag:Zoom")
            .unwrap_err()
            .to_string()
            .contains("Global"));
    }

    proptest! {
        /// The winner is always the most specific grant that applies to the user.
        #[test]
        fn winner_is_most_specific(ranks in proptest::collection::vec((0u32..5, 1u32..50, 0usize..6), 0..8),
                                   has_direct in any::<bool>(), has_global in any::<bool>()) {
            let groups: Vec<String> = (0..3).map(|i| format!("g{i}")).collect();
            let mut grants: Vec<Grant> = ranks.iter().map(|(gi, rank, p)| group(&format!("g{gi}"), *rank, &POLICIES[*p].identity)).collect();
            if has_global { grants.push(global(POLY)); }
            if has_direct { grants.push(user("me@x.com", OFF)); }
            let e = effective_policy("me@x.com", &groups, &grants);
            let member_ranks: Vec<u32> = ranks.iter().filter(|(gi, _, _)| *gi < 3).map(|(_, r, _)| *r).collect();
            match e.reason {
                PolicyReason::Direct { .. } => prop_assert!(has_direct),
                PolicyReason::Group { grant } => {
                    prop_assert!(!has_direct);
                    let GrantTarget::Group { rank, .. } = grant.target else { unreachable!() };
                    prop_assert_eq!(Some(rank), member_ranks.iter().copied().min());
                }
                PolicyReason::Global { .. } => prop_assert!(!has_direct && member_ranks.is_empty() && has_global),
                PolicyReason::Default => prop_assert!(!has_direct && member_ranks.is_empty() && !has_global),
            }
        }
    }
}
