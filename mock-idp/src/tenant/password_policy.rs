//! The database connection's password policy: Auth0's five strength levels, checked where a
//! user chooses a password (sign-up, the sign-up page, the password-reset page), never at
//! login, so the tenant's own seeded users keep their simple passwords.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Auth0's password strength levels (Database connection, "Password Policy").
///
/// ```
/// use mock_idp::{PasswordPolicy, TenantConfig};
/// assert_eq!(TenantConfig::default().password_policy, PasswordPolicy::Good);
/// let tenant = TenantConfig::from_toml("password_policy = \"none\"").unwrap();
/// assert_eq!(tenant.password_policy, PasswordPolicy::None);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PasswordPolicy {
    /// Any non-empty password.
    None,
    /// At least 6 characters.
    Low,
    /// At least 8 characters, with lower case, upper case and a number.
    Fair,
    /// At least 8 characters, with 3 of: lower case, upper case, a number, a special
    /// character. What a new Auth0 tenant's database connection starts with.
    #[default]
    Good,
    /// At least 10 characters, 3 of the 4 kinds, no character more than twice in a row.
    Excellent,
}

/// A refused password: Auth0's `PasswordStrengthError` parts.
#[derive(Debug)]
pub(crate) struct WeakPassword {
    /// The `description`: each rule and whether the password met it.
    pub(crate) rules: Value,
    /// The `policy`: the rules as text, one per line.
    pub(crate) policy: String,
}

impl PasswordPolicy {
    /// The password, unless it breaks the policy.
    pub(crate) fn check(self, password: &str) -> Result<(), WeakPassword> {
        let length = password.chars().count();
        let kinds = [
            (
                "lowerCase",
                "lower case letters (a-z)",
                password.chars().any(|c| c.is_ascii_lowercase()),
            ),
            (
                "upperCase",
                "upper case letters (A-Z)",
                password.chars().any(|c| c.is_ascii_uppercase()),
            ),
            (
                "numbers",
                "numbers (i.e. 0-9)",
                password.chars().any(|c| c.is_ascii_digit()),
            ),
            (
                "specialCharacters",
                "special characters (e.g. !@#$%^&*)",
                password
                    .chars()
                    .any(|c| !c.is_ascii_alphanumeric() && !c.is_whitespace()),
            ),
        ];
        let min_length = |n: usize| {
            (
                json!({"message": "At least %d characters in length", "format": [n], "code": "lengthAtLeast", "verified": length >= n}),
                format!("* At least {n} characters in length"),
                length >= n,
            )
        };
        let contains = |needed: usize, of: &[(&str, &str, bool)]| {
            let items: Vec<Value> = of
                .iter()
                .map(
                    |(code, message, ok)| json!({"message": message, "code": code, "verified": ok}),
                )
                .collect();
            let met = of.iter().filter(|(_, _, ok)| *ok).count() >= needed;
            let text: String = of
                .iter()
                .map(|(_, message, _)| format!("\n * {message}"))
                .collect();
            let (rule, line) = if needed == of.len() {
                (
                    json!({"message": "Contain at least one of each of the following %d types of characters:", "format": [of.len()], "code": "containsAtLeast", "items": items, "verified": met}),
                    format!(
                        "* Contain at least one of each of the following {} types of characters:{text}",
                        of.len()
                    ),
                )
            } else {
                (
                    json!({"message": "Contain at least %d of the following %d types of characters:", "format": [needed, of.len()], "code": "containsAtLeast", "items": items, "verified": met}),
                    format!(
                        "* Contain at least {needed} of the following {} types of characters:{text}",
                        of.len()
                    ),
                )
            };
            (rule, line, met)
        };
        let no_repeats = {
            let chars: Vec<char> = password.chars().collect();
            let ok = !chars.windows(3).any(|w| w[0] == w[1] && w[1] == w[2]);
            (
                json!({"message": "No more than %d identical characters in a row (e.g., \"%s\" not allowed)", "format": [2, "aaa"], "code": "identicalChars", "verified": ok}),
                "* No more than 2 identical characters in a row (e.g., \"aaa\" not allowed)"
                    .to_owned(),
                ok,
            )
        };
        let rules = match self {
            Self::None => vec![min_length(1)],
            Self::Low => vec![min_length(6)],
            Self::Fair => vec![min_length(8), contains(3, &kinds[..3])],
            Self::Good => vec![min_length(8), contains(3, &kinds)],
            Self::Excellent => vec![min_length(10), contains(3, &kinds), no_repeats],
        };
        if rules.iter().all(|(_, _, ok)| *ok) {
            return Ok(());
        }
        let policy = rules
            .iter()
            .map(|(_, line, _)| line.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        let rules: Vec<Value> = rules.into_iter().map(|(rule, _, _)| rule).collect();
        Err(WeakPassword {
            rules: json!({ "rules": rules, "verified": false }),
            policy,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_wants_eight_characters_of_three_kinds() {
        assert!(PasswordPolicy::Good.check("Passw0rd").is_ok());
        assert!(PasswordPolicy::Good.check("pass-word1").is_ok());
        let weak = PasswordPolicy::Good.check("password").unwrap_err();
        assert_eq!(weak.rules["rules"][0]["verified"], true, "long enough");
        assert_eq!(weak.rules["rules"][1]["verified"], false);
        assert_eq!(weak.rules["rules"][1]["format"], json!([3, 4]));
        assert!(
            weak.policy
                .starts_with("* At least 8 characters in length\n* Contain at least 3"),
            "{}",
            weak.policy
        );
    }

    #[test]
    fn each_level_is_stricter_than_the_one_below() {
        for (policy, weakest_accepted, refused) in [
            (PasswordPolicy::None, "x", ""),
            (PasswordPolicy::Low, "xxxxxx", "xxxxx"),
            (PasswordPolicy::Fair, "Abcdefg1", "abcdefg1"),
            (PasswordPolicy::Excellent, "Abcdefgh1!", "Abbbcdefg1!"),
        ] {
            assert!(policy.check(weakest_accepted).is_ok(), "{policy:?}");
            assert!(policy.check(refused).is_err(), "{policy:?} {refused}");
        }
    }
}
