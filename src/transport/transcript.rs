//! The `apdu/*.apdu` transcript format (documented in `apdu/README.md`): `@` setup
//! directives, `!` client operations, `>` command and `<` response lines in hex.
//! `#` starts a comment; an indented line continues the previous `>`/`<` line.

/// One line of a transcript, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// `@name args…`
    Directive(String, Vec<String>),
    /// `! op args…`
    Op(Vec<String>),
    /// `> hex`
    Command(Vec<u8>),
    /// `< hex`
    Response(Vec<u8>),
}

/// A line that is not valid transcript syntax.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {why}")]
pub struct ParseError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub why: String,
}

/// Parses a transcript.
pub fn parse(text: &str) -> Result<Vec<Step>, ParseError> {
    let mut steps: Vec<Step> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let err = |why: &str| ParseError { line: i + 1, why: why.to_owned() };
        let line = raw.split('#').next().unwrap_or("");
        if line.trim().is_empty() {
            continue;
        }
        if line.starts_with(char::is_whitespace) {
            let more = decode_hex(line).map_err(|e| err(&e))?;
            match steps.last_mut() {
                Some(Step::Command(b) | Step::Response(b)) => b.extend(more),
                _ => return Err(err("a continuation line must follow a > or < line")),
            }
            continue;
        }
        let head = line.chars().next().unwrap_or(' ');
        let rest = &line[head.len_utf8()..];
        let words = || rest.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
        steps.push(match head {
            '@' => {
                let mut w = words();
                if w.is_empty() {
                    return Err(err("empty directive"));
                }
                let name = w.remove(0);
                Step::Directive(name, w)
            }
            '!' => Step::Op(words()),
            '>' => Step::Command(decode_hex(rest).map_err(|e| err(&e))?),
            '<' => Step::Response(decode_hex(rest).map_err(|e| err(&e))?),
            _ => return Err(err("a line must start with @, !, >, < or #")),
        });
    }
    Ok(steps)
}

/// Hex with any white space.
pub fn decode_hex(text: &str) -> Result<Vec<u8>, String> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    hex::decode(&compact).map_err(|e| format!("bad hex \"{}\": {e}", text.trim()))
}

/// Hex as transcripts write it: upper case, bytes separated by spaces.
pub fn encode_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_all_line_kinds() {
        let t = "# title\n@version 5.4.3\n! select\n> 00 A4 04 00 # select\n  07\n< 90 00\n";
        let steps = parse(t).unwrap();
        assert_eq!(steps.len(), 4);
        assert_eq!(steps[0], Step::Directive("version".into(), vec!["5.4.3".into()]));
        assert_eq!(steps[1], Step::Op(vec!["select".into()]));
        assert_eq!(steps[2], Step::Command(vec![0, 0xA4, 4, 0, 7]));
        assert_eq!(steps[3], Step::Response(vec![0x90, 0]));
    }

    #[test]
    fn errors_name_the_line() {
        assert_eq!(parse("> 0G").unwrap_err().line, 1);
        assert_eq!(parse("\n  00").unwrap_err().line, 2);
        assert_eq!(parse("x").unwrap_err().line, 1);
    }
}
