//! Reading BIND's key syntax (`key "name" { algorithm …; secret "…"; };`)
//! as `tsig-keygen` and `ddns-confgen` print it.
//!
//! Error messages quote key names, statement names and algorithms, never
//! a secret or any other quoted string, since a broken file may hold one
//! where a name was expected.

use dns_core::Name;

use crate::tsig::{TsigAlgorithm, TsigError, TsigKey};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    Quoted(String),
    Open,
    Close,
    Semicolon,
}

impl Token {
    /// How the token is named in an error: a quoted string is never shown.
    fn describe(&self) -> String {
        match self {
            Self::Word(w) => format!("`{w}`"),
            Self::Quoted(_) => "a quoted string".into(),
            Self::Open => "`{`".into(),
            Self::Close => "`}`".into(),
            Self::Semicolon => "`;`".into(),
        }
    }

    fn text(&self) -> Option<&str> {
        match self {
            Self::Word(s) | Self::Quoted(s) => Some(s),
            _ => None,
        }
    }
}

fn syntax(line: usize, reason: impl Into<String>) -> TsigError {
    TsigError::Syntax {
        line,
        reason: reason.into(),
    }
}

fn tokenize(text: &str) -> Result<Vec<(usize, Token)>, TsigError> {
    let mut out = Vec::new();
    let mut line = 1;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => line += 1,
            c if c.is_whitespace() => {}
            '#' => skip_line(&mut chars, &mut line),
            '/' if chars.peek() == Some(&'/') => skip_line(&mut chars, &mut line),
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let start = line;
                let mut previous = ' ';
                loop {
                    match chars.next() {
                        None => return Err(syntax(start, "unterminated /* comment")),
                        Some('/') if previous == '*' => break,
                        Some(c) => {
                            if c == '\n' {
                                line += 1;
                            }
                            previous = c;
                        }
                    }
                }
            }
            '{' => out.push((line, Token::Open)),
            '}' => out.push((line, Token::Close)),
            ';' => out.push((line, Token::Semicolon)),
            '"' => {
                let start = line;
                let mut s = String::new();
                loop {
                    match chars.next() {
                        None => return Err(syntax(start, "unterminated quoted string")),
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(escaped) => s.push(escaped),
                            None => return Err(syntax(start, "unterminated quoted string")),
                        },
                        Some(c) => {
                            if c == '\n' {
                                line += 1;
                            }
                            s.push(c);
                        }
                    }
                }
                out.push((start, Token::Quoted(s)));
            }
            c => {
                let mut s = String::from(c);
                while let Some(&next) = chars.peek() {
                    if next.is_whitespace() || matches!(next, '{' | '}' | ';' | '"') {
                        break;
                    }
                    s.push(next);
                    chars.next();
                }
                out.push((line, Token::Word(s)));
            }
        }
    }
    Ok(out)
}

fn skip_line(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, line: &mut usize) {
    for c in chars.by_ref() {
        if c == '\n' {
            *line += 1;
            break;
        }
    }
}

/// Reads statements until the tokens run out; keeps the `key` ones.
pub(crate) fn parse(text: &str) -> Result<Vec<TsigKey>, TsigError> {
    let tokens = tokenize(text)?;
    let mut keys = Vec::new();
    let mut at = 0;
    while at < tokens.len() {
        let (line, token) = &tokens[at];
        match token {
            Token::Word(w) if w.eq_ignore_ascii_case("key") => {
                let (key, next) = key_statement(&tokens, at + 1, *line)?;
                keys.push(key);
                at = next;
            }
            Token::Word(_) => at = skip_statement(&tokens, at, *line)?,
            // Stray semicolons between statements are harmless.
            Token::Semicolon => at += 1,
            other => {
                return Err(syntax(
                    *line,
                    format!("expected a statement, found {}", other.describe()),
                ));
            }
        }
    }
    Ok(keys)
}

/// Skips one statement (`word … { … };` or `word …;`), braces balanced.
fn skip_statement(
    tokens: &[(usize, Token)],
    mut at: usize,
    line: usize,
) -> Result<usize, TsigError> {
    let mut depth = 0usize;
    while let Some((_, token)) = tokens.get(at) {
        at += 1;
        match token {
            Token::Open => depth += 1,
            Token::Close => depth = depth.saturating_sub(1),
            Token::Semicolon if depth == 0 => return Ok(at),
            _ => {}
        }
    }
    Err(syntax(line, "statement without its closing `;`"))
}

