//! `/settings/notifications`: notification channels (admins only): add, edit, test, enable or
//! disable, delete, and the last deliveries with their errors. Plain forms that post and come back
//! here (303), as on `/settings`; the URLs are shown redacted only.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use serde::{Deserialize, Serialize};

use super::{render_or_error, see_other, Common};
use crate::auth::Identity;
use crate::error::AppError;
use crate::store::deliveries::Delivery;
use crate::web::api::channels::{self, Channel, ChannelBody, TestResult, EVENTS};
use crate::web::identity::PageAuth;
use crate::web::input::path_id;
use crate::web::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/settings/notifications", web::get().to(page))
        .route("/settings/notifications", web::post().to(add))
        .route("/settings/notifications/{id}", web::post().to(edit))
        .route("/settings/notifications/{id}/test", web::post().to(test))
        .route("/settings/notifications/{id}/toggle", web::post().to(toggle))
        .route("/settings/notifications/{id}/delete", web::post().to(delete));
}

#[derive(Serialize)]
struct EventBox {
    value: &'static str,
    checked: bool,
}

#[derive(Serialize)]
struct ChannelItem {
    #[serde(flatten)]
    channel: Channel,
    boxes: Vec<EventBox>,
    events_text: String,
}

#[derive(Serialize)]
struct View {
    #[serde(flatten)]
    common: Common,
    auth: PageAuth,
    channels: Vec<ChannelItem>,
    new_boxes: Vec<EventBox>,
    deliveries: Vec<Delivery>,
    /// What the last form did, or the test button's answer.
    done: Option<String>,
    error: Option<String>,
}

fn boxes(wanted: &[String]) -> Vec<EventBox> {
    EVENTS.iter().map(|e| EventBox { value: e, checked: wanted.iter().any(|w| w == e) }).collect()
}

fn done_message(key: &str) -> Option<&'static str> {
    Some(match key {
        "created" => "The channel is added.",
        "updated" => "The channel is changed.",
        "deleted" => "The channel is deleted.",
        _ => return None,
    })
}

async fn view(
    state: &AppState,
    req: &HttpRequest,
    who: &Identity,
    error: Option<String>,
    tested: Option<String>,
) -> Result<View, AppError> {
    let list = channels::visible(state, who).await?;
    let deliveries = crate::store::deliveries::recent(&state.actors.store, 20, None).await?;
    let done = web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
        .ok()
        .and_then(|q| q.get("done").and_then(|d| done_message(d)))
        .map(str::to_string);
    let defaults: Vec<String> = channels::DEFAULT_EVENTS.iter().map(|e| e.to_string()).collect();
    Ok(View {
        common: Common::new("Notifications", "settings"),
        auth: PageAuth::of(req),
        channels: list
            .into_iter()
            .map(|c| ChannelItem { boxes: boxes(&c.events), events_text: c.events.join(", "), channel: c })
            .collect(),
        new_boxes: boxes(&defaults),
        deliveries,
        done: if error.is_some() { None } else { tested.or(done) },
        error,
    })
}

async fn answer(
    state: &AppState,
    req: &HttpRequest,
    who: &Identity,
    error: Option<AppError>,
) -> HttpResponse {
    answer_with(state, req, who, error, None).await
}

/// The page, with `tested` (the test button's answer) as its banner.
async fn answer_with(
    state: &AppState,
    req: &HttpRequest,
    who: &Identity,
    error: Option<AppError>,
    tested: Option<String>,
) -> HttpResponse {
    let status = error.as_ref().map_or(StatusCode::OK, ResponseError::status_code);
    match view(state, req, who, error.map(|e| e.to_string()), tested).await {
        Ok(view) => render_or_error(state, status, "notifications", &view),
        Err(e) => super::error_page(&state.templates, &e),
    }
}

async fn after(
    state: &AppState,
    req: &HttpRequest,
    who: &Identity,
    result: Result<(), AppError>,
    done: &str,
) -> HttpResponse {
    match result {
        Ok(()) => see_other(&format!("/settings/notifications?done={done}")),
        Err(e) => answer(state, req, who, Some(e)).await,
    }
}

async fn page(state: web::Data<AppState>, req: HttpRequest, who: Identity) -> HttpResponse {
    answer(&state, &req, &who, None).await
}

/// The add and edit forms: an empty URL on edit keeps the stored one (it is never shown).
#[derive(Deserialize)]
struct ChannelForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    enabled: Option<String>,
    ev_error: Option<String>,
    ev_missed: Option<String>,
    ev_gave_up: Option<String>,
    ev_skipped: Option<String>,
    ev_success: Option<String>,
}

impl ChannelForm {
    fn body(self, keep_empty_url: bool) -> ChannelBody {
        let ticked = [
            ("error", &self.ev_error),
            ("missed", &self.ev_missed),
            ("gave_up", &self.ev_gave_up),
            ("skipped", &self.ev_skipped),
            ("success", &self.ev_success),
        ];
        let events = ticked.iter().filter(|(_, v)| v.is_some()).map(|(e, _)| e.to_string()).collect();
        let url = if keep_empty_url && self.url.trim().is_empty() { None } else { Some(self.url) };
        ChannelBody {
            name: Some(self.name),
            url,
            events: Some(events),
            enabled: Some(self.enabled.is_some()),
        }
    }
}

fn id_of(raw: &str) -> Result<i32, AppError> {
    path_id(raw, "channel_not_found", "notification channel")
}

async fn add(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: Identity,
    form: web::Form<ChannelForm>,
) -> HttpResponse {
    let result = channels::create(&state, &who, form.into_inner().body(false)).await.map(|_| ());
    after(&state, &req, &who, result, "created").await
}

async fn edit(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: Identity,
    id: web::Path<String>,
    form: web::Form<ChannelForm>,
) -> HttpResponse {
    let result = async { channels::update(&state, &who, id_of(&id)?, form.into_inner().body(true)).await };
    after(&state, &req, &who, result.await.map(|_| ()), "updated").await
}

async fn test(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: Identity,
    id: web::Path<String>,
) -> HttpResponse {
    let result = async { channels::test(&state, &who, id_of(&id)?).await };
    // the page itself, not a redirect: the remote's answer stays out of the address (and the logs)
    match result.await {
        Ok(sent) => answer_with(&state, &req, &who, None, Some(tested(&sent))).await,
        Err(AppError::DeliveryFailed(said)) => {
            let e = AppError::DeliveryFailed(format!("The test message was not delivered: {said}"));
            answer_with(&state, &req, &who, Some(e), None).await
        }
        Err(e) => answer_with(&state, &req, &who, Some(e), None).await,
    }
}

/// The banner of a delivered test: the remote's status and the first part of its answer, as the
/// API's test route returns them (the template escapes it).
fn tested(sent: &TestResult) -> String {
    match sent.answer.as_str() {
        "" => format!("The test message was delivered: the remote answered {}.", sent.status),
        said => format!("The test message was delivered: the remote answered {}: {said}", sent.status),
    }
}

async fn toggle(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: Identity,
    id: web::Path<String>,
) -> HttpResponse {
    let result = async {
        let id = id_of(&id)?;
        let enabled = !crate::store::channels::get(&state.actors.store, id).await?.enabled;
        channels::update(&state, &who, id, ChannelBody { enabled: Some(enabled), ..Default::default() }).await
    };
    after(&state, &req, &who, result.await.map(|_| ()), "updated").await
}

async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: Identity,
    id: web::Path<String>,
) -> HttpResponse {
    let result = async { channels::remove(&state, &who, id_of(&id)?).await };
    after(&state, &req, &who, result.await, "deleted").await
}
