//! `/admin/stores/{id}/price-feed`, `/admin/price-feed-runs`, `/admin/price-review`: importing store
//! price lists and deciding the rows that did not match.

use poem::web::Data;
use poem_openapi::{
    ApiRequest, Object, OpenApi,
    param::{Path, Query},
    payload::{Binary, Json},
};
use rust_decimal::Decimal;
use time::OffsetDateTime;
use uuid::Uuid;

use super::enums::api_enum;
use super::security::AdminAuth;
use super::{
    ApiTags, AppState,
    error::{ApiError, FieldError},
    security::ClientInfo,
};
use crate::{db::feeds, service::feeds as service};

/// A price list: CSV (`,` `;` or tab separated) or JSON; see `seeds/feeds/README.md`.
#[derive(ApiRequest, Debug)]
pub enum FeedFile {
    #[oai(content_type = "text/csv")]
    Csv(Binary<Vec<u8>>),
    #[oai(content_type = "application/json")]
    Json(Binary<Vec<u8>>),
    /// Detected from the content.
    #[oai(content_type = "application/octet-stream")]
    Bytes(Binary<Vec<u8>>),
}

/// A row or column the import refused.
#[derive(Object, Debug, Clone, serde::Deserialize)]
pub struct FeedProblem {
    /// The CSV line or JSON item number; 0 for the whole file.
    pub line: u32,
    pub field: String,
    pub message: String,
}

/// One import of a store's price list.
#[derive(Object, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct PriceFeedRun {
    pub id: Uuid,
    pub store_id: Uuid,
    /// `upload`, `fetch` (on demand) or `schedule`.
    pub trigger: String,
    #[oai(skip_serializing_if_is_none)]
    pub format: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub file_sha256: Option<String>,
    pub file_bytes: u64,
    /// `applied`, `dry_run`, `rejected` (nothing written) or `failed` (unreadable or not fetched).
    pub status: String,
    pub rows_read: u32,
    /// Prices changed or added.
    pub rows_applied: u32,
    /// Prices confirmed as they were (their check time is updated).
    pub rows_unchanged: u32,
    /// Rows waiting in the review queue.
    pub rows_queued: u32,
    pub rows_rejected: u32,
    /// At most 200; the counts are exact.
    pub problems: Vec<FeedProblem>,
    pub duration_ms: u32,
    #[oai(skip_serializing_if_is_none)]
    pub actor_id: Option<Uuid>,
    pub started_at: OffsetDateTime,
}

impl From<feeds::Run> for PriceFeedRun {
    fn from(r: feeds::Run) -> Self {
        let n = |v: i32| u32::try_from(v).unwrap_or(0);
        Self {
            id: r.id,
            store_id: r.store_id,
            trigger: r.trigger,
            format: r.format,
            file_sha256: r.file_sha256,
            file_bytes: u64::try_from(r.file_bytes).unwrap_or(0),
            status: r.status,
            rows_read: n(r.rows_read),
            rows_applied: n(r.rows_applied),
            rows_unchanged: n(r.rows_unchanged),
            rows_queued: n(r.rows_queued),
            rows_rejected: n(r.rows_rejected),
            problems: serde_json::from_value(r.problems).unwrap_or_default(),
            duration_ms: n(r.duration_ms),
            actor_id: r.actor_id,
            started_at: r.started_at,
        }
    }
}

/// A fed row waiting for a decision (or decided).
#[derive(Object, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct ReviewItem {
    pub id: Uuid,
    pub store_id: Uuid,
    pub store: String,
    #[oai(skip_serializing_if_is_none)]
    pub run_id: Option<Uuid>,
    pub line: u32,
    /// `no_match`, `low_confidence` or `price_jump` (ten times the last price, or a tenth).
    pub reason: String,
    #[oai(skip_serializing_if_is_none)]
    pub sku: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub gtin: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub brand: Option<String>,
    pub name: String,
    #[oai(skip_serializing_if_is_none)]
    pub size: Option<String>,
    pub price: Decimal,
    #[oai(skip_serializing_if_is_none)]
    pub discount_price: Option<Decimal>,
    pub in_stock: bool,
    /// The best guess (or, once approved, the package chosen).
    #[oai(skip_serializing_if_is_none)]
    pub candidate_package_id: Option<Uuid>,
    #[oai(skip_serializing_if_is_none)]
    pub confidence: Option<f64>,
    pub status: ReviewStatus,
    #[oai(skip_serializing_if_is_none)]
    pub decided_by: Option<Uuid>,
    #[oai(skip_serializing_if_is_none)]
    pub decided_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

api_enum!(
    ReviewStatus {
        Pending = "pending",
        Approved = "approved",
        Rejected = "rejected",
    }
);

impl TryFrom<feeds::ReviewItem> for ReviewItem {
    type Error = ApiError;

