//! The wiremock responder: injects faults, checks credentials, routes
//! each request to its operation under the lock, and logs it.

use std::time::Duration;

use rand::rngs::StdRng;
use serde_json::{Value, json};
use wiremock::{Request, ResponseTemplate};

use super::error::ApiError;
use super::ids;
use super::list;
use super::ops;
use super::route::Route;
use super::state::{Access, Credentials, State};
use super::types::{Fault, LoggedRequest};
use super::zones::Zone;
use crate::fake_http::{self, query};

/// What a Cloudflare edge sends when the origin API is unreachable.
const BAD_GATEWAY: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n";

/// An answer before it becomes a `ResponseTemplate`.
#[derive(Debug)]
struct Answer {
    status: u16,
    body: Vec<u8>,
    content_type: &'static str,
    headers: Vec<(&'static str, String)>,
    fault: Option<Fault>,
    codes: Vec<u32>,
    /// A write that reached its operation (applied if it succeeded), so
    /// its answer may be lost.
    handled_write: bool,
}

impl Answer {
    fn json(status: u16, body: &Value) -> Self {
        Self {
            status,
            body: serde_json::to_vec(body).unwrap_or_default(),
            content_type: "application/json",
            headers: Vec::new(),
            fault: None,
            codes: Vec::new(),
            handled_write: false,
        }
    }

    fn error(error: &ApiError) -> Self {
        let mut answer = Self::json(error.status, &error.body());
        answer.codes = error.codes();
        answer
    }

    fn result(result: Result<Value, ApiError>) -> Self {
        match result {
            Ok(body) => Self::json(200, &body),
            Err(error) => Self::error(&error),
        }
    }

    fn bad_gateway() -> Self {
        Self {
            status: 502,
            body: BAD_GATEWAY.as_bytes().to_vec(),
            content_type: "text/html",
            headers: Vec::new(),
            fault: Some(Fault::ServerError),
            codes: Vec::new(),
            handled_write: false,
        }
    }

    /// HTTP 200 with the first half of the body: not valid JSON.
    fn malformed(mut self) -> Self {
        self.body.truncate(self.body.len() / 2);
        self.status = 200;
        self.content_type = "application/json";
        self.fault = Some(Fault::Malformed);
        self
    }

