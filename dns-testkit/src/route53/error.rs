//! The errors the fake answers with, and their `ErrorResponse` bodies.

use super::xml::{NAMESPACE, escape};

/// A Route 53 error: HTTP status, code, message and (for
/// `InvalidChangeBatch`) one message per failing change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) status: u16,
    pub(crate) code: &'static str,
    pub(crate) message: String,
    pub(crate) messages: Option<Vec<String>>,
}

impl ApiError {
    fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            messages: None,
        }
    }

    /// 400 `InvalidInput`.
    pub(crate) fn invalid_input(message: impl Into<String>) -> Self {
        Self::new(400, "InvalidInput", message)
    }

    /// 404 `NoSuchHostedZone`.
    pub(crate) fn no_such_hosted_zone(id: &str) -> Self {
        Self::new(
            404,
            "NoSuchHostedZone",
            format!("No hosted zone found with ID: {id}"),
        )
    }

    /// 404 `NoSuchChange`.
    pub(crate) fn no_such_change(id: &str) -> Self {
        Self::new(
            404,
            "NoSuchChange",
            format!("No change found with ID: {id}"),
        )
    }

    /// 400 `Throttling` / `Rate exceeded` (Route 53 does not use 429).
    pub(crate) fn throttling() -> Self {
        Self::new(400, "Throttling", "Rate exceeded")
    }

    /// 500 `InternalFailure`, a server-side error.
    pub(crate) fn internal_failure() -> Self {
        Self::new(
            500,
            "InternalFailure",
            "The request processing has failed because of an unknown error.",
        )
    }

    /// 503 `ServiceUnavailable`, as a gateway answers when the service's
    /// own answer was lost.
    pub(crate) fn service_unavailable() -> Self {
        Self::new(503, "ServiceUnavailable", "Service Unavailable")
    }

    /// 400 `PriorRequestNotComplete`.
    pub(crate) fn prior_request_not_complete() -> Self {
        Self::new(
            400,
            "PriorRequestNotComplete",
            "The request was rejected because Route 53 was still processing a prior request.",
        )
    }

    /// 403 `InvalidClientTokenId`.
    pub(crate) fn auth_failure() -> Self {
        Self::new(
            403,
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        )
    }

    /// 400 `InvalidChangeBatch`; `Message` is the list in brackets, joined
    /// with `", "`, as the live service sends it.
    pub(crate) fn invalid_change_batch(messages: Vec<String>) -> Self {
        let mut error = Self::new(
            400,
            "InvalidChangeBatch",
            format!("[{}]", messages.join(", ")),
        );
        error.messages = Some(messages);
        error
    }

    /// The messages for the batch log.
    pub(crate) fn log_messages(&self) -> Vec<String> {
        self.messages
            .clone()
            .unwrap_or_else(|| vec![self.message.clone()])
    }

    /// The `ErrorResponse` body. With `modelled_list`, an
    /// `InvalidChangeBatch` also carries the `<messages>` list the SDK's
    /// model reads into `InvalidChangeBatch::messages()`.
    pub(crate) fn body(&self, request_id: &str, modelled_list: bool) -> String {
        let mut out = format!(
            "<?xml version=\"1.0\"?>\n<ErrorResponse xmlns=\"{NAMESPACE}\"><Error><Type>Sender</Type><Code>{}</Code><Message>{}</Message>",
            self.code,
            escape(&self.message)
        );
        if let (true, Some(messages)) = (modelled_list, &self.messages) {
            out.push_str("<messages>");
            for message in messages {
                out.push_str("<Message>");
                out.push_str(&escape(message));
                out.push_str("</Message>");
            }
            out.push_str("</messages>");
        }
        out.push_str("</Error><RequestId>");
        out.push_str(&escape(request_id));
        out.push_str("</RequestId></ErrorResponse>");
        out
    }
}
