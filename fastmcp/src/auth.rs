//! Bearer-token authentication for Streamable HTTP: static tokens, or JWTs verified against a
//! key or a JWKS (inline, or fetched from a URL and cached). The authenticated principal is
//! what `ctx.principal()` returns, and what sessions and tasks are bound to.

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// Why a token was refused (the text goes into `WWW-Authenticate: ... error_description`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AuthError {
    #[error("the token is not a valid JWT: {0}")]
    /// The token is not a JWT.
    Malformed(String),
    #[error("the token's signing key is unknown")]
    /// No key for the token (unknown `kid`).
    UnknownKey,
    #[error("the token was rejected: {0}")]
    /// The token failed validation.
    Rejected(String),
    #[error("the token has no `{0}` claim to identify its principal")]
    /// The token has no principal claim.
    NoPrincipal(String),
    #[error("the signing keys could not be fetched: {0}")]
    /// The JWKS could not be fetched.
    Jwks(String),
    #[error("invalid key: {0}")]
    /// A key could not be read.
    BadKey(String),
}

enum Keys {
    /// One key for one algorithm.
    Static(DecodingKey, Algorithm),
    /// A key set, by `kid`; with a URL it is fetched when needed and refreshed.
    Jwks { set: RwLock<(JwkSet, Option<Instant>)>, url: Option<String> },
}

/// Verifies JWT bearer tokens.
#[derive(Clone)]
pub struct JwtVerifier {
    inner: Arc<Inner>,
}

struct Inner {
    keys: Keys,
    issuer: Option<String>,
    audience: Option<Vec<String>>,
    principal_claim: String,
    leeway: u64,
    client: reqwest::Client,
    /// Held during a fetch; holds the time of the last attempt (failed ones too), so a JWKS
    /// endpoint that is down is not asked again for every token naming an unknown key.
    refresh: tokio::sync::Mutex<Option<Instant>>,
}

impl Inner {
    fn copy(&self) -> Inner {
        let keys = match &self.keys {
            Keys::Static(key, alg) => Keys::Static(key.clone(), *alg),
            Keys::Jwks { set, url } => {
                let set = set.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
                Keys::Jwks { set: RwLock::new(set), url: url.clone() }
            }
        };
        Inner {
            keys,
            issuer: self.issuer.clone(),
            audience: self.audience.clone(),
            principal_claim: self.principal_claim.clone(),
            leeway: self.leeway,
            client: self.client.clone(),
            refresh: tokio::sync::Mutex::new(None),
        }
    }
}

impl std::fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtVerifier").field("issuer", &self.inner.issuer).finish_non_exhaustive()
    }
}

/// How long a fetched JWKS is used before it is fetched again.
const JWKS_MAX_AGE: Duration = Duration::from_secs(300);
/// An unknown `kid` refetches the JWKS at most this often (key rotation without a storm).
const JWKS_MIN_REFRESH: Duration = Duration::from_secs(30);
/// The largest JWKS document read (real ones are a few kB).
const JWKS_MAX_BYTES: usize = 256 * 1024;

impl JwtVerifier {
    fn new(keys: Keys) -> Self {
        JwtVerifier {
            inner: Arc::new(Inner {
                keys,
                issuer: None,
                audience: None,
                principal_claim: "sub".into(),
                leeway: 30,
                client: reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap_or_default(),
                refresh: tokio::sync::Mutex::new(None),
            }),
        }
    }

    /// A changed copy (a verifier already shared is copied, never changed under its users).
    fn map(self, f: impl FnOnce(&mut Inner)) -> Self {
        let mut inner = Arc::try_unwrap(self.inner).unwrap_or_else(|shared| shared.copy());
        f(&mut inner);
        JwtVerifier { inner: Arc::new(inner) }
    }

    /// HS256 with a shared secret.
    pub fn hs256(secret: &[u8]) -> Self {
        Self::new(Keys::Static(DecodingKey::from_secret(secret), Algorithm::HS256))
    }

    /// RS256 with an RSA public key (PEM).
    pub fn rs256_pem(pem: &[u8]) -> Result<Self, AuthError> {
        let key = DecodingKey::from_rsa_pem(pem).map_err(|e| AuthError::BadKey(e.to_string()))?;
        Ok(Self::new(Keys::Static(key, Algorithm::RS256)))
    }

