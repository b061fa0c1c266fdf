#!/usr/bin/env bash
# Started by Playwright (webServer): a fresh SQLite database in .tmp/, an
# operator and an admin token the tests read from .tmp/fixtures.json, then
# the server on the port given as $1.
set -euo pipefail
cd "$(dirname "$0")"
port="$1"
bin="${E2E_SERVER_BIN:?set E2E_SERVER_BIN to the fluxbilling binary}"
export LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:?set LEPTOS_SITE_ROOT to the built site}"

rm -rf .tmp && mkdir -p .tmp
export DATABASE_URL="sqlite://$PWD/.tmp/e2e.db?mode=rwc"
export FLUX_WEBHOOK_ALLOW_PRIVATE=true
export FLUX_WEBHOOK_RETRY_SCHEDULE=1,1
export FLUX_WORKER_HEARTBEAT_SECS=1
# Every spec registers from 127.0.0.1: the per-address limit is for the public.
export FLUX_REGISTRATIONS_PER_HOUR=1000
export RUST_LOG="${RUST_LOG:-warn}"

operator_email="e2e-operator@fluxbilling.example"
operator_password="e2e-operator-password"
echo "$operator_password" | "$bin" operator create --email "$operator_email" --name "E2E Operator" >/dev/null
admin_token="$("$bin" admin-token create --name e2e | tail -n 1)"
cat > .tmp/fixtures.json <<JSON
{"operatorEmail": "$operator_email", "operatorPassword": "$operator_password", "adminToken": "$admin_token"}
JSON

exec "$bin" serve --addr "127.0.0.1:$port"
