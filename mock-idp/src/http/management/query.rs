//! Query strings: the parameters a route takes, pagination as Auth0 pages (`page` from 0,
//! `per_page` up to 100, `include_totals`; checkpoints with `from` and `take`), the user
//! search `q` and the users' `sort`.

use std::cmp::Ordering;

use serde_json::{Map, Value, json};

use super::error::ApiError;
use crate::tenant::{PROFILE_TIME, User};

/// A route's query parameters, checked against the names it takes (Auth0 refuses others).
pub(crate) struct Query(Vec<(String, String)>);

impl Query {
    pub(crate) fn parse(raw: Option<&str>, known: &[&str]) -> Result<Self, ApiError> {
        let pairs: Vec<(String, String)> =
            url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
        for (name, _) in &pairs {
            if !known.contains(&name.as_str()) {
                return Err(ApiError::invalid_query(format!(
                    "Additional properties not allowed: {name}"
                )));
            }
            if pairs.iter().filter(|(n, _)| n == name).count() > 1 {
                return Err(ApiError::invalid_query(format!(
                    "Expected type string but found type array: {name}"
                )));
            }
        }
        Ok(Self(pairs))
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn flag(&self, name: &str) -> Result<bool, ApiError> {
        match self.get(name) {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(other) => Err(ApiError::invalid_query(format!(
                "Expected type boolean but found type string: {name}={other}"
            ))),
        }
    }

    fn number(&self, name: &str, default: usize, max: usize) -> Result<usize, ApiError> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => match v.parse::<usize>() {
                Ok(n) if n <= max => Ok(n),
                _ => Err(ApiError::invalid_query(format!(
                    "Invalid value {v:?} for {name}: an integer from 0 to {max}"
                ))),
            },
        }
    }

    pub(crate) fn paging(&self) -> Result<Paging, ApiError> {
        Ok(Paging {
            page: self.number("page", 0, 100_000)?,
            per_page: self.number("per_page", 50, 100)?,
            include_totals: self.flag("include_totals")?,
        })
    }

    /// Checkpoint pagination, when `from` or `take` is given (then `page`, `per_page` and
    /// `include_totals` do not count, as on Auth0).
    pub(crate) fn checkpoint(&self) -> Result<Option<Checkpoint>, ApiError> {
        if self.get("from").is_none() && self.get("take").is_none() {
            return Ok(None);
        }
        let take = self.number("take", 50, 100)?;
        if take == 0 {
            return Err(ApiError::invalid_query(
                "Invalid value \"0\" for take: an integer from 1 to 100",
            ));
        }
        Ok(Some(Checkpoint {
            from: self.get("from").map(str::to_owned),
            take,
        }))
    }

    /// `fields` and `include_fields`: which properties of each object to keep.
    pub(crate) fn fields(&self) -> Result<Option<(Vec<String>, bool)>, ApiError> {
        let include = self.get("include_fields") != Some("false");
        self.flag("include_fields")?;
        Ok(self
            .get("fields")
            .filter(|f| !f.is_empty())
            .map(|f| (f.split(',').map(|s| s.trim().to_owned()).collect(), include)))
    }
}

/// The parameters of the pagination that every list route takes.
pub(crate) const PAGING: [&str; 3] = ["page", "per_page", "include_totals"];

/// The parameters of checkpoint pagination, which the routes listing members take besides
/// pages (auth0-python's `roles.users.list` sends `take` on every call).
pub(crate) const CHECKPOINT: [&str; 2] = ["from", "take"];

pub(crate) struct Paging {
    page: usize,
    per_page: usize,
    include_totals: bool,
}

impl Paging {
    /// One page of `items`: a plain array, or with `include_totals` Auth0's
    /// `{start, limit, length, total, <key>: [...]}`.
    /// Only the page's items are rendered, so a long list costs its filtering, not its JSON.
    pub(crate) fn page<T>(
        &self,
        items: Vec<T>,
        key: &str,
        render: impl FnMut(T) -> Value,
    ) -> Value {
        let total = items.len();
        let start = self.page.saturating_mul(self.per_page);
        let page: Vec<Value> = items
            .into_iter()
            .skip(start)
            .take(self.per_page)
            .map(render)
            .collect();
        if !self.include_totals {
            return Value::Array(page);
        }
        json!({
            "start": start,
            "limit": self.per_page,
            "length": page.len(),
            "total": total,
            key: page,
        })
    }

