//! Minted tokens are what they claim to be: good ones verify, bad ones fail for the reason
//! they were built to fail. Checked with jsonwebtoken against the served JWKS.

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, jwk::JwkSet};
use mock_idp::MockIdp;
use serde_json::{Value, json};

use crate::helpers::{claims, client, header};

async fn jwks(idp: &MockIdp) -> JwkSet {
    client()
        .get(
            idp.jwks_uri()
                .replace(idp.issuer().trim_end_matches('/'), &idp.uri()),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn validate(idp: &MockIdp, set: &JwkSet, token: &str) -> Result<Value, String> {
    let h = jsonwebtoken::decode_header(token).map_err(|e| e.to_string())?;
    let kid = h.kid.ok_or("no kid")?;
    let jwk = set.find(&kid).ok_or("unknown kid")?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[idp.issuer()]);
    validation.set_audience(&["https://sample-api"]);
    validation.leeway = 0;
    validation.validate_nbf = true;
    decode::<Value>(token, &key, &validation)
        .map(|d| d.claims)
        .map_err(|e| e.to_string())
}

#[tokio::test]
async fn a_default_minted_token_verifies_and_each_bad_variant_fails() {
    // Arrange
    let idp = MockIdp::start().await;
    let set = jwks(&idp).await;

    // Act / Assert
    let good = validate(&idp, &set, &idp.token().scope("read:messages").sign()).unwrap();
    assert_eq!(good["sub"], "auth0|alice");
    assert_eq!(good["scope"], "read:messages");
    for (name, token) in [
        ("expired", idp.token().expired().sign()),
        (
            "not yet valid",
            idp.token().not_before_in(Duration::from_secs(600)).sign(),
        ),
        (
            "other audience",
            idp.token().audience("https://other").sign(),
        ),
        (
            "other issuer",
            idp.token().issuer("https://evil.test/").sign(),
        ),
        ("foreign key", idp.token().signed_by_foreign_key().sign()),
        ("unknown kid", idp.token().unknown_kid().sign()),
        ("alg none", idp.token().alg_none().sign()),
        (
            "hs256 with the public key",
            idp.token().hs256_with_public_key().sign(),
        ),
        ("no exp", idp.token().without_claim("exp").sign()),
        (
            "string exp",
            idp.token().claim("exp", json!("99999999999")).sign(),
        ),
    ] {
        assert!(
            validate(&idp, &set, &token).is_err(),
            "{name} must not verify"
        );
    }
}

#[tokio::test]
async fn attack_tokens_keep_the_real_kid_so_only_the_signature_betrays_them() {
    let idp = MockIdp::start().await;
    for token in [
        idp.token().signed_by_foreign_key().sign(),
        idp.token().hs256_with_public_key().sign(),
        idp.token().alg_none().sign(),
    ] {
        assert_eq!(header(&token)["kid"], idp.active_kid());
    }
    assert_eq!(
        header(&idp.token().hs256_with_public_key().sign())["alg"],
        "HS256"
    );
    assert_eq!(header(&idp.token().alg_none().sign())["alg"], "none");
}

#[tokio::test]
async fn the_hs256_confusion_token_really_is_keyed_with_the_public_pem() {
    // A vulnerable verifier that trusts the header's alg and uses the published key's PEM as
    // an HMAC secret accepts it: that is the attack this token exists to exercise.
    use base64::Engine;
    use rsa::pkcs8::{EncodePublicKey, LineEnding};
    let idp = MockIdp::start().await;
    let token = idp.token().hs256_with_public_key().sign();
    let set = jwks(&idp).await;
    let jwk = serde_json::to_value(&set.keys[0]).unwrap();
    let b64 = |v: &Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(v.as_str().unwrap())
            .unwrap()
    };
    let public = rsa::RsaPublicKey::new(
        rsa::BigUint::from_bytes_be(&b64(&jwk["n"])),
        rsa::BigUint::from_bytes_be(&b64(&jwk["e"])),
    )
    .unwrap();
    let pem = public.to_public_key_pem(LineEnding::LF).unwrap();
    let mut naive = Validation::new(Algorithm::HS256);
    naive.set_audience(&["https://sample-api"]);
    let accepted = decode::<Value>(
        &token,
        &DecodingKey::from_secret(pem.as_bytes()).unwrap(),
        &naive,
    );
    assert!(accepted.is_ok(), "{accepted:?}");
}

#[tokio::test]
async fn minted_tokens_follow_the_mock_clock() {
    let idp = MockIdp::start().await;
    idp.clock().advance(Duration::from_secs(7 * 24 * 3600));
    let c = claims(&idp.token().sign());
    assert!(c["iat"].as_i64().unwrap() >= idp.clock().now() - 1);
}

#[tokio::test]
async fn an_id_token_carries_the_client_and_profile() {
    let idp = MockIdp::start().await;
    let c = claims(&idp.token().id_token().nonce("n-1").sign());
    assert_eq!(c["aud"], "sample-spa");
    assert_eq!(c["nonce"], "n-1");
    assert_eq!(c["email"], "alice@example.com");
    assert!(c.get("scope").is_none());
}

#[tokio::test]
async fn tokens_signed_before_a_rotation_still_verify_until_the_key_is_retired() {
    let idp = MockIdp::start().await;
    let old = idp.token().sign();
    idp.rotate_keys();
    let new = idp.token().sign();
    assert_ne!(header(&old)["kid"], header(&new)["kid"]);
    let set = jwks(&idp).await;
    assert!(validate(&idp, &set, &old).is_ok());
    assert!(validate(&idp, &set, &new).is_ok());
    idp.retire_keys();
    let set = jwks(&idp).await;
    assert!(validate(&idp, &set, &old).is_err());
}
