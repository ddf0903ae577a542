//! [`CloudflareBuilder`]: credentials, endpoint, timeouts, retries, budget.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use dns_core::{Error, Name, Result, RetryPolicy, Zone};

use crate::api::Api;
use crate::budget::RequestBudget;
use crate::options::RecordOptions;
use crate::provider::{CloudflareProvider, Settings};
use crate::secret::Credentials;

/// The public API endpoint.
pub const DEFAULT_BASE_URL: &str = "https://api.cloudflare.com/client/v4";
/// Environment variable holding an API token.
pub const ENV_TOKEN: &str = "CLOUDFLARE_API_TOKEN";
/// Environment variable holding the account email (legacy Global API Key auth).
pub const ENV_EMAIL: &str = "CLOUDFLARE_EMAIL";
/// Environment variable holding the Global API Key (legacy).
pub const ENV_KEY: &str = "CLOUDFLARE_API_KEY";

/// Builds a [`CloudflareProvider`].
///
/// ```
/// use std::time::Duration;
/// use dns_cloudflare::{CloudflareBuilder, RequestBudget};
/// let provider = CloudflareBuilder::new()
///     .with_token("example-token")
///     .with_timeout(Duration::from_secs(10))
///     .with_request_budget(RequestBudget::new(600, Duration::from_secs(300)))
///     .build()
///     .unwrap();
/// assert!(!format!("{provider:?}").contains("example-token"));
///
/// // Plain HTTP only when asked for (a local fake or proxy).
/// let err = CloudflareBuilder::new().with_token("t").with_base_url("http://127.0.0.1:9/").build();
/// assert!(err.is_err());
/// ```
#[derive(Clone)]
pub struct CloudflareBuilder {
    credentials: Option<Credentials>,
    base_url: String,
    allow_http: bool,
    timeout: Duration,
    connect_timeout: Duration,
    retry: RetryPolicy,
    budget: RequestBudget,
    settings: Settings,
}

impl Default for CloudflareBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl CloudflareBuilder {
    /// No credentials yet; the public endpoint; 30 s timeout (10 s to
    /// connect); the default [`RetryPolicy`]; a fresh [`RequestBudget`] of
    /// Cloudflare's 1,200 requests per 5 minutes; batches of 200.
    pub fn new() -> Self {
        Self {
            credentials: None,
            base_url: DEFAULT_BASE_URL.to_owned(),
            allow_http: false,
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            budget: RequestBudget::default(),
            settings: Settings::default(),
        }
    }

    /// Credentials from the environment: `CLOUDFLARE_API_TOKEN`, or else the
    /// legacy pair `CLOUDFLARE_EMAIL` + `CLOUDFLARE_API_KEY` (Global API
    /// Key). [`build`](Self::build) fails with [`Error::Auth`] when neither
    /// is set.
    pub fn from_env() -> Self {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// [`from_env`](Self::from_env) reading variables through `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let set = |k: &str| lookup(k).filter(|v| !v.trim().is_empty());
        let credentials = match (set(ENV_TOKEN), set(ENV_EMAIL), set(ENV_KEY)) {
            (Some(token), _, _) => Some(Credentials::token(token.trim())),
            (None, Some(email), Some(key)) => {
                Some(Credentials::global_key(email.trim(), key.trim()))
            }
            _ => None,
        };
        Self {
            credentials,
            ..Self::new()
        }
    }

    /// Authenticates with an API token.
    pub fn with_token(self, token: impl Into<String>) -> Self {
        self.with_credentials(Credentials::token(token))
    }

