//! What is decided from the headers before a body is read: Host/Origin (DNS rebinding),
//! the protocol version header, bearer authentication (static tokens in constant time, JWT),
//! the session's principal, and the bounded body read.

#![allow(clippy::result_large_err)]

use super::*;
use crate::protocol::quoted;

/// `host[:port]` or `[v6]:port` -> host (as written, brackets kept for v6; compared without
/// case).
pub(super) fn host_of(authority: &str) -> &str {
    let a = authority.trim();
    if a.starts_with('[') {
        return a.find(']').map_or(a, |end| &a[..=end]);
    }
    a.split(':').next().unwrap_or_default()
}

/// DNS-rebinding protection. Fails closed: every `Host` and `Origin` value (duplicates
/// included) and the authority of an absolute-form request target must name an allowed host,
/// and a value that is not UTF-8 is refused.
pub(super) fn check_host_and_origin(
    options: &HttpOptions,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
) -> Result<(), Response> {
    if options.allowed_hosts.iter().any(|h| h == "*") {
        return Ok(());
    }
    let allowed = |host: &str| options.allowed_hosts.iter().any(|h| h.eq_ignore_ascii_case(host));
    if let Some(authority) = uri.authority()
        && !allowed(host_of(authority.as_str()))
    {
        return Err(plain_error(
            StatusCode::FORBIDDEN,
            &format!("Invalid request target host: {}", quoted(authority.as_str())),
        ));
    }
    for value in headers.get_all(header::HOST) {
        let Ok(host) = value.to_str() else {
            return Err(plain_error(StatusCode::FORBIDDEN, "Invalid Host: not UTF-8"));
        };
        if !allowed(host_of(host)) {
            return Err(plain_error(StatusCode::FORBIDDEN, &format!("Invalid Host: {}", quoted(host))));
        }
    }
    for value in headers.get_all(header::ORIGIN) {
        let Ok(origin) = value.to_str() else {
            return Err(plain_error(StatusCode::FORBIDDEN, "Invalid Origin: not UTF-8"));
        };
        let authority = origin.split_once("://").map_or(origin, |(_, rest)| rest);
        let authority = authority.split('/').next().unwrap_or_default();
        if origin == "null" || !allowed(host_of(authority)) {
            return Err(plain_error(StatusCode::FORBIDDEN, &format!("Invalid Origin: {}", quoted(origin))));
        }
    }
    Ok(())
}

pub(super) fn check_version_header(headers: &HeaderMap) -> Result<(), Response> {
    let unsupported = headers
        .get_all(VERSION_HEADER)
        .iter()
        .map(|v| v.to_str().unwrap_or("<not UTF-8>"))
        .find(|v| !SUPPORTED_PROTOCOL_VERSIONS.contains(v));
    match unsupported {
        Some(v) => Err(json_error(
            StatusCode::BAD_REQUEST,
            None,
            ErrorObject::invalid_request(format!(
                "Unsupported MCP-Protocol-Version: {} (supported: {})",
                quoted(v),
                SUPPORTED_PROTOCOL_VERSIONS.join(", ")
            )),
        )),
        _ => Ok(()),
    }
}

/// The principal a static token names. Constant time: both sides are hashed to equal length
/// and every configured token is compared in full, so timing says nothing about how much of a
/// guess was right.
pub(super) fn static_token_principal<'a>(tokens: &'a HashMap<String, String>, presented: &str) -> Option<&'a str> {
    use subtle::ConstantTimeEq;
    let digest = |t: &str| ring::digest::digest(&ring::digest::SHA256, t.as_bytes());
    let presented = digest(presented);
    let mut found = None;
    for (token, principal) in tokens {
        if bool::from(digest(token).as_ref().ct_eq(presented.as_ref())) {
            found = Some(principal.as_str());
        }
    }
    found
}

#[cfg(feature = "jwt")]
pub(super) fn has_jwt(options: &HttpOptions) -> bool {
    options.jwt.is_some()
}

#[cfg(not(feature = "jwt"))]
pub(super) fn has_jwt(_: &HttpOptions) -> bool {
    false
}

/// The JWT verdict on `token` (`None` without a JWT verifier).
#[cfg(feature = "jwt")]
pub(super) async fn verify_jwt(options: &HttpOptions, token: &str) -> Option<Result<String, String>> {
    let jwt = options.jwt.as_ref()?;
    Some(jwt.verify(token).await.map_err(|e| e.to_string()))
}

#[cfg(not(feature = "jwt"))]
pub(super) async fn verify_jwt(_: &HttpOptions, _: &str) -> Option<Result<String, String>> {
    None
}

/// The principal of the request when bearer auth is on (`Ok(None)` when it is off).
pub(super) async fn authenticate(options: &HttpOptions, headers: &HeaderMap) -> Result<Option<String>, Response> {
    if options.bearer_tokens.is_empty() && !has_jwt(options) {
        return Ok(None);
    }
    let presented = header_str(headers, header::AUTHORIZATION)
        .and_then(|h| h.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    if let Some(principal) = presented.and_then(|t| static_token_principal(&options.bearer_tokens, t)) {
        return Ok(Some(principal.to_owned()));
    }
    let why = match presented {
        Some(token) => match verify_jwt(options, token).await {
            Some(Ok(principal)) => return Ok(Some(principal)),
            Some(Err(e)) => Some(e),
            None => Some("The access token is not valid".to_owned()),
        },
        None => None,
    };
    let (challenge, message) = match why {
        Some(why) => {
            // Quotes and backslashes cannot appear in a quoted-string unescaped.
            let why: String = why.chars().filter(|c| *c != '"' && *c != '\\' && !c.is_control()).collect();
            (
                format!(r#"Bearer realm="mcp", error="invalid_token", error_description="{why}""#),
                "Unauthorized: invalid bearer token",
            )
        }
        None => (r#"Bearer realm="mcp""#.to_owned(), "Unauthorized: a bearer token is required"),
    };
    let mut resp = plain_error(StatusCode::UNAUTHORIZED, message);
    let challenge = HeaderValue::from_str(&challenge)
        .unwrap_or_else(|_| HeaderValue::from_static(r#"Bearer realm="mcp", error="invalid_token""#));
    resp.headers_mut().insert(header::WWW_AUTHENTICATE, challenge);
    Err(resp)
}

/// A session may only be used by the principal that opened it.
pub(super) fn check_principal(session: &HttpSession, principal: &Option<String>) -> Result<(), Response> {
    if session.session.principal() == *principal {
        Ok(())
    } else {
        Err(plain_error(StatusCode::FORBIDDEN, "Forbidden: the session belongs to another principal"))
    }
}

/// Reads a POST body: a declared `Content-Length` over the limit is refused before reading,
/// the rest is read up to the limit (413 past it) within `body_read_timeout` (408 after it).
pub(super) async fn read_body(options: &HttpOptions, headers: &HeaderMap, body: Body) -> Result<Bytes, Response> {
    let limit = options.max_body_bytes;
    let too_large =
        || plain_error(StatusCode::PAYLOAD_TOO_LARGE, &format!("Payload Too Large: the limit is {limit} bytes"));
    let declared = header_str(headers, header::CONTENT_LENGTH).and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    match tokio::time::timeout(options.body_read_timeout, axum::body::to_bytes(body, limit)).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(_)) => Err(too_large()),
        Err(_) => Err(plain_error(StatusCode::REQUEST_TIMEOUT, "Request Timeout: the body was not sent in time")),
    }
}
