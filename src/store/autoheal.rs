//! The autoheal rule set: `autoheal_settings` (one row of defaults and the master switch) and
//! `autoheal_containers` (the containers that opted in or out). Read and written whole.

use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;

use super::schema::{autoheal_containers, autoheal_settings};
use super::Store;
use crate::domain::{AutohealContainer, AutohealLimits, AutohealRules, HostId};
use crate::error::AppError;

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = autoheal_settings, check_for_backend(diesel::sqlite::Sqlite))]
struct SettingsRow {
    id: i32,
    enabled: bool,
    after_s: i32,
    max_restarts: i32,
    per_minutes: i32,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = autoheal_containers, check_for_backend(diesel::sqlite::Sqlite))]
struct ContainerRow {
    host: HostId,
    container: String,
    enabled: bool,
    after_s: Option<i32>,
    max_restarts: Option<i32>,
}

/// The validated numbers fit an i32 (at most 86,400); a row written by hand that does not is 0,
/// which no rule uses.
fn small(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn unsigned(n: i32) -> u32 {
    u32::try_from(n).unwrap_or(0)
}

fn load_rules(c: &mut SqliteConnection) -> Result<AutohealRules, AppError> {
    let settings: Option<SettingsRow> =
        autoheal_settings::table.select(SettingsRow::as_select()).first(c).optional()?;
    let containers: Vec<ContainerRow> = autoheal_containers::table
        // in the order they were given (the rows are rewritten whole on each save)
        .order(diesel::dsl::sql::<diesel::sql_types::Integer>("rowid"))
        .select(ContainerRow::as_select())
        .load(c)?;
    let (enabled, default) = match settings {
        Some(s) => (
            s.enabled,
            AutohealLimits {
                after_s: unsigned(s.after_s),
                max_restarts: unsigned(s.max_restarts),
                per_minutes: unsigned(s.per_minutes),
            },
        ),
        None => (false, AutohealLimits::default()),
    };
    let containers = containers
        .into_iter()
        .map(|r| AutohealContainer {
            host: r.host,
            container: r.container,
            enabled: r.enabled,
            after_s: r.after_s.map(unsigned),
            max_restarts: r.max_restarts.map(unsigned),
        })
        .collect();
    Ok(AutohealRules { enabled, default, containers })
}

fn save_rules(c: &mut SqliteConnection, rules: &AutohealRules) -> Result<(), AppError> {
    let d = rules.default;
    let settings = SettingsRow {
        id: 1,
        enabled: rules.enabled,
        after_s: small(d.after_s),
        max_restarts: small(d.max_restarts),
        per_minutes: small(d.per_minutes),
    };
    diesel::replace_into(autoheal_settings::table).values(&settings).execute(c)?;
    diesel::delete(autoheal_containers::table).execute(c)?;
    let rows: Vec<ContainerRow> = rules
        .containers
        .iter()
        .map(|r| ContainerRow {
            host: r.host.clone(),
            container: r.container.clone(),
            enabled: r.enabled,
            after_s: r.after_s.map(small),
            max_restarts: r.max_restarts.map(small),
        })
        .collect();
    diesel::insert_into(autoheal_containers::table).values(&rows).execute(c)?;
    Ok(())
}

/// The rule set; off, with the default limits, until someone saves one.
pub async fn load(store: &Store) -> Result<AutohealRules, AppError> {
    store.run(load_rules).await
}

/// Replaces the whole rule set (already validated) in one transaction, and reads it back.
pub async fn save(store: &Store, rules: AutohealRules) -> Result<AutohealRules, AppError> {
    store
        .run(move |c| {
            save_rules(c, &rules)?;
            load_rules(c)
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_rt::test]
    async fn the_rule_set_is_off_until_saved_and_read_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::start(dir.path().join("t.db"));
        let none = load(&store).await.unwrap();
        assert!(!none.enabled && none.containers.is_empty());
        let rules = AutohealRules {
            enabled: true,
            default: AutohealLimits { after_s: 5, max_restarts: 2, per_minutes: 10 },
            containers: vec![AutohealContainer {
                host: HostId::local(),
                container: "web".into(),
                enabled: true,
                after_s: Some(1),
                max_restarts: None,
            }],
        };
        assert_eq!(save(&store, rules.clone()).await.unwrap(), rules);
        let fewer = AutohealRules { containers: vec![], ..rules };
        save(&store, fewer.clone()).await.unwrap();
        assert_eq!(load(&store).await.unwrap(), fewer);
    }
}