    /// One page of `items` as the Actions routes always answer, totals or not:
    /// `{<key>: [...], total, page, per_page}`.
    pub(crate) fn envelope<T>(
        &self,
        items: Vec<T>,
        key: &str,
        render: impl FnMut(T) -> Value,
    ) -> Value {
        let total = items.len();
        let page: Vec<Value> = items
            .into_iter()
            .skip(self.page.saturating_mul(self.per_page))
            .take(self.per_page)
            .map(render)
            .collect();
        json!({ key: page, "total": total, "page": self.page, "per_page": self.per_page })
    }
}

/// Checkpoint pagination: `take` items from the one `from` names (the `next` of the
/// previous answer; the first item when absent), as `{<key>: [...], "next": ...}` with
/// `next` only while items remain. The mock's `next` is the id of the next page's first item.
pub(crate) struct Checkpoint {
    from: Option<String>,
    take: usize,
}

impl Checkpoint {
    pub(crate) fn page<T>(
        &self,
        items: Vec<T>,
        key: &str,
        id: impl Fn(&T) -> String,
        render: impl FnMut(T) -> Value,
    ) -> Result<Value, ApiError> {
        let start = match &self.from {
            None => 0,
            Some(from) => items.iter().position(|i| id(i) == *from).ok_or_else(|| {
                ApiError::invalid_query(format!(
                    "Invalid value {from:?} for from: not a checkpoint of this list"
                ))
            })?,
        };
        let next = items.get(start + self.take).map(&id);
        let page: Vec<Value> = items
            .into_iter()
            .skip(start)
            .take(self.take)
            .map(render)
            .collect();
        let mut out = json!({ key: page });
        if let Some(next) = next {
            out["next"] = next.into();
        }
        Ok(out)
    }
}

/// Keeps (or, with `include_fields=false`, drops) the named properties of `object`.
pub(crate) fn select(object: Value, fields: Option<&(Vec<String>, bool)>) -> Value {
    match (object, fields) {
        (Value::Object(map), Some((names, include))) => Value::Object(
            map.into_iter()
                .filter(|(k, _)| names.contains(k) == *include)
                .collect::<Map<String, Value>>(),
        ),
        (object, _) => object,
    }
}

/// A user search (`q`): terms `field:value` or `field:"value"` joined by `AND`, each an exact
/// match (a trailing `*` matches a prefix, and `field:*` that the field is set). The mock's
/// subset of Auth0's Lucene syntax; what it does not take is a 400, never a silent mismatch.
#[derive(Debug, PartialEq)]
pub(crate) struct Search(Vec<Term>);

#[derive(Debug, PartialEq)]
struct Term {
    field: String,
    value: String,
    prefix: bool,
}

const FIELDS: [&str; 9] = [
    "email",
    "user_id",
    "name",
    "nickname",
    "given_name",
    "family_name",
    "email_verified",
    "blocked",
    "logins_count",
];

impl Search {
    pub(crate) fn parse(q: &str) -> Result<Self, ApiError> {
        let bad = |why: &str| ApiError::invalid_query(format!("Invalid q {q:?}: {why}"));
        let mut terms = Vec::new();
        let mut rest = q.trim();
        loop {
            let (field, after) = rest
                .split_once(':')
                .ok_or_else(|| bad("expected field:value"))?;
            let field = field.trim();
            let known = FIELDS.contains(&field)
                || ["app_metadata.", "user_metadata."]
                    .iter()
                    .any(|p| field.strip_prefix(p).is_some_and(|k| !k.is_empty()));
            if !known {
                return Err(bad(&format!("the mock searches no field {field:?}")));
            }
            let (value, quoted, after) = if let Some(quoted) = after.strip_prefix('"') {
                let end = quoted.find('"').ok_or_else(|| bad("unterminated quote"))?;
                (&quoted[..end], true, &quoted[end + 1..])
            } else {
                let end = after.find(char::is_whitespace).unwrap_or(after.len());
                (&after[..end], false, &after[end..])
            };
            if value.is_empty() || (!quoted && value.contains(['(', ')', '"'])) {
                return Err(bad("expected a value"));
            }
            let prefix = !quoted && value.ends_with('*');
            terms.push(Term {
                field: field.to_owned(),
                value: value.trim_end_matches('*').to_owned(),
                prefix,
            });
            let after = after.trim_start();
            if after.is_empty() {
                return Ok(Self(terms));
            }
            rest = after
                .strip_prefix("AND")
                .filter(|r| r.starts_with(char::is_whitespace))
                .ok_or_else(|| {
                    bad("terms are joined by AND (the mock takes no OR, NOT or groups)")
                })?;
        }
    }

