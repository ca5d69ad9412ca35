//! Upgrades and the way back, against the real PostgreSQL and `pg_dump`/`pg_restore`: the database
//! as the previous version left it (every migration but the newest), migrated after a verified
//! backup, which retention keeps and `rollback` restores.

use sports_nutrition::{
    db::{self, Database},
    ops::{backup::Backups, upgrade},
};
use sqlx::{PgPool, migrate::Migrator};

use crate::helpers::{TestDatabase, test_config};

/// Applies every migration of this repository but the newest; returns (that newest, the one before).
async fn previous_version(pool: &PgPool) -> (i64, i64) {
    let dir = tempfile::tempdir().unwrap();
    let mut files: Vec<_> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let version = |p: &std::path::Path| -> i64 {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        name.split('_').next().unwrap().parse().unwrap()
    };
    let newest = files.pop().unwrap();
    for file in &files {
        std::fs::copy(file, dir.path().join(file.file_name().unwrap())).unwrap();
    }
    Migrator::new(dir.path())
        .await
        .unwrap()
        .run(pool)
        .await
        .unwrap();
    (version(&newest), version(files.last().unwrap()))
}

async fn emails(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar("SELECT email FROM users ORDER BY email")
        .fetch_all(pool)
        .await
        .unwrap()
}

async fn add_user(pool: &PgPool, email: &str) {
    sqlx::query(
        "INSERT INTO users (email, password_hash, role, language) VALUES ($1, 'x', 'athlete', 'en')",
    )
    .bind(email)
    .execute(pool)
    .await
    .unwrap();
}

#[tokio::test]
async fn an_upgrade_backs_up_first_and_rollback_brings_the_data_of_before_it_back() {
    let test_db = TestDatabase::create().await;
    let mut config = test_config(&test_db);
    // A policy that lets every backup but the newest go: only the way back outlives it.
    config.backup.keep_days = 0;
    config.backup.keep_last = 1;
    config.backup.keep_weekly_weeks = 0;
    let database = Database::open(&config).await.unwrap();
    let (newest, previous) = previous_version(&database.pool).await;
    add_user(&database.pool, "ana@klub.rs").await;

    let migrated = upgrade::migrate(&config, &database).await.unwrap();
    assert_eq!(migrated.applied, [newest]);
    let before = migrated.backup.expect("a backup before migrating");
    assert_eq!(
        (
            before.trigger.as_str(),
            before.status.as_str(),
            before.verify_ok,
            before.schema_version
        ),
        ("safety", "ok", Some(true), Some(previous))
    );
    assert_eq!(
        db::schema_version(&database.pool).await.unwrap(),
        Some(newest)
    );
    // Nothing pending: no backup.
    let again = upgrade::migrate(&config, &database).await.unwrap();
    assert!(again.applied.is_empty() && again.backup.is_none());

    // The new version writes, and takes its own backups; retention keeps the way back.
    add_user(&database.pool, "marko@klub.rs").await;
    let backups = Backups::new(&config, &database).unwrap();
    for _ in 0..2 {
        let b = backups
            .create(sports_nutrition::ops::backup::Trigger::Cli)
            .await
            .unwrap();
        assert_eq!(b.status, "ok");
    }
    let kept: Vec<_> = backups.list().await.unwrap().iter().map(|b| b.id).collect();
    assert_eq!(kept.len(), 2, "the newest and the way back: {kept:?}");
    assert!(kept.contains(&before.id));

    let plan = upgrade::plan(&config, &database).await.unwrap();
    assert_eq!((plan.backup.id, plan.current), (before.id, newest));
    let restored = plan.run().await.unwrap();
    assert_eq!(restored.safety.schema_version, Some(newest));
    database.close().await;

    // The data as it was before the upgrade, at the previous schema.
    let pool = PgPool::connect(&test_db.url).await.unwrap();
    assert_eq!(emails(&pool).await, ["ana@klub.rs"]);
    assert_eq!(db::schema_version(&pool).await.unwrap(), Some(previous));
    // The replaced database is kept under another name; this test drops it.
    let kept: Vec<String> = sqlx::query_scalar(
        "SELECT datname FROM pg_database WHERE datname LIKE $1 || '\\_before\\_%'",
    )
    .bind(&test_db.name)
    .fetch_all(&pool)
    .await
    .unwrap();
    for name in kept {
        sqlx::query(&format!(r#"DROP DATABASE "{name}" WITH (FORCE)"#))
            .execute(&pool)
            .await
            .unwrap();
    }
    pool.close().await;
}

#[tokio::test]
async fn a_fresh_database_is_migrated_without_a_backup_and_has_nothing_to_roll_back_to() {
    let test_db = TestDatabase::create().await;
    let config = test_config(&test_db);
    let database = Database::open(&config).await.unwrap();
    let migrated = upgrade::migrate(&config, &database).await.unwrap();
    assert!(migrated.backup.is_none());
    assert!(!migrated.applied.is_empty());
    let Err(nothing) = upgrade::plan(&config, &database).await else {
        panic!("a rollback plan without an earlier schema");
    };
    assert!(
        nothing.to_string().contains("nothing to roll back to"),
        "{nothing}"
    );
    database.close().await;
}
