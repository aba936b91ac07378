//! Policy: which preconstructed policy — and so which provider — applies to a user, and
//! why (direct grant > best-ranked group > global).

use cvi_core::{
    api::{EffectiveView, GrantView, PolicyView},
    policy::{effective_policy, GrantTarget, PolicyReason},
};
use cvi_store as store;

use super::{Error, Result};

/// At most this many groups are considered for one user (Entra puts at most 200 in a token).
pub const MAX_GROUPS: usize = 1000;

/// Resolves a user's effective policy from the tenant's grants.
pub async fn effective<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    db: E,
    tenant: &str,
    upn: &str,
    groups: &[String],
) -> Result<EffectiveView> {
    if groups.len() > MAX_GROUPS {
        return Err(Error::Invalid(format!(
            "at most {MAX_GROUPS} groups per user are supported, got {}",
            groups.len()
        )));
    }
    let grants = store::grants::for_user(db, tenant, upn, groups).await?;
    let e = effective_policy(upn, groups, &grants);
    let (source, grant, reason) = match &e.reason {
        PolicyReason::Direct { grant } => {
            ("direct", Some(grant), format!("granted to {upn} directly"))
        }
        PolicyReason::Group { grant } => {
            let GrantTarget::Group { group_id, rank } = &grant.target else {
                unreachable!("group reason holds a group grant")
            };
            (
                "group",
                Some(grant),
                format!(
                    "granted to group {group_id} (rank {rank}), the best-ranked group of the user"
                ),
            )
        }
        PolicyReason::Global { grant } => (
            "global",
            Some(grant),
            "granted tenant-wide (global)".to_string(),
        ),
        PolicyReason::Default => (
            "default",
            None,
            "nothing is granted; the built-in Global policy applies".to_string(),
        ),
    };
    Ok(EffectiveView {
        user: upn.to_string(),
        policy: PolicyView::from(&e.policy),
        source: source.into(),
        grant: grant.map(GrantView::from),
        reason,
    })
}
