# Shared by scripts/demo and scripts/test: tool versions, paths, and
# idempotent installers. Everything a fresh machine lacks is installed here,
# once; later runs find it and only check versions.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# One cargo target dir outside the clone, so every run after the first (and
# every fresh CI clone) builds incrementally.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/fluxbilling-target}"
# Cargo names a workspace crate's artefacts by its path inside the
# workspace, not by the checkout's: when another checkout (a fresh clone, a
# worktree) built last, its artefacts can look up to date here and be used
# as they are (a benchmark once measured the previous commit's load
# generator this way). The checkout that builds claims the workspace's own
# artefacts; when the claim changes hands they are removed, and only they
# are rebuilt (the dependencies stay built). Two checkouts building at the
# same time still share one target dir: run one at a time.
claim_target_dir() {
    local stamp="$CARGO_TARGET_DIR/.flux-checkout"
    mkdir -p "$CARGO_TARGET_DIR"
    if [ "$(cat "$stamp" 2>/dev/null)" != "$ROOT" ]; then
        step "another checkout built in $CARGO_TARGET_DIR last: this one's crates are rebuilt"
        # `cargo clean -p` cleans one profile (dev by default): each profile
        # the scripts build is named, or a release wasm built by another
        # checkout stays and the site's server functions answer 404 (their
        # paths hash the crate's directory).
        local crates=(-p app -p server -p frontend -p bench -p xtask)
        (cd "$ROOT" && cargo clean --quiet "${crates[@]}" &&
            cargo clean --quiet --release "${crates[@]}" &&
            cargo clean --quiet --target wasm32-unknown-unknown -p app -p frontend &&
            cargo clean --quiet --target wasm32-unknown-unknown --profile wasm-release -p app -p frontend) || true
        echo "$ROOT" >"$stamp"
    fi
}

# Tools the scripts install once (the Python venvs of fuzz/ and openapi/)
# live here.
export FLUX_TOOLS="${FLUX_TOOLS:-/var/tmp/fluxbilling-tools}"

# end2end/node_modules/.bin comes first: its wasm-opt (npm binaryen 132) is
# the one release builds must use. Debian's binaryen (wasm-opt 108) builds
# a wasm that fails to hydrate.
export PATH="$ROOT/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH"