    /// ES256 with an EC P-256 public key (PEM).
    pub fn es256_pem(pem: &[u8]) -> Result<Self, AuthError> {
        let key = DecodingKey::from_ec_pem(pem).map_err(|e| AuthError::BadKey(e.to_string()))?;
        Ok(Self::new(Keys::Static(key, Algorithm::ES256)))
    }

    /// A JWKS document (`{"keys": [...]}`).
    pub fn jwks(json: &str) -> Result<Self, AuthError> {
        let set: JwkSet = serde_json::from_str(json).map_err(|e| AuthError::BadKey(e.to_string()))?;
        Ok(Self::new(Keys::Jwks { set: RwLock::new((set, None)), url: None }))
    }

    /// A JWKS fetched from `url` on first use, refreshed every 5 minutes and when a token names
    /// an unknown key (at most every 30 s).
    pub fn jwks_url(url: impl Into<String>) -> Self {
        Self::new(Keys::Jwks { set: RwLock::new((JwkSet { keys: Vec::new() }, None)), url: Some(url.into()) })
    }

    /// Required `iss`.
    pub fn issuer(self, issuer: impl Into<String>) -> Self {
        let issuer = issuer.into();
        self.map(|i| i.issuer = Some(issuer))
    }

    /// Accepted `aud` values (one must match).
    pub fn audience(self, audience: impl Into<String>) -> Self {
        let audience = audience.into();
        self.map(|i| i.audience.get_or_insert_with(Vec::new).push(audience))
    }

    /// The claim naming the principal (default `sub`).
    pub fn principal_claim(self, claim: impl Into<String>) -> Self {
        let claim = claim.into();
        self.map(|i| i.principal_claim = claim)
    }

