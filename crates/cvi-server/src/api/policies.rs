//! Policies (preconstructed, read-only), grants (user, group + rank, global) and the
//! effective policy of a user with the grant that decided it.

use axum::extract::State;
use cvi_core::api::endpoints::{self, Endpoint};
use cvi_core::{
    api::{EffectiveView, GrantOutcome, GrantRequest, GrantView, PolicyView, TargetKind},
    policy::{group_id, upn, Grant, GrantTarget, POLICIES},
    Policy,
};

use super::providers::filter_regex;
use crate::{
    auth::{Caller, Role},
    error::{ApiJson, ApiPath, ApiQuery, ApiResult, AppError},
    state::AppState,
    usecases::policy,
};
use cvi_store::{self as store, audit};

/// List the preconstructed policies.
#[utoipa::path(get, path = endpoints::ListPolicies::PATH, params(endpoints::FilterQuery), tag = "policies", responses((status = 200, body = [PolicyView])))]
pub async fn get_all(
    caller: Caller,
    ApiQuery(q): ApiQuery<endpoints::FilterQuery>,
) -> ApiResult<Vec<PolicyView>> {
    caller.require(Role::Admin)?;
    let re = filter_regex(q.filter.as_deref())?;
    Ok(ApiJson(
        POLICIES
            .iter()
            .filter(|p| re.as_ref().is_none_or(|r| r.is_match(&p.identity)))
            .map(PolicyView::from)
            .collect(),
    ))
}

/// One policy by identity.
#[utoipa::path(get, path = endpoints::ShowPolicy::PATH, params(("identity" = String, Path, description = "A policy identity, e.g. Tag:PolycomServiceProviderEnabled")), tag = "policies",
    responses((status = 200, body = PolicyView)))]
pub async fn get_one(caller: Caller, ApiPath(identity): ApiPath<String>) -> ApiResult<PolicyView> {
    caller.require(Role::Admin)?;
    let p = Policy::by_identity(&identity).map_err(|e| AppError::NotFound(e.to_string()))?;
    Ok(ApiJson(PolicyView::from(p)))
}

/// List the tenant's grants.
#[utoipa::path(get, path = endpoints::ListGrants::PATH, tag = "policies", responses((status = 200, body = [GrantView])))]
pub async fn get_grants(State(s): State<AppState>, caller: Caller) -> ApiResult<Vec<GrantView>> {
    caller.require(Role::Admin)?;
    let grants = store::grants::list(&s.db, &caller.tenant).await?;
    Ok(ApiJson(grants.iter().map(GrantView::from).collect()))
}

fn valid_identity(kind: TargetKind, identity: Option<&str>) -> Result<String, AppError> {
    let id = identity.map(str::trim).unwrap_or_default();
    match kind {
        TargetKind::Global => {
            if !id.is_empty() {
                return Err(AppError::InvalidInput(
                    "a global grant takes no identity".into(),
                ));
            }
            Ok(String::new())
        }
        TargetKind::User => upn(id).map_err(|e| AppError::InvalidInput(e.to_string())),
        TargetKind::Group => group_id(id).map_err(|e| AppError::InvalidInput(e.to_string())),
    }
}

/// Assign or remove a grant.
#[utoipa::path(put, path = endpoints::PutGrant::PATH, request_body = GrantRequest, tag = "policies",
    responses((status = 200, body = GrantOutcome)))]
pub async fn put_grant(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<GrantRequest>,
) -> ApiResult<GrantOutcome> {
    caller.require(Role::Admin)?;
    let id = valid_identity(req.target, req.identity.as_deref())?;
    let rank = match (req.target, req.rank) {
        (TargetKind::Group, Some(r)) if r >= 1 => Some(r),
        (TargetKind::Group, _) if req.policy_name.is_some() => {
            return Err(AppError::InvalidInput(
                "a group grant needs a rank of 1 or more (1 = highest)".into(),
            ))
        }
        (TargetKind::Group, _) => None,
        (_, Some(_)) => {
            return Err(AppError::InvalidInput(
                "only group grants take a rank".into(),
            ))
        }
        (_, None) => None,
    };
    let policy = req
        .policy_name
        .as_deref()
        .map(|p| Policy::by_identity(p).map_err(|e| AppError::InvalidInput(e.to_string())))
        .transpose()?;
    let target = match req.target {
        TargetKind::User => GrantTarget::User { upn: id.clone() },
        TargetKind::Group => GrantTarget::Group {
            group_id: id.clone(),
            rank: rank.unwrap_or_default(),
        },
        TargetKind::Global => GrantTarget::Global,
    };

    let mut tx = s.writes.begin().await?;
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
                    return Err(AppError::Conflict(format!(
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
                .map_err(|e| match (&g.target, crate::usecases::unique_violation(&e)) {
                    (GrantTarget::Group { rank, .. }, true) => AppError::Conflict(format!(
                        "rank {rank} was taken a moment ago by another group grant; ranks are distinct, pick another"
                    )),
                    _ => AppError::from(e),
                })?;
            Some(GrantView::from(&g))
        }
        None => None,
    };
    if grant.is_none() && previous.is_none() {
        return Err(AppError::NotFound(
            "there is no such grant to remove".into(),
        ));
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
    Ok(ApiJson(GrantOutcome { grant, previous }))
}

/// The effective policy of any user (admins).
#[utoipa::path(get, path = endpoints::UserEffectivePolicy::PATH, params(("upn" = String, Path, description = "The user's UPN"), endpoints::EffectiveQuery), tag = "policies",
    responses((status = 200, body = EffectiveView)))]
pub async fn get_effective(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(upn): ApiPath<String>,
    ApiQuery(q): ApiQuery<endpoints::EffectiveQuery>,
) -> ApiResult<EffectiveView> {
    caller.require(Role::Admin)?;
    let upn = valid_identity(TargetKind::User, Some(&upn))?;
    let groups: Vec<String> = q
        .groups
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .map(String::from)
        .collect();
    Ok(ApiJson(
        policy::effective(&s.db, &caller.tenant, &upn, &groups).await?,
    ))
}

/// The caller's own effective policy (the add-in shows it), groups from the token.
#[utoipa::path(get, path = endpoints::MyEffectivePolicy::PATH, tag = "policies", responses((status = 200, body = EffectiveView)))]
pub async fn get_my_effective(
    State(s): State<AppState>,
    caller: Caller,
) -> ApiResult<EffectiveView> {
    // Like every endpoint: a role that schedules or administers, not just any user token.
    caller.require_any(&[Role::Organizer, Role::Admin])?;
    let upn = caller.user()?.to_string();
    Ok(ApiJson(
        policy::effective(&s.db, &caller.tenant, &upn, &caller.groups).await?,
    ))
}
