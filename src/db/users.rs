//! Accounts: users, their password hashes, and what erasing or exporting an account touches.

use sqlx::{PgExecutor, PgPool, Postgres, Transaction};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::account::{Email, Role};

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub language: String,
    pub display_name: Option<String>,
    pub created_at: OffsetDateTime,
}

/// A user with the password hash, for sign-in only.
#[derive(Debug, sqlx::FromRow)]
pub struct Credentials {
    #[sqlx(flatten)]
    pub user: User,
    pub password_hash: String,
}

const COLUMNS: &str = "id, email, role, language, display_name, created_at";

/// Creates an account; `None` when the e-mail address is already registered.
pub async fn insert(
    db: impl PgExecutor<'_>,
    email: &Email,
    password_hash: &str,
    role: Role,
    language: &str,
) -> sqlx::Result<Option<User>> {
    sqlx::query_as(&format!(
        "INSERT INTO users (email, password_hash, role, language) VALUES ($1, $2, $3, $4)
         ON CONFLICT (email) DO NOTHING RETURNING {COLUMNS}"
    ))
    .bind(email.as_str())
    .bind(password_hash)
    .bind(role.as_str())
    .bind(language)
    .fetch_optional(db)
    .await
}

pub async fn by_id(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<User>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM users WHERE id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await
}

/// When the account was disabled; `None` while it is active (or does not exist).
pub async fn disabled_at(
    db: impl PgExecutor<'_>,
    id: Uuid,
) -> sqlx::Result<Option<OffsetDateTime>> {
    sqlx::query_scalar("SELECT disabled_at FROM users WHERE id = $1")
        .bind(id)
        .fetch_optional(db)
        .await
        .map(Option::flatten)
}

/// Disables or enables an account; `None` when there is no such user.
pub async fn set_disabled(
    db: impl PgExecutor<'_>,
    id: Uuid,
    disabled: bool,
) -> sqlx::Result<Option<Option<OffsetDateTime>>> {
    sqlx::query_scalar(
        "UPDATE users SET disabled_at = CASE WHEN $2 THEN coalesce(disabled_at, now()) END
         WHERE id = $1 RETURNING disabled_at",
    )
    .bind(id)
    .bind(disabled)
    .fetch_optional(db)
    .await
}

/// A user in an admin's list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Listed {
    #[sqlx(flatten)]
    pub user: User,
    pub disabled_at: Option<OffsetDateTime>,
}

/// Users whose e-mail address contains `text` (any case), of `role` if given, oldest first; and how
/// many match in all.
pub async fn search(
    pool: &PgPool,
    text: Option<&str>,
    role: Option<Role>,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<Listed>, i64)> {
    // LIKE's wildcards in the search text match themselves.
    let pattern = text.map(|t| {
        format!(
            "%{}%",
            t.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        )
    });
    let users: Vec<Listed> = sqlx::query_as(&format!(
        "SELECT {COLUMNS}, disabled_at FROM users
         WHERE ($1::text IS NULL OR email ILIKE $1) AND ($2::text IS NULL OR role = $2)
         ORDER BY created_at, id LIMIT $3 OFFSET $4"
    ))
    .bind(&pattern)
    .bind(role.map(|r| r.as_str()))
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?;
    let total: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM users
         WHERE ($1::text IS NULL OR email ILIKE $1) AND ($2::text IS NULL OR role = $2)",
    )
    .bind(&pattern)
    .bind(role.map(|r| r.as_str()))
    .fetch_one(pool)
    .await?;
    Ok((users, total))
}

pub async fn by_email(db: impl PgExecutor<'_>, email: &Email) -> sqlx::Result<Option<User>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM users WHERE email = $1"))
        .bind(email.as_str())
        .fetch_optional(db)
        .await
}

pub async fn credentials_by_email(
    db: impl PgExecutor<'_>,
    email: &Email,
) -> sqlx::Result<Option<Credentials>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS}, password_hash FROM users WHERE email = $1"
    ))
    .bind(email.as_str())
    .fetch_optional(db)
    .await
}

pub async fn credentials_by_id(
    db: impl PgExecutor<'_>,
    id: Uuid,
) -> sqlx::Result<Option<Credentials>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS}, password_hash FROM users WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(db)
    .await
}

/// Replaces the hash only if it is still `expected`, so two concurrent changes cannot both win.
pub async fn replace_password_hash(
    db: impl PgExecutor<'_>,
    id: Uuid,
    expected: &str,
    new_hash: &str,
) -> sqlx::Result<bool> {
    let done =
        sqlx::query("UPDATE users SET password_hash = $3 WHERE id = $1 AND password_hash = $2")
            .bind(id)
            .bind(expected)
            .bind(new_hash)
            .execute(db)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// The active (not disabled) admins, their rows locked until the transaction ends: two admins
/// demoting or disabling each other at once take turns, and the second sees the first's change.
pub async fn lock_active_admins(tx: &mut Transaction<'_, Postgres>) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "SELECT id FROM users WHERE role = 'admin' AND disabled_at IS NULL ORDER BY id FOR UPDATE",
    )
    .fetch_all(&mut **tx)
    .await
}

