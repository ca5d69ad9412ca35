//! The appliance faced by hostile clients, on the real binary: planners that stop at their budget
//! and when the client leaves, limits keyed by verified identity, bodies limited per operation and
//! in time, feeds that never reach internal networks, restores that revive nothing revoked, proxies,
//! a sign-in lockout that cannot be aimed at the owner, private backup files, and the last admin.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sports_nutrition::db::seed;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use uuid::Uuid;

use crate::helpers::{Node, PASSWORD, problem_fields};

/// A health profile, so that plans have an athlete behind them.
async fn athlete(node: &Node, email: &str) -> String {
    let token = node.register(email).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let profile = node
        .send(
            Method::PUT,
            "/api/v1/health-profile",
            Some(&token),
            &json!({
                "birth_date": "1996-04-12", "sex": "female", "weight_kg": 60, "height_cm": 170,
                "activity_level": "moderate", "sport": "endurance", "training_hours_per_week": 6,
                "goal": "maintain"
            }),
        )
        .await;
    assert!(profile.status().is_success(), "{}", profile.status());
    token
}

async fn product(node: &Node, slug: &str) -> Uuid {
    sqlx::query_scalar("SELECT id FROM products WHERE slug = $1")
        .bind(slug)
        .fetch_one(&node.pool)
        .await
        .unwrap()
}

async fn store(node: &Node, slug: &str) -> Uuid {
    sqlx::query_scalar("SELECT id FROM stores WHERE slug = $1")
        .bind(slug)
        .fetch_one(&node.pool)
        .await
        .unwrap()
}

