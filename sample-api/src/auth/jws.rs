//! RFC 7515 compact JWS, as far as an RS256 access-token check needs it: splitting a token,
//! reading its protected header, verifying its signature with a key parsed once.
//!
//! # Why not `jsonwebtoken::decode`
//!
//! `jsonwebtoken` verifies correctly, but for every token it decodes the header a second time
//! (ours has to be read before a key is chosen), decodes and parses the payload twice, and
//! rebuilds an RSA key from the JWK's `n` and `e`. Measured with `sample-api/bench`, that was
//! a fifth of the API's CPU time per request. Here each segment is decoded once and each RSA
//! key is parsed once per JWKS fetch; the checks are the same ones, in the same order, and a
//! differential test (`tests/api/differential.rs`) holds the [`Validator`](super::Validator)
//! to `jsonwebtoken`'s verdicts over generated tokens.
//!
//! The cryptography is aws-lc's (`RSA_PKCS1_2048_8192_SHA256`, through `aws-lc-rs`, the
//! workspace's one crypto stack): PKCS#1 v1.5 with SHA-256, over the ASCII bytes
//! `header.payload` exactly as received (RFC 7515 §5.2), never re-encoded.
//!
//! # The protected header
//!
//! Read by [`CompactJws::parse`] before any key is touched:
//!
//! * `alg` must be exactly the string `"RS256"`. The allow-list is the server's; the token's
//!   `alg` only ever *fails* this comparison (`none`, `None`, `HS256` key confusion, `PS256`,
//!   `ES256` psychic signatures…).
//! * `crit`, `b64` and `zip` are refused: this API understands no extension, and RFC 7515
//!   §4.1.11 says a recipient that does not understand a critical one must reject.
//! * `typ`, if present, must be `JWT` or `at+jwt` (case-insensitive, optional `application/`
//!   prefix), so an ID token typed `id_token+jwt` is refused by type.
//! * `kid` must be a string. It is used only as an exact key into the cached JWKS: never as a
//!   path, URL or query, and never normalised.
//! * `jku`, `x5u`, `jwk`, `x5c` and every other parameter are never read, so never followed.
//! * The header is a JSON object with each of the parameters above at most once (a second
//!   `alg` cannot override the first).

use std::{borrow::Cow, fmt};

use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::{
    Deserialize, Deserializer,
    de::{IgnoredAny, MapAccess, SeqAccess, Visitor},
};

use super::error::InvalidToken;

/// An RSA public key for RS256 signatures, parsed once (big-number decoding and Montgomery
/// set-up happen here, not per token).
pub struct VerifyingKey {
    key: ParsedPublicKey,
    bits: usize,
}

impl VerifyingKey {
    /// The smallest modulus accepted (RFC 7518 §3.3).
    pub const MIN_BITS: usize = 2048;
    /// The largest modulus accepted (aws-lc's bound for RS256 verification).
    pub const MAX_BITS: usize = 8192;

    /// The key with big-endian modulus `n` and exponent `e` (leading zero bytes allowed), or
    /// `None` unless the modulus has 2048 to 8192 bits and the exponent is odd, above 1 and
    /// at most 64 bits, and aws-lc accepts the pair.
    ///
    /// ```
    /// use sample_api::auth::jws::VerifyingKey;
    ///
    /// let mut n = [0xC5; 256];
    /// n[255] = 0x01;
    /// assert_eq!(VerifyingKey::from_rsa_components(&n, &[1, 0, 1]).unwrap().bits(), 2048);
    /// assert!(VerifyingKey::from_rsa_components(&n[..128], &[1, 0, 1]).is_none()); // 1024 bits
    /// assert!(VerifyingKey::from_rsa_components(&n, &[1]).is_none());
    /// ```
    pub fn from_rsa_components(n: &[u8], e: &[u8]) -> Option<Self> {
        let n = strip_leading_zeros(n);
        let e = strip_leading_zeros(e);
        let bits = n.first().map_or(0, |top| {
            (n.len() - 1) * 8 + (8 - top.leading_zeros() as usize)
        });
        let e_is_odd_above_one = e.len() <= 8 && e.last().is_some_and(|b| b & 1 == 1) && e != [1];
        if !(Self::MIN_BITS..=Self::MAX_BITS).contains(&bits) || !e_is_odd_above_one {
            return None;
        }
        let key = RsaPublicKeyComponents { n, e }
            .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
            .ok()?;
        Some(Self { key, bits })
    }

    /// The modulus size.
    pub fn bits(&self) -> usize {
        self.bits
    }

    /// Whether `signature` is this key's RS256 signature over `message`.
    pub fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        self.key.verify_sig(message, signature).is_ok()
    }
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("alg", &"RS256")
            .field("bits", &self.bits)
            .finish_non_exhaustive()
    }
}

