//! The provider's endpoints over the project's one outgoing client (`crate::outbound`): a GET
//! (discovery, keys, userinfo) and a form POST (the token endpoint). A provider that cannot be
//! reached is `ProviderDown`, named by what failed, never by a secret.

use bytes::Bytes;
use http::header;

use super::error::OidcError;
use crate::outbound::{Outbound, Reply};

/// `GET url`, with `authorization` when given; the status and the body.
pub async fn get(client: &Outbound, url: &str, authorization: Option<&str>) -> Result<Reply, OidcError> {
    let mut request = http::Request::get(url).header(header::ACCEPT, "application/json");
    if let Some(value) = authorization {
        request = request.header(header::AUTHORIZATION, value);
    }
    send(client, url, request.body(Bytes::new())).await
}

/// `POST url` with a form body (and `authorization` when given).
pub async fn post_form(
    client: &Outbound,
    url: &str,
    authorization: Option<&str>,
    form: String,
) -> Result<Reply, OidcError> {
    let mut request = http::Request::post(url)
        .header(header::ACCEPT, "application/json")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(value) = authorization {
        request = request.header(header::AUTHORIZATION, value);
    }
    send(client, url, request.body(Bytes::from(form))).await
}

async fn send(
    client: &Outbound,
    url: &str,
    request: Result<http::Request<Bytes>, http::Error>,
) -> Result<Reply, OidcError> {
    // the provider's URLs hold no secrets (the code and the client secret travel in the body)
    let request = request.map_err(|_| OidcError::ProviderDown(format!("{url} is not a usable address")))?;
    client.send(request).await.map_err(|e| OidcError::ProviderDown(format!("{url}: {e}")))
}
