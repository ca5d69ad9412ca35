use sports_nutrition::db::{self, seed};

use crate::helpers::TestDatabase;

#[tokio::test]
async fn seeding_loads_reference_data_once_and_changes_nothing_the_second_time() {
    let database = TestDatabase::create().await;
    let pool = sqlx::PgPool::connect(&database.url).await.unwrap();
    db::migrate(&pool).await.unwrap();

    let first = seed::run(&pool, false).await.unwrap();
    assert!(first.applied);
    assert_eq!(first.dishes_inserted, 59);
    assert_eq!(first.products_inserted, 47);
    assert_eq!(first.demo_prices_inserted, 276);
    let count = |table: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(&format!("SELECT count(*) FROM {table}"))
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(count("ingredients").await, 8789);
    assert_eq!(count("food_portions").await, 15438);
    assert_eq!(count("dishes").await, 59);
    assert_eq!(count("dish_ingredients").await, 379);
    assert_eq!(count("substances").await, 37);
    assert_eq!(count("product_packages").await, 84);
    // Every contraindication rule with its explanation in all seven languages.
    assert_eq!(count("contraindication_rules").await, 67);
    assert_eq!(count("substance_life_stages").await, 59);
    assert_eq!(count("contraindication_rule_translations").await, 7 * 67);
    // Every seeded product has a name and a description in all seven languages, and at least one
    // substance.
    assert_eq!(count("product_translations").await, 7 * 47);
    let undescribed: Vec<String> = sqlx::query_scalar(
        "SELECT p.slug || ' ' || l.code FROM products p CROSS JOIN locales l
         LEFT JOIN product_translations t ON t.product_id = p.id AND t.locale = l.code
         WHERE t.description IS NULL OR t.name IS NULL ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(undescribed.is_empty(), "{undescribed:?}");
    let without_substance: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM products p WHERE NOT EXISTS (SELECT 1 FROM product_substances s WHERE s.product_id = p.id)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(without_substance, 0);

    // Unknown stays unknown: butter has vitamin K in SR28, many foods do not.
    let unknown_k: i64 =
        sqlx::query_scalar("SELECT count(*) FROM ingredients WHERE vitamin_k_ug IS NULL")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(unknown_k > 0);
    let egg: (f64, String) = sqlx::query_as(
        "SELECT p.grams::float8, p.unit FROM food_portions p JOIN ingredients i ON i.id = p.ingredient_id
         WHERE i.usda_ndb_no = '01123' AND p.unit = 'large'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(egg, (50.0, "large".to_string()));

    let xmin_before: Vec<String> =
        sqlx::query_scalar("SELECT xmin::text FROM ingredients ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    let second = seed::run(&pool, false).await.unwrap();
    assert_eq!(
        (
            second.foods_written,
            second.portions_written,
            second.dishes_inserted,
            second.products_inserted,
            second.demo_prices_inserted
        ),
        (0, 0, 0, 0, 0),
        "{second:?}"
    );
    let xmin_after: Vec<String> =
        sqlx::query_scalar("SELECT xmin::text FROM ingredients ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(xmin_before, xmin_after, "no row was rewritten");

    // At start-up an unchanged data set is skipped entirely.
    assert!(!seed::run(&pool, true).await.unwrap().applied);

    // An admin's edit to a seeded dish survives a re-seed.
    sqlx::query("UPDATE dishes SET servings = 4 WHERE slug = 'pasulj'")
        .execute(&pool)
        .await
        .unwrap();
    seed::run(&pool, false).await.unwrap();
    let servings: i16 = sqlx::query_scalar("SELECT servings FROM dishes WHERE slug = 'pasulj'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(servings, 4);
    pool.close().await;
}