# Each step says how long the script has run (bash's SECONDS), so a slow
# set-up shows where its time went.
step() { printf '\n==> [%dm%02ds] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*"; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# The site is built by `cargo xtask site` (xtask/), which links the pinned
# wasm-bindgen as a library: no cargo-leptos or wasm-bindgen-cli to install.
ensure_rust_tools() {
    if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
        step "adding the wasm32-unknown-unknown target"
        rustup target add wasm32-unknown-unknown
    fi
}

ensure_node_packages() {
    if [ ! -x "$ROOT/end2end/node_modules/.bin/wasm-opt" ] ||
        [ "$ROOT/end2end/package-lock.json" -nt "$ROOT/end2end/node_modules/.package-lock.json" ]; then
        step "installing npm packages (Playwright, binaryen)"
        (cd "$ROOT/end2end" && npm ci --no-audit --no-fund)
    fi
    local opt
    opt="$(command -v wasm-opt)"
    if [ "$opt" != "$ROOT/end2end/node_modules/.bin/wasm-opt" ]; then
        echo "wasm-opt resolves to $opt, not the npm binaryen one: refusing to build" >&2
        exit 1
    fi
}

ensure_chromium() {
    if [ ! -x /usr/bin/chromium ]; then
        step "installing Debian's chromium"
        as_root apt-get update -qq
        DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium
    fi
}

# The site (size-tuned wasm, hashed and precompressed files) into
# ./target/site: what browsers download, the same for tests and releases.
build_site() {
    step "building the site (cargo xtask site --release)"
    (cd "$ROOT" && cargo xtask site --release)
    export LEPTOS_SITE_ROOT="$ROOT/target/site"
}

# The release build: the site, then the server binary, which finds the site
# from any working directory (LEPTOS_SITE_ROOT at build time).
build_release() {
    build_site
    step "building the server (cargo build --release)"
    (cd "$ROOT" && LEPTOS_SITE_ROOT="$ROOT/target/site" cargo build --release -p server --bin fluxbilling)
    export FLUX_BIN="$CARGO_TARGET_DIR/release/fluxbilling"
}

# A Python venv at $FLUX_TOOLS/NAME with REQUIREMENTS (pinned) installed:
# made once, and again when the requirements file changes.
ensure_venv() {
    local venv="$FLUX_TOOLS/$1" requirements="$2"
    if [ ! -x "$venv/bin/python" ] || [ ! -e "$venv/.installed" ] || [ "$requirements" -nt "$venv/.installed" ]; then
        step "installing ${requirements#"$ROOT"/} into $venv (once)"
        python3 -m venv "$venv"
        "$venv/bin/pip" install -q -r "$requirements"
        touch "$venv/.installed"
    fi
}

# A server of a test step's own (fuzz/run, openapi/run): the binary at
# FLUX_BIN (default: the release build) on a fresh database, with an admin
# token. The database is SQLite in WORK, or with FLUX_SCRATCH_DATABASE=postgres
# a new PostgreSQL database (FLUX_TEST_POSTGRES_URL's server) dropped again by
# stop_scratch_server. Sets scratch_url, scratch_token and scratch_pid; the
# caller stops it on exit (stop_scratch_server).
start_scratch_server() {
    local work="$1" bin="${FLUX_BIN:-$CARGO_TARGET_DIR/release/fluxbilling}"
    case "${FLUX_SCRATCH_DATABASE:-sqlite}" in
        sqlite) export DATABASE_URL="sqlite://$work/scratch.db?mode=rwc" ;;
        postgres)
            local admin="${FLUX_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
            scratch_pg_admin="$admin"
            scratch_pg_db="flux_scratch_$(basename "$work" | tr -c 'a-zA-Z0-9\n' '_' | tr 'A-Z' 'a-z')"
            psql "$admin" -qc "CREATE DATABASE \"$scratch_pg_db\"" >/dev/null
            export DATABASE_URL="${admin%/*}/$scratch_pg_db"
            ;;
        *) echo "FLUX_SCRATCH_DATABASE=${FLUX_SCRATCH_DATABASE}: use sqlite or postgres" >&2; return 1 ;;
    esac
    export FLUX_SECRETS_KEY_FILE="$work/fluxbilling.key"
    export FLUX_WEBHOOK_ALLOW_PRIVATE=1
    export RUST_LOG="${RUST_LOG:-warn}"
    scratch_token="$("$bin" admin-token create --name "$(basename "$work")" | tail -n 1)"
    # Port 0: the server binds a free port and prints where it listens.
    "$bin" serve --addr "127.0.0.1:0" > "$work/server.log" 2>&1 &
    scratch_pid=$!
    for _ in $(seq 300); do
        scratch_url="$(sed -n 's/^FluxBilling is running on \(http:[^ ]*\)$/\1/p' "$work/server.log" | head -n 1)"
        if [ -n "$scratch_url" ] && curl -fs "$scratch_url/healthz" >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.1
    done
    echo "the server did not answer on $scratch_url:" >&2
    cat "$work/server.log" >&2
    return 1
}

stop_scratch_server() {
    if [ -n "${scratch_pid:-}" ]; then
        kill "$scratch_pid" 2>/dev/null && wait "$scratch_pid" 2>/dev/null
        scratch_pid=""
    fi
    if [ -n "${scratch_pg_db:-}" ]; then
        psql "$scratch_pg_admin" -qc "DROP DATABASE IF EXISTS \"$scratch_pg_db\" WITH (FORCE)" >/dev/null 2>&1
        scratch_pg_db=""
    fi
    return 0
}

# Fails (and shows where) if the scratch server in WORK panicked.
scratch_server_panicked() {
    if grep -q "panicked" "$1/server.log"; then
        echo "the server panicked:" >&2
        grep -A5 "panicked" "$1/server.log" >&2
        return 0
    fi
    return 1
}
