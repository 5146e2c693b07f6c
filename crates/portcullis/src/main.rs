//! `portcullis`: the AI gateway binary. Command-line parsing and wiring only; everything else
//! lives in the library crates.

mod cli;
mod keys;
mod serve;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    cli::init_logging(&cli);
    match cli.command.unwrap_or_default() {
        cli::Command::Serve(args) => serve::run(args),
        cli::Command::Check(args) => serve::check(args),
        cli::Command::Calls(args) => serve::calls(args),
        cli::Command::Keys(args) => keys::run(args),
        cli::Command::Version => {
            cli::out(&format!("portcullis {}", env!("CARGO_PKG_VERSION")));
            ExitCode::SUCCESS
        }
    }
}
