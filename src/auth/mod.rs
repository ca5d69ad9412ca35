//! Authentication primitives: password hashing off the async runtime, access and refresh tokens,
//! and the signing key's lifecycle.

pub mod password;
pub mod token;

use std::{io::Write, os::unix::fs::OpenOptionsExt, path::Path};

use anyhow::Context;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use secrecy::SecretString;

use crate::config::{Config, RunMode};

/// File under `storage.data_dir` holding the generated access-token key of a single node.
pub const JWT_SECRET_FILE: &str = "jwt-secret";

/// The access-token signing key: the configured one, or (managed database, or development mode)
/// one generated on first start and kept, readable only by the service, in the data directory.
pub fn jwt_secret(config: &Config) -> anyhow::Result<SecretString> {
    if let Some(secret) = &config.auth.jwt_secret {
        return Ok(secret.clone());
    }
    if config.database.url.is_some() && config.security.mode == RunMode::Production {
        anyhow::bail!(
            "auth.jwt_secret: required when database.url is set, since every node must sign with the same \
             key; generate one with `openssl rand -base64 48` and pass it as SN_AUTH__JWT_SECRET_FILE or a \
             systemd credential"
        );
    }
    load_or_generate(
        &config.storage.data_dir.join(JWT_SECRET_FILE),
        "the access-token signing key",
    )
}

/// The secret kept in `path`, generated (48 random bytes, mode 0600) when the file does not exist.
pub(crate) fn load_or_generate(path: &Path, what: &str) -> anyhow::Result<SecretString> {
    match std::fs::read_to_string(path) {
        Ok(text) if text.trim().len() >= 32 => {
            return Ok(SecretString::from(text.trim().to_owned()));
        }
        Ok(_) => anyhow::bail!(
            "{}: too short to be {what}; delete it to generate a new one",
            path.display()
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let secret = URL_SAFE_NO_PAD.encode(random_bytes::<48>()?);
    // create_new: two nodes racing on one data directory never overwrite each other's key.
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(secret.as_bytes())?;
    file.sync_all()?;
    tracing::info!(path = %path.display(), "generated {what}");
    Ok(SecretString::from(secret))
}

/// `N` bytes from the operating system's CSPRNG.
pub fn random_bytes<const N: usize>() -> anyhow::Result<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness from the OS: {e}"))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn the_generated_key_is_private_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::default();
        config.storage.data_dir = dir.path().join("data");
        let first = jwt_secret(&config).unwrap();
        let path = config.storage.data_dir.join(JWT_SECRET_FILE);
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert!(first.expose_secret().len() >= 64);
        assert_eq!(
            jwt_secret(&config).unwrap().expose_secret(),
            first.expose_secret()
        );
    }

    #[test]
    fn several_nodes_need_a_configured_key() {
        let mut config = Config::default();
        config.database.url = Some("postgres://app@db.internal/app".into());
        let err = jwt_secret(&config).unwrap_err().to_string();
        assert!(err.contains("auth.jwt_secret"), "{err}");
    }
}
