//! A reader for the ABNF subset of `grammar/filter.abnf`, and a generator of random
//! derivations from it.
//!
//! The subset is RFC 5234 with the case-sensitive strings of RFC 7405. It has rules
//! `name = elements` continued on indented lines, `;` comments, alternatives `/`,
//! concatenation, groups `( )`, options `[ ]` and repetitions `*x`, `1*x`, `n*m x` and
//! `nx`. Its terminals are quoted strings (case-insensitive), `%s"..."` strings
//! (case-sensitive), and `%x` values and ranges.
//! Incremental alternatives (`=/`) and prose values (`<...>`) are rejected, because the
//! grammar does not use them.

use std::collections::BTreeMap;

/// One element of a rule's definition.
#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    /// One of the alternatives.
    Alternation(Vec<Node>),
    /// Each element in order.
    Concatenation(Vec<Node>),
    /// The element repeated `min` to `max` times; `max` is `None` for no upper bound.
    Repetition {
        min: usize,
        max: Option<usize>,
        node: Box<Node>,
    },
    /// A reference to another rule.
    Rule(String),
    /// A string, matched with or without regard to case.
    Text { text: String, case_sensitive: bool },
    /// One char from a range of code points.
    Range(u32, u32),
}

/// The rules of a grammar, in the order they are defined.
#[derive(Debug)]
pub struct Grammar {
    pub rules: BTreeMap<String, Node>,
    pub order: Vec<String>,
}

impl Grammar {
    /// Reads a grammar, or returns a message that names the problem and its line.
    pub fn parse(text: &str) -> Result<Grammar, String> {
        let mut rules = BTreeMap::new();
        let mut order = Vec::new();
        for (line, definition) in rule_texts(text) {
            let (name, body) = definition
                .split_once('=')
                .ok_or_else(|| format!("line {line}: expected 'name = elements'"))?;
            let name = name.trim().to_owned();
            if body.starts_with('/') {
                return Err(format!(
                    "line {line}: incremental alternatives are not supported"
                ));
            }
            let mut reader = Reader {
                chars: body.chars().collect(),
                pos: 0,
                line,
            };
            let node = reader.alternation()?;
            reader.skip_space();
            if reader.pos < reader.chars.len() {
                return Err(format!(
                    "line {line}: unexpected {:?}",
                    reader.chars[reader.pos]
                ));
            }
            if rules.insert(name.clone(), node).is_some() {
                return Err(format!("line {line}: rule {name} is defined twice"));
            }
            order.push(name);
        }
        let grammar = Grammar { rules, order };
        grammar.check_references()?;
        Ok(grammar)
    }

    /// Fails when a rule refers to a rule that is not defined.
    fn check_references(&self) -> Result<(), String> {
        fn visit(node: &Node, grammar: &Grammar) -> Result<(), String> {
            match node {
                Node::Alternation(nodes) | Node::Concatenation(nodes) => {
                    nodes.iter().try_for_each(|node| visit(node, grammar))
                }
                Node::Repetition { node, .. } => visit(node, grammar),
                Node::Rule(name) if !grammar.rules.contains_key(name) => {
                    Err(format!("rule {name} is used but not defined"))
                }
                _ => Ok(()),
            }
        }
        self.rules.values().try_for_each(|node| visit(node, self))
    }
}

/// Splits the grammar into rule definitions with their first line numbers, with comments
/// removed and continuation lines joined.
fn rule_texts(text: &str) -> Vec<(usize, String)> {
    let mut rules: Vec<(usize, String)> = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = strip_comment(raw);
        if line.trim().is_empty() {
            continue;
        }
        let continues = line.starts_with([' ', '\t']);
        match rules.last_mut() {
            Some((_, rule)) if continues => {
                rule.push(' ');
                rule.push_str(line.trim());
            }
            _ => rules.push((index + 1, line.trim().to_owned())),
        }
    }
    rules
}

/// Returns the line without its `;` comment. A `;` inside a quoted string is kept.
fn strip_comment(line: &str) -> &str {
    let mut quoted = false;
    for (index, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ';' if !quoted => return &line[..index],
            _ => {}
        }
    }
    line
}

/// A cursor over the elements of one rule.
struct Reader {
    chars: Vec<char>,
    pos: usize,
    line: usize,
}

