//! `portcullis keys`: make a new API key, or hash an existing one for the configuration.

use std::io::Read;
use std::process::ExitCode;

use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};

use crate::cli::{KeysArgs, KeysCommand, err, out};

/// The visible prefix of generated keys: recognisable in logs and by secret scanners.
const PREFIX: &str = "pcl-";

pub fn run(args: KeysArgs) -> ExitCode {
    match args.command {
        KeysCommand::Generate => {
            let mut bytes = [0u8; 32];
            if SystemRandom::new().fill(&mut bytes).is_err() {
                err("error: the system random number generator is unavailable");
                return ExitCode::FAILURE;
            }
            let key = format!(
                "{PREFIX}{}",
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
            );
            out(&format!("key:  {key}"));
            out(&format!(
                "hash: sha256:{}",
                hex(&portcullis_config::hash_api_key(&key))
            ));
            err("Give the key to its user now: only the hash goes into the configuration.");
            ExitCode::SUCCESS
        }
        KeysCommand::Hash { key } => {
            let key = match key {
                Some(key) => key,
                None => {
                    let mut text = String::new();
                    if let Err(e) = std::io::stdin().read_to_string(&mut text) {
                        err(&format!("error: could not read the key from stdin: {e}"));
                        return ExitCode::FAILURE;
                    }
                    text.trim().to_string()
                }
            };
            if key.is_empty() {
                err("error: empty key");
                return ExitCode::FAILURE;
            }
            out(&format!(
                "hash: sha256:{}",
                hex(&portcullis_config::hash_api_key(&key))
            ));
            ExitCode::SUCCESS
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
