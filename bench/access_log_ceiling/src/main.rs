//! The bare poem server of `../shared/perf/ceiling` with the appliance's access log and nothing else:
//! a span per request with the request span's fields, one JSON line per request through
//! json-subscriber (flattened as the appliance configures it), written by a non-blocking writer.
//! What it serves against the bare server is the most any endpoint can reach with that log on.

use std::sync::Arc;

use poem::{
    EndpointExt, Response, Route, Server, get, handler, http::header, listener::TcpListener,
    web::Data,
};
use serde::Serialize;

#[derive(Serialize)]
struct Product {
    id: String,
    name: String,
    brand: String,
    price: f64,
    currency: &'static str,
    rating: f64,
}

type Products = Arc<Vec<Product>>;

#[handler]
fn plain() -> &'static str {
    "ok"
}

#[handler]
fn json(Data(products): Data<&Products>) -> Response {
    let body = serde_json::to_vec(products.as_ref()).expect("serialize");
    Response::builder()
        .header(header::CONTENT_TYPE, "application/json")
        .body(body)
}

fn build_products() -> Products {
    let v: Vec<Product> = (0..20u32)
        .map(|i| Product {
            id: format!(
                "3f2b9c1e-7a4d-4e8b-9c0a-{:012x}",
                0x5d1e00a0_0000u64 + i as u64
            ),
            name: format!("Product name number {:02} extra", i), // ~30 chars
            brand: format!("Brand Maker {:03}", i),              // ~15 chars
            price: 1999.99 + i as f64 * 101.5,
            currency: "RSD",
            rating: 3.5 + (i % 15) as f64 / 10.0,
        })
        .collect();
    Arc::new(v)
}

/// The appliance's access log on the bare server: a span per request with the same fields, one
/// JSON line per request (json-subscriber, flattened), written by a thread of its own.
async fn logged<E: poem::Endpoint>(next: E, req: poem::Request) -> poem::Result<Response> {
    use poem::IntoResponse;
    use tracing::Instrument;
    let id = uuid::Uuid::now_v7().to_string();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let span = tracing::info_span!(
        "request",
        otel.name = %method,
        otel.kind = "server",
        http.request.method = %method,
        http.route = tracing::field::Empty,
        http.response.status_code = tracing::field::Empty,
        url.path = %path,
        url.scheme = "http",
        request_id = %id,
        trace_id = "4bf92f3577b34da6a3ce929d0e0e4736",
    );
    let in_span = span.clone();
    async move {
        let start = std::time::Instant::now();
        let mut response = next.call(req).await?.into_response();
        in_span.record("http.route", path.as_str());
        in_span.record("http.response.status_code", response.status().as_u16());
        let headers = response.headers_mut();
        headers.insert("x-request-id", id.parse().unwrap());
        let latency_ms = start.elapsed().as_secs_f64() * 1000.0;
        tracing::info!(status = response.status().as_u16(), latency_ms, "request");
        Ok(response)
    }
    .instrument(span)
    .await
}

#[tokio::main]
async fn main() -> Result<(), std::io::Error> {
    use tracing_subscriber::prelude::*;
    let (writer, _guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(true)
        .buffered_lines_limit(8192)
        .finish(std::io::BufWriter::with_capacity(
            64 * 1024,
            std::io::stderr(),
        ));
    tracing_subscriber::registry()
        .with(
            json_subscriber::layer()
                .with_writer(writer)
                .with_current_span(false)
                .flatten_event(true)
                .flatten_span_list_on_top_level(true)
                .with_filter(tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let products = build_products();
    let len = serde_json::to_vec(products.as_ref()).unwrap().len();
    eprintln!("json body bytes: {len}");
    let app = Route::new()
        .at("/plain", get(plain))
        .at("/json", get(json))
        .data(products)
        .around(logged);
    let addr = std::env::var("CEILING_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into());
    Server::new(TcpListener::bind(addr)).run(app).await
}
