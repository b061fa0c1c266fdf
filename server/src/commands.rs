//! The one-shot subcommands: migrate, operator, admin-token.

use crate::config::{AdminTokenCommand, OperatorCommand};
use anyhow::{Context, bail};
use app::{accounts::service as accounts, audit::Actor, store::Store};
use std::io::{BufRead, IsTerminal};

pub async fn connect(database_url: &str) -> anyhow::Result<Store> {
    let store = Store::connect(database_url)
        .await
        .context("connecting to the database")?;
    store.migrate().await.context("applying migrations")?;
    Ok(store)
}

pub async fn migrate(database_url: &str) -> anyhow::Result<()> {
    connect(database_url).await?;
    println!("migrations applied");
    Ok(())
}

pub async fn operator(database_url: &str, command: OperatorCommand) -> anyhow::Result<()> {
    match command {
        OperatorCommand::Create { email, name } => {
            let store = connect(database_url).await?;
            let name = name.unwrap_or_else(|| email.split('@').next().unwrap_or("operator").to_owned());
            let password = read_password()?;
            let passwords = app::secrets::Passwords::default();
            let user = accounts::create_operator(&store, &passwords, &name, &email, &password)
                .await
                .map_err(|e| anyhow::anyhow!(e.message))?;
            println!("operator {} created ({})", user.email, user.id);
            Ok(())
        }
    }
}

/// Asks twice on a terminal (without echo); otherwise reads the first line
/// of standard input, so scripts can pipe a password in.
fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")?;
        let second = rpassword::prompt_password("Repeat password: ")?;
        if first != second {
            bail!("the passwords differ");
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        let password = line.trim_end_matches(['\r', '\n']).to_owned();
        if password.is_empty() {
            bail!("no password on standard input");
        }
        Ok(password)
    }
}

pub async fn admin_token(database_url: &str, command: AdminTokenCommand) -> anyhow::Result<()> {
    let store = connect(database_url).await?;
    match command {
        AdminTokenCommand::Create { name } => {
            let issued = accounts::create_admin_token(&store, &Actor::cli(), &name)
                .await
                .map_err(|e| anyhow::anyhow!(e.message))?;
            println!(
                "admin token `{}` created (prefix {}). It is shown once; store it now:",
                issued.record.name, issued.record.prefix
            );
            // Alone on the last line, for scripts: `| tail -n 1`.
            println!("{}", issued.secret);
        }
        AdminTokenCommand::Revoke { prefix } => {
            accounts::revoke_admin_token(&store, &Actor::cli(), &prefix)
                .await
                .map_err(|e| anyhow::anyhow!(e.message))?;
            println!("admin token {prefix} revoked");
        }
        AdminTokenCommand::List => {
            let tokens = store.list_admin_tokens().await?;
            if tokens.is_empty() {
                println!("no admin tokens");
            }
            for t in tokens {
                let state = if t.revoked_at.is_some() { "revoked" } else { "active" };
                let used = t.last_used_at.map(|at| at.short()).unwrap_or_else(|| "never".into());
                println!(
                    "{}  {:<20} {:<8} created {}  last used {}",
                    t.prefix,
                    t.name,
                    state,
                    t.created_at.short(),
                    used
                );
            }
        }
    }
    Ok(())
}
