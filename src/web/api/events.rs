//! `GET /api/events`: live updates as a `text/event-stream`.

use std::time::Duration;

use actix_web::web::Bytes;
use actix_web::{web, HttpResponse};
use tokio::sync::broadcast::error::RecvError;

use crate::web::AppState;

/// A comment line this often keeps proxies from closing an idle stream.
const KEEPALIVE: Duration = Duration::from_secs(15);

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/events", web::get().to(stream));
}

async fn stream(state: web::Data<AppState>) -> HttpResponse {
    let rx = state.bus.subscribe();
    let first = futures_util::stream::once(async {
        Ok::<_, actix_web::Error>(Bytes::from_static(b": connected\n\n"))
    });
    let events = futures_util::stream::unfold(rx, |mut rx| async move {
        let chunk = match tokio::time::timeout(KEEPALIVE, rx.recv()).await {
            Ok(Ok(event)) => format!("event: {}\ndata: {}\n\n", event.name(), event.data()),
            // fell behind: tell the page to reload what it shows
            Ok(Err(RecvError::Lagged(n))) => format!("event: lagged\ndata: {n}\n\n"),
            Ok(Err(RecvError::Closed)) => return None,
            Err(_) => ": keepalive\n\n".to_string(),
        };
        Some((Ok::<_, actix_web::Error>(Bytes::from(chunk)), rx))
    });
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(futures_util::StreamExt::chain(first, events))
}
