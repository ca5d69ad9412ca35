//! Logs, traces and metrics, process-wide (one node is one process).
//!
//! - Logs: `tracing` to stderr, JSON lines (when not on a terminal) with the fields of the spans an
//!   event is in at the top level — the request's `request_id` and `trace_id` on every line of it.
//!   A thread of its own writes them from a bounded queue, so a request never waits for stderr;
//!   when the queue is full, lines are dropped and counted.
//! - Traces: with `telemetry.otlp_enabled`, `tracing` spans become OpenTelemetry spans
//!   (tracing-opentelemetry), exported over OTLP from a background thread (a request never waits
//!   for it); requests follow the HTTP semantic conventions and every sqlx query under a span
//!   becomes a client span named by its statement (placeholders, never values). Without it, spans
//!   carry their trace and span ids only. Either way a request continues a caller's W3C
//!   `traceparent`, and outbound calls carry one.
//! - Metrics: OpenTelemetry instruments, read by the Prometheus exporter for `GET /metrics` and,
//!   with OTLP on, pushed every `telemetry.metrics_interval_secs`.
//!
//! Data an exporter could not deliver, and log lines the writer could not keep up with, are dropped
//! and counted (`sn.telemetry.dropped`, by `signal`).

use std::{
    io::IsTerminal,
    sync::{
        Arc, Mutex, OnceLock,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, SystemTime},
};

use anyhow::Context as _;
use opentelemetry::{
    KeyValue, global,
    metrics::{Counter, Histogram, Meter, UpDownCounter},
    propagation::TextMapCompositePropagator,
    trace::{SpanKind, TraceContextExt, Tracer as _, TracerProvider as _},
};
use opentelemetry_otlp::{WithExportConfig, WithHttpConfig, WithTonicConfig};
use opentelemetry_sdk::{
    Resource,
    error::OTelSdkResult,
    metrics::{PeriodicReader, SdkMeterProvider, Temporality, data::ResourceMetrics},
    propagation::TraceContextPropagator,
    trace::{Sampler, SdkTracer, SdkTracerProvider, SpanData},
};
use secrecy::ExposeSecret;
use tracing::{Subscriber, field::Visit};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::{
    EnvFilter, Layer, filter::Targets, fmt::MakeWriter, layer::Context, prelude::*,
    registry::LookupSpan,
};

use crate::config::{Config, LogFormat, OtlpProtocol, TelemetryConfig, parse_headers};

/// The instrumentation scope of everything this binary records.
const SCOPE: &str = "sports-nutrition";

/// Spans and metric batches an exporter could not deliver.
static DROPPED_SPANS: AtomicU64 = AtomicU64::new(0);
static DROPPED_METRICS: AtomicU64 = AtomicU64::new(0);

/// Log lines waiting for the writer thread, at most: about 4 MiB of JSON lines at worst, and
/// seconds of a busy node's access log.
const LOG_QUEUE_LINES: usize = 8_192;

/// The most the log writer gathers before writing to stderr.
const LOG_WRITE_BYTES: usize = 64 * 1024;

/// Log lines dropped because the writer's queue was full (set by [`init`]).
static DROPPED_LOG_LINES: OnceLock<tracing_appender::non_blocking::ErrorCounter> = OnceLock::new();

/// The registry `GET /metrics` renders, once telemetry is installed.
static PROMETHEUS: OnceLock<prometheus::Registry> = OnceLock::new();

/// The providers; flushed and stopped by [`Telemetry::shutdown`].
pub struct Telemetry {
    tracer_provider: SdkTracerProvider,
    meter_provider: SdkMeterProvider,
    /// Dropped, it writes what is queued and stops the log writer's thread.
    log_writer: Option<tracing_appender::non_blocking::WorkerGuard>,
}

impl Telemetry {
    /// Sends what is buffered (within a few seconds) and stops the exporters.
    pub fn shutdown(self) {
        if let Err(e) = self.tracer_provider.shutdown() {
            tracing::debug!(error = %e, "stopping the trace exporter");
        }
        if let Err(e) = self.meter_provider.shutdown() {
            tracing::debug!(error = %e, "stopping the metric exporter");
        }
        drop(self.log_writer);
    }
}

