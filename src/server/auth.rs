//! Shared Key authentication, verified the way the Azure Batch SDKs sign requests.
//!
//! The header is `Authorization: SharedKey {account}:{signature}`, where the signature is
//! the Base64 HMAC-SHA256, keyed with the decoded account key, of this string:
//!
//! ```text
//! GET\n                                   method
//! \n\n\n\napplication/json; charset=utf-8\n   Content-Encoding … Range: 11 header values
//! \n\n\n\n\n\n
//! ocp-date:Tue, 13 Mar 2018 07:19:28 GMT\n     every header whose name contains `ocp-`
//! /account/jobs/job-1/tasks                    `/`, account name, raw URL path
//! \n$filter:state eq 'active'                  decoded query parameters, sorted by name
//! \napi-version:2018-12-01.8.0
//! ```
//!
//! The Python SDKs (`azure/batch/batch_auth.py` in every azure-batch wheel) lower-case the
//! `ocp-` header names and sort them, decode the query with `parse_qs` (`+` is a space),
//! use only the first value of a repeated parameter and skip parameters with empty values.
//! Releases up to 4.1.3 also turn `%2F` and `%5C` in the path into `/` before signing, so
//! both forms of the path are accepted.

use std::time::{Duration, SystemTime};

use axum::http::{HeaderMap, Method, StatusCode, Uri};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::config::SharedKey;
use super::reply::ApiError;
use crate::query::decode_query;

/// How far a request's `ocp-date` or `Date` may be from the server's clock.
const MAX_CLOCK_SKEW: Duration = Duration::from_secs(15 * 60);

/// The standard headers whose values are signed, in signing order.
const SIGNED_HEADERS: [&str; 11] = [
    "content-encoding",
    "content-language",
    "content-length",
    "content-md5",
    "content-type",
    "date",
    "if-modified-since",
    "if-match",
    "if-none-match",
    "if-unmodified-since",
    "range",
];

/// Checks the request's Shared Key signature and date.
///
/// # Errors
///
/// Returns 400 `InvalidAuthenticationInfo` for an `Authorization` header that is not of
/// the form `SharedKey account:base64`, and 403 `AuthenticationFailed` for a missing
/// header, another account, a wrong signature, or a date missing or more than 15 minutes
/// away from the server's clock.
pub(crate) fn verify(
    account: &SharedKey,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<(), ApiError> {
    let Some(authorization) = headers.get("authorization") else {
        return Err(failed("the Authorization header is missing"));
    };
    let (name, signature) = parse_authorization(authorization.to_str().ok())?;
    if name != account.account {
        return Err(failed(
            "the account name in the Authorization header is unknown",
        ));
    }
    check_date(headers, SystemTime::now())?;

    let path = uri.path();
    let legacy_path = legacy_path(path);
    let mut paths = vec![path];
    if legacy_path != path {
        paths.push(&legacy_path);
    }
    let signed = paths.iter().any(|path| {
        let text = string_to_sign(method, path, uri.query().unwrap_or(""), headers, &name);
        text.is_some_and(|text| signature_matches(&account.key, &text, &signature))
    });
    if signed {
        Ok(())
    } else {
        Err(failed(
            "the signature does not match the string to sign computed from the request",
        ))
    }
}

/// Splits `SharedKey account:signature` and decodes the signature.
fn parse_authorization(value: Option<&str>) -> Result<(String, Vec<u8>), ApiError> {
    let malformed = || {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "InvalidAuthenticationInfo",
            "Authentication information is not given in the correct format. Check the value \
             of Authorization header.",
        )
    };
    let credentials = value
        .and_then(|value| value.strip_prefix("SharedKey "))
        .ok_or_else(malformed)?;
    let (name, signature) = credentials.trim().split_once(':').ok_or_else(malformed)?;
    let signature = STANDARD.decode(signature).map_err(|_| malformed())?;
    if name.is_empty() {
        return Err(malformed());
    }
    Ok((name.to_owned(), signature))
}

/// Checks that `ocp-date`, or else `Date`, is within [`MAX_CLOCK_SKEW`] of `now`.
fn check_date(headers: &HeaderMap, now: SystemTime) -> Result<(), ApiError> {
    let value = headers
        .get("ocp-date")
        .or_else(|| headers.get("date"))
        .ok_or_else(|| failed("the request has neither an ocp-date nor a Date header"))?;
    let date = value
        .to_str()
        .ok()
        .and_then(|text| httpdate::parse_http_date(text).ok())
        .ok_or_else(|| failed("the request date is not an RFC 1123 date"))?;
    let skew = now
        .duration_since(date)
        .or_else(|_| date.duration_since(now))
        .unwrap_or_default();
    if skew > MAX_CLOCK_SKEW {
        return Err(failed(
            "the request date is more than 15 minutes away from the server's clock",
        ));
    }
    Ok(())
}

