//! Which askpass rule answers a prompt. Pure: the prompt text (and ssh's
//! `SSH_ASKPASS_PROMPT` hint) in, a rule index or a refusal out; no I/O.
//!
//! Prompts are matched with the `regex` crate (searched anywhere, case-insensitive):
//! prompts carry punctuation and wording that differ per site, and a regex says exactly
//! which. Hosts and users are matched with `*`/`?` patterns, as in ssh_config's `Host`,
//! translated to anchored regexes.

use regex::{Regex, RegexBuilder};

/// What the prompt text tells about who asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt<'a> {
    /// The whole prompt, as the program gave it.
    pub text: &'a str,
    /// The question itself: the text without the `(user@host) ` ssh puts in front.
    pub question: &'a str,
    /// The login user, when the prompt shows it.
    pub user: Option<&'a str>,
    /// The host, when the prompt shows it.
    pub host: Option<&'a str>,
}

/// Splits `user@host` at the last `@` (user names may hold one; host names never do).
fn user_at_host(s: &str) -> Option<(&str, &str)> {
    let (user, host) = s.rsplit_once('@')?;
    (!user.is_empty() && !host.is_empty() && !host.contains(char::is_whitespace)).then_some((user, host))
}

/// Reads the user and host out of the prompts OpenSSH and sudo show:
/// `(alice@host) Password + OTP:` (ssh keyboard-interactive: ssh itself puts the
/// `(user@host) ` in front of the server's question, so the server cannot fake it),
/// `alice@host's password: ` (ssh password authentication) and
/// `[sudo] password for alice: ` (sudo; the host is this one, so none).
pub fn parse(text: &str) -> Prompt<'_> {
    let none = Prompt { text, question: text, user: None, host: None };
    if let Some(rest) = text.strip_prefix('(') {
        if let Some((who, question)) = rest.split_once(") ") {
            if let Some((user, host)) = user_at_host(who) {
                return Prompt { text, question, user: Some(user), host: Some(host) };
            }
        }
        return none;
    }
    if let Some((who, _)) = text.split_once("'s password:") {
        if let Some((user, host)) = user_at_host(who) {
            return Prompt { text, question: text, user: Some(user), host: Some(host) };
        }
        return none;
    }
    if let Some(rest) = text.strip_prefix("[sudo] password for ") {
        if let Some(user) = rest.strip_suffix(": ").or_else(|| rest.strip_suffix(':')) {
            if !user.is_empty() && !user.contains(char::is_whitespace) {
                return Prompt { text, question: text, user: Some(user), host: None };
            }
        }
    }
    none
}

/// Why a prompt is never answered by a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A yes/no question: host-key confirmations ("Are you sure you want to continue
    /// connecting"), ssh-agent confirmations. Only a person answers those.
    Confirmation,
    /// ssh shows a notice and reads no answer (`SSH_ASKPASS_PROMPT=none`).
    Notification,
}

/// Whether the prompt may be answered by a rule at all. `hint` is ssh's
/// `SSH_ASKPASS_PROMPT` ("confirm", "none"), when set.
pub fn refusal(text: &str, hint: Option<&str>) -> Option<Refusal> {
    match hint {
        Some("confirm") => return Some(Refusal::Confirmation),
        Some("none") => return Some(Refusal::Notification),
        _ => {}
    }
    let lower = text.to_lowercase();
    let yes_no = ["continue connecting", "(yes/no", "[yes/no", "(y/n", "[y/n"];
    yes_no.iter().any(|q| lower.contains(q)).then_some(Refusal::Confirmation)
}

/// One rule's patterns, compiled.
#[derive(Debug, Clone)]
pub struct Matcher {
    prompt: Regex,
    host: Option<Regex>,
    user: Option<Regex>,
}

impl Matcher {
    /// Compiles a rule; the error names the field and what is wrong with it.
    pub fn new(prompt: &str, host: Option<&str>, user: Option<&str>) -> Result<Matcher, String> {
        let prompt = RegexBuilder::new(prompt)
            .case_insensitive(true)
            .size_limit(1 << 20)
            .build()
            .map_err(|e| format!("prompt is not a valid regular expression: {}", one_line(&e.to_string())))?;
        let host = host.map(|h| glob(h).map_err(|e| format!("host: {e}"))).transpose()?;
        let user = user.map(|u| glob(u).map_err(|e| format!("user: {e}"))).transpose()?;
        Ok(Matcher { prompt, host, user })
    }

    /// A rule that names a host or user matches only prompts that show one that fits:
    /// never a guess from a prompt that does not say. The host is where the answer goes,
    /// so a rule without one matches only prompts that show none (sudo, local
    /// programs); `host = "*"` is how a rule says "any server".
    pub fn matches(&self, p: &Prompt<'_>) -> bool {
        let fits = |pattern: &Option<Regex>, value: Option<&str>| match (pattern, value) {
            (None, _) => true,
            (Some(re), Some(v)) => re.is_match(v),
            (Some(_), None) => false,
        };
        let host_fits = match (&self.host, p.host) {
            (None, Some(_)) => false,
            (pattern, value) => fits(pattern, value),
        };
        self.prompt.is_match(p.question) && host_fits && fits(&self.user, p.user)
    }
}

/// The index of the first rule that matches, in the order of the file.
pub fn first_match(rules: &[Matcher], p: &Prompt<'_>) -> Option<usize> {
    rules.iter().position(|r| r.matches(p))
}

