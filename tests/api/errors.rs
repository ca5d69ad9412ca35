use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem};

#[tokio::test]
async fn unknown_routes_and_methods_are_problems() {
    let app = TestApp::spawn().await;
    let body = assert_problem(app.get("/api/v1/no-such-thing").await, 404).await;
    assert_eq!(body["type"], "/problems/not-found");
    let response = app
        .client
        .delete(app.url("/api/v1/health"))
        .send()
        .await
        .unwrap();
    assert_problem(response, 405).await;
    app.stop().await.unwrap();
}

#[tokio::test]
async fn oversized_bodies_are_rejected_with_413() {
    let app = TestApp::spawn_with(|c| c.server.body_limit_bytes = 4096).await;
    let big = vec![b'a'; 10_000];

    // Declared length over the limit.
    let response = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .body(big.clone())
        .send()
        .await
        .unwrap();
    assert_problem(response, 413).await;

    // Chunked upload with no Content-Length: cut off while reading.
    let stream = futures_stream(big.clone());
    let response = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    let body = assert_problem(response, 413).await;
    assert!(body["detail"].as_str().unwrap().contains("4096"), "{body}");

    // Under the limit, the request reaches its operation (400: not JSON).
    let response = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body(vec![b'a'; 100])
        .send()
        .await
        .unwrap();
    assert_problem(response, 400).await;

    // A method and path that are no operation are answered without reading the body (405: health
    // is GET only).
    let response = app
        .client
        .post(app.url("/api/v1/health"))
        .body(big)
        .send()
        .await
        .unwrap();
    assert_problem(response, 405).await;
    app.stop().await.unwrap();
}

fn futures_stream(
    data: Vec<u8>,
) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        data.chunks(1000).map(|c| Ok(c.to_vec())).collect();
    futures_util::stream::iter(chunks)
}

#[tokio::test]
async fn openapi_spec_and_docs_are_served() {
    let app = TestApp::spawn().await;
    let spec: Value = app.get("/openapi.json").await.json().await.unwrap();
    assert!(
        spec["openapi"].as_str().unwrap().starts_with("3."),
        "{}",
        spec["openapi"]
    );
    assert_eq!(spec["servers"][0]["url"], "/api/v1");
    assert!(spec["paths"]["/health"]["get"].is_object());
    // Dates in the format tools know (poem-openapi's own is `naive-date`).
    let date = &spec["paths"]["/progress/{date}"]["get"]["parameters"][0]["schema"];
    assert_eq!(date["format"], "date", "{date}");
    // `lang` lists the supported languages.
    let lang = spec["paths"]["/products"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "lang")
        .unwrap();
    assert_eq!(
        lang["schema"]["enum"],
        json!(["sr-Latn", "sr-Cyrl", "en", "hu", "ro", "ru", "uk"])
    );

    let docs = app.get("/docs").await;
    assert_eq!(docs.status(), 200);
    let html = docs.text().await.unwrap();
    assert!(html.contains("swagger"), "interactive reference");
    assert!(
        html.contains("\"format\": \"date\"") && !html.contains("naive-date"),
        "the docs show the served document"
    );
    for external in ["src=\"http", "href=\"http", "src='http", "href='http"] {
        assert!(
            !html.contains(external),
            "docs assets are embedded, not fetched from a CDN ({external})"
        );
    }
    app.stop().await.unwrap();
}

#[tokio::test]
async fn graceful_shutdown_finishes_cleanly() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/health").await.status(), 200);
    let address = app.address.clone();
    let pool = app.pool.clone();
    app.stop().await.expect("clean shutdown");
    assert!(pool.is_closed(), "the pool is closed on shutdown");
    assert!(
        reqwest::get(format!("{address}/health")).await.is_err(),
        "no longer accepting"
    );
}
