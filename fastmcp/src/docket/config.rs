//! Docket settings: the backend URL (from `FASTMCP_DOCKET_URL`) and the worker's limits.

use std::time::Duration;

/// The environment variable naming the docket backend.
pub const DOCKET_URL_ENV: &str = "FASTMCP_DOCKET_URL";

/// A URL with its password replaced by `***` (and a user name kept), for errors and logs:
/// `redis://:secret@host/` becomes `redis://:***@host/`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
            let hidden = if userinfo.contains(':') { format!("{user}:***") } else { "***".to_owned() };
            format!("{scheme}://{hidden}@{host}{tail}")
        }
        None => url.to_owned(),
    }
}

/// Docket settings, from the environment or code.
#[derive(Clone)]
pub struct DocketConfig {
    /// `memory://`, `redis://` or `rediss://`.
    pub url: String,
    /// Key prefix; keys are `{name}:...` (a Redis Cluster hash tag).
    pub name: String,
    /// A run whose worker stopped renewing its claim this long ago is delivered again.
    pub redelivery_timeout: Duration,
    /// How long results, errors and run records are kept after a run ends.
    pub result_ttl: Duration,
    /// Runs one worker executes at once.
    pub concurrency: usize,
    /// Runs of one fairness group (see [`Policy::group`](crate::docket::Policy::group)) one worker executes at once; 0 means
    /// half of `concurrency` (rounded up), the default unless `FASTMCP_DOCKET_GROUP_SHARE` is set.
    pub group_share: usize,
    /// For `rediss://`: a PEM file of the CA that signed the server's certificate, when it is
    /// not in the system trust store.
    pub tls_ca_file: Option<std::path::PathBuf>,
}

impl std::fmt::Debug for DocketConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocketConfig")
            .field("url", &redact_url(&self.url))
            .field("name", &self.name)
            .field("redelivery_timeout", &self.redelivery_timeout)
            .field("result_ttl", &self.result_ttl)
            .field("concurrency", &self.concurrency)
            .field("group_share", &self.group_share)
            .field("tls_ca_file", &self.tls_ca_file)
            .finish()
    }
}

impl DocketConfig {
    /// `FASTMCP_DOCKET_URL` (default `memory://`), `FASTMCP_DOCKET_NAME` (default `fastmcp`),
    /// `FASTMCP_DOCKET_REDELIVERY_TIMEOUT_MS` (30 000), `FASTMCP_DOCKET_RESULT_TTL_MS`
    /// (900 000), `FASTMCP_DOCKET_CONCURRENCY` (10), `FASTMCP_DOCKET_TLS_CA_FILE` (none).
    pub fn from_env() -> Self {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let ms = |k: &str, d: u64| Duration::from_millis(env(k).and_then(|v| v.parse().ok()).unwrap_or(d));
        let concurrency = env("FASTMCP_DOCKET_CONCURRENCY").and_then(|v| v.parse().ok()).unwrap_or(10usize).max(1);
        DocketConfig {
            url: env(DOCKET_URL_ENV).unwrap_or_else(|| "memory://".into()),
            name: env("FASTMCP_DOCKET_NAME").unwrap_or_else(|| "fastmcp".into()),
            redelivery_timeout: ms("FASTMCP_DOCKET_REDELIVERY_TIMEOUT_MS", 30_000),
            result_ttl: ms("FASTMCP_DOCKET_RESULT_TTL_MS", 900_000),
            concurrency,
            group_share: env("FASTMCP_DOCKET_GROUP_SHARE").and_then(|v| v.parse().ok()).unwrap_or(0),
            tls_ca_file: env("FASTMCP_DOCKET_TLS_CA_FILE").map(Into::into),
        }
    }
}
