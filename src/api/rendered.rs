//! Public reads kept in the cache as the bytes sent: a hit costs a lookup and a reference count,
//! not a conversion and a serialisation per request. Each body carries a strong `ETag`, so a client
//! that holds the page asks with `If-None-Match` and gets `304 Not Modified` without the body. A
//! client that takes gzip gets the body compressed, compressed once per cached page and node, at
//! the first request that asks for it.

use std::{
    future::Future,
    io::Write,
    marker::PhantomData,
    sync::{Arc, OnceLock},
};

use bytes::Bytes;
use poem::{
    IntoResponse, Request, Response,
    http::{HeaderMap, header},
};
use poem_openapi::{
    ApiResponse,
    payload::{Json, Payload},
    registry::{MetaSchemaRef, Registry},
    types::{ToJSON, Type},
};
use sha2::{Digest, Sha256};

use super::{AppState, error::ApiError};
use crate::cache::{Kind, Ns};

/// Bodies shorter than this are sent as they are: compressing them saves less than it costs.
const COMPRESS_FROM: usize = 1024;

/// What the body of a cached read depends on besides its URL.
const VARY: &str = "accept-encoding";

/// A JSON body as sent, and the strong entity tag naming it.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(from = "Stored", into = "Stored")]
pub struct Rendered {
    body: Bytes,
    etag: Arc<str>,
    /// The body gzip-compressed, made at the first request that takes it and shared by every copy
    /// of this entry the node's cache hands out.
    gzip: Arc<OnceLock<Option<Bytes>>>,
}

/// How Redis holds a [`Rendered`]: the body is JSON text.
#[derive(serde::Serialize, serde::Deserialize)]
struct Stored {
    etag: String,
    body: String,
}

impl From<Stored> for Rendered {
    fn from(s: Stored) -> Self {
        Self {
            body: Bytes::from(s.body),
            etag: s.etag.into(),
            gzip: Arc::default(),
        }
    }
}

impl From<Rendered> for Stored {
    fn from(r: Rendered) -> Self {
        Self {
            // The body was written by serde_json, so it is UTF-8.
            body: String::from_utf8_lossy(&r.body).into_owned(),
            etag: r.etag.to_string(),
        }
    }
}

impl Rendered {
    /// `value` as its JSON response would carry it, with an `ETag` from a hash of those bytes.
    pub fn of<T: ToJSON>(value: &T) -> Self {
        let body = value.to_json_string();
        let digest = Sha256::digest(body.as_bytes());
        let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        let etag = format!("\"{hex}\"");
        Self {
            body: Bytes::from(body),
            etag: etag.into(),
            gzip: Arc::default(),
        }
    }

    /// The response to `req`: `304` when its `If-None-Match` names the body it would get, the body
    /// gzip-compressed when it takes gzip and the body is worth compressing, else the body as is.
    /// Each encoding has its own strong tag (RFC 9110 §8.8.3).
    pub fn respond<T>(self, req: &Request, if_none_match: Option<&str>) -> Cached<T>
    where
        T: Type + Send,
    {
        let (body, etag, encoding) = match accepts_gzip(req.headers())
            .then(|| self.gzipped())
            .flatten()
        {
            Some(gzip) => (gzip, gzip_tag(&self.etag), Some("gzip")),
            None => (self.body, self.etag.to_string(), None),
        };
        if if_none_match.is_some_and(|tags| matches(tags, &etag)) {
            // RFC 9110 §15.4.5: a 304 carries the Vary the 200 would have.
            Cached::NotModified(etag, VARY.to_owned())
        } else {
            Cached::Ok(Prerendered(body, encoding, PhantomData), etag)
        }
    }