/// A compact JWS (`header.payload.signature`) whose protected header this API accepts.
/// Nothing in it is trusted until [`verify`](Self::verify) succeeds.
///
/// ```
/// use sample_api::auth::{InvalidToken, jws::CompactJws};
///
/// // {"alg":"RS256","kid":"k1"} . {} . "sig"
/// let jws = CompactJws::parse("eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.e30.c2ln").unwrap();
/// assert_eq!(jws.kid(), "k1");
///
/// // {"alg":"none"} . {} . "sig"
/// let none = CompactJws::parse("eyJhbGciOiJub25lIn0.e30.c2ln");
/// assert_eq!(none.unwrap_err(), InvalidToken::UnsupportedAlgorithm);
/// ```
#[derive(Debug)]
pub struct CompactJws<'a> {
    kid: String,
    signing_input: &'a str,
    payload: &'a str,
    signature: &'a str,
}

impl<'a> CompactJws<'a> {
    /// Splits `token` and checks its shape and protected header (see the module docs).
    ///
    /// Shape: exactly three non-empty segments of the base64url alphabet, unpadded (JWE's
    /// five segments and anything else are [`InvalidToken::Malformed`]).
    pub fn parse(token: &'a str) -> Result<Self, InvalidToken> {
        let mut segments = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) = (
            segments.next(),
            segments.next(),
            segments.next(),
            segments.next(),
        ) else {
            return Err(InvalidToken::Malformed);
        };
        if [header, payload, signature]
            .iter()
            .any(|s| s.is_empty() || !s.bytes().all(is_base64url))
        {
            return Err(InvalidToken::Malformed);
        }
        let kid = check_header(header)?;
        Ok(Self {
            kid,
            signing_input: &token[..header.len() + 1 + payload.len()],
            payload,
            signature,
        })
    }

    /// The `kid` the header names; only ever used to look a key up.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Checks the signature with `key`: [`InvalidToken::Malformed`] if the signature segment
    /// does not decode, [`InvalidToken::BadSignature`] if it does not verify.
    pub fn verify(&self, key: &VerifyingKey) -> Result<(), InvalidToken> {
        let signature = decode(self.signature)?;
        if key.verifies(self.signing_input.as_bytes(), &signature) {
            Ok(())
        } else {
            Err(InvalidToken::BadSignature)
        }
    }

    /// The decoded payload bytes (the JWT claims set, once [`verify`](Self::verify) passed).
    pub fn payload(&self) -> Result<Vec<u8>, InvalidToken> {
        decode(self.payload)
    }
}

fn decode(segment: &str) -> Result<Vec<u8>, InvalidToken> {
    URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| InvalidToken::Malformed)
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

fn is_base64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// Whether `json` is a JSON object, not an array a derived struct would also accept.
pub(crate) fn is_json_object(json: &[u8]) -> bool {
    json.trim_ascii_start().first() == Some(&b'{')
}

/// The header parameters this API reads or refuses; every other one is skipped unread.
#[derive(Deserialize)]
struct ProtectedHeader<'a> {
    #[serde(borrow, default)]
    alg: Param<'a>,
    #[serde(borrow, default)]
    typ: Param<'a>,
    #[serde(borrow, default)]
    kid: Param<'a>,
    #[serde(default)]
    crit: Option<IgnoredAny>,
    #[serde(default)]
    b64: Option<IgnoredAny>,
    #[serde(default)]
    zip: Option<IgnoredAny>,
}

/// A header parameter: absent, a string (borrowed unless it has escapes), or any other JSON
/// value, `null` included (`"typ": null` is not the same as no `typ`).
#[derive(Default)]
enum Param<'a> {
    #[default]
    Absent,
    Str(Cow<'a, str>),
    NotAString,
}

impl Param<'_> {
    fn as_str(&self) -> Option<&str> {
        match self {
            Self::Str(s) => Some(s),
            Self::Absent | Self::NotAString => None,
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Param<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ParamVisitor;

        impl<'de> Visitor<'de> for ParamVisitor {
            type Value = Param<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Param::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Param::Str(Cow::Owned(v.to_owned())))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Param::NotAString)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Param::NotAString)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Param::NotAString)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Param::NotAString)
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Param::NotAString)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Param::NotAString)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Param::NotAString)
            }
        }

        deserializer.deserialize_any(ParamVisitor)
    }
}

