//! The API's operations as the served OpenAPI document lists them, and the browser apps' session calls
//! beside them, found by method and path before routing: what the request path needs to know of an
//! operation before a handler runs (how large a body it takes, whether it is expensive) and its path
//! template for metrics.

use std::{collections::HashMap, sync::OnceLock};

use poem::http::Method;

/// One documented operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// `operationId` in the document.
    pub id: String,
    /// The path template under the server's root: `/api/v1/products/{id}`.
    pub template: String,
    /// Work that grows with the catalogue or the athlete's history, or a password hash: counted
    /// against `rate_limit.expensive_requests` as well.
    pub expensive: bool,
    /// The one operation that takes a file (`feeds.max_bytes`), from admins only.
    pub upload: bool,
}

/// Operations that plan, rank, export, hash a password or run an operator's job.
const EXPENSIVE: &[&str] = &[
    "createShoppingPlan",
    "planDay",
    "planWeek",
    "swapMealPlanDish",
    "mealPlanShoppingList",
    "getRecommendations",
    "getAthleteRecommendations",
    "confirmSupplement",
    "confirmAthleteSupplement",
    "getDosage",
    "exportAccount",
    "changePassword",
    "deleteAccount",
    "reauthenticate",
    "createBackup",
    "verifyBackup",
    "deepVerifyBackup",
    "restoreBackup",
    "downloadBackup",
    "importPriceFeed",
    "fetchPriceFeed",
    "runSelfCheck",
];

/// The price list upload.
const UPLOAD: &str = "importPriceFeed";

/// Where the document's paths are served.
const ROOT: &str = "/api/v1";

/// A path template split into its segments: `None` for a parameter.
type Segments = Vec<Option<String>>;

struct Index {
    /// (method, number of segments) → the operations with that shape.
    by_shape: HashMap<(Method, usize), Vec<(Segments, Operation)>>,
}

fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| {
        let spec: serde_json::Value =
            serde_json::from_str(super::schema::document()).unwrap_or_default();
        let mut by_shape: HashMap<(Method, usize), Vec<(Segments, Operation)>> = HashMap::new();
        for (path, item) in spec["paths"].as_object().into_iter().flatten() {
            let segments: Segments = path
                .split('/')
                .skip(1)
                .map(|s| (!(s.starts_with('{') && s.ends_with('}'))).then(|| s.to_owned()))
                .collect();
            for (method, op) in item.as_object().into_iter().flatten() {
                let Ok(method) = method.to_ascii_uppercase().parse::<Method>() else {
                    continue;
                };
                let id = op["operationId"].as_str().unwrap_or_default().to_owned();
                let operation = Operation {
                    expensive: EXPENSIVE.contains(&id.as_str()),
                    upload: id == UPLOAD,
                    template: format!("{ROOT}{path}"),
                    id,
                };
                by_shape
                    .entry((method, segments.len()))
                    .or_default()
                    .push((segments.clone(), operation));
            }
        }
        // Literal segments win over parameters, left to right, as in the router.
        for candidates in by_shape.values_mut() {
            candidates.sort_by(|a, b| {
                let literal = |s: &Segments| s.iter().map(|x| x.is_none()).collect::<Vec<_>>();
                literal(&a.0).cmp(&literal(&b.0))
            });
        }
        Index { by_shape }
    })
}

/// The browser apps' session calls (`api::web_session`), which are not in the document.
fn session_calls() -> &'static [(Method, Operation)] {
    static CALLS: OnceLock<Vec<(Method, Operation)>> = OnceLock::new();
    CALLS.get_or_init(|| {
        let call = |method: Method, id: &str, template: String, expensive: bool| {
            let operation = Operation {
                id: id.to_owned(),
                template,
                expensive,
                upload: false,
            };
            (method, operation)
        };
        let dashboard = super::web_session::DASHBOARD.path;
        let app = super::web_session::APP.path;
        vec![
            call(Method::POST, "dashboardSignIn", dashboard.to_owned(), true),
            call(
                Method::DELETE,
                "dashboardSignOut",
                dashboard.to_owned(),
                false,
            ),
            call(
                Method::POST,
                "dashboardRefresh",
                format!("{dashboard}/refresh"),
                false,
            ),
            call(
                Method::POST,
                "dashboardSetUp",
                format!("{dashboard}/setup"),
                true,
            ),
            call(Method::POST, "appSignIn", app.to_owned(), true),
            call(Method::DELETE, "appSignOut", app.to_owned(), false),
            call(Method::POST, "appRefresh", format!("{app}/refresh"), false),
            call(Method::POST, "appAdopt", format!("{app}/adopt"), false),
        ]
    })
}