fn key_statement(
    tokens: &[(usize, Token)],
    mut at: usize,
    line: usize,
) -> Result<(TsigKey, usize), TsigError> {
    let mut next = |what: &str| -> Result<(usize, Token), TsigError> {
        let found = tokens
            .get(at)
            .cloned()
            .ok_or_else(|| syntax(line, format!("key statement ends before {what}")))?;
        at += 1;
        Ok(found)
    };
    let (name_line, name_token) = next("the key name")?;
    let key_name = name_token
        .text()
        .ok_or_else(|| {
            syntax(
                name_line,
                format!("expected a key name, found {}", name_token.describe()),
            )
        })?
        .to_owned();
    let name = Name::parse(&key_name)
        .map_err(|e| syntax(name_line, format!("key name {key_name:?}: {}", e.reason())))?;
    let (open_line, open) = next("`{`")?;
    if open != Token::Open {
        return Err(syntax(
            open_line,
            format!(
                "expected `{{` after key {key_name:?}, found {}",
                open.describe()
            ),
        ));
    }
    let mut algorithm = None;
    let mut secret = None;
    loop {
        let (clause_line, clause) = next("`}`")?;
        let field = match &clause {
            Token::Close => break,
            Token::Word(w) => w.to_ascii_lowercase(),
            other => {
                return Err(syntax(
                    clause_line,
                    format!(
                        "expected `algorithm` or `secret` in key {key_name:?}, found {}",
                        other.describe()
                    ),
                ));
            }
        };
        let (value_line, value) = next("a value")?;
        let text = value
            .text()
            .ok_or_else(|| {
                syntax(
                    value_line,
                    format!("`{field}` in key {key_name:?} has no value"),
                )
            })?
            .to_owned();
        let (end_line, end) = next("`;`")?;
        if end != Token::Semicolon {
            return Err(syntax(
                end_line,
                format!("expected `;` after `{field}` in key {key_name:?}"),
            ));
        }
        match field.as_str() {
            "algorithm" => algorithm = Some(text.parse::<TsigAlgorithm>()?),
            "secret" => secret = Some(text),
            other => {
                return Err(syntax(
                    clause_line,
                    format!("unknown clause `{other}` in key {key_name:?}"),
                ));
            }
        }
    }
    let (end_line, end) = next("`;`")?;
    if end != Token::Semicolon {
        return Err(syntax(
            end_line,
            format!("expected `;` after key {key_name:?}"),
        ));
    }
    let algorithm =
        algorithm.ok_or_else(|| syntax(line, format!("key {key_name:?} has no algorithm")))?;
    let secret = secret.ok_or_else(|| syntax(line, format!("key {key_name:?} has no secret")))?;
    Ok((TsigKey::new(name, algorithm, &secret)?, at))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    const SECRET: &str = "SGVsbG8gdGVzdCBrZXkgLSBub3QgYSByZWFsIG9uZQ==";

    #[test]
    fn reads_tsig_keygen_output_with_comments_and_other_statements() {
        let text = format!(
            "# made by tsig-keygen\n\
             options {{ directory \"/x\"; }};\n\
             key \"a.example\" {{\n  algorithm hmac-sha384;\n  secret \"{SECRET}\";\n}};\n\
             /* two */ key b {{ algorithm HMAC-SHA512.; secret \"{SECRET}\"; }}; // end\n"
        );
        let keys = parse(&text).unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0].name(), &Name::parse("a.example").unwrap());
        assert_eq!(keys[0].algorithm(), TsigAlgorithm::HmacSha384);
        assert_eq!(keys[1].algorithm(), TsigAlgorithm::HmacSha512);
        assert_eq!(keys[1].secret(), b"Hello test key - not a real one");
    }

    #[test]
    fn broken_files_name_the_line_and_never_the_secret() {
        let cases = [
            format!("key \"k\" {{ algorithm hmac-sha256; secret \"{SECRET}\"; }}"),
            format!("key \"k\" {{ algorithm hmac-sha256; secret \"{SECRET}\" }};"),
            format!("key \"k\" {{\n secret \"{SECRET}\";\n}};"),
            format!("\"{SECRET}\";"),
            format!("key \"k\" {{ algorithm hmac-sha256; secret \"{SECRET}\"; owner x; }};"),
        ];
        for text in cases {
            let error = parse(&text).unwrap_err();
            let shown = format!("{error} {error:?}");
            assert!(matches!(error, TsigError::Syntax { .. }), "{text}: {shown}");
            assert!(!shown.contains(&SECRET[..12]), "secret shown: {shown}");
        }
    }

    #[test]
    fn unsupported_algorithms_are_named() {
        let text = format!("key k {{ algorithm hmac-sha1; secret \"{SECRET}\"; }};");
        let error = parse(&text).unwrap_err();
        assert!(error.to_string().contains("hmac-sha1"), "{error}");
    }
}
