//! Secrets at rest in PostgreSQL (the ACME account key, certificate keys): ChaCha20-Poly1305 under
//! a key derived with HKDF-SHA256 from the configured storage key. Each value is bound to what it
//! is (the associated data), so a sealed value copied into another row does not open.

use ring::{
    aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey},
    hkdf,
    rand::{SecureRandom, SystemRandom},
};
use secrecy::{ExposeSecret, SecretString};

/// The first byte of every sealed value: the format, so that it can change.
const VERSION: u8 = 1;

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("the sealed value is not in a known format")]
    Format,
    /// Another storage key, or a value altered or moved.
    #[error(
        "the sealed value does not open with this storage key (tls.acme.storage_key differs between nodes?)"
    )]
    Open,
    #[error("no randomness for a nonce")]
    Random,
}

pub struct Sealer {
    key: LessSafeKey,
    random: SystemRandom,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer")
    }
}

impl Sealer {
    pub fn new(secret: &SecretString) -> Self {
        let salt = hkdf::Salt::new(hkdf::HKDF_SHA256, b"sports-nutrition storage key v1");
        let prk = salt.extract(secret.expose_secret().as_bytes());
        let okm = prk
            .expand(&[b"chacha20-poly1305"], &CHACHA20_POLY1305)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        Self {
            key: LessSafeKey::new(UnboundKey::from(okm)),
            random: SystemRandom::new(),
        }
    }

    /// `version ‖ nonce ‖ ciphertext ‖ tag`, bound to `purpose`.
    pub fn seal(&self, purpose: &str, plain: &[u8]) -> Result<Vec<u8>, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        self.random
            .fill(&mut nonce)
            .map_err(|_| SealError::Random)?;
        let mut body = plain.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(purpose.as_bytes()),
                &mut body,
            )
            .map_err(|_| SealError::Random)?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + body.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&body);
        Ok(out)
    }

    pub fn open(&self, purpose: &str, sealed: &[u8]) -> Result<Vec<u8>, SealError> {
        let Some((&VERSION, rest)) = sealed.split_first() else {
            return Err(SealError::Format);
        };
        if rest.len() < NONCE_LEN + CHACHA20_POLY1305.tag_len() {
            return Err(SealError::Format);
        }
        let (nonce, body) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SealError::Format)?;
        let mut body = body.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(purpose.as_bytes()), &mut body)
            .map_err(|_| SealError::Open)?;
        Ok(plain.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer(secret: &str) -> Sealer {
        Sealer::new(&SecretString::from(secret.to_owned()))
    }

    #[test]
    fn a_sealed_value_opens_with_the_same_key_and_purpose_only() {
        let a = sealer("a storage key of more than thirty-two characters");
        let sealed = a
            .seal("tls-key:club.example.rs", b"-----BEGIN PRIVATE KEY-----")
            .unwrap();
        assert_eq!(
            a.open("tls-key:club.example.rs", &sealed).unwrap(),
            b"-----BEGIN PRIVATE KEY-----"
        );
        assert!(matches!(
            a.open("tls-key:other.example.rs", &sealed),
            Err(SealError::Open)
        ));
        let b = sealer("another storage key of more than thirty-two characters");
        assert!(matches!(
            b.open("tls-key:club.example.rs", &sealed),
            Err(SealError::Open)
        ));
    }

    #[test]
    fn sealing_twice_gives_different_bytes_and_altered_bytes_do_not_open() {
        let a = sealer("a storage key of more than thirty-two characters");
        let one = a.seal("p", b"same").unwrap();
        let two = a.seal("p", b"same").unwrap();
        assert_ne!(one, two, "a fresh nonce each time");
        assert!(
            !one.windows(4).any(|w| w == b"same"),
            "the plain text does not show"
        );
        let mut altered = one.clone();
        *altered.last_mut().unwrap() ^= 1;
        assert!(matches!(a.open("p", &altered), Err(SealError::Open)));
        assert!(matches!(a.open("p", &one[..10]), Err(SealError::Format)));
        assert!(matches!(a.open("p", &[]), Err(SealError::Format)));
        let mut other_version = one;
        other_version[0] = 9;
        assert!(matches!(
            a.open("p", &other_version),
            Err(SealError::Format)
        ));
    }
}
