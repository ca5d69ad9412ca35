//! Price-feed imports: one transaction per file that applies the matched rows, queues the doubtful
//! ones for review and records the run; the review queue's decisions.

use std::{collections::HashMap, time::Instant};

use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::feed::{
    self, Candidate, Catalogue, FeedRow, MAX_PROBLEMS, Match, Problem, Size, SizeUnit,
};

/// How a run was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Upload,
    Schedule,
    Fetch,
}

impl Trigger {
    fn as_str(self) -> &'static str {
        match self {
            Trigger::Upload => "upload",
            Trigger::Schedule => "schedule",
            Trigger::Fetch => "fetch",
        }
    }
}

/// What to import and how.
#[derive(Debug, Clone, Copy)]
pub struct Import<'a> {
    pub store: Uuid,
    pub bytes: &'a [u8],
    pub trigger: Trigger,
    pub actor: Option<Uuid>,
    /// Fuzzy matches from this confidence apply; below it they wait for review.
    pub threshold: f64,
    /// Check everything, write nothing but the run record.
    pub dry_run: bool,
}

/// A recorded run.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Run {
    pub id: Uuid,
    pub store_id: Uuid,
    pub trigger: String,
    pub format: Option<String>,
    pub file_sha256: Option<String>,
    pub file_bytes: i64,
    pub status: String,
    pub rows_read: i32,
    pub rows_applied: i32,
    pub rows_unchanged: i32,
    pub rows_queued: i32,
    pub rows_rejected: i32,
    pub problems: serde_json::Value,
    pub duration_ms: i32,
    pub actor_id: Option<Uuid>,
    pub started_at: OffsetDateTime,
}

const RUN_COLUMNS: &str =
    "id, store_id, trigger, format, file_sha256, file_bytes, status, rows_read, rows_applied,
     rows_unchanged, rows_queued, rows_rejected, problems, duration_ms, actor_id, started_at";

/// More than this share of rows refused means the file is not what it claims: nothing is applied.
const MAX_REJECTED_SHARE: f64 = 0.5;

#[derive(Default)]
struct Tally {
    applied: i32,
    unchanged: i32,
    queued: i32,
    rejected: i32,
    problems: Vec<Problem>,
}

/// Imports a store's price list in one transaction and records the run, whatever the outcome.
/// A file that cannot be read, or whose rows are mostly invalid, is rejected whole; otherwise good
/// rows apply, invalid rows are reported by line and doubtful ones (no confident match, a tenfold
/// price jump) wait for review. Concurrent imports for one store queue on an advisory lock.
pub async fn import(pool: &PgPool, job: Import<'_>) -> sqlx::Result<Run> {
    let started = Instant::now();
    let sha = format!("{:x}", Sha256::digest(job.bytes));
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('sports-nutrition:feed:' || $1::text))")
        .bind(job.store)
        .execute(&mut *tx)
        .await?;
    let run_id = Uuid::now_v7();
    let (status, format, read, tally) = match feed::parse(job.bytes) {
        Err(e) => {
            let problem = Problem {
                line: 0,
                field: "file".into(),
                message: e.to_string(),
            };
            let tally = Tally {
                problems: vec![problem],
                ..Default::default()
            };
            ("rejected", None, 0, tally)
        }
        Ok(parsed) => {
            let mut tally = Tally {
                rejected: i32::try_from(parsed.rows_read - parsed.rows.len()).unwrap_or(i32::MAX),
                problems: parsed.problems,
                ..Default::default()
            };
            let share = tally.rejected as f64 / parsed.rows_read.max(1) as f64;
            let status = if parsed.rows_read == 0 || share > MAX_REJECTED_SHARE {
                tally.problems.insert(
                    0,
                    Problem {
                        line: 0,
                        field: "file".into(),
                        message: format!(
                            "{} of {} rows are invalid: the file is rejected and nothing was applied",
                            tally.rejected, parsed.rows_read
                        ),
                    },
                );
                "rejected"
            } else {
                // The run row exists before review items point at it.
                insert_run(
                    &mut tx,
                    run_id,
                    &job,
                    &sha,
                    "applied",
                    Some(parsed.format.as_str()),
                )
                .await?;
                apply(&mut tx, &job, run_id, &parsed.rows, &mut tally).await?;
                if job.dry_run { "dry_run" } else { "applied" }
            };
            (
                status,
                Some(parsed.format.as_str()),
                parsed.rows_read,
                tally,
            )
        }
    };
    let Tally {
        applied,
        unchanged,
        queued,
        rejected,
        mut problems,
    } = tally;
    problems.truncate(MAX_PROBLEMS);
    // A fetched feed came from wherever its URL points: its report says what was wrong, never what
    // the server sent (header cells, values), so a feed URL cannot be used to read another server.
    if job.trigger != Trigger::Upload {
        for problem in &mut problems {
            problem.message = feed::without_quoted(&problem.message);
        }
    }
    let counts = (applied, unchanged, queued, rejected);
    let duration_ms = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
    let run = if job.dry_run || status == "rejected" {
        // Nothing of the import stays; the run is recorded on its own.
        tx.rollback().await?;
        let mut conn = pool.acquire().await?;
        insert_run(&mut conn, run_id, &job, &sha, status, format).await?;
        finish_run(
            &mut conn,
            run_id,
            status,
            read,
            &counts,
            &problems,
            duration_ms,
        )
        .await?
    } else {
        let run = finish_run(
            &mut tx,
            run_id,
            status,
            read,
            &counts,
            &problems,
            duration_ms,
        )
        .await?;
        tx.commit().await?;
        run
    };
    Ok(run)
}

