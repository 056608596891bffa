//! The error responses of the OpenAPI document: for each route, every
//! status it can answer with `{"error":{"code","message"}}`, the `code`
//! values that status carries there, and the headers that come with it
//! (`Retry-After` on 429 and 503, `WWW-Authenticate` on 401). Each set is a
//! `utoipa::IntoResponses` type that a handler's `#[utoipa::path]` names;
//! the responses themselves are defined once, in `components.responses`.
//! Pure description: nothing here can fail at runtime.

use std::collections::BTreeMap;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder, Schema};

/// One error status as a route answers it.
#[derive(Debug, Clone, Copy)]
struct Failure {
    /// Its name under `components.responses`.
    name: &'static str,
    status: u16,
    codes: &'static [&'static str],
    when: &'static str,
}

const BAD_BODY: Failure = Failure {
    name: "BadBody",
    status: 400,
    codes: &["malformed_json", "bad_request"],
    when: "The body is not syntactically valid JSON (`malformed_json`) or cannot be read (`bad_request`).",
};
const BAD_ORDER_REQUEST: Failure = Failure {
    name: "BadOrderRequest",
    status: 400,
    codes: &["malformed_json", "bad_request", "invalid_idempotency_key"],
    when: "The body is not valid JSON (`malformed_json`) or cannot be read (`bad_request`), or the \
           `Idempotency-Key` is not 1-255 visible ASCII characters (`invalid_idempotency_key`).",
};
const BAD_QUERY: Failure = Failure {
    name: "BadQuery",
    status: 400,
    codes: &["invalid_query"],
    when: "The query string does not fit the parameters.",
};
const BAD_LIST_QUERY: Failure = Failure {
    name: "BadListQuery",
    status: 400,
    codes: &["bad_request"],
    when: "An unknown parameter, or a value that does not fit its parameter.",
};
const UNAUTHORIZED: Failure = Failure {
    name: "Unauthorized",
    status: 401,
    codes: &["unauthorized"],
    when: "`ADMIN_TOKEN` is set and the bearer token is missing or wrong.",
};
const FORBIDDEN: Failure = Failure {
    name: "Forbidden",
    status: 403,
    codes: &["forbidden"],
    when: "Without `ADMIN_TOKEN`, only loopback clients may call admin routes; a foreign `Origin` or `Host` \
           is refused.",
};
const NOT_FOUND: Failure = Failure { name: "NotFound", status: 404, codes: &["not_found"], when: "No such resource." };
const TIMEOUT: Failure = Failure {
    name: "RequestTimeout",
    status: 408,
    codes: &["request_timeout"],
    when: "The body did not arrive in time.",
};
const TOO_LARGE: Failure = Failure {
    name: "PayloadTooLarge",
    status: 413,
    codes: &["payload_too_large"],
    when: "The body is over 64 KiB (65,536 bytes).",
};
const MEDIA: Failure = Failure {
    name: "UnsupportedMediaType",
    status: 415,
    codes: &["unsupported_media_type"],
    when: "`Content-Type` is not `application/json`, or the body has a `Content-Encoding`.",
};
const ORDER_RULES: Failure = Failure {
    name: "InvalidOrder",
    status: 422,
    codes: &["invalid_order", "invalid_sku", "price_mismatch", "idempotency_key_reused"],
    when: "Valid JSON that breaks a rule (`invalid_order`, or `invalid_sku` for a SKU outside the grammar; \
           the message names the field), a unit price that differs from the SKU's list price \
           (`price_mismatch`), or a reused `Idempotency-Key` with a different body (`idempotency_key_reused`). \
           Nothing is published.",
};
const STOCK_RULES: Failure = Failure {
    name: "InvalidStock",
    status: 422,
    codes: &["invalid_sku", "invalid_stock", "invalid_order"],
    when: "A bad SKU in the path (`invalid_sku`), a bad `available` or `price_minor` (`invalid_stock`), or JSON of the \
           wrong shape (`invalid_order`).",
};
const SKU_RULE: Failure =
    Failure { name: "InvalidSku", status: 422, codes: &["invalid_sku"], when: "A bad SKU in the path." };
const WINDOW_TOO_WIDE: Failure = Failure {
    name: "WindowTooWide",
    status: 422,
    codes: &["window_too_wide"],
    when: "The window holds more records than one query reads (`ORDER_QUERY_MAX_RECORDS`, 3 s): narrow it.",
};
const RATE_LIMITED: Failure = Failure {
    name: "RateLimited",
    status: 429,
    codes: &["rate_limited"],
    when: "Over the per-client rate limit (`RATE_LIMIT_PER_SEC`, off by default).",
};
const INTERNAL: Failure = Failure {
    name: "Internal",
    status: 500,
    codes: &["internal"],
    when: "A stored record cannot be decoded, or another non-transient fault.",
};
const UNAVAILABLE: Failure = Failure {
    name: "Unavailable",
    status: 503,
    codes: &["unavailable"],
    when: "NATS is unreachable or timed out, or an actor is restarting: nothing was accepted; retry.",
};