/// Decodes and checks the protected header; returns the `kid`.
fn check_header(segment: &str) -> Result<String, InvalidToken> {
    let json = decode(segment)?;
    if !is_json_object(&json) {
        return Err(InvalidToken::Malformed);
    }
    let header: ProtectedHeader<'_> =
        serde_json::from_slice(&json).map_err(|_| InvalidToken::Malformed)?;

    if header.alg.as_str() != Some("RS256") {
        return Err(InvalidToken::UnsupportedAlgorithm);
    }
    if header.crit.is_some() || header.b64.is_some() || header.zip.is_some() {
        return Err(InvalidToken::UnsupportedHeader);
    }
    if !matches!(header.typ, Param::Absent) {
        let typ = header.typ.as_str().ok_or(InvalidToken::WrongType)?;
        let typ = typ
            .get(..12)
            .filter(|prefix| prefix.eq_ignore_ascii_case("application/"))
            .map_or(typ, |_| &typ[12..]);
        if !typ.eq_ignore_ascii_case("jwt") && !typ.eq_ignore_ascii_case("at+jwt") {
            return Err(InvalidToken::WrongType);
        }
    }
    match header.kid {
        Param::Absent => Err(InvalidToken::UnknownKey),
        Param::Str(kid) => Ok(kid.into_owned()),
        Param::NotAString => Err(InvalidToken::UnsupportedHeader),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(json: &str) -> String {
        URL_SAFE_NO_PAD.encode(json)
    }

    fn parse_kid(token: &str) -> Result<String, InvalidToken> {
        CompactJws::parse(token).map(|jws| jws.kid().to_owned())
    }

    fn token_with_header(header: &str) -> String {
        format!("{}.{}.c2ln", b64(header), b64("{}"))
    }

    #[test]
    fn accepts_an_rs256_header_with_a_kid() {
        let token = token_with_header(r#"{"alg":"RS256","typ":"JWT","kid":"k1"}"#);
        assert_eq!(parse_kid(&token), Ok("k1".to_owned()));
    }

    #[test]
    fn accepts_the_at_jwt_type_in_both_spellings() {
        for typ in ["at+jwt", "application/at+JWT"] {
            let token = token_with_header(&format!(r#"{{"alg":"RS256","typ":"{typ}","kid":"k"}}"#));
            assert!(parse_kid(&token).is_ok(), "{typ}");
        }
    }

    #[test]
    fn rejects_every_algorithm_but_rs256() {
        for alg in [
            "none", "None", "NONE", "nOnE", "HS256", "RS384", "PS256", "ES256", "rs256",
        ] {
            let token = token_with_header(&format!(r#"{{"alg":"{alg}","kid":"k1"}}"#));
            assert_eq!(
                parse_kid(&token),
                Err(InvalidToken::UnsupportedAlgorithm),
                "{alg}"
            );
        }
    }

    #[test]
    fn rejects_a_duplicated_alg_that_ends_in_none() {
        let token = token_with_header(r#"{"alg":"RS256","alg":"none","kid":"k1"}"#);
        assert!(parse_kid(&token).is_err());
    }

    #[test]
    fn rejects_critical_and_unencoded_payload_headers() {
        for extra in [
            r#""crit":["exp"]"#,
            r#""crit":[]"#,
            r#""b64":false,"crit":["b64"]"#,
            r#""zip":"DEF""#,
        ] {
            let token = token_with_header(&format!(r#"{{"alg":"RS256","kid":"k1",{extra}}}"#));
            assert_eq!(
                parse_kid(&token),
                Err(InvalidToken::UnsupportedHeader),
                "{extra}"
            );
        }
    }

    #[test]
    fn rejects_id_token_and_dpop_types() {
        for typ in ["id_token+jwt", "dpop+jwt", "JWS"] {
            let token = token_with_header(&format!(r#"{{"alg":"RS256","typ":"{typ}","kid":"k"}}"#));
            assert_eq!(parse_kid(&token), Err(InvalidToken::WrongType), "{typ}");
        }
    }

    #[test]
    fn rejects_a_missing_or_non_string_kid() {
        assert_eq!(
            parse_kid(&token_with_header(r#"{"alg":"RS256"}"#)),
            Err(InvalidToken::UnknownKey)
        );
        for kid in ["1", "{}", "[\"k1\"]", "null"] {
            let token = token_with_header(&format!(r#"{{"alg":"RS256","kid":{kid}}}"#));
            assert_eq!(
                parse_kid(&token),
                Err(InvalidToken::UnsupportedHeader),
                "{kid}"
            );
        }
    }

    #[test]
    fn rejects_malformed_shapes() {
        let header = b64(r#"{"alg":"RS256","kid":"k1"}"#);
        let payload = b64("{}");
        for token in [
            "abc".to_owned(),
            format!("{header}.{payload}"),
            format!("{header}.{payload}.c2ln.x"),
            format!("{header}.{payload}.c2ln.x.y"),
            format!("{header}.{payload}."),
            format!("{header}=.{payload}.c2ln"),
            format!("{header}.{payload}.c2l+"),
            format!("{header} .{payload}.c2ln"),
            format!("{}.{payload}.c2ln", b64("[1]")),
            format!("{}.{payload}.c2ln", b64("\"RS256\"")),
            format!("{}.{payload}.c2ln", b64("\u{feff}{\"alg\":\"RS256\"}")),
            format!(
                "{}.{payload}.c2ln",
                URL_SAFE_NO_PAD.encode([0xff, 0xfe, b'{'])
            ),
        ] {
            assert_eq!(parse_kid(&token), Err(InvalidToken::Malformed), "{token}");
        }
    }

    #[test]
    fn reads_a_kid_written_with_escapes() {
        let token = token_with_header(r#"{"alg":"RS\u0032\u00356","kid":"a\/b\u00e9"}"#);
        assert_eq!(parse_kid(&token), Ok("a/b\u{e9}".to_owned()));
    }

    #[test]
    fn a_null_typ_is_not_an_absent_typ() {
        let token = token_with_header(r#"{"alg":"RS256","typ":null,"kid":"k1"}"#);
        assert_eq!(parse_kid(&token), Err(InvalidToken::WrongType));
    }

    #[test]
    fn skips_parameters_it_does_not_read_whatever_their_shape() {
        let token = token_with_header(
            r#"{"jwk":{"kty":"RSA","n":"x"},"x5c":["a"],"jku":"https://x","alg":"RS256","kid":"k1"}"#,
        );
        assert_eq!(parse_kid(&token), Ok("k1".to_owned()));
    }

    mod signatures {
        use super::*;

        fn k1() -> VerifyingKey {
            let components: serde_json::Value =
                serde_json::from_str(include_str!("../../tests/fixtures/components.json")).unwrap();
            let decode = |name: &str| {
                URL_SAFE_NO_PAD
                    .decode(components["k1"][name].as_str().unwrap())
                    .unwrap()
            };
            VerifyingKey::from_rsa_components(&decode("n"), &decode("e")).unwrap()
        }

        fn signed(payload: &str) -> String {
            let key = jsonwebtoken::EncodingKey::from_rsa_pem(include_bytes!(
                "../../tests/fixtures/k1.pem"
            ))
            .unwrap();
            let message = format!("{}.{}", b64(r#"{"alg":"RS256","kid":"k1"}"#), b64(payload));
            let signature = jsonwebtoken::crypto::sign(
                message.as_bytes(),
                &key,
                jsonwebtoken::Algorithm::RS256,
            )
            .unwrap();
            format!("{message}.{signature}")
        }

        #[test]
        fn verifies_the_signature_over_the_segments_as_received() {
            let token = signed(r#"{"sub":"a"}"#);
            let jws = CompactJws::parse(&token).unwrap();
            assert_eq!(jws.verify(&k1()), Ok(()));
            assert_eq!(jws.payload().unwrap(), br#"{"sub":"a"}"#);
        }

        #[test]
        fn rejects_a_payload_swapped_under_a_valid_signature() {
            let token = signed(r#"{"sub":"a"}"#);
            let (header, rest) = token.split_once('.').unwrap();
            let signature = rest.split_once('.').unwrap().1;
            let forged = format!("{header}.{}.{signature}", b64(r#"{"sub":"b"}"#));
            let jws = CompactJws::parse(&forged).unwrap();
            assert_eq!(jws.verify(&k1()), Err(InvalidToken::BadSignature));
        }

        #[test]
        fn a_signature_that_is_not_base64url_is_malformed_not_bad() {
            let token = signed("{}");
            // Five characters: a length no base64 encoding has.
            let (message, _) = token.rsplit_once('.').unwrap();
            let token = format!("{message}.AAAAA");
            let jws = CompactJws::parse(&token).unwrap();
            assert_eq!(jws.verify(&k1()), Err(InvalidToken::Malformed));
        }
    }

    #[test]
    fn keys_need_an_odd_exponent_above_one_and_2048_to_8192_bits() {
        let mut n = vec![0xC5; 256];
        n[255] = 1;
        assert!(VerifyingKey::from_rsa_components(&n, &[1, 0, 1]).is_some());
        assert!(
            VerifyingKey::from_rsa_components(&[&[0, 0][..], &n].concat(), &[0, 1, 0, 1]).is_some()
        );
        for e in [&[][..], &[1], &[2], &[1, 0, 0], &[1; 9]] {
            assert!(VerifyingKey::from_rsa_components(&n, e).is_none(), "{e:?}");
        }
        assert!(VerifyingKey::from_rsa_components(&n[1..], &[1, 0, 1]).is_none());
        assert!(VerifyingKey::from_rsa_components(&vec![0xC5; 1025], &[1, 0, 1]).is_none());
    }

    #[test]
    fn only_objects_count_as_json_objects() {
        assert!(is_json_object(b" \n{}"));
        for json in [&b"[]"[..], b"\"{}\"", b"null", b"", b"\xef\xbb\xbf{}"] {
            assert!(!is_json_object(json), "{json:?}");
        }
    }
}