async fn insert_run(
    conn: &mut PgConnection,
    id: Uuid,
    job: &Import<'_>,
    sha: &str,
    status: &str,
    format: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO price_feed_runs (id, store_id, trigger, format, file_sha256, file_bytes, status, actor_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id)
    .bind(job.store)
    .bind(job.trigger.as_str())
    .bind(format)
    .bind(sha)
    .bind(job.bytes.len() as i64)
    .bind(status)
    .bind(job.actor)
    .execute(conn)
    .await?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn finish_run(
    conn: &mut PgConnection,
    id: Uuid,
    status: &str,
    read: usize,
    (applied, unchanged, queued, rejected): &(i32, i32, i32, i32),
    problems: &[Problem],
    duration_ms: i32,
) -> sqlx::Result<Run> {
    sqlx::query_as(&format!(
        "UPDATE price_feed_runs SET status = $2, rows_read = $3, rows_applied = $4, rows_unchanged = $5,
                rows_queued = $6, rows_rejected = $7, problems = $8, duration_ms = $9
         WHERE id = $1 RETURNING {RUN_COLUMNS}"
    ))
    .bind(id)
    .bind(status)
    .bind(i32::try_from(read).unwrap_or(i32::MAX))
    .bind(applied)
    .bind(unchanged)
    .bind(queued)
    .bind(rejected)
    .bind(serde_json::to_value(problems).unwrap_or_default())
    .bind(duration_ms)
    .fetch_one(conn)
    .await
}

#[derive(sqlx::FromRow)]
struct CandidateRow {
    package_id: Uuid,
    gtin: Option<String>,
    brand: String,
    names: Vec<String>,
    size: Decimal,
    size_unit: String,
}

/// Every package as a match candidate, and the store's SKU map.
async fn catalogue(conn: &mut PgConnection, store: Uuid) -> sqlx::Result<Catalogue> {
    let rows: Vec<CandidateRow> = sqlx::query_as(
        "SELECT pk.id AS package_id, pk.gtin, b.name AS brand, pk.size, pk.size_unit,
                array(SELECT t.name FROM product_translations t WHERE t.product_id = p.id ORDER BY t.locale) AS names
         FROM product_packages pk JOIN products p ON p.id = pk.product_id JOIN brands b ON b.id = p.brand_id",
    )
    .fetch_all(&mut *conn)
    .await?;
    let skus: Vec<(String, Uuid)> =
        sqlx::query_as("SELECT sku, package_id FROM store_skus WHERE store_id = $1")
            .bind(store)
            .fetch_all(&mut *conn)
            .await?;
    let candidates = rows
        .into_iter()
        .filter_map(|r| {
            Some(Candidate {
                package_id: r.package_id,
                gtin: r.gtin,
                brand: r.brand,
                names: r.names,
                size: Size {
                    amount: r.size,
                    unit: SizeUnit::parse(&r.size_unit)?,
                },
            })
        })
        .collect();
    Ok(Catalogue::new(candidates, skus.into_iter().collect()))
}

/// A price as stored: what a feed row would change.
#[derive(Debug, Clone, Copy, PartialEq, sqlx::FromRow)]
struct Current {
    package_id: Uuid,
    price: Decimal,
    discount_price: Option<Decimal>,
    in_stock: bool,
}

async fn apply(
    conn: &mut PgConnection,
    job: &Import<'_>,
    run: Uuid,
    rows: &[FeedRow],
    tally: &mut Tally,
) -> sqlx::Result<()> {
    let catalogue = catalogue(conn, job.store).await?;
    let current: HashMap<Uuid, Current> = sqlx::query_as::<_, Current>(
        "SELECT package_id, price, discount_price, in_stock FROM prices WHERE store_id = $1",
    )
    .bind(job.store)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|c| (c.package_id, c))
    .collect();

    // The last row for a package wins, as in the file.
    let mut updates: HashMap<Uuid, &FeedRow> = HashMap::new();
    let mut unchanged: Vec<Uuid> = Vec::new();
    for row in rows {
        let (package, confidence) = match feed::match_row(&catalogue, row, job.threshold) {
            Match::Gtin(p) | Match::Sku(p) => (p, 1.0),
            Match::Fuzzy {
                package,
                confidence,
            } => (package, confidence),
            Match::Unmatched { best } => {
                // A guess under one half is no guess at all.
                let best = best.filter(|b| b.1 >= 0.5);
                let reason = if best.is_some() {
                    "low_confidence"
                } else {
                    "no_match"
                };
                queue(conn, job.store, run, row, reason, best).await?;
                tally.queued += 1;
                continue;
            }
        };
        let before = current.get(&package);
        if let Some(before) = before {
            if feed::is_price_jump(before.price, row.price) {
                queue(
                    conn,
                    job.store,
                    run,
                    row,
                    "price_jump",
                    Some((package, confidence)),
                )
                .await?;
                tally.queued += 1;
                continue;
            }
        }
        let same = before.is_some_and(|b| {
            (b.price, b.discount_price, b.in_stock) == (row.price, row.discount_price, row.in_stock)
        });
        if same {
            unchanged.push(package);
            tally.unchanged += 1;
        } else {
            updates.insert(package, row);
            tally.applied += 1;
        }
    }
    // A price seen again is still current: it was checked now.
    sqlx::query(
        "UPDATE prices SET observed_at = now() WHERE store_id = $1 AND package_id = ANY($2)",
    )
    .bind(job.store)
    .bind(&unchanged)
    .execute(&mut *conn)
    .await?;
    let (packages, rows): (Vec<Uuid>, Vec<&FeedRow>) = updates.into_iter().unzip();
    sqlx::query(
        "INSERT INTO prices (store_id, package_id, price, discount_price, in_stock, source, observed_at)
         SELECT $1, u.package_id, u.price, u.discount_price, u.in_stock, 'feed', now()
         FROM UNNEST($2::uuid[], $3::numeric[], $4::numeric[], $5::bool[]) AS u (package_id, price, discount_price, in_stock)
         ON CONFLICT (store_id, package_id) DO UPDATE SET
             price = EXCLUDED.price, discount_price = EXCLUDED.discount_price, in_stock = EXCLUDED.in_stock,
             discount_starts_at = NULL, discount_ends_at = NULL, source = 'feed', observed_at = now()",
    )
    .bind(job.store)
    .bind(&packages)
    .bind(rows.iter().map(|r| r.price).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.discount_price).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.in_stock).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Queues a row for review; a pending item for the same article is refreshed instead.
