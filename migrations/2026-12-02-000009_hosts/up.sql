-- The Docker hosts Chrontainer manages. `local` (the one from DOCKER_HOST) is created at start-up;
-- its URL follows DOCKER_HOST. The PEM texts of a TLS host are written 0600 under the data
-- directory for bollard, and never returned by the API.
CREATE TABLE hosts (
    id INTEGER PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    url TEXT NOT NULL,
    tls_ca TEXT,
    tls_cert TEXT,
    tls_key TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK ((tls_ca IS NULL) = (tls_cert IS NULL) AND (tls_cert IS NULL) = (tls_key IS NULL))
);

-- A replicated Swarm service Chrontainer scaled to 0, and how many replicas `start` restores.
CREATE TABLE service_replicas (
    host TEXT NOT NULL,
    service TEXT NOT NULL,
    replicas BIGINT NOT NULL CHECK (replicas > 0),
    PRIMARY KEY (host, service)
);

-- A schedule aimed at a Swarm service names it here (container_name then holds the same name,
-- for the log); NULL for a container.
ALTER TABLE schedules ADD COLUMN service TEXT;
