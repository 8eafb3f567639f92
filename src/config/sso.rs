//! The settings of single sign-on: the OpenID provider (`CHRONTAINER_OIDC_*`), the public URL its
//! redirect is made from, the groups that make admins and viewers, and forward auth behind a
//! trusted reverse proxy (`CHRONTAINER_TRUSTED_PROXIES`, the header names).

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;

use super::{secret, AuthMode, ConfigError};

/// Where the provider sends the browser back, under `CHRONTAINER_PUBLIC_URL`.
pub const CALLBACK_PATH: &str = "/login/oidc/callback";

#[derive(Clone)]
pub struct OidcConfig {
    /// `CHRONTAINER_OIDC_ISSUER` as given (some providers end theirs with `/`); discovery is at
    /// `<issuer without the slash>/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    /// `None` for a public client (PKCE alone).
    pub client_secret: Option<String>,
    /// Always with `openid`.
    pub scopes: Vec<String>,
    /// What the login page's button says: "Sign in with <name>".
    pub name: String,
    /// `<public url>/login/oidc/callback`, as registered with the provider.
    pub redirect_url: String,
    /// Where the provider sends the browser after signing out there: `<public url>/login`.
    pub after_logout_url: String,
}

impl fmt::Debug for OidcConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcConfig")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "<redacted>"))
            .field("scopes", &self.scopes)
            .field("name", &self.name)
            .field("redirect_url", &self.redirect_url)
            .finish()
    }
}

/// The groups that make a signed-in person an admin or a viewer; someone in neither is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupRoles {
    /// The ID token's (or userinfo's) claim that lists the groups: `groups` by default.
    pub claim: String,
    pub admin: String,
    pub viewer: String,
}

/// `CHRONTAINER_AUTH=proxy`: who may say who a request is from, and in which headers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForwardAuth {
    /// Addresses (single or CIDR) of the reverse proxies whose headers are believed.
    pub trusted: Vec<IpNet>,
    pub user_header: String,
    pub groups_header: String,
    pub email_header: String,
}

impl ForwardAuth {
    /// Whether a connection from `ip` is one of the trusted proxies.
    pub fn trusts(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        self.trusted.iter().any(|net| net.contains(&ip))
    }
}

pub(super) fn oidc(
    get: &impl Fn(&str) -> Option<String>,
    var: &impl Fn(&str) -> Option<String>,
    public_url: Option<&str>,
    auth: AuthMode,
) -> Result<Option<OidcConfig>, ConfigError> {
    let Some(issuer) = get("CHRONTAINER_OIDC_ISSUER") else {
        if auth == AuthMode::Oidc {
            return Err(ConfigError(
                "CHRONTAINER_AUTH=oidc needs CHRONTAINER_OIDC_ISSUER (and its client id and secret)".into(),
            ));
        }
        return Ok(None);
    };
    let issuer = issuer.trim().to_string();
    if !(issuer.starts_with("https://") || issuer.starts_with("http://")) {
        return Err(ConfigError(format!(
            "CHRONTAINER_OIDC_ISSUER={issuer} is not a web address (e.g. https://auth.example.org)"
        )));
    }
    let client_id = get("CHRONTAINER_OIDC_CLIENT_ID").map(|v| v.trim().to_string()).ok_or_else(|| {
        ConfigError("CHRONTAINER_OIDC_ISSUER is set but CHRONTAINER_OIDC_CLIENT_ID is not".into())
    })?;
    let client_secret = secret(var, "CHRONTAINER_OIDC_CLIENT_SECRET")?;
    let public_url = public_url.ok_or_else(|| {
        ConfigError(
            "CHRONTAINER_OIDC_ISSUER needs CHRONTAINER_PUBLIC_URL, the address people reach Chrontainer by: \
             the provider sends them back to <that>/login/oidc/callback"
                .into(),
        )
    })?;
    let mut scopes: Vec<String> = get("CHRONTAINER_OIDC_SCOPES")
        .unwrap_or_else(|| "openid profile email groups".into())
        .split([' ', ','])
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if !scopes.iter().any(|s| s == "openid") {
        scopes.insert(0, "openid".into());
    }
    let name = get("CHRONTAINER_OIDC_NAME").map(|n| n.trim().to_string()).unwrap_or_else(|| {
        let host = issuer.split("://").nth(1).unwrap_or(&issuer);
        host.split(['/', ':']).next().unwrap_or(host).to_string()
    });
    Ok(Some(OidcConfig {
        issuer,
        client_id,
        client_secret,
        scopes,
        name,
        redirect_url: format!("{public_url}{CALLBACK_PATH}"),
        after_logout_url: format!("{public_url}/login"),
    }))
}

pub(super) fn group_roles(get: &impl Fn(&str) -> Option<String>) -> GroupRoles {
    let value =
        |name: &str, default: &str| get(name).map_or_else(|| default.to_string(), |v| v.trim().into());
    GroupRoles {
        claim: value("CHRONTAINER_OIDC_GROUPS_CLAIM", "groups"),
        admin: value("CHRONTAINER_OIDC_ADMIN_GROUP", "chrontainer-admins"),
        viewer: value("CHRONTAINER_OIDC_VIEWER_GROUP", "chrontainer-viewers"),
    }
}

