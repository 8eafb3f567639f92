// @generated automatically by Diesel CLI.

diesel::table! {
    logs (id) {
        id -> Integer,
        schedule_id -> Nullable<Integer>,
        container_name -> Text,
        container_id -> Nullable<Text>,
        action -> Text,
        trigger -> Text,
        status -> Text,
        message -> Text,
        duration_ms -> BigInt,
        timestamp -> Timestamp,
    }
}

diesel::table! {
    schedules (id) {
        id -> Integer,
        container_name -> Text,
        container_id -> Nullable<Text>,
        compose_project -> Nullable<Text>,
        compose_service -> Nullable<Text>,
        action -> Text,
        cron_expression -> Nullable<Text>,
        run_at -> Nullable<Timestamp>,
        timezone -> Text,
        enabled -> Bool,
        description -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        last_run -> Nullable<Timestamp>,
        last_status -> Nullable<Text>,
        next_run -> Nullable<Timestamp>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(logs, schedules,);