impl Reader {
    fn error(&self, message: &str) -> String {
        format!(
            "line {}: {message} at column {} of the rule",
            self.line, self.pos
        )
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_space(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn alternation(&mut self) -> Result<Node, String> {
        let mut alternatives = vec![self.concatenation()?];
        loop {
            self.skip_space();
            if self.peek() != Some('/') {
                break;
            }
            self.pos += 1;
            alternatives.push(self.concatenation()?);
        }
        Ok(single_or(alternatives, Node::Alternation))
    }

    fn concatenation(&mut self) -> Result<Node, String> {
        let mut items = Vec::new();
        loop {
            self.skip_space();
            match self.peek() {
                None | Some('/' | ')' | ']') => break,
                _ => items.push(self.repetition()?),
            }
        }
        if items.is_empty() {
            return Err(self.error("expected an element"));
        }
        Ok(single_or(items, Node::Concatenation))
    }

    fn repetition(&mut self) -> Result<Node, String> {
        let min = self.number(10);
        let (min, max) = if self.peek() == Some('*') {
            self.pos += 1;
            (min.unwrap_or(0), self.number(10))
        } else {
            match min {
                Some(count) => (count, Some(count)),
                None => return self.element(),
            }
        };
        let node = Box::new(self.element()?);
        Ok(Node::Repetition { min, max, node })
    }

    /// Reads digits in `radix`, or returns `None` when there are none.
    fn number(&mut self, radix: u32) -> Option<usize> {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_digit(radix)) {
            self.pos += 1;
        }
        let digits: String = self.chars[start..self.pos].iter().collect();
        usize::from_str_radix(&digits, radix).ok()
    }

    fn element(&mut self) -> Result<Node, String> {
        match self.peek() {
            Some('(') => self.bracketed(')'),
            Some('[') => {
                let node = self.bracketed(']')?;
                Ok(Node::Repetition {
                    min: 0,
                    max: Some(1),
                    node: Box::new(node),
                })
            }
            Some('"') => self.quoted(false),
            Some('%') => self.percent(),
            Some(c) if c.is_ascii_alphabetic() => {
                let start = self.pos;
                while self
                    .peek()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == '-')
                {
                    self.pos += 1;
                }
                Ok(Node::Rule(self.chars[start..self.pos].iter().collect()))
            }
            _ => Err(self.error("expected an element")),
        }
    }

    fn bracketed(&mut self, close: char) -> Result<Node, String> {
        self.pos += 1;
        let node = self.alternation()?;
        self.skip_space();
        if self.peek() != Some(close) {
            return Err(self.error(&format!("expected '{close}'")));
        }
        self.pos += 1;
        Ok(node)
    }

    fn quoted(&mut self, case_sensitive: bool) -> Result<Node, String> {
        self.pos += 1;
        let start = self.pos;
        while self.peek().is_some_and(|c| c != '"') {
            self.pos += 1;
        }
        if self.peek().is_none() {
            return Err(self.error("unterminated string"));
        }
        let text = self.chars[start..self.pos].iter().collect();
        self.pos += 1;
        Ok(Node::Text {
            text,
            case_sensitive,
        })
    }

    fn percent(&mut self) -> Result<Node, String> {
        self.pos += 1;
        match self.peek().map(|c| c.to_ascii_lowercase()) {
            Some('s') => {
                self.pos += 1;
                self.quoted(true)
            }
            Some('i') => {
                self.pos += 1;
                self.quoted(false)
            }
            Some('x') => {
                self.pos += 1;
                self.hex_value()
            }
            _ => Err(self.error("only %s, %i and %x values are supported")),
        }
    }

    /// Reads `%x41`, `%x41-5A` or `%x41.42` after the `%x`.
    fn hex_value(&mut self) -> Result<Node, String> {
        let hex = |reader: &mut Reader| {
            let value = reader
                .number(16)
                .ok_or_else(|| reader.error("expected hex digits"))?;
            u32::try_from(value).map_err(|_| reader.error("value out of range"))
        };
        let first = hex(self)?;
        match self.peek() {
            Some('-') => {
                self.pos += 1;
                Ok(Node::Range(first, hex(self)?))
            }
            Some('.') => {
                let mut text = char_of(first, self)?.to_string();
                while self.peek() == Some('.') {
                    self.pos += 1;
                    let next = hex(self)?;
                    text.push(char_of(next, self)?);
                }
                Ok(Node::Text {
                    text,
                    case_sensitive: true,
                })
            }
            _ => Ok(Node::Range(first, first)),
        }
    }
}

fn char_of(value: u32, reader: &Reader) -> Result<char, String> {
    char::from_u32(value).ok_or_else(|| reader.error("not a Unicode scalar value"))
}

fn single_or(mut nodes: Vec<Node>, make: fn(Vec<Node>) -> Node) -> Node {
    if nodes.len() == 1 {
        nodes.remove(0)
    } else {
        make(nodes)
    }
}

