//! `cargo xtask site [--release]`: builds what browsers download, into
//! `target/site`, with nothing to install first.
//!
//! It does what `cargo leptos build` did for the release, in the
//! workspace's own target dir and with the workspace's own pinned
//! wasm-bindgen (as a library, so its version always equals the
//! `wasm-bindgen` pin), which took a fresh machine from 24 minutes of tool
//! builds to the few seconds these dependencies add:
//!   1. the `frontend` crate for `wasm32-unknown-unknown` (the size-tuned
//!      `wasm-release` profile with `--release`),
//!   2. wasm-bindgen (`--target web`) and, in release, `wasm-opt -Oz` (the
//!      npm binaryen that `scripts/lib.sh` puts on PATH),
//!   3. content-hashed names (`fluxbilling.<hash>.{js,wasm,css}`) and the
//!      `hash.txt` Leptos reads to link them, so browsers may keep them for
//!      a year (`Cache-Control: immutable`, see `server/src/assets.rs`),
//!   4. brotli and gzip copies beside each file (release), which the server
//!      sends to browsers that accept them.
//!
//! `cargo leptos watch` stays usable as the development loop (the workspace
//! keeps its `[[workspace.metadata.leptos]]`); the server ignores this
//! build's `hash.txt` when cargo-leptos runs it.

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use sha2::{Digest, Sha256};
use std::{
    fs,
    io::Write,
    path::{Path, PathBuf},
    process::Command,
    time::Instant,
};

/// The name Leptos links (`LeptosOptions::output_name`).
const OUTPUT_NAME: &str = "fluxbilling";
const STYLESHEET: &str = "style/main.css";

#[derive(Parser)]
#[command(name = "xtask", about = "FluxBilling build tasks")]
struct Cli {
    #[command(subcommand)]
    command: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Build the site (wasm, JS glue, stylesheet) into `target/site`.
    Site {
        /// Size-tuned wasm, `wasm-opt`, precompressed copies.
        #[arg(long)]
        release: bool,
        /// Where to write the site (default: `<workspace>/target/site`).
        #[arg(long)]
        site_root: Option<PathBuf>,
    },
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Task::Site { release, site_root } => {
            let root = workspace_root();
            let site_root = site_root.unwrap_or_else(|| root.join("target/site"));
            build_site(&root, &site_root, release)
        }
    }
}

fn workspace_root() -> PathBuf {
    // xtask/ sits in the workspace root. `cargo xtask` sets
    // CARGO_MANIFEST_DIR for this run: the value compiled in names the
    // checkout that built this binary, which is another one when clones
    // share a target directory (cargo does not rebuild for a new path).
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest_dir
        .parent()
        .expect("xtask lives inside the workspace")
        .to_path_buf()
}