/// Returns the path as SDKs up to 4.1.3 sign it, with `%2F` and `%5C` as `/`.
fn legacy_path(path: &str) -> String {
    path.replace("%2F", "/")
        .replace("%2f", "/")
        .replace("%5C", "/")
        .replace("%5c", "/")
}

/// Builds the string to sign, or `None` when a signed header or the query cannot be read.
fn string_to_sign(
    method: &Method,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    account: &str,
) -> Option<String> {
    let mut text = format!("{}\n", method.as_str().to_ascii_uppercase());
    for name in SIGNED_HEADERS {
        if let Some(value) = headers.get(name) {
            text.push_str(value.to_str().ok()?);
        }
        text.push('\n');
    }

    let mut ocp: Vec<(String, &str)> = Vec::new();
    for (name, value) in headers {
        let value = value.to_str().ok()?;
        if name.as_str().contains("ocp-") && !value.is_empty() {
            ocp.push((name.as_str().to_ascii_lowercase(), value));
        }
    }
    ocp.sort();
    for (name, value) in ocp {
        text.push_str(&format!("{name}:{value}\n"));
    }

    text.push_str(&format!("/{account}{path}"));
    let mut params: Vec<(String, String)> = Vec::new();
    for param in decode_query(query).ok()? {
        if !params.iter().any(|(name, _)| *name == param.name) {
            params.push((param.name, param.value));
        }
    }
    params.sort();
    for (name, value) in params.iter().filter(|(_, value)| !value.is_empty()) {
        text.push_str(&format!("\n{name}:{value}"));
    }
    Some(text)
}

/// Returns the Base64 signature of `text` with `key`, as a client computes it.
#[cfg(test)]
fn sign(key: &[u8], text: &str) -> String {
    STANDARD.encode(mac(key, text).finalize().into_bytes())
}

fn signature_matches(key: &[u8], text: &str, signature: &[u8]) -> bool {
    // verify_slice compares in constant time, so timing does not reveal the signature.
    mac(key, text).verify_slice(signature).is_ok()
}

fn mac(key: &[u8], text: &str) -> Hmac<Sha256> {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(text.as_bytes());
    mac
}

fn failed(reason: &str) -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "AuthenticationFailed",
        "Server failed to authenticate the request. Make sure the value of Authorization \
         header is formed correctly including the signature.",
    )
    .with("AuthenticationErrorDetail", reason)
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn string_to_sign_matches_sdk_layout() {
        let map = headers(&[
            ("content-type", "application/json; charset=utf-8"),
            ("ocp-date", "Tue, 13 Mar 2018 07:19:28 GMT"),
            ("accept", "application/json"),
        ]);
        let query = "api-version=2018-12-01.8.0&$filter=state%20eq%20'active'&timeout=";
        let text = string_to_sign(&Method::GET, "/jobs/j/tasks", query, &map, "acct").unwrap();
        assert_eq!(
            text,
            "GET\n\n\n\n\napplication/json; charset=utf-8\n\n\n\n\n\n\n\
             ocp-date:Tue, 13 Mar 2018 07:19:28 GMT\n\
             /acct/jobs/j/tasks\n$filter:state eq 'active'\napi-version:2018-12-01.8.0"
        );
    }

    #[test]
    fn repeated_parameter_signs_first_value() {
        let text =
            string_to_sign(&Method::GET, "/jobs", "b=1&a=2&b=3", &HeaderMap::new(), "x").unwrap();
        assert!(text.ends_with("/x/jobs\na:2\nb:1"), "{text:?}");
    }

    #[test]
    fn authorization_must_name_scheme() {
        let error = parse_authorization(Some("Bearer abc")).unwrap_err();
        assert_eq!(error.code(), "InvalidAuthenticationInfo");
    }

    #[test]
    fn old_date_is_rejected() {
        let map = headers(&[("ocp-date", "Tue, 13 Mar 2018 07:19:28 GMT")]);
        let error = check_date(&map, SystemTime::now()).unwrap_err();
        assert_eq!(error.code(), "AuthenticationFailed");
    }

    #[test]
    fn recent_date_is_accepted() {
        let now = SystemTime::now();
        let date = httpdate::fmt_http_date(now - Duration::from_secs(60));
        let map = headers(&[("date", &date)]);
        assert!(check_date(&map, now).is_ok());
    }

    #[test]
    fn signature_round_trips() {
        let signature = STANDARD.decode(sign(b"key", "text")).unwrap();
        assert!(signature_matches(b"key", "text", &signature));
        assert!(!signature_matches(b"key", "other", &signature));
    }

    #[test]
    fn legacy_path_turns_encoded_slashes_into_slashes() {
        assert_eq!(legacy_path("/jobs/a%2Fb%5cc"), "/jobs/a/b/c");
    }
}
