//! Progress entries: one row per athlete and day.

use sqlx::{PgExecutor, PgPool};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// A stored entry.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Entry {
    pub entry_date: Date,
    #[sqlx(flatten)]
    pub values: Values,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

const COLUMNS: &str = "entry_date, weight_kg::float8 AS weight_kg, body_fat_pct::float8 AS body_fat_pct,
     waist_cm::float8 AS waist_cm, sleep_hours::float8 AS sleep_hours, training_minutes, training_load,
     energy_kcal, protein_g::float8 AS protein_g, carbohydrate_g::float8 AS carbohydrate_g,
     fat_g::float8 AS fat_g, note, created_at, updated_at";

/// A day's values (the training load by its stored name).
#[derive(Debug, Clone, Default, PartialEq, sqlx::FromRow)]
pub struct Values {
    pub weight_kg: Option<f64>,
    pub body_fat_pct: Option<f64>,
    pub waist_cm: Option<f64>,
    pub sleep_hours: Option<f64>,
    pub training_minutes: Option<i32>,
    pub training_load: Option<String>,
    pub energy_kcal: Option<i32>,
    pub protein_g: Option<f64>,
    pub carbohydrate_g: Option<f64>,
    pub fat_g: Option<f64>,
    pub note: Option<String>,
}

/// Numerics are rounded to the column's scale in SQL, so what is returned is what is stored.
const INSERT: &str = "INSERT INTO progress_entries AS p
        (user_id, entry_date, weight_kg, body_fat_pct, waist_cm, sleep_hours, training_minutes, training_load,
         energy_kcal, protein_g, carbohydrate_g, fat_g, note)
     VALUES ($1, $2, round($3::numeric, 2), round($4::numeric, 1), round($5::numeric, 1), round($6::numeric, 1),
             $7, $8, $9, round($10::numeric, 1), round($11::numeric, 1), round($12::numeric, 1), $13)";

type Query<'q, O> = sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments>;

fn bind<'q, O>(q: Query<'q, O>, user: Uuid, date: Date, v: &'q Values) -> Query<'q, O> {
    q.bind(user)
        .bind(date)
        .bind(v.weight_kg)
        .bind(v.body_fat_pct)
        .bind(v.waist_cm)
        .bind(v.sleep_hours)
        .bind(v.training_minutes)
        .bind(&v.training_load)
        .bind(v.energy_kcal)
        .bind(v.protein_g)
        .bind(v.carbohydrate_g)
        .bind(v.fat_g)
        .bind(&v.note)
}

/// Creates the day's entry; `None` when the athlete already has one for that date.
pub async fn create(
    db: impl PgExecutor<'_>,
    user: Uuid,
    date: Date,
    v: &Values,
) -> sqlx::Result<Option<Entry>> {
    let sql = format!("{INSERT} ON CONFLICT (user_id, entry_date) DO NOTHING RETURNING {COLUMNS}");
    bind(sqlx::query_as(&sql), user, date, v)
        .fetch_optional(db)
        .await
}

/// Creates or replaces the day's entry; the flag says whether it was created.
pub async fn upsert(
    db: impl PgExecutor<'_>,
    user: Uuid,
    date: Date,
    v: &Values,
) -> sqlx::Result<(Entry, bool)> {
    // `xmax = 0` only on a freshly inserted row: how PostgreSQL tells an upsert's insert from its update.
    let sql = format!(
        "{INSERT} ON CONFLICT (user_id, entry_date) DO UPDATE SET
             weight_kg = EXCLUDED.weight_kg, body_fat_pct = EXCLUDED.body_fat_pct, waist_cm = EXCLUDED.waist_cm,
             sleep_hours = EXCLUDED.sleep_hours, training_minutes = EXCLUDED.training_minutes,
             training_load = EXCLUDED.training_load, energy_kcal = EXCLUDED.energy_kcal,
             protein_g = EXCLUDED.protein_g, carbohydrate_g = EXCLUDED.carbohydrate_g, fat_g = EXCLUDED.fat_g,
             note = EXCLUDED.note
         RETURNING {COLUMNS}, (xmax = 0) AS created"
    );
    let row: EntryCreated = bind(sqlx::query_as(&sql), user, date, v)
        .fetch_one(db)
        .await?;
    Ok((row.entry, row.created))
}

#[derive(sqlx::FromRow)]
struct EntryCreated {
    #[sqlx(flatten)]
    entry: Entry,
    created: bool,
}

pub async fn get(db: impl PgExecutor<'_>, user: Uuid, date: Date) -> sqlx::Result<Option<Entry>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM progress_entries WHERE user_id = $1 AND entry_date = $2"
    ))
    .bind(user)
    .bind(date)
    .fetch_optional(db)
    .await
}

/// Whether an entry was deleted.
pub async fn delete(db: impl PgExecutor<'_>, user: Uuid, date: Date) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM progress_entries WHERE user_id = $1 AND entry_date = $2")
        .bind(user)
        .bind(date)
        .execute(db)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Entries dated `from..=to` (either end open), oldest first, at most `limit`.
pub async fn list(
    pool: &PgPool,
    user: Uuid,
    from: Option<Date>,
    to: Option<Date>,
    limit: i64,
) -> sqlx::Result<Vec<Entry>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM progress_entries
         WHERE user_id = $1 AND ($2::date IS NULL OR entry_date >= $2) AND ($3::date IS NULL OR entry_date <= $3)
         ORDER BY entry_date LIMIT $4"
    ))
    .bind(user)
    .bind(from)
    .bind(to)
    .bind(limit)
    .fetch_all(pool)
    .await
}