/// Installs logging, tracing and metrics for this process, writing logs to stderr from a thread of
/// their own. Keep the answer until the process ends: dropping it writes what is still queued.
pub fn init(config: &Config) -> anyhow::Result<Telemetry> {
    // The writer thread flushes whenever it has emptied its queue: a busy node writes its lines in
    // one system call per batch rather than one per line, and an idle one at once.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(true)
        .buffered_lines_limit(LOG_QUEUE_LINES)
        .thread_name("log-writer")
        .finish(std::io::BufWriter::with_capacity(
            LOG_WRITE_BYTES,
            std::io::stderr(),
        ));
    let _ = DROPPED_LOG_LINES.set(writer.error_counter());
    let mut telemetry = init_with_writer(config, writer)?;
    telemetry.log_writer = Some(guard);
    Ok(telemetry)
}

/// [`init`] with logs written to `writer`. Only the first call in a process installs anything; a
/// later call returns providers that record nothing.
pub fn init_with_writer<W>(config: &Config, writer: W) -> anyhow::Result<Telemetry>
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let telemetry = &config.telemetry;
    let resource = resource(telemetry);
    let tracer_provider = tracer_provider(telemetry, resource.clone())?;
    let meter_provider = meter_provider(telemetry, resource)?;
    let tracer = tracer_provider.tracer(SCOPE);

    // OpenTelemetry announces its providers at info: noise in the node's log.
    let configured = if config.log.level.contains("opentelemetry") {
        config.log.level.clone()
    } else {
        format!("{},opentelemetry=warn", config.log.level)
    };
    let level =
        || EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&configured));
    let json = match config.log.format {
        LogFormat::Json => true,
        LogFormat::Pretty => false,
        LogFormat::Auto => !std::io::stderr().is_terminal(),
    };
    let logs = if json {
        json_subscriber::layer()
            .with_writer(writer)
            .with_current_span(false)
            .flatten_event(true)
            .flatten_span_list_on_top_level(true)
            .with_filter(level())
            .boxed()
    } else {
        tracing_subscriber::fmt::layer()
            .with_writer(writer)
            .with_target(false)
            .with_filter(level())
            .boxed()
    };
    // With nothing exported, a span needs its ids only (for log lines and an outbound
    // traceparent): an OpenTelemetry span built per request for a sampler to drop costs more
    // than the rest of the request's tracing.
    let (spans, ids) = if telemetry.otlp_enabled {
        let spans = tracing_opentelemetry::layer().with_tracer(tracer.clone());
        (Some(spans.with_filter(level())), None)
    } else {
        (None, Some(SpanIds::default().with_filter(level())))
    };
    let installed = tracing_subscriber::registry()
        .with(logs)
        .with(spans)
        .with(ids)
        .with(
            QuerySpans::new(tracer)
                .with_filter(Targets::new().with_target("sqlx::query", tracing::Level::TRACE)),
        )
        .try_init()
        .is_ok();
    if installed {
        EXPORTING_SPANS.store(telemetry.otlp_enabled, Ordering::Relaxed);
        global::set_text_map_propagator(TextMapCompositePropagator::new(vec![Box::new(
            TraceContextPropagator::new(),
        )]));
        global::set_tracer_provider(tracer_provider.clone());
        global::set_meter_provider(meter_provider.clone());
        register_dropped(&global::meter(SCOPE));
    }
    Ok(Telemetry {
        tracer_provider,
        meter_provider,
        log_writer: None,
    })
}

/// A command's logs: none unless asked for with `-v` (info; `-vv` debug, `-vvv` trace) or
/// `RUST_LOG`, as plain lines on stderr, where they stay apart from the result on stdout. Nothing is
/// exported, and no OpenTelemetry provider is installed (their start-up lines are noise here).
pub fn init_command_logs(verbosity: u8) {
    let filter = match (std::env::var("RUST_LOG"), verbosity) {
        (Ok(directives), 0) => EnvFilter::new(directives),
        (_, 0) => EnvFilter::new("off"),
        (_, 1) => EnvFilter::new("info,opentelemetry=warn"),
        (_, 2) => EnvFilter::new("debug"),
        _ => EnvFilter::new("trace"),
    };
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .with_env_filter(filter)
        .try_init();
}

