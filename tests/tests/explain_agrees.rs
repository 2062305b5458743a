//! The explainer judges tokens as sample-api's hardened validator does: for each token, the
//! API's answer on its scoped route and `idp.explain(..)` with the API's expectations (its
//! audience, `read:messages`, its 5 s leeway) agree on accepted, refused (401) and forbidden
//! (403, only the scope missing).

use std::time::Duration;

use integration_tests::{API, Stack};
use mock_idp::{Check, Report};

/// What the API would answer, by the explainer: 200, 403 when only the scope is missing,
/// 401 otherwise.
fn expected_status(report: &Report) -> u16 {
    let failed: Vec<Check> = report
        .checks
        .iter()
        .filter(|c| !c.ok())
        .map(|c| c.check)
        .collect();
    match failed.as_slice() {
        [] => 200,
        [Check::Scope] => 403,
        _ => 401,
    }
}

#[tokio::test]
async fn the_explainer_and_sample_api_agree_on_every_token() {
    // Arrange: real time on both sides, since sample-api checks exp against the system clock.
    let stack = Stack::start().await;
    let idp = stack.idp();
    let now = idp.clock().now();
    let header = format!(
        r#"{{"alg":"RS256","typ":"JWT","kid":"{}"}}"#,
        idp.active_kid()
    );
    let claims = |sub: &str| {
        format!(
            r#"{{"iss":"{}","sub":"{sub}","sub":"auth0|admin","aud":"{API}","exp":{}}}"#,
            idp.issuer(),
            now + 600
        )
    };
    let cases = [
        ("alice", stack.user_token("alice@example.com").await),
        (
            "bob, without the permission",
            stack.user_token("bob@example.com").await,
        ),
        ("m2m", stack.m2m_token(API).await),
        (
            "minted with permissions",
            idp.token().permissions(["read:messages"]).sign(),
        ),
        ("minted without scope", idp.token().sign()),
        (
            "expired",
            idp.token().expired().permissions(["read:messages"]).sign(),
        ),
        (
            "expired 3 s ago",
            idp.token()
                .expires_at(now - 3)
                .permissions(["read:messages"])
                .sign(),
        ),
        (
            "not yet valid",
            idp.token().not_before_in(Duration::from_secs(600)).sign(),
        ),
        (
            "issued in the future",
            idp.token().issued_at(now + 600).sign(),
        ),
        (
            "another audience",
            idp.token().audience("https://orders").sign(),
        ),
        ("an ID token", idp.token().id_token().sign()),
        ("unknown kid", idp.token().unknown_kid().sign()),
        ("no kid", idp.token().without_kid().sign()),
        ("foreign key", idp.token().signed_by_foreign_key().sign()),
        ("alg none", idp.token().alg_none().sign()),
        (
            "hs256 public key",
            idp.token().hs256_with_public_key().sign(),
        ),
        (
            "issuer without slash",
            idp.token()
                .issuer(idp.issuer().trim_end_matches('/'))
                .sign(),
        ),
        (
            "typ logout+jwt",
            idp.token().header("typ", "logout+jwt").sign(),
        ),
        (
            "typ at+jwt",
            idp.token()
                .header("typ", "at+jwt")
                .permissions(["read:messages"])
                .sign(),
        ),
        ("string exp", idp.token().claim("exp", "99999999999").sign()),
        ("no exp", idp.token().without_claim("exp").sign()),
        ("duplicate sub", idp.sign_raw(&header, &claims("auth0|bob"))),
        ("opaque", "8dGk2rJ0nQ1xWvYp".to_owned()),
    ];

    for (name, token) in cases {
        // Act
        let answer = stack.call("/api/private-scoped", Some(&token)).await;
        let report = idp
            .explain(&token)
            .audience(API)
            .scope("read:messages")
            .leeway(Duration::from_secs(5))
            .report();

        // Assert
        assert_eq!(
            answer.status,
            expected_status(&report),
            "{name}: the API said {}, the explainer {:#?}",
            answer.body,
            report.checks
        );
    }
}
