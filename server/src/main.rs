use clap::Parser;
use server::{
    commands,
    config::{Cli, Command, Config},
    demo,
    startup::{self, Application, shutdown_signal},
    telemetry,
};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    telemetry::init(cli.global.log_format);
    let database_url = cli.global.database_url.clone();
    match cli.command {
        Command::Serve(args) => {
            let config = Config::from_args(&cli.global, &args)?;
            let app = Application::build(config.clone()).await?;
            tracing::info!(address = %app.address(), "listening");
            // Printed (not only logged) so scripts that bind port 0 can read it.
            println!("FluxBilling is running on http://{}", app.address());
            app.run_until_stopped(shutdown_signal()).await
        }
        Command::Migrate => commands::migrate(&database_url).await,
        Command::Operator { command } => commands::operator(&database_url, command).await,
        Command::AdminToken { command } => commands::admin_token(&database_url, command).await,
        Command::Demo(args) => {
            let config = Config::from_args(&cli.global, &args)?;
            demo::seed(&config).await
        }
        Command::Worker(args) => {
            let config = Config::from_args(&cli.global, &args)?;
            startup::run_worker(config).await
        }
    }
}