    fn try_from(r: feeds::ReviewItem) -> Result<Self, ApiError> {
        Ok(Self {
            id: r.id,
            store_id: r.store_id,
            store: r.store_slug,
            run_id: r.run_id,
            line: u32::try_from(r.line).unwrap_or(0),
            reason: r.reason,
            sku: r.sku,
            gtin: r.gtin,
            brand: r.brand,
            name: r.name,
            size: r.size,
            price: r.price,
            discount_price: r.discount_price,
            in_stock: r.in_stock,
            candidate_package_id: r.candidate_package_id,
            confidence: r
                .confidence
                .map(|c| (f64::from(c) * 1000.0).round() / 1000.0),
            status: ReviewStatus::parse(&r.status).ok_or_else(|| {
                ApiError::from(anyhow::anyhow!("a review item has an unknown status"))
            })?,
            decided_by: r.decided_by,
            decided_at: r.decided_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// The package a reviewed row is.
#[derive(Object, Debug)]
pub struct Approve {
    pub package_id: Uuid,
}

fn default_limit() -> i64 {
    50
}

#[derive(Default)]
pub struct FeedsApi;

#[OpenApi(prefix_path = "/admin", tag = "ApiTags::Admin")]
impl FeedsApi {
    /// Import a store's price list
    ///
    /// CSV or JSON (see `seeds/feeds/README.md`), in one transaction: rows matched by GTIN, the
    /// store's SKU, or confidently by brand, name and size apply; others wait in the review queue;
    /// invalid rows are refused by line. A file that cannot be read, or whose rows are mostly
    /// invalid, is refused whole (422) and nothing is written. `dry_run` checks without writing.
    /// Every run is recorded. Admins.
    #[oai(
        path = "/stores/:id/price-feed",
        method = "post",
        operation_id = "importPriceFeed"
    )]
    async fn upload(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        id: Path<Uuid>,
        #[oai(default)] dry_run: Query<bool>,
        body: FeedFile,
    ) -> Result<Json<PriceFeedRun>, ApiError> {
        let bytes = match body {
            FeedFile::Csv(b) | FeedFile::Json(b) | FeedFile::Bytes(b) => b.0,
        };
        let actor = client.actor(auth.0.user);
        outcome(service::import(&state, actor, id.0, &bytes, dry_run.0).await?)
    }

    /// Fetch a store's price list now
    ///
    /// From the store's `feed_url`, as the schedule does. Admins.
    #[oai(
        path = "/stores/:id/price-feed/fetch",
        method = "post",
        operation_id = "fetchPriceFeed"
    )]
    async fn fetch(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        id: Path<Uuid>,
    ) -> Result<Json<PriceFeedRun>, ApiError> {
        outcome(service::fetch(&state, client.actor(auth.0.user), id.0).await?)
    }

    /// Import runs
    ///
    /// Newest first, optionally for one store. Admins.
    #[oai(
        path = "/price-feed-runs",
        method = "get",
        operation_id = "listPriceFeedRuns"
    )]
    async fn runs(
        &self,
        state: Data<&AppState>,
        _admin: AdminAuth,
        store: Query<Option<Uuid>>,
        #[oai(
            default = "default_limit",
            validator(minimum(value = "1"), maximum(value = "500"))
        )]
        limit: Query<i64>,
    ) -> Result<Json<Vec<PriceFeedRun>>, ApiError> {
        let runs = feeds::runs(&state.pool, store.0, limit.0).await?;
        Ok(Json(runs.into_iter().map(Into::into).collect()))
    }

    /// The review queue
    ///
    /// Fed rows that matched no package confidently, or whose price jumped tenfold; oldest first.
    /// Admins.
    #[oai(
        path = "/price-review",
        method = "get",
        operation_id = "listPriceReview"
    )]
    async fn review(
        &self,
        state: Data<&AppState>,
        _admin: AdminAuth,
        store: Query<Option<Uuid>>,
        status: Query<Option<ReviewStatus>>,
        #[oai(
            default = "default_limit",
            validator(minimum(value = "1"), maximum(value = "500"))
        )]
        limit: Query<i64>,
    ) -> Result<Json<Vec<ReviewItem>>, ApiError> {
        let status = status.0.unwrap_or(ReviewStatus::Pending).as_str();
        let items = feeds::review_items(&state.pool, status, store.0, limit.0).await?;
        Ok(Json(
            items
                .into_iter()
                .map(ReviewItem::try_from)
                .collect::<Result<_, _>>()?,
        ))
    }

    /// Approve a row as a package
    ///
    /// Its price applies, and its SKU is remembered as the store's name for the package, so later
    /// imports match it directly. Admins.
    #[oai(
        path = "/price-review/:id/approve",
        method = "post",
        operation_id = "approvePriceReview"
    )]
    async fn approve(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        id: Path<Uuid>,
        body: Json<Approve>,
    ) -> Result<Json<ReviewItem>, ApiError> {
        let actor = client.actor(auth.0.user);
        let item = service::approve(&state, actor, id.0, body.package_id).await?;
        Ok(Json(item.try_into()?))
    }

    /// Reject a row
    ///
    /// Admins.
    #[oai(
        path = "/price-review/:id/reject",
        method = "post",
        operation_id = "rejectPriceReview"
    )]
    async fn reject(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        id: Path<Uuid>,
    ) -> Result<Json<ReviewItem>, ApiError> {
        let item = service::reject(&state, client.actor(auth.0.user), id.0).await?;
        Ok(Json(item.try_into()?))
    }
}

/// A rejected or failed run is a 422 naming the refused fields by line; others are the run.
fn outcome(run: feeds::Run) -> Result<Json<PriceFeedRun>, ApiError> {
    let run = PriceFeedRun::from(run);
    if run.status == "rejected" || run.status == "failed" {
        let errors = run
            .problems
            .iter()
            .map(|p| {
                let at = if p.line == 0 {
                    String::new()
                } else {
                    format!("line {}: ", p.line)
                };
                FieldError::new(&p.field, format!("{at}{}", p.message))
            })
            .collect();
        let mut problem = ApiError::validation(errors);
        if let ApiError::Unprocessable(body) = &mut problem {
            body.0.detail = Some(format!(
                "the price list was {} and nothing was applied (run {})",
                run.status, run.id
            ));
            // Its own detail, not the generic one.
            body.0.detail_code = None;
        }
        return Err(problem);
    }
    Ok(Json(run))
}
