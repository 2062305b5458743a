//! Reading and validating an authorization request, in the order that keeps errors from
//! being redirected to an untrusted `redirect_uri`.

use std::collections::BTreeMap;

use serde_json::Value;

use super::reply::AuthorizeError;
use crate::engine::Idp;
use crate::http::html::PageError;
use crate::issuance::scopes::split_scope;
use crate::pkce::{self, Method};
use crate::store::transactions::{AuthorizationRequest, Prompt, Reply, ResponseMode, ResponseType};
use crate::tenant::{
    Client, IMPLICIT, OrganizationUsage, TenantConfig, is_organization_id, origin_of,
};

/// Parameters of an authorization request: form-urlencoded (so `+` is a space), each at most
/// once. Repeated names are remembered rather than refused here, because which parameter was
/// repeated decides whether the error may be redirected.
pub(super) struct RawParams {
    values: BTreeMap<String, String>,
    repeated: Vec<String>,
}

impl RawParams {
    pub(super) fn parse(bytes: &[u8]) -> Self {
        let mut values = BTreeMap::new();
        let mut repeated = Vec::new();
        for (name, value) in url::form_urlencoded::parse(bytes) {
            if values
                .insert(name.to_string(), value.into_owned())
                .is_some()
                && !repeated.contains(&name.to_string())
            {
                repeated.push(name.into_owned());
            }
        }
        Self { values, repeated }
    }

    /// A pushed request authenticated by Basic may leave `client_id` to the header.
    pub(super) fn default_client_id(&mut self, client_id: &str) {
        self.values
            .entry("client_id".to_owned())
            .or_insert_with(|| client_id.to_owned());
    }

    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.values
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    pub(super) fn once(&self, name: &str) -> Result<Option<&str>, String> {
        if self.repeated.iter().any(|r| r == name) {
            return Err(format!("Parameter {name} is included more than once"));
        }
        Ok(self.get(name))
    }
}

pub(super) fn validate(
    idp: &Idp,
    params: &RawParams,
) -> Result<AuthorizationRequest, AuthorizeError> {
    let tenant = idp.tenant();
    let page = |d: String| PageError::bad_request("invalid_request", d);
    let client_id = params
        .once("client_id")
        .map_err(page)?
        .ok_or_else(|| page("Missing required parameter: client_id".into()))?;
    let client = tenant
        .client(client_id)
        .ok_or_else(|| page(format!("Unknown client: {client_id}")))?;
    let redirect_uri_given = params.once("redirect_uri").map_err(page)?;
    let redirect_uri = match redirect_uri_given {
        Some(uri) if tenant.url_allowed(&client.callbacks, uri) && origin_of(uri).is_some() => {
            uri.to_owned()
        }
        Some(uri) => {
            return Err(page(format!(
                "The redirect_uri is not in the Allowed Callback URLs of client {client_id}: {uri}"
            ))
            .into());
        }
        // spa-js sends none when the app configured none; Auth0 then uses the callback URL.
        None => client.callbacks.first().cloned().ok_or_else(|| {
            page(format!(
                "Missing required parameter: redirect_uri (client {client_id} has no callback URL)"
            ))
        })?,
    };

    // From here on the client is trusted to receive errors.
    let response_type = params.get("response_type").map(ResponseType::parse);
    // An error about the response type itself goes back as for the code flow: the client's
    // own response type cannot be trusted to pick the mode.
    let default_mode = match response_type {
        Some(Some(rt)) => rt.default_mode(),
        _ => ResponseMode::Query,
    };
    let mode = match params.get("response_mode") {
        None => Some(default_mode),
        given => ResponseMode::parse(given),
    };
    let mut reply = Reply {
        redirect_uri,
        mode: mode.unwrap_or(default_mode),
        state: params.once("state").ok().flatten().map(str::to_owned),
    };
    let invalid = |reply: &Reply, d: String| AuthorizeError::client(reply, "invalid_request", d);
    if let Some(name) = params.repeated.first() {
        return Err(invalid(
            &reply,
            format!("Parameter {name} is included more than once"),
        ));
    }
    if mode.is_none() {
        return Err(invalid(
            &reply,
            "Unsupported response_mode: use query, fragment, form_post or web_message".into(),
        ));
    }
    let response_type = match response_type {
        None => {
            return Err(invalid(
                &reply,
                "Missing required parameter: response_type".into(),
            ));
        }
        Some(None) => {
            return Err(AuthorizeError::client(
                &reply,
                "unsupported_response_type",
                format!(
                    "Unsupported response type: {}",
                    params.get("response_type").unwrap_or_default()
                ),
            ));
        }
        Some(Some(rt)) => rt,
    };
    if response_type.front_channel_tokens() {
        if reply.mode == ResponseMode::Query {
            // The refusal itself must not put anything in a query either.
            reply.mode = ResponseMode::Fragment;
            return Err(invalid(
                &reply,
                "response_mode=query is not allowed with a response_type that returns tokens: \
                 use fragment or form_post"
                    .into(),
            ));
        }
        if !client.allows_grant(IMPLICIT) {
            return Err(AuthorizeError::client(
                &reply,
                "unauthorized_client",
                format!(
                    "Grant type 'implicit' not allowed for the client (response_type {}).",
                    params.get("response_type").unwrap_or_default()
                ),
            ));
        }
    }
    let scope = split_scope(params.get("scope"));
    if response_type.id_token {
        if !scope.iter().any(|s| s == "openid") {
            return Err(invalid(
                &reply,
                "The openid scope is required when response_type includes id_token".into(),
            ));
        }
        // OIDC Core 3.2.2.1 and 3.3.2.11: the only replay protection of a front-channel ID token.
        if params.get("nonce").is_none() {
            return Err(invalid(
                &reply,
                "Missing required parameter: nonce (required when response_type includes id_token)"
                    .into(),
            ));
        }
    }
    let invalid = |d: String| invalid(&reply, d);
    if params.get("request").is_some() {
        return Err(AuthorizeError::client(
            &reply,
            "request_not_supported",
            "Request objects are not supported",
        ));
    }
    let prompt = parse_prompt(params.get("prompt")).map_err(invalid)?;
    let max_age = match params.get("max_age") {
        None => None,
        Some(v) => Some(
            v.parse::<u32>()
                .map(i64::from)
                .map_err(|_| invalid("max_age must be a non-negative integer".into()))?,
        ),
    };
    // Without a code there is nothing for a verifier to bind.
    let challenge = if response_type.code {
        pkce_challenge(client, params).map_err(invalid)?
    } else {
        None
    };
    let hint_sub = match params.get("id_token_hint") {
        None => None,
        Some(hint) => Some(
            idp.verify_own(hint)
                .ok()
                .and_then(|c| c.get("sub").and_then(Value::as_str).map(str::to_owned))
                .ok_or_else(|| invalid("Invalid id_token_hint".into()))?,
        ),
    };
    let audience = params
        .get("audience")
        .or(tenant.default_audience.as_deref());
    if let Some(aud) = audience
        && tenant.api(aud).is_none()
    {
        return Err(AuthorizeError::client(
            &reply,
            "access_denied",
            format!("Service not found: {aud}"),
        ));
    }
    let organization = organization(&tenant, client, params)
        .map_err(|(error, description)| AuthorizeError::client(&reply, error, description))?;
    Ok(AuthorizationRequest {
        client_id: client.client_id.clone(),
        response_type,
        redirect_uri_given: redirect_uri_given.map(str::to_owned),
        scope,
        audience: audience.map(str::to_owned),
        nonce: params.get("nonce").map(str::to_owned),
        challenge,
        prompt,
        max_age,
        login_hint: params.get("login_hint").map(str::to_owned),
        screen_hint: params.get("screen_hint").map(str::to_owned),
        hint_sub,
        organization,
        invitation: params.get("invitation").map(str::to_owned),
        query: params
            .values
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        reply,
    })
}