    /// The compressed body, when the body is long enough to be worth it.
    fn gzipped(&self) -> Option<Bytes> {
        self.gzip
            .get_or_init(|| {
                if self.body.len() < COMPRESS_FROM {
                    return None;
                }
                let mut encoder = flate2::write::GzEncoder::new(
                    Vec::with_capacity(self.body.len() / 4),
                    flate2::Compression::fast(),
                );
                encoder.write_all(&self.body).ok()?;
                let gzip = encoder.finish().ok()?;
                (gzip.len() < self.body.len()).then(|| Bytes::from(gzip))
            })
            .clone()
    }
}

/// The tag of the gzip-compressed body whose plain form has `etag`.
fn gzip_tag(etag: &str) -> String {
    format!("{}-gzip\"", etag.trim_end_matches('"'))
}

/// Whether a request's `Accept-Encoding` takes gzip: named without `q=0`, or not named and `*`
/// without `q=0` (RFC 9110 §12.5.3: `*` stands for the codings the field does not name).
pub fn accepts_gzip(headers: &HeaderMap) -> bool {
    let mut gzip = None;
    let mut any = None;
    for coding in headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
    {
        let mut parts = coding.split(';').map(str::trim);
        let name = parts.next().unwrap_or_default();
        let taken = !parts.any(|p| {
            p.strip_prefix("q=")
                .and_then(|q| q.parse::<f32>().ok())
                .is_some_and(|q| q == 0.0)
        });
        if name.eq_ignore_ascii_case("gzip") {
            gzip = Some(taken);
        } else if name == "*" {
            any = Some(taken);
        }
    }
    gzip.or(any).unwrap_or(false)
}

/// Whether an `If-None-Match` value names `etag`: `*`, or a list of tags compared weakly (RFC 9110
/// §13.1.2: a `W/` prefix does not matter for this header).
fn matches(if_none_match: &str, etag: &str) -> bool {
    if if_none_match.trim() == "*" {
        return true;
    }
    if_none_match
        .split(',')
        .map(|tag| tag.trim())
        .map(|tag| tag.strip_prefix("W/").unwrap_or(tag))
        .any(|tag| tag == etag)
}