/// `service.name` (`OTEL_SERVICE_NAME` wins), version and this node's name, plus
/// `OTEL_RESOURCE_ATTRIBUTES`.
fn resource(config: &TelemetryConfig) -> Resource {
    let mut builder = Resource::builder().with_attributes([
        KeyValue::new("service.version", env!("CARGO_PKG_VERSION")),
        KeyValue::new("service.instance.id", super::leader::node_name()),
    ]);
    if std::env::var_os("OTEL_SERVICE_NAME").is_none() {
        builder = builder.with_service_name(config.service_name.clone());
    }
    builder.build()
}

fn tracer_provider(
    config: &TelemetryConfig,
    resource: Resource,
) -> anyhow::Result<SdkTracerProvider> {
    let mut builder = SdkTracerProvider::builder().with_resource(resource);
    if !config.otlp_enabled {
        // Spans still get ids (for logs and propagation), but none is recorded.
        return Ok(builder.with_sampler(Sampler::AlwaysOff).build());
    }
    if let Some(ratio) = config.sampling_ratio {
        builder = builder.with_sampler(Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(
            ratio,
        ))));
    }
    let exporter = match protocol(config) {
        OtlpProtocol::Grpc => grpc(
            opentelemetry_otlp::SpanExporter::builder().with_tonic(),
            config,
        )?
        .build()?,
        OtlpProtocol::HttpProtobuf => http(
            opentelemetry_otlp::SpanExporter::builder().with_http(),
            config,
            "traces",
        )?
        .build()?,
    };
    Ok(builder.with_batch_exporter(CountingSpans(exporter)).build())
}

fn meter_provider(
    config: &TelemetryConfig,
    resource: Resource,
) -> anyhow::Result<SdkMeterProvider> {
    let registry = prometheus::Registry::new();
    let prometheus = opentelemetry_prometheus::exporter()
        .with_registry(registry.clone())
        .scope_info_enabled(false)
        .without_target_info()
        .build()
        .context("the Prometheus exporter")?;
    let _ = PROMETHEUS.set(registry);
    let mut builder = SdkMeterProvider::builder()
        .with_resource(resource)
        .with_reader(prometheus);
    if config.otlp_enabled {
        let exporter = match protocol(config) {
            OtlpProtocol::Grpc => grpc(
                opentelemetry_otlp::MetricExporter::builder().with_tonic(),
                config,
            )?
            .build()?,
            OtlpProtocol::HttpProtobuf => http(
                opentelemetry_otlp::MetricExporter::builder().with_http(),
                config,
                "metrics",
            )?
            .build()?,
        };
        builder = builder.with_reader(
            PeriodicReader::builder(CountingMetrics(exporter))
                .with_interval(Duration::from_secs(config.metrics_interval_secs))
                .build(),
        );
    }
    Ok(builder.build())
}

/// An exporter over gRPC: the endpoint (else `OTEL_EXPORTER_OTLP_ENDPOINT`) and headers as metadata.
fn grpc<B: WithExportConfig + WithTonicConfig>(
    builder: B,
    config: &TelemetryConfig,
) -> anyhow::Result<B> {
    let mut builder = builder.with_metadata(metadata(config)?);
    if let Some(endpoint) = &config.otlp_endpoint {
        builder = builder.with_endpoint(endpoint.clone());
    }
    Ok(builder)
}

/// An exporter over HTTP/protobuf through reqwest: the signal's path under the endpoint.
fn http<B: WithExportConfig + WithHttpConfig>(
    builder: B,
    config: &TelemetryConfig,
    signal: &str,
) -> anyhow::Result<B> {
    let mut builder = builder
        .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
        .with_http_client(ExportClient::new()?);
    if let Some(headers) = headers(config)? {
        builder = builder.with_headers(headers);
    }
    if let Some(endpoint) = &config.otlp_endpoint {
        builder = builder.with_endpoint(format!("{}/v1/{signal}", endpoint.trim_end_matches('/')));
    }
    Ok(builder)
}

