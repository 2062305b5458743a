//! What the tests in this binary share: the token endpoint and JWT decoding for the API
//! tests, and a scripted browser for the code flow (a cookie jar, no automatic redirects,
//! PKCE, and the few steps a person takes on the login page).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mock_idp::MockIdp;
use reqwest::header::HeaderMap;
use reqwest::{Response, StatusCode, redirect::Policy};
use serde_json::Value;
use sha2::{Digest, Sha256};

pub const API: &str = "https://sample-api";
pub const SPA: &str = "sample-spa";
pub const APP: &str = "http://localhost:3000";
/// What auth0-spa-js sends as `state`: standard base64, so `+`, `/` and `=` occur.
pub const TRICKY_STATE: &str = "YWJj+ZGVm/Z2hp==";

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// A form POST to `/oauth/token` from `http`; returns the status and JSON body.
async fn post_token(
    http: &reqwest::Client,
    idp: &MockIdp,
    form: &[(&str, &str)],
) -> (StatusCode, Value) {
    let response = http
        .post(idp.url("/oauth/token"))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

/// A form POST to `/oauth/token`; returns the status and JSON body.
pub async fn token_form(idp: &MockIdp, form: &[(&str, &str)]) -> (u16, Value) {
    let (status, body) = post_token(&client(), idp, form).await;
    (status.as_u16(), body)
}

pub async fn client_credentials(idp: &MockIdp) -> Value {
    client_credentials_over(&client(), idp).await
}

/// The same over `http` (for an https mock, a client that trusts its CA).
pub async fn client_credentials_over(http: &reqwest::Client, idp: &MockIdp) -> Value {
    let (status, body) = post_token(
        http,
        idp,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "sample-m2m"),
            ("client_secret", "sample-m2m-secret"),
            ("audience", API),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

pub async fn password_grant(idp: &MockIdp, user: &str, scope: &str) -> Value {
    let (status, body) = token_form(
        idp,
        &[
            ("grant_type", "password"),
            ("client_id", "sample-spa"),
            ("username", user),
            ("password", "password"),
            ("audience", API),
            ("scope", scope),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

fn segment(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).expect("a JWT has three parts");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

/// The payload, decoded without verification (verification has its own tests).
pub fn claims(token: &str) -> Value {
    segment(token, 1)
}

pub fn header(token: &str) -> Value {
    segment(token, 0)
}

/// A PKCE pair: a verifier and its S256 challenge.
pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

impl Pkce {
    pub fn new() -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        // 43 characters of the unreserved set, different every call.
        let verifier = format!("{n:0>10}-verifier.with~unreserved_chars-x");
        assert_eq!(verifier.len(), 43);
        Self::from_verifier(verifier)
    }

    pub fn from_verifier(verifier: String) -> Self {
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        Self {
            verifier,
            challenge,
        }
    }
}

/// An authorization request, as the SPA SDK would build it.
#[derive(Clone)]
pub struct AuthRequest {
    pub params: Vec<(String, String)>,
}

impl AuthRequest {
    /// `client_id=sample-spa`, `redirect_uri=http://localhost:3000`, `response_type=code`,
    /// `scope=openid profile email`, `audience=https://sample-api`, S256 PKCE, a state with
    /// `+/=` and a nonce.
    pub fn spa(pkce: &Pkce) -> Self {
        Self {
            params: vec![
                ("client_id".into(), SPA.into()),
                ("redirect_uri".into(), APP.into()),
                ("response_type".into(), "code".into()),
                ("scope".into(), "openid profile email".into()),
                ("audience".into(), API.into()),
                ("state".into(), TRICKY_STATE.into()),
                ("nonce".into(), "bm9uY2U+/=".into()),
                ("code_challenge".into(), pkce.challenge.clone()),
                ("code_challenge_method".into(), "S256".into()),
            ],
        }
    }

    /// Sets (or adds) a parameter.
    pub fn with(mut self, name: &str, value: &str) -> Self {
        self.params.retain(|(n, _)| n != name);
        self.params.push((name.into(), value.into()));
        self
    }

    /// Removes a parameter.
    pub fn without(mut self, name: &str) -> Self {
        self.params.retain(|(n, _)| n != name);
        self
    }
}

/// One browser: its own cookie jar, following no redirects by itself.
pub struct Browser<'a> {
    pub idp: &'a MockIdp,
    pub http: reqwest::Client,
}

/// The login page's hidden fields.
pub struct LoginForm {
    pub state: String,
    pub csrf: String,
    pub html: String,
}

impl<'a> Browser<'a> {
    pub fn new(idp: &'a MockIdp) -> Self {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            .build()
            .unwrap();
        Self { idp, http }
    }

    /// A plain GET of a path (with its query, if any) on the mock.
    pub async fn get(&self, path: &str) -> Response {
        self.http.get(self.idp.url(path)).send().await.unwrap()
    }

    pub async fn authorize(&self, request: &AuthRequest) -> Response {
        self.http
            .get(self.idp.url("/authorize"))
            .query(&request.params)
            .send()
            .await
            .unwrap()
    }

    /// Follows a Location on the mock (relative) or elsewhere (absolute).
    pub async fn follow(&self, response: &Response) -> Response {
        let location = location(response);
        let url = if location.starts_with('/') {
            self.idp.url(&location)
        } else {
            location
        };
        self.http.get(url).send().await.unwrap()
    }

    /// Opens the login page the response redirected to.
    pub async fn login_page(&self, response: &Response) -> (StatusCode, HeaderMap, LoginForm) {
        assert_eq!(response.status(), StatusCode::FOUND);
        let location = location(response);
        assert!(location.starts_with("/u/login?"), "{location}");
        let page = self.follow(response).await;
        let headers = page.headers().clone();
        let status = page.status();
        let html = page.text().await.unwrap();
        let form = LoginForm {
            state: hidden(&html, "state"),
            csrf: hidden(&html, "csrf"),
            html: html.clone(),
        };
        (status, headers, form)
    }

    pub async fn submit_login(&self, form: &LoginForm, fields: &[(&str, &str)]) -> Response {
        let mut body: Vec<(&str, &str)> = vec![("state", &form.state), ("csrf", &form.csrf)];
        body.extend_from_slice(fields);
        self.http
            .post(self.idp.url("/u/login"))
            .form(&body)
            .send()
            .await
            .unwrap()
    }

    /// Posts `decision` (`accept` or `deny`) on the consent page whose HTML is `page`, with
    /// its hidden state and csrf.
    pub async fn submit_consent(&self, page: &str, decision: &str) -> Response {
        self.http
            .post(self.idp.url("/u/consent"))
            .form(&[
                ("state", hidden(page, "state")),
                ("csrf", hidden(page, "csrf")),
                ("decision", decision.to_owned()),
            ])
            .send()
            .await
            .unwrap()
    }

    /// Authorize, log in through the form as `email` / `password`, and return the final
    /// response (the redirect to the application).
    pub async fn log_in(&self, request: &AuthRequest, email: &str) -> Response {
        let response = self.authorize(request).await;
        self.log_in_at(&response, email).await
    }

    /// Logs in through the form as `email` / `password` on the login page `response`
    /// redirected to, and returns the final response (the redirect to the application).
    pub async fn log_in_at(&self, response: &Response, email: &str) -> Response {
        let (_, _, form) = self.login_page(response).await;
        let posted = self
            .submit_login(&form, &[("username", email), ("password", "password")])
            .await;
        assert_eq!(posted.status(), StatusCode::SEE_OTHER);
        self.follow(&posted).await
    }

    /// Logs in as `email` through the form with a fresh SPA request, to have a session; the
    /// redirect back to the application is dropped.
    pub async fn sign_in(&self, email: &str) {
        self.log_in(&AuthRequest::spa(&Pkce::new()), email).await;
    }

    /// Redeems a code at the token endpoint as the SPA does.
    pub async fn redeem(&self, code: &str, verifier: &str) -> (StatusCode, Value) {
        self.token(&[
            ("grant_type", "authorization_code"),
            ("client_id", SPA),
            ("code", code),
            ("code_verifier", verifier),
            ("redirect_uri", APP),
        ])
        .await
    }

    pub async fn token(&self, form: &[(&str, &str)]) -> (StatusCode, Value) {
        post_token(&self.http, self.idp, form).await
    }

    /// GET /userinfo with `access_token` as the bearer token.
    pub async fn userinfo(&self, access_token: &str) -> Response {
        self.http
            .get(self.idp.url("/userinfo"))
            .bearer_auth(access_token)
            .send()
            .await
            .unwrap()
    }

    /// Logs in and redeems the code: the whole flow, returning the token response.
    pub async fn tokens(&self, request: &AuthRequest, pkce: &Pkce, email: &str) -> Value {
        let response = self.log_in(request, email).await;
        let code = query_of(&location(&response))["code"].clone();
        let (status, body) = self.redeem(&code, &pkce.verifier).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }
}

pub fn location(response: &Response) -> String {
    response
        .headers()
        .get("location")
        .unwrap_or_else(|| panic!("no Location in a {} response", response.status()))
        .to_str()
        .unwrap()
        .to_owned()
}

/// The query of a URL, decoded as a browser's URLSearchParams does.
pub fn query_of(url: &str) -> HashMap<String, String> {
    let url = url::Url::parse(url).unwrap();
    url.query_pairs().into_owned().collect()
}

/// The fragment of a URL, decoded.
pub fn fragment_of(url: &str) -> HashMap<String, String> {
    let url = url::Url::parse(url).unwrap();
    url::form_urlencoded::parse(url.fragment().unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

/// The value of `<input type="hidden" name="NAME" value="...">`.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no hidden {name} in {html}"))
        + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].to_owned()
}

/// Every hidden input of a `form_post` page, by name, with HTML entities decoded as a browser
/// would before posting them.
pub fn form_post_fields(html: &str) -> HashMap<String, String> {
    let unescape = |v: &str| {
        v.replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    };
    html.split("<input type=\"hidden\" name=\"")
        .skip(1)
        .map(|rest| {
            let (name, rest) = rest.split_once("\" value=\"").unwrap();
            let value = &rest[..rest.find('"').unwrap()];
            (unescape(name), unescape(value))
        })
        .collect()
}

/// The action of a `form_post` page: where the browser posts it.
pub fn form_post_action(html: &str) -> String {
    let start = html.find("action=\"").unwrap() + "action=\"".len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

/// The message a `web_message` page posts, parsed out of its script.
pub fn posted_message(html: &str) -> (Value, String) {
    let start = html.find("var message=").unwrap() + "var message=".len();
    let end = html[start..].find(";var target=").unwrap() + start;
    let message: Value = serde_json::from_str(&html[start..end]).unwrap();
    let t_start = end + ";var target=".len();
    let t_end = html[t_start..].find(';').unwrap() + t_start;
    let target: String = serde_json::from_str(&html[t_start..t_end]).unwrap();
    (message, target)
}

/// The `mock-idp` binary, started with `args` and `env` (`MOCK_IDP_PORT` from the runner's
/// environment left out), returned once its ready line is out; killed on drop.
pub struct Running {
    child: std::process::Child,
    pub issuer: String,
    address: String,
}

impl Running {
    pub fn start(args: &[&str]) -> Self {
        Self::start_with_env::<&str>(args, &[])
    }

    pub fn start_with_env<V: AsRef<std::ffi::OsStr>>(args: &[&str], env: &[(&str, V)]) -> Self {
        use std::io::{BufRead, BufReader};
        use std::process::{Command, Stdio};
        let mut child = Command::new(env!("CARGO_BIN_EXE_mock-idp"))
            .args(args)
            .env_remove("MOCK_IDP_PORT")
            .envs(env.iter().map(|(k, v)| (*k, v)))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        // `mock-idp ready: issuer <issuer> listening <address>`
        let (issuer, address) = line
            .trim()
            .strip_prefix("mock-idp ready: issuer ")
            .and_then(|rest| rest.split_once(" listening "))
            .unwrap_or_else(|| panic!("unexpected ready line {line:?}"));
        Self {
            issuer: issuer.to_owned(),
            address: address.to_owned(),
            child,
        }
    }

    pub fn port(&self) -> u16 {
        self.address.rsplit(':').next().unwrap().parse().unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// The same over TLS, for a mock started with `--tls`.
    pub fn https_url(&self, path: &str) -> String {
        format!("https://{}{path}", self.address)
    }

    /// SIGTERM (to this process only), then its exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        self.child.wait().unwrap()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The Management API (`/api/v2/`) as a backend calls it: with a `sample-m2m` token for
/// `<issuer>api/v2/`.
pub struct Management<'a> {
    pub idp: &'a MockIdp,
    pub token: String,
}

impl<'a> Management<'a> {
    /// With every scope the default tenant grants `sample-m2m`.
    pub async fn new(idp: &'a MockIdp) -> Self {
        Self::with_scope(idp, None).await
    }

    /// With only `scope` (space-separated), or every granted scope.
    pub async fn with_scope(idp: &'a MockIdp, scope: Option<&str>) -> Self {
        let audience = format!("{}api/v2/", idp.issuer());
        let mut form = vec![
            ("grant_type", "client_credentials"),
            ("client_id", "sample-m2m"),
            ("client_secret", "sample-m2m-secret"),
            ("audience", audience.as_str()),
        ];
        if let Some(scope) = scope {
            form.push(("scope", scope));
        }
        let (status, body) = token_form(idp, &form).await;
        assert_eq!(status, 200, "{body}");
        Self::with_token(idp, body["access_token"].as_str().unwrap())
    }

    pub fn with_token(idp: &'a MockIdp, token: &str) -> Self {
        Self {
            idp,
            token: token.to_owned(),
        }
    }

    /// Sends `body` (raw bytes, so tests can send what no serializer would) to `path` under
    /// `/api/v2`; returns the status and the JSON body (`null` when there is none).
    pub async fn send_raw(&self, method: &str, path: &str, body: Option<Vec<u8>>) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = client()
            .request(method, self.idp.url(&format!("/api/v2{path}")))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let bytes = response.bytes().await.unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| {
                panic!("{status}: not JSON: {}", String::from_utf8_lossy(&bytes))
            })
        };
        (status, body)
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.send_raw("GET", path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send_raw("POST", path, Some(body.to_string().into_bytes()))
            .await
    }

    pub async fn patch(&self, path: &str, body: Value) -> (u16, Value) {
        self.send_raw("PATCH", path, Some(body.to_string().into_bytes()))
            .await
    }

    pub async fn delete(&self, path: &str, body: Option<Value>) -> (u16, Value) {
        self.send_raw("DELETE", path, body.map(|b| b.to_string().into_bytes()))
            .await
    }

    /// Creates a database user with password `password`; returns it as the API answered.
    pub async fn create_user(&self, email: &str, extra: Value) -> Value {
        let mut body = serde_json::json!({
            "connection": "Username-Password-Authentication",
            "email": email,
            "password": "password",
        });
        if let Value::Object(extra) = extra {
            body.as_object_mut().unwrap().extend(extra);
        }
        let (status, user) = self.post("/users", body).await;
        assert_eq!(status, 201, "{user}");
        user
    }

    /// Creates a role; returns its id.
    pub async fn create_role(&self, name: &str) -> String {
        let (status, role) = self
            .post("/roles", serde_json::json!({ "name": name }))
            .await;
        assert_eq!(status, 200, "{role}");
        role["id"].as_str().unwrap().to_owned()
    }
}

/// A user id as it goes in a path (`auth0|x` → `auth0%7Cx`), as the SDKs send it.
pub fn id_path(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes()).collect()
}
/// The test clients' keys (`client_keys/`): the public halves to register as credentials.
pub const RSA_PUBLIC: &str = include_str!("client_keys/rsa.pub.pem");
pub const EC_PUBLIC: &str = include_str!("client_keys/ec.pub.pem");
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Which private key signs an [`Assertion`].
#[derive(Clone, Copy)]
pub enum AssertionKey {
    Rsa,
    Ec,
    /// A key no client registers.
    OtherRsa,
}

/// A `private_key_jwt` client assertion as openid-client v6 makes one (`iss` = `sub` = the
/// client, `aud` = the issuer, 60 s on the mock's clock, a fresh `jti`), changed claim by
/// claim by a test.
pub struct Assertion {
    alg: jsonwebtoken::Algorithm,
    claims: serde_json::Map<String, Value>,
}

impl Assertion {
    pub fn for_client(idp: &MockIdp, client_id: &str) -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let now = idp.clock().now();
        let claims = serde_json::json!({
            "iss": client_id,
            "sub": client_id,
            "aud": idp.issuer(),
            "iat": now,
            "exp": now + 60,
            "jti": format!("jti-{}", N.fetch_add(1, Ordering::Relaxed)),
        });
        let Value::Object(claims) = claims else {
            unreachable!()
        };
        Self {
            alg: jsonwebtoken::Algorithm::RS256,
            claims,
        }
    }

    /// Sets a claim; `Value::Null` removes it.
    pub fn claim(mut self, name: &str, value: impl Into<Value>) -> Self {
        match value.into() {
            Value::Null => self.claims.remove(name),
            value => self.claims.insert(name.to_owned(), value),
        };
        self
    }

    pub fn alg(mut self, alg: jsonwebtoken::Algorithm) -> Self {
        self.alg = alg;
        self
    }

    /// Signed with the registered key its alg needs.
    pub fn sign(&self) -> String {
        let key = match self.alg {
            jsonwebtoken::Algorithm::ES256 => AssertionKey::Ec,
            _ => AssertionKey::Rsa,
        };
        self.sign_with(key)
    }

    pub fn sign_with(&self, key: AssertionKey) -> String {
        use jsonwebtoken::EncodingKey;
        let key = match key {
            AssertionKey::Rsa => {
                EncodingKey::from_rsa_pem(include_bytes!("client_keys/rsa.key.pem"))
            }
            AssertionKey::Ec => EncodingKey::from_ec_pem(include_bytes!("client_keys/ec.key.pem")),
            AssertionKey::OtherRsa => {
                EncodingKey::from_rsa_pem(include_bytes!("client_keys/other-rsa.key.pem"))
            }
        };
        let header = jsonwebtoken::Header::new(self.alg);
        jsonwebtoken::encode(&header, &self.claims, &key.unwrap()).unwrap()
    }

    /// The claims signed with HMAC keyed by `secret` (what an alg-confused verifier accepts).
    pub fn sign_hs256(&self, secret: &[u8]) -> String {
        let key = jsonwebtoken::EncodingKey::from_secret(secret).unwrap();
        let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        jsonwebtoken::encode(&header, &self.claims, &key).unwrap()
    }

    /// The claims with `alg: none` and no signature.
    pub fn unsigned(&self) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let claims = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&self.claims).unwrap());
        format!("{header}.{claims}.")
    }
}
