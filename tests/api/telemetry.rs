//! Observability: a real OTLP receiver (a tonic server with the opentelemetry-proto services) gets
//! the spans and metrics of a running node; `/metrics` parses as Prometheus text and carries the
//! metrics operators chart; log lines are JSON with the request and trace ids, and no secrets.
//!
//! Telemetry is process-wide (one node is one process); nextest runs each test in its own process,
//! so each test installs it with the configuration it needs.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use opentelemetry_proto::tonic::{
    collector::{
        metrics::v1::{
            ExportMetricsServiceRequest, ExportMetricsServiceResponse,
            metrics_service_server::{MetricsService, MetricsServiceServer},
        },
        trace::v1::{
            ExportTraceServiceRequest, ExportTraceServiceResponse,
            trace_service_server::{TraceService, TraceServiceServer},
        },
    },
    common::v1::{AnyValue, KeyValue, any_value},
    trace::v1::Span,
};
use secrecy::SecretString;
use serde_json::{Value, json};
use sports_nutrition::{
    config::{Config, OtlpProtocol},
    ops::telemetry,
};

use crate::{
    alerts::admin,
    helpers::{
        PASSWORD, TestApp, TestDatabase, free_port, random_secret, serve_binary, test_config,
        wait_ready,
    },
};

/// A metric's name and the attributes of each of its data points.
type Received = (String, Vec<HashMap<String, String>>);

/// What the receiver got.
#[derive(Clone, Default)]
struct Collector {
    spans: Arc<Mutex<Vec<Span>>>,
    metrics: Arc<Mutex<Vec<Received>>>,
}

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let spans = request
            .into_inner()
            .resource_spans
            .into_iter()
            .flat_map(|r| r.scope_spans)
            .flat_map(|s| s.spans);
        self.spans.lock().unwrap().extend(spans);
        Ok(tonic::Response::new(ExportTraceServiceResponse {
            partial_success: None,
        }))
    }
}

#[tonic::async_trait]
impl MetricsService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportMetricsServiceRequest>,
    ) -> Result<tonic::Response<ExportMetricsServiceResponse>, tonic::Status> {
        use opentelemetry_proto::tonic::metrics::v1::metric::Data;
        let metrics = request
            .into_inner()
            .resource_metrics
            .into_iter()
            .flat_map(|r| r.scope_metrics)
            .flat_map(|s| s.metrics)
            .map(|m| {
                let points = match &m.data {
                    Some(Data::Histogram(h)) => h
                        .data_points
                        .iter()
                        .map(|p| attributes(&p.attributes))
                        .collect(),
                    Some(Data::Sum(s)) => s
                        .data_points
                        .iter()
                        .map(|p| attributes(&p.attributes))
                        .collect(),
                    Some(Data::Gauge(g)) => g
                        .data_points
                        .iter()
                        .map(|p| attributes(&p.attributes))
                        .collect(),
                    _ => Vec::new(),
                };
                (m.name, points)
            });
        self.metrics.lock().unwrap().extend(metrics);
        Ok(tonic::Response::new(ExportMetricsServiceResponse {
            partial_success: None,
        }))
    }
}

fn attributes(kvs: &[KeyValue]) -> HashMap<String, String> {
    kvs.iter()
        .map(|kv| {
            let value = match kv.value.as_ref().and_then(|v: &AnyValue| v.value.as_ref()) {
                Some(any_value::Value::StringValue(s)) => s.clone(),
                Some(any_value::Value::IntValue(i)) => i.to_string(),
                Some(any_value::Value::BoolValue(b)) => b.to_string(),
                Some(any_value::Value::DoubleValue(d)) => d.to_string(),
                other => format!("{other:?}"),
            };
            (kv.key.clone(), value)
        })
        .collect()
}