/// The configured protocol, else `OTEL_EXPORTER_OTLP_PROTOCOL`, else gRPC.
fn protocol(config: &TelemetryConfig) -> OtlpProtocol {
    config.otlp_protocol.unwrap_or_else(|| {
        match std::env::var("OTEL_EXPORTER_OTLP_PROTOCOL").as_deref() {
            Ok("http/protobuf") => OtlpProtocol::HttpProtobuf,
            _ => OtlpProtocol::Grpc,
        }
    })
}

/// `telemetry.otlp_headers`; `None` leaves `OTEL_EXPORTER_OTLP_HEADERS` to the exporter.
fn headers(
    config: &TelemetryConfig,
) -> anyhow::Result<Option<std::collections::HashMap<String, String>>> {
    let Some(text) = &config.otlp_headers else {
        return Ok(None);
    };
    let pairs = parse_headers(text.expose_secret()).context("telemetry.otlp_headers")?;
    Ok(Some(pairs.into_iter().collect()))
}

fn metadata(config: &TelemetryConfig) -> anyhow::Result<tonic::metadata::MetadataMap> {
    let mut map = tonic::metadata::MetadataMap::new();
    for (key, value) in headers(config)?.unwrap_or_default() {
        let key: tonic::metadata::MetadataKey<tonic::metadata::Ascii> = key
            .parse()
            .context("telemetry.otlp_headers: a header name")?;
        let value = value
            .parse()
            .context("telemetry.otlp_headers: a header value")?;
        map.insert(key, value);
    }
    Ok(map)
}

/// OTLP over HTTP through reqwest, on the node's Tokio runtime (the SDK exports from its own
/// thread).
#[derive(Debug)]
struct ExportClient {
    client: reqwest::Client,
    runtime: tokio::runtime::Handle,
}

impl ExportClient {
    fn new() -> anyhow::Result<Self> {
        Ok(Self {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()?,
            runtime: tokio::runtime::Handle::try_current()
                .context("OTLP over HTTP needs the Tokio runtime")?,
        })
    }
}

#[async_trait::async_trait]
impl opentelemetry_http::HttpClient for ExportClient {
    async fn send_bytes(
        &self,
        request: http::Request<bytes::Bytes>,
    ) -> Result<http::Response<bytes::Bytes>, opentelemetry_http::HttpError> {
        let client = self.client.clone();
        let sent = self.runtime.spawn(async move {
            let request = reqwest::Request::try_from(request)?;
            let response = client.execute(request).await?;
            let mut builder = http::Response::builder().status(response.status());
            if let Some(headers) = builder.headers_mut() {
                *headers = response.headers().clone();
            }
            let body = response.bytes().await?;
            Ok::<_, opentelemetry_http::HttpError>(builder.body(body)?)
        });
        sent.await?
    }
}

/// Counts the spans of batches the exporter could not deliver.
#[derive(Debug)]
struct CountingSpans<E>(E);

impl<E: opentelemetry_sdk::trace::SpanExporter> opentelemetry_sdk::trace::SpanExporter
    for CountingSpans<E>
{
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let count = batch.len() as u64;
        let result = self.0.export(batch).await;
        if result.is_err() {
            DROPPED_SPANS.fetch_add(count, Ordering::Relaxed);
        }
        result
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.0.shutdown_with_timeout(timeout)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.0.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.0.set_resource(resource);
    }
}

/// Counts the metric streams of exports that failed.
struct CountingMetrics<E>(E);

