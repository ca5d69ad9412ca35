//! `/progress`: the athlete's daily log (weight, body, sleep, training, intake) and its trends.

pub mod dto;

use poem::web::Data;
use poem_openapi::{OpenApi, param::Path, param::Query, payload::Json};
use time::Date;

use super::{ApiTags, AppState, error::ApiError, responses::Done, security::BearerAuth};
use crate::{domain::account::Role, service::progress as service};
use dto::{
    Created, NewProgressEntry, ProgressEntry, ProgressPage, ProgressStats, ProgressValues, Saved,
};

#[derive(Default)]
pub struct ProgressApi;

#[OpenApi(tag = "ApiTags::Progress")]
impl ProgressApi {
    /// Record a day
    ///
    /// 409 when the day already has an entry (replace it with PUT /progress/{date}). Athletes.
    #[oai(
        path = "/progress",
        method = "post",
        operation_id = "createProgressEntry"
    )]
    async fn create(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        body: Json<NewProgressEntry>,
    ) -> Result<Created, ApiError> {
        auth.0.require(&[Role::Athlete])?;
        let NewProgressEntry { date, values } = body.0;
        let entry = service::create(&state, auth.0.user, date, values).await?;
        Ok(Created::Created(
            Json(entry),
            format!("/api/v1/progress/{date}"),
        ))
    }

    /// Entries in a date range
    ///
    /// Oldest first; `from` and `to` are inclusive and optional. Follow `next_from` for the next
    /// page. Athletes.
    #[oai(path = "/progress", method = "get", operation_id = "listProgress")]
    async fn list(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        from: Query<Option<Date>>,
        to: Query<Option<Date>>,
        #[oai(
            default = "default_limit",
            validator(minimum(value = "1"), maximum(value = "366"))
        )]
        limit: Query<i64>,
    ) -> Result<Json<ProgressPage>, ApiError> {
        auth.0.require(&[Role::Athlete])?;
        let page = service::page(&state, auth.0.user, from.0, to.0, limit.0).await?;
        Ok(Json(page))
    }

    /// Trends
    ///
    /// Over the `period` (`30d` by default; also weeks `12w`, months `3m`, a year `1y`) ending on
    /// `to` (default today): 7-day moving average weight, weekly rate of change, adherence to the
    /// energy target, estimated energy balance. Athletes.
    #[oai(
        path = "/progress/stats",
        method = "get",
        operation_id = "getProgressStats"
    )]
    async fn stats(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        #[oai(validator(max_length = 8))] period: Query<Option<String>>,
        to: Query<Option<Date>>,
    ) -> Result<Json<ProgressStats>, ApiError> {
        auth.0.require(&[Role::Athlete])?;
        let stats = service::stats(&state, auth.0.user, period.0.as_deref(), to.0).await?;
        Ok(Json(stats))
    }

    /// A day's entry
    ///
    /// Athletes.
    #[oai(
        path = "/progress/:date",
        method = "get",
        operation_id = "getProgressEntry"
    )]
    async fn get(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        date: Path<Date>,
    ) -> Result<Json<ProgressEntry>, ApiError> {
        auth.0.require(&[Role::Athlete])?;
        Ok(Json(service::get(&state, auth.0.user, date.0).await?))
    }

    /// Create or replace a day's entry
    ///
    /// Values left out are cleared. 201 when created, 200 when replaced. Athletes.
    #[oai(
        path = "/progress/:date",
        method = "put",
        operation_id = "putProgressEntry"
    )]
    async fn put(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        date: Path<Date>,
        body: Json<ProgressValues>,
    ) -> Result<Saved, ApiError> {
        auth.0.require(&[Role::Athlete])?;
        let date = date.0;
        let (entry, created) = service::put(&state, auth.0.user, date, body.0).await?;
        Ok(if created {
            Saved::Created(Json(entry), format!("/api/v1/progress/{date}"))
        } else {
            Saved::Replaced(Json(entry))
        })
    }

    /// Delete a day's entry
    ///
    /// Athletes.
    #[oai(
        path = "/progress/:date",
        method = "delete",
        operation_id = "deleteProgressEntry"
    )]
    async fn delete(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        date: Path<Date>,
    ) -> Result<Done, ApiError> {
        auth.0.require(&[Role::Athlete])?;
        service::delete(&state, auth.0.user, date.0).await?;
        Ok(Done::NoContent)
    }
}

/// Entries per page unless `limit` says otherwise: a month.
pub(super) fn default_limit() -> i64 {
    31
}