/// `{"error":{"code","message"}}` with `code` limited to `codes`.
fn error_schema(codes: &[&str]) -> Schema {
    let code = ObjectBuilder::new().schema_type(Type::String).enum_values(Some(codes.iter().copied()));
    let detail = ObjectBuilder::new()
        .property("code", code)
        .property("message", ObjectBuilder::new().schema_type(Type::String))
        .required("code")
        .required("message");
    ObjectBuilder::new().property("error", detail).required("error").into()
}

fn header(description: &str, schema_type: Type) -> utoipa::openapi::header::Header {
    HeaderBuilder::new()
        .schema(Some(ObjectBuilder::new().schema_type(schema_type)))
        .description(Some(description))
        .build()
}

fn response(failure: Failure) -> Response {
    let mut builder = ResponseBuilder::new()
        .description(failure.when)
        .content("application/json", ContentBuilder::new().schema(Some(error_schema(failure.codes))).build());
    if matches!(failure.status, 429 | 503) {
        builder = builder.header("Retry-After", header("Seconds to wait before retrying.", Type::Integer));
    }
    if failure.status == 401 {
        builder = builder.header("WWW-Authenticate", header("`Bearer`.", Type::String));
    }
    builder.build()
}

/// Every error response, for `components.responses`.
const ALL: [Failure; 17] = [
    BAD_BODY,
    BAD_ORDER_REQUEST,
    BAD_QUERY,
    BAD_LIST_QUERY,
    UNAUTHORIZED,
    FORBIDDEN,
    NOT_FOUND,
    TIMEOUT,
    TOO_LARGE,
    MEDIA,
    ORDER_RULES,
    STOCK_RULES,
    SKU_RULE,
    WINDOW_TOO_WIDE,
    RATE_LIMITED,
    INTERNAL,
    UNAVAILABLE,
];

/// Registers every error response under `components.responses`.
pub(super) fn register(doc: &mut utoipa::openapi::OpenApi) {
    let components = doc.components.get_or_insert_with(Default::default);
    for failure in ALL {
        components.responses.insert(failure.name.to_string(), RefOr::T(response(failure)));
    }
}

fn responses(failures: &[Failure]) -> BTreeMap<String, RefOr<Response>> {
    let reference = |f: &Failure| RefOr::Ref(Ref::from_response_name(f.name));
    failures.iter().map(|f| (f.status.to_string(), reference(f))).collect()
}

/// Declares a route's error set as an `IntoResponses` type.
macro_rules! error_set {
    ($($(#[$doc:meta])* $name:ident = [$($failure:expr),* $(,)?];)*) => {$(
        $(#[$doc])*
        #[derive(Debug)]
        pub(in crate::http) struct $name;

        impl utoipa::IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<Response>> {
                responses(&[$($failure),*])
            }
        }
    )*};
}

error_set! {
    /// `POST /orders`.
    PlaceOrderErrors = [BAD_ORDER_REQUEST, TIMEOUT, TOO_LARGE, MEDIA, ORDER_RULES, RATE_LIMITED, INTERNAL, UNAVAILABLE];
    /// `GET /orders/{id}`.
    GetOrderErrors = [NOT_FOUND, RATE_LIMITED, INTERNAL, UNAVAILABLE];
    /// `PUT /inventory/{sku}` (admin).
    SetStockErrors = [
        BAD_BODY, UNAUTHORIZED, FORBIDDEN, TIMEOUT, TOO_LARGE, MEDIA, STOCK_RULES, RATE_LIMITED, INTERNAL, UNAVAILABLE,
    ];
    /// `GET /inventory/{sku}`.
    GetStockErrors = [NOT_FOUND, SKU_RULE, RATE_LIMITED, INTERNAL, UNAVAILABLE];
    /// `GET /dlq`, `GET /api/dlq` (admin).
    ListDeadLettersErrors = [BAD_QUERY, UNAUTHORIZED, FORBIDDEN, RATE_LIMITED, INTERNAL, UNAVAILABLE];
    /// Admin routes that look something up: replay, timeline.
    AdminLookupErrors = [UNAUTHORIZED, FORBIDDEN, NOT_FOUND, RATE_LIMITED, INTERNAL, UNAVAILABLE];
    /// Admin reads of in-memory state: overview, actors.
    AdminReadErrors = [UNAUTHORIZED, FORBIDDEN, RATE_LIMITED];
    /// `GET /api/stream` (admin): 503 past `DASHBOARD_STREAM_CLIENTS`.
    StreamErrors = [UNAUTHORIZED, FORBIDDEN, RATE_LIMITED, UNAVAILABLE];
    /// `GET /api/orders` (admin).
    OrderListErrors = [BAD_LIST_QUERY, UNAUTHORIZED, FORBIDDEN, WINDOW_TOO_WIDE, RATE_LIMITED, INTERNAL, UNAVAILABLE];
    /// `POST /api/actors/{name}/crash` (admin).
    CrashErrors = [UNAUTHORIZED, FORBIDDEN, NOT_FOUND, RATE_LIMITED];
    /// `GET /dashboard/static/{file}`.
    StaticFileErrors = [NOT_FOUND, RATE_LIMITED];
    /// Public pages and documents: only the rate limit.
    PublicErrors = [RATE_LIMITED];
}
