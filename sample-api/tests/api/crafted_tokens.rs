//! Catalog 1B/1C/1D rows that need byte-level control over the token (duplicate JSON keys,
//! floats, raw segments): signed here with the fixed test key `K1`, which the wiremock IdP
//! publishes as `kid: "k1"`.

use jsonwebtoken::Algorithm;
use serde_json::json;

use crate::helpers::{
    TestKey, assert_invalid_token, b64, k1_header, now, sign, sign_hs256, sign_raw,
    spawn_with_fake_idp,
};

#[tokio::test]
async fn accepts_the_baseline_token() {
    let (idp, api) = spawn_with_fake_idp().await;
    let response = api
        .get_with_token("/api/private-scoped", &idp.token())
        .await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn rejects_tokens_that_are_not_three_segments() {
    // Arrange
    let (idp, api) = spawn_with_fake_idp().await;
    let t0 = idp.token();
    let [h, p, s]: [&str; 3] = t0.split('.').collect::<Vec<_>>().try_into().unwrap();
    let cases = [
        "abc".to_owned(),
        format!("{h}.{p}"),
        format!("{h}.{p}.{s}.{s}"),
        format!("{h}.{p}.{s}.{s}.{s}"),
        format!("{h}.{p}."),
        format!("{h}.{p}.{s}="),
        format!("{h}==.{p}.{s}"),
    ];

    for token in cases {
        // Act
        let response = api.get_with_token("/api/private", &token).await;
        // Assert
        assert_invalid_token(response, "malformed token").await;
    }
}

#[tokio::test]
async fn rejects_headers_that_are_not_json_objects() {
    let (idp, api) = spawn_with_fake_idp().await;
    let payload = b64(idp.claims().to_string());
    for header in [
        &b"not json"[..],
        b"[]",
        b"\"RS256\"",
        b"\xef\xbb\xbf{\"alg\":\"RS256\",\"kid\":\"k1\"}",
        b"\xff\xfe",
    ] {
        let token = format!("{}.{payload}.c2ln", b64(header));
        api.assert_rejects(&token, "malformed token").await;
    }
}

#[tokio::test]
async fn rejects_payloads_that_are_not_json_objects() {
    let (_idp, api) = spawn_with_fake_idp().await;
    for payload in ["[]", "\"x\"", "null", "{"] {
        let token = sign_raw(
            &k1_header().to_string(),
            payload,
            TestKey::K1,
            Algorithm::RS256,
        );
        api.assert_rejects(&token, "missing or invalid claims")
            .await;
    }
}

#[tokio::test]
async fn rejects_a_spliced_signature_and_a_flipped_payload_bit() {
    // Arrange
    let (idp, api) = spawn_with_fake_idp().await;
    let t0 = idp.token();
    let other = idp.token_with(json!({"sub": "auth0|admin"}));
    let (t0_message, _) = t0.rsplit_once('.').unwrap();
    let (_, other_signature) = other.rsplit_once('.').unwrap();
    let spliced = format!("{t0_message}.{other_signature}");
    let mut claims = idp.claims().to_string().into_bytes();
    claims[5] ^= 1;
    let header = t0.split('.').next().unwrap();
    let flipped = format!(
        "{header}.{}.{}",
        b64(&claims),
        t0.rsplit('.').next().unwrap()
    );
    let reserialised = format!(
        "{header}.{}.{}",
        b64(serde_json::to_string_pretty(&idp.claims()).unwrap()),
        t0.rsplit('.').next().unwrap()
    );

    for token in [spliced, flipped, reserialised] {
        // Act
        let response = api.get_with_token("/api/private", &token).await;
        // Assert
        assert_eq!(response.status(), 401);
    }
}

#[tokio::test]
async fn rejects_a_duplicated_subject_claim() {
    let (idp, api) = spawn_with_fake_idp().await;
    let payload = format!(
        r#"{{"iss":"{}","aud":"https://sample-api","sub":"auth0|u1","sub":"auth0|admin","exp":{}}}"#,
        idp.issuer,
        now() + 600
    );
    let token = sign_raw(
        &k1_header().to_string(),
        &payload,
        TestKey::K1,
        Algorithm::RS256,
    );
    api.assert_rejects(&token, "missing or invalid claims")
        .await;
}

#[tokio::test]
async fn rejects_a_duplicated_alg_header_whatever_comes_last() {
    let (idp, api) = spawn_with_fake_idp().await;
    for header in [
        r#"{"alg":"RS256","alg":"none","kid":"k1"}"#,
        r#"{"alg":"none","alg":"RS256","kid":"k1"}"#,
    ] {
        let token = sign_raw(
            header,
            &idp.claims().to_string(),
            TestKey::K1,
            Algorithm::RS256,
        );
        assert_eq!(api.status("/api/private", &token).await, 401, "{header}");
    }
}

#[tokio::test]
async fn survives_a_deeply_nested_claim() {
    // B14: a 5000-deep claim is over the size cap; a 1000-deep one is signed by the IdP
    // and is skipped without recursion (unknown claims are not parsed into values).
    let (idp, api) = spawn_with_fake_idp().await;
    let mut claims = idp.claims().to_string();
    claims.pop();
    let deep = |depth| {
        format!(
            r#"{claims},"deep":{}{}}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        )
    };
    let too_big = sign_raw(
        &k1_header().to_string(),
        &deep(5000),
        TestKey::K1,
        Algorithm::RS256,
    );
    let nested = sign_raw(
        &k1_header().to_string(),
        &deep(1000),
        TestKey::K1,
        Algorithm::RS256,
    );

    api.assert_rejects(&too_big, "token too large").await;
    let status = api
        .get_with_token("/api/private", &nested)
        .await
        .status()
        .as_u16();
    assert!(matches!(status, 200 | 401), "{status}");
    assert_eq!(api.status("/api/private", &idp.token()).await, 200);
}

#[tokio::test]
async fn rejects_a_signed_token_over_the_size_cap() {
    let (idp, api) = spawn_with_fake_idp().await;
    let token = idp.token_with(json!({"padding": "x".repeat(16 * 1024)}));
    api.assert_rejects(&token, "token too large").await;
}

#[tokio::test]
async fn rejects_wrong_typed_and_out_of_range_timestamps() {
    // CVE-2026-25537: jsonwebtoken < 10.3 treated a string `exp`/`nbf` as absent.
    let (idp, api) = spawn_with_fake_idp().await;
    for changes in [
        json!({"exp": "9999999999"}),
        json!({"nbf": "99999999999"}),
        json!({"exp": 1.9e9}),
        json!({"exp": -1}),
        json!({"exp": 9_223_372_036_854_775_808u64}),
        json!({"exp": 1u64 << 53}),
        json!({"iat": "now"}),
        json!({"exp": null}),
    ] {
        let token = idp.token_with(changes.clone());
        let response = api.get_with_token("/api/private", &token).await;
        assert_eq!(response.status(), 401, "{changes}");
    }
}

#[tokio::test]
async fn rejects_wrong_typed_issuer_audience_subject_and_scope() {
    let (idp, api) = spawn_with_fake_idp().await;
    for changes in [
        json!({"iss": [idp.issuer]}),
        json!({"iss": 5}),
        json!({"aud": {"x": "https://sample-api"}}),
        json!({"aud": 5}),
        json!({"sub": 5}),
        json!({"sub": null}),
        json!({"scope": ["read:messages"]}),
        json!({"scope": 1}),
        json!({"permissions": "read:messages"}),
    ] {
        let token = idp.token_with(changes.clone());
        let response = api.get_with_token("/api/private-scoped", &token).await;
        assert_eq!(response.status(), 401, "{changes}");
    }
}

#[tokio::test]
async fn rejects_hs256_tokens_keyed_with_the_public_key_in_every_encoding() {
    // Arrange: jwt_tool -X k, in every form the public key could be fed to HMAC
    let (idp, api) = spawn_with_fake_idp().await;
    let pem = TestKey::K1.public_pem();
    let jwk = TestKey::K1.jwk("k1").to_string();
    let secrets: Vec<Vec<u8>> = vec![
        pem.as_bytes().to_vec(),
        pem.trim_end().as_bytes().to_vec(),
        jwk.into_bytes(),
        b"\0".to_vec(),
    ];
    for secret in secrets {
        for alg in ["HS256", "HS384", "HS512"] {
            let header = json!({"alg": alg, "typ": "JWT", "kid": "k1"});
            let token = sign_hs256(&header, &idp.claims(), &secret);

            // Act
            let response = api.get_with_token("/api/private", &token).await;

            // Assert
            assert_invalid_token(response, "unsupported signing algorithm").await;
        }
    }
}

#[tokio::test]
async fn rejects_other_rsa_algorithms_signed_by_the_right_key() {
    let (idp, api) = spawn_with_fake_idp().await;
    for alg in [Algorithm::RS384, Algorithm::RS512, Algorithm::PS256] {
        let header = json!({"alg": format!("{alg:?}"), "typ": "JWT", "kid": "k1"});
        let token = sign_raw(
            &header.to_string(),
            &idp.claims().to_string(),
            TestKey::K1,
            alg,
        );
        api.assert_rejects(&token, "unsupported signing algorithm")
            .await;
    }
}

#[tokio::test]
async fn rejects_a_psychic_ecdsa_signature() {
    // CVE-2022-21449: r = s = 0
    let (idp, api) = spawn_with_fake_idp().await;
    let header = b64(json!({"alg":"ES256","kid":"k1"}).to_string());
    let payload = b64(idp.claims().to_string());
    for signature in [b64([0u8; 64]), "MAYCAQACAQA".to_owned()] {
        let token = format!("{header}.{payload}.{signature}");
        api.assert_rejects(&token, "unsupported signing algorithm")
            .await;
    }
}

#[tokio::test]
async fn rejects_a_token_without_kid_even_when_the_jwks_has_one_key() {
    let (idp, api) = spawn_with_fake_idp().await;
    let token = sign(
        &json!({"alg":"RS256","typ":"JWT"}),
        &idp.claims(),
        TestKey::K1,
    );
    api.assert_rejects(&token, "unknown signing key").await;
}

#[tokio::test]
async fn looks_kid_up_exactly_with_no_normalisation() {
    let (idp, api) = spawn_with_fake_idp().await;
    for kid in [
        "../../../../dev/null",
        "/etc/passwd",
        "k1' OR '1'='1",
        "k1\u{0}",
        "K1",
        " k1",
        "k1 ",
    ] {
        let token = sign(
            &json!({"alg":"RS256","kid": kid}),
            &idp.claims(),
            TestKey::K1,
        );
        api.assert_rejects(&token, "unknown signing key").await;
    }
}

#[tokio::test]
async fn rejects_an_unsigned_token_whatever_the_case_of_none() {
    let (idp, api) = spawn_with_fake_idp().await;
    let payload = b64(idp.claims().to_string());
    for alg in ["none", "None", "NONE", "nOnE"] {
        let header = b64(json!({"alg": alg, "typ":"JWT", "kid":"k1"}).to_string());
        for token in [
            format!("{header}.{payload}."),
            format!("{header}.{payload}.Z2FyYmFnZQ"),
        ] {
            assert_eq!(api.status("/api/private", &token).await, 401, "{alg}");
        }
    }
}

#[tokio::test]
async fn rejects_an_id_token_typed_header() {
    let (idp, api) = spawn_with_fake_idp().await;
    for typ in ["id_token+jwt", "dpop+jwt"] {
        let header = json!({"alg":"RS256","typ": typ,"kid":"k1"});
        let token = sign(&header, &idp.claims(), TestKey::K1);
        api.assert_rejects(&token, "unexpected token type").await;
    }
}

#[tokio::test]
async fn accepts_an_at_jwt_typed_access_token() {
    let (idp, api) = spawn_with_fake_idp().await;
    let header = json!({"alg":"RS256","typ":"at+jwt","kid":"k1"});
    let token = sign(&header, &idp.claims(), TestKey::K1);
    assert_eq!(api.status("/api/private", &token).await, 200);
}

#[tokio::test]
async fn rejects_a_token_issued_in_the_future() {
    let (idp, api) = spawn_with_fake_idp().await;
    let token = idp.token_with(json!({"iat": now() + 3600}));
    api.assert_rejects(&token, "token not yet valid").await;
}

#[tokio::test]
async fn accepts_a_token_without_iat() {
    let (idp, api) = spawn_with_fake_idp().await;
    let token = idp.token_with(json!({"iat": null}));
    assert_eq!(api.status("/api/private", &token).await, 200);
}

#[tokio::test]
async fn honours_the_five_second_leeway_on_exp_and_nbf() {
    let (idp, api) = spawn_with_fake_idp().await;
    let inside = [json!({"exp": now() - 2}), json!({"nbf": now() + 2})];
    let outside = [json!({"exp": now() - 30}), json!({"nbf": now() + 30})];
    for changes in inside {
        let token = idp.token_with(changes.clone());
        assert_eq!(api.status("/api/private", &token).await, 200, "{changes}");
    }
    for changes in outside {
        let token = idp.token_with(changes.clone());
        assert_eq!(api.status("/api/private", &token).await, 401, "{changes}");
    }
}

#[tokio::test]
async fn rejects_audience_near_misses() {
    let (idp, api) = spawn_with_fake_idp().await;
    for aud in [
        json!("https://sample-api/"),
        json!("HTTPS://sample-api"),
        json!(["other"]),
        json!([]),
        json!(null),
    ] {
        let token = idp.token_with(json!({ "aud": aud }));
        assert_eq!(api.status("/api/private", &token).await, 401, "{aud}");
    }
}

#[tokio::test]
async fn grants_no_privilege_from_unknown_claims() {
    let (idp, api) = spawn_with_fake_idp().await;
    let token = idp.token_with(json!({"scope": null, "admin": true, "role": "root"}));
    assert_eq!(api.status("/api/private", &token).await, 200);
    assert_eq!(api.status("/api/private-scoped", &token).await, 403);
}
