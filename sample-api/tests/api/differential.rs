//! The validator against a reference: `jsonwebtoken::decode` (version 12, the crate the API
//! used to delegate to), configured as the API is, plus the API's own additions (timestamps
//! below 2^53, `iat` not in the future). For every generated token whose protected header the
//! API accepts, both must accept it with the same claims, or reject it for the same reason.
//!
//! Claims are generated as raw JSON text so that wrong types, `null`s, floats, escapes and
//! duplicate names all occur; signatures are good, tampered, or by another key.

use std::{
    cell::Cell,
    sync::{Arc, LazyLock},
};

use jsonwebtoken::{Algorithm, DecodingKey, Validation, errors::ErrorKind};
use proptest::prelude::*;
use sample_api::auth::{
    AuthError, AuthSettings, Claims, InvalidToken, JwksCache, JwksSettings, KeySource, SystemClock,
    Validator,
};

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};

use crate::helpers::{AUDIENCE, FakeIdp, TestKey, now, sign_raw};

const LEEWAY: u64 = 5;
const MAX_TIMESTAMP: u64 = 1 << 53;

/// `K1`'s public key, parsed once for every case.
static K1_DECODING_KEY: LazyLock<DecodingKey> =
    LazyLock::new(|| DecodingKey::from_rsa_pem(TestKey::K1.public_pem().as_bytes()).unwrap());

/// What the API did before it verified tokens itself.
fn reference(token: &str, issuer: &str) -> Result<Claims, InvalidToken> {
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[AUDIENCE]);
    validation.validate_nbf = true;
    validation.leeway = LEEWAY;
    let claims = jsonwebtoken::decode::<Claims>(token, &K1_DECODING_KEY, &validation)
        .map_err(|e| match e.kind() {
            ErrorKind::InvalidSignature => InvalidToken::BadSignature,
            ErrorKind::ExpiredSignature => InvalidToken::Expired,
            ErrorKind::ImmatureSignature => InvalidToken::NotYetValid,
            ErrorKind::InvalidIssuer => InvalidToken::WrongIssuer,
            ErrorKind::InvalidAudience => InvalidToken::WrongAudience,
            ErrorKind::MissingRequiredClaim(_)
            | ErrorKind::InvalidClaimFormat(_)
            | ErrorKind::Json(_) => InvalidToken::BadClaims,
            other => panic!("unexpected jsonwebtoken error {other:?} for {token}"),
        })?
        .claims;
    if claims.exp >= MAX_TIMESTAMP
        || claims.nbf.is_some_and(|nbf| nbf >= MAX_TIMESTAMP)
        || claims.iat.is_some_and(|iat| iat >= MAX_TIMESTAMP)
    {
        return Err(InvalidToken::BadClaims);
    }
    if claims.iat.is_some_and(|iat| iat > now() + LEEWAY) {
        return Err(InvalidToken::NotYetValid);
    }
    Ok(claims)
}

/// A claim value as JSON text, given the current time.
type Value = fn(u64, &str) -> String;

/// Mostly (4 in 5) a value the API accepts, so that valid tokens and tokens with exactly one
/// fault are both common.
fn claim(
    good: Vec<Option<Value>>,
    bad: Vec<Option<Value>>,
) -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        4 => prop::sample::select(good),
        1 => prop::sample::select(bad),
    ]
}

