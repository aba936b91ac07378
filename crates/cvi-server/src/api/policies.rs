//! Policies (preconstructed, read-only), grants (user, group + rank, global) and the
//! effective policy of a user with the grant that decided it.

use axum::extract::State;
use cvi_core::api::endpoints::{self, Endpoint};
use cvi_core::{
    api::{EffectiveView, GrantOutcome, GrantRequest, GrantView, PolicyView, TargetKind},
    policy::POLICIES,
    Policy,
};

use crate::usecases::providers::filter_regex;
use crate::{
    auth::{Caller, Role},
    error::{ApiJson, ApiPath, ApiQuery, ApiResult, AppError},
    state::AppState,
    usecases::policy,
};

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
    Ok(ApiJson(policy::grants(&s, &caller).await?))
}

/// Assign or remove a grant.
#[utoipa::path(put, path = endpoints::PutGrant::PATH, request_body = GrantRequest, tag = "policies",
    responses((status = 200, body = GrantOutcome)))]
pub async fn put_grant(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<GrantRequest>,
) -> ApiResult<GrantOutcome> {
    Ok(ApiJson(policy::put_grant(&s, &caller, req).await?))
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
    let upn = policy::valid_identity(TargetKind::User, Some(&upn))?;
    let groups: Vec<String> = q
        .groups
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .map(String::from)
        .collect();
    Ok(ApiJson(
        policy::effective(&s.cx, &caller.tenant, &upn, &groups).await?,
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
        policy::effective(&s.cx, &caller.tenant, &upn, &caller.groups).await?,
    ))
}