/// The whey in three package sizes at one store whose minimum order is so high that every mix of
/// sizes up to it is a way to buy: without a budget the search would walk them for minutes.
async fn a_hard_store(node: &Node) -> Uuid {
    seed::run(&node.pool, false).await.unwrap();
    let whey = product(node, "on-gold-standard-100-whey").await;
    let strong = store(node, "strong-shop").await;
    let package: Uuid = sqlx::query_scalar(
        "INSERT INTO product_packages (id, product_id, size, size_unit, servings)
         VALUES ($1, $2, 4540, 'g', 151.33) RETURNING id",
    )
    .bind(Uuid::now_v7())
    .bind(whey)
    .fetch_one(&node.pool)
    .await
    .unwrap();
    sqlx::query("INSERT INTO prices (store_id, package_id, price) VALUES ($1, $2, 24999)")
        .bind(strong)
        .bind(package)
        .execute(&node.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE stores SET min_order = 100000000 WHERE id = $1")
        .bind(strong)
        .execute(&node.pool)
        .await
        .unwrap();
    whey
}

fn year_of(whey: Uuid, servings: u32) -> Value {
    json!({
        "items": [{ "product_id": whey, "servings_per_day": servings }],
        "days": 366,
        "stores": ["strong-shop"],
    })
}

#[tokio::test]
async fn an_athlete_cannot_occupy_the_server() {
    // Solves may take far longer here than by default, to see them stop when their client leaves.
    let node = Node::start(&[
        ("SN_LIMITS__SOLVE_TIME_MS", "60000"),
        ("SN_LIMITS__SOLVE_STEPS", "1000000000000"),
        ("SN_RATE_LIMIT__ENABLED", "false"),
    ])
    .await;
    let whey = a_hard_store(&node).await;
    let token = athlete(&node, "hostile@klub.rs").await;
    let plan = |body: Value, timeout: Duration| {
        node.client
            .post(node.url("/api/v1/shopping-plan"))
            .bearer_auth(&token)
            .timeout(timeout)
            .json(&body)
            .send()
    };

    // What a hostile client once sent is refused at once, naming the field.
    let refused = plan(year_of(whey, 100_000), Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(problem_fields(&problem), ["items[0].servings_per_day"]);

    // The most the caps allow, asked by eight clients that hang up after half a second.
    let body = year_of(whey, 20).to_string();
    let head = format!(
        "POST /api/v1/shopping-plan HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {token}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let address = node.base.trim_start_matches("http://").to_owned();
    let hang_up = |head: String| {
        let address = address.clone();
        async move {
            let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
            stream.write_all(head.as_bytes()).await.unwrap();
            let mut answer = [0u8; 64];
            let read =
                tokio::time::timeout(Duration::from_millis(500), stream.read(&mut answer)).await;
            assert!(read.is_err(), "no answer within half a second");
        }
    };
    futures_util::future::join_all((0..8).map(|_| hang_up(head.clone()))).await;
    // Their solves stop with them: a second later the node is idle.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let settled = node.cpu_seconds();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let busy = node.cpu_seconds() - settled;
    assert!(
        busy < 0.2,
        "{busy:.2} s of CPU in the second after the clients left"
    );

    // Sign-ins do not wait behind plans (which may run a minute here): they hash on a pool of their own.
    let running = plan(year_of(whey, 20), Duration::from_secs(12));
    let signing_in = async {
        let started = Instant::now();
        let response = node.login("hostile@klub.rs", PASSWORD, None).await;
        (response.status(), started.elapsed())
    };
    let (abandoned, (status, took)) = tokio::join!(running, signing_in);
    assert!(abandoned.is_err(), "the plan is still being searched");
    assert_eq!(status, 200);
    assert!(took < Duration::from_secs(8), "sign-in took {took:?}");

    // With the default budget, the same request ends in time: with the best plan found, or, where
    // the machine finds none within the budget (a debug build on a slow one), 422 naming the limit,
    // as limits.solve_time_ms says.
    let node = Node::start(&[("SN_RATE_LIMIT__ENABLED", "false")]).await;
    let whey = a_hard_store(&node).await;
    let token = athlete(&node, "hostile@klub.rs").await;
    let before = node.cpu_seconds();
    let response = node
        .send(
            Method::POST,
            "/api/v1/shopping-plan",
            Some(&token),
            &year_of(whey, 20),
        )
        .await;
    let status = response.status().as_u16();
    let answered: Value = response.json().await.unwrap();
    let spent = node.cpu_seconds() - before;
    match status {
        200 => {
            assert_eq!(answered["optimal"], false, "{answered}");
            assert!(answered["total"].is_string(), "{answered}");
        }
        422 => {
            let limit = &answered["errors"][0];
            assert_eq!(limit["field"], "items", "{answered}");
            assert!(
                limit["message"].as_str().unwrap().contains("800 ms"),
                "{answered}"
            );
        }
        _ => panic!("{status} {answered}"),
    }
    assert!(spent < 1.5, "{spent:.2} s of CPU for one plan");
}

#[tokio::test]
async fn limits_follow_the_verified_identity_not_the_header() {
    let node = Node::start(&[
        ("SN_RATE_LIMIT__PUBLIC_REQUESTS", "5"),
        ("SN_RATE_LIMIT__ACCOUNT_REQUESTS", "12"),
        ("SN_RATE_LIMIT__EXPENSIVE_REQUESTS", "2"),
        ("SN_RATE_LIMIT__AUTH_ATTEMPTS_PER_IP", "50"),
    ])
    .await;
    let products = |token: Option<&str>| {
        let request = node.client.get(node.url("/api/v1/products"));
        match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
        .send()
    };
    // Registration counts against the address too: one request of the five.
    let token = node.register("ana@klub.rs").await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    // A made-up token is no one: the address's public budget runs out as without it.
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(products(Some("x")).await.unwrap().status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 200, 200, 429], "{statuses:?}");
    let limited = products(None).await.unwrap();
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("retry-after"));

    // A signed-in athlete has a budget of their own, whatever the address has left.
    let mut statuses = Vec::new();
    for _ in 0..13 {
        statuses.push(products(Some(&token)).await.unwrap().status().as_u16());
    }
    assert_eq!(statuses[..12], [200; 12], "{statuses:?}");
    assert_eq!(statuses[12], 429);

    // Expensive operations have a tighter one.
    let node = Node::start(&[
        ("SN_RATE_LIMIT__EXPENSIVE_REQUESTS", "2"),
        ("SN_RATE_LIMIT__ACCOUNT_REQUESTS", "100"),
    ])
    .await;
    let token = athlete(&node, "ana@klub.rs").await;
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(
            node.send(
                Method::GET,
                "/api/v1/recommendations",
                Some(&token),
                &Value::Null,
            )
            .await
            .status()
            .as_u16(),
        );
    }
    assert_eq!(statuses[2], 429, "{statuses:?}");
    // Cheap reads go on.
    let profile = node
        .send(Method::GET, "/api/v1/profile", Some(&token), &Value::Null)
        .await;
    assert_eq!(profile.status(), 200);
}