    async fn fetch(&self, url: &str) -> Result<(), AuthError> {
        let response = self.inner.client.get(url).send().await.map_err(|e| AuthError::Jwks(e.to_string()))?;
        if !response.status().is_success() {
            return Err(AuthError::Jwks(format!("{url} answered {}", response.status())));
        }
        let too_large = || AuthError::Jwks(format!("{url}: the key set is larger than {JWKS_MAX_BYTES} bytes"));
        if response.content_length().is_some_and(|n| n > JWKS_MAX_BYTES as u64) {
            return Err(too_large());
        }
        let mut response = response;
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| AuthError::Jwks(e.to_string()))? {
            if body.len() + chunk.len() > JWKS_MAX_BYTES {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        let set: JwkSet = serde_json::from_slice(&body).map_err(|e| AuthError::Jwks(e.to_string()))?;
        if let Keys::Jwks { set: slot, .. } = &self.inner.keys {
            *crate::sync::write(slot) = (set, Some(Instant::now()));
        }
        Ok(())
    }

    /// The key for a token header (fetching the JWKS when it is stale or lacks the `kid`).
    async fn key_for(&self, header: &jsonwebtoken::Header) -> Result<(DecodingKey, Algorithm), AuthError> {
        let (set_lock, url) = match &self.inner.keys {
            Keys::Static(key, alg) => return Ok((key.clone(), *alg)),
            Keys::Jwks { set, url } => (set, url),
        };
        let lookup = |set: &JwkSet| -> Option<Result<(DecodingKey, Algorithm), AuthError>> {
            let jwk = match &header.kid {
                Some(kid) => set.find(kid)?,
                None if set.keys.len() == 1 => &set.keys[0],
                None => return None,
            };
            let alg = match jwk.common.key_algorithm {
                Some(a) => a.to_string().parse::<Algorithm>().unwrap_or(header.alg),
                None => header.alg,
            };
            Some(DecodingKey::from_jwk(jwk).map(|k| (k, alg)).map_err(|e| AuthError::BadKey(e.to_string())))
        };
        let (fresh, found) = {
            let slot = crate::sync::read(set_lock);
            let fresh = slot.1.is_some_and(|at| at.elapsed() < JWKS_MAX_AGE);
            (fresh, lookup(&slot.0))
        };
        if let Some(found) = found
            && (fresh || url.is_none())
        {
            return found;
        }
        let Some(url) = url else { return Err(AuthError::UnknownKey) };
        {
            let mut last_attempt = self.inner.refresh.lock().await;
            let recent = last_attempt.is_some_and(|at| at.elapsed() < JWKS_MIN_REFRESH);
            if !recent {
                *last_attempt = Some(Instant::now());
            }
            if !recent && let Err(e) = self.fetch(url).await {
                // A stale set still verifies tokens while the JWKS endpoint is down.
                tracing::warn!("JWKS refresh failed: {e}");
            }
        }
        let slot = crate::sync::read(set_lock);
        lookup(&slot.0).unwrap_or(Err(AuthError::UnknownKey))
    }

    /// Verifies a token (signature, `exp`/`nbf`, issuer, audience); returns its principal.
    pub async fn verify(&self, token: &str) -> Result<String, AuthError> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| AuthError::Malformed(e.to_string()))?;
        let (key, alg) = self.key_for(&header).await?;
        if header.alg != alg {
            return Err(AuthError::Rejected(format!("algorithm {:?} is not the key's {alg:?}", header.alg)));
        }
        let mut validation = Validation::new(alg);
        validation.leeway = self.inner.leeway;
        validation.validate_nbf = true;
        // A configured issuer or audience is required, not only checked when present.
        match &self.inner.issuer {
            Some(iss) => {
                validation.set_issuer(&[iss]);
                validation.required_spec_claims.insert("iss".into());
            }
            None => validation.iss = None,
        }
        match &self.inner.audience {
            Some(aud) => {
                validation.set_audience(aud);
                validation.required_spec_claims.insert("aud".into());
            }
            None => validation.validate_aud = false,
        }
        let data = jsonwebtoken::decode::<serde_json::Map<String, serde_json::Value>>(token, &key, &validation)
            .map_err(|e| AuthError::Rejected(e.to_string()))?;
        let claim = &self.inner.principal_claim;
        data.claims
            .get(claim)
            .and_then(|v| v.as_str().map(str::to_owned))
            .ok_or_else(|| AuthError::NoPrincipal(claim.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{EncodingKey, Header, encode};

    fn token(claims: serde_json::Value) -> String {
        encode(&Header::default(), &claims, &EncodingKey::from_secret(b"k")).unwrap()
    }

    #[tokio::test]
    async fn configuring_a_shared_verifier_copies_it() {
        let exp = (std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()) + 600;
        let base = JwtVerifier::hs256(b"k");
        let shared = base.clone();
        let strict = shared.issuer("https://issuer.example");
        let plain = token(serde_json::json!({"sub": "ada", "exp": exp}));
        assert_eq!(base.verify(&plain).await.unwrap(), "ada");
        assert!(matches!(strict.verify(&plain).await, Err(AuthError::Rejected(_))));
        let issued = token(serde_json::json!({"sub": "ada", "exp": exp, "iss": "https://issuer.example"}));
        assert_eq!(strict.verify(&issued).await.unwrap(), "ada");
    }

    #[tokio::test]
    async fn a_configured_issuer_or_audience_must_be_present() {
        let exp = (std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()) + 600;
        let v = JwtVerifier::hs256(b"k").issuer("https://issuer.example").audience("mcp");
        let full = token(serde_json::json!({"sub": "ada", "exp": exp, "iss": "https://issuer.example", "aud": "mcp"}));
        assert_eq!(v.verify(&full).await.unwrap(), "ada");
        for claims in [
            serde_json::json!({"sub": "ada", "exp": exp, "aud": "mcp"}),
            serde_json::json!({"sub": "ada", "exp": exp, "iss": "https://issuer.example"}),
            serde_json::json!({"sub": "ada", "exp": exp, "iss": "https://other.example", "aud": "mcp"}),
            serde_json::json!({"sub": "ada", "exp": exp, "iss": "https://issuer.example", "aud": "other"}),
            serde_json::json!({"sub": "ada", "iss": "https://issuer.example", "aud": "mcp"}),
        ] {
            assert!(matches!(v.verify(&token(claims.clone())).await, Err(AuthError::Rejected(_))), "{claims}");
        }
    }
}