    fn template(self, delay: Duration) -> ResponseTemplate {
        let mut template = ResponseTemplate::new(self.status)
            .set_body_raw(self.body, self.content_type)
            .insert_header("cf-ray", ids::ray_id().as_str());
        for (name, value) in self.headers {
            template = template.insert_header(name, value.as_str());
        }
        if delay.is_zero() {
            template
        } else {
            template.set_delay(delay)
        }
    }
}

/// Answers one request from the state (under the fake's lock).
pub(crate) fn respond(state: &mut State, request: &Request) -> ResponseTemplate {
    let route = Route::parse(request.method.as_str(), request.url.path());
    let batch_operations = matches!(route, Route::Batch(_)).then(|| ops::batch_size(&request.body));

    let mut answer = if fake_http::roll(&mut state.fault_rng, state.knobs.server_error_share) {
        Answer::bad_gateway()
    } else if fake_http::roll(&mut state.fault_rng, state.knobs.throttle_share) {
        let mut answer = Answer::error(&ApiError::throttled());
        answer
            .headers
            .push(("retry-after", state.knobs.retry_after_secs.to_string()));
        answer.fault = Some(Fault::Throttled);
        answer
    } else {
        handle(state, &route, request)
    };

    let mut delay = state.knobs.latency;
    if answer.handled_write && state.knobs.lost_answers > 0 {
        state.knobs.lost_answers -= 1;
        delay += state.knobs.lost_delay;
        answer.fault = Some(Fault::LostAnswer);
    }
    if state.knobs.malformed > 0 {
        state.knobs.malformed -= 1;
        answer = answer.malformed();
    }
    state.log.push(LoggedRequest {
        method: request.method.as_str().to_owned(),
        path: request.url.path().to_owned(),
        query: request.url.query().unwrap_or_default().to_owned(),
        status: answer.status,
        batch_operations,
        fault: answer.fault,
        error_codes: answer.codes.clone(),
    });
    answer.template(delay)
}

/// Checks the credentials and runs the operation.
fn handle(state: &mut State, route: &Route, request: &Request) -> Answer {
    if *route == Route::VerifyToken {
        return verify_token(&state.credentials, request);
    }
    let allowed = match state.credentials.access(request) {
        Access::Full => true,
        Access::ReadOnly => !route.is_write(),
        Access::Denied => false,
    };
    if !allowed {
        return Answer::error(&ApiError::authentication());
    }
    let mut answer = Answer::result(dispatch(state, route, request));
    answer.handled_write = route.is_write();
    answer
}

/// `GET /user/tokens/verify` (not in the schema, but what clients call to
/// check a token).
fn verify_token(credentials: &Credentials, request: &Request) -> Answer {
    let token = Credentials::bearer(request).unwrap_or_default();
    if credentials.token_access(token) == Access::Denied {
        return Answer::error(&ApiError::new(401, 1000, "Invalid API Token"));
    }
    Answer::json(
        200,
        &json!({
            "success": true,
            "errors": [],
            "messages": [{"code": 10000, "message": "This API Token is valid and active", "type": null}],
            "result": {"id": "fa4e0000000000000000000000000000", "status": "active"}
        }),
    )
}

/// A successful single-result envelope.
fn ok(result: Value) -> Value {
    json!({"success": true, "errors": [], "messages": [], "result": result})
}

/// The JSON body.
fn body(request: &Request) -> Result<Value, ApiError> {
    serde_json::from_slice(&request.body).map_err(|_| ApiError::malformed_json())
}

/// 7003 for an unknown zone, naming the path as the live API does.
fn no_zone(request: &Request) -> ApiError {
    let path = request.url.path();
    if path.starts_with("/client/v4") {
        ApiError::zone_not_found(path)
    } else {
        ApiError::zone_not_found(&format!("/client/v4{path}"))
    }
}

fn zone<'a>(state: &'a State, id: &str, request: &Request) -> Result<&'a Zone, ApiError> {
    state.zone(id).ok_or_else(|| no_zone(request))
}

fn zone_and_rng<'a>(
    state: &'a mut State,
    id: &str,
    request: &Request,
) -> Result<(&'a mut Zone, &'a mut StdRng), ApiError> {
    state.zone_and_rng(id).ok_or_else(|| no_zone(request))
}

fn dispatch(state: &mut State, route: &Route, request: &Request) -> Result<Value, ApiError> {
    let now = ids::now_rfc3339();
    match route {
        Route::ListZones => list::zones(&state.zones, &query(request), &state.account_id),
        Route::GetZone(id) => Ok(ok(zone(state, id, request)?.to_json(&state.account_id))),
        Route::ListRecords(id) => list::records(
            zone(state, id, request)?,
            &query(request),
            state.knobs.max_per_page,
        ),
        Route::GetRecord(zone_id, id) => ops::get(zone(state, zone_id, request)?, id).map(ok),
        Route::CreateRecord(id) => {
            let (zone, rng) = zone_and_rng(state, id, request)?;
            ops::create(zone, &body(request)?, &now, rng).map(ok)
        }
        Route::Batch(id) => {
            let (zone, rng) = zone_and_rng(state, id, request)?;
            ops::batch(zone, &body(request)?, &now, rng).map(ok)
        }
        Route::PatchRecord(zone_id, id) => {
            let (zone, _) = zone_and_rng(state, zone_id, request)?;
            ops::patch(zone, id, &body(request)?, &now).map(ok)
        }
        Route::PutRecord(zone_id, id) => {
            let (zone, _) = zone_and_rng(state, zone_id, request)?;
            ops::put(zone, id, &body(request)?, &now).map(ok)
        }
        Route::DeleteRecord(zone_id, id) => {
            let (zone, _) = zone_and_rng(state, zone_id, request)?;
            ops::delete(zone, id).map(|deleted| ok(json!({"id": deleted.get("id")})))
        }
        Route::VerifyToken => Err(ApiError::no_route()),
        Route::MethodNotAllowed => Err(ApiError::method_not_allowed()),
        Route::NotFound => Err(ApiError::no_route()),
    }
}
