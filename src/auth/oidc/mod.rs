//! Signing in through an OpenID provider: the authorization code flow with PKCE (S256), `state`
//! and `nonce`. The provider is found by discovery (`/.well-known/openid-configuration`, read at
//! the first sign-in and kept); its keys (the JWKS) are kept too, and fetched again when a token
//! names a key they do not hold, so a rotation needs no restart. ID tokens are checked in
//! `verify.rs`; sign-ins under way are in `pending.rs`. The HTTP is `crate::outbound`'s.
//!
//! The web side (`web/pages/oidc.rs`) turns what this answers into a session, as for a password.

pub mod error;
mod http;
pub mod pending;
pub mod verify;

use std::time::Instant;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::jwk::JwkSet;
use serde::Deserialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use tokio::sync::RwLock;

use self::error::{provider_words, OidcError};
use self::pending::PendingSignIns;
use self::verify::KeyLookup;
use crate::auth::users::check_username;
use crate::config::{GroupRoles, OidcConfig};
use crate::outbound::Outbound;

/// What discovery tells, of what this client uses.
#[derive(Clone, Debug, Deserialize)]
pub struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
    #[serde(default)]
    pub end_session_endpoint: Option<String>,
}

/// Someone the provider signed in, with what their claims say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedIn {
    /// The provider's `sub`: who they are there, for good.
    pub subject: String,
    /// A name that is a valid user name here.
    pub username: String,
    pub groups: Vec<String>,
    /// Where they were going (a local path).
    pub next: String,
}

/// One OpenID provider, its discovery and keys as last fetched, and the sign-ins under way.
pub struct Provider {
    config: OidcConfig,
    client: Outbound,
    groups_claim: String,
    discovery: RwLock<Option<Discovery>>,
    keys: RwLock<JwkSet>,
    pending: PendingSignIns,
}

/// The token endpoint's answer.
#[derive(Deserialize)]
struct TokenAnswer {
    id_token: Option<String>,
    access_token: Option<String>,
}

/// A provider's error answer (RFC 6749 §5.2).
#[derive(Deserialize)]
struct ErrorAnswer {
    error: String,
    error_description: Option<String>,
}

impl Provider {
    pub fn new(config: OidcConfig, roles: &GroupRoles, client: Outbound) -> Provider {
        Provider {
            config,
            client,
            groups_claim: roles.claim.clone(),
            discovery: RwLock::new(None),
            keys: RwLock::new(JwkSet { keys: Vec::new() }),
            pending: PendingSignIns::default(),
        }
    }

    pub fn config(&self) -> &OidcConfig {
        &self.config
    }

    /// The discovery document, fetched once it is needed and kept once it was good.
    async fn discovery(&self) -> Result<Discovery, OidcError> {
        if let Some(d) = self.discovery.read().await.as_ref() {
            return Ok(d.clone());
        }
        let base = self.config.issuer.trim_end_matches('/');
        let url = format!("{base}/.well-known/openid-configuration");
        let reply = http::get(&self.client, &url, None).await?;
        if reply.status != 200 {
            let status = reply.status;
            return Err(OidcError::ProviderDown(format!("its discovery document {url} answered {status}")));
        }
        let d: Discovery = serde_json::from_slice(&reply.body).map_err(|e| {
            OidcError::ProviderDown(format!("its discovery document {url} cannot be read ({e})"))
        })?;
        if d.issuer.trim_end_matches('/') != base {
            return Err(OidcError::ProviderDown(format!(
                "its discovery document names the issuer {:?}, not CHRONTAINER_OIDC_ISSUER={}",
                crate::text::clip(&d.issuer, 200),
                self.config.issuer
            )));
        }
        *self.discovery.write().await = Some(d.clone());
        Ok(d)
    }

    /// The end of sign-out at the provider, when it offers one: where to send the browser.
    pub async fn end_session_url(&self) -> Option<String> {
        let d = self.discovery().await.ok()?;
        let endpoint = d.end_session_endpoint?;
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("client_id", &self.config.client_id)
            .append_pair("post_logout_redirect_uri", &self.config.after_logout_url)
            .finish();
        Some(with_query(&endpoint, &query))
    }