pub async fn set_role(db: impl PgExecutor<'_>, id: Uuid, role: Role) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE users SET role = $2 WHERE id = $1")
        .bind(id)
        .bind(role.as_str())
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Tables holding a user's personal data, with the column naming the user. Erasure deletes the
/// user row (these cascade); export reads each of them. A test checks the list against the schema.
pub const PERSONAL_TABLES: &[(&str, &str)] = &[
    ("users", "id"),
    ("health_profiles", "user_id"),
    ("health_profile_terms", "user_id"),
    ("nutrition_plans", "user_id"),
    ("progress_entries", "user_id"),
    ("meal_plans", "user_id"),
    ("shopping_lists", "user_id"),
    ("dish_preferences", "user_id"),
    ("meal_preferences", "user_id"),
    ("sessions", "user_id"),
    ("supplement_confirmations", "user_id"),
    ("supplement_confirmations", "confirmed_by"),
    ("supplement_confirmations", "revoked_by"),
    ("coach_grants", "athlete_id"),
    ("coach_grants", "coach_id"),
    ("audit_log", "actor_id"),
    // An admin's work: imports run, SKUs mapped, reviews decided (set to NULL on erasure).
    ("price_feed_runs", "actor_id"),
    ("store_skus", "created_by"),
    ("price_review_items", "decided_by"),
];

/// Saves the user's interface language (a code of `locales`).
pub async fn set_language(pool: &PgPool, id: Uuid, language: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET language = $2 WHERE id = $1")
        .bind(id)
        .bind(language)
        .execute(pool)
        .await?;
    Ok(())
}

/// Columns never exported: secrets and internal hashes.
const NOT_EXPORTED: &[&str] = &["password_hash"];

/// Every row of personal data about `id`, as JSON objects keyed by table (and column when a table
/// names the user in several columns). Meal plan items and refresh tokens are nested in their parents
/// or left out (token hashes are secrets).
pub async fn export(pool: &PgPool, id: Uuid) -> sqlx::Result<serde_json::Value> {
    let mut out = serde_json::Map::new();
    for (table, column) in PERSONAL_TABLES {
        let key = match *table {
            "coach_grants" if *column == "athlete_id" => "coaches_granted".to_string(),
            "coach_grants" => "athletes_granting".to_string(),
            "supplement_confirmations" if *column == "confirmed_by" => {
                "supplement_confirmations_given".to_string()
            }
            "supplement_confirmations" if *column == "revoked_by" => {
                "supplement_confirmations_revoked".to_string()
            }
            "audit_log" => "security_events".to_string(),
            t => t.to_string(),
        };
        // Table and column names come from the constant above, never from input.
        let rows: Vec<serde_json::Value> = sqlx::query_scalar(&format!(
            "SELECT to_jsonb(t) - $2::text[] FROM {table} t WHERE {column} = $1"
        ))
        .bind(id)
        .bind(NOT_EXPORTED)
        .fetch_all(pool)
        .await?;
        out.insert(key, serde_json::Value::Array(rows));
    }
    let items: Vec<serde_json::Value> = sqlx::query_scalar(
        "SELECT to_jsonb(i) FROM meal_plan_items i JOIN meal_plans p ON p.id = i.meal_plan_id
         WHERE p.user_id = $1 ORDER BY i.meal_plan_id, i.position",
    )
    .bind(id)
    .fetch_all(pool)
    .await?;
    out.insert("meal_plan_items".into(), serde_json::Value::Array(items));
    Ok(serde_json::Value::Object(out))
}

/// Erases an account: the user row and everything cascading from it, and the personal data in the
/// security events that must outlive it (they keep the action, time and outcome only).
pub async fn erase(
    tx: &mut Transaction<'_, Postgres>,
    id: Uuid,
    email: &str,
) -> sqlx::Result<bool> {
    // Only what identifies this user goes: an admin's address on an action about them stays, and
    // so does whom an erased admin acted on.
    sqlx::query(
        "UPDATE audit_log SET
             subject_id = CASE WHEN subject_id = $1 THEN NULL ELSE subject_id END,
             email      = CASE WHEN email = $2 THEN NULL ELSE email END,
             ip         = CASE WHEN actor_id = $1 OR actor_id IS NULL THEN NULL ELSE ip END,
             user_agent = CASE WHEN actor_id = $1 OR actor_id IS NULL THEN NULL ELSE user_agent END
         WHERE actor_id = $1 OR subject_id = $1 OR email = $2",
    )
    .bind(id)
    .bind(email)
    .execute(&mut **tx)
    .await?;
    let done = sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}