    /// Authenticates with credentials.
    pub fn with_credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Another endpoint (a proxy, a test server). It must be `https://`
    /// unless [`with_allow_http`](Self::with_allow_http) is set.
    pub fn with_base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Allows a plain `http://` base URL (tests and local proxies only: the
    /// token would travel in clear text).
    pub fn with_allow_http(mut self, allow: bool) -> Self {
        self.allow_http = allow;
        self
    }

    /// Timeout of one request, the answer included (default 30 s).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Timeout for connecting (default 10 s).
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Retries of one request: 429 (waiting at least `Retry-After`), 5xx,
    /// transport errors and malformed answers.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The request budget; pass clones of one budget to every provider that
    /// uses the same Cloudflare user, since the limit is per user.
    pub fn with_request_budget(mut self, budget: RequestBudget) -> Self {
        self.budget = budget;
        self
    }

    /// Operations per batch request (default 200, the Free plan's limit;
    /// Pro and above allow 3,500). Larger applies are split, in order, and
    /// are then not atomic.
    pub fn with_max_batch_size(mut self, max: usize) -> Self {
        self.settings.max_batch = max.max(1);
        self
    }

    /// Records per listing page (default 5,000; Cloudflare allows up to
    /// 5,000,000). Large pages keep listing to one request for most zones.
    pub fn with_page_size(mut self, per_page: u32) -> Self {
        self.settings.page_size = per_page.max(1);
        self
    }

    /// How many times an apply re-reads and re-plans after another writer
    /// changed the records it planned from (default 10), before
    /// [`Error::Conflict`].
    pub fn with_max_cas_attempts(mut self, attempts: u32) -> Self {
        self.settings.max_cas_attempts = attempts.max(1);
        self
    }

    /// How old a listing this provider made may be for an `apply` to plan
    /// from it instead of reading again (default 1 s; zero always reads).
    /// Safe because every record the plan keeps or removes is named by id
    /// in the same transaction: if it changed meanwhile the batch fails and
    /// is planned again from a fresh read.
    pub fn with_read_reuse(mut self, age: Duration) -> Self {
        self.settings.read_reuse = age;
        self
    }

    /// Extras for records this provider creates (default: DNS only, no
    /// comment, no tags).
    pub fn with_record_options(mut self, options: RecordOptions) -> Self {
        self.settings.options = options;
        self
    }

    /// Knows a zone's id without listing zones (tokens without zone-read
    /// permission, or one request less per process).
    pub fn with_zone(mut self, name: Name, id: impl Into<String>) -> Self {
        self.settings.pinned.push(Zone::new(id, name));
        self
    }

    /// How long the zone list is kept before it is fetched again (default
    /// 5 minutes; a name in no cached zone always refetches once).
    pub fn with_zone_cache_ttl(mut self, ttl: Duration) -> Self {
        self.settings.zone_cache_ttl = ttl;
        self
    }

    /// The provider. Fails with [`Error::Auth`] without credentials and
    /// with [`Error::InvalidInput`] for a bad base URL.
    pub fn build(self) -> Result<CloudflareProvider> {
        let credentials = self.credentials.filter(|c| !c.is_empty()).ok_or_else(|| Error::Auth {
            message: format!(
                "no Cloudflare credentials: set {ENV_TOKEN} (or {ENV_EMAIL} and {ENV_KEY} for a Global API Key)"
            ),
        })?;
        let base = self.base_url.trim().trim_end_matches('/').to_owned();
        let url = reqwest::Url::parse(&base)
            .map_err(|e| Error::InvalidInput(format!("Cloudflare base URL {base:?}: {e}")))?;
        match url.scheme() {
            "https" => {}
            "http" if self.allow_http => {}
            "http" => {
                return Err(Error::InvalidInput(format!(
                    "Cloudflare base URL {base:?} is plain http; the token would travel in clear text (use with_allow_http(true) for a local test server)"
                )));
            }
            other => {
                return Err(Error::InvalidInput(format!(
                    "Cloudflare base URL {base:?}: unsupported scheme {other:?}"
                )));
            }
        }
        let http = reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .user_agent(concat!("dns-cloudflare/", env!("CARGO_PKG_VERSION")))
            .https_only(!self.allow_http)
            // Never follow a redirect: reqwest would carry X-Auth-Key to
            // another host, and the API does not redirect.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Transport {
                provider: crate::PROVIDER.into(),
                message: "could not build the HTTP client".into(),
                source: Some(Box::new(e)),
            })?;
        let api = Api {
            http,
            base,
            credentials,
            budget: self.budget,
            retry: self.retry,
            requests: Arc::default(),
            local: None,
        };
        Ok(CloudflareProvider::new(api, self.settings))
    }
}

impl fmt::Debug for CloudflareBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CloudflareBuilder")
            .field("credentials", &self.credentials)
            .field("base_url", &self.base_url)
            .field("allow_http", &self.allow_http)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("budget", &self.budget)
            .field("settings", &self.settings)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn token_first_then_the_legacy_pair_then_a_clear_error() {
        let b = CloudflareBuilder::from_lookup(env(&[
            (ENV_TOKEN, "tok"),
            (ENV_EMAIL, "a@b"),
            (ENV_KEY, "k"),
        ]));
        assert_eq!(b.credentials, Some(Credentials::token("tok")));
        let b = CloudflareBuilder::from_lookup(env(&[(ENV_EMAIL, "a@b"), (ENV_KEY, "k")]));
        assert_eq!(b.credentials, Some(Credentials::global_key("a@b", "k")));
        let b = CloudflareBuilder::from_lookup(env(&[(ENV_TOKEN, "  "), (ENV_EMAIL, "a@b")]));
        match b.build() {
            Err(Error::Auth { message }) => assert!(message.contains(ENV_TOKEN), "{message}"),
            other => panic!("expected Auth, got {other:?}"),
        }
    }

    #[test]
    fn debug_and_errors_never_show_secrets() {
        let b = CloudflareBuilder::new()
            .with_credentials(Credentials::global_key("ops@example.com", "global-key-XYZ"))
            .with_base_url("ftp://example.com");
        let shown = format!("{b:?}");
        assert!(!shown.contains("global-key-XYZ"), "{shown}");
        assert!(shown.contains("ops@example.com"));
        let err = b.build().unwrap_err().to_string();
        assert!(!err.contains("global-key-XYZ"));
        let p = CloudflareBuilder::new()
            .with_token("tok-SECRET")
            .build()
            .unwrap();
        assert!(!format!("{p:?}").contains("tok-SECRET"));
    }

    #[test]
    fn http_only_when_allowed() {
        let b = || {
            CloudflareBuilder::new()
                .with_token("t")
                .with_base_url("http://127.0.0.1:1/")
        };
        assert!(matches!(b().build(), Err(Error::InvalidInput(_))));
        assert!(b().with_allow_http(true).build().is_ok());
        assert!(matches!(
            CloudflareBuilder::new()
                .with_token("t")
                .with_base_url("not a url")
                .build(),
            Err(Error::InvalidInput(_))
        ));
    }
}
