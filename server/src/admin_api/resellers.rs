//! `/resellers`: invite, list, read, patch and the lifecycle actions.

use super::Operator;
use crate::{
    json::{ApiJson, ApiPath, ApiQuery, path_id},
    problem::{ApiError, ApiResult},
};
use app::{
    billing::{AccountPatch, service as billing},
    ids::ResellerId,
    lists::Page,
    money::{Amount, Money, Percent},
    resellers::{LifecycleAction, Reseller, ResellerFilter, ResellerPatch, service as resellers},
    state::AppState,
};
use axum::{
    Json, Router,
    extract::State,
    http::StatusCode,
    routing::{get, post},
};
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/resellers", get(list).post(invite))
        .route("/resellers/{id}", get(read).patch(patch))
        .route("/resellers/{id}/{action}", post(lifecycle))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InviteIn {
    email: String,
    company_name: String,
    #[serde(default)]
    contact_name: Option<String>,
    #[serde(default)]
    default_discount_rate: Option<Percent>,
    #[serde(default)]
    rate_limit: Option<i64>,
}

#[derive(Debug, Serialize)]
struct Invited {
    #[serde(flatten)]
    reseller: Reseller,
    /// For a newly created account: the one-time link to set a password.
    invitation_url: Option<String>,
}

/// Creates a client (when the email has no account) with a pending profile.
async fn invite(
    State(state): State<AppState>,
    operator: Operator,
    ApiJson(body): ApiJson<InviteIn>,
) -> ApiResult<(StatusCode, Json<Invited>)> {
    let invited = resellers::invite(
        &state.store,
        &operator.actor,
        resellers::Invitation {
            email: body.email,
            contact_name: body.contact_name,
            company_name: body.company_name,
            default_discount_rate: body.default_discount_rate,
            rate_limit: body.rate_limit,
        },
    )
    .await?;
    let invitation_url = invited
        .invitation_path
        .map(|path| format!("{}{path}", state.settings.public_url));
    Ok((
        StatusCode::CREATED,
        Json(Invited {
            reseller: invited.reseller,
            invitation_url,
        }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    status: Option<String>,
    q: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
    /// `balance`: lowest balance (who owes most) first, one page.
    sort: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    _: Operator,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Json<Page<Reseller>>> {
    let filter = ResellerFilter::parse(
        query.status.as_deref(),
        query.q.as_deref(),
        query.cursor.as_deref(),
        query.limit,
    )?
    .sorted(query.sort.as_deref())?;
    Ok(Json(resellers::list(&state.store, &filter).await?))
}

async fn read(State(state): State<AppState>, _: Operator, ApiPath(id): ApiPath<String>) -> ApiResult<Json<Reseller>> {
    let id: ResellerId = path_id(&id, "reseller")?;
    Ok(Json(resellers::get(&state.store, &id).await?))
}

async fn patch(
    State(state): State<AppState>,
    operator: Operator,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<PatchIn>,
) -> ApiResult<Json<Reseller>> {
    let id: ResellerId = path_id(&id, "reseller")?;
    let patch = ResellerPatch {
        api_enabled: body.api_enabled,
        rate_limit: body.rate_limit,
        default_discount_rate: body.default_discount_rate,
    };
    let account = AccountPatch {
        credit_limit: body.credit_limit,
        low_balance_threshold: body.low_balance_threshold,
    };
    if let Some(limit) = patch.rate_limit {
        app::resellers::parse_rate_limit(limit)?;
    }
    if account != AccountPatch::default() {
        billing::update_account(&state.store, &operator.actor, &id, &account).await?;
    }
    if patch == ResellerPatch::default() {
        return Ok(Json(resellers::get(&state.store, &id).await?));
    }
    Ok(Json(
        resellers::update_settings(&state.store, &operator.actor, &id, patch).await?,
    ))
}

/// A field that may be absent (unchanged), `null` (cleared) or a value.
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PatchIn {
    #[serde(default)]
    api_enabled: Option<bool>,
    #[serde(default)]
    rate_limit: Option<i64>,
    #[serde(default)]
    default_discount_rate: Option<Percent>,
    /// `null`: no limit; `"0.00"`: prepaid; more: a credit line.
    #[serde(default, deserialize_with = "present")]
    credit_limit: Option<Option<Money>>,
    #[serde(default, deserialize_with = "present")]
    low_balance_threshold: Option<Option<Amount>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LifecycleIn {
    #[serde(default)]
    reason: Option<String>,
}

/// `approve`, `suspend`, `reactivate`, `terminate`; refused transitions are
/// 409 `invalid_transition`.
async fn lifecycle(
    State(state): State<AppState>,
    operator: Operator,
    ApiPath((id, action)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<LifecycleIn>,
) -> ApiResult<Json<Reseller>> {
    let id: ResellerId = path_id(&id, "reseller")?;
    let action = LifecycleAction::parse(&action).ok_or_else(|| {
        ApiError::new(
            app::error::ErrorCode::NotFound,
            "No such action: use approve, suspend, reactivate or terminate.",
        )
    })?;
    let reseller = resellers::change_status(&state.store, &operator.actor, &id, action, body.reason.as_deref()).await?;
    Ok(Json(reseller))
}