    pub(crate) fn matches(&self, user: &User) -> bool {
        self.0.iter().all(|t| t.matches(user))
    }

    /// Whether a term reads what logins change (`logins_count`): then each user must be
    /// merged with its logins before it is matched.
    pub(crate) fn needs_logins(&self) -> bool {
        self.0.iter().any(|t| t.field == "logins_count")
    }
}

impl Term {
    fn matches(&self, user: &User) -> bool {
        let text = |s: &str| self.matches_text(s, false);
        let optional = |s: &Option<String>| s.as_deref().is_some_and(text);
        match self.field.as_str() {
            "email" => self.matches_text(&user.email, true),
            "user_id" if !self.prefix => user.has_sub(&self.value),
            "user_id" => text(&user.sub()),
            "name" => text(&user.display_name()),
            "nickname" => text(&user.nickname_or_default()),
            "given_name" => optional(&user.given_name),
            "family_name" => optional(&user.family_name),
            "email_verified" => text(&user.email_verified.to_string()),
            "blocked" => text(&user.blocked.to_string()),
            "logins_count" => text(&user.logins_count.to_string()),
            field => {
                let (metadata, path) = match field.split_once('.') {
                    Some(("app_metadata", path)) => (&user.app_metadata, path),
                    Some((_, path)) => (&user.user_metadata, path),
                    None => return false,
                };
                let mut keys = path.split('.');
                let first = keys.next().and_then(|k| metadata.get(k));
                keys.fold(first, |v, k| v.and_then(|v| v.get(k)))
                    .is_some_and(|v| self.matches_value(v))
            }
        }
    }

    fn matches_value(&self, value: &Value) -> bool {
        match value {
            Value::String(s) => self.matches_text(s, false),
            Value::Array(items) => items.iter().any(|v| self.matches_value(v)),
            Value::Null | Value::Object(_) => false,
            other => self.matches_text(&other.to_string(), false),
        }
    }

    /// Without allocating: a search runs this for every user of the tenant.
    fn matches_text(&self, text: &str, case_insensitive: bool) -> bool {
        let value = self.value.as_str();
        let text = if self.prefix {
            match text.get(..value.len()) {
                Some(head) => head,
                None => return false,
            }
        } else {
            text
        };
        if case_insensitive {
            text.eq_ignore_ascii_case(value)
        } else {
            text == value
        }
    }
}

/// The users list's `sort`: `field:1` (ascending) or `field:-1` (descending), on the
/// profile fields Auth0 sorts by (not metadata, which Auth0 does not sort by either). Users
/// without the field (no `last_login`, no `given_name`) come last in both orders, and ties
/// keep the tenant's order.
#[derive(Debug, PartialEq)]
pub(crate) struct Sort {
    field: SortField,
    descending: bool,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum SortField {
    UserId,
    Email,
    Name,
    Nickname,
    GivenName,
    FamilyName,
    CreatedAt,
    UpdatedAt,
    LastLogin,
    LoginsCount,
}

const SORT_FIELDS: [(&str, SortField); 10] = [
    ("user_id", SortField::UserId),
    ("email", SortField::Email),
    ("name", SortField::Name),
    ("nickname", SortField::Nickname),
    ("given_name", SortField::GivenName),
    ("family_name", SortField::FamilyName),
    ("created_at", SortField::CreatedAt),
    ("updated_at", SortField::UpdatedAt),
    ("last_login", SortField::LastLogin),
    ("logins_count", SortField::LoginsCount),
];

/// A user's value for a sort: text, or a count, or nothing.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum SortKey {
    Text(String),
    Number(u64),
}

impl Sort {
    pub(crate) fn parse(sort: &str) -> Result<Self, ApiError> {
        let (field, order) = sort
            .rsplit_once(':')
            .filter(|(field, _)| {
                !field.is_empty()
                    && field
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
            })
            .ok_or_else(|| {
                ApiError::invalid_query(format!(
                    "String does not match pattern ^(([a-zA-Z0-9_\\.]+))\\:(1|-1)$: {sort} on property sort"
                ))
            })?;
        let descending = match order {
            "1" => false,
            "-1" => true,
            _ => {
                return Err(ApiError::invalid_query(format!(
                    "Invalid sort order {order:?}: 1 (ascending) or -1 (descending) on property sort"
                )));
            }
        };
        let field = SORT_FIELDS
            .iter()
            .find(|(name, _)| *name == field)
            .map(|(_, f)| *f)
            .ok_or_else(|| {
                ApiError::invalid_query(format!(
                    "Invalid sort field {field:?}: the mock sorts users by {}",
                    SORT_FIELDS.map(|(name, _)| name).join(", ")
                ))
            })?;
        Ok(Self { field, descending })
    }