async fn queue(
    conn: &mut PgConnection,
    store: Uuid,
    run: Uuid,
    row: &FeedRow,
    reason: &str,
    best: Option<(Uuid, f64)>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO price_review_items (store_id, run_id, line, match_key, reason, sku, gtin, brand, name, size,
                                         price, discount_price, in_stock, candidate_package_id, confidence)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
         ON CONFLICT (store_id, match_key) WHERE status = 'pending' DO UPDATE SET
             run_id = EXCLUDED.run_id, line = EXCLUDED.line, reason = EXCLUDED.reason, gtin = EXCLUDED.gtin,
             brand = EXCLUDED.brand, name = EXCLUDED.name, size = EXCLUDED.size, price = EXCLUDED.price,
             discount_price = EXCLUDED.discount_price, in_stock = EXCLUDED.in_stock,
             candidate_package_id = EXCLUDED.candidate_package_id, confidence = EXCLUDED.confidence",
    )
    .bind(store)
    .bind(run)
    .bind(row.line as i32)
    .bind(row.match_key())
    .bind(reason)
    .bind(&row.sku)
    .bind(row.gtin.as_ref().map(|g| g.as_str()))
    .bind(&row.brand)
    .bind(&row.name)
    .bind(&row.size_text)
    .bind(row.price)
    .bind(row.discount_price)
    .bind(row.in_stock)
    .bind(best.map(|b| b.0))
    .bind(best.map(|b| b.1.clamp(0.0, 1.0) as f32))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn runs(pool: &PgPool, store: Option<Uuid>, limit: i64) -> sqlx::Result<Vec<Run>> {
    sqlx::query_as(&format!(
        "SELECT {RUN_COLUMNS} FROM price_feed_runs WHERE $1::uuid IS NULL OR store_id = $1
         ORDER BY started_at DESC, id DESC LIMIT $2"
    ))
    .bind(store)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// A fed row waiting for (or after) an admin's decision.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReviewItem {
    pub id: Uuid,
    pub store_id: Uuid,
    pub store_slug: String,
    pub run_id: Option<Uuid>,
    pub line: i32,
    pub reason: String,
    pub sku: Option<String>,
    pub gtin: Option<String>,
    pub brand: Option<String>,
    pub name: String,
    pub size: Option<String>,
    pub price: Decimal,
    pub discount_price: Option<Decimal>,
    pub in_stock: bool,
    pub candidate_package_id: Option<Uuid>,
    pub confidence: Option<f32>,
    pub status: String,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

const REVIEW_SELECT: &str = "SELECT r.id, r.store_id, s.slug AS store_slug, r.run_id, r.line, r.reason, r.sku, r.gtin,
        r.brand, r.name, r.size, r.price, r.discount_price, r.in_stock, r.candidate_package_id, r.confidence,
        r.status, r.decided_by, r.decided_at, r.created_at, r.updated_at
     FROM price_review_items r JOIN stores s ON s.id = r.store_id";

pub async fn review_items(
    pool: &PgPool,
    status: &str,
    store: Option<Uuid>,
    limit: i64,
) -> sqlx::Result<Vec<ReviewItem>> {
    sqlx::query_as(&format!(
        "{REVIEW_SELECT} WHERE r.status = $1 AND ($2::uuid IS NULL OR r.store_id = $2)
         ORDER BY r.created_at, r.id LIMIT $3"
    ))
    .bind(status)
    .bind(store)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// The outcome of a decision.
#[derive(Debug)]
pub enum Decision {
    Done(Box<ReviewItem>),
    NotFound,
    AlreadyDecided(String),
    UnknownPackage,
    /// The store already maps this SKU to another package.
    SkuTaken(Uuid),
}

/// Approves a pending item as `package`: its price applies (source `feed`), and its SKU is remembered
/// as the store's, so the next import matches it directly.
pub async fn approve(
    conn: &mut PgConnection,
    id: Uuid,
    package: Uuid,
    admin: Uuid,
) -> sqlx::Result<Decision> {
    let Some(item) = lock_item(conn, id).await? else {
        return Ok(Decision::NotFound);
    };
    if item.status != "pending" {
        return Ok(Decision::AlreadyDecided(item.status));
    }
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM product_packages WHERE id = $1)")
            .bind(package)
            .fetch_one(&mut *conn)
            .await?;
    if !exists {
        return Ok(Decision::UnknownPackage);
    }
    if let Some(sku) = &item.sku {
        let mapped: Uuid = sqlx::query_scalar(
            "INSERT INTO store_skus (store_id, sku, package_id, created_by) VALUES ($1, $2, $3, $4)
             ON CONFLICT (store_id, sku) DO UPDATE SET store_id = EXCLUDED.store_id RETURNING package_id",
        )
        .bind(item.store_id)
        .bind(sku)
        .bind(package)
        .bind(admin)
        .fetch_one(&mut *conn)
        .await?;
        if mapped != package {
            return Ok(Decision::SkuTaken(mapped));
        }
    }
    sqlx::query(
        "INSERT INTO prices (store_id, package_id, price, discount_price, in_stock, source, observed_at)
         VALUES ($1, $2, $3, $4, $5, 'feed', now())
         ON CONFLICT (store_id, package_id) DO UPDATE SET
             price = EXCLUDED.price, discount_price = EXCLUDED.discount_price, in_stock = EXCLUDED.in_stock,
             discount_starts_at = NULL, discount_ends_at = NULL, source = 'feed', observed_at = now()",
    )
    .bind(item.store_id)
    .bind(package)
    .bind(item.price)
    .bind(item.discount_price)
    .bind(item.in_stock)
    .execute(&mut *conn)
    .await?;
    decide(conn, id, "approved", Some(package), admin).await
}

pub async fn reject(conn: &mut PgConnection, id: Uuid, admin: Uuid) -> sqlx::Result<Decision> {
    let Some(item) = lock_item(conn, id).await? else {
        return Ok(Decision::NotFound);
    };
    if item.status != "pending" {
        return Ok(Decision::AlreadyDecided(item.status));
    }
    decide(conn, id, "rejected", None, admin).await
}

async fn lock_item(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<ReviewItem>> {
    sqlx::query_as(&format!("{REVIEW_SELECT} WHERE r.id = $1 FOR UPDATE OF r"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

async fn decide(
    conn: &mut PgConnection,
    id: Uuid,
    status: &str,
    package: Option<Uuid>,
    admin: Uuid,
) -> sqlx::Result<Decision> {
    sqlx::query(
        "UPDATE price_review_items SET status = $2, candidate_package_id = coalesce($3, candidate_package_id),
                decided_by = $4, decided_at = now()
         WHERE id = $1",
    )
    .bind(id)
    .bind(status)
    .bind(package)
    .bind(admin)
    .execute(&mut *conn)
    .await?;
    let item = lock_item(conn, id).await?.ok_or(sqlx::Error::RowNotFound)?;
    Ok(Decision::Done(Box::new(item)))
}

/// Stores whose price list is fetched on the schedule.
pub async fn stores_with_feeds(pool: &PgPool) -> sqlx::Result<Vec<(Uuid, String, String)>> {
    sqlx::query_as("SELECT id, slug, feed_url FROM stores WHERE is_active AND feed_url IS NOT NULL ORDER BY slug")
        .fetch_all(pool)
        .await
}

pub async fn store_feed_url(pool: &PgPool, store: Uuid) -> sqlx::Result<Option<Option<String>>> {
    sqlx::query_scalar("SELECT feed_url FROM stores WHERE id = $1")
        .bind(store)
        .fetch_optional(pool)
        .await
}

/// Records a run that could not read its file at all (e.g. the fetch failed).
pub async fn record_failure(
    pool: &PgPool,
    store: Uuid,
    trigger: Trigger,
    actor: Option<Uuid>,
    message: &str,
) -> sqlx::Result<Run> {
    let problems = serde_json::json!([{ "line": 0, "field": "file", "message": message }]);
    sqlx::query_as(&format!(
        "INSERT INTO price_feed_runs (store_id, trigger, status, problems, actor_id)
         VALUES ($1, $2, 'failed', $3, $4) RETURNING {RUN_COLUMNS}"
    ))
    .bind(store)
    .bind(trigger.as_str())
    .bind(problems)
    .bind(actor)
    .fetch_one(pool)
    .await
}