impl<E: opentelemetry_sdk::metrics::exporter::PushMetricExporter>
    opentelemetry_sdk::metrics::exporter::PushMetricExporter for CountingMetrics<E>
{
    async fn export(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
        let result = self.0.export(metrics).await;
        if result.is_err() {
            let count: usize = metrics.scope_metrics().map(|s| s.metrics().count()).sum();
            DROPPED_METRICS.fetch_add(count as u64, Ordering::Relaxed);
        }
        result
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.0.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.0.shutdown_with_timeout(timeout)
    }

    fn temporality(&self) -> Temporality {
        self.0.temporality()
    }
}

fn register_dropped(meter: &Meter) {
    meter
        .u64_observable_counter("sn.telemetry.dropped")
        .with_description(
            "Spans and metric streams an OTLP export could not deliver, and log lines the writer \
             could not keep up with, dropped",
        )
        .with_callback(|observer| {
            if let Some(lines) = DROPPED_LOG_LINES.get() {
                observer.observe(
                    lines.dropped_lines() as u64,
                    &[KeyValue::new("signal", "logs")],
                );
            }
            observer.observe(
                DROPPED_SPANS.load(Ordering::Relaxed),
                &[KeyValue::new("signal", "traces")],
            );
            observer.observe(
                DROPPED_METRICS.load(Ordering::Relaxed),
                &[KeyValue::new("signal", "metrics")],
            );
        })
        .build();
}

/// `GET /metrics`: every instrument in Prometheus text format; `None` before [`init`].
pub fn prometheus_text() -> Option<String> {
    let registry = PROMETHEUS.get()?;
    let mut out = String::new();
    prometheus::TextEncoder::new()
        .encode_utf8(&registry.gather(), &mut out)
        .ok()?;
    Some(out)
}

/// The trace id of `span` (for logs and responses), when it has one.
pub fn current_trace_id(span: &tracing::Span) -> Option<String> {
    if let Some(ids) = SpanIds::of(span) {
        return Some(ids.trace.to_string());
    }
    let context = span.context();
    let span_context = context.span().span_context().clone();
    span_context
        .is_valid()
        .then(|| span_context.trace_id().to_string())
}

/// Continues a caller's W3C trace context (the `traceparent` and `tracestate` headers).
pub fn continue_trace(span: &tracing::Span, headers: &http::HeaderMap) {
    let parent = global::get_text_map_propagator(|propagator| {
        propagator.extract(&opentelemetry_http::HeaderExtractor(headers))
    });
    let remote = parent.span().span_context().clone();
    if !remote.is_valid() {
        return;
    }
    if !SpanIds::continue_trace(span, remote.trace_id()) {
        let _ = span.set_parent(parent);
    }
}

/// Adds the current span's `traceparent` to an outbound request.
pub fn propagate(headers: &mut http::HeaderMap) {
    let current = tracing::Span::current();
    let context = match SpanIds::of(&current) {
        // Nothing is recorded here, so the callee is told not to expect this span (flags 00).
        Some(ids) => opentelemetry::Context::new().with_remote_span_context(
            opentelemetry::trace::SpanContext::new(
                ids.trace,
                ids.span,
                opentelemetry::trace::TraceFlags::default(),
                false,
                Default::default(),
            ),
        ),
        None => current.context(),
    };
    global::get_text_map_propagator(|propagator| {
        propagator.inject_context(&context, &mut opentelemetry_http::HeaderInjector(headers))
    });
}

/// Whether spans become OpenTelemetry spans (OTLP is on); without it they carry [`SpanIds`] only.
pub fn exporting_spans() -> bool {
    EXPORTING_SPANS.load(Ordering::Relaxed)
}

static EXPORTING_SPANS: AtomicBool = AtomicBool::new(false);

/// A span's trace and span ids when nothing is exported: a span continues its parent's trace, or
/// starts one.
#[derive(Clone, Copy, Debug)]
struct Ids {
    trace: opentelemetry::trace::TraceId,
    span: opentelemetry::trace::SpanId,
}

/// The layer that gives every span [`Ids`].
#[derive(Default)]
struct SpanIds {
    generator: opentelemetry_sdk::trace::RandomIdGenerator,
}

