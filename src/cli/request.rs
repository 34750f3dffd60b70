//! Request parameters from flags and `--query`, decoded by the same code as the server's.

use batch_odata::error::Error;
use batch_odata::query::decode_query;
use batch_odata::version::ApiVersion;

/// The reason the parameters could not be collected.
pub(super) enum Rejection {
    /// The raw query string is invalid: exit 1, rendered in the command's format.
    Invalid(Error),
    /// A parameter is given twice, by flag and in `--query`: exit 2, with this message.
    Usage(String),
}

/// Collects the request's parameters as decoded name/value pairs.
///
/// `flags` pairs each parameter name with its flag's value. A parameter given both by its
/// flag and inside `query` is a usage error. Without an `api-version` anywhere, the CLI
/// uses the newest published one.
pub(super) fn collect(
    query: Option<&str>,
    flags: &[(&str, Option<&str>)],
) -> Result<Vec<(String, String)>, Rejection> {
    let mut pairs: Vec<(String, String)> = match query {
        Some(raw) => decode_query(raw)
            .map_err(Rejection::Invalid)?
            .into_iter()
            .map(|p| (p.name, p.value))
            .collect(),
        None => Vec::new(),
    };
    for (name, value) in flags {
        let Some(value) = value else { continue };
        if pairs.iter().any(|(existing, _)| existing == name) {
            return Err(Rejection::Usage(format!(
                "error: {name} is given both as a flag and in --query; give it only once"
            )));
        }
        pairs.push(((*name).to_owned(), (*value).to_owned()));
    }
    if !pairs.iter().any(|(name, _)| name == "api-version") {
        pairs.push(("api-version".to_owned(), ApiVersion::LATEST.to_string()));
    }
    Ok(pairs)
}
