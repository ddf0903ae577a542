//! [`Route53Builder`]: credentials, region, endpoint and retries.

use std::fmt;
use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_route53::config::retry::RetryConfig;
use aws_sdk_route53::config::timeout::TimeoutConfig;
use aws_sdk_route53::config::{BehaviorVersion, Credentials, Region};
use dns_core::{Error, Result, RetryPolicy};

use crate::plan::Limits;
use crate::provider::Route53Provider;

/// Route 53 is a global service: requests are signed for this region
/// whatever region the environment names for other services.
pub const SIGNING_REGION: &str = "us-east-1";

/// Builds a [`Route53Provider`].
///
/// * [`Route53Builder::from_env`] reads credentials and settings the way
///   every AWS SDK does: environment variables, the shared config and
///   credentials files (profiles, SSO), web identity, ECS and EC2 instance
///   metadata.
/// * [`Route53Builder::new`] starts empty: give credentials with
///   [`with_credentials`](Route53Builder::with_credentials) or a loaded
///   [`SdkConfig`] with [`with_sdk_config`](Route53Builder::with_sdk_config).
///
/// The region defaults to `us-east-1` (Route 53's signing region); set
/// another only for the China or GovCloud partitions. `Debug` never shows
/// credentials.
///
/// ```no_run
/// use std::time::Duration;
/// use dns_route53::Route53Builder;
/// # async fn demo() -> dns_core::Result<()> {
/// use dns_core::RetryPolicy;
/// let provider = Route53Builder::from_env()
///     .with_retry(RetryPolicy::new().with_max_attempts(5))
///     .with_timeout(Duration::from_secs(20))
///     .build()
///     .await?;
/// # Ok(()) }
/// ```
///
/// Against a local emulator:
///
/// ```
/// use dns_route53::Route53Builder;
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let provider = Route53Builder::new()
///     .with_endpoint_url("http://127.0.0.1:5000")
///     .with_credentials("AKIDEXAMPLE", "not-a-real-secret")
///     .build()
///     .await?;
/// assert!(!format!("{provider:?}").contains("not-a-real-secret"));
/// # Ok::<(), dns_core::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct Route53Builder {
    from_env: bool,
    sdk_config: Option<SdkConfig>,
    endpoint_url: Option<String>,
    region: Option<String>,
    credentials: Option<Credentials>,
    behavior_version: BehaviorVersion,
    retry: RetryPolicy,
    timeout: Option<Duration>,
    pub(crate) max_cas_attempts: u32,
    pub(crate) page_size: i32,
    pub(crate) limits: Limits,
}

impl Default for Route53Builder {
    fn default() -> Self {
        Self::new()
    }
}

impl Route53Builder {
    /// A builder with no credentials and the defaults: region `us-east-1`,
    /// [`Route53Builder::default_retry`] (5 attempts per request with
    /// backoff from 200 ms to 20 s, 60 s per call), 10 compare-and-swap
    /// attempts per `apply`, 300 sets per listing page.
    pub fn new() -> Self {
        Self {
            from_env: false,
            sdk_config: None,
            endpoint_url: None,
            region: None,
            credentials: None,
            behavior_version: BehaviorVersion::latest(),
            retry: Self::default_retry(),
            timeout: None,
            max_cas_attempts: 10,
            page_size: 300,
            limits: Limits::ROUTE53,
        }
    }

    /// A builder that loads the standard AWS configuration chain when built
    /// (`AWS_ACCESS_KEY_ID`..., `AWS_PROFILE`, SSO, web identity, IMDS;
    /// `AWS_ENDPOINT_URL_ROUTE_53` is honoured too).
    pub fn from_env() -> Self {
        Self {
            from_env: true,
            ..Self::new()
        }
    }

    /// Uses an already loaded AWS configuration (credentials, region,
    /// endpoint, HTTP client). Settings given on this builder win.
    pub fn with_sdk_config(mut self, config: SdkConfig) -> Self {
        self.sdk_config = Some(config);
        self
    }

