//! [`ApiDoc`]: the OpenAPI 3.1 document, assembled by utoipa from the
//! handlers' `#[utoipa::path]` annotations and the types they name. Routes
//! served by a handler under a second path (the `/api/dlq` aliases, the
//! per-order dashboard page) are copied from the first path here.

use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn, PathItem};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi as Document, Required};
use utoipa::{Modify, OpenApi};

use super::rules::Rules;

use crate::http::{admin, api, dashboard, health, inventory, order_list, orders, stream};

/// The whole HTTP contract.
#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "order-service", description = "Event-driven order processing: orders, inventory, \
        operations and the operator (admin) API. Money is integer minor units. Every error is \
        `{\"error\":{\"code\",\"message\"}}`. Request bodies are at most 64 KiB (65,536 bytes); a \
        request with a `Content-Encoding` other than `identity` is refused with 415 `unsupported_media_type`. \
        Integer fields take JSON integer literals: `2.0` or `2e0` is refused with 422."),
    paths(
        orders::place, orders::get, inventory::set, inventory::get,
        health::health, health::ready, health::metrics, super::document,
        admin::list, admin::replay,
        api::overview, api::actors, order_list::list, api::timeline, stream::stream, api::crash,
        dashboard::page, dashboard::file,
    ),
    modifiers(&Aliases, &Components, &Rules),
    tags(
        (name = "orders", description = "Placing orders and reading them back."),
        (name = "inventory", description = "Stock per SKU; setting it is an admin route."),
        (name = "operations", description = "Liveness, readiness, metrics and this document."),
        (name = "admin", description = "Dead letters and the operator API: bearer token when `ADMIN_TOKEN` \
            is set, else loopback clients only."),
        (name = "dashboard", description = "The operator dashboard (HTML)."),
    ),
)]
pub(in crate::http) struct ApiDoc;

/// The `bearer` security scheme that admin operations require, and the
/// shared error responses.
#[derive(Debug)]
struct Components;

impl Modify for Components {
    fn modify(&self, doc: &mut Document) {
        super::errors::register(doc);
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some("The `ADMIN_TOKEN` value, compared in constant time."))
            .build();
        doc.components.get_or_insert_with(Default::default).add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// Second paths of shared handlers: `(served path, alias, operation id prefix)`.
const ALIASES: [(&str, &str); 2] = [("/dlq", "/api/dlq"), ("/dlq/{id}/replay", "/api/dlq/{id}/replay")];

#[derive(Debug)]
struct Aliases;

impl Modify for Aliases {
    fn modify(&self, doc: &mut Document) {
        for (path, alias) in ALIASES {
            if let Some(item) = doc.paths.paths.get(path).cloned() {
                doc.paths.paths.insert(alias.to_string(), deprecated(renamed(item, "api_")));
            }
        }
        if let Some(item) = doc.paths.paths.get("/dashboard").cloned() {
            let mut item = renamed(item, "order_");
            if let Some(get) = item.get.as_mut() {
                get.parameters.get_or_insert_with(Vec::new).push(order_id_parameter().into());
            }
            doc.paths.paths.insert("/dashboard/orders/{id}".to_string(), item);
        }
    }
}

/// The same operations marked deprecated (`/api/dlq` is kept for clients
/// written against it; `/dlq` is the route).
fn deprecated(mut item: PathItem) -> PathItem {
    let operations: [&mut Option<Operation>; 3] = [&mut item.get, &mut item.put, &mut item.post];
    for operation in operations.into_iter().flatten() {
        operation.deprecated = Some(utoipa::openapi::Deprecated::True);
    }
    item
}

/// The same operations with `prefix` before each operation id (ids are unique).
fn renamed(mut item: PathItem, prefix: &str) -> PathItem {
    let operations: [&mut Option<Operation>; 3] = [&mut item.get, &mut item.put, &mut item.post];
    for operation in operations.into_iter().flatten() {
        operation.operation_id = operation.operation_id.as_ref().map(|id| format!("{prefix}{id}"));
    }
    item
}

fn order_id_parameter() -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name("id")
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .description(Some("The order id; the page loads it from the admin API."))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .build()
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};
    use utoipa::OpenApi;

    use super::ApiDoc;
    use crate::domain::limits;

    fn document() -> Value {
        serde_json::to_value(ApiDoc::openapi()).expect("document as JSON")
    }

    #[test]
    fn order_limits_in_the_document_are_the_validation_limits() {
        let doc = document();
        let order = &doc["components"]["schemas"]["NewOrder"]["properties"];
        let item = &doc["components"]["schemas"]["NewOrderItem"]["properties"];
        assert_eq!(order["customer_id"]["maxLength"], json!(limits::MAX_CUSTOMER_ID_LEN));
        assert_eq!(order["items"]["maxItems"], json!(limits::MAX_ITEMS));
        assert_eq!(order["payment_token"]["maxLength"], json!(limits::MAX_PAYMENT_TOKEN_LEN));
        assert_eq!(item["sku"]["maxLength"], json!(limits::MAX_SKU_LEN));
        assert_eq!(item["quantity"]["maximum"], json!(limits::MAX_QUANTITY));
        assert_eq!(item["unit_price_minor"]["maximum"], json!(limits::MAX_UNIT_PRICE_MINOR));
    }

    #[test]
    fn the_sku_path_parameter_has_the_same_rule_as_the_body_sku() {
        let doc = document();
        let body = &doc["components"]["schemas"]["NewOrderItem"]["properties"]["sku"];
        let parameter = &doc["paths"]["/inventory/{sku}"]["get"]["parameters"][0]["schema"];
        for keyword in ["pattern", "minLength", "maxLength"] {
            assert_eq!(parameter[keyword], body[keyword], "{keyword}");
        }
    }
}