pub(super) fn forward_auth(
    get: &impl Fn(&str) -> Option<String>,
    auth: AuthMode,
) -> Result<ForwardAuth, ConfigError> {
    let trusted = get("CHRONTAINER_TRUSTED_PROXIES")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(|a| {
            a.parse::<IpNet>().or_else(|_| a.parse::<IpAddr>().map(IpNet::from)).map_err(|_| {
                ConfigError(format!(
                    "CHRONTAINER_TRUSTED_PROXIES: {a:?} is not an address or a network (e.g. 172.18.0.2 or \
                     172.18.0.0/16, comma-separated)"
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if auth == AuthMode::Proxy && trusted.is_empty() {
        return Err(ConfigError(
            "CHRONTAINER_AUTH=proxy needs CHRONTAINER_TRUSTED_PROXIES, the address of the reverse proxy \
             whose Remote-User header is believed"
                .into(),
        ));
    }
    let header = |name: &str, default: &str| -> Result<String, ConfigError> {
        let value = get(name).map_or_else(|| default.to_string(), |v| v.trim().to_ascii_lowercase());
        if !value.is_empty() && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            Ok(value)
        } else {
            Err(ConfigError(format!("{name}={value} is not a header name (letters, digits, -)")))
        }
    };
    Ok(ForwardAuth {
        trusted,
        user_header: header("CHRONTAINER_PROXY_USER_HEADER", "remote-user")?,
        groups_header: header("CHRONTAINER_PROXY_GROUPS_HEADER", "remote-groups")?,
        email_header: header("CHRONTAINER_PROXY_EMAIL_HEADER", "remote-email")?,
    })
}

#[cfg(test)]
mod tests {
    use crate::config::{AuthMode, Config, ConfigError};
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    const OIDC: [(&str, &str); 4] = [
        ("CHRONTAINER_OIDC_ISSUER", "https://auth.example.org/"),
        ("CHRONTAINER_OIDC_CLIENT_ID", "chrontainer"),
        ("CHRONTAINER_OIDC_CLIENT_SECRET", "s3cret-s3cret"),
        ("CHRONTAINER_PUBLIC_URL", "https://ct.example.org/"),
    ];

    #[test]
    fn the_provider_needs_a_client_and_a_public_url() {
        let c = config(&OIDC).unwrap();
        let o = c.oidc.unwrap();
        assert_eq!(o.issuer, "https://auth.example.org/");
        assert_eq!(o.redirect_url, "https://ct.example.org/login/oidc/callback");
        assert_eq!(o.name, "auth.example.org");
        assert_eq!(o.scopes, ["openid", "profile", "email", "groups"]);
        assert!(!format!("{o:?}").contains("s3cret"));
        assert_eq!(c.auth, AuthMode::Password, "the password form stays beside the button");
        let e = config(&OIDC[..2]).unwrap_err();
        assert!(e.0.contains("CHRONTAINER_PUBLIC_URL"), "{e}");
        let e = config(&[("CHRONTAINER_AUTH", "oidc")]).unwrap_err();
        assert!(e.0.contains("CHRONTAINER_OIDC_ISSUER"), "{e}");
        let e = config(&[("CHRONTAINER_OIDC_ISSUER", "https://a.example")]).unwrap_err();
        assert!(e.0.contains("CHRONTAINER_OIDC_CLIENT_ID"), "{e}");
        let mut scopes = OIDC.to_vec();
        scopes.push(("CHRONTAINER_OIDC_SCOPES", "profile,groups"));
        assert_eq!(config(&scopes).unwrap().oidc.unwrap().scopes, ["openid", "profile", "groups"]);
        assert!(config(&[("CHRONTAINER_PUBLIC_URL", "ct.example.org")]).is_err());
    }

    #[test]
    fn forward_auth_trusts_only_the_proxies_named() {
        let e = config(&[("CHRONTAINER_AUTH", "proxy")]).unwrap_err();
        assert!(e.0.contains("CHRONTAINER_TRUSTED_PROXIES"), "{e}");
        let c = config(&[
            ("CHRONTAINER_AUTH", "proxy"),
            ("CHRONTAINER_TRUSTED_PROXIES", "172.18.0.0/16, 10.0.0.5"),
            ("CHRONTAINER_PROXY_USER_HEADER", "X-Authentik-Username"),
        ])
        .unwrap();
        let f = c.forward_auth;
        assert!(f.trusts("172.18.3.4".parse().unwrap()) && f.trusts("10.0.0.5".parse().unwrap()));
        assert!(f.trusts("::ffff:10.0.0.5".parse().unwrap()));
        assert!(!f.trusts("10.0.0.6".parse().unwrap()) && !f.trusts("127.0.0.1".parse().unwrap()));
        assert_eq!(f.user_header, "x-authentik-username");
        assert_eq!(f.groups_header, "remote-groups");
        let e = config(&[("CHRONTAINER_TRUSTED_PROXIES", "proxy.lan")]).unwrap_err();
        assert!(e.0.contains("\"proxy.lan\" is not an address"), "{e}");
        assert_eq!(c.group_roles.admin, "chrontainer-admins");
    }
}