    /// Starts a sign-in: the provider's authorization URL to send the browser to, and the `state`
    /// the browser keeps (in a cookie) to come back with.
    pub async fn begin(&self, next: String) -> Result<(String, String), OidcError> {
        let d = self.discovery().await?;
        let (state, pending) = self.pending.begin(next, Instant::now())?;
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(pending.verifier.as_bytes()));
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.config.client_id)
            .append_pair("redirect_uri", &self.config.redirect_url)
            .append_pair("scope", &self.config.scopes.join(" "))
            .append_pair("state", &state)
            .append_pair("nonce", &pending.nonce)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256")
            .finish();
        Ok((with_query(&d.authorization_endpoint, &query), state))
    }

    /// Finishes a sign-in the provider sent back with `code`: the state must be this browser's
    /// (`cookie`), the code is exchanged (with the PKCE verifier), the ID token checked, and the
    /// claims it lacks taken from userinfo.
    pub async fn finish(&self, state: &str, cookie: Option<&str>, code: &str) -> Result<SignedIn, OidcError> {
        let pending = self.pending.finish(state, cookie, Instant::now())?;
        let d = self.discovery().await?;
        let answer = self.exchange(&d, code, &pending.verifier).await?;
        let id_token = answer.id_token.ok_or_else(|| {
            OidcError::BadToken("the token endpoint sent no ID token (is `openid` a scope?)".into())
        })?;
        let claims = self.verified(&d, &id_token, &pending.nonce).await?;
        let mut rest = claims.rest;
        let lacking = !rest.contains_key(&self.groups_claim) || !rest.contains_key("preferred_username");
        if let (true, Some(endpoint), Some(token)) = (lacking, &d.userinfo_endpoint, &answer.access_token) {
            for (k, v) in self.userinfo(endpoint, token, &claims.sub).await? {
                rest.entry(k).or_insert(v);
            }
        }
        Ok(SignedIn {
            username: username_of(&rest, &claims.sub)?,
            groups: groups_of(rest.get(&self.groups_claim)),
            subject: claims.sub,
            next: pending.next,
        })
    }

    async fn exchange(&self, d: &Discovery, code: &str, verifier: &str) -> Result<TokenAnswer, OidcError> {
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.append_pair("grant_type", "authorization_code")
            .append_pair("code", code)
            .append_pair("redirect_uri", &self.config.redirect_url)
            .append_pair("code_verifier", verifier);
        // client_secret_basic, the default of every provider; a public client names itself
        let basic = match &self.config.client_secret {
            Some(secret) => {
                let pair = format!("{}:{}", form_encode(&self.config.client_id), form_encode(secret));
                Some(format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair)))
            }
            None => {
                form.append_pair("client_id", &self.config.client_id);
                None
            }
        };
        let reply = http::post_form(&self.client, &d.token_endpoint, basic.as_deref(), form.finish()).await?;
        let (status, body) = (reply.status.as_u16(), reply.body);
        if status == 200 {
            return serde_json::from_slice(&body).map_err(|e| {
                OidcError::ProviderDown(format!("its token endpoint answered something unreadable ({e})"))
            });
        }
        let said = serde_json::from_slice::<ErrorAnswer>(&body)
            .map(|e| provider_words(&e.error, e.error_description.as_deref()));
        match said {
            Ok(words)
                if status == 401
                    || words.starts_with("invalid_client")
                    || words.starts_with("unauthorized_client") =>
            {
                Err(OidcError::ClientRefused(words))
            }
            Ok(words) => {
                Err(OidcError::Denied(format!("the code was refused at its token endpoint: {words}")))
            }
            Err(_) => Err(OidcError::ProviderDown(format!("its token endpoint answered {status}"))),
        }
    }

    /// The ID token's claims, once its signature and claims are good; the keys are fetched again
    /// when none has the token's `kid`.
    async fn verified(
        &self,
        d: &Discovery,
        id_token: &str,
        nonce: &str,
    ) -> Result<verify::IdClaims, OidcError> {
        let (kid, alg) = verify::header_of(id_token)?;
        let mut lookup = verify::key_for(&*self.keys.read().await, kid.as_deref())?;
        if matches!(lookup, KeyLookup::Unknown) {
            let fresh = self.fetch_keys(&d.jwks_uri).await?;
            lookup = verify::key_for(&fresh, kid.as_deref())?;
            *self.keys.write().await = fresh;
        }
        let KeyLookup::Found(key) = lookup else {
            return Err(OidcError::BadToken(format!(
                "it is signed with a key ({}) the provider does not publish",
                kid.as_deref()
                    .map_or("without a kid".to_string(), |k| format!("kid {}", crate::text::clip(k, 80)))
            )));
        };
        let now = chrono::Utc::now().timestamp();
        verify::check(id_token, alg, &key, &d.issuer, &self.config.client_id, nonce, now)
    }

    async fn fetch_keys(&self, jwks_uri: &str) -> Result<JwkSet, OidcError> {
        let reply = http::get(&self.client, jwks_uri, None).await?;
        let (status, body) = (reply.status.as_u16(), reply.body);
        if status != 200 {
            return Err(OidcError::ProviderDown(format!("its keys {jwks_uri} answered {status}")));
        }
        // keys of kinds this build cannot use are left out, not a reason to refuse the rest
        let raw: Value = serde_json::from_slice(&body)
            .map_err(|e| OidcError::ProviderDown(format!("its keys {jwks_uri} cannot be read ({e})")))?;
        let keys = raw
            .get("keys")
            .and_then(Value::as_array)
            .map(|keys| keys.iter().filter_map(|k| serde_json::from_value(k.clone()).ok()).collect())
            .unwrap_or_default();
        Ok(JwkSet { keys })
    }

    async fn userinfo(
        &self,
        endpoint: &str,
        token: &str,
        sub: &str,
    ) -> Result<Map<String, Value>, OidcError> {
        let reply = http::get(&self.client, endpoint, Some(&format!("Bearer {token}"))).await?;
        let (status, body) = (reply.status.as_u16(), reply.body);
        if status != 200 {
            return Err(OidcError::ProviderDown(format!("its userinfo endpoint answered {status}")));
        }
        let info: Map<String, Value> = serde_json::from_slice(&body).map_err(|e| {
            OidcError::ProviderDown(format!("its userinfo endpoint answered something unreadable ({e})"))
        })?;
        if info.get("sub").and_then(Value::as_str) != Some(sub) {
            return Err(OidcError::BadToken("userinfo speaks of another user than the ID token".into()));
        }
        Ok(info)
    }
}