fn build_site(root: &Path, site_root: &Path, release: bool) -> anyhow::Result<()> {
    let started = Instant::now();
    let wasm = build_wasm(root, release)?;
    // wasm-opt and brotli take a minute or two: skip them when the inputs
    // are the ones the site was last built from.
    let inputs = {
        let mut digest = Sha256::new();
        digest.update(fs::read(&wasm).with_context(|| format!("reading {}", wasm.display()))?);
        digest.update(fs::read(root.join(STYLESHEET)).with_context(|| format!("reading {STYLESHEET}"))?);
        digest.update([u8::from(release)]);
        // This build tool itself: a changed xtask builds the site again.
        digest.update(fs::read(std::env::current_exe()?)?);
        hex::encode(digest.finalize())
    };
    let stamp = site_root.join(".built-from");
    if site_root.join("hash.txt").exists() && fs::read_to_string(&stamp).is_ok_and(|s| s == inputs) {
        println!("site in {} is up to date", site_root.display());
        return Ok(());
    }

    let staging = site_root.join(".staging");
    recreate_dir(&staging)?;
    bindgen(&wasm, &staging)?;
    let bindgen_wasm = staging.join(format!("{OUTPUT_NAME}_bg.wasm"));
    if release {
        optimize(&bindgen_wasm)?;
    }

    // The wasm's name goes into the JS glue, so the JS is hashed after.
    let wasm_bytes = fs::read(&bindgen_wasm)?;
    let wasm_hash = content_hash(&wasm_bytes);
    let wasm_name = format!("{OUTPUT_NAME}.{wasm_hash}.wasm");
    let js = fs::read_to_string(staging.join(format!("{OUTPUT_NAME}.js")))?
        .replace(&format!("{OUTPUT_NAME}_bg.wasm"), &wasm_name);
    let js_hash = content_hash(js.as_bytes());
    let css = fs::read(root.join(STYLESHEET)).with_context(|| format!("reading {STYLESHEET}"))?;
    let css_hash = content_hash(&css);

    let pkg = site_root.join("pkg");
    recreate_dir(&pkg)?;
    let files = [
        (format!("{OUTPUT_NAME}.{js_hash}.js"), js.into_bytes()),
        (wasm_name, wasm_bytes),
        (format!("{OUTPUT_NAME}.{css_hash}.css"), css),
    ];
    for (name, bytes) in &files {
        write_asset(&pkg, name, bytes, release)?;
    }
    // wasm-bindgen's inline JS, if any crate has some: the glue imports it
    // by its path, so it keeps its name (and is not marked immutable).
    let snippets = staging.join("snippets");
    if snippets.exists() {
        copy_tree(&snippets, &pkg.join("snippets"))?;
    }
    // The format Leptos' `HydrationScripts` reads (`js:` and `wasm:`); the
    // stylesheet link reads `css:` (app/src/assets.rs).
    fs::write(
        site_root.join("hash.txt"),
        format!("js: {js_hash}\nwasm: {wasm_hash}\ncss: {css_hash}\n"),
    )?;
    fs::remove_dir_all(&staging)?;
    fs::write(&stamp, inputs)?;

    for (name, bytes) in &files {
        println!("  {name:<40} {:>9} B", bytes.len());
    }
    println!("site built into {} in {:.1?}", site_root.display(), started.elapsed());
    Ok(())
}

/// `cargo build` of the hydrate entry point; answers the `.wasm` it made.
fn build_wasm(root: &Path, release: bool) -> anyhow::Result<PathBuf> {
    let profile = if release { "wasm-release" } else { "dev" };
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(root)
        .args([
            "build",
            "--package",
            "frontend",
            "--lib",
            "--target",
            "wasm32-unknown-unknown",
        ])
        .args(["--profile", profile])
        .status()
        .context("running cargo")?;
    if !status.success() {
        bail!("cargo build of the frontend failed");
    }
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let profile_dir = if release { "wasm-release" } else { "debug" };
    Ok(target_dir
        .join("wasm32-unknown-unknown")
        .join(profile_dir)
        .join("frontend.wasm"))
}

fn bindgen(wasm: &Path, out_dir: &Path) -> anyhow::Result<()> {
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(wasm)
        .out_name(OUTPUT_NAME)
        .web(true)?
        .typescript(false)
        .generate(out_dir)
        .context("wasm-bindgen")
}

/// `wasm-opt -Oz`, with the features cargo-leptos enabled.
fn optimize(wasm: &Path) -> anyhow::Result<()> {
    let status = Command::new("wasm-opt")
        .args(["-Oz", "--enable-bulk-memory", "--enable-nontrapping-float-to-int"])
        .arg(wasm)
        .arg("-o")
        .arg(wasm)
        .status()
        .context("running wasm-opt (scripts/lib.sh installs it with the npm packages)")?;
    if !status.success() {
        bail!("wasm-opt failed");
    }
    Ok(())
}

/// Twenty hex digits of SHA-256: a name changes whenever the content does.
fn content_hash(bytes: &[u8]) -> String {
    hex::encode(&Sha256::digest(bytes)[..10])
}

fn write_asset(dir: &Path, name: &str, bytes: &[u8], compress: bool) -> anyhow::Result<()> {
    fs::write(dir.join(name), bytes)?;
    if compress {
        fs::write(dir.join(format!("{name}.br")), brotli(bytes)?)?;
        fs::write(dir.join(format!("{name}.gz")), gzip(bytes)?)?;
    }
    Ok(())
}

fn brotli(bytes: &[u8]) -> anyhow::Result<Vec<u8>> {
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 24,
        ..Default::default()
    };
    let mut out = Vec::new();
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params)?;
    Ok(out)
}

fn gzip(bytes: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?)
}

fn recreate_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() {
        fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))
}

fn copy_tree(from: &Path, to: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}
