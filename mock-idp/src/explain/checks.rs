//! The checks, in order, and the hints they call for. Each check reads the decoded token and
//! what the mock knows, and says in one sentence what it found; a hint says what to do.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::decode::{self, Decoded, MAX_TOKEN_LEN, Problem};
use super::words::{duration, timestamp};
use super::{Check, CheckResult, DEFAULT_LEEWAY_SECS, Expected, Outcome, Report, Verdict};
use crate::engine::Idp;
use crate::issuance::keys::{Algorithm, SigningKey, foreign_key, hmac_sha256};
use crate::store::retired_keys::{RetiredBy, RetiredKey};
use crate::tenant::TenantConfig;

/// Timestamps at or above 2^53 are not exact in JavaScript; `sample-api` refuses them.
const MAX_TIMESTAMP: i64 = 1 << 53;

pub(super) fn run(idp: &Idp, token: &str, expected: &Expected) -> Report {
    let decoded = decode::decode(token);
    let mut run = Run {
        idp,
        tenant: idp.tenant(),
        expected,
        issuer: expected
            .issuer
            .clone()
            .unwrap_or_else(|| idp.issuer().to_owned()),
        now: idp.clock.now(),
        leeway: expected.leeway_secs.unwrap_or(DEFAULT_LEEWAY_SECS),
        keys: idp.published_keys(),
        checks: Vec::new(),
        hints: Vec::new(),
    };
    let header = decoded.header.as_ref();
    let claims = decoded.claims.as_ref();
    let key = run.key(header, claims);

    let structure = run.structure(&decoded, token);
    run.record(Check::Structure, structure);
    let alg = run.alg(header, &key);
    run.record(Check::Alg, alg);
    let kid = run.kid(header, &key);
    run.record(Check::Kid, kid);
    let signature = run.signature(&decoded, &key);
    run.record(Check::Signature, signature);
    let typ = run.typ(header);
    run.record(Check::Typ, typ);
    let iss = run.iss(claims);
    run.record(Check::Iss, iss);
    let aud = run.aud(claims);
    run.record(Check::Aud, aud);
    let exp = run.exp(claims);
    run.record(Check::Exp, exp);
    let nbf = run.nbf(claims);
    run.record(Check::Nbf, nbf);
    let scope = run.scope(claims);
    run.record(Check::Scope, scope);

    let verdict = if run.checks.iter().all(CheckResult::ok) {
        Verdict::Valid
    } else {
        Verdict::Invalid
    };
    Report {
        verdict,
        header: decoded.header,
        claims: decoded.claims,
        checks: run.checks,
        hints: run.hints,
        now: run.now,
        leeway_secs: run.leeway,
    }
}

type Said = (Outcome, String);

fn passed(detail: impl Into<String>) -> Said {
    (Outcome::Passed, detail.into())
}

fn failed(detail: impl Into<String>) -> Said {
    (Outcome::Failed, detail.into())
}

fn not_run(detail: impl Into<String>) -> Said {
    (Outcome::NotRun, detail.into())
}

/// The key a token's header leads to.
enum Key {
    /// No header to read.
    NoHeader,
    /// HS256 with a secret this tenant configured (an API's, or a client's for ID tokens).
    Shared {
        secret: Vec<u8>,
        owner: String,
    },
    Published(Arc<SigningKey>),
    Retired(RetiredKey),
    Unknown(String),
    /// No `kid`.
    Missing,
    NotAString,
}

struct Run<'a> {
    idp: &'a Idp,
    tenant: Arc<TenantConfig>,
    expected: &'a Expected,
    /// The issuer the API expects.
    issuer: String,
    now: i64,
    leeway: u64,
    keys: Vec<Arc<SigningKey>>,
    checks: Vec<CheckResult>,
    hints: Vec<String>,
}

