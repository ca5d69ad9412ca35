use std::process::ExitCode;

use clap::Parser;
use sports_nutrition::{
    cli::{self, Cli},
    config::ConfigError,
    ops,
};

fn main() -> ExitCode {
    let cli = Cli::parse();
    // SAFETY: no other thread exists yet (the runtime starts below).
    let service_manager = unsafe { ops::systemd::ServiceManager::take_from_env() };
    let runtime = tokio::runtime::Runtime::new().expect("cannot start the async runtime");
    match runtime.block_on(cli::run(cli, service_manager)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            // The exit statuses the man page lists.
            if e.downcast_ref::<ConfigError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