    /// Whether the field is one that logins change (`last_login`, `logins_count`): then the
    /// users sorted must be merged with their logins first.
    pub(crate) fn needs_logins(&self) -> bool {
        matches!(self.field, SortField::LastLogin | SortField::LoginsCount)
    }

    /// Sorts `users` (stable: ties keep their order). The keys and positions are sorted, not
    /// the users: a user (or a `Cow` of one) is hundreds of bytes, and moving 10,000 of them
    /// through a merge sort cost more than the comparisons.
    pub(crate) fn apply<U: std::ops::Deref<Target = User>>(&self, users: &mut Vec<U>) {
        let mut keyed: Vec<(Option<SortKey>, usize)> = users
            .iter()
            .enumerate()
            .map(|(i, u)| (self.key(u), i))
            .collect();
        keyed.sort_by(|(a, _), (b, _)| match (a, b) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(a), Some(b)) if self.descending => b.cmp(a),
            (Some(a), Some(b)) => a.cmp(b),
        });
        let mut slots: Vec<Option<U>> = users.drain(..).map(Some).collect();
        users.extend(keyed.into_iter().filter_map(|(_, i)| slots[i].take()));
    }

    fn key(&self, user: &User) -> Option<SortKey> {
        let text = |s: &str| Some(SortKey::Text(s.to_owned()));
        let time = |t: &Option<String>| text(t.as_deref().unwrap_or(PROFILE_TIME));
        match self.field {
            SortField::UserId => Some(SortKey::Text(user.sub())),
            // Auth0 keeps emails in lower case.
            SortField::Email => Some(SortKey::Text(user.email.to_ascii_lowercase())),
            SortField::Name => Some(SortKey::Text(user.display_name())),
            SortField::Nickname => Some(SortKey::Text(user.nickname_or_default())),
            SortField::GivenName => user.given_name.as_deref().and_then(text),
            SortField::FamilyName => user.family_name.as_deref().and_then(text),
            SortField::CreatedAt => time(&user.created_at),
            SortField::UpdatedAt => time(&user.updated_at),
            SortField::LastLogin => user.last_login.as_deref().and_then(text),
            SortField::LoginsCount => Some(SortKey::Number(user.logins_count)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn carol() -> User {
        User::new("Carol@Example.com")
            .app_metadata("plan", "pro")
            .app_metadata("tags", json!(["beta", "staff"]))
            .app_metadata("org", json!({ "id": 7 }))
    }

    #[test]
    fn terms_joined_by_and_must_all_match() {
        let q = Search::parse(r#"email:"carol@example.com" AND app_metadata.plan:"pro""#).unwrap();
        assert!(q.matches(&carol()));
        let q = Search::parse(r#"email:"carol@example.com" AND app_metadata.plan:"free""#).unwrap();
        assert!(!q.matches(&carol()));
    }

    #[test]
    fn values_match_exactly_arrays_by_element_and_nested_keys_by_path() {
        assert!(
            Search::parse("app_metadata.tags:beta")
                .unwrap()
                .matches(&carol())
        );
        assert!(
            Search::parse("app_metadata.org.id:7")
                .unwrap()
                .matches(&carol())
        );
        assert!(
            !Search::parse(r#"app_metadata.plan:"pr""#)
                .unwrap()
                .matches(&carol())
        );
        assert!(
            Search::parse("app_metadata.plan:pr*")
                .unwrap()
                .matches(&carol())
        );
        assert!(
            Search::parse("app_metadata.plan:*")
                .unwrap()
                .matches(&carol())
        );
        assert!(
            !Search::parse("user_metadata.plan:*")
                .unwrap()
                .matches(&carol())
        );
        assert!(
            Search::parse(r#"user_id:"auth0|Carol""#)
                .unwrap()
                .matches(&carol())
        );
    }

    #[test]
    fn what_the_mock_cannot_search_is_refused_not_ignored() {
        for q in [
            "",
            "carol",
            r#"email:"unterminated"#,
            "email:a OR email:b",
            "email:a and email:b",
            "password:secret",
            "app_metadata.:x",
            "email:",
        ] {
            assert!(Search::parse(q).is_err(), "{q:?}");
        }
    }
}
