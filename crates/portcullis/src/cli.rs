//! The command line.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use tracing_subscriber::EnvFilter;

/// Portcullis: one OpenAI- and Anthropic-compatible endpoint in front of many AI providers,
/// with policies on every call.
#[derive(Debug, Parser)]
#[command(name = "portcullis", version, about, long_about = None)]
pub struct Cli {
    /// Log format on stderr.
    #[arg(
        long,
        global = true,
        env = "PORTCULLIS_LOG_FORMAT",
        default_value = "text"
    )]
    pub log_format: LogFormat,
    /// Log filter (tracing syntax, e.g. `info`, `portcullis_gateway=debug`). `RUST_LOG` works too.
    #[arg(long, global = true, env = "PORTCULLIS_LOG")]
    pub log: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway (the default command).
    Serve(ServeArgs),
    /// Validate a configuration file: prints every problem with its path, exits 1 if any.
    Check(ConfigArgs),
    /// Show recent calls from the call log.
    Calls(CallsArgs),
    /// Create and hash API keys.
    Keys(KeysArgs),
    /// Print the version.
    Version,
}

impl Default for Command {
    fn default() -> Self {
        Command::Serve(ServeArgs::default())
    }
}

#[derive(Debug, Args, Default)]
pub struct ConfigArgs {
    /// The configuration file. Default: `portcullis.yaml` in the working directory if it
    /// exists, else the embedded defaults (mock provider, provider keys from the environment).
    #[arg(short, long, env = "PORTCULLIS_CONFIG")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args, Default)]
pub struct ServeArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Listen on this address instead of `server.listen`.
    #[arg(short, long, env = "PORTCULLIS_LISTEN")]
    pub listen: Option<SocketAddr>,
}

#[derive(Debug, Args)]
pub struct CallsArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// How many calls to show (newest first).
    #[arg(short = 'n', long, default_value_t = 20)]
    pub limit: u32,
    /// Only calls that ended with this status: a code (429), a class (5xx) or `error` (≥ 400).
    #[arg(long)]
    pub status: Option<portcullis_store::StatusFilter>,
    /// Only calls for this model (the name the caller asked for).
    #[arg(long)]
    pub model: Option<String>,
    /// Only calls made with this API key (its name).
    #[arg(long)]
    pub key: Option<String>,
    /// Only calls served by this provider.
    #[arg(long)]
    pub provider: Option<String>,
    /// Print JSON lines instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct KeysArgs {
    #[command(subcommand)]
    pub command: KeysCommand,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Generate a new random API key and print it with the `hash:` line for the config.
    Generate,
    /// Print the `hash:` line for an existing key (read from stdin when not given).
    Hash {
        /// The key. Prefer stdin: arguments end up in shell history.
        key: Option<String>,
    },
}

/// Logs go to stderr; stdout is for command output.
pub fn init_logging(cli: &Cli) {
    let filter = cli
        .log
        .clone()
        .or_else(|| std::env::var("RUST_LOG").ok())
        .unwrap_or_else(|| "info".to_string());
    let filter = EnvFilter::try_new(&filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false);
    let result = match cli.log_format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
    if result.is_err() {
        err("could not initialise logging; continuing without logs");
    }
}

/// A line of command output on stdout.
pub fn out(line: &str) {
    let mut stdout = std::io::stdout().lock();
    // A closed stdout (`portcullis calls | head`) is not an error worth reporting.
    let _ = writeln!(stdout, "{line}");
}

/// A line for the user on stderr (problems, guidance).
pub fn err(line: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{line}");
}
