//! `GET /api/events`: live updates as a `text/event-stream`, for as long as the credential that
//! opened it lasts.

use std::time::Duration;

use actix_web::{web, HttpRequest, HttpResponse};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::broadcast::Receiver;
use tokio::time::{interval_at, Instant, Interval, MissedTickBehavior};

use crate::auth::Identity;
use crate::error::AppError;
use crate::events::Event;
use crate::web::streams::{event_stream, Recheck, Slot};
use crate::web::AppState;

/// How often a stream looks its credential up again (a revoked token, a signed-out or deleted
/// user, a password change end it by the next tick) and sends a comment line, which keeps
/// proxies from closing an idle stream and shows a client that went away.
const TICK: Duration = Duration::from_secs(10);

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/events", web::get().to(stream));
}

/// The ticks of a stream: the first one `TICK` from now, none made up for after a stall.
pub(super) fn ticks() -> Interval {
    let mut ticks = interval_at(Instant::now() + TICK, TICK);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    ticks
}

#[utoipa::path(get, path = "/api/events", operation_id = "events", tag = "events",
    summary = "Live updates as server-sent events",
    description = "Event names: `container` (a Container whose state changed, or `{\"id\", \"deleted\": true, \"name\"}` \
        when it is removed), `log` (a new LogEntry), \
        `schedule` (a Schedule that changed, or `{\"id\": …, \"deleted\": true}`), `docker` (a host's \
        Engine became reachable or unreachable: `/healthz`'s `docker` object with the `host`), and \
        `lagged` (the client fell behind: reload what it shows). Each stream re-checks its \
        credential every 10 s and ends when it is gone; at most 8 streams per credential and 64 in all.",
    responses(
        (status = 200, description = "an event stream", body = String, content_type = "text/event-stream"),
        (status = 429, description = "too_many_streams", body = crate::error::ErrorBody),
    ))]
pub(super) async fn stream(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: Identity,
) -> Result<HttpResponse, AppError> {
    let recheck = Recheck::new(&req, &who, state.clone().into_inner())?;
    let slot = state.streams.open(&who)?;
    let live = Live { rx: state.bus.subscribe(), ticks: ticks(), recheck, _slot: slot };
    let events = futures_util::stream::unfold(live, |mut live| async move {
        let chunk = live.next().await?;
        Some((chunk, live))
    });
    Ok(event_stream(events))
}

/// What one open stream holds. Dropped, with its slot, when the client goes away or it ends.
struct Live {
    rx: Receiver<Event>,
    ticks: Interval,
    recheck: Recheck,
    _slot: Slot,
}

impl Live {
    /// The next chunk to send, or `None` to end the stream.
    async fn next(&mut self) -> Option<String> {
        tokio::select! {
            got = self.rx.recv() => match got {
                Ok(event) => Some(format!("event: {}\ndata: {}\n\n", event.name(), event.data())),
                // fell behind: tell the page to reload what it shows
                Err(RecvError::Lagged(n)) => Some(format!("event: lagged\ndata: {n}\n\n")),
                Err(RecvError::Closed) => None,
            },
            _ = self.ticks.tick() => self.recheck.still_allowed().await.then(|| ": keepalive\n\n".to_string()),
        }
    }
}