/// Sends `head` and then `body` slowly, and returns the status line the node answered with.
async fn raw_request(node: &Node, head: &str, body: &[u8], pause: Duration) -> String {
    let address = node.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    for chunk in body.chunks(16) {
        if stream.write_all(chunk).await.is_err() {
            break;
        }
        tokio::time::sleep(pause).await;
    }
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(20), stream.read(&mut answer))
        .await
        .expect("an answer")
        .unwrap_or(0);
    String::from_utf8_lossy(&answer[..n])
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn bodies_are_limited_per_operation_and_in_time() {
    let node = Node::start(&[
        ("SN_SERVER__BODY_READ_TIMEOUT_SECS", "1"),
        ("SN_SERVER__MAX_CONCURRENT_REQUESTS", "2"),
        ("SN_RATE_LIMIT__ENABLED", "false"),
    ])
    .await;
    seed::run(&node.pool, false).await.unwrap();
    let strong = store(&node, "strong-shop").await;
    let upload = format!("/api/v1/admin/stores/{strong}/price-feed");
    let athlete = node.register("ana@klub.rs").await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let admin = node.user_with_role("admin@klub.rs", "admin").await["token"]
        .as_str()
        .unwrap()
        .to_owned();

    // A path that is no operation is answered without its body being read.
    let started = Instant::now();
    let status = raw_request(
        &node,
        "POST /api/v1/anything/price-feed HTTP/1.1\r\nhost: x\r\ncontent-length: 20000000\r\n\r\n",
        b"",
        Duration::ZERO,
    )
    .await;
    assert!(status.contains(" 404 "), "{status}");
    assert!(started.elapsed() < Duration::from_secs(1));

    // Without a valid token a body is a sign-in's size; with one, a form's; the price list upload
    // takes a file, from an admin only.
    let big = |bytes: usize| "x".repeat(bytes);
    // A connection a refused body was not read from is closed: no request may reuse it.
    let unpooled = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let sign_in = unpooled
        .post(node.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body(big(20 * 1024))
        .send()
        .await
        .unwrap();
    assert_eq!(sign_in.status(), 413);
    let list = format!("name,price\n{}", "Whey,1000\n".repeat(200_000));
    assert!(list.len() > 1024 * 1024);
    let as_athlete = unpooled
        .post(node.url(&upload))
        .bearer_auth(&athlete)
        .header("content-type", "text/csv")
        .body(list.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(as_athlete.status(), 413);
    let as_admin = unpooled
        .post(node.url(&format!("{upload}?dry_run=true")))
        .bearer_auth(&admin)
        .header("content-type", "text/csv")
        .body(list)
        .send()
        .await
        .unwrap();
    assert_ne!(
        as_admin.status(),
        413,
        "an admin uploads a list above 1 MiB"
    );

    // Slow uploads: 408 once the read timeout passes, and their permits go with them.
    let head = "PUT /api/v1/health-profile HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
                content-length: 4096\r\n\r\n";
    let slow = |_| raw_request(&node, head, &[b' '; 4096], Duration::from_millis(200));
    let started = Instant::now();
    let (a, b) = tokio::join!(slow(0), slow(1));
    assert!(a.contains(" 408 ") && b.contains(" 408 "), "{a} / {b}");
    assert!(started.elapsed() < Duration::from_secs(5));
    let products = node
        .send(Method::GET, "/api/v1/products", None, &Value::Null)
        .await;
    assert_eq!(products.status(), 200, "the slow uploads hold no permit");
}

/// A listener on `address` that counts the connections it accepts (and answers none).
async fn counting_listener(address: &str) -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind((address, 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            drop(stream);
        }
    });
    (port, count)
}