impl SpanIds {
    /// `f` applied to `span`'s ids, when this layer is installed and the span is enabled.
    fn with<R>(span: &tracing::Span, f: impl FnOnce(&mut Ids) -> R) -> Option<R> {
        span.with_subscriber(|(id, dispatch)| {
            let registry = dispatch.downcast_ref::<tracing_subscriber::Registry>()?;
            let span = registry.span(id)?;
            let mut extensions = span.extensions_mut();
            extensions.get_mut::<Ids>().map(f)
        })
        .flatten()
    }

    /// `span`'s ids, when it has them.
    fn of(span: &tracing::Span) -> Option<Ids> {
        Self::with(span, |ids| *ids)
    }

    /// Moves `span` into a caller's trace; false when `span` has no [`Ids`].
    fn continue_trace(span: &tracing::Span, trace: opentelemetry::trace::TraceId) -> bool {
        Self::with(span, |ids| ids.trace = trace).is_some()
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for SpanIds {
    fn on_new_span(
        &self,
        _attrs: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        ctx: Context<'_, S>,
    ) {
        use opentelemetry_sdk::trace::IdGenerator as _;
        let Some(span) = ctx.span(id) else {
            return;
        };
        let inherited = span
            .parent()
            .and_then(|parent| parent.extensions().get::<Ids>().map(|ids| ids.trace));
        let ids = Ids {
            trace: inherited.unwrap_or_else(|| self.generator.new_trace_id()),
            span: self.generator.new_span_id(),
        };
        span.extensions_mut().insert(ids);
    }
}

/// Sends an outbound HTTP request inside a client span (method, host, port, status — never the
/// URL's path or query, which may carry a token), with the span's `traceparent`.
pub async fn send(
    builder: reqwest::RequestBuilder,
    peer: &'static str,
) -> reqwest::Result<reqwest::Response> {
    use tracing::Instrument as _;
    let (client, request) = builder.build_split();
    let mut request = request?;
    let url = request.url();
    let span = tracing::info_span!(
        "http client",
        otel.name = %format!("{} {peer}", request.method()),
        otel.kind = "client",
        otel.status_code = tracing::field::Empty,
        http.request.method = %request.method(),
        http.response.status_code = tracing::field::Empty,
        server.address = url.host_str().unwrap_or_default(),
        server.port = url.port_or_known_default().unwrap_or_default(),
        url.scheme = url.scheme(),
        peer.service = peer,
    );
    async move {
        propagate(request.headers_mut());
        let result = client.execute(request).await;
        let span = tracing::Span::current();
        match &result {
            Ok(response) => {
                span.record("http.response.status_code", response.status().as_u16());
                if response.status().is_server_error() {
                    span.record("otel.status_code", "ERROR");
                }
            }
            Err(_) => {
                span.record("otel.status_code", "ERROR");
            }
        }
        result
    }
    .instrument(span)
    .await
}

/// Turns sqlx's per-query event (`sqlx::query`: statement summary and elapsed time) into a client
/// span under the current span, and records its duration.
struct QuerySpans {
    tracer: SdkTracer,
}

impl QuerySpans {
    fn new(tracer: SdkTracer) -> Self {
        Self { tracer }
    }
}

#[derive(Default)]
struct QueryFields {
    summary: Option<String>,
    statement: Option<String>,
    elapsed_secs: Option<f64>,
    rows: Option<u64>,
    /// The statement's text goes into the span only: not copied when no span is exported.
    keep_statement: bool,
}

impl Visit for QueryFields {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        match field.name() {
            "summary" => self.summary = Some(value.to_owned()),
            "db.statement" if self.keep_statement => self.statement = Some(value.to_owned()),
            _ => {}
        }
    }

    fn record_f64(&mut self, field: &tracing::field::Field, value: f64) {
        if field.name() == "elapsed_secs" {
            self.elapsed_secs = Some(value);
        }
    }

    fn record_u64(&mut self, field: &tracing::field::Field, value: u64) {
        if field.name() == "rows_returned" || field.name() == "rows_affected" {
            self.rows = Some(self.rows.unwrap_or(0) + value);
        }
    }

    fn record_debug(&mut self, _field: &tracing::field::Field, _value: &dyn std::fmt::Debug) {}
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for QuerySpans {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        let mut fields = QueryFields {
            keep_statement: exporting_spans(),
            ..QueryFields::default()
        };
        event.record(&mut fields);
        let Some(elapsed) = fields.elapsed_secs else {
            return;
        };
        let summary = fields.summary.unwrap_or_else(|| "query".into());
        let operation = summary
            .split_whitespace()
            .next()
            .unwrap_or("QUERY")
            .to_ascii_uppercase();
        instruments().db_duration.record(
            elapsed,
            &[
                KeyValue::new("db.system.name", "postgresql"),
                KeyValue::new("db.operation.name", operation.clone()),
            ],
        );
        if !exporting_spans() {
            return;
        }
        let parent = tracing::Span::current().context();
        if !parent.span().span_context().is_sampled() {
            return;
        }
        let end = SystemTime::now();
        let start = end
            .checked_sub(Duration::from_secs_f64(elapsed.max(0.0)))
            .unwrap_or(end);
        let mut attributes = vec![
            KeyValue::new("db.system.name", "postgresql"),
            KeyValue::new("db.operation.name", operation),
            KeyValue::new("db.query.summary", summary.clone()),
        ];
        if let Some(statement) = fields.statement {
            // sqlx's statements carry $n placeholders: the values are never in the text.
            let mut statement = statement;
            statement.truncate(2048);
            attributes.push(KeyValue::new("db.query.text", statement));
        }
        if let Some(rows) = fields.rows {
            attributes.push(KeyValue::new("db.response.returned_rows", rows as i64));
        }
        let mut span = self
            .tracer
            .span_builder(summary)
            .with_kind(SpanKind::Client)
            .with_start_time(start)
            .with_attributes(attributes)
            .start_with_context(&self.tracer, &parent);
        opentelemetry::trace::Span::end_with_timestamp(&mut span, end);
    }
}

/// What the node records as it goes (the rest is observed when metrics are read).
pub struct Instruments {
    pub http_duration: Histogram<f64>,
    pub http_active: UpDownCounter<i64>,
    pub db_duration: Histogram<f64>,
    pub registrations: Counter<u64>,
    pub meal_plans: Counter<u64>,
    pub feed_rows: Counter<u64>,
}

/// The instruments, from the global meter (recording nothing before [`init`]).
pub fn instruments() -> &'static Instruments {
    static INSTRUMENTS: OnceLock<Instruments> = OnceLock::new();
    INSTRUMENTS.get_or_init(|| {
        let meter = global::meter(SCOPE);
        // OpenTelemetry's recommended boundaries for HTTP durations, in seconds.
        let seconds = vec![
            0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
        ];
        Instruments {
            http_duration: meter
                .f64_histogram("http.server.request.duration")
                .with_unit("s")
                .with_description("Duration of HTTP server requests")
                .with_boundaries(seconds.clone())
                .build(),
            http_active: meter
                .i64_up_down_counter("http.server.active_requests")
                .with_unit("{request}")
                .with_description("HTTP server requests in flight")
                .build(),
            db_duration: meter
                .f64_histogram("db.client.operation.duration")
                .with_unit("s")
                .with_description("Duration of database queries")
                .with_boundaries(vec![
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                ])
                .build(),
            registrations: meter
                .u64_counter("sn.users.registered")
                .with_description("Accounts registered")
                .build(),
            meal_plans: meter
                .u64_counter("sn.meal_plans.generated")
                .with_description("Meal plans generated")
                .build(),
            feed_rows: meter
                .u64_counter("sn.feed.rows.imported")
                .with_description("Price-feed rows imported")
                .build(),
        }
    })
}