impl Run<'_> {
    fn record(&mut self, check: Check, (outcome, detail): Said) {
        self.checks.push(CheckResult {
            check,
            outcome,
            detail,
        });
    }

    fn hint(&mut self, hint: String) {
        if !self.hints.contains(&hint) {
            self.hints.push(hint);
        }
    }

    fn tenant_alg(&self) -> Algorithm {
        self.idp.active_key().alg()
    }

    /// The audience a developer should ask for: the expected one, else the tenant's default,
    /// else its first API.
    fn audience_to_ask_for(&self) -> Option<String> {
        self.expected
            .audience
            .clone()
            .or_else(|| self.tenant.default_audience.clone())
            .or_else(|| self.tenant.apis.first().map(|a| a.identifier.clone()))
    }

    fn key(&self, header: Option<&Map<String, Value>>, claims: Option<&Map<String, Value>>) -> Key {
        let Some(header) = header else {
            return Key::NoHeader;
        };
        if header.get("alg").and_then(Value::as_str) == Some("HS256")
            && let Some((secret, owner)) = self.shared_secret(claims)
        {
            return Key::Shared { secret, owner };
        }
        match header.get("kid") {
            None => Key::Missing,
            Some(Value::String(kid)) => {
                if let Some(key) = self.keys.iter().find(|k| k.kid() == kid) {
                    Key::Published(Arc::clone(key))
                } else if let Some(retired) = self.idp.retired_keys.find(kid) {
                    Key::Retired(retired)
                } else {
                    Key::Unknown(kid.clone())
                }
            }
            Some(_) => Key::NotAString,
        }
    }

    /// The HS256 secret of the API the token (or the expectation) names, or of the client an
    /// ID token is for, when the tenant configured one.
    fn shared_secret(&self, claims: Option<&Map<String, Value>>) -> Option<(Vec<u8>, String)> {
        let mut names = audiences(claims).unwrap_or_default();
        names.extend(self.expected.audience.clone());
        names.iter().find_map(|name| {
            if let Some(api) = self.tenant.api(name)
                && api.signing_alg == Some(Algorithm::HS256)
            {
                let secret = api.signing_secret.as_ref()?;
                return Some((secret.as_bytes().to_vec(), format!("the API {name}")));
            }
            let client = self.tenant.client(name)?;
            if client.id_token_signing_alg == Some(Algorithm::HS256) {
                let secret = client.client_secret.as_ref()?;
                return Some((secret.as_bytes().to_vec(), format!("the client {name}")));
            }
            None
        })
    }

    fn structure(&mut self, decoded: &Decoded<'_>, token: &str) -> Said {
        let Some(problem) = &decoded.problem else {
            return passed(
                "A compact JWS: three base64url segments, header and claims JSON objects.",
            );
        };
        let ask = self.audience_to_ask_for();
        let no_audience_hint = |what: &str| {
            format!(
                "{what} Auth0 issues opaque access tokens when the application asks for no \
                 audience; only /userinfo accepts them. Ask for the API's audience{} \
                 (authorizationParams.audience in the Auth0 SDKs, audience in the token request) \
                 to get a JWT the API can validate.",
                ask.as_deref().map(|a| format!(", {a}")).unwrap_or_default()
            )
        };
        if matches!(problem, Problem::Opaque { .. })
            && let Some(grant) = self.idp.opaque_tokens.peek(token)
        {
            self.hint(no_audience_hint(
                "The token request named no audience, and the tenant has no default audience.",
            ));
            let live = if grant.expires_at > self.now {
                format!("it expires {}", timestamp(grant.expires_at))
            } else {
                format!("it expired {}", timestamp(grant.expires_at))
            };
            return failed(format!(
                "An opaque access token this mock issued to client {} for {} at {}, not a JWT: \
                 the request named no audience. No API can validate it; only /userinfo accepts \
                 it ({live}).",
                grant.client_id,
                grant.sub,
                timestamp(grant.issued_at)
            ));
        }
        match problem {
            Problem::Empty => failed("The token is empty."),
            Problem::TooLarge(len) => failed(format!(
                "The token is {len} bytes, over the {MAX_TOKEN_LEN} a validator reads before \
                 refusing (sample-api stops at 8 KiB); it was not decoded."
            )),
            Problem::BearerPrefix => {
                self.hint(
                    "Paste the token alone, without the \"Bearer \" of the Authorization header."
                        .into(),
                );
                failed(
                    "The text starts with \"Bearer \": that is the Authorization header, not the token.",
                )
            }
            Problem::Whitespace(at) => failed(format!(
                "The token has a space, line break or control character at byte {at}; a JWT has none."
            )),
            Problem::Jwe { alg, enc } => {
                self.hint(no_audience_hint(
                    "This is an encrypted token (JWE), not a signed JWT.",
                ));
                failed(format!(
                    "Five segments: a JWE (encrypted token{}), which an API cannot read without \
                     the decryption key.",
                    match (alg, enc) {
                        (Some(alg), Some(enc)) => format!(", alg {alg}, enc {enc}"),
                        _ => String::new(),
                    }
                ))
            }
            Problem::Opaque { segments } => {
                self.hint(no_audience_hint(
                    "This is not a JWT: it is an opaque string.",
                ));
                failed(format!(
                    "{segments} segment{} separated by dots, not the three of a JWT: an opaque \
                     token, or not a token at all.",
                    if *segments == 1 { "" } else { "s" }
                ))
            }
            Problem::NotBase64 { segment } => failed(format!(
                "The {segment} segment is not unpadded base64url (RFC 7515); validators refuse \
                 the token before reading it."
            )),
            Problem::NotJsonObject { segment, found } => failed(format!(
                "The {segment} segment decodes to {found}, not a JSON object."
            )),
            Problem::Duplicate { segment, name } => failed(format!(
                "The {segment} has \"{name}\" twice; validators disagree about which one counts, \
                 so a hardened one refuses the token."
            )),
        }
    }

    fn alg(&mut self, header: Option<&Map<String, Value>>, key: &Key) -> Said {
        let Some(header) = header else {
            return not_run("The header does not decode.");
        };
        let ours = self.tenant_alg();
        let alg = match header.get("alg") {
            None => return failed("The header has no alg."),
            Some(Value::String(alg)) => alg.as_str(),
            Some(_) => return failed("The header's alg is not a string."),
        };
        if alg.eq_ignore_ascii_case("none") {
            self.hint(format!(
                "alg \"{alg}\" means the token is not signed. An API must refuse it whatever the \
                 header says: configure the algorithms it accepts ({ours}) instead of reading them \
                 from the token. Get a signed token from the mock."
            ));
            return failed(format!(
                "\"{alg}\": the token claims to need no signature; validators must refuse it."
            ));
        }
        match (alg, key) {
            ("HS256", Key::Shared { owner, .. }) => {
                passed(format!("HS256, with the shared secret of {owner}."))
            }
            ("HS256", _) => failed(format!(
                "HS256 (a shared secret), but this tenant signs with {ours} and has no HS256 \
                 secret for what the token names."
            )),
            ("RS256" | "PS256" | "ES256", Key::Published(k)) if k.alg().as_str() == alg => passed(
                format!("{alg}, the algorithm of the published key {}.", k.kid()),
            ),
            ("RS256" | "PS256" | "ES256", Key::Published(k)) => failed(format!(
                "{alg}, but the key {} is for {}: validators take the algorithm from the key, \
                 never from the token.",
                k.kid(),
                k.alg()
            )),
            ("RS256" | "PS256" | "ES256", _) if alg == ours.as_str() => {
                passed(format!("{alg}, the algorithm this tenant signs with."))
            }
            _ => failed(format!(
                "{alg} is not an algorithm this tenant signs with ({ours})."
            )),
        }
    }

    fn kid(&mut self, header: Option<&Map<String, Value>>, key: &Key) -> Said {
        if header.is_none() {
            return not_run("The header does not decode.");
        }
        let active = self.idp.active_key();
        match key {
            Key::NoHeader => not_run("The header does not decode."),
            Key::Shared { owner, .. } => passed(format!(
                "Not needed: HS256 tokens are checked with the shared secret of {owner}."
            )),
            Key::Published(k) if k.kid() == active.kid() => {
                passed(format!("{}, the active key in the JWKS.", k.kid()))
            }
            Key::Published(k) => passed(format!(
                "{}, an older key still published in the JWKS (the active one is {}).",
                k.kid(),
                active.kid()
            )),
            Key::Retired(retired) => {
                let how = match retired.by {
                    RetiredBy::Retire => "rotated out and retired",
                    RetiredBy::Reset => "dropped when the mock was reset",
                };
                self.hint(format!(
                    "The token was signed by {}, a key this tenant {how} at {}: it is no longer \
                     in the JWKS, so no validator can check the token. Get a new token; it will \
                     be signed by the active key {}.",
                    retired.kid,
                    timestamp(retired.at),
                    active.kid()
                ));
                failed(format!(
                    "{} was this tenant's key until it was {how} at {}.",
                    retired.kid,
                    timestamp(retired.at)
                ))
            }
            Key::Unknown(kid) => {
                self.hint(format!(
                    "The token was signed by a key this tenant never published (kid {kid}): it \
                     comes from another tenant, another mock (each new mock makes new keys unless \
                     it is deterministic or has a keys file), or was forged. Get a token from this \
                     mock, or point the API at the JWKS of the issuer that made it."
                ));
                failed(format!(
                    "{kid} is not in this tenant's JWKS, and never was."
                ))
            }
            Key::Missing => failed(
                "The header names no kid; validators pick the JWKS key by its kid, so they refuse the token.",
            ),
            Key::NotAString => failed("The header's kid is not a string."),
        }
    }

    fn signature(&mut self, decoded: &Decoded<'_>, key: &Key) -> Said {
        let (Some(header), Some(signature), None) =
            (&decoded.header, &decoded.signature, &decoded.problem)
        else {
            return not_run("The token does not decode, so there is no signature to check.");
        };
        let input = decoded.signing_input.as_bytes();
        let alg = header
            .get("alg")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if alg.eq_ignore_ascii_case("none") {
            return failed(if signature.is_empty() {
                "There is none: the signature segment is empty."
            } else {
                "Not checked: with alg none, a validator has no algorithm to check it with."
            });
        }
        if alg == "HS256" {
            if let Key::Shared { secret, owner } = key {
                return if hmac_sha256(secret, input) == *signature {
                    passed(format!("Verifies with the HS256 secret of {owner}."))
                } else {
                    failed(format!(
                        "Does not verify with the HS256 secret of {owner}: the token was altered \
                         or signed with another secret."
                    ))
                };
            }
            let confused = self
                .keys
                .iter()
                .find(|k| hmac_sha256(k.public_key_pem().as_bytes(), input) == *signature)
                .cloned();
            if let Some(k) = confused {
                self.hint(format!(
                    "This is the key-confusion attack: alg HS256 with this tenant's public key \
                     ({}) as the HMAC secret. A validator that takes the algorithm from the token \
                     accepts it; a hardened one accepts only {} for this key and refuses it.",
                    k.kid(),
                    k.alg()
                ));
                return failed(format!(
                    "An HMAC keyed with the public key {} (its PEM): anyone can make one.",
                    k.kid()
                ));
            }
            return failed("An HMAC with a secret this tenant does not know.");
        }
        match key {
            Key::Published(k) if k.alg().as_str() == alg => {
                if k.verify(alg, input, signature) {
                    passed(format!("Verifies with the published key {}.", k.kid()))
                } else if foreign_key(k.alg()).verify(alg, input, signature) {
                    self.hint(format!(
                        "The token was signed by a private key that is not this tenant's, under \
                         the kid of its published key {} (mock-idp's foreign test key: \
                         signed_by_foreign_key, or \"signing\": \"foreign_key\"). A validator must \
                         refuse it.",
                        k.kid()
                    ));
                    failed(format!(
                        "Does not verify with {}: another private key signed it under that kid.",
                        k.kid()
                    ))
                } else {
                    self.hint(format!(
                        "The signature does not match the token: it was altered after signing, or \
                         signed by another key that borrowed the kid {}. Use the token exactly as \
                         the mock issued it.",
                        k.kid()
                    ));
                    failed(format!(
                        "Does not verify with the published key {}.",
                        k.kid()
                    ))
                }
            }
            Key::Published(k) => not_run(format!(
                "Not checked: alg {alg} does not match the key {} ({}), so a validator refuses \
                 the token before verifying.",
                k.kid(),
                k.alg()
            )),
            Key::Missing | Key::NotAString => {
                let found = self.keys.iter().find(|k| k.verify(alg, input, signature));
                match found {
                    Some(k) => passed(format!(
                        "Verifies with the published key {} (found by trying each key, since the \
                         header names none).",
                        k.kid()
                    )),
                    None => failed("No published key verifies it."),
                }
            }
            Key::Retired(retired) => not_run(format!(
                "Not checked: {} is retired, so its public key is no longer published.",
                retired.kid
            )),
            Key::Unknown(kid) => {
                not_run(format!("Not checked: no published key has the kid {kid}."))
            }
            Key::NoHeader | Key::Shared { .. } => not_run("The header does not decode."),
        }
    }

    fn typ(&mut self, header: Option<&Map<String, Value>>) -> Said {
        let Some(header) = header else {
            return not_run("The header does not decode.");
        };
        match header.get("typ") {
            None => passed("No typ, which APIs accept."),
            Some(Value::String(typ)) => {
                let bare = typ
                    .get(..12)
                    .filter(|p| p.eq_ignore_ascii_case("application/"))
                    .map_or(typ.as_str(), |_| &typ[12..]);
                if bare.eq_ignore_ascii_case("jwt") || bare.eq_ignore_ascii_case("at+jwt") {
                    passed(format!("{typ}, a type APIs accept for access tokens."))
                } else {
                    failed(format!(
                        "{typ}: an API accepts only JWT or at+jwt (RFC 9068) as an access \
                         token's type."
                    ))
                }
            }
            Some(_) => failed("The header's typ is not a string."),
        }
    }

    fn iss(&mut self, claims: Option<&Map<String, Value>>) -> Said {
        let Some(claims) = claims else {
            return not_run("The claims do not decode.");
        };
        let expected = self.issuer.clone();
        let iss = match claims.get("iss") {
            None => return failed(format!("The token has no iss; the API expects {expected}.")),
            Some(Value::String(iss)) => iss.clone(),
            Some(_) => return failed("iss is not a string."),
        };
        if iss == expected {
            return passed(format!("{iss}, the expected issuer."));
        }
        let mock = self.idp.issuer().to_owned();
        if iss.trim_end_matches('/') == expected.trim_end_matches('/') {
            self.hint(format!(
                "The issuers differ only by the trailing slash: the token says {iss}, the API \
                 expects {expected}. Validators compare iss byte for byte, and Auth0 issuers end \
                 with a slash: configure the API with {iss} exactly."
            ));
        } else if iss == mock {
            self.hint(format!(
                "This mock issues {iss}, but the API expects {expected}: point the API's issuer \
                 at {iss} (scheme, host, port and trailing slash must all match; localhost and \
                 127.0.0.1 are different issuers)."
            ));
        } else {
            self.hint(format!(
                "The token was issued by {iss}, not by this mock ({mock}). Get the token from this \
                 mock, or point the API at the issuer that made it."
            ));
        }
        failed(format!("{iss}, not the expected {expected}."))
    }

    fn aud(&mut self, claims: Option<&Map<String, Value>>) -> Said {
        let Some(claims) = claims else {
            return not_run("The claims do not decode.");
        };
        let auds = match audiences(Some(claims)) {
            Some(auds) if !auds.is_empty() => auds,
            Some(_) => return failed("aud is an empty array."),
            None if claims.contains_key("aud") => {
                return failed("aud is neither a string nor an array of strings.");
            }
            None => {
                self.audience_hint(&[], self.expected.audience.clone().as_deref());
                return failed("The token has no aud.");
            }
        };
        let shown = show_list(&auds);
        match self.expected.audience.clone() {
            Some(want) if auds.contains(&want) => passed(if auds.len() == 1 {
                format!("{want}, the expected audience.")
            } else {
                format!("{shown}, which includes the expected {want}.")
            }),
            Some(want) => {
                self.audience_hint(&auds, Some(&want));
                failed(format!("{shown}, not the expected {want}."))
            }
            None => {
                let api = auds.iter().find(|a| self.tenant.api(a).is_some());
                if let Some(api) = api {
                    passed(format!(
                        "{api}, an API of this tenant (no audience was given to check it against)."
                    ))
                } else {
                    self.audience_hint(&auds, None);
                    failed(format!("{shown} names no API of this tenant."))
                }
            }
        }
    }

    fn audience_hint(&mut self, auds: &[String], want: Option<&str>) {
        let ask = want
            .map(str::to_owned)
            .or_else(|| self.audience_to_ask_for());
        let ask_for = ask
            .as_deref()
            .map(|a| {
                format!(
                    "ask for audience {a} (authorizationParams.audience in the Auth0 SDKs, \
                     audience in the token request)"
                )
            })
            .unwrap_or_else(|| "ask for the API's audience".into());
        let userinfo = self.idp.userinfo_audience();
        if let Some(client) = auds.iter().find(|a| self.tenant.client(a).is_some()) {
            self.hint(format!(
                "This is an ID token: its aud is the client id {client}. ID tokens tell the \
                 application who logged in; APIs take access tokens. Send the access token instead \
                 (getAccessTokenSilently() in the Auth0 SDKs, access_token in the token response); \
                 to get one for the API, {ask_for}."
            ));
        } else if !auds.is_empty() && auds.iter().all(|a| *a == userinfo) {
            self.hint(format!(
                "This access token was requested without an audience: its only audience is \
                 {userinfo}, for /userinfo (Auth0 would have issued an opaque token). To call the \
                 API, {ask_for}."
            ));
        } else if let Some(other) = auds
            .iter()
            .find(|a| self.tenant.api(a).is_some() && Some(a.as_str()) != want)
        {
            self.hint(format!(
                "This token is for the API {other}, not for {}: {ask_for}.",
                want.unwrap_or("this one")
            ));
        } else if auds.is_empty() {
            self.hint(format!("The token names no audience: {ask_for}."));
        } else {
            self.hint(format!(
                "The token's audience ({}) is not an API of this tenant: {ask_for}.",
                show_list(auds)
            ));
        }
        if let Some(want) = want.filter(|w| self.tenant.api(w).is_none()) {
            let apis: Vec<String> = self
                .tenant
                .apis
                .iter()
                .map(|a| a.identifier.clone())
                .collect();
            self.hint(format!(
                "No API of this tenant has the identifier {want} (its APIs: {}): check the \
                 audience the API is configured with.",
                if apis.is_empty() {
                    "none".into()
                } else {
                    show_list(&apis)
                }
            ));
        }
    }

    fn exp(&mut self, claims: Option<&Map<String, Value>>) -> Said {
        let Some(claims) = claims else {
            return not_run("The claims do not decode.");
        };
        let exp = match numeric_date(claims, "exp") {
            Ok(Some(exp)) => exp,
            Ok(None) => return failed("The token has no exp; validators require one."),
            Err(why) => return failed(format!("exp is {why}.")),
        };
        let (now, leeway) = (self.now, self.leeway);
        let at = timestamp(exp);
        if exp < now.saturating_sub(leeway as i64) {
            let ago = duration(now.abs_diff(exp));
            self.hint(format!(
                "The token expired {ago} ago by the mock's clock (exp {at}, now {}). Get a new one \
                 (refresh it, or log in again). If the test moved the mock's clock, tokens issued \
                 before the move expire with it.",
                timestamp(now)
            ));
            failed(format!(
                "Expired {ago} ago by the mock's clock (at {at}; leeway {leeway} s)."
            ))
        } else if exp < now {
            passed(format!(
                "Expired {} ago, within the {leeway} s leeway (at {at}).",
                duration(now.abs_diff(exp))
            ))
        } else {
            passed(format!(
                "Expires in {} by the mock's clock (at {at}).",
                duration(exp.abs_diff(now))
            ))
        }
    }

    fn nbf(&mut self, claims: Option<&Map<String, Value>>) -> Said {
        let Some(claims) = claims else {
            return not_run("The claims do not decode.");
        };
        let (now, leeway) = (self.now, self.leeway);
        let limit = now.saturating_add(leeway as i64);
        let nbf = match numeric_date(claims, "nbf") {
            Ok(nbf) => nbf,
            Err(why) => return failed(format!("nbf is {why}.")),
        };
        let iat = match numeric_date(claims, "iat") {
            Ok(iat) => iat,
            Err(why) => return failed(format!("iat is {why}.")),
        };
        if let Some(nbf) = nbf.filter(|nbf| *nbf > limit) {
            let wait = duration(nbf.abs_diff(now));
            self.hint(format!(
                "The token is not valid for another {wait} by the mock's clock (nbf {}, now {}). \
                 Use it after that, or mint it without nbf; if the mock's clock was set back, \
                 set it forward.",
                timestamp(nbf),
                timestamp(now)
            ));
            return failed(format!(
                "Not valid for another {wait} by the mock's clock (from {}; leeway {leeway} s).",
                timestamp(nbf)
            ));
        }
        if let Some(iat) = iat.filter(|iat| *iat > limit) {
            let ahead = duration(iat.abs_diff(now));
            self.hint(format!(
                "The token says it was issued {ahead} from now by the mock's clock (iat {}): it \
                 was issued under a clock that is ahead of this one (was the mock's clock set \
                 back?). Get a new token.",
                timestamp(iat)
            ));
            return failed(format!(
                "Issued {ahead} in the future by the mock's clock (iat {}); validators refuse it.",
                timestamp(iat)
            ));
        }
        match nbf {
            Some(nbf) => passed(format!("Valid since {}.", timestamp(nbf))),
            None => passed("No nbf: valid from the start."),
        }
    }

    fn scope(&mut self, claims: Option<&Map<String, Value>>) -> Said {
        let Some(claims) = claims else {
            return not_run("The claims do not decode.");
        };
        let scope = claims
            .get("scope")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let permissions: Vec<String> = claims
            .get("permissions")
            .and_then(Value::as_array)
            .map(|p| {
                p.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let granted =
            |s: &str| scope.split(' ').any(|g| g == s) || permissions.iter().any(|p| p == s);
        let has = format!(
            "scope \"{scope}\", permissions [{}]",
            permissions.join(", ")
        );
        let missing: Vec<String> = self
            .expected
            .scopes
            .iter()
            .filter(|s| !granted(s))
            .cloned()
            .collect();
        if self.expected.scopes.is_empty() {
            return passed(format!("None required; the token grants {has}."));
        }
        if missing.is_empty() {
            return passed(format!(
                "Grants {} ({has}).",
                self.expected.scopes.join(", ")
            ));
        }
        for s in &missing {
            let hint = self.scope_hint(s, claims);
            self.hint(hint);
        }
        failed(format!("Lacks {} ({has}).", missing.join(", ")))
    }

    /// Which grant would give `scope`: the client's grant for a client-credentials token, the
    /// user's permissions (or a role) for a user's token.
    fn scope_hint(&self, scope: &str, claims: &Map<String, Value>) -> String {
        let tenant = &self.tenant;
        let auds = audiences(Some(claims)).unwrap_or_default();
        let defining: Vec<_> = tenant
            .apis
            .iter()
            .filter(|a| a.permissions.iter().any(|p| p == scope))
            .collect();
        let Some(api) = defining
            .iter()
            .find(|a| auds.contains(&a.identifier))
            .or(defining.first())
        else {
            return format!(
                "No API of this tenant defines the permission {scope}: add it to the API's \
                 permissions, then grant it to the user or client that needs it."
            );
        };
        let api_id = &api.identifier;
        let sub = claims
            .get("sub")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let machine = claims.get("gty").and_then(Value::as_str) == Some("client-credentials")
            || sub.ends_with("@clients");
        if machine {
            let client_id = claims
                .get("azp")
                .and_then(Value::as_str)
                .unwrap_or_else(|| sub.trim_end_matches("@clients"));
            return match tenant.client(client_id) {
                Some(client)
                    if client
                        .grants
                        .iter()
                        .any(|g| g.audience == *api_id && g.scopes.iter().any(|s| s == scope)) =>
                {
                    format!(
                        "The client {client_id} is granted {scope} on {api_id}: ask for it in the \
                         client-credentials request (scope={scope}, audience={api_id})."
                    )
                }
                Some(_) => format!(
                    "The client {client_id}'s grant for {api_id} does not include {scope}: add it \
                     (grants = [{{ audience = \"{api_id}\", scopes = [\"{scope}\"] }}])."
                ),
                None => format!(
                    "The token was issued to the client {client_id}, which this tenant does not \
                     have; a client granted {scope} on {api_id} can get it with client credentials."
                ),
            };
        }
        let holders: Vec<String> = tenant
            .users
            .iter()
            .filter(|u| tenant.permissions_for(u, api).iter().any(|p| p == scope))
            .map(|u| u.email.clone())
            .collect();
        let roles: Vec<String> = tenant
            .roles
            .iter()
            .filter(|r| {
                r.permissions
                    .iter()
                    .any(|p| p.permission_name == *scope && p.applies_to(&api.identifier))
            })
            .map(|r| r.name.clone())
            .collect();
        let ask = format!(
            "ask for scope {scope} with audience {api_id} when logging in \
             (authorizationParams.scope) or in the token request"
        );
        match tenant.user_by_sub(sub) {
            Some(user) if !api.rbac || holders.contains(&user.email) => {
                format!("{} may have {scope} on {api_id}: {ask}.", user.email)
            }
            Some(user) => format!(
                "{} does not hold {scope} on {api_id}, and with RBAC the token carries only what \
                 the user holds: give them the permission{}, or log in as a user who holds it{}.",
                user.email,
                if roles.is_empty() {
                    String::new()
                } else {
                    format!(" or a role that has it ({})", roles.join(", "))
                },
                if holders.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", holders.join(", "))
                }
            ),
            None => format!(
                "The token's subject {sub} is not a user of this tenant; {}",
                if holders.is_empty() {
                    format!("no user holds {scope} on {api_id} yet.")
                } else {
                    format!(
                        "log in as a user who holds {scope} ({}) and {ask}.",
                        holders.join(", ")
                    )
                }
            ),
        }
    }
}