    /// Sends requests to this URL instead of `https://route53.amazonaws.com`
    /// (an emulator such as moto, or a proxy).
    pub fn with_endpoint_url(mut self, url: impl Into<String>) -> Self {
        self.endpoint_url = Some(url.into());
        self
    }

    /// The signing region (default `us-east-1`; `cn-northwest-1` for the
    /// China partition, `us-gov-west-1` for GovCloud).
    pub fn with_region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Static credentials: an access key id and its secret.
    pub fn with_credentials(
        mut self,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
    ) -> Self {
        self.credentials = Some(Credentials::new(
            access_key_id,
            secret_access_key,
            None,
            None,
            "dns-route53",
        ));
        self
    }

    /// The SDK behaviour version (default: the latest this crate was built
    /// with). Pin one to keep defaults stable across SDK upgrades.
    pub fn with_behavior_version(mut self, version: BehaviorVersion) -> Self {
        self.behavior_version = version;
        self
    }

    /// The retry policy when none is given: 5 attempts per request, backoff
    /// ceilings from 200 ms doubling to 20 s, 60 s per call in all. Route 53
    /// allows five requests a second per account, so it backs off longer
    /// than [`RetryPolicy::default`].
    ///
    /// ```
    /// use std::time::Duration;
    /// let retry = dns_route53::Route53Builder::default_retry();
    /// assert_eq!(retry.max_attempts(), 5);
    /// assert_eq!(retry.initial_backoff(), Duration::from_millis(200));
    /// ```
    pub fn default_retry() -> RetryPolicy {
        RetryPolicy::new()
            .with_max_attempts(5)
            .with_initial_backoff(Duration::from_millis(200))
            .with_max_backoff(Duration::from_secs(20))
    }

