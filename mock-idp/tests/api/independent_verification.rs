//! Tokens verify with libraries that share no code with the mock's signer (aws-lc): RustCrypto's
//! `rsa` for the raw RS256 signature, and jsonwebtoken for the whole JWT against the JWKS
//! served over HTTP.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, jwk::JwkSet};
use mock_idp::MockIdp;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier;
use serde_json::Value;
use sha2::Sha256;

use crate::helpers::{client, client_credentials, password_grant};

fn rustcrypto_verifies(token: &str, jwks: &Value) -> bool {
    let (signing_input, signature) = token.rsplit_once('.').unwrap();
    let kid = crate::helpers::header(token)["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .expect("the kid is published");
    let b64 = |v: &Value| URL_SAFE_NO_PAD.decode(v.as_str().unwrap()).unwrap();
    let public = rsa::RsaPublicKey::new(
        rsa::BigUint::from_bytes_be(&b64(&jwk["n"])),
        rsa::BigUint::from_bytes_be(&b64(&jwk["e"])),
    )
    .unwrap();
    let key = VerifyingKey::<Sha256>::new(public);
    let Ok(signature) = Signature::try_from(URL_SAFE_NO_PAD.decode(signature).unwrap().as_slice())
    else {
        return false;
    };
    key.verify(signing_input.as_bytes(), &signature).is_ok()
}

#[tokio::test]
async fn issued_tokens_verify_with_rustcrypto_rsa_and_with_jsonwebtoken() {
    // Arrange
    let idp = MockIdp::start().await;
    let jwks: Value = client()
        .get(idp.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let set: JwkSet = serde_json::from_value(jwks.clone()).unwrap();
    let m2m = client_credentials(&idp).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let user = password_grant(&idp, "alice@example.com", "openid profile read:messages").await;
    let minted = idp.token().sign();

    // Act / Assert
    for token in [&m2m, user["access_token"].as_str().unwrap(), &minted] {
        assert!(rustcrypto_verifies(token, &jwks));
        let kid = jsonwebtoken::decode_header(token).unwrap().kid.unwrap();
        let key = DecodingKey::from_jwk(set.find(&kid).unwrap()).unwrap();
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[idp.issuer()]);
        validation.set_audience(&["https://sample-api"]);
        decode::<Value>(token, &key, &validation).unwrap();
    }
    let id_token = user["id_token"].as_str().unwrap();
    assert!(rustcrypto_verifies(id_token, &jwks));
}

#[tokio::test]
async fn a_tampered_token_fails_the_independent_check() {
    let idp = MockIdp::start().await;
    let jwks = idp.jwks();
    let token = idp.token().sign();
    let (h, rest) = token.split_once('.').unwrap();
    let (_, s) = rest.split_once('.').unwrap();
    let forged_payload = URL_SAFE_NO_PAD.encode(br#"{"sub":"auth0|admin"}"#);
    assert!(!rustcrypto_verifies(
        &format!("{h}.{forged_payload}.{s}"),
        &jwks
    ));
    assert!(!rustcrypto_verifies(
        &idp.token().signed_by_foreign_key().sign(),
        &jwks
    ));
}

#[tokio::test]
async fn raw_signed_tokens_keep_their_bytes_and_verify() {
    let idp = MockIdp::start().await;
    let header = format!(r#"{{"alg":"RS256","kid":"{}"}}"#, idp.active_kid());
    let payload = r#"{"sub":"auth0|alice","sub":"auth0|admin"}"#;
    let token = idp.sign_raw(&header, payload);
    let middle = token.split('.').nth(1).unwrap();
    assert_eq!(URL_SAFE_NO_PAD.decode(middle).unwrap(), payload.as_bytes());
    assert!(rustcrypto_verifies(&token, &idp.jwks()));
}
