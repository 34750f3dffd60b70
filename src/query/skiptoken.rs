//! The `$skiptoken` continuation token and its URL-safe encoding.

use crate::error::{Error, ErrorKind, Parameter};
use crate::fold::{fold_case, is_folded};

/// The first byte of every payload. A change to the payload layout gets a new value, so
/// tokens issued by an older engine are rejected rather than misread.
const FORMAT_VERSION: u8 = 1;

/// The length in bytes of the checksum at the end of the payload.
const CHECKSUM_LEN: usize = 8;

/// A continuation token that marks where the next page of List Tasks starts.
///
/// The token carries the case-folded id of the last task returned, and the next page starts
/// after that id. Clients treat the encoded token as opaque and only copy it from
/// `odata.nextLink`.
///
/// ```
/// use batch_odata::query::SkipToken;
///
/// let token = SkipToken::new("Task-7 & 'x'");
/// let text = token.encode();
/// assert!(text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
/// assert_eq!(SkipToken::decode(&text).unwrap().last_id(), "task-7 & 'x'");
/// assert!(SkipToken::decode("AAAA").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SkipToken {
    last_id: String,
}

impl SkipToken {
    /// Creates the token that resumes after the task with id `last_id`, which is case-folded
    /// here if it is not already.
    pub fn new(last_id: &str) -> SkipToken {
        SkipToken {
            last_id: fold_case(last_id),
        }
    }

    /// Returns the case-folded id of the last task of the previous page.
    pub fn last_id(&self) -> &str {
        &self.last_id
    }

    /// Encodes the token as URL-safe text: the unpadded base64url form of a format version
    /// byte, the UTF-8 id and a checksum of both.
    pub fn encode(&self) -> String {
        let mut payload = Vec::with_capacity(1 + self.last_id.len() + CHECKSUM_LEN);
        payload.push(FORMAT_VERSION);
        payload.extend_from_slice(self.last_id.as_bytes());
        let checksum = fnv1a_64(&payload);
        payload.extend_from_slice(&checksum.to_be_bytes());
        base64url::encode(&payload)
    }

    /// Decodes a token produced by [`SkipToken::encode`].
    ///
    /// The checksum detects tokens that were altered or cut short by accident, such as a
    /// truncated copy of a URL. It is not a signature, so anyone can build a token that
    /// passes, but such a token only moves where a listing starts.
    ///
    /// # Errors
    ///
    /// Returns [`ErrorKind::SkipTokenInvalid`] about [`Parameter::SkipToken`], spanning the
    /// whole text, when the text is not unpadded base64url in canonical form, the checksum
    /// does not match, the format version is unknown, or the id is not case-folded UTF-8.
    pub fn decode(text: &str) -> Result<SkipToken, Error> {
        let invalid = || Error::whole(ErrorKind::SkipTokenInvalid, Parameter::SkipToken, text);

        let bytes = base64url::decode(text).ok_or_else(invalid)?;
        let checksum_start = bytes.len().checked_sub(CHECKSUM_LEN).ok_or_else(invalid)?;
        let (payload, checksum) = bytes.split_at(checksum_start);
        if checksum != fnv1a_64(payload).to_be_bytes() {
            return Err(invalid());
        }

        let Some((&FORMAT_VERSION, id)) = payload.split_first() else {
            return Err(invalid());
        };
        let id = std::str::from_utf8(id).map_err(|_| invalid())?;
        if !is_folded(id) {
            return Err(invalid());
        }
        Ok(SkipToken {
            last_id: id.to_owned(),
        })
    }
}

/// Returns the 64-bit FNV-1a hash of `bytes`.
///
/// It serves as an integrity check against accidental changes, not as a defence against
/// deliberate ones. Every step of FNV-1a is a bijection of the hash state, so two inputs of
/// equal length that differ in one byte always hash differently.
fn fnv1a_64(bytes: &[u8]) -> u64 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes.iter().fold(OFFSET_BASIS, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(PRIME)
    })
}

/// Unpadded base64url (RFC 4648, section 5), the alphabet `A-Z a-z 0-9 - _`.
mod base64url {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    /// Encodes `bytes` without `=` padding.
    pub fn encode(bytes: &[u8]) -> String {
        let mut text = String::with_capacity(bytes.len().div_ceil(3) * 4);
        for chunk in bytes.chunks(3) {
            let mut group = [0; 3];
            group[..chunk.len()].copy_from_slice(chunk);
            let bits = u32::from_be_bytes([0, group[0], group[1], group[2]]);

            // n bytes need n + 1 chars of six bits each.
            for i in 0..=chunk.len() {
                let sextet = (bits >> (18 - 6 * i)) & 0x3f;
                text.push(char::from(ALPHABET[sextet as usize]));
            }
        }
        text
    }

    /// Decodes unpadded text, or returns `None` when it has a char outside the alphabet, a
    /// length that no byte count encodes, or non-zero unused bits in its last char.
    ///
    /// Rejecting non-zero unused bits makes the encoding canonical: two different texts
    /// never decode to the same bytes, so every changed char changes the decoded bytes.
    pub fn decode(text: &str) -> Option<Vec<u8>> {
        let mut bytes = Vec::with_capacity(text.len() / 4 * 3 + 2);
        for chunk in text.as_bytes().chunks(4) {
            if chunk.len() == 1 {
                return None;
            }
            let mut bits = 0u32;
            for (i, &c) in chunk.iter().enumerate() {
                bits |= u32::from(sextet(c)?) << (18 - 6 * i);
            }

            // n + 1 chars carry n bytes. The bits after them must be zero.
            let group = bits.to_be_bytes();
            let len = chunk.len() - 1;
            if group[1 + len..].iter().any(|&b| b != 0) {
                return None;
            }
            bytes.extend_from_slice(&group[1..1 + len]);
        }
        Some(bytes)
    }

