//! `/coach`: what a coach may read of the athletes who granted access, and nothing else.

use poem::web::Data;
use poem_openapi::{OpenApi, param::Path, payload::Json};
use uuid::Uuid;

use super::{
    ApiTags, AppState,
    account::{Grant, Profile},
    error::ApiError,
    security::BearerAuth,
};
use crate::{db, domain::account::Role};

pub struct CoachApi;

#[OpenApi(prefix_path = "/coach", tag = "ApiTags::Coaching")]
impl CoachApi {
    /// Athletes who granted access
    ///
    /// Coaches.
    #[oai(path = "/athletes", method = "get", operation_id = "listAthletes")]
    async fn athletes(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
    ) -> Result<Json<Vec<Grant>>, ApiError> {
        let caller = auth.0;
        caller.require(&[Role::Coach])?;
        let grants = db::coaching::athletes_of(&state.pool, caller.user).await?;
        Ok(Json(grants.into_iter().map(Into::into).collect()))
    }

    /// An athlete's profile
    ///
    /// Account and health profile of an athlete who granted the signed-in coach access; 404 for
    /// anyone else (whether or not they exist). Coaches.
    #[oai(
        path = "/athletes/:id/profile",
        method = "get",
        operation_id = "getAthleteProfile"
    )]
    async fn athlete_profile(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> Result<Json<Profile>, ApiError> {
        let caller = auth.0;
        caller.require(&[Role::Coach])?;
        if !db::coaching::has_grant(&state.pool, id.0, caller.user).await? {
            return Err(ApiError::not_found("athlete"));
        }
        let account = db::users::by_id(&state.pool, id.0)
            .await?
            .ok_or_else(|| ApiError::not_found("athlete"))?;
        let health_profile = db::profiles::get(&state.pool, id.0)
            .await?
            .map(super::health_profile::HealthProfile::from_row)
            .transpose()?;
        Ok(Json(Profile {
            account: account.into(),
            health_profile,
        }))
    }
}