    /// How each request is retried: this backend is the one retry layer
    /// (callers must not retry its errors again). Throttling and
    /// `PriorRequestNotComplete` answers, timeouts and 5xx are retried by
    /// the SDK's standard retry strategy with the policy's attempts and
    /// backoff (full jitter between 0 and a ceiling that doubles from the
    /// initial backoff up to the largest); the policy's time budget becomes
    /// the SDK's operation timeout unless [`with_timeout`](Self::with_timeout)
    /// sets one. An error returned after retries is [`Error::Retried`] with
    /// the attempts made.
    ///
    /// ```
    /// use std::time::Duration;
    /// use dns_core::RetryPolicy;
    /// use dns_route53::Route53Builder;
    /// let builder = Route53Builder::new().with_retry(
    ///     RetryPolicy::new().with_max_attempts(3).with_initial_backoff(Duration::from_millis(50)),
    /// );
    /// assert!(format!("{builder:?}").contains("max_attempts: 3"));
    /// ```
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Attempts per request, the first included (at least 1).
    #[deprecated(
        since = "0.1.0",
        note = "use with_retry(RetryPolicy::new().with_max_attempts(n)), as for Cloudflare"
    )]
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.retry = self.retry.with_max_attempts(attempts);
        self
    }

    /// The backoff before the first retry and the ceiling it doubles up to.
    #[deprecated(
        since = "0.1.0",
        note = "use with_retry(RetryPolicy::new().with_initial_backoff(..).with_max_backoff(..))"
    )]
    pub fn with_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.retry = self
            .retry
            .with_initial_backoff(initial)
            .with_max_backoff(max.max(initial));
        self
    }

    /// The secrets given to this builder, to be kept out of errors and logs.
    pub(crate) fn secrets(&self) -> Vec<String> {
        self.credentials
            .iter()
            .flat_map(|c| {
                [
                    Some(c.secret_access_key().to_owned()),
                    c.session_token().map(str::to_owned),
                ]
            })
            .flatten()
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// Static temporary credentials: an access key id, its secret and the
    /// session token (STS).
    pub fn with_session_credentials(
        mut self,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: impl Into<String>,
    ) -> Self {
        self.credentials = Some(Credentials::new(
            access_key_id,
            secret_access_key,
            Some(session_token.into()),
            None,
            "dns-route53",
        ));
        self
    }

    /// A deadline for each call, retries included.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// How many times one `apply` reads and writes again when a concurrent
    /// writer changed a set between its read and its write, before it
    /// returns [`Error::Conflict`] (at least 1).
    pub fn with_max_cas_attempts(mut self, attempts: u32) -> Self {
        self.max_cas_attempts = attempts.max(1);
        self
    }

    /// Sets per listing page (1-300; Route 53 never returns more than 300).
    pub fn with_page_size(mut self, size: u16) -> Self {
        self.page_size = i32::from(size.clamp(1, 300));
        self
    }

    /// Builds the provider. Fails with [`Error::Auth`] when no credentials
    /// source is configured at all (credentials from the chain are only
    /// fetched, and checked, at the first request).
    pub async fn build(self) -> Result<Route53Provider> {
        let sdk = match (&self.sdk_config, self.from_env) {
            (Some(sdk), _) => Some(sdk.clone()),
            (None, true) => Some(aws_config::defaults(self.behavior_version).load().await),
            (None, false) => None,
        };
        let mut conf = match &sdk {
            Some(sdk) => aws_sdk_route53::config::Builder::from(sdk),
            None => aws_sdk_route53::config::Builder::new(),
        };
        conf = conf.behavior_version(self.behavior_version);
        let region = self
            .region
            .clone()
            .or_else(|| {
                // Route 53 lives in the partition's main region; a region
                // set for other services (eu-west-1) would only mislead.
                sdk.as_ref()
                    .and_then(SdkConfig::region)
                    .filter(|r| r.as_ref().starts_with("cn-") || r.as_ref().starts_with("us-gov-"))
                    .map(ToString::to_string)
            })
            .unwrap_or_else(|| SIGNING_REGION.to_owned());
        conf = conf.region(Region::new(region.clone()));
        if let Some(url) = &self.endpoint_url {
            conf = conf.endpoint_url(url.clone());
        }
        if let Some(credentials) = &self.credentials {
            conf = conf.credentials_provider(credentials.clone());
        }
        conf = conf.retry_config(
            RetryConfig::standard()
                .with_max_attempts(self.retry.max_attempts())
                .with_initial_backoff(self.retry.initial_backoff())
                .with_max_backoff(self.retry.max_backoff()),
        );
        let timeout = self.timeout.unwrap_or_else(|| self.retry.max_elapsed());
        conf = conf.timeout_config(TimeoutConfig::builder().operation_timeout(timeout).build());
        let conf = conf.build();
        let has_credentials = self.credentials.is_some()
            || sdk
                .as_ref()
                .is_some_and(|s| s.credentials_provider().is_some());
        if !has_credentials {
            return Err(Error::Auth {
                message: "no AWS credentials configured: use Route53Builder::from_env() or \
                          with_credentials()"
                    .into(),
            });
        }
        let endpoint = self.endpoint_url.clone().or_else(|| {
            sdk.as_ref()
                .and_then(|s| s.endpoint_url().map(str::to_owned))
        });
        Ok(Route53Provider::from_parts(
            aws_sdk_route53::Client::from_conf(conf),
            endpoint,
            region,
            &self,
        ))
    }
}

impl fmt::Debug for Route53Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Route53Builder")
            .field("from_env", &self.from_env)
            .field("sdk_config", &self.sdk_config.is_some())
            .field("endpoint_url", &self.endpoint_url)
            .field("region", &self.region)
            .field(
                "credentials",
                &self.credentials.as_ref().map(|_| "<redacted>"),
            )
            .field("retry", &self.retry)
            .field("timeout", &self.timeout)
            .field("max_cas_attempts", &self.max_cas_attempts)
            .field("page_size", &self.page_size)
            .finish_non_exhaustive()
    }
}