    /// Returns the six-bit value of an alphabet char.
    fn sextet(c: u8) -> Option<u8> {
        match c {
            b'A'..=b'Z' => Some(c - b'A'),
            b'a'..=b'z' => Some(c - b'a' + 26),
            b'0'..=b'9' => Some(c - b'0' + 52),
            b'-' => Some(62),
            b'_' => Some(63),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every char that can appear in an encoded token.
    const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    #[test]
    fn base64url_matches_rfc_4648_vectors() {
        let vectors = [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ];
        for (bytes, text) in vectors {
            assert_eq!(base64url::encode(bytes.as_bytes()), text);
            assert_eq!(base64url::decode(text).as_deref(), Some(bytes.as_bytes()));
        }
    }

    #[test]
    fn base64url_uses_url_safe_chars() {
        assert_eq!(base64url::encode(&[0xfb, 0xff]), "-_8");
        assert_eq!(base64url::decode("-_8"), Some(vec![0xfb, 0xff]));
    }

    #[test]
    fn base64url_rejects_bad_text() {
        for text in ["Z", "Zm9vY", "Zg==", "Zm+v", "Zm/v", "Zm9 ", "Zh", "Zm9"] {
            assert_eq!(base64url::decode(text), None, "{text:?}");
        }
    }

    #[test]
    fn fnv1a_64_matches_reference_values() {
        assert_eq!(fnv1a_64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a_64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a_64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn new_folds_the_id() {
        assert_eq!(SkipToken::new("Task-MÜLLER").last_id(), "task-müller");
    }

    #[test]
    fn token_round_trips_awkward_ids() {
        for id in [
            "",
            "task-1",
            "a&b=c",
            "'%20' +x",
            "ünïcödé σ 漢字 🦀",
            "\0\n",
        ] {
            let token = SkipToken::new(id);
            assert_eq!(SkipToken::decode(&token.encode()), Ok(token), "{id:?}");
        }
    }

    #[test]
    fn token_rejects_other_text() {
        let too_short = base64url::encode(&[FORMAT_VERSION, 0, 0]);
        for text in ["", "task-1", "AAAAAAAAAAAA", "!!!!", too_short.as_str()] {
            let error = SkipToken::decode(text).unwrap_err();
            assert_eq!(error.kind(), &ErrorKind::SkipTokenInvalid, "{text:?}");
            assert_eq!(error.parameter(), Parameter::SkipToken);
            assert_eq!(error.input(), text);
        }
    }

    /// Encodes a payload with a valid checksum, for tests of the checks after the checksum.
    fn encode_payload(payload: &[u8]) -> String {
        let mut bytes = payload.to_vec();
        bytes.extend_from_slice(&fnv1a_64(payload).to_be_bytes());
        base64url::encode(&bytes)
    }

    #[test]
    fn token_rejects_unknown_format_version() {
        assert!(SkipToken::decode(&encode_payload(b"\x02task-1")).is_err());
        assert!(SkipToken::decode(&encode_payload(b"")).is_err());
    }

    #[test]
    fn token_rejects_invalid_utf8_id() {
        assert!(SkipToken::decode(&encode_payload(b"\x01\xc3\x28")).is_err());
    }

    #[test]
    fn token_rejects_unfolded_id() {
        assert!(SkipToken::decode(&encode_payload(b"\x01task-1")).is_ok());
        assert!(SkipToken::decode(&encode_payload(b"\x01Task-1")).is_err());
    }

    #[test]
    fn token_detects_every_single_char_change() {
        for id in ["", "t", "task-0042", "job/ü & 'x'"] {
            let text = SkipToken::new(id).encode();
            for (i, original) in text.char_indices() {
                for replacement in ALPHABET.chars().chain(['=', '.', '%', '~']) {
                    if replacement == original {
                        continue;
                    }
                    let mut altered = text.clone();
                    altered.replace_range(i..i + 1, replacement.encode_utf8(&mut [0; 4]));
                    assert!(SkipToken::decode(&altered).is_err(), "{altered:?}");
                }
            }
        }
    }

    #[test]
    fn token_error_renders() {
        let error = SkipToken::decode("AQB0YXNrLTE").unwrap_err();
        insta::assert_snapshot!(error.render());
    }

    proptest! {
        #[test]
        fn token_round_trips(id in any::<String>()) {
            let token = SkipToken::new(&id);
            prop_assert_eq!(token.last_id(), fold_case(&id));
            prop_assert_eq!(SkipToken::decode(&token.encode()), Ok(token));
        }

        #[test]
        fn token_detects_a_changed_char(
            id in any::<String>(),
            position in any::<prop::sample::Index>(),
            replacement in prop::sample::select(ALPHABET.as_bytes().to_vec()),
        ) {
            let text = SkipToken::new(&id).encode();
            let i = position.index(text.len());
            prop_assume!(text.as_bytes()[i] != replacement);
            let mut altered = text.into_bytes();
            altered[i] = replacement;
            let altered = String::from_utf8(altered).unwrap();
            prop_assert!(SkipToken::decode(&altered).is_err());
        }

        #[test]
        fn token_detects_truncation(id in any::<String>(), cut in any::<prop::sample::Index>()) {
            let text = SkipToken::new(&id).encode();
            let len = cut.index(text.len());
            prop_assert!(SkipToken::decode(&text[..len]).is_err());
        }

        #[test]
        fn token_decode_never_panics(text in any::<String>()) {
            let _ = SkipToken::decode(&text);
        }

        #[test]
        fn base64url_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            prop_assert_eq!(base64url::decode(&base64url::encode(&bytes)), Some(bytes));
        }
    }
}
