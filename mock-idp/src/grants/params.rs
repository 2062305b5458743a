//! The parameters of a token-endpoint request, whatever the body's encoding.
//!
//! Bodies are `application/x-www-form-urlencoded` (what the SDKs send by default) or
//! `application/json` (`useFormData: false`); both parse into the same [`Params`]. Unknown
//! parameters are ignored, as the SPA SDK sends extra ones; repeated ones are refused.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::error::OAuthError;

/// The parameters of a token-endpoint request, whatever the body's encoding.
#[derive(Debug, Default)]
pub(crate) struct Params(BTreeMap<String, String>);

impl Params {
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// Every parameter, by name.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub(crate) fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name).ok_or_else(|| {
            OAuthError::InvalidRequest(format!("Missing required parameter: {name}"))
        })
    }

    /// Parses a body by its media type (already lower-cased, without parameters).
    pub(crate) fn parse(media_type: &str, bytes: &[u8]) -> Result<Self, OAuthError> {
        match media_type {
            "application/x-www-form-urlencoded" => parse_form(bytes),
            "application/json" => parse_json(bytes),
            "" if bytes.is_empty() => Ok(Self::default()),
            "" => Err(OAuthError::InvalidRequest(
                "Missing Content-Type: use application/x-www-form-urlencoded or application/json"
                    .into(),
            )),
            other => Err(OAuthError::InvalidRequest(format!(
                "Unsupported Content-Type {other}: use application/x-www-form-urlencoded or application/json"
            ))),
        }
    }
}

fn parse_form(bytes: &[u8]) -> Result<Params, OAuthError> {
    let mut params = BTreeMap::new();
    for (name, value) in url::form_urlencoded::parse(bytes) {
        if params
            .insert(name.to_string(), value.into_owned())
            .is_some()
        {
            return Err(OAuthError::InvalidRequest(format!(
                "Parameter {name} is included more than once"
            )));
        }
    }
    Ok(Params(params))
}

fn parse_json(bytes: &[u8]) -> Result<Params, OAuthError> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|_| OAuthError::InvalidRequest("The body is not valid JSON".into()))?;
    let Value::Object(object) = value else {
        return Err(OAuthError::InvalidRequest(
            "The JSON body must be an object".into(),
        ));
    };
    let mut params = BTreeMap::new();
    for (name, value) in object {
        let value = match value {
            Value::String(s) => s,
            Value::Null => continue,
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Array(_) | Value::Object(_) => {
                return Err(OAuthError::InvalidRequest(format!(
                    "Parameter {name} must be a string"
                )));
            }
        };
        params.insert(name, value);
    }
    Ok(Params(params))
}