/// `*` any run of characters, `?` one character, everything else literal; the whole
/// value must match, case-insensitively (host names are).
fn glob(pattern: &str) -> Result<Regex, String> {
    if pattern.is_empty() {
        return Err("the pattern is empty".into());
    }
    let mut re = String::from("^");
    for c in pattern.chars() {
        match c {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            c => re.push_str(&regex::escape(c.encode_utf8(&mut [0; 4]))),
        }
    }
    re.push('$');
    RegexBuilder::new(&re).case_insensitive(true).build().map_err(|e| one_line(&e.to_string()))
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(prompt: &str, host: Option<&str>, user: Option<&str>) -> Matcher {
        Matcher::new(prompt, host, user).unwrap()
    }

    #[test]
    fn parses_who_asks() {
        let p = parse("(alice@perlmutter.nersc.gov) Password + OTP: ");
        assert_eq!((p.user, p.host, p.question), (Some("alice"), Some("perlmutter.nersc.gov"), "Password + OTP: "));
        let p = parse("alice@example.org's password: ");
        assert_eq!((p.user, p.host), (Some("alice"), Some("example.org")));
        let p = parse("(a@b.c@host) Verification code:");
        assert_eq!((p.user, p.host), (Some("a@b.c"), Some("host")));
        let p = parse("[sudo] password for bob: ");
        assert_eq!((p.user, p.host), (Some("bob"), None));
        for text in ["Password: ", "(no at sign) x", "(@host) x", "(alice@) x", "Enter passphrase for key '/k': ", "[sudo] password for : "]
        {
            let p = parse(text);
            assert_eq!((p.user, p.host), (None, None), "{text}");
        }
    }

    #[test]
    fn confirmations_and_notices_are_refused() {
        let hostkey = "The authenticity of host 'h (127.0.0.1)' can't be established.\nED25519 key fingerprint is SHA256:x.\n\
                       Are you sure you want to continue connecting (yes/no/[fingerprint])?";
        assert_eq!(refusal(hostkey, None), Some(Refusal::Confirmation));
        assert_eq!(refusal("Allow use of key /k?", Some("confirm")), Some(Refusal::Confirmation));
        assert_eq!(refusal("Confirm user presence for key ED25519-SK", Some("none")), Some(Refusal::Notification));
        assert_eq!(refusal("(alice@h) Password + OTP: ", None), None);
        assert_eq!(refusal("(alice@h) Password + OTP: ", Some("")), None);
    }

    #[test]
    fn prompt_host_and_user() {
        let nersc = m(r"password \+ otp", Some("*.nersc.gov"), Some("alice"));
        assert!(nersc.matches(&parse("(alice@perlmutter.nersc.gov) Password + OTP: ")));
        assert!(nersc.matches(&parse("(alice@Perlmutter.NERSC.gov) Password + OTP: ")), "host names are case-insensitive");
        assert!(!nersc.matches(&parse("(bob@perlmutter.nersc.gov) Password + OTP: ")), "other user");
        assert!(!nersc.matches(&parse("(alice@nersc.gov.evil.example) Password + OTP: ")), "the glob is anchored");
        assert!(!nersc.matches(&parse("(alice@perlmutter.nersc.gov) Verification code: ")), "other prompt");
        // a rule with a host never matches a prompt that does not show one
        assert!(!nersc.matches(&parse("Password + OTP: ")));
        let local = m("verification code", None, None);
        assert!(local.matches(&parse("Verification code: ")));
        assert!(!local.matches(&parse("(x@y) Verification code: ")), "a rule without a host never answers a server");
        let any = m("verification code", Some("*"), None);
        assert!(any.matches(&parse("(x@y) Verification code: ")));
        assert!(!any.matches(&parse("Verification code: ")), "host = \"*\" needs a prompt that shows a host");
        let q = m("code", Some("h?st"), None);
        assert!(q.matches(&parse("(u@host) code")));
        assert!(!q.matches(&parse("(u@hoost) code")));
        assert!(q.matches(&parse("(u@h.st) code")), "? is any one character");
        let dots = m("x", Some("a.b"), None);
        assert!(!dots.matches(&parse("(u@axb) x")), "a dot in a host pattern is a dot");
    }

    #[test]
    fn first_rule_in_file_order_wins() {
        let rules = [m("^password:", Some("*"), Some("alice")), m("one-time password", Some("h"), None), m("password", None, None)];
        // the question is matched without ssh's "(user@host) " in front
        assert_eq!(first_match(&rules, &parse("(alice@h) Password: ")), Some(0));
        assert_eq!(first_match(&rules, &parse("(bob@h) Password: ")), None);
        assert_eq!(first_match(&rules, &parse("Password: ")), Some(2), "a rule with a user needs a prompt that shows one");
        assert_eq!(first_match(&rules, &parse("[sudo] password for alice: ")), Some(2));
        assert_eq!(first_match(&rules, &parse("(alice@h) One-time password (OATH) for `alice': ")), Some(1));
        assert_eq!(first_match(&rules, &parse("Enter PIN: ")), None);
        assert_eq!(first_match(&[], &parse("Password: ")), None);
    }

    #[test]
    fn bad_patterns_are_named() {
        assert!(Matcher::new("(", None, None).unwrap_err().starts_with("prompt is not a valid regular expression"));
        assert_eq!(Matcher::new("x", Some(""), None).unwrap_err(), "host: the pattern is empty");
        assert_eq!(Matcher::new("x", None, Some("")).unwrap_err(), "user: the pattern is empty");
    }
}