/// `aud` as a list: a string, or an array of strings; `None` when absent or another type.
fn audiences(claims: Option<&Map<String, Value>>) -> Option<Vec<String>> {
    match claims?.get("aud")? {
        Value::String(aud) => Some(vec![aud.clone()]),
        Value::Array(auds) => auds.iter().map(|a| a.as_str().map(str::to_owned)).collect(),
        _ => None,
    }
}

/// A NumericDate claim as `jsonwebtoken` and `sample-api` read it: a non-negative integer below
/// 2^53. `Ok(None)` when absent; `Err` says what it is instead.
fn numeric_date(claims: &Map<String, Value>, name: &str) -> Result<Option<i64>, &'static str> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => match n.as_i64() {
            Some(v) if (0..MAX_TIMESTAMP).contains(&v) => Ok(Some(v)),
            Some(v) if v < 0 => Err("negative"),
            Some(_) => Err("beyond 2^53, which JavaScript cannot hold exactly"),
            None if n.is_u64() => Err("beyond 2^53, which JavaScript cannot hold exactly"),
            None => Err("not a whole number of seconds"),
        },
        Some(Value::String(_)) => Err("a string, not a number (validators refuse it)"),
        Some(_) => Err("not a number"),
    }
}

fn show_list(items: &[String]) -> String {
    match items {
        [one] => one.clone(),
        many => format!("[{}]", many.join(", ")),
    }
}
