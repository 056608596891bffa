//! Request bodies as the service accepts them: not content-encoded (415
//! otherwise: the service decodes no gzip or brotli), and read completely
//! within [`BodyTimeout`] (`HTTP_BODY_TIMEOUT_SECS`) of the first poll, so a
//! client trickling a body byte by byte cannot hold a connection for
//! minutes. A body that is too slow fails its extractor with a timeout,
//! answered 408 (see `orders::json_config`), and the connection is closed.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{ResponseError, web};
use futures::{Stream, StreamExt};
use std::time::Duration;
use tokio::time::Instant;

use super::ApiError;

/// The longest a request body may take to arrive, from its first read
/// (app data; 10 s when absent).
#[derive(Debug, Clone, Copy)]
pub struct BodyTimeout(pub Duration);

/// Middleware (with `from_fn`): refuses encoded bodies and bounds the time
/// a body may take to arrive.
pub async fn guard_body(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let encoding = req.headers().get(header::CONTENT_ENCODING).and_then(|v| v.to_str().ok());
    if let Some(encoding) = encoding.filter(|e| !e.trim().eq_ignore_ascii_case("identity")) {
        let refused = ApiError::UnsupportedMediaType(format!(
            "Content-Encoding {encoding} is not supported: send the body uncompressed"
        ));
        return Ok(req.into_response(refused.error_response()));
    }
    let limit = req.app_data::<web::Data<BodyTimeout>>().map_or(Duration::from_secs(10), |t| t.0);
    let (http, payload) = req.into_parts();
    let payload = with_deadline(payload, limit).boxed_local();
    let req = ServiceRequest::from_parts(http, Payload::Stream { payload });
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// `payload`, failing with a timeout once `limit` has passed since it was
/// first polled.
fn with_deadline(payload: Payload, limit: Duration) -> impl Stream<Item = Result<Bytes, PayloadError>> {
    futures::stream::unfold((payload, None::<Instant>), move |(mut payload, deadline)| async move {
        let deadline = deadline.unwrap_or_else(|| Instant::now() + limit);
        match tokio::time::timeout_at(deadline, payload.next()).await {
            Ok(Some(chunk)) => Some((chunk, (payload, Some(deadline)))),
            Ok(None) => None,
            Err(_) => {
                let late = std::io::Error::new(std::io::ErrorKind::TimedOut, "request body read timed out");
                // After the error the stream ends: the extractor stops here.
                Some((Err(PayloadError::Io(late)), (Payload::None, Some(deadline))))
            }
        }
    })
}