/// Counts an applied price feed's rows, by outcome.
pub fn count_feed_rows(run: &crate::db::feeds::Run) {
    let counter = &instruments().feed_rows;
    for (outcome, rows) in [
        ("applied", run.rows_applied),
        ("unchanged", run.rows_unchanged),
        ("queued", run.rows_queued),
        ("rejected", run.rows_rejected),
    ] {
        counter.add(
            u64::try_from(rows).unwrap_or(0),
            &[KeyValue::new("outcome", outcome)],
        );
    }
}

/// Samples of this process's CPU and memory for the observed gauges.
pub struct ProcessSampler {
    system: Mutex<sysinfo::System>,
    pid: sysinfo::Pid,
}

impl ProcessSampler {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            system: Mutex::new(sysinfo::System::new()),
            pid: sysinfo::Pid::from_u32(std::process::id()),
        })
    }

    /// The process's CPU time since the last reading, divided by the elapsed time and the CPUs it
    /// may use (OpenTelemetry's `process.cpu.utilization`, 0 to 1). Refreshes CPU only, so a
    /// memory reading in between does not restart the interval.
    pub fn cpu(&self) -> f64 {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        self.refresh(sysinfo::ProcessRefreshKind::nothing().with_cpu())
            .map(|p| f64::from(p.0) / 100.0 / cpus)
            .unwrap_or(0.0)
    }

    /// Resident memory, in bytes.
    pub fn rss(&self) -> u64 {
        self.refresh(sysinfo::ProcessRefreshKind::nothing().with_memory())
            .map(|p| p.1)
            .unwrap_or(0)
    }

    /// (CPU percent of one core, resident bytes) after refreshing `what`.
    fn refresh(&self, what: sysinfo::ProcessRefreshKind) -> Option<(f32, u64)> {
        let mut system = self.system.lock().unwrap_or_else(|p| p.into_inner());
        system.refresh_processes_specifics(
            sysinfo::ProcessesToUpdate::Some(&[self.pid]),
            true,
            what,
        );
        system
            .process(self.pid)
            .map(|p| (p.cpu_usage(), p.memory()))
    }
}