fn claims_text() -> impl Strategy<Value = Vec<(&'static str, Option<Value>)>> {
    let iss = claim(
        vec![
            Some(|_, iss| format!("{iss:?}")),
            Some(|_, iss| format!("{iss:?}").replace('/', "\\/")),
        ],
        vec![
            None,
            Some(|_, iss| format!("{:?}", iss.trim_end_matches('/'))),
            Some(|_, _| r#""https://attacker.example/""#.into()),
            Some(|_, iss| format!("[{iss:?}]")),
            Some(|_, _| "5".into()),
            Some(|_, _| "null".into()),
        ],
    );
    let sub = claim(
        vec![
            Some(|_, _| r#""auth0|u1""#.into()),
            Some(|_, _| r#""""#.into()),
        ],
        vec![None, Some(|_, _| "7".into()), Some(|_, _| "null".into())],
    );
    let aud = claim(
        vec![
            Some(|_, _| r#""https://sample-api""#.into()),
            Some(|_, _| r#"["https://sample-api","https://t.example/userinfo"]"#.into()),
            Some(|_, _| r#"["https://t.example/userinfo","https://sample-api"]"#.into()),
        ],
        vec![
            None,
            Some(|_, _| r#""https://sample-api/""#.into()),
            Some(|_, _| r#"["https://other-api"]"#.into()),
            Some(|_, _| "[]".into()),
            Some(|_, _| "[1]".into()),
            Some(|_, _| "1".into()),
            Some(|_, _| "null".into()),
        ],
    );
    let exp = claim(
        vec![
            Some(|now, _| (now + 600).to_string()),
            Some(|now, _| (now - 2).to_string()),
        ],
        vec![
            None,
            Some(|now, _| (now - 600).to_string()),
            Some(|now, _| (now - 9).to_string()),
            Some(|now, _| format!("\"{}\"", now + 600)),
            Some(|now, _| format!("{}.0", now + 600)),
            Some(|now, _| format!("{}.5", now + 600)),
            Some(|_, _| "-1".into()),
            Some(|_, _| "9007199254740993".into()),
            Some(|_, _| "18446744073709551615".into()),
            Some(|_, _| "1e12".into()),
            Some(|_, _| "null".into()),
        ],
    );
    let nbf = claim(
        vec![
            None,
            Some(|now, _| now.to_string()),
            Some(|now, _| (now + 2).to_string()),
        ],
        vec![
            Some(|now, _| (now + 9).to_string()),
            Some(|now, _| format!("\"{now}\"")),
            Some(|now, _| format!("{now}.5")),
            Some(|_, _| "9007199254740993".into()),
            Some(|_, _| "null".into()),
        ],
    );
    let iat = claim(
        vec![
            None,
            Some(|now, _| now.to_string()),
            Some(|now, _| (now + 2).to_string()),
        ],
        vec![
            Some(|now, _| (now + 9).to_string()),
            Some(|now, _| format!("\"{now}\"")),
            Some(|_, _| "9007199254740993".into()),
        ],
    );
    let scope = claim(
        vec![None, Some(|_, _| r#""read:messages openid""#.into())],
        vec![
            Some(|_, _| r#"["read:messages"]"#.into()),
            Some(|_, _| "5".into()),
        ],
    );
    let permissions = claim(
        vec![
            None,
            Some(|_, _| r#"["read:messages"]"#.into()),
            Some(|_, _| "[]".into()),
        ],
        vec![
            Some(|_, _| r#""read:messages""#.into()),
            Some(|_, _| "[1]".into()),
        ],
    );
    let custom = prop::sample::select(vec![
        None,
        Some((|_, _| r#"{"nested":[1,2.5,null,"\u00e9"]}"#.into()) as Value),
        Some(|_, _| r#""\ud83d\ude00""#.into()),
    ]);
    let second_sub = claim(vec![None], vec![Some(|_, _| r#""auth0|mallory""#.into())]);
    (
        (iss, sub, aud, exp, nbf),
        (iat, scope, permissions, custom, second_sub),
    )
        .prop_map(
            |((iss, sub, aud, exp, nbf), (iat, scope, permissions, custom, second_sub))| {
                vec![
                    ("iss", iss),
                    ("sub", sub),
                    ("aud", aud),
                    ("exp", exp),
                    ("nbf", nbf),
                    ("iat", iat),
                    ("scope", scope),
                    ("permissions", permissions),
                    ("https://example.com/custom", custom),
                    ("sub", second_sub),
                ]
            },
        )
        .prop_shuffle()
}

#[derive(Debug, Clone, Copy)]
enum Signature {
    Good,
    Tampered,
    ByOtherKey(TestKey),
}

fn header_text() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        r#"{"alg":"RS256","typ":"JWT","kid":"k1"}"#,
        r#"{"kid":"k1","alg":"RS256"}"#,
        r#"{"alg":"RS256","typ":"at+jwt","kid":"k1","x5u":"https://attacker.example/k"}"#,
    ])
}

fn signature() -> impl Strategy<Value = Signature> {
    prop_oneof![
        6 => Just(Signature::Good),
        1 => Just(Signature::Tampered),
        1 => Just(Signature::ByOtherKey(TestKey::K2)),
        1 => Just(Signature::ByOtherKey(TestKey::Attacker)),
    ]
}

fn token(
    header: &str,
    claims: &[(&str, Option<Value>)],
    signature: Signature,
    iss: &str,
) -> String {
    let now = now();
    let members: Vec<String> = claims
        .iter()
        .filter_map(|(name, value)| value.map(|value| format!("{name:?}:{}", value(now, iss))))
        .collect();
    let payload = format!("{{{}}}", members.join(","));
    let key = match signature {
        Signature::ByOtherKey(key) => key,
        _ => TestKey::K1,
    };
    let token = sign_raw(header, &payload, key, Algorithm::RS256);
    if let Signature::Tampered = signature {
        let (message, sig) = token.rsplit_once('.').unwrap();
        let mut sig = sig.as_bytes().to_vec();
        sig[10] = if sig[10] == b'A' { b'B' } else { b'A' };
        return format!("{message}.{}", String::from_utf8(sig).unwrap());
    }
    token
}

#[test]
fn accepts_and_rejects_exactly_what_jsonwebtoken_does() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let idp = runtime.block_on(FakeIdp::start());
    let jwks = JwksCache::with_clock(
        KeySource::Discovery {
            issuer: idp.issuer.clone(),
        },
        JwksSettings::default(),
        Arc::new(SystemClock),
    );
    let validator = Validator::new(AuthSettings::new(&idp.issuer, AUDIENCE), jwks);
    let (accepted, rejected) = (Cell::new(0), Cell::new(0));

    proptest!(ProptestConfig::with_cases(1024), |(
        header in header_text(),
        claims in claims_text(),
        signature in signature(),
    )| {
        let token = token(header, &claims, signature, &idp.issuer);

        let ours = runtime.block_on(validator.validate(&token)).map_err(|e| match e {
            AuthError::InvalidToken(reason) => reason,
            other => panic!("{other:?} is not a token verdict"),
        });
        let theirs = reference(&token, &idp.issuer);

        let verdicts = if ours.is_ok() { &accepted } else { &rejected };
        verdicts.set(verdicts.get() + 1);
        prop_assert_eq!(&ours, &theirs, "payload {}", payload_of(&token));
    });
    // The generator must reach both verdicts often, or the comparison proves little.
    assert!(accepted.get() >= 20, "only {} valid tokens", accepted.get());
    assert!(
        rejected.get() >= 200,
        "only {} rejected tokens",
        rejected.get()
    );
}

fn payload_of(token: &str) -> String {
    let payload = token.split('.').nth(1).unwrap_or_default();
    String::from_utf8_lossy(&URL_SAFE_NO_PAD.decode(payload).unwrap_or_default()).into_owned()
}
