//! Public reads kept in the cache as the bytes sent: a hit costs a lookup and a reference count,
//! not a conversion and a serialisation per request. Each body carries a strong `ETag`, so a client
//! that holds the page asks with `If-None-Match` and gets `304 Not Modified` without the body.

use std::{future::Future, marker::PhantomData, sync::Arc};

use bytes::Bytes;
use poem::{IntoResponse, Response};
use poem_openapi::{
    ApiResponse,
    payload::{Json, Payload},
    registry::{MetaSchemaRef, Registry},
    types::{ToJSON, Type},
};
use sha2::{Digest, Sha256};

use super::{AppState, error::ApiError};
use crate::cache::{Kind, Ns};

/// A JSON body as sent, and the strong entity tag naming it.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(from = "Stored", into = "Stored")]
pub struct Rendered {
    body: Bytes,
    etag: Arc<str>,
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
        }
    }

    /// The response to a request whose `If-None-Match` header is `if_none_match`.
    pub fn respond<T>(self, if_none_match: Option<&str>) -> Cached<T>
    where
        T: Type + Send,
    {
        let etag = self.etag.to_string();
        if if_none_match.is_some_and(|tags| matches(tags, &self.etag)) {
            Cached::NotModified(etag)
        } else {
            Cached::Ok(Prerendered(self.body, PhantomData), etag)
        }
    }
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

/// The bytes of a `T` rendered earlier, documented in the OpenAPI document as `T` itself.
pub struct Prerendered<T>(Bytes, PhantomData<fn() -> T>);

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
        Response::builder()
            .content_type(Self::CONTENT_TYPE)
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
    NotModified(#[oai(header = "ETag")] String),
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
}