impl Collector {
    /// A gRPC OTLP receiver on a free loopback port.
    async fn start() -> (Self, SocketAddr) {
        let collector = Self::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(TraceServiceServer::new(collector.clone()))
                .add_service(MetricsServiceServer::new(collector.clone()))
                .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
        );
        (collector, addr)
    }

    async fn wait_for<T>(&self, what: &str, mut found: impl FnMut(&Self) -> Option<T>) -> T {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(t) = found(self) {
                return t;
            }
            if Instant::now() > deadline {
                let spans: Vec<(String, String)> = self
                    .spans
                    .lock()
                    .unwrap()
                    .iter()
                    .map(|s| (s.name.clone(), hex(&s.trace_id)))
                    .collect();
                let metrics: Vec<String> = self
                    .metrics
                    .lock()
                    .unwrap()
                    .iter()
                    .map(|(n, _)| n.clone())
                    .collect();
                panic!("{what}: not received within 20 s; spans {spans:?}; metrics {metrics:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn span_attributes(span: &Span) -> HashMap<String, String> {
    attributes(&span.attributes)
}

fn otlp(config: &mut Config, endpoint: String) {
    config.telemetry.otlp_enabled = true;
    config.telemetry.otlp_endpoint = Some(endpoint);
    config.telemetry.otlp_protocol = Some(OtlpProtocol::Grpc);
    config.telemetry.sampling_ratio = Some(1.0);
    config.telemetry.metrics_interval_secs = 1;
}

#[tokio::test]
async fn spans_and_metrics_reach_an_otlp_receiver_with_the_callers_trace() {
    let (collector, addr) = Collector::start().await;
    let db = TestDatabase::create().await;
    let mut config = test_config(&db);
    otlp(&mut config, format!("http://{addr}"));
    let _telemetry = telemetry::init(&config).unwrap();
    let app = TestApp::start_on(config, Some(db)).await;

    // A caller's W3C trace context is continued.
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let parent_id = "00f067aa0ba902b7";
    let response = app
        .client
        .get(app.url("/api/v1/health"))
        .header("traceparent", format!("00-{trace_id}-{parent_id}-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    app.register("otlp@example.rs", PASSWORD).await;
    let response = app
        .get("/api/v1/products/00000000-0000-0000-0000-000000000000")
        .await;
    assert_eq!(response.status(), 404);

    let server = collector
        .wait_for("the request span", |c| {
            c.spans
                .lock()
                .unwrap()
                .iter()
                .find(|s| hex(&s.trace_id) == trace_id && s.name == "GET /api/v1/health")
                .cloned()
        })
        .await;
    assert_eq!(
        hex(&server.parent_span_id),
        parent_id,
        "a child of the caller's span"
    );
    assert_eq!(server.kind, 2, "SPAN_KIND_SERVER");
    let attributes = span_attributes(&server);
    assert_eq!(attributes["http.request.method"], "GET");
    assert_eq!(attributes["http.route"], "/api/v1/health");
    assert_eq!(attributes["http.response.status_code"], "200");
    assert_eq!(attributes["url.path"], "/api/v1/health");
    // The health check queried the database: a child span named by its statement, no values.
    let query = collector
        .wait_for("a database span under the request", |c| {
            c.spans
                .lock()
                .unwrap()
                .iter()
                .find(|s| s.parent_span_id == server.span_id && s.name.starts_with("SELECT"))
                .cloned()
        })
        .await;
    assert_eq!(span_attributes(&query)["db.system.name"], "postgresql");
    // Route templates, not ids, name the spans of parameterised paths.
    collector
        .wait_for("the templated route", |c| {
            c.spans
                .lock()
                .unwrap()
                .iter()
                .find(|s| s.name == "GET /api/v1/products/{id}")
                .map(|s| assert_eq!(span_attributes(s)["http.response.status_code"], "404"))
        })
        .await;

    // Metrics: request duration by route and status, among the rest.
    let points = collector
        .wait_for("http.server.request.duration", |c| {
            c.metrics
                .lock()
                .unwrap()
                .iter()
                .find(|(name, points)| name == "http.server.request.duration" && !points.is_empty())
                .map(|(_, points)| points.clone())
        })
        .await;
    assert!(
        points.iter().any(
            |p| p.get("http.route").map(String::as_str) == Some("/api/v1/health")
                && p.get("http.response.status_code").map(String::as_str) == Some("200")
        ),
        "{points:?}"
    );
    for wanted in [
        "db.client.connection.count",
        "db.client.operation.duration",
        "process.memory.usage",
        "sn.users.registered",
    ] {
        collector
            .wait_for(wanted, |c| {
                c.metrics
                    .lock()
                    .unwrap()
                    .iter()
                    .any(|(name, _)| name == wanted)
                    .then_some(())
            })
            .await;
    }
}

/// An OTLP/HTTP receiver (protobuf bodies at `/v1/traces` and `/v1/metrics`) on a free port.
async fn http_receiver() -> (Arc<Mutex<Vec<Span>>>, Arc<Mutex<Vec<String>>>, SocketAddr) {
    use poem::{EndpointExt, IntoResponse, Route, endpoint::make, listener::Acceptor, post};
    use prost::Message;
    let spans = Arc::new(Mutex::new(Vec::new()));
    let metrics = Arc::new(Mutex::new(Vec::new()));
    let (s, m) = (spans.clone(), metrics.clone());
    let protobuf = |bytes: Vec<u8>| {
        bytes
            .with_content_type("application/x-protobuf")
            .into_response()
    };
    let app = Route::new()
        .at(
            "/v1/traces",
            post(make(move |req: poem::Request| {
                let s = s.clone();
                async move {
                    let body = req.into_body().into_bytes().await?;
                    let request =
                        ExportTraceServiceRequest::decode(body).map_err(poem::error::BadRequest)?;
                    s.lock().unwrap().extend(
                        request
                            .resource_spans
                            .into_iter()
                            .flat_map(|r| r.scope_spans)
                            .flat_map(|s| s.spans),
                    );
                    Ok::<_, poem::Error>(protobuf(
                        ExportTraceServiceResponse::default().encode_to_vec(),
                    ))
                }
            })),
        )
        .at(
            "/v1/metrics",
            post(make(move |req: poem::Request| {
                let m = m.clone();
                async move {
                    let body = req.into_body().into_bytes().await?;
                    let request = ExportMetricsServiceRequest::decode(body)
                        .map_err(poem::error::BadRequest)?;
                    m.lock().unwrap().extend(
                        request
                            .resource_metrics
                            .into_iter()
                            .flat_map(|r| r.scope_metrics)
                            .flat_map(|s| s.metrics)
                            .map(|m| m.name),
                    );
                    Ok::<_, poem::Error>(protobuf(
                        ExportMetricsServiceResponse::default().encode_to_vec(),
                    ))
                }
            })),
        )
        .boxed();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let acceptor = poem::listener::TcpAcceptor::from_tokio(listener).unwrap();
    let addr = acceptor.local_addr()[0].as_socket_addr().copied().unwrap();
    tokio::spawn(poem::Server::new_with_acceptor(acceptor).run(app));
    (spans, metrics, addr)
}

#[tokio::test]
async fn spans_and_metrics_reach_an_otlp_http_protobuf_receiver() {
    let (spans, metrics, addr) = http_receiver().await;
    let db = TestDatabase::create().await;
    let mut config = test_config(&db);
    otlp(&mut config, format!("http://{addr}"));
    config.telemetry.otlp_protocol = Some(OtlpProtocol::HttpProtobuf);
    let _telemetry = telemetry::init(&config).unwrap();
    let app = TestApp::start_on(config, Some(db)).await;
    assert_eq!(app.get("/api/v1/health").await.status(), 200);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let got_span = spans
            .lock()
            .unwrap()
            .iter()
            .any(|s| s.name == "GET /api/v1/health");
        let got_metric = metrics
            .lock()
            .unwrap()
            .iter()
            .any(|m| m == "http.server.request.duration");
        if got_span && got_metric {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "over HTTP/protobuf within 20 s: span {got_span}, metric {got_metric}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn a_collector_that_is_down_costs_requests_nothing_and_drops_are_counted() {
    // Nothing listens here.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let db = TestDatabase::create().await;
    let mut config = test_config(&db);
    otlp(&mut config, format!("http://127.0.0.1:{port}"));
    let _telemetry = telemetry::init(&config).unwrap();
    let app = TestApp::start_on(config, Some(db)).await;
    for _ in 0..20 {
        let response = app.get("/api/v1/health").await;
        assert_eq!(response.status(), 200);
    }
    // The failed exports show on /metrics.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = app.get("/metrics").await.text().await.unwrap();
        let scrape = parse(&text);
        let dropped = scrape
            .samples
            .iter()
            .filter(|s| s.metric == "sn_telemetry_dropped_total")
            .map(|s| value(&s.value))
            .sum::<f64>();
        if dropped > 0.0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no dropped telemetry counted:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn parse(text: &str) -> prometheus_parse::Scrape {
    prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned())))
        .expect("Prometheus text")
}

fn value(v: &prometheus_parse::Value) -> f64 {
    match v {
        prometheus_parse::Value::Counter(f)
        | prometheus_parse::Value::Gauge(f)
        | prometheus_parse::Value::Untyped(f) => *f,
        prometheus_parse::Value::Histogram(h) => h.iter().map(|b| b.count).fold(0.0, f64::max),
        prometheus_parse::Value::Summary(_) => 0.0,
    }
}

#[tokio::test]
async fn metrics_are_served_in_prometheus_text_to_loopback_or_with_the_token() {
    let db = TestDatabase::create().await;
    let mut config = test_config(&db);
    config.telemetry.prometheus_token = Some(SecretString::from(
        "scraper-token-of-thirty-two-chars".to_owned(),
    ));
    let _telemetry = telemetry::init(&config).unwrap();
    let app = TestApp::start_on(config, Some(db)).await;
    // Some traffic: a registration, a sign-in, a profile read, a 404.
    let user = app.register("runner@example.rs", PASSWORD).await;
    let token = user["token"].as_str().unwrap();
    assert_eq!(app.get_authed("/api/profile", token).await.status(), 200);
    assert_eq!(app.get("/api/v1/no-such-thing").await.status(), 404);
    // The self-check results are the newest report's.
    let admin_token = admin(&app).await;
    crate::alerts::self_check(&app, &admin_token).await;

    let response = app.get("/metrics").await;
    assert_eq!(
        response.status(),
        401,
        "a token is configured: it is required"
    );
    let response = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("scraper-token-of-thirty-two-chars")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain"),
        "{:?}",
        response.headers()
    );
    let text = response.text().await.unwrap();
    let scrape = parse(&text);
    let series = |name: &str| -> Vec<&prometheus_parse::Sample> {
        scrape.samples.iter().filter(|s| s.metric == name).collect()
    };
    let durations = series("http_server_request_duration_seconds");
    assert!(
        durations
            .iter()
            .any(|s| s.labels.get("http_route") == Some("/api/v1/profile")
                && s.labels.get("http_response_status_code") == Some("200")
                && s.labels.get("http_request_method") == Some("GET")),
        "{text}"
    );
    for name in [
        "http_server_active_requests",
        "db_client_connection_count",
        "db_client_operation_duration_seconds",
        "sn_cache_operations_total",
        "sn_backup_age_seconds",
        "sn_self_check_ok",
        "process_cpu_utilization_ratio",
        "process_memory_usage_bytes",
        "process_unix_file_descriptor_count",
        "sn_users_registered_total",
    ] {
        assert!(!series(name).is_empty(), "{name} missing from:\n{text}");
    }
    let registered: f64 = series("sn_users_registered_total")
        .iter()
        .map(|s| value(&s.value))
        .sum();
    assert_eq!(registered, 2.0, "the runner and the admin");
    // No secrets or personal data in the metrics.
    assert!(!text.contains("runner@example.rs"));
    assert!(!text.contains(token));
}

#[tokio::test]
async fn log_lines_are_json_with_request_and_trace_ids_and_no_secrets() {
    let db = TestDatabase::create().await;
    let config = test_config(&db);
    let lines = Arc::new(Mutex::new(Vec::<u8>::new()));
    let sink = lines.clone();
    let _telemetry = telemetry::init_with_writer(&config, move || Writer(sink.clone())).unwrap();
    let app = TestApp::start_on(config, Some(db)).await;
    app.register("secretive@example.rs", PASSWORD).await;
    let response = app
        .post(
            "/api/v1/auth/login",
            &json!({"email": "secretive@example.rs", "password": "wrong password, not logged"}),
        )
        .await;
    assert_eq!(response.status(), 401);
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    // A caller's trace is continued with no exporter configured, too.
    let caller_trace = "0af7651916cd43dd8448eb211c80319c";
    let traced = app
        .client
        .get(app.url("/api/v1/products"))
        .header(
            "traceparent",
            format!("00-{caller_trace}-b7ad6b7169203331-01"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(traced.status(), 200);
    let traced_id = traced.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    tokio::time::sleep(Duration::from_millis(200)).await;

    let text = String::from_utf8(lines.lock().unwrap().clone()).unwrap();
    let parsed: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let line = parsed
        .iter()
        .find(|l| l["request_id"] == json!(request_id) && l["message"] == "request")
        .unwrap_or_else(|| panic!("no request line for {request_id}:\n{text}"));
    for field in ["timestamp", "level", "target", "trace_id"] {
        assert!(line.get(field).is_some(), "{field} in {line}");
    }
    assert_eq!(line["trace_id"].as_str().unwrap().len(), 32, "{line}");
    let traced_line = parsed
        .iter()
        .find(|l| l["request_id"] == json!(traced_id) && l["message"] == "request")
        .unwrap_or_else(|| panic!("no request line for {traced_id}:\n{text}"));
    assert_eq!(
        traced_line["trace_id"],
        json!(caller_trace),
        "{traced_line}"
    );
    assert_ne!(line["trace_id"], json!(caller_trace));
    for secret in [
        PASSWORD,
        "wrong password, not logged",
        "secretive@example.rs",
    ] {
        assert!(!text.contains(secret), "{secret:?} was logged:\n{text}");
    }
}

#[derive(Clone)]
struct Writer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Writer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A log reader that stops reading (a full pipe, a stalled journal) costs requests nothing: the
/// lines that do not fit the writer's queue are dropped, and counted in `/metrics`.
#[tokio::test]
async fn a_stalled_log_reader_never_holds_up_a_request_and_dropped_lines_are_counted() {
    use futures_util::StreamExt;

    let db = TestDatabase::create().await;
    let port = free_port();
    let mut command = serve_binary(&db.url, port, &db.data_dir());
    command
        .env("SN_AUTH__JWT_SECRET", random_secret())
        .env("SN_BACKUP__ENABLED", "false")
        .env("SN_SELF_CHECK__ENABLED", "false")
        .env("SN_RATE_LIMIT__PUBLIC_REQUESTS", "1000000")
        // An access-log line per request, into a pipe nobody reads.
        .env("SN_LOG__LEVEL", "info")
        .stderr(std::process::Stdio::piped());
    let mut child = command.spawn().expect("the binary starts");
    let _never_read = child.stderr.take().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    wait_ready(&client, &base, &mut child, String::new).await;

    // The pipe holds 64 KiB and the queue 8,192 lines: 12,000 requests' lines overflow both. A
    // writer on the request path would hold every request here for good; the deadline turns that
    // into a failure instead of a hang (the requests take seconds).
    let url = format!("{base}/health");
    let requests = futures_util::stream::iter(0..12_000)
        .map(|_| client.get(&url).send())
        .buffer_unordered(16)
        .filter(|r| std::future::ready(r.as_ref().is_ok_and(|r| r.status() == 200)))
        .count();
    let answered = tokio::time::timeout(Duration::from_secs(90), requests)
        .await
        .expect("requests were held up by the log writer");
    assert_eq!(answered, 12_000);

    let metrics = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let dropped: f64 = metrics
        .lines()
        .find(|l| l.starts_with("sn_telemetry_dropped_total{") && l.contains(r#"signal="logs""#))
        .and_then(|l| l.rsplit(' ').next())
        .unwrap_or_else(|| panic!("no dropped log lines in /metrics:\n{metrics}"))
        .parse()
        .unwrap();
    assert!(dropped > 0.0, "no line was dropped");
}