/// A small deterministic random number generator (xorshift64*), so that a derivation is a
/// pure function of its seed and proptest can replay it.
pub struct Rng(u64);

impl Rng {
    /// Creates a generator whose state is the seed scrambled by SplitMix64, so that
    /// nearby seeds give unrelated sequences. The state must not be 0.
    pub fn new(seed: u64) -> Rng {
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Rng((z ^ (z >> 31)).max(1))
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Returns a number in `0..n`, which must not be 0.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Returns true with probability `numerator / denominator`.
    pub fn ratio(&mut self, numerator: usize, denominator: usize) -> bool {
        self.below(denominator) < numerator
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// A rule that the generator fills in by code instead of from its definition, because
/// the definition's comment states a constraint that ABNF cannot, such as a range.
pub type Override = fn(&Generator<'_>, &mut Rng) -> Option<String>;

/// Generates random derivations of a grammar whose syntax rules derive tokens.
///
/// Rules named in `syntax` derive a sequence of tokens. Every other rule, and every string
/// that a syntax rule contains, derives the text of one token. An override returning
/// `None` falls back to the rule's definition.
pub struct Generator<'g> {
    grammar: &'g Grammar,
    syntax: Vec<String>,
    overrides: BTreeMap<&'static str, Override>,
    /// Rejects the text of a token rule, which is then derived again.
    validators: BTreeMap<&'static str, fn(&str) -> bool>,
    heights: BTreeMap<String, usize>,
    max_depth: usize,
}

/// The maximum number of extra repetitions of an element without an upper bound, such
/// as `*DIGIT`.
const MAX_EXTRA_REPEATS: usize = 3;

impl<'g> Generator<'g> {
    pub fn new(grammar: &'g Grammar, syntax: &[&str], max_depth: usize) -> Generator<'g> {
        let mut generator = Generator {
            grammar,
            syntax: syntax.iter().map(|name| (*name).to_owned()).collect(),
            overrides: BTreeMap::new(),
            validators: BTreeMap::new(),
            heights: BTreeMap::new(),
            max_depth,
        };
        generator.heights = generator.compute_heights();
        generator
    }

    pub fn with_override(mut self, rule: &'static str, generate: Override) -> Self {
        self.overrides.insert(rule, generate);
        self
    }

    pub fn with_validator(mut self, rule: &'static str, accept: fn(&str) -> bool) -> Self {
        self.validators.insert(rule, accept);
        self
    }

    /// Returns the least derivation height of every rule, by iterating to a fixed point.
    fn compute_heights(&self) -> BTreeMap<String, usize> {
        let mut heights: BTreeMap<String, usize> = BTreeMap::new();
        loop {
            let mut changed = false;
            for (name, node) in &self.grammar.rules {
                if let Some(height) = node_height(node, &heights)
                    && heights.get(name).is_none_or(|old| height + 1 < *old)
                {
                    heights.insert(name.clone(), height + 1);
                    changed = true;
                }
            }
            if !changed {
                return heights;
            }
        }
    }

    /// Derives the rule `start` and returns its tokens.
    pub fn tokens(&self, start: &str, rng: &mut Rng) -> Vec<String> {
        let mut tokens = Vec::new();
        self.syntax_rule(start, rng, 0, &mut tokens);
        tokens
    }

    fn syntax_rule(&self, name: &str, rng: &mut Rng, depth: usize, tokens: &mut Vec<String>) {
        if !self.syntax.iter().any(|rule| rule == name) {
            tokens.push(self.token(name, rng, depth));
            return;
        }
        if let Some(text) = self
            .overrides
            .get(name)
            .and_then(|generate| generate(self, rng))
        {
            tokens.push(text);
            return;
        }
        let node = &self.grammar.rules[name];
        self.syntax_node(node, rng, depth + 1, tokens);
    }

    fn syntax_node(&self, node: &Node, rng: &mut Rng, depth: usize, tokens: &mut Vec<String>) {
        match node {
            Node::Rule(name) => self.syntax_rule(name, rng, depth, tokens),
            Node::Text { .. } | Node::Range(..) => {
                let mut text = String::new();
                self.text_node(node, rng, depth, &mut text);
                tokens.push(text);
            }
            Node::Concatenation(nodes) => {
                for node in nodes {
                    self.syntax_node(node, rng, depth, tokens);
                }
            }
            Node::Alternation(nodes) => {
                let node = self.choose(nodes, rng, depth);
                self.syntax_node(node, rng, depth, tokens);
            }
            Node::Repetition { min, max, node } => {
                for _ in 0..self.count(*min, *max, rng, depth) {
                    self.syntax_node(node, rng, depth, tokens);
                }
            }
        }
    }

    /// Derives the text of one token from the token rule `name`.
    pub fn token_text(&self, name: &str, rng: &mut Rng) -> String {
        self.token(name, rng, 0)
    }

    fn token(&self, name: &str, rng: &mut Rng, depth: usize) -> String {
        // A validator that rejects every derivation would loop, so give up after a while
        // and keep the last text, which the property then reports.
        let mut text = String::new();
        for _ in 0..100 {
            text.clear();
            self.text_rule(name, rng, depth, &mut text);
            if self.validators.get(name).is_none_or(|accept| accept(&text)) {
                break;
            }
        }
        text
    }

    fn text_rule(&self, name: &str, rng: &mut Rng, depth: usize, out: &mut String) {
        if let Some(text) = self
            .overrides
            .get(name)
            .and_then(|generate| generate(self, rng))
        {
            out.push_str(&text);
            return;
        }
        self.text_node(&self.grammar.rules[name], rng, depth + 1, out);
    }

    fn text_node(&self, node: &Node, rng: &mut Rng, depth: usize, out: &mut String) {
        match node {
            Node::Rule(name) => out.push_str(&self.token(name, rng, depth)),
            Node::Text {
                text,
                case_sensitive,
            } => {
                for c in text.chars() {
                    let flip = !case_sensitive && rng.ratio(1, 2);
                    match flip {
                        true if c.is_ascii_lowercase() => out.push(c.to_ascii_uppercase()),
                        true => out.push(c.to_ascii_lowercase()),
                        false => out.push(c),
                    }
                }
            }
            Node::Range(low, high) => out.push(random_char(*low, *high, rng)),
            Node::Concatenation(nodes) => {
                for node in nodes {
                    self.text_node(node, rng, depth, out);
                }
            }
            Node::Alternation(nodes) => {
                let node = self.choose(nodes, rng, depth);
                self.text_node(node, rng, depth, out);
            }
            Node::Repetition { min, max, node } => {
                for _ in 0..self.count(*min, *max, rng, depth) {
                    self.text_node(node, rng, depth, out);
                }
            }
        }
    }

    /// Picks an alternative. Past the depth bound only the shallowest ones are candidates,
    /// so every derivation ends.
    fn choose<'n>(&self, nodes: &'n [Node], rng: &mut Rng, depth: usize) -> &'n Node {
        if depth < self.max_depth {
            return rng.pick(nodes);
        }
        let heights: Vec<usize> = nodes
            .iter()
            .map(|node| node_height(node, &self.heights).unwrap_or(usize::MAX))
            .collect();
        let lowest = heights.iter().copied().min().unwrap_or(0);
        let shallow: Vec<&Node> = nodes
            .iter()
            .zip(&heights)
            .filter(|(_, height)| **height == lowest)
            .map(|(node, _)| node)
            .collect();
        shallow[rng.below(shallow.len())]
    }

    fn count(&self, min: usize, max: Option<usize>, rng: &mut Rng, depth: usize) -> usize {
        if depth >= self.max_depth {
            return min;
        }
        let max = max.unwrap_or(min + MAX_EXTRA_REPEATS);
        min + rng.below(max - min + 1)
    }
}

/// Returns the least derivation height of a node from the rule heights known so far, or
/// `None` when a rule it needs has no known height yet.
fn node_height(node: &Node, heights: &BTreeMap<String, usize>) -> Option<usize> {
    match node {
        Node::Text { .. } | Node::Range(..) => Some(0),
        Node::Rule(name) => heights.get(name).copied(),
        Node::Concatenation(nodes) => {
            let heights: Option<Vec<usize>> = nodes
                .iter()
                .map(|node| node_height(node, heights))
                .collect();
            heights.map(|heights| heights.into_iter().max().unwrap_or(0))
        }
        Node::Alternation(nodes) => nodes
            .iter()
            .filter_map(|node| node_height(node, heights))
            .min(),
        Node::Repetition { min: 0, .. } => Some(0),
        Node::Repetition { node, .. } => node_height(node, heights),
    }
}

/// Returns a random char of a code point range, mostly from its printable ASCII part so
/// that derivations stay readable, and never a surrogate.
fn random_char(low: u32, high: u32, rng: &mut Rng) -> char {
    let ascii_high = high.min(0x7e);
    let ascii_low = low.max(0x20);
    let code = if ascii_low <= ascii_high && rng.ratio(3, 4) {
        ascii_low + rng.below((ascii_high - ascii_low + 1) as usize) as u32
    } else {
        low + (rng.next() % u64::from(high - low + 1)) as u32
    };
    char::from_u32(code).unwrap_or('x')
}
