//! What browsers download: `/pkg` sent precompressed and kept a year under
//! its hashed name, pages and CSV exports never stored, a
//! Content-Security-Policy with the response's own nonce, HSTS behind https,
//! and the security headers every response carries.

use crate::helpers::{browser, spawn_app, spawn_app_with};
use std::path::{Path, PathBuf};

const JS: &str = "0a0a0a0a0a0a0a0a0a0a";
const WASM: &str = "0b0b0b0b0b0b0b0b0b0b";
const CSS: &str = "0c0c0c0c0c0c0c0c0c0c";

/// A site root of its own, removed when the test ends.
struct Site(PathBuf);

impl Site {
    /// As `cargo xtask site --release` leaves it: `hash.txt` and the hashed
    /// stylesheet with its brotli and gzip copies (their bytes tell which
    /// copy was sent), and a file without a hash.
    fn built() -> Site {
        let site = Site::empty();
        let pkg = site.0.join("pkg");
        std::fs::create_dir_all(&pkg).unwrap();
        std::fs::write(site.0.join("hash.txt"), format!("js: {JS}\nwasm: {WASM}\ncss: {CSS}\n")).unwrap();
        let css = pkg.join(format!("fluxbilling.{CSS}.css"));
        std::fs::write(&css, "body { margin: 0 }").unwrap();
        std::fs::write(css.with_extension("css.br"), "brotli bytes").unwrap();
        std::fs::write(css.with_extension("css.gz"), "gzip bytes").unwrap();
        std::fs::write(pkg.join("notes.txt"), "not hashed").unwrap();
        site
    }

