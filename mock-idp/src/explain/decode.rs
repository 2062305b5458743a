//! The `structure` check: what a pasted string is (a JWS, a JWE, something opaque), decoded as
//! far as it goes. Nothing here trusts the token; it only reads it.

use std::collections::HashSet;
use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserializer;
use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde_json::{Map, Value};

/// Longer tokens are refused before decoding: the mock's own limit for tokens handed back to
/// it. `sample-api` refuses above 8 KiB.
pub(super) const MAX_TOKEN_LEN: usize = crate::issuance::jws::MAX_TOKEN_LEN;

/// A string taken apart.
#[derive(Debug)]
pub(super) struct Decoded<'a> {
    /// The header, when its segment decodes to a JSON object.
    pub(super) header: Option<Map<String, Value>>,
    /// The claims, likewise.
    pub(super) claims: Option<Map<String, Value>>,
    /// What is wrong with the shape; `None` for a well-formed compact JWS.
    pub(super) problem: Option<Problem>,
    /// `header.payload` as received: what the signature covers.
    pub(super) signing_input: &'a str,
    /// The decoded signature, when it decodes.
    pub(super) signature: Option<Vec<u8>>,
}

/// Why a string is not a well-formed compact JWS.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Problem {
    Empty,
    TooLarge(usize),
    /// `Bearer eyJ...`: the header value, not the token.
    BearerPrefix,
    /// Whitespace or a control character at this byte offset.
    Whitespace(usize),
    /// Five segments: an encrypted token, with its header's `alg`/`enc` when readable.
    Jwe {
        alg: Option<String>,
        enc: Option<String>,
    },
    /// Not three segments (and not a JWE): an opaque token, or not a token at all.
    Opaque {
        segments: usize,
    },
    /// A segment with a character outside the base64url alphabet (or padding).
    NotBase64 {
        segment: Segment,
    },
    /// A segment that decodes, but not to a JSON object.
    NotJsonObject {
        segment: Segment,
        found: &'static str,
    },
    /// A name twice in the header or the claims: validators disagree about which one counts.
    Duplicate {
        segment: Segment,
        name: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Segment {
    Header,
    Payload,
    Signature,
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Header => "header",
            Self::Payload => "payload",
            Self::Signature => "signature",
        })
    }
}

pub(super) fn decode(token: &str) -> Decoded<'_> {
    let mut decoded = Decoded {
        header: None,
        claims: None,
        problem: None,
        signing_input: "",
        signature: None,
    };
    if token.is_empty() {
        decoded.problem = Some(Problem::Empty);
        return decoded;
    }
    if token.len() > MAX_TOKEN_LEN {
        decoded.problem = Some(Problem::TooLarge(token.len()));
        return decoded;
    }
    if token.len() > 7 && token[..7].eq_ignore_ascii_case("bearer ") {
        decoded.problem = Some(Problem::BearerPrefix);
        return decoded;
    }
    if let Some(at) = token.find(|c: char| c.is_whitespace() || c.is_control()) {
        decoded.problem = Some(Problem::Whitespace(at));
        return decoded;
    }
    let segments: Vec<&str> = token.split('.').collect();
    if segments.len() == 5 {
        let header = object(segments[0]).ok();
        let field = |name: &str| {
            header
                .as_ref()
                .and_then(|h| h.get(name))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        decoded.problem = Some(Problem::Jwe {
            alg: field("alg"),
            enc: field("enc"),
        });
        return decoded;
    }
    if segments.len() != 3 {
        decoded.problem = Some(Problem::Opaque {
            segments: segments.len(),
        });
        return decoded;
    }
    let (h, p, s) = (segments[0], segments[1], segments[2]);
    decoded.signing_input = &token[..h.len() + 1 + p.len()];
    let mut problems = Vec::new();
    match object(h) {
        Ok(header) => decoded.header = Some(header),
        Err(bad) => problems.push(bad.at(Segment::Header)),
    }
    match object(p) {
        Ok(claims) => decoded.claims = Some(claims),
        Err(bad) => problems.push(bad.at(Segment::Payload)),
    }
    // `alg: none` tokens end in an empty signature; the `alg` check speaks to those.
    match base64url(s) {
        Some(signature) => decoded.signature = Some(signature),
        None => problems.push(Problem::NotBase64 {
            segment: Segment::Signature,
        }),
    }
    decoded.problem = problems.into_iter().next();
    decoded
}

