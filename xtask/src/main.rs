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
//! The names (output name, wasm crate, stylesheet, site folders, release
//! profile) come from the workspace's `[[workspace.metadata.leptos]]`, the
//! one place they are written, which `cargo leptos watch` reads too: it
//! stays usable as the development loop, and the server ignores this
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

/// What `[[workspace.metadata.leptos]]` in the workspace's Cargo.toml
/// names (cargo-leptos's keys).
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Site {
    /// The name Leptos links (`LeptosOptions::output_name`).
    name: String,
    /// The crate built for `wasm32-unknown-unknown`.
    lib_package: String,
    /// The stylesheet, relative to the workspace.
    style_file: PathBuf,
    /// Where the site goes, relative to the workspace.
    site_root: PathBuf,
    /// Its folder of hashed files (`/pkg`).
    site_pkg_dir: String,
    /// The wasm's profile in release builds.
    lib_profile_release: String,
}

impl Site {
    fn read(root: &Path) -> anyhow::Result<Site> {
        #[derive(serde::Deserialize)]
        struct Manifest {
            workspace: Workspace,
        }
        #[derive(serde::Deserialize)]
        struct Workspace {
            metadata: Metadata,
        }
        #[derive(serde::Deserialize)]
        struct Metadata {
            leptos: Vec<Site>,
        }
        let path = root.join("Cargo.toml");
        let text = fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        let manifest: Manifest =
            toml::from_str(&text).context("reading [[workspace.metadata.leptos]] from Cargo.toml")?;
        manifest
            .workspace
            .metadata
            .leptos
            .into_iter()
            .next()
            .context("Cargo.toml has no [[workspace.metadata.leptos]]")
    }
}

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
            let site = Site::read(&root)?;
            let site_root = site_root.unwrap_or_else(|| root.join(&site.site_root));
            build_site(&root, &site, &site_root, release)
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

fn build_site(root: &Path, site: &Site, site_root: &Path, release: bool) -> anyhow::Result<()> {
    let started = Instant::now();
    let wasm = build_wasm(root, site, release)?;
    let stylesheet = root.join(&site.style_file);
    let read_stylesheet = || fs::read(&stylesheet).with_context(|| format!("reading {}", stylesheet.display()));
    let name = &site.name;
    // wasm-opt and brotli take a minute or two: skip them when the inputs
    // are the ones the site was last built from.
    let inputs = {
        let mut digest = Sha256::new();
        digest.update(fs::read(&wasm).with_context(|| format!("reading {}", wasm.display()))?);
        digest.update(read_stylesheet()?);
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
    bindgen(&wasm, name, &staging)?;
    let bindgen_wasm = staging.join(format!("{name}_bg.wasm"));
    if release {
        optimize(&bindgen_wasm)?;
    }

    // The wasm's name goes into the JS glue, so the JS is hashed after.
    let wasm_bytes = fs::read(&bindgen_wasm)?;
    let wasm_hash = content_hash(&wasm_bytes);
    let wasm_name = format!("{name}.{wasm_hash}.wasm");
    let js = fs::read_to_string(staging.join(format!("{name}.js")))?.replace(&format!("{name}_bg.wasm"), &wasm_name);
    let js_hash = content_hash(js.as_bytes());
    let css = read_stylesheet()?;
    let css_hash = content_hash(&css);

    let pkg = site_root.join(&site.site_pkg_dir);
    recreate_dir(&pkg)?;
    let files = [
        (format!("{name}.{js_hash}.js"), js.into_bytes()),
        (wasm_name, wasm_bytes),
        (format!("{name}.{css_hash}.css"), css),
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
fn build_wasm(root: &Path, site: &Site, release: bool) -> anyhow::Result<PathBuf> {
    let profile = if release {
        site.lib_profile_release.as_str()
    } else {
        "dev"
    };
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(root)
        .args([
            "build",
            "--package",
            &site.lib_package,
            "--lib",
            "--target",
            "wasm32-unknown-unknown",
        ])
        .args(["--profile", profile])
        .status()
        .context("running cargo")?;
    if !status.success() {
        bail!("cargo build of {} failed", site.lib_package);
    }
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let profile_dir = if release { profile } else { "debug" };
    Ok(target_dir
        .join("wasm32-unknown-unknown")
        .join(profile_dir)
        .join(format!("{}.wasm", site.lib_package.replace('-', "_"))))
}

fn bindgen(wasm: &Path, name: &str, out_dir: &Path) -> anyhow::Result<()> {
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(wasm)
        .out_name(name)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workspace_names_its_site() {
        let site = Site::read(&workspace_root()).unwrap();
        assert_eq!(site.name, "fluxbilling");
        assert_eq!(site.lib_package, "frontend");
        assert!(workspace_root().join(&site.style_file).exists(), "{site:?}");
        assert_eq!(
            (site.site_pkg_dir.as_str(), site.lib_profile_release.as_str()),
            ("pkg", "wasm-release")
        );
    }
}