/// `url` with `query` added to the query it may have.
fn with_query(url: &str, query: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{query}")
}

/// `application/x-www-form-urlencoded` of one value, as client_secret_basic wants its parts.
fn form_encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The name the user gets here: `preferred_username`, else `email`, else `sub`, the first that
/// is a valid user name.
fn username_of(claims: &Map<String, Value>, sub: &str) -> Result<String, OidcError> {
    let candidates = [
        claims.get("preferred_username").and_then(Value::as_str),
        claims.get("email").and_then(Value::as_str),
        Some(sub),
    ];
    candidates.into_iter().flatten().find_map(|c| check_username(c).ok()).ok_or_else(|| {
        OidcError::NoUsableName(format!(
            "The identity provider names you {:?}, which cannot be a user name here (1 to 64 of letters, \
             digits and . _ @ -): ask whoever runs it for a plainer preferred_username.",
            crate::text::clip(claims.get("preferred_username").and_then(Value::as_str).unwrap_or(sub), 80)
        ))
    })
}

/// A groups claim: a list of names, or one name (some providers send a string for one group).
fn groups_of(claim: Option<&Value>) -> Vec<String> {
    match claim {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        Some(Value::String(one)) => vec![one.clone()],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_and_groups_come_from_the_claims() {
        let claims = |v: Value| v.as_object().unwrap().clone();
        assert_eq!(username_of(&claims(json!({"preferred_username": "ann"})), "s1").unwrap(), "ann");
        assert_eq!(
            username_of(&claims(json!({"preferred_username": "Ann Smith", "email": "ann@x.org"})), "s1")
                .unwrap(),
            "ann@x.org"
        );
        assert_eq!(username_of(&claims(json!({})), "248289761001").unwrap(), "248289761001");
        assert!(matches!(username_of(&claims(json!({})), "a b"), Err(OidcError::NoUsableName(_))));
        assert_eq!(groups_of(Some(&json!(["a", 3, "b"]))), ["a", "b"]);
        assert_eq!(groups_of(Some(&json!("ops"))), ["ops"]);
        assert!(groups_of(None).is_empty());
        assert_eq!(with_query("https://idp/auth?x=1", "a=b"), "https://idp/auth?x=1&a=b");
        assert_eq!(form_encode("a:b c"), "a%3Ab+c");
    }
}