/// Fetches the store's feed now; the run's problem (the fetch fails in every case here).
async fn fetch_fails(node: &Node, admin: &str, store: Uuid, url: &str) -> String {
    sqlx::query("UPDATE stores SET feed_url = $2 WHERE id = $1")
        .bind(store)
        .bind(url)
        .execute(&node.pool)
        .await
        .unwrap();
    let response = node
        .send(
            Method::POST,
            &format!("/api/v1/admin/stores/{store}/price-feed/fetch"),
            Some(admin),
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), 422);
    response.text().await.unwrap()
}

#[tokio::test]
async fn price_feeds_never_reach_internal_addresses() {
    let (port, connections) = counting_listener("127.0.0.1").await;
    let node = Node::start(&[]).await;
    seed::run(&node.pool, false).await.unwrap();
    let strong = store(&node, "strong-shop").await;
    let admin = node.user_with_role("admin@klub.rs", "admin").await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    for url in [
        format!("http://127.0.0.1:{port}/feed.csv"),
        format!("http://localhost:{port}/feed.csv"),
        format!("http://[::ffff:127.0.0.1]:{port}/feed.csv"),
    ] {
        let problem = fetch_fails(&node, &admin, strong, &url).await;
        assert!(problem.contains("internal network"), "{url}: {problem}");
    }
    assert_eq!(
        connections.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "the listener saw no request"
    );

    // A feed server the operator allowed may not redirect elsewhere inside.
    let (inner_port, inner) = counting_listener("127.0.0.2").await;
    let redirect = {
        use poem::{Route, Server, get, handler, listener::TcpAcceptor, web::Redirect};
        #[handler]
        fn moved(target: poem::web::Data<&String>) -> Redirect {
            Redirect::see_other(target.0.as_str())
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let target = format!("http://127.0.0.2:{inner_port}/feed.csv");
        let app = poem::EndpointExt::data(Route::new().at("/feed.csv", get(moved)), target);
        tokio::spawn(
            Server::new_with_acceptor(TcpAcceptor::from_tokio(listener).unwrap()).run(app),
        );
        format!("http://127.0.0.1:{port}/feed.csv")
    };
    let node = Node::start(&[("SN_FEEDS__ALLOW_PRIVATE_NETWORKS", "[\"127.0.0.1/32\"]")]).await;
    seed::run(&node.pool, false).await.unwrap();
    let strong = store(&node, "strong-shop").await;
    let admin = node.user_with_role("admin@klub.rs", "admin").await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let problem = fetch_fails(&node, &admin, strong, &redirect).await;
    assert!(problem.contains("internal network"), "{problem}");
    assert_eq!(inner.load(std::sync::atomic::Ordering::SeqCst), 0);
}

/// A page of the audit log.
async fn audit(node: &Node, admin: &str, action: &str) -> Vec<Value> {
    let page: Value = node
        .send(
            Method::GET,
            &format!("/api/v1/admin/audit?action={action}&limit=100"),
            Some(admin),
            &Value::Null,
        )
        .await
        .json()
        .await
        .unwrap();
    page["entries"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_restore_revives_nothing_that_was_revoked() {
    let node = Node::start(&[("SN_RATE_LIMIT__ENABLED", "false")]).await;
    let admin = node.user_with_role("admin@klub.rs", "admin").await;
    let admin_token = admin["token"].as_str().unwrap().to_owned();
    let athlete = node.register("ana@klub.rs").await;
    let refresh = |token: String| {
        node.client
            .post(node.url("/api/v1/auth/refresh"))
            .json(&json!({ "refresh_token": token }))
            .send()
    };
    let backup: Value = node
        .send(
            Method::POST,
            "/api/v1/admin/backups",
            Some(&admin_token),
            &json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(backup["status"], "ok", "{backup}");

    // After the backup, the athlete signs out: their refresh token is revoked.
    let athlete_refresh = athlete["refresh_token"].as_str().unwrap().to_owned();
    let signed_out = node
        .send(
            Method::POST,
            "/api/v1/auth/logout",
            Some(athlete["token"].as_str().unwrap()),
            &Value::Null,
        )
        .await;
    assert_eq!(signed_out.status(), 204);
    assert_eq!(
        refresh(athlete_refresh.clone()).await.unwrap().status(),
        401
    );

    // A restore needs the password entered again.
    let restore = |token: String| {
        node.client
            .post(node.url(&format!(
                "/api/v1/admin/backups/{}/restore",
                backup["id"].as_str().unwrap()
            )))
            .bearer_auth(token)
            .json(&json!({ "confirm": backup["file_name"] }))
            .send()
    };
    let refused = restore(admin_token.clone()).await.unwrap();
    assert_eq!(refused.status(), 403);
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(problem["detail_code"], "reauthentication_required");
    let wrong = node
        .send(
            Method::POST,
            "/api/v1/auth/reauthenticate",
            Some(&admin_token),
            &json!({ "password": "not the password at all" }),
        )
        .await;
    assert_eq!(wrong.status(), 422);
    assert_eq!(node.reauthenticate(&admin_token).await, 204);
    let restored = restore(admin_token.clone()).await.unwrap();
    assert_eq!(restored.status(), 200);
    let restored: Value = restored.json().await.unwrap();
    assert!(
        restored["sessions_ended"].as_u64().unwrap() >= 2,
        "{restored}"
    );

    // Nothing from before works: not the revoked refresh token, not the admin's own session.
    assert_eq!(refresh(athlete_refresh).await.unwrap().status(), 401);
    assert_eq!(
        refresh(admin["refresh_token"].as_str().unwrap().to_owned())
            .await
            .unwrap()
            .status(),
        401
    );
    let profile = node
        .send(
            Method::GET,
            "/api/v1/profile",
            Some(&admin_token),
            &Value::Null,
        )
        .await;
    assert_eq!(profile.status(), 401, "everyone signs in again");

    // The audit log kept what happened since the backup, and says who restored.
    let admin_token = node
        .login("admin@klub.rs", PASSWORD, None)
        .await
        .json::<Value>()
        .await
        .unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let reauthentications = audit(&node, &admin_token, "auth.reauthenticate").await;
    assert_eq!(
        reauthentications.len(),
        1,
        "carried over from before the restore"
    );
    let restores = audit(&node, &admin_token, "admin.backup_restore").await;
    assert_eq!(restores.len(), 1);
    assert_eq!(restores[0]["actor_id"], admin["user"]["id"]);
    assert!(restores[0]["details"]["sessions_ended"].as_u64().unwrap() >= 2);
}

#[tokio::test]
async fn behind_a_local_proxy_clients_are_told_apart() {
    // No trusted proxy: a request relayed by a proxy on this host is not "this host".
    let node = Node::start(&[]).await;
    let metrics = |forwarded: Option<&str>| {
        let request = node.client.get(node.url("/metrics"));
        match forwarded {
            Some(f) => request.header("x-forwarded-for", f),
            None => request,
        }
        .send()
    };
    assert_eq!(metrics(None).await.unwrap().status(), 200);
    assert_eq!(metrics(Some("203.0.113.5")).await.unwrap().status(), 403);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        node.log().contains("security.trusted_proxies"),
        "the node says which key to set:\n{}",
        node.log()
    );

    // With the proxy trusted, each client it relays has its own limits.
    let node = Node::start(&[
        ("SN_SECURITY__TRUSTED_PROXIES", "[\"127.0.0.1\"]"),
        ("SN_RATE_LIMIT__PUBLIC_REQUESTS", "3"),
    ])
    .await;
    let products = |from: &'static str| {
        node.client
            .get(node.url("/api/v1/products"))
            .header("x-forwarded-for", from)
            .send()
    };
    for _ in 0..3 {
        assert_eq!(products("203.0.113.1").await.unwrap().status(), 200);
    }
    assert_eq!(products("203.0.113.1").await.unwrap().status(), 429);
    assert_eq!(products("203.0.113.2").await.unwrap().status(), 200);
    let relayed = node
        .client
        .get(node.url("/metrics"))
        .header("x-forwarded-for", "203.0.113.1")
        .send()
        .await
        .unwrap();
    assert_eq!(relayed.status(), 403);
}

#[tokio::test]
async fn a_sign_in_lockout_cannot_be_aimed_at_the_owner() {
    let node = Node::start(&[
        ("SN_SECURITY__TRUSTED_PROXIES", "[\"127.0.0.1\"]"),
        ("SN_RATE_LIMIT__LOGIN_ATTEMPTS_PER_ACCOUNT", "5"),
    ])
    .await;
    node.user_with_role("admin@klub.rs", "admin").await;
    let attacker = "203.0.113.66";
    for _ in 0..5 {
        let guess = node
            .login("admin@klub.rs", "guessing the password", Some(attacker))
            .await;
        assert_eq!(guess.status(), 401);
    }
    let limited = node
        .login("admin@klub.rs", "guessing again and again", Some(attacker))
        .await;
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("retry-after"));
    // Even the right password waits at that address…
    let right_there = node.login("admin@klub.rs", PASSWORD, Some(attacker)).await;
    assert_eq!(right_there.status(), 429);
    // …but the owner, from an address of their own, signs in, and the count starts again.
    let owner = node
        .login("admin@klub.rs", PASSWORD, Some("198.51.100.20"))
        .await;
    assert_eq!(owner.status(), 200);
    let again = node
        .login("admin@klub.rs", "one more guess here", Some("192.0.2.44"))
        .await;
    assert_eq!(again.status(), 401);
}

#[tokio::test]
async fn backups_are_private_whatever_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let node = Node::start(&[]).await;
    let dir = node.data.path().join("backups");
    // A directory an older version (or a shell) left readable by others.
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg("umask 022; exec \"$0\" backup create")
        .arg(env!("CARGO_BIN_EXE_sports-nutrition"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SN_CONFIG", "/dev/null")
        .env("SN_DATABASE__URL", &node.db.url)
        .env("SN_STORAGE__DATA_DIR", node.data.path())
        .env("SN_LOG__LEVEL", "warn")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let mode =
        |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(
        files
            .iter()
            .any(|f| f.extension().is_some_and(|e| e == "dump")),
        "{files:?}"
    );
    for file in files {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
}

#[tokio::test]
async fn the_last_admin_stays_and_sessions_end_at_their_age() {
    let node = Node::start(&[("SN_RATE_LIMIT__ENABLED", "false")]).await;
    let ana = node.user_with_role("ana@klub.rs", "admin").await;
    let ana_token = ana["token"].as_str().unwrap().to_owned();
    // The only admin cannot erase their own account.
    let erase = node
        .send(
            Method::DELETE,
            "/api/v1/account",
            Some(&ana_token),
            &json!({ "password": PASSWORD }),
        )
        .await;
    assert_eq!(erase.status(), 409);
    let problem: Value = erase.json().await.unwrap();
    assert_eq!(problem_fields(&problem), ["account"]);

    // Two admins disabling each other at once: one of them stays.
    let ivan = node.user_with_role("ivan@klub.rs", "admin").await;
    let ivan_token = ivan["token"].as_str().unwrap().to_owned();
    let disable = |token: String, whom: &Value| {
        node.client
            .put(node.url(&format!(
                "/api/v1/admin/users/{}/disabled",
                whom["user"]["id"].as_str().unwrap()
            )))
            .bearer_auth(token)
            .json(&json!({ "disabled": true }))
            .send()
    };
    let without = disable(ana_token.clone(), &ivan).await.unwrap();
    assert_eq!(without.status(), 403, "a password entered again first");
    assert_eq!(node.reauthenticate(&ana_token).await, 204);
    assert_eq!(node.reauthenticate(&ivan_token).await, 204);
    let (a, b) = tokio::join!(
        disable(ana_token.clone(), &ivan),
        disable(ivan_token.clone(), &ana)
    );
    let statuses = [a.unwrap().status(), b.unwrap().status()];
    assert!(statuses.contains(&StatusCode::OK), "{statuses:?}");
    assert!(
        !statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    let active: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL",
    )
    .fetch_one(&node.pool)
    .await
    .unwrap();
    assert_eq!(active, 1);

    // A session refreshed every day still ends at its maximum age.
    let athlete = node.register("mila@klub.rs").await;
    sqlx::query("UPDATE sessions SET created_at = now() - interval '91 days' WHERE user_id = $1")
        .bind(Uuid::parse_str(athlete["user"]["id"].as_str().unwrap()).unwrap())
        .execute(&node.pool)
        .await
        .unwrap();
    let refreshed = node
        .send(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            &json!({ "refresh_token": athlete["refresh_token"] }),
        )
        .await;
    assert_eq!(refreshed.status(), 401, "past 90 days since sign-in");
}
