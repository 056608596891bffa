//! Payment: the `PaymentGateway` abstraction (HTTP provider or built-in
//! simulator) and the supervised `PaymentActor` that calls it with retries.

mod actor;
mod gateway;
mod http_gateway;
mod simulator;

pub use actor::{CapturePayment, PaymentActor, PaymentAnswer, PaymentReply, claim_lease};
pub use gateway::{ChargeRequest, PaymentError, PaymentErrorKind, PaymentGateway, PaymentOutcome};
pub use http_gateway::HttpGateway;
pub use simulator::Simulator;
