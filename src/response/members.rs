//! Splitting JSON text into the members of an object or the items of an array, without
//! parsing the values.
//!
//! Projecting a stored task copies most of its members as they are, so it needs only where
//! each member starts and ends. The scanner finds that by following strings and nesting,
//! which costs a fraction of building serde_json's `RawValue`s. Scalars are not checked:
//! stored text is valid JSON, and the projection reports an error through serde_json when
//! the scanner finds the structure broken.

use std::borrow::Cow;

/// One member of an object: its unescaped name and its value's text.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Member<'a> {
    pub(crate) name: Cow<'a, str>,
    pub(crate) value: &'a str,
}

/// The text is not JSON as far as the scanner can tell.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Malformed;

/// The members of an object's text, in order.
pub(crate) struct Members<'a> {
    split: Split<'a>,
}

impl<'a> Members<'a> {
    /// Starts at the text of an object, with optional whitespace around it.
    pub(crate) fn new(text: &'a str) -> Members<'a> {
        Members {
            split: Split::new(text, b'{', b'}'),
        }
    }
}

impl<'a> Iterator for Members<'a> {
    type Item = Result<Member<'a>, Malformed>;

    fn next(&mut self) -> Option<Self::Item> {
        self.split.next(true).map(|entry| {
            let (name, value) = entry?;
            Ok(Member {
                name: name.ok_or(Malformed)?,
                value,
            })
        })
    }
}

/// The items of an array's text, in order.
pub(crate) struct Items<'a> {
    split: Split<'a>,
}

impl<'a> Items<'a> {
    /// Starts at the text of an array, with optional whitespace around it.
    pub(crate) fn new(text: &'a str) -> Items<'a> {
        Items {
            split: Split::new(text, b'[', b']'),
        }
    }
}

impl<'a> Iterator for Items<'a> {
    type Item = Result<&'a str, Malformed>;

    fn next(&mut self) -> Option<Self::Item> {
        self.split
            .next(false)
            .map(|entry| entry.map(|(_, value)| value))
    }
}

/// The position of the scan in an object or array.
#[derive(Clone, Copy, Debug, PartialEq)]
enum State {
    /// Before the opening bracket.
    Start,
    /// After the opening bracket, where the closing one may follow at once.
    First,
    /// After the first entry has started.
    Entry,
    /// After the closing bracket, or after an error.
    Done,
}

/// The entries of an object or array, with the names of an object's members.
struct Split<'a> {
    text: &'a str,
    at: usize,
    open: u8,
    close: u8,
    state: State,
}

type Entry<'a> = (Option<Cow<'a, str>>, &'a str);

impl<'a> Split<'a> {
    fn new(text: &'a str, open: u8, close: u8) -> Split<'a> {
        Split {
            text,
            at: 0,
            open,
            close,
            state: State::Start,
        }
    }

    fn next(&mut self, named: bool) -> Option<Result<Entry<'a>, Malformed>> {
        if self.state == State::Done {
            return None;
        }
        match self.entry(named) {
            Ok(Some(entry)) => Some(Ok(entry)),
            Ok(None) => {
                self.state = State::Done;
                None
            }
            Err(malformed) => {
                self.state = State::Done;
                Some(Err(malformed))
            }
        }
    }

    /// Returns the next entry, or `None` after the closing bracket.
    fn entry(&mut self, named: bool) -> Result<Option<Entry<'a>>, Malformed> {
        let bytes = self.text.as_bytes();
        if self.state == State::Start {
            self.expect(self.open)?;
            self.state = State::First;
        }
        self.at = skip_space(bytes, self.at);
        if self.state == State::First && bytes.get(self.at) == Some(&self.close) {
            self.at += 1;
            return self.end().map(|()| None);
        }
        self.state = State::Entry;

        let name = if named {
            let end = string_end(bytes, self.at).ok_or(Malformed)?;
            let name = unescape(&self.text[self.at..end])?;
            self.at = end;
            self.expect(b':')?;
            self.at = skip_space(bytes, self.at);
            Some(name)
        } else {
            None
        };
        let end = value_end(bytes, self.at).ok_or(Malformed)?;
        let value = &self.text[self.at..end];
        self.at = skip_space(bytes, end);

