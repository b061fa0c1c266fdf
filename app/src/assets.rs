//! The files browsers download (`/pkg`), as the pages link them, and the
//! Content-Security-Policy the pages satisfy.
//!
//! `cargo xtask site` names each file after its content
//! (`fluxbilling.<hash>.css`) and lists the hashes in `hash.txt` at the
//! site root; Leptos' `HydrationScripts` links the js and wasm from that file
//! and the shell links the stylesheet from [`SiteAssets`]. A hashed file never
//! changes, so the server lets browsers keep it for a year; a build without
//! `hash.txt` (tests, `cargo leptos watch`) links the plain names.

/// Where the built files are linked from (one per site root).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SiteAssets {
    stylesheet: String,
    /// File names under `/pkg` that carry their content's hash.
    hashed: Vec<String>,
    /// The `hash.txt` these names came from (for `LeptosOptions::hash_file`).
    hash_file: Option<std::path::PathBuf>,
}

/// The name the site's files carry (`fluxbilling.<hash>.js`...): `name` in
/// `[[workspace.metadata.leptos]]`, which `cargo xtask site` reads.
#[cfg(feature = "ssr")]
pub const OUTPUT_NAME: &str = "fluxbilling";

impl SiteAssets {
    /// Reads `<site_root>/hash.txt`; without one, the plain names.
    /// cargo-leptos runs the server with `LEPTOS_HASH_FILES=false` and
    /// builds plain names: a `hash.txt` left by an earlier release build
    /// must not be believed then.
    #[cfg(feature = "ssr")]
    pub fn load(site_root: &std::path::Path) -> Self {
        // Absolute: Leptos resolves a relative one against the binary's
        // folder, not the working directory the site root is relative to.
        let path = std::path::absolute(site_root.join("hash.txt")).unwrap_or_else(|_| site_root.join("hash.txt"));
        let disabled = std::env::var("LEPTOS_HASH_FILES").is_ok_and(|value| value == "false");
        match std::fs::read_to_string(&path) {
            Ok(text) if !disabled => Self::from_hash_file(&text, path),
            _ => Self::unhashed(),
        }
    }

    #[cfg(feature = "ssr")]
    fn unhashed() -> Self {
        SiteAssets {
            stylesheet: format!("/pkg/{OUTPUT_NAME}.css"),
            hashed: Vec::new(),
            hash_file: None,
        }
    }

    /// `js: <hash>` lines, one per kind of file.
    #[cfg(feature = "ssr")]
    fn from_hash_file(text: &str, path: std::path::PathBuf) -> Self {
        let hashes: Vec<(&str, &str)> = text
            .lines()
            .filter_map(|line| line.split_once(':'))
            .map(|(kind, hash)| (kind.trim(), hash.trim()))
            .filter(|(_, hash)| !hash.is_empty())
            .collect();
        let name = |kind: &str, hash: &str| format!("{OUTPUT_NAME}.{hash}.{kind}");
        let stylesheet = match hashes.iter().find(|(kind, _)| *kind == "css") {
            Some((kind, hash)) => format!("/pkg/{}", name(kind, hash)),
            None => format!("/pkg/{OUTPUT_NAME}.css"),
        };
        SiteAssets {
            stylesheet,
            hashed: hashes.iter().map(|(kind, hash)| name(kind, hash)).collect(),
            hash_file: Some(path),
        }
    }

    pub fn stylesheet_href(&self) -> &str {
        if self.stylesheet.is_empty() {
            "/pkg/fluxbilling.css"
        } else {
            &self.stylesheet
        }
    }

    /// True for a `/pkg` file whose name carries its hash (cacheable forever).
    pub fn is_immutable(&self, file_name: &str) -> bool {
        self.hashed.iter().any(|name| name == file_name)
    }

    pub fn hash_file(&self) -> Option<&std::path::Path> {
        self.hash_file.as_deref()
    }
}

/// The policy every page is sent with. Scripts: this origin and the one
/// inline hydration script Leptos writes with the response's nonce;
/// `'wasm-unsafe-eval'` lets that script compile the wasm (it allows no
/// `eval` of JavaScript). No inline styles, no frames, no plug-ins, forms
/// post only here.
pub fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
         object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    )
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_come_from_the_hash_file() {
        let assets = SiteAssets::from_hash_file("js: 0a1b\nwasm: 2c3d\ncss: 4e5f\n", "/site/hash.txt".into());
        assert_eq!(assets.stylesheet_href(), "/pkg/fluxbilling.4e5f.css");
        assert!(assets.is_immutable("fluxbilling.0a1b.js"));
        assert!(assets.is_immutable("fluxbilling.2c3d.wasm"));
        assert!(assets.is_immutable("fluxbilling.4e5f.css"));
        assert!(!assets.is_immutable("fluxbilling.css"));
        assert!(!assets.is_immutable("fluxbilling.0a1b.js.br"));
        assert_eq!(assets.hash_file(), Some(std::path::Path::new("/site/hash.txt")));
    }

    #[test]
    fn without_a_hash_file_the_plain_names_are_linked_and_nothing_is_immutable() {
        let assets = SiteAssets::unhashed();
        assert_eq!(assets.stylesheet_href(), "/pkg/fluxbilling.css");
        assert!(!assets.is_immutable("fluxbilling.css"));
        assert_eq!(assets.hash_file(), None);
        assert_eq!(SiteAssets::default().stylesheet_href(), "/pkg/fluxbilling.css");
    }

    #[test]
    fn the_policy_names_the_nonce_and_allows_no_inline_script_without_it() {
        let policy = content_security_policy("abc123");
        assert!(policy.contains("script-src 'self' 'nonce-abc123' 'wasm-unsafe-eval'"));
        assert!(!policy.contains("unsafe-inline"));
        assert!(policy.contains("frame-ancestors 'none'"));
    }
}