/// Open file descriptors of this process.
pub fn open_fds() -> u64 {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn traceparent(trace: &str, span: &str) -> http::HeaderMap {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            "traceparent",
            format!("00-{trace}-{span}-01").parse().unwrap(),
        );
        headers
    }

    #[test]
    fn without_an_exporter_spans_carry_ids_that_continue_a_callers_trace() {
        global::set_text_map_propagator(TraceContextPropagator::new());
        let subscriber = tracing_subscriber::registry().with(SpanIds::default());
        tracing::subscriber::with_default(subscriber, || {
            let fresh = tracing::info_span!("request");
            let fresh_trace = current_trace_id(&fresh).expect("a trace id");
            assert_eq!(fresh_trace.len(), 32);
            assert_ne!(fresh_trace, "0".repeat(32));
            let other = tracing::info_span!("request");
            assert_ne!(current_trace_id(&other).unwrap(), fresh_trace);

            let caller = "4bf92f3577b34da6a3ce929d0e0e4736";
            let request = tracing::info_span!("request");
            continue_trace(&request, &traceparent(caller, "00f067aa0ba902b7"));
            assert_eq!(current_trace_id(&request).unwrap(), caller);

            // A child span, and an outbound call made in it, stay in the caller's trace.
            let child = request.in_scope(|| tracing::info_span!("job"));
            assert_eq!(current_trace_id(&child).unwrap(), caller);
            let mut outbound = http::HeaderMap::new();
            child.in_scope(|| propagate(&mut outbound));
            let sent = outbound["traceparent"].to_str().unwrap();
            let parts: Vec<&str> = sent.split('-').collect();
            assert_eq!(parts.len(), 4, "{sent}");
            assert_eq!(parts[1], caller);
            assert_ne!(parts[2], "00f067aa0ba902b7", "the span sent is this node's");
            assert_eq!(parts[3], "00", "nothing is recorded here: {sent}");

            // A malformed traceparent leaves the span's own trace.
            let own = tracing::info_span!("request");
            let before = current_trace_id(&own).unwrap();
            continue_trace(&own, &traceparent("not-a-trace", "00f067aa0ba902b7"));
            assert_eq!(current_trace_id(&own).unwrap(), before);
        });
    }
}
