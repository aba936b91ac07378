//! Policy: which preconstructed policy — and so which provider — applies to a user, and
//! why (direct grant > best-ranked group > global); the grants that decide it.

use cvi_core::{
    api::{EffectiveView, GrantOutcome, GrantRequest, GrantView, PolicyView, TargetKind},
    policy::{effective_policy, group_id, upn, Grant, GrantTarget, PolicyReason},
    Policy,
};
use cvi_store::{self as store, audit};

use super::{unique_violation, Caller, Context, Error, Result, Role};

/// At most this many groups are considered for one user (Entra puts at most 200 in a token).
pub const MAX_GROUPS: usize = 1000;

/// Resolves a user's effective policy from the tenant's grants.
pub async fn effective(
    cx: &Context,
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
    let grants = user_grants(cx, tenant, upn, groups).await?;
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

/// The grants that can apply to `upn` in `groups`. Where the kept configuration holds the
/// grants every user shares (SQLite), the user's own grant is read with the tenant's
/// configuration version and the global and group grants come from the configuration kept
/// at that version: one primary-key read instead of one per grant kind and group. A
/// version that moved between the two is read again. PostgreSQL batches the whole read.
async fn user_grants(
    cx: &Context,
    tenant: &str,
    upn: &str,
    groups: &[String],
) -> Result<Vec<Grant>> {
    if cx.config.keeps_grants() {
        for _ in 0..MAX_CONFIG_ATTEMPTS {
            let (version, own) =
                store::grants::user_with_version(&cx.db, cx.fast.as_ref(), tenant, upn).await?;
            let config = cx.config.at_version(&cx.db, tenant, version).await?;
            if config.version == version {
                let mut grants: Vec<Grant> = own.into_iter().collect();
                grants.extend(config.shared_grants(groups));
                return Ok(grants);
            }
        }
    }
    Ok(store::grants::for_user_fast(&cx.db, cx.fast.as_ref(), tenant, upn, groups).await?)
}

/// Reads of a user's grant while the tenant's configuration keeps moving, before the
/// decision is read in one statement instead.
const MAX_CONFIG_ATTEMPTS: usize = 3;

/// The tenant's grants, in decision order (admins).
pub async fn grants(cx: &Context, caller: &Caller) -> Result<Vec<GrantView>> {
    caller.require(Role::Admin)?;
    let grants = store::grants::list(&cx.db, &caller.tenant).await?;
    Ok(grants.iter().map(GrantView::from).collect())
}

/// What a grant's identity may be for its kind: a UPN, a group id, nothing for global.
pub fn valid_identity(kind: TargetKind, identity: Option<&str>) -> Result<String> {
    let id = identity.map(str::trim).unwrap_or_default();
    match kind {
        TargetKind::Global => {
            if !id.is_empty() {
                return Err(Error::Invalid("a global grant takes no identity".into()));
            }
            Ok(String::new())
        }
        TargetKind::User => upn(id).map_err(|e| Error::Invalid(e.to_string())),
        TargetKind::Group => group_id(id).map_err(|e| Error::Invalid(e.to_string())),
    }
}

/// Assigns or removes a grant (admins): `Grant-CsTeamsVideoInteropServicePolicy`.
pub async fn put_grant(cx: &Context, caller: &Caller, req: GrantRequest) -> Result<GrantOutcome> {
    caller.require(Role::Admin)?;
    let id = valid_identity(req.target, req.identity.as_deref())?;
    let rank = match (req.target, req.rank) {
        (TargetKind::Group, Some(r)) if r >= 1 => Some(r),
        (TargetKind::Group, _) if req.policy_name.is_some() => {
            return Err(Error::Invalid(
                "a group grant needs a rank of 1 or more (1 = highest)".into(),
            ))
        }
        (TargetKind::Group, _) => None,
        (_, Some(_)) => return Err(Error::Invalid("only group grants take a rank".into())),
        (_, None) => None,
    };
    let policy = req
        .policy_name
        .as_deref()
        .map(|p| Policy::by_identity(p).map_err(|e| Error::Invalid(e.to_string())))
        .transpose()?;
    let target = match req.target {
        TargetKind::User => GrantTarget::User { upn: id.clone() },
        TargetKind::Group => GrantTarget::Group {
            group_id: id.clone(),
            rank: rank.unwrap_or_default(),
        },
        TargetKind::Global => GrantTarget::Global,
    };

    let mut tx = cx.writes.begin().await?;
    // Grants decide issuance too: an issuance decided before this change must not commit
    // after it (see store::writes).
    store::tenant_config::changed(&mut tx, &caller.tenant).await?;
    let previous = store::grants::list(&mut *tx, &caller.tenant)
        .await?
        .iter()
        .map(GrantView::from)
        .find(|g| g.target == req.target && g.identity.clone().unwrap_or_default() == id);
    store::grants::delete(&mut tx, &caller.tenant, &target).await?;
    let grant = match policy {
        Some(p) => {
            if let Some(r) = rank {
                if let Some(other) = store::grants::rank_holder(&mut tx, &caller.tenant, r).await? {
                    return Err(Error::Conflict(format!(
                        "rank {r} is already held by group {other}; ranks are distinct, pick another"
                    )));
                }
            }
            let g = Grant {
                target,
                policy_name: p.identity.to_string(),
            };
            store::grants::insert(&mut tx, &caller.tenant, &g)
                .await
                .map_err(|e| match (&g.target, unique_violation(&e)) {
                    (GrantTarget::Group { rank, .. }, true) => Error::Conflict(format!(
                        "rank {rank} was taken a moment ago by another group grant; ranks are distinct, pick another"
                    )),
                    _ => Error::from(e),
                })?;
            Some(GrantView::from(&g))
        }
        None => None,
    };
    if grant.is_none() && previous.is_none() {
        return Err(Error::NotFound("there is no such grant to remove".into()));
    }
    let action = if grant.is_some() {
        "grant.assign"
    } else {
        "grant.remove"
    };
    let kind = match req.target {
        TargetKind::User => "user",
        TargetKind::Group => "group",
        TargetKind::Global => "global",
    };
    let audited = if id.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}:{id}")
    };
    audit::record(
        &mut tx,
        &caller.tenant,
        &caller.actor,
        action,
        &audited,
        previous.as_ref(),
        grant.as_ref(),
    )
    .await?;
    tx.commit().await?;
    // Who is covered may have changed: calendar subscriptions follow at once.
    cx.inject_wake.notify_one();
    Ok(GrantOutcome { grant, previous })
}
