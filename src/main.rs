use std::process::ExitCode;

use clap::Parser;
use sports_nutrition::{
    cli::{self, Cli},
    ops,
};

fn main() -> ExitCode {
    ops::memory::tune_allocator();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Runtime::new().expect("cannot start the async runtime");
    match runtime.block_on(cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