/// The bytes of a `T` rendered earlier (in the content coding named, if any), documented in the
/// OpenAPI document as `T` itself.
pub struct Prerendered<T>(Bytes, Option<&'static str>, PhantomData<fn() -> T>);

impl<T: Type> Payload for Prerendered<T> {
    const CONTENT_TYPE: &'static str = <Json<T> as Payload>::CONTENT_TYPE;

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: Type> IntoResponse for Prerendered<T> {
    fn into_response(self) -> Response {
        let response = Response::builder()
            .content_type(Self::CONTENT_TYPE)
            .header(header::VARY, VARY);
        match self.1 {
            Some(encoding) => response.header(header::CONTENT_ENCODING, encoding),
            None => response,
        }
        .body(self.0)
    }
}

/// A cacheable read: the body with its `ETag`, or `304` when the client already holds it.
#[derive(ApiResponse)]
pub enum Cached<T: Type + Send> {
    /// The resource. `ETag` names this exact body; send it back in `If-None-Match`.
    #[oai(status = 200)]
    Ok(Prerendered<T>, #[oai(header = "ETag")] String),
    /// Unchanged since the `ETag` named in `If-None-Match`: the copy the client holds is current.
    #[oai(status = 304)]
    NotModified(
        #[oai(header = "ETag")] String,
        #[oai(header = "Vary")] String,
    ),
}

/// The rendered value under `key`, from the cache or by `load` (rendered once, on a miss).
pub async fn cached<T, F, Fut>(
    state: &AppState,
    kind: Kind,
    deps: &[Ns],
    key: &str,
    load: F,
) -> Result<Rendered, ApiError>
where
    T: ToJSON,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    state
        .cache
        .get_or_load(kind, deps, key, || async {
            Ok(Rendered::of(&load().await?))
        })
        .await
        .map_err(Arc::unwrap_or_clone)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_names_the_tag_in_any_form_a_client_sends() {
        let etag = "\"0123abcd\"";
        for sent in [
            "\"0123abcd\"",
            "W/\"0123abcd\"",
            "\"other\", \"0123abcd\"",
            " \"other\" ,W/\"0123abcd\" ",
            "*",
        ] {
            assert!(matches(sent, etag), "{sent}");
        }
        for sent in ["\"0123abcde\"", "0123abcd", "\"other\"", ""] {
            assert!(!matches(sent, etag), "{sent}");
        }
    }

    #[test]
    fn the_tag_follows_the_bytes_and_survives_the_shared_cache() {
        let a = Rendered::of(&vec![1u32, 2, 3]);
        let b = Rendered::of(&vec![1u32, 2, 3]);
        let c = Rendered::of(&vec![1u32, 2, 4]);
        assert_eq!(a.etag, b.etag);
        assert_ne!(a.etag, c.etag);
        assert_eq!(&a.body[..], b"[1,2,3]");

        let stored = serde_json::to_vec(&a).unwrap();
        let back: Rendered = serde_json::from_slice(&stored).unwrap();
        assert_eq!((back.body, back.etag), (a.body, a.etag));
    }

    #[test]
    fn gzip_is_taken_unless_refused() {
        let takes = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::ACCEPT_ENCODING, value.parse().unwrap());
            accepts_gzip(&headers)
        };
        for value in ["gzip", "br, gzip;q=0.5", "GZIP", "*", "deflate, gzip; q=1"] {
            assert!(takes(value), "{value}");
        }
        for value in [
            "",
            "br",
            "gzip;q=0",
            "identity",
            "x-gzip2",
            "*;q=0",
            "gzip;q=0, *",
        ] {
            assert!(!takes(value), "{value}");
        }
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    fn respond(rendered: &Rendered, headers: &[(&str, &str)]) -> Response {
        let mut req = Request::builder();
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let req = req.finish();
        let inm = req
            .headers()
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        rendered
            .clone()
            .respond::<Vec<String>>(&req, inm.as_deref())
            .into_response()
    }

    #[tokio::test]
    async fn a_long_body_goes_compressed_under_its_own_tag_and_a_short_one_as_it_is() {
        let long: Vec<String> = (0..200).map(|n| format!("product number {n}")).collect();
        let rendered = Rendered::of(&long);
        let plain = respond(&rendered, &[]);
        let plain_tag = plain.headers()[header::ETAG].to_str().unwrap().to_owned();
        assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
        assert_eq!(plain.headers()[header::VARY], "accept-encoding");

        let zipped = respond(&rendered, &[("accept-encoding", "gzip, br")]);
        assert_eq!(zipped.headers()[header::CONTENT_ENCODING], "gzip");
        let zipped_tag = zipped.headers()[header::ETAG].to_str().unwrap().to_owned();
        assert_ne!(zipped_tag, plain_tag);
        let bytes = zipped.into_body().into_bytes().await.unwrap();
        assert!(bytes.len() * 4 < rendered.body.len(), "{}", bytes.len());
        let mut unzipped = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut unzipped)
            .unwrap();
        assert_eq!(unzipped, rendered.body);

        // Each tag answers 304 only for the encoding it names.
        let again = respond(
            &rendered,
            &[("accept-encoding", "gzip"), ("if-none-match", &zipped_tag)],
        );
        assert_eq!(again.status(), poem::http::StatusCode::NOT_MODIFIED);
        assert_eq!(again.headers()[header::VARY], "accept-encoding");
        let other = respond(&rendered, &[("if-none-match", &zipped_tag)]);
        assert_eq!(other.status(), poem::http::StatusCode::OK);

        let short = Rendered::of(&vec!["one".to_owned()]);
        let response = respond(&short, &[("accept-encoding", "gzip")]);
        assert!(response.headers().get(header::CONTENT_ENCODING).is_none());
        assert_eq!(response.into_body().into_bytes().await.unwrap(), short.body);
    }
}
