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
        requested_by -> Nullable<Text>,
        legacy_id -> Nullable<Integer>,
        host -> Text,
        run_id -> Nullable<Text>,
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
        legacy_id -> Nullable<Integer>,
        host -> Text,
        service -> Nullable<Text>,
        notify -> Bool,
        only_if -> Nullable<Text>,
        respect_manual -> Bool,
        time_window -> Nullable<Text>,
        steps -> Nullable<Text>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(logs, schedules,);

diesel::table! {
    api_tokens (id) {
        id -> Integer,
        name -> Text,
        token_hash -> Text,
        role -> Text,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        last_used -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        user_id -> Nullable<Integer>,
    }
}

diesel::table! {
    audit (id) {
        id -> Integer,
        timestamp -> Timestamp,
        actor -> Nullable<Text>,
        event -> Text,
        detail -> Text,
    }
}

diesel::table! {
    sessions (id) {
        id -> Integer,
        token_hash -> Text,
        user_id -> Integer,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> Integer,
        username -> Text,
        password_hash -> Text,
        role -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        origin -> Text,
        subject -> Nullable<Text>,
    }
}

diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(api_tokens -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(api_tokens, sessions, users,);

diesel::table! {
    channels (id) {
        id -> Integer,
        name -> Text,
        url -> Text,
        events -> Text,
        enabled -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    hosts (id) {
        id -> Integer,
        name -> Text,
        url -> Text,
        tls_ca -> Nullable<Text>,
        tls_cert -> Nullable<Text>,
        tls_key -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    deliveries (id) {
        id -> Integer,
        channel_id -> Integer,
        log_id -> Nullable<Integer>,
        status -> Text,
        attempts -> Integer,
        error -> Nullable<Text>,
        timestamp -> Timestamp,
    }
}

diesel::joinable!(deliveries -> channels (channel_id));

diesel::allow_tables_to_appear_in_same_query!(channels, deliveries,);

diesel::table! {
    service_replicas (host, service) {
        host -> Text,
        service -> Text,
        replicas -> BigInt,
    }
}

diesel::table! {
    log_days (day, host, schedule_id, container_name, action, trigger, status) {
        day -> Text,
        host -> Text,
        schedule_id -> Integer,
        container_name -> Text,
        action -> Text,
        trigger -> Text,
        status -> Text,
        runs -> BigInt,
        last_at -> Timestamp,
    }
}

diesel::table! {
    window_marks (schedule_id) {
        schedule_id -> Integer,
        changed -> Bool,
        overridden_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    autoheal_settings (id) {
        id -> Integer,
        enabled -> Bool,
        after_s -> Integer,
        max_restarts -> Integer,
        per_minutes -> Integer,
    }
}

diesel::table! {
    autoheal_containers (host, container) {
        host -> Text,
        container -> Text,
        enabled -> Bool,
        after_s -> Nullable<Integer>,
        max_restarts -> Nullable<Integer>,
    }
}