/// The organization `organization=` names (its id), as the client's `organization_usage` and
/// the tenant's names setting allow; Auth0's `(error, error_description)` otherwise. Whether
/// the user is a member is known only after the login.
fn organization(
    tenant: &TenantConfig,
    client: &Client,
    params: &RawParams,
) -> Result<Option<String>, (&'static str, String)> {
    let invalid = |d: String| Err(("invalid_request", d));
    let Some(value) = params.get("organization") else {
        if params.get("invitation").is_some() {
            return invalid("parameter invitation requires parameter organization".into());
        }
        if client.organization_usage == OrganizationUsage::Require {
            return invalid("parameter organization is required for this client".into());
        }
        return Ok(None);
    };
    if client.organization_usage == OrganizationUsage::Deny {
        return invalid(format!(
            "parameter organization is not allowed for this client (client {} has organization_usage \"deny\")",
            client.client_id
        ));
    }
    if !is_organization_id(value) && !tenant.allow_organization_name_in_authentication_api {
        return invalid(
            "authorization request parameter organization must be an organization id".into(),
        );
    }
    match tenant.organization(value) {
        Some(org) => Ok(Some(org.id())),
        None => Err((
            "access_denied",
            format!("no organization found by that id or name: {value}"),
        )),
    }
}

fn parse_prompt(prompt: Option<&str>) -> Result<Prompt, String> {
    let mut out = Prompt::default();
    let values: Vec<&str> = prompt
        .unwrap_or_default()
        .split_ascii_whitespace()
        .collect();
    for value in &values {
        match *value {
            "none" => out.none = true,
            "login" => out.login = true,
            "consent" => out.consent = true,
            "select_account" => {}
            other => return Err(format!("Unsupported prompt value: {other}")),
        }
    }
    if out.none && values.len() > 1 {
        return Err("prompt=none cannot be combined with other prompt values".into());
    }
    Ok(out)
}

/// PKCE at `/authorize`: S256 always, `plain` only for clients that allow it, and mandatory
/// for public clients (they have no secret to bind the code to).
fn pkce_challenge(client: &Client, params: &RawParams) -> Result<Option<(Method, String)>, String> {
    let Some(challenge) = params.get("code_challenge") else {
        if params.get("code_challenge_method").is_some() {
            return Err("code_challenge_method given without code_challenge".into());
        }
        if !client.is_confidential() {
            return Err(
                "Parameter 'code_challenge' is required: public clients must use PKCE".into(),
            );
        }
        return Ok(None);
    };
    let method = Method::parse(params.get("code_challenge_method")).ok_or_else(|| {
        "Unsupported code_challenge_method: use S256 (transform algorithm not supported)".to_owned()
    })?;
    if method == Method::Plain && !client.allow_plain_pkce {
        return Err(
            "code_challenge_method plain is not allowed for this client: use S256 (transform algorithm not supported)"
                .into(),
        );
    }
    if !pkce::is_valid_challenge(method, challenge) {
        return Err(match method {
            Method::S256 => "code_challenge must be 43 base64url characters (BASE64URL(SHA256(code_verifier)), no padding)".into(),
            Method::Plain => "code_challenge must be 43 to 128 characters of [A-Za-z0-9-._~]".into(),
        });
    }
    Ok(Some((method, challenge.to_owned())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_none_cannot_be_combined() {
        assert!(parse_prompt(Some("none login")).is_err());
        assert!(parse_prompt(Some("login consent")).is_ok());
        assert!(parse_prompt(Some("bogus")).is_err());
    }
}
