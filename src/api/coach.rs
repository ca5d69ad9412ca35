//! `/coach`: what a coach may read of the athletes who granted access, and nothing else.

use poem::web::Data;
use poem_openapi::{OpenApi, param::Path, param::Query, payload::Json};
use time::Date;
use uuid::Uuid;

use super::{
    ApiTags, AppState,
    account::{Grant, Profile},
    confirmations,
    error::ApiError,
    language::{LanguageTag, Negotiation},
    progress::{
        default_limit,
        dto::{ProgressPage, ProgressStats},
    },
    responses::Done,
    security::BearerAuth,
    supplements::Recommendations,
};
use crate::{db, domain::account::Role, service::progress};

#[derive(Default)]
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
        granted(&state, &auth, id.0).await?;
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

    /// An athlete's progress entries
    ///
    /// As `GET /progress` for an athlete who granted the signed-in coach access; 404 for anyone
    /// else. Coaches.
    #[oai(
        path = "/athletes/:id/progress",
        method = "get",
        operation_id = "listAthleteProgress"
    )]
    async fn athlete_progress(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
        from: Query<Option<Date>>,
        to: Query<Option<Date>>,
        #[oai(
            default = "default_limit",
            validator(minimum(value = "1"), maximum(value = "366"))
        )]
        limit: Query<i64>,
    ) -> Result<Json<ProgressPage>, ApiError> {
        granted(&state, &auth, id.0).await?;
        Ok(Json(
            progress::page(&state, id.0, from.0, to.0, limit.0).await?,
        ))
    }

    /// An athlete's progress trends
    ///
    /// As `GET /progress/stats` for an athlete who granted the signed-in coach access. Coaches.
    #[oai(
        path = "/athletes/:id/progress/stats",
        method = "get",
        operation_id = "getAthleteProgressStats"
    )]
    async fn athlete_progress_stats(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
        #[oai(validator(max_length = 8))] period: Query<Option<String>>,
        to: Query<Option<Date>>,
    ) -> Result<Json<ProgressStats>, ApiError> {
        granted(&state, &auth, id.0).await?;
        Ok(Json(
            progress::stats(&state, id.0, period.0.as_deref(), to.0).await?,
        ))
    }

    /// An athlete's recommendations
    ///
    /// As `GET /recommendations` for an athlete who granted the signed-in coach access: the
    /// recommended products, those to ask the athlete's doctor about first, and those not for them,
    /// with reasons and sources. Coaches.
    #[oai(
        path = "/athletes/:id/recommendations",
        method = "get",
        operation_id = "getAthleteRecommendations"
    )]
    async fn athlete_recommendations(
        &self,
        state: Data<&AppState>,
        neg: Data<&Negotiation>,
        auth: BearerAuth,
        id: Path<Uuid>,
        #[oai(
            default = "default_recommendations",
            validator(minimum(value = "1"), maximum(value = "100"))
        )]
        limit: Query<u32>,
        lang: Query<Option<LanguageTag>>,
    ) -> Result<Json<Recommendations>, ApiError> {
        granted(&state, &auth, id.0).await?;
        let locale = neg.resolve(lang.0.as_deref(), Some(&auth.0))?;
        Ok(Json(
            crate::service::recommendations::for_athlete(&state, id.0, locale, None, limit.0)
                .await?,
        ))
    }

    /// An athlete's confirmations
    ///
    /// As `GET /supplement-confirmations`, for an athlete who granted the signed-in coach access.
    /// Coaches.
    #[oai(
        path = "/athletes/:id/supplement-confirmations",
        method = "get",
        operation_id = "listAthleteSupplementConfirmations"
    )]
    async fn athlete_confirmations(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> Result<Json<Vec<confirmations::SupplementConfirmation>>, ApiError> {
        granted(&state, &auth, id.0).await?;
        Ok(Json(confirmations::list(&state, id.0).await?))
    }

    /// Confirm a product for an athlete
    ///
    /// As `POST /supplement-confirmations`, by a coach, after the athlete talked to their doctor:
    /// recorded as confirmed by the coach. Coaches of athletes who granted access.
    #[oai(
        path = "/athletes/:id/supplement-confirmations",
        method = "post",
        operation_id = "confirmAthleteSupplement"
    )]
    async fn confirm_for_athlete(
        &self,
        state: Data<&AppState>,
        neg: Data<&Negotiation>,
        auth: BearerAuth,
        id: Path<Uuid>,
        lang: Query<Option<LanguageTag>>,
        body: Json<confirmations::NewConfirmation>,
    ) -> Result<confirmations::Confirmed, ApiError> {
        granted(&state, &auth, id.0).await?;
        let locale = neg.resolve(lang.0.as_deref(), Some(&auth.0))?;
        confirmations::confirm(&state, &locale, id.0, auth.0.user, body.0).await
    }

    /// Revoke an athlete's confirmation
    ///
    /// As `DELETE /supplement-confirmations/{product_id}`, by a coach. Coaches.
    #[oai(
        path = "/athletes/:id/supplement-confirmations/:product_id",
        method = "delete",
        operation_id = "revokeAthleteSupplementConfirmation"
    )]
    async fn revoke_for_athlete(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
        product_id: Path<Uuid>,
    ) -> Result<Done, ApiError> {
        granted(&state, &auth, id.0).await?;
        confirmations::revoke(&state, id.0, product_id.0, auth.0.user).await?;
        Ok(Done::NoContent)
    }
}

fn default_recommendations() -> u32 {
    10
}

/// A coach reads only athletes who granted access; anyone else is "not found".
async fn granted(state: &AppState, auth: &BearerAuth, athlete: Uuid) -> Result<(), ApiError> {
    auth.0.require(&[Role::Coach])?;
    if db::coaching::has_grant(&state.pool, athlete, auth.0.user).await? {
        Ok(())
    } else {
        Err(ApiError::not_found("athlete"))
    }
}