    fn empty() -> Site {
        let dir = std::env::temp_dir().join(format!("flux-site-{}", ulid::Ulid::new()));
        std::fs::create_dir_all(&dir).unwrap();
        Site(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn get(url: String, accept_encoding: Option<&str>) -> reqwest::Response {
    let request = browser().get(url);
    let request = match accept_encoding {
        Some(encoding) => request.header("accept-encoding", encoding),
        None => request,
    };
    request.send().await.unwrap()
}

fn header<'r>(response: &'r reqwest::Response, name: &str) -> Option<&'r str> {
    response.headers().get(name).map(|v| v.to_str().unwrap())
}

#[tokio::test]
async fn hashed_files_are_sent_precompressed_and_kept_a_year() {
    let site = Site::built();
    let app = spawn_app_with(|c| c.site_root = site.path().to_owned()).await;
    let css = app.url(&format!("/pkg/fluxbilling.{CSS}.css"));

    let brotli = get(css.clone(), Some("br, gzip")).await;
    assert_eq!(brotli.status(), 200);
    assert_eq!(header(&brotli, "content-encoding"), Some("br"));
    assert_eq!(
        header(&brotli, "cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(header(&brotli, "vary"), Some("accept-encoding"));
    assert_eq!(brotli.text().await.unwrap(), "brotli bytes");

    let gzip = get(css.clone(), Some("gzip")).await;
    assert_eq!(header(&gzip, "content-encoding"), Some("gzip"));
    assert_eq!(gzip.text().await.unwrap(), "gzip bytes");

    let plain = get(css, None).await;
    assert_eq!(header(&plain, "content-encoding"), None);
    assert_eq!(
        header(&plain, "cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(plain.text().await.unwrap(), "body { margin: 0 }");

    // A name without its content's hash may change: revalidated each time.
    let unhashed = get(app.url("/pkg/notes.txt"), Some("br")).await;
    assert_eq!(unhashed.status(), 200);
    assert_eq!(header(&unhashed, "cache-control"), Some("no-cache"));

    // A file that is not there: 404, and nothing tells a cache to keep it.
    let missing = get(app.url(&format!("/pkg/fluxbilling.{JS}.js")), Some("br")).await;
    assert_eq!(missing.status(), 404);
    assert_eq!(header(&missing, "cache-control"), None);
}

#[tokio::test]
async fn pages_link_the_hashed_files_are_not_stored_and_carry_a_policy_with_their_own_nonce() {
    let site = Site::built();
    let app = spawn_app_with(|c| c.site_root = site.path().to_owned()).await;

    let mut nonces = Vec::new();
    for path in ["/portal/login", "/admin/login"] {
        let page = get(app.url(path), None).await;
        assert_eq!(page.status(), 200);
        assert_eq!(header(&page, "cache-control"), Some("no-store"));
        assert_eq!(header(&page, "strict-transport-security"), None, "plain http");
        let policy = header(&page, "content-security-policy").expect("a policy").to_owned();
        let nonce = policy
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .expect("the policy names a nonce")
            .to_owned();
        assert!(policy.contains("'wasm-unsafe-eval'"), "{policy}");
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        assert!(!policy.contains("unsafe-inline"), "{policy}");

        let html = page.text().await.unwrap();
        assert!(html.contains(&format!("href=\"/pkg/fluxbilling.{CSS}.css\"")), "{html}");
        assert!(html.contains(&format!("fluxbilling.{JS}")), "the js by its hash");
        assert!(html.contains(&format!("fluxbilling.{WASM}")), "the wasm by its hash");
        let scripts: Vec<&str> = html.split("<script").skip(1).collect();
        assert!(!scripts.is_empty());
        for script in scripts {
            let tag = script.split('>').next().unwrap_or_default();
            assert!(
                tag.contains(&format!("nonce=\"{nonce}\"")),
                "a script without the nonce: <script{tag}>"
            );
        }
        nonces.push(nonce);
    }
    assert_ne!(nonces[0], nonces[1], "every response has its own nonce");

    // Server functions answer with data too: not stored either.
    let answer = app.call::<app::accounts::server_fns::Whoami>(&browser(), &[]).await;
    assert_eq!(answer.status(), 200);
    assert_eq!(header(&answer, "cache-control"), Some("no-store"));
}

#[tokio::test]
async fn without_a_hash_list_the_plain_names_are_linked_and_revalidated() {
    let site = Site::empty();
    std::fs::create_dir_all(site.path().join("pkg")).unwrap();
    std::fs::write(site.path().join("pkg/fluxbilling.css"), "body {}").unwrap();
    let app = spawn_app_with(|c| c.site_root = site.path().to_owned()).await;

    let html = get(app.url("/portal/login"), None).await.text().await.unwrap();
    assert!(html.contains("href=\"/pkg/fluxbilling.css\""), "{html}");
    let css = get(app.url("/pkg/fluxbilling.css"), None).await;
    assert_eq!(css.status(), 200);
    assert_eq!(header(&css, "cache-control"), Some("no-cache"));
}

#[tokio::test]
async fn behind_https_browsers_are_told_to_come_back_over_https_only() {
    let site = Site::built();
    let app = spawn_app_with(|c| {
        c.site_root = site.path().to_owned();
        c.public_url = "https://billing.example.com".into();
    })
    .await;
    for path in ["/portal/login", "/healthz", "/api/v1/me"] {
        let response = get(app.url(path), None).await;
        assert_eq!(
            header(&response, "strict-transport-security"),
            Some("max-age=31536000"),
            "{path}"
        );
    }
}

/// Every CSV download carries a reseller's figures or the request log: no
/// cache may keep one, whichever door it came through (the panels' export
/// links, the admin API, the partner API).
#[tokio::test]
async fn csv_exports_are_never_stored() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (portal, reseller) = app.active_client("csv-cache@example.com").await;
    let partner = admin.partner_for(&app, &reseller, "read").await;
    app.operator("csv-ops@example.com").await;
    let ops = app.signed_in("admin", "csv-ops@example.com").await;
    let noon = crate::helpers::clear_of_midnight(app.store.clock());
    let month = app::billing::Month::of(noon).to_string();

    let panel = [
        (&ops, "/admin/api-logs.csv".to_owned()),
        (&ops, format!("/admin/resellers/{reseller}/statement.csv?month={month}")),
        (&portal, format!("/portal/billing/statement.csv?month={month}")),
    ];
    for (client, path) in panel {
        let response = client.get(app.url(&path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert!(
            header(&response, "content-type").unwrap().starts_with("text/csv"),
            "{path}"
        );
        assert_eq!(header(&response, "cache-control"), Some("no-store"), "{path}");
    }

    let response = reqwest::Client::new()
        .get(format!("{}/resellers/{reseller}/statements/{month}", admin.base))
        .bearer_auth(&admin.token)
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(header(&response, "content-type").unwrap().starts_with("text/csv"));
    assert_eq!(header(&response, "cache-control"), Some("no-store"), "admin API");

    let statement = partner
        .send(
            "GET",
            &format!("/statements/{month}"),
            None,
            false,
            &[("accept", "text/csv".to_owned())],
        )
        .await;
    assert_eq!(statement.status, 200, "{}", statement.body);
    assert!(
        statement.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert_eq!(statement.headers["cache-control"], "no-store", "partner API");
}

/// The server links the names `cargo xtask site` writes: both come from
/// `name` in the workspace's `[[workspace.metadata.leptos]]`.
#[test]
fn the_linked_name_is_the_workspace_metadatas() {
    let manifest = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml")).unwrap();
    let section = manifest
        .split("[[workspace.metadata.leptos]]")
        .nth(1)
        .expect("Cargo.toml has [[workspace.metadata.leptos]]");
    let name = section
        .lines()
        .find_map(|line| line.strip_prefix("name = "))
        .expect("the section names the site");
    assert_eq!(name.trim_matches('"'), app::assets::OUTPUT_NAME);
}

#[tokio::test]
async fn responses_carry_security_headers() {
    let app = spawn_app().await;
    let response = reqwest::get(app.url("/")).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert_eq!(response.headers()["x-frame-options"], "DENY");
}
