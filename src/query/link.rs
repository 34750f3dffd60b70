//! Building the `odata.nextLink` URL of the next page.

use super::params::ListParams;
use super::skiptoken::SkipToken;

/// Builds the absolute `odata.nextLink` URL that fetches the page after `token`.
///
/// Clients send a GET to the link verbatim and add no parameters of their own, so the link
/// repeats every parameter of [`ListParams::original`] in the original order, then adds
/// `$skiptoken`. Each name and value is percent-encoded except for the unreserved chars
/// `A-Z a-z 0-9 - . _ ~`, and names also keep `$` as it is, so [`decode_query`] returns the
/// same pairs whether it decodes `+` as a space or not. Any query string or fragment already
/// on `base_url` is dropped, because the link's query is rebuilt from `params`.
///
/// ```
/// use batch_odata::query::{ListParams, SkipToken, next_link};
///
/// let params = ListParams::from_query("api-version=2018-12-01.8.0&$filter=id%20eq%20'a+b'")
///     .unwrap();
/// let token = SkipToken::new("task-3");
/// let link = next_link("https://account.region.batch.azure.com/jobs/job-1/tasks", &params, &token);
/// assert_eq!(
///     link,
///     format!(
///         "https://account.region.batch.azure.com/jobs/job-1/tasks?api-version=2018-12-01.8.0\
///          &$filter=id%20eq%20%27a%20b%27&$skiptoken={}",
///         token.encode()
///     )
/// );
/// ```
///
/// [`decode_query`]: super::decode_query
pub fn next_link(base_url: &str, params: &ListParams, token: &SkipToken) -> String {
    let end = base_url.find(['?', '#']).unwrap_or(base_url.len());
    let mut link = String::with_capacity(base_url.len() + 64);
    link.push_str(&base_url[..end]);
    link.push('?');
    for (name, value) in &params.original {
        push_encoded(&mut link, name, b"$");
        link.push('=');
        push_encoded(&mut link, value, b"");
        link.push('&');
    }
    link.push_str("$skiptoken=");
    link.push_str(&token.encode());
    link
}

/// Upper-case hex digits, which RFC 3986 recommends for percent-encoding.
const HEX_DIGITS: &[u8; 16] = b"0123456789ABCDEF";

/// Appends `text` percent-encoded, keeping unreserved chars and the bytes in `keep`.
fn push_encoded(out: &mut String, text: &str, keep: &[u8]) {
    for byte in text.bytes() {
        let unreserved = byte.is_ascii_alphanumeric() || b"-._~".contains(&byte);
        if unreserved || keep.contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX_DIGITS[usize::from(byte >> 4)]));
            out.push(char::from(HEX_DIGITS[usize::from(byte & 0x0f)]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::decode_query;
    use super::*;
    use proptest::prelude::*;

    const BASE: &str = "https://account.region.batch.azure.com/jobs/job-1/tasks";

    /// Returns the parameters of a next link decoded from its query string.
    fn follow(link: &str) -> ListParams {
        let (_, query) = link.split_once('?').unwrap();
        ListParams::from_query(query).unwrap()
    }

    /// Returns `params` as the next page after `last_id` should parse them.
    fn with_token(params: &ListParams, last_id: &str) -> ListParams {
        ListParams {
            skip_token: Some(SkipToken::new(last_id)),
            ..params.clone()
        }
    }

    #[test]
    fn link_encodes_reserved_and_non_ascii_bytes() {
        let mut out = String::new();
        push_encoded(&mut out, "a b&c=d+e%f'g#h/i?j$k~l.m_n-oü", b"");
        assert_eq!(
            out,
            "a%20b%26c%3Dd%2Be%25f%27g%23h%2Fi%3Fj%24k~l.m_n-o%C3%BC"
        );
    }

    #[test]
    fn link_keeps_dollar_in_names_only() {
        let params = ListParams::from_query("api-version=2018-12-01.8.0&$filter=%24x").unwrap();
        let link = next_link(BASE, &params, &SkipToken::new("a"));
        assert!(link.contains("&$filter=%24x&"), "{link}");
    }

    #[test]
    fn link_drops_query_of_base_url() {
        let params = ListParams::from_query("api-version=2018-12-01.8.0").unwrap();
        let token = SkipToken::new("a");
        let link = next_link(&format!("{BASE}?old=1#frag"), &params, &token);
        let expected = format!(
            "{BASE}?api-version=2018-12-01.8.0&$skiptoken={}",
            token.encode()
        );
        assert_eq!(link, expected);
    }

    #[test]
    fn link_replaces_previous_skiptoken() {
        let first = SkipToken::new("task-1").encode();
        let raw = format!("api-version=2018-12-01.8.0&$skiptoken={first}");
        let params = ListParams::from_query(&raw).unwrap();
        let next = follow(&next_link(BASE, &params, &SkipToken::new("task-2")));
        assert_eq!(next.skip_token.unwrap().last_id(), "task-2");
    }

    #[test]
    fn link_round_trips_awkward_filters() {
        let filters = [
            "id eq 'a&b=c'",
            "id eq 'a+b' and state eq 'active'",
            "id eq '100%'",
            "id eq 'it''s'",
            "id eq '#1?x'",
            "startswith(id, 'tâche-ü-漢字')",
            "creationTime gt 2018-01-01T00:00:00+03:00",
            "",
        ];
        for filter in filters {
            let pairs: Vec<(String, String)> = [
                ("api-version", "2018-12-01.8.0"),
                ("$filter", filter),
                ("$select", "id, state"),
                ("$expand", "stats"),
                ("maxresults", "10"),
                ("timeout", "60"),
                ("unknown name&=", "x y"),
            ]
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
            let params = ListParams::from_pairs(&pairs).unwrap();
            let next = follow(&next_link(BASE, &params, &SkipToken::new("Task&=%'x")));
            assert_eq!(next, with_token(&params, "Task&=%'x"), "{filter:?}");
        }
    }

    #[test]
    fn link_query_decodes_to_original_pairs() {
        let raw = "api-version=2018-12-01.8.0&a=&b&=c&%24filter=x+y";
        let params = ListParams::from_query(raw).unwrap();
        let link = next_link(BASE, &params, &SkipToken::new("z"));
        let (_, query) = link.split_once('?').unwrap();
        let decoded: Vec<(String, String)> = decode_query(query)
            .unwrap()
            .into_iter()
            .map(|param| (param.name, param.value))
            .filter(|(name, _)| name != "$skiptoken")
            .collect();
        assert_eq!(decoded, params.original);
    }

    proptest! {
        #[test]
        fn link_round_trips_any_filter(
            filter in any::<String>(),
            extra in any::<(String, String)>(),
            last_id in any::<String>(),
        ) {
            let pairs = vec![
                ("api-version".to_owned(), "2018-12-01.8.0".to_owned()),
                ("$filter".to_owned(), filter),
                extra,
            ];
            // A random extra pair may itself name a known parameter with a bad value.
            let Ok(params) = ListParams::from_pairs(&pairs) else {
                return Ok(());
            };
            let next = follow(&next_link(BASE, &params, &SkipToken::new(&last_id)));
            prop_assert_eq!(next, with_token(&params, &last_id));
        }
    }
}
