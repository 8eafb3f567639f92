//! The one error type. Each variant knows its HTTP status and its snake_case code; the message is
//! for the user, while causes that are not the user's business (SQL, mailbox) are logged, not shown.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Bad input: 400 with a code such as `invalid_cron`, and the field at fault where there is one.
    #[error("{message}")]
    Invalid { code: &'static str, message: String, field: Option<&'static str> },
    /// 404 with a code such as `container_not_found`.
    #[error("{message}")]
    NotFound { code: &'static str, message: String },
    /// 409: another action on the same container is in flight.
    #[error("{0}")]
    Busy(String),
    /// 409 with a code such as `dependency_cycle`, `host_exists`, `host_in_use` or `swarm_task`.
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// 409 `self`: Chrontainer will not stop or pause its own container; the message says why.
    #[error("{0}")]
    OwnContainer(String),
    #[error("Sign in, or send an Authorization: Bearer token")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("The request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    /// A body that is not what the route reads (415), e.g. not `Content-Type: application/json`.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 421: the request names a host this instance does not answer to (DNS rebinding, or a name
    /// missing from `CHRONTAINER_ALLOWED_HOSTS`). Holds the name, already clipped.
    #[error(
        "Chrontainer does not answer to the name {0:?}. If that name is yours, add it to \
         CHRONTAINER_ALLOWED_HOSTS (comma-separated host names, without port)"
    )]
    UnknownHost(String),
    #[error("Too many failed attempts; try again in {0} s")]
    TooManyRequests(u64),
    /// 429: one credential (or everyone together) holds as many event streams as allowed.
    #[error("{0}")]
    TooManyStreams(String),
    /// Too much work of one kind at once (argon2 checks): 503 with Retry-After, come back later.
    #[error("Chrontainer is busy checking other passwords; try again in {0} s")]
    Overloaded(u64),
    /// The Docker Engine refused the request (502); the message is Docker's.
    #[error("{0}")]
    Docker(String),
    /// A notification channel's service refused or could not be reached (502); the message names
    /// the remote's status and answer, never the channel's URL.
    #[error("{0}")]
    DeliveryFailed(String),
    /// The Docker Engine cannot be reached (503).
    #[error("Docker is unreachable: {0}")]
    DockerUnreachable(String),
    /// The database cannot be used (503 on /healthz, 500 elsewhere); the cause goes to the log only.
    #[error("The database failed")]
    Database(String),
    /// Anything else that is our fault; the cause goes to the log only.
    #[error("Something went wrong inside Chrontainer")]
    Internal(String),
}

impl AppError {
    pub fn invalid(code: &'static str, field: Option<&'static str>, message: impl Into<String>) -> Self {
        AppError::Invalid { code, message: message.into(), field }
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        AppError::NotFound { code, message: message.into() }
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        AppError::Conflict { code, message: message.into() }
    }

    /// The snake_case code of API.md.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Invalid { code, .. } | AppError::NotFound { code, .. } => code,
            AppError::Conflict { code, .. } => code,
            AppError::Busy(_) => "container_busy",
            AppError::OwnContainer(_) => "self",
            AppError::Unauthorized => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::PayloadTooLarge(_) => "payload_too_large",
            AppError::UnsupportedMediaType(_) => "unsupported_media_type",
            AppError::UnknownHost(_) => "unknown_host",
            AppError::TooManyRequests(_) => "too_many_requests",
            AppError::TooManyStreams(_) => "too_many_streams",
            AppError::Overloaded(_) => "overloaded",
            AppError::Docker(_) => "docker_error",
            AppError::DockerUnreachable(_) => "docker_unreachable",
            AppError::DeliveryFailed(_) => "delivery_failed",
            AppError::Database(_) => "database_error",
            AppError::Internal(_) => "internal_error",
        }
    }

    pub fn field(&self) -> Option<&'static str> {
        match self {
            AppError::Invalid { field, .. } => *field,
            _ => None,
        }
    }

    /// The JSON body of API.md: `{"error": {"code", "message", "field"?}}`.
    pub fn body(&self) -> ErrorBody {
        ErrorBody { error: ErrorDetail { code: self.code(), message: self.to_string(), field: self.field() } }
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self.body()).unwrap_or_default()
    }

    /// The cause for the operator's log: what `Database` and `Internal` hide from the user,
    /// the message itself for the rest.
    pub fn cause(&self) -> String {
        match self {
            AppError::Database(cause) | AppError::Internal(cause) => cause.clone(),
            other => other.to_string(),
        }
    }

    fn log_cause(&self) {
        match self {
            AppError::Database(cause) => log::error!("database error: {cause}"),
            AppError::Internal(cause) => log::error!("internal error: {cause}"),
            _ => {}
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::Invalid { .. } => StatusCode::BAD_REQUEST,
            AppError::NotFound { .. } => StatusCode::NOT_FOUND,
            AppError::Busy(_) | AppError::OwnContainer(_) => StatusCode::CONFLICT,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::UnknownHost(_) => StatusCode::MISDIRECTED_REQUEST,
            AppError::TooManyRequests(_) | AppError::TooManyStreams(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Overloaded(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Docker(_) | AppError::DeliveryFailed(_) => StatusCode::BAD_GATEWAY,
            AppError::DockerUnreachable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Database(_) | AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        self.log_cause();
        let mut response = HttpResponse::build(self.status_code());
        if let AppError::TooManyRequests(seconds) | AppError::Overloaded(seconds) = self {
            response.insert_header(("Retry-After", seconds.to_string()));
        }
        response.json(self.body())
    }
}

/// What every `/api` error answers.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// snake_case, e.g. `invalid_cron`, `schedule_not_found`, `unauthorized`
    #[schema(example = "invalid_cron")]
    pub code: &'static str,
    /// A sentence a person understands.
    pub message: String,
    /// The input at fault, where one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub field: Option<&'static str>,
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        AppError::Database(e.to_string())
    }
}

impl From<crate::cron::CronError> for AppError {
    fn from(e: crate::cron::CronError) -> Self {
        let (code, field) = (e.code(), e.field());
        AppError::invalid(code, field, e.to_string())
    }
}

impl From<actix::MailboxError> for AppError {
    fn from(e: actix::MailboxError) -> Self {
        AppError::Internal(format!("actor mailbox: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn invalid_cron_has_code_message_and_field() {
        let e = AppError::invalid("invalid_cron", Some("cron"), "hour: 24 is out of range 0-23");
        assert_eq!(e.status_code(), StatusCode::BAD_REQUEST);
        assert_eq!(
            e.to_json(),
            json!({"error": {"code": "invalid_cron", "message": "hour: 24 is out of range 0-23", "field": "cron"}})
        );
    }

    #[test]
    fn database_cause_is_not_shown_to_the_user() {
        let e = AppError::Database("disk I/O error at /data/chrontainer.db".into());
        assert_eq!(e.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(e.to_json()["error"]["message"], "The database failed");
        assert!(e.to_json()["error"].get("field").is_none());
    }

    #[test]
    fn busy_is_409_container_busy() {
        let e = AppError::Busy("An action on web is still running".into());
        assert_eq!(e.status_code(), StatusCode::CONFLICT);
        assert_eq!(e.code(), "container_busy");
    }

    #[test]
    fn its_own_container_is_409_self() {
        let e = AppError::OwnContainer("Chrontainer will not stop its own container c: …".into());
        assert_eq!(e.status_code(), StatusCode::CONFLICT);
        assert_eq!(e.to_json()["error"]["code"], "self");
        assert_eq!(e.to_json()["error"]["message"], "Chrontainer will not stop its own container c: …");
    }
}