/// What is wrong with one segment, before we know which one it is.
enum Bad {
    NotBase64,
    NotObject(&'static str),
    Duplicate(String),
}

impl Bad {
    fn at(self, segment: Segment) -> Problem {
        match self {
            Self::NotBase64 => Problem::NotBase64 { segment },
            Self::NotObject(found) => Problem::NotJsonObject { segment, found },
            Self::Duplicate(name) => Problem::Duplicate { segment, name },
        }
    }
}

/// A segment as a JSON object, or what is wrong with it.
fn object(segment: &str) -> Result<Map<String, Value>, Bad> {
    let bytes = base64url(segment)
        .filter(|b| !b.is_empty())
        .ok_or(Bad::NotBase64)?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|_| {
        Bad::NotObject(if std::str::from_utf8(&bytes).is_ok() {
            "text that is not JSON"
        } else {
            "binary data"
        })
    })?;
    let Value::Object(map) = value else {
        return Err(Bad::NotObject(match value {
            Value::Array(_) => "a JSON array",
            Value::String(_) => "a JSON string",
            Value::Number(_) => "a JSON number",
            Value::Bool(_) => "a JSON boolean",
            _ => "JSON null",
        }));
    };
    match duplicate_name(&bytes) {
        Some(name) => Err(Bad::Duplicate(name)),
        None => Ok(map),
    }
}

/// Strict unpadded base64url (RFC 7515 §2): no `=`, no `+` or `/`.
fn base64url(segment: &str) -> Option<Vec<u8>> {
    segment
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        .then(|| URL_SAFE_NO_PAD.decode(segment).ok())
        .flatten()
}

/// The first name that occurs twice at the top level of a JSON object.
fn duplicate_name(json: &[u8]) -> Option<String> {
    struct Names;
    impl<'de> Visitor<'de> for Names {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            // Read to the end: serde_json refuses a map left half-read.
            let mut seen = HashSet::new();
            let mut twice = None;
            while let Some(name) = map.next_key::<String>()? {
                map.next_value::<IgnoredAny>()?;
                if !seen.insert(name.clone()) && twice.is_none() {
                    twice = Some(name);
                }
            }
            Ok(twice)
        }
    }
    let mut deserializer = serde_json::Deserializer::from_slice(json);
    deserializer.deserialize_map(Names).ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        URL_SAFE_NO_PAD.encode(s)
    }

    #[test]
    fn a_compact_jws_decodes_with_its_header_claims_and_signature() {
        let token = format!(
            "{}.{}.c2ln",
            b64(r#"{"alg":"RS256"}"#),
            b64(r#"{"sub":"a"}"#)
        );
        let decoded = decode(&token);
        assert_eq!(decoded.problem, None);
        assert_eq!(decoded.header.unwrap()["alg"], "RS256");
        assert_eq!(decoded.claims.unwrap()["sub"], "a");
        assert_eq!(decoded.signature.unwrap(), b"sig");
        assert_eq!(decoded.signing_input, &token[..token.len() - 5]);
    }

    #[test]
    fn names_what_a_string_is_when_it_is_not_a_jws() {
        let problem = |t: &str| decode(t).problem.unwrap();
        assert_eq!(problem(""), Problem::Empty);
        assert_eq!(problem("Bearer a.b.c"), Problem::BearerPrefix);
        assert_eq!(problem("a.b .c"), Problem::Whitespace(3));
        assert_eq!(problem("opaque-token"), Problem::Opaque { segments: 1 });
        assert_eq!(
            problem(&format!(
                "{}.k.iv.ct.tag",
                b64(r#"{"alg":"dir","enc":"A256GCM"}"#)
            )),
            Problem::Jwe {
                alg: Some("dir".into()),
                enc: Some("A256GCM".into())
            }
        );
        assert_eq!(
            problem(&"a".repeat(MAX_TOKEN_LEN + 1)),
            Problem::TooLarge(MAX_TOKEN_LEN + 1)
        );
        assert_eq!(
            problem(&format!("{}.e30.x", b64("[1]"))),
            Problem::NotJsonObject {
                segment: Segment::Header,
                found: "a JSON array"
            }
        );
        assert_eq!(
            problem(&format!("e30.{}.x", URL_SAFE_NO_PAD.encode([0xff, 0xfe]))),
            Problem::NotJsonObject {
                segment: Segment::Payload,
                found: "binary data"
            }
        );
        assert_eq!(
            problem("e30.e30=.x"),
            Problem::NotBase64 {
                segment: Segment::Payload
            }
        );
    }

    #[test]
    fn a_name_given_twice_is_a_structural_problem() {
        let token = format!("e30.{}.x", b64(r#"{"sub":"a","sub":"admin","exp":1}"#));
        assert_eq!(
            decode(&token).problem,
            Some(Problem::Duplicate {
                segment: Segment::Payload,
                name: "sub".into()
            })
        );
    }
}
