//! `/api/v1/providers…`: `New-/Set-/Get-/Remove-CsVideoInteropServiceProvider` over HTTP
//! (the use case is `usecases::providers`).

use axum::{extract::State, http::StatusCode};
use cvi_core::api::endpoints::{self, Endpoint};
use cvi_core::api::{NewProvider, ProviderView, Removed, SetProvider};

use crate::{
    auth::Caller,
    error::{ApiJson, ApiPath, ApiQuery, ApiResult, AppError},
    state::AppState,
    usecases::providers,
};

/// List providers (`Get-CsVideoInteropServiceProvider [-Filter]`).
#[utoipa::path(get, path = endpoints::ListProviders::PATH, params(endpoints::FilterQuery), tag = "providers",
    responses((status = 200, body = [ProviderView])))]
pub async fn get_all(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<endpoints::FilterQuery>,
) -> ApiResult<Vec<ProviderView>> {
    Ok(ApiJson(
        providers::list(&s, &caller, q.filter.as_deref()).await?,
    ))
}

/// One provider (`Get-CsVideoInteropServiceProvider -Identity`).
#[utoipa::path(get, path = endpoints::ShowProvider::PATH, params(("name" = String, Path, description = "Polycom, BlueJeans, Pexip or Cisco (any case)")), tag = "providers",
    responses((status = 200, body = ProviderView)))]
pub async fn get_one(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<ProviderView> {
    Ok(ApiJson(providers::show(&s, &caller, &name).await?))
}

/// Create a provider (`New-CsVideoInteropServiceProvider`); one per name per tenant.
#[utoipa::path(post, path = endpoints::CreateProvider::PATH, request_body = NewProvider, tag = "providers",
    responses((status = 201, body = ProviderView)))]
pub async fn create(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewProvider>,
) -> Result<(StatusCode, ApiJson<ProviderView>), AppError> {
    let view = providers::create(&s, &caller, body).await?;
    Ok((StatusCode::CREATED, ApiJson(view)))
}

/// Change a provider (`Set-CsVideoInteropServiceProvider`).
#[utoipa::path(patch, path = endpoints::UpdateProvider::PATH, params(("name" = String, Path, description = "Polycom, BlueJeans, Pexip or Cisco (any case)")), request_body = SetProvider, tag = "providers",
    responses((status = 200, body = ProviderView)))]
pub async fn update(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(name): ApiPath<String>,
    ApiJson(body): ApiJson<SetProvider>,
) -> ApiResult<ProviderView> {
    Ok(ApiJson(providers::update(&s, &caller, &name, body).await?))
}

/// Remove a provider and all its data (`Remove-CsVideoInteropServiceProvider`).
#[utoipa::path(delete, path = endpoints::RemoveProvider::PATH, params(("name" = String, Path, description = "Polycom, BlueJeans, Pexip or Cisco (any case)")), tag = "providers",
    responses((status = 200, body = Removed)))]
pub async fn remove(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<Removed> {
    Ok(ApiJson(providers::remove(&s, &caller, &name).await?))
}
