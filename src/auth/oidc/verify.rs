//! Checking an ID token: its signature against the provider's keys (the JWKS, by `kid`), then
//! `iss`, `aud` (and `azp`), `exp`, `iat`, `nbf` and the `nonce` this sign-in sent.

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::error::OidcError;
use crate::auth::tokens;

/// How far the clocks of this machine and the provider may disagree.
pub const LEEWAY_SECS: u64 = 60;

/// What the ID token says, once it is believed.
#[derive(Clone, Debug, Deserialize)]
pub struct IdClaims {
    pub sub: String,
    #[serde(default)]
    pub nonce: Option<String>,
    #[serde(default)]
    pub azp: Option<String>,
    #[serde(default)]
    pub iat: Option<i64>,
    /// Everything else (`preferred_username`, `email`, the groups claim…).
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// Where the key to check a token with was looked for.
pub enum KeyLookup {
    Found(DecodingKey),
    /// No key has the token's `kid`: the provider may have rotated its keys.
    Unknown,
}

/// The token's header `kid` and algorithm; asymmetric algorithms only (an HMAC "signature"
/// would be made with a secret the client knows, and proves nothing of the provider).
pub fn header_of(id_token: &str) -> Result<(Option<String>, Algorithm), OidcError> {
    let header =
        decode_header(id_token).map_err(|e| OidcError::BadToken(format!("it is not a signed JWT ({e})")))?;
    match header.alg {
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => Err(OidcError::BadToken(format!(
            "it is signed with {:?}, a shared secret; Chrontainer accepts only the provider's public keys \
             (set the client's ID token signing algorithm to RS256 or ES256)",
            header.alg
        ))),
        alg => Ok((header.kid, alg)),
    }
}

/// The key of `kid` in `keys` (without a `kid`, the one key there is).
pub fn key_for(keys: &JwkSet, kid: Option<&str>) -> Result<KeyLookup, OidcError> {
    let jwk = match kid {
        Some(kid) => keys.find(kid),
        None if keys.keys.len() == 1 => keys.keys.first(),
        None => None,
    };
    match jwk {
        Some(jwk) => DecodingKey::from_jwk(jwk)
            .map(KeyLookup::Found)
            .map_err(|e| OidcError::BadToken(format!("the provider's key {kid:?} cannot be used ({e})"))),
        None => Ok(KeyLookup::Unknown),
    }
}

/// Checks the token with `key`, for this `issuer` and `client_id`, and its nonce against the one
/// sent. `now` is the Unix time.
pub fn check(
    id_token: &str,
    alg: Algorithm,
    key: &DecodingKey,
    issuer: &str,
    client_id: &str,
    nonce: &str,
    now: i64,
) -> Result<IdClaims, OidcError> {
    use jsonwebtoken::errors::ErrorKind;
    let mut validation = Validation::new(alg);
    validation.leeway = LEEWAY_SECS;
    validation.validate_nbf = true;
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[client_id]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let data = decode::<IdClaims>(id_token, key, &validation).map_err(|e| match e.kind() {
        ErrorKind::ExpiredSignature => OidcError::ClockSkew("has expired already".into()),
        ErrorKind::ImmatureSignature => OidcError::ClockSkew("is not valid yet".into()),
        ErrorKind::InvalidSignature => OidcError::BadToken("its signature does not verify".into()),
        ErrorKind::InvalidIssuer => OidcError::BadToken(format!("it was not issued by {issuer}")),
        ErrorKind::InvalidAudience => {
            OidcError::BadToken(format!("it was issued for another client, not {client_id} (its audience)"))
        }
        ErrorKind::MissingRequiredClaim(claim) => OidcError::BadToken(format!("it has no {claim}")),
        other => OidcError::BadToken(format!("it cannot be read ({other:?})")),
    })?;
    let claims = data.claims;
    if claims.azp.as_deref().is_some_and(|azp| azp != client_id) {
        return Err(OidcError::BadToken(format!("it was issued for another client, not {client_id} (azp)")));
    }
    if claims.iat.is_some_and(|iat| iat > now + LEEWAY_SECS as i64) {
        return Err(OidcError::ClockSkew("was issued in the future".into()));
    }
    if !claims.nonce.as_deref().is_some_and(|n| tokens::same(n, nonce)) {
        return Err(OidcError::BadToken("its nonce is not this sign-in's (a replayed token?)".into()));
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{encode, EncodingKey, Header};
    use serde_json::json;

    const SECRET: &[u8] = b"only for the tests of this module";

    fn token(claims: Value) -> String {
        encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(SECRET)).unwrap()
    }

    fn claims(now: i64) -> Value {
        json!({"iss": "https://idp", "aud": "ct", "sub": "u1", "exp": now + 300, "iat": now, "nonce": "n1",
               "groups": ["a"]})
    }

    fn run(t: &str, now: i64) -> Result<IdClaims, OidcError> {
        check(t, Algorithm::HS256, &DecodingKey::from_secret(SECRET), "https://idp", "ct", "n1", now)
    }

    #[test]
    fn a_good_token_passes_and_keeps_its_other_claims() {
        let now = chrono::Utc::now().timestamp();
        let c = run(&token(claims(now)), now).unwrap();
        assert_eq!(c.sub, "u1");
        assert_eq!(c.rest["groups"], json!(["a"]));
    }

    #[test]
    fn each_wrong_claim_is_named() {
        // jsonwebtoken reads the clock itself: the times are around now
        let now = chrono::Utc::now().timestamp();
        let with = |k: &str, v: Value| {
            let mut c = claims(now);
            c[k] = v;
            run(&token(c), now).unwrap_err()
        };
        assert!(
            matches!(with("aud", json!("other")), OidcError::BadToken(m) if m.contains("another client"))
        );
        assert!(
            matches!(with("iss", json!("https://evil")), OidcError::BadToken(m) if m.contains("issued by"))
        );
        assert!(matches!(with("nonce", json!("n2")), OidcError::BadToken(m) if m.contains("nonce")));
        assert!(matches!(with("azp", json!("other")), OidcError::BadToken(m) if m.contains("azp")));
        assert!(matches!(with("exp", json!(now - 600)), OidcError::ClockSkew(_)));
        assert!(matches!(with("iat", json!(now + 600)), OidcError::ClockSkew(_)));
        // within the leeway, a little skew is forgiven
        let mut c = claims(now);
        c["exp"] = json!(now - 30);
        assert!(run(&token(c), now).is_ok());
        let wrong_key = check(
            &token(claims(now)),
            Algorithm::HS256,
            &DecodingKey::from_secret(b"another"),
            "https://idp",
            "ct",
            "n1",
            now,
        );
        assert!(matches!(wrong_key, Err(OidcError::BadToken(m)) if m.contains("signature")));
    }

    #[test]
    fn shared_secret_algorithms_are_refused_and_kids_looked_up() {
        assert!(matches!(header_of(&token(claims(0))), Err(OidcError::BadToken(m)) if m.contains("RS256")));
        assert!(matches!(header_of("not a jwt"), Err(OidcError::BadToken(_))));
        let keys: JwkSet = serde_json::from_value(json!({"keys": [
            {"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256", "n": "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw", "e": "AQAB"}
        ]}))
        .unwrap();
        assert!(matches!(key_for(&keys, Some("k1")), Ok(KeyLookup::Found(_))));
        assert!(matches!(key_for(&keys, None), Ok(KeyLookup::Found(_))));
        assert!(matches!(key_for(&keys, Some("k2")), Ok(KeyLookup::Unknown)));
    }
}
