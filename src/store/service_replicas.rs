//! The `service_replicas` table: how many replicas a Swarm service had when Chrontainer scaled it
//! to 0, so that `start` restores them.

use diesel::prelude::*;

use super::schema::service_replicas;
use super::Store;
use crate::domain::HostId;
use crate::error::AppError;

/// Remembers `replicas` for `service` on `host` (replacing what was remembered).
pub async fn remember(store: &Store, host: HostId, service: String, replicas: u64) -> Result<(), AppError> {
    let replicas = i64::try_from(replicas).unwrap_or(i64::MAX);
    store
        .run(move |c| {
            diesel::replace_into(service_replicas::table)
                .values((
                    service_replicas::host.eq(&host),
                    service_replicas::service.eq(&service),
                    service_replicas::replicas.eq(replicas),
                ))
                .execute(c)?;
            Ok(())
        })
        .await
}

/// What was remembered for `service` on `host`, if anything.
pub async fn recall(store: &Store, host: HostId, service: String) -> Result<Option<u64>, AppError> {
    store
        .run(move |c| {
            let n: Option<i64> = service_replicas::table
                .filter(service_replicas::host.eq(&host).and(service_replicas::service.eq(&service)))
                .select(service_replicas::replicas)
                .first(c)
                .optional()?;
            Ok(n.and_then(|n| u64::try_from(n).ok()))
        })
        .await
}

/// Forgets `service` on `host` (it was started again).
pub async fn forget(store: &Store, host: HostId, service: String) -> Result<(), AppError> {
    store
        .run(move |c| {
            diesel::delete(
                service_replicas::table
                    .filter(service_replicas::host.eq(&host).and(service_replicas::service.eq(&service))),
            )
            .execute(c)?;
            Ok(())
        })
        .await
}