        match bytes.get(self.at) {
            Some(b',') => self.at += 1,
            Some(&byte) if byte == self.close => {
                self.at += 1;
                self.end()?;
                self.state = State::Done;
            }
            _ => return Err(Malformed),
        }
        Ok(Some((name, value)))
    }

    /// Steps over `byte` after optional whitespace.
    fn expect(&mut self, byte: u8) -> Result<(), Malformed> {
        self.at = skip_space(self.text.as_bytes(), self.at);
        if self.text.as_bytes().get(self.at) != Some(&byte) {
            return Err(Malformed);
        }
        self.at += 1;
        Ok(())
    }

    /// Checks that only whitespace follows the closing bracket.
    fn end(&self) -> Result<(), Malformed> {
        let bytes = self.text.as_bytes();
        if skip_space(bytes, self.at) == bytes.len() {
            Ok(())
        } else {
            Err(Malformed)
        }
    }
}

/// Returns the name in a quoted JSON string, borrowed unless it has escapes.
fn unescape(quoted: &str) -> Result<Cow<'_, str>, Malformed> {
    let inner = &quoted[1..quoted.len() - 1];
    if !inner.contains('\\') {
        return Ok(Cow::Borrowed(inner));
    }
    serde_json::from_str::<String>(quoted)
        .map(Cow::Owned)
        .map_err(|_| Malformed)
}

fn skip_space(bytes: &[u8], mut at: usize) -> usize {
    while matches!(bytes.get(at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        at += 1;
    }
    at
}

/// Returns the index after the string that starts with the quote at `start`.
fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    if bytes.get(start) != Some(&b'"') {
        return None;
    }
    let mut at = start + 1;
    loop {
        at += memchr::memchr2(b'"', b'\\', bytes.get(at..)?)?;
        if bytes[at] == b'"' {
            return Some(at + 1);
        }
        // An escape is a backslash and at least one more byte, never a closing quote.
        at += 2;
    }
}

/// Returns the index after the value that starts at `start`.
fn value_end(bytes: &[u8], start: usize) -> Option<usize> {
    match bytes.get(start)? {
        b'"' => string_end(bytes, start),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut at = start;
            loop {
                match bytes.get(at)? {
                    b'"' => {
                        at = string_end(bytes, at)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(at + 1);
                        }
                    }
                    _ => {}
                }
                at += 1;
            }
        }
        _ => {
            let length = bytes[start..]
                .iter()
                .position(|byte| matches!(byte, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'))
                .unwrap_or(bytes.len() - start);
            (length > 0).then_some(start + length)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(text: &str) -> Result<Vec<(String, &str)>, Malformed> {
        Members::new(text)
            .map(|member| member.map(|member| (member.name.into_owned(), member.value)))
            .collect()
    }

    #[test]
    fn members_split_nested_values() {
        let text = r#"{"id":"a\"}","n":-1.5e3,"o":{"x":[1,{"y":"]"}]},"e":{},"t":true}"#;
        let expected = vec![
            ("id".to_owned(), r#""a\"}""#),
            ("n".to_owned(), "-1.5e3"),
            ("o".to_owned(), r#"{"x":[1,{"y":"]"}]}"#),
            ("e".to_owned(), "{}"),
            ("t".to_owned(), "true"),
        ];
        assert_eq!(members(text), Ok(expected));
    }

    #[test]
    fn members_allow_whitespace_and_escaped_names() {
        let text = " { \"a\\u0062\" : [ 1 , 2 ] ,\n\"c\":null } ";
        let expected = vec![("ab".to_owned(), "[ 1 , 2 ]"), ("c".to_owned(), "null")];
        assert_eq!(members(text), Ok(expected));
        assert_eq!(members("{}"), Ok(vec![]));
    }

    #[test]
    fn items_split_an_array() {
        let items: Result<Vec<&str>, Malformed> = Items::new(r#"[{"a":[]},"x",3]"#).collect();
        assert_eq!(items, Ok(vec![r#"{"a":[]}"#, r#""x""#, "3"]));
        assert_eq!(Items::new("[]").count(), 0);
    }

    #[test]
    fn broken_text_is_malformed() {
        let cases = [
            "",
            "[",
            "{",
            "{\"a\"}",
            "{\"a\":}",
            "{\"a\":1",
            "{\"a\":1,}",
            "{\"a\":\"x",
            "{\"a\":{\"b\":1}",
            "{\"a\":1}x",
            "{,}",
            "{\"a\\\":1}",
            "[1]",
            "{\"a\":1 2}",
        ];
        for text in cases {
            assert!(members(text).is_err(), "{text:?}");
        }
    }
}
