//! Finding credentials by what a person types, as ykman does: an exact id wins at once;
//! otherwise every id containing the query, case-insensitively.

use super::credential::Credential;

/// The credentials `query` designates. Hidden ones (`_hidden` issuer) take part only
/// with `show_hidden`. An empty query matches everything.
pub fn search<'a, C: AsRef<Credential>>(items: &'a [C], query: &str, show_hidden: bool) -> Vec<&'a C> {
    let visible = || items.iter().filter(move |c| show_hidden || !c.as_ref().is_hidden());
    if let Some(exact) = visible().find(|c| c.as_ref().id == query.as_bytes()) {
        return vec![exact];
    }
    let q = query.to_lowercase();
    visible().filter(|c| c.as_ref().id_str().to_lowercase().contains(&q)).collect()
}

impl AsRef<Credential> for Credential {
    fn as_ref(&self) -> &Credential {
        self
    }
}

impl AsRef<Credential> for super::CalculatedEntry {
    fn as_ref(&self) -> &Credential {
        &self.credential
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oath::OathType;

    fn creds(ids: &[&str]) -> Vec<Credential> {
        ids.iter().map(|i| Credential::new(i.as_bytes().to_vec(), OathType::Totp)).collect()
    }

    fn ids(found: Vec<&Credential>) -> Vec<String> {
        found.iter().map(|c| c.id_str()).collect()
    }

    #[test]
    fn exact_first_then_substring() {
        let c = creds(&["aws", "aws-prod", "GitHub:bob", "_hidden:secret"]);
        assert_eq!(ids(search(&c, "aws", false)), ["aws"]);
        assert_eq!(ids(search(&c, "AWS", false)), ["aws", "aws-prod"]);
        assert_eq!(ids(search(&c, "github", false)), ["GitHub:bob"]);
        assert!(search(&c, "gitlab", false).is_empty());
        assert!(search(&c, "secret", false).is_empty());
        assert_eq!(ids(search(&c, "secret", true)), ["_hidden:secret"]);
        assert_eq!(search(&c, "", false).len(), 3);
    }

    #[test]
    fn arn_ids_match_whole() {
        let c = creds(&["arn:aws:iam::123456789012:mfa/alice", "arn:aws:iam::123456789012:mfa/bob"]);
        assert_eq!(ids(search(&c, "arn:aws:iam::123456789012:mfa/alice", false)), ["arn:aws:iam::123456789012:mfa/alice"]);
        assert_eq!(search(&c, "123456789012", false).len(), 2);
    }
}
