# Shared by scripts/demo and scripts/test: tool versions, paths, and
# idempotent installers. Everything a fresh machine lacks is installed here,
# once; later runs find it and only check versions.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# One cargo target dir outside the clone, so every run after the first (and
# every fresh CI clone) builds incrementally.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/fluxbilling-target}"
# cargo-leptos and wasm-bindgen-cli are installed here, not in ~/.cargo.
export FLUX_TOOLS="${FLUX_TOOLS:-/var/tmp/fluxbilling-tools}"

# cargo-leptos 0.3.11 needs rustc 1.96; 0.3.10 builds on this machine's 1.95.
CARGO_LEPTOS_VERSION="0.3.10"
# Must equal the `wasm-bindgen = "=..."` pin in Cargo.toml: cargo-leptos
# runs whatever wasm-bindgen is on PATH without checking its version.
WASM_BINDGEN_VERSION="$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' "$ROOT/Cargo.toml")"

# end2end/node_modules/.bin comes first: its wasm-opt (npm binaryen 132) is
# the one release builds must use. Debian's binaryen (wasm-opt 108) builds
# a wasm that fails to hydrate. With every tool on PATH, cargo-leptos
# downloads nothing.
export PATH="$ROOT/end2end/node_modules/.bin:$FLUX_TOOLS/bin:$HOME/.cargo/bin:$PATH"

step() { printf '\n==> %s\n' "$*"; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

ensure_rust_tools() {
    if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
        step "adding the wasm32-unknown-unknown target"
        rustup target add wasm32-unknown-unknown
    fi
    if ! cargo-leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
        step "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 17 minutes, once)"
        cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --root "$FLUX_TOOLS"
    fi
    if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
        step "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 5 minutes, once)"
        # Without --locked: its lock file names a crate version the registry no longer serves.
        cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --root "$FLUX_TOOLS"
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

# The release build: server binary and the size-tuned wasm, into
# $CARGO_TARGET_DIR/release/fluxbilling and ./target/site.
build_release() {
    step "cargo leptos build --release"
    (cd "$ROOT" && cargo leptos build --release)
    export FLUX_BIN="$CARGO_TARGET_DIR/release/fluxbilling"
    export LEPTOS_SITE_ROOT="$ROOT/target/site"
}
