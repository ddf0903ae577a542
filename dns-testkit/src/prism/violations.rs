//! What Prism says about an exchange: the violations in its headers and in
//! the problem+json bodies it generates.

use serde_json::Value;

use super::http::header;
use super::relay::Response;

/// The `type` prefix of the problem+json bodies Prism generates itself.
const PRISM_ERRORS: &str = "https://stoplight.io/prism/errors#";

/// The violations Prism reported in one response: the `sl-violations`
/// header when it parses (it lists request and response violations), else
/// the `validation` array of a problem+json body Prism generated, else
/// that problem's type and title.
pub(super) fn violations_in(response: &Response, body: &[u8]) -> Vec<String> {
    let Response {
        exchange,
        status,
        headers,
        ..
    } = response;
    let prefix = format!("{} {} -> {status}", exchange.method, exchange.target);
    let listed = |items: &[Value]| -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for item in items {
            let entry = format!("{prefix}: {}", describe(item));
            if !out.contains(&entry) {
                out.push(entry);
            }
        }
        out
    };

    let header_value = header(headers, "sl-violations");
    if let Some(items) = header_value
        .and_then(|raw| serde_json::from_str::<Value>(raw).ok())
        .as_ref()
        .and_then(Value::as_array)
        && !items.is_empty()
    {
        return listed(items);
    }

    let problem = header(headers, "content-type")
        .filter(|t| {
            t.to_ascii_lowercase()
                .starts_with("application/problem+json")
        })
        .and_then(|_| serde_json::from_slice::<Value>(body).ok());
    if let Some(problem) = &problem
        && let Some(name) = problem
            .get("type")
            .and_then(Value::as_str)
            .and_then(|kind| kind.strip_prefix(PRISM_ERRORS))
    {
        if let Some(items) = problem.get("validation").and_then(Value::as_array)
            && !items.is_empty()
        {
            return listed(items);
        }
        let title = problem.get("title").and_then(Value::as_str).unwrap_or("");
        return vec![format!("{prefix}: {name}: {title}")];
    }

    // A header too long for Prism to send whole ("Too many violations! …").
    match header_value {
        Some(raw) => vec![format!(
            "{prefix}: {}",
            raw.chars().take(500).collect::<String>()
        )],
        None => Vec::new(),
    }
}

/// `request.body: message`, with the severity when it is not an error.
/// Request violations in a 422 body come without the `request` prefix.
fn describe(item: &Value) -> String {
    let location: Vec<&str> = item
        .get("location")
        .and_then(Value::as_array)
        .map(|parts| parts.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut path = location.join(".");
    if !matches!(location.first(), Some(&"request" | &"response")) {
        path = if path.is_empty() {
            "request".into()
        } else {
            format!("request.{path}")
        };
    }
    let message = item
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("(no message)");
    match item.get("severity").and_then(Value::as_str) {
        None | Some("Error") => format!("{path}: {message}"),
        Some(severity) => format!("({severity}) {path}: {message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prism::http::Framing;
    use crate::prism::relay::Exchange;

    fn response(status: u16, headers: &[(&str, &str)]) -> Response {
        Response {
            exchange: Exchange {
                method: "POST".into(),
                target: "/zones/z/dns_records".into(),
            },
            status,
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
            framing: Framing::Empty,
        }
    }

    #[test]
    fn reads_a_422_body() {
        let body = r#"{"type":"https://stoplight.io/prism/errors#UNPROCESSABLE_ENTITY","title":"Invalid request","status":422,"validation":[{"location":["body"],"severity":"Error","code":"required","message":"Request body must have required property 'data'"},{"location":["body"],"severity":"Error","code":"required","message":"Request body must have required property 'data'"},{"location":["query","per_page"],"severity":"Warning","message":"m"}]}"#;
        let found = violations_in(
            &response(422, &[("content-type", "application/problem+json")]),
            body.as_bytes(),
        );
        assert_eq!(
            found,
            [
                "POST /zones/z/dns_records -> 422: request.body: Request body must have required property 'data'",
                "POST /zones/z/dns_records -> 422: (Warning) request.query.per_page: m",
            ]
        );
    }

    #[test]
    fn prefers_the_header_and_falls_back_on_the_body() {
        let item = r#"[{"location":["response","body"],"severity":"Error","code":"required","message":"Response body must have required property 'success'"}]"#;
        let body = format!(
            r#"{{"type":"https://stoplight.io/prism/errors#VIOLATIONS","title":"Request/Response not valid","status":500,"validation":{item}}}"#
        );
        let expected = [
            "POST /zones/z/dns_records -> 500: response.body: Response body must have required property 'success'",
        ];
        let with_header = response(
            500,
            &[
                ("sl-violations", item),
                ("content-type", "application/problem+json"),
            ],
        );
        assert_eq!(violations_in(&with_header, body.as_bytes()), expected);
        let truncated = response(
            500,
            &[
                ("sl-violations", "Too many violations! [{\"loc"),
                ("content-type", "application/problem+json"),
            ],
        );
        assert_eq!(violations_in(&truncated, body.as_bytes()), expected);
    }

    #[test]
    fn other_prism_errors_are_reported_but_not_upstream_ones() {
        let problem = response(401, &[("content-type", "application/problem+json")]);
        let body = r#"{"type":"https://stoplight.io/prism/errors#UNAUTHORIZED","title":"Invalid security scheme used","status":401}"#;
        assert_eq!(
            violations_in(&problem, body.as_bytes()),
            ["POST /zones/z/dns_records -> 401: UNAUTHORIZED: Invalid security scheme used"]
        );
        let fetch = r#"{"type":"FetchError","title":"request failed","status":500,"detail":""}"#;
        assert!(
            violations_in(
                &response(500, &[("content-type", "application/problem+json")]),
                fetch.as_bytes()
            )
            .is_empty()
        );
        let upstream =
            r#"{"success":false,"errors":[{"code":81044,"message":"Record does not exist."}]}"#;
        assert!(
            violations_in(
                &response(404, &[("content-type", "application/json")]),
                upstream.as_bytes()
            )
            .is_empty()
        );
    }
}