/// The operation `method path` calls, if it is one of the document's (a path under `/api/v1`) or
/// one of the browser apps' session calls.
pub fn find(method: &Method, path: &str) -> Option<&'static Operation> {
    if super::web_session::site_of(path).is_some() {
        return session_calls()
            .iter()
            .find(|(m, op)| m == method && op.template == path)
            .map(|(_, op)| op);
    }
    let rest = path.strip_prefix(ROOT)?;
    let segments: Vec<&str> = rest.split('/').skip(1).collect();
    if !rest.starts_with('/') || segments.iter().any(|s| s.is_empty()) {
        return None;
    }
    index()
        .by_shape
        .get(&(method.clone(), segments.len()))?
        .iter()
        .find(|(template, _)| {
            template
                .iter()
                .zip(&segments)
                .all(|(t, s)| t.as_deref().is_none_or(|t| t == *s))
        })
        .map(|(_, op)| op)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_find_their_operation() {
        let id = |m: Method, p: &str| find(&m, p).map(|o| o.id.as_str());
        assert_eq!(id(Method::GET, "/api/v1/products"), Some("listProducts"));
        assert_eq!(
            id(Method::POST, "/admin/session/refresh"),
            Some("dashboardRefresh")
        );
        assert_eq!(id(Method::GET, "/admin/session"), None);
        assert_eq!(id(Method::POST, "/app/session/adopt"), Some("appAdopt"));
        assert_eq!(
            id(
                Method::GET,
                "/api/v1/products/0190b9a4-0000-7000-8000-000000000000"
            ),
            Some("getProduct")
        );
        // A literal segment beats a parameter in the same place.
        assert_eq!(
            id(Method::GET, "/api/v1/meal-plans/shopping-list"),
            Some("mealPlanShoppingList")
        );
        assert_eq!(
            id(Method::GET, "/api/v1/meal-plans/2026-12-06"),
            Some("getMealPlan")
        );
        assert_eq!(
            id(Method::POST, "/api/v1/admin/stores/abc/price-feed"),
            Some("importPriceFeed")
        );
        assert!(
            find(&Method::POST, "/api/v1/admin/stores/abc/price-feed")
                .unwrap()
                .upload
        );
        assert!(
            find(&Method::POST, "/api/v1/shopping-plan")
                .unwrap()
                .expensive
        );
        assert!(!find(&Method::GET, "/api/v1/products").unwrap().expensive);
        assert_eq!(
            find(&Method::GET, "/api/v1/products/x").unwrap().template,
            "/api/v1/products/{id}"
        );
    }

    #[test]
    fn unknown_paths_and_methods_find_nothing() {
        for (m, p) in [
            (Method::POST, "/api/v1/anything/price-feed"),
            (Method::DELETE, "/api/v1/products"),
            (Method::GET, "/api/v1/products/"),
            (Method::GET, "/api/v1//products"),
            (Method::GET, "/api/v1"),
            (Method::GET, "/health"),
        ] {
            assert_eq!(find(&m, p), None, "{m} {p}");
        }
    }

    #[test]
    fn every_listed_operation_exists() {
        let ids: Vec<String> = index()
            .by_shape
            .values()
            .flatten()
            .map(|(_, o)| o.id.clone())
            .collect();
        for id in EXPENSIVE.iter().chain([&UPLOAD]) {
            assert!(ids.iter().any(|i| i == id), "{id} is not in the document");
        }
    }
}
