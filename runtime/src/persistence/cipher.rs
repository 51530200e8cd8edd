//! AES-GCM encryption of stored state, byte-compatible with Python's `AESCipher`.

use std::fmt;

use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{AeadInOut, Generate, KeyInit};
use aes_gcm::aes::Aes192;
use aes_gcm::{Aes128Gcm, Aes256Gcm, AesGcm, Nonce, Tag};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::{Error, Result};

type Aes192Gcm = AesGcm<Aes192, U12>;

const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// Encrypts stored state with AES in GCM mode (topic
/// `eventsourcing.cipher:AESCipher`).
///
/// The stored bytes are laid out as the Python library lays them out: a
/// 12-byte random nonce, the 16-byte tag, then the ciphertext. Keys are
/// base64 text of 16, 24 or 32 random bytes (AES-128, -192, -256).
///
/// The key is never shown: `Debug` prints only its size.
///
/// ```
/// use eventsourcing::persistence::AesCipher;
/// let key = AesCipher::create_key(32).unwrap();
/// let cipher = AesCipher::new(&key).unwrap();
/// let sealed = cipher.encrypt(b"dinosaurs");
/// assert_eq!(sealed.len(), 12 + 16 + 9);
/// assert_eq!(cipher.decrypt(&sealed).unwrap(), b"dinosaurs");
/// assert_eq!(format!("{cipher:?}"), "AesCipher { key_bits: 256 }");
/// ```
#[derive(Clone)]
pub struct AesCipher {
    inner: Inner,
}

#[derive(Clone)]
enum Inner {
    Aes128(Box<Aes128Gcm>),
    Aes192(Box<Aes192Gcm>),
    Aes256(Box<Aes256Gcm>),
}

/// Why [`AesCipher::decrypt`] failed. The mapper turns it into
/// [`Error::CiphertextTruncated`] or [`Error::Decrypt`], naming the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecryptError {
    /// Fewer bytes than a nonce and a tag.
    #[error("{0} bytes is shorter than nonce and tag (28 bytes)")]
    Truncated(usize),
    /// The tag did not verify: wrong key, or altered bytes.
    #[error("authentication failed (wrong key, or altered bytes)")]
    Authentication,
}

impl AesCipher {
    /// Makes a new random key of `num_bytes` bytes (16, 24 or 32), as base64
    /// text ready for `CIPHER_KEY`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidCipherKey`] for any other size.
    pub fn create_key(num_bytes: usize) -> Result<String> {
        check_key_len("num_bytes", num_bytes)?;
        let mut key = vec![0u8; num_bytes];
        for chunk in key.chunks_mut(8) {
            let word = u64::generate().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
        Ok(STANDARD.encode(key))
    }

    /// A cipher from a base64 key, as `create_key` makes them.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidCipherKey`] when the text is not base64 or does not
    /// decode to 16, 24 or 32 bytes. The key is not part of the message.
    pub fn new(key_base64: &str) -> Result<Self> {
        Self::from_setting("CIPHER_KEY", key_base64)
    }

    /// As [`new`](Self::new), naming `variable` in any error.
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new).
    pub fn from_setting(variable: &str, key_base64: &str) -> Result<Self> {
        let key = STANDARD
            .decode(key_base64.trim())
            .map_err(|e| Error::InvalidCipherKey {
                variable: variable.to_owned(),
                reason: format!("not base64 ({e})"),
            })?;
        check_key_len(variable, key.len())?;
        let inner = match key.len() {
            16 => Inner::Aes128(Box::new(
                Aes128Gcm::new_from_slice(&key).map_err(|_| len_error(variable, 16))?,
            )),
            24 => Inner::Aes192(Box::new(
                Aes192Gcm::new_from_slice(&key).map_err(|_| len_error(variable, 24))?,
            )),
            _ => Inner::Aes256(Box::new(
                Aes256Gcm::new_from_slice(&key).map_err(|_| len_error(variable, 32))?,
            )),
        };
        Ok(Self { inner })
    }

    /// The key size in bits.
    pub fn key_bits(&self) -> u32 {
        match self.inner {
            Inner::Aes128(_) => 128,
            Inner::Aes192(_) => 192,
            Inner::Aes256(_) => 256,
        }
    }

    /// Encrypts `plaintext` under a fresh random nonce: nonce ‖ tag ‖ ciphertext.
    pub fn encrypt(&self, plaintext: &[u8]) -> Vec<u8> {
        let nonce = Nonce::<U12>::generate();
        let mut out = Vec::with_capacity(NONCE_LEN + TAG_LEN + plaintext.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&[0u8; TAG_LEN]);
        out.extend_from_slice(plaintext);
        let (head, body) = out.split_at_mut(NONCE_LEN + TAG_LEN);
        // Encryption fails only for messages of more than 64 GiB.
        let tag = match &self.inner {
            Inner::Aes128(c) => c.encrypt_inout_detached(&nonce, b"", body.into()),
            Inner::Aes192(c) => c.encrypt_inout_detached(&nonce, b"", body.into()),
            Inner::Aes256(c) => c.encrypt_inout_detached(&nonce, b"", body.into()),
        }
        .unwrap_or_default();
        head[NONCE_LEN..].copy_from_slice(&tag);
        out
    }

    /// Decrypts nonce ‖ tag ‖ ciphertext.
    ///
    /// # Errors
    ///
    /// [`DecryptError::Truncated`] when there are fewer than 28 bytes,
    /// [`DecryptError::Authentication`] when the tag does not verify.
    pub fn decrypt(&self, sealed: &[u8]) -> Result<Vec<u8>, DecryptError> {
        if sealed.len() < NONCE_LEN + TAG_LEN {
            return Err(DecryptError::Truncated(sealed.len()));
        }
        let nonce = Nonce::<U12>::try_from(&sealed[..NONCE_LEN])
            .map_err(|_| DecryptError::Truncated(sealed.len()))?;
        let tag = Tag::try_from(&sealed[NONCE_LEN..NONCE_LEN + TAG_LEN])
            .map_err(|_| DecryptError::Truncated(sealed.len()))?;
        let mut body = sealed[NONCE_LEN + TAG_LEN..].to_vec();
        match &self.inner {
            Inner::Aes128(c) => {
                c.decrypt_inout_detached(&nonce, b"", body.as_mut_slice().into(), &tag)
            }
            Inner::Aes192(c) => {
                c.decrypt_inout_detached(&nonce, b"", body.as_mut_slice().into(), &tag)
            }
            Inner::Aes256(c) => {
                c.decrypt_inout_detached(&nonce, b"", body.as_mut_slice().into(), &tag)
            }
        }
        .map_err(|_| DecryptError::Authentication)?;
        Ok(body)
    }
}

impl fmt::Debug for AesCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AesCipher")
            .field("key_bits", &self.key_bits())
            .finish()
    }
}

fn check_key_len(variable: &str, len: usize) -> Result<()> {
    if matches!(len, 16 | 24 | 32) {
        Ok(())
    } else {
        Err(Error::InvalidCipherKey {
            variable: variable.to_owned(),
            reason: format!(
                "{len} bytes; expected 16, 24 or 32 (make one with AesCipher::create_key(32))"
            ),
        })
    }
}

fn len_error(variable: &str, len: usize) -> Error {
    Error::InvalidCipherKey {
        variable: variable.to_owned(),
        reason: format!("cannot make an AES key of {len} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_size_round_trips_and_lays_out_nonce_tag_ciphertext() {
        for size in [16, 24, 32] {
            let key = AesCipher::create_key(size).unwrap();
            assert_eq!(STANDARD.decode(&key).unwrap().len(), size);
            let cipher = AesCipher::new(&key).unwrap();
            assert_eq!(cipher.key_bits() as usize, size * 8);
            let a = cipher.encrypt(b"trucks");
            let b = cipher.encrypt(b"trucks");
            assert_ne!(a[..12], b[..12], "nonces are random");
            assert_eq!(a.len(), 12 + 16 + 6);
            assert_eq!(cipher.decrypt(&a).unwrap(), b"trucks");
        }
    }

    #[test]
    fn wrong_key_tampering_and_truncation_are_reported() {
        let cipher = AesCipher::new(&AesCipher::create_key(32).unwrap()).unwrap();
        let other = AesCipher::new(&AesCipher::create_key(32).unwrap()).unwrap();
        let sealed = cipher.encrypt(b"internet");
        assert_eq!(other.decrypt(&sealed), Err(DecryptError::Authentication));
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert_eq!(cipher.decrypt(&tampered), Err(DecryptError::Authentication));
        assert_eq!(
            cipher.decrypt(&sealed[..20]),
            Err(DecryptError::Truncated(20))
        );
    }

    #[test]
    fn malformed_keys_are_refused_without_showing_them() {
        let err = AesCipher::new("not base64!").unwrap_err();
        assert!(matches!(err, Error::InvalidCipherKey { .. }));
        assert!(!err.to_string().contains("not base64!"), "{err}");
        let short = STANDARD.encode([7u8; 10]);
        let err = AesCipher::new(&short).unwrap_err();
        assert!(err.to_string().contains("10 bytes"), "{err}");
        assert!(!err.to_string().contains(&short));
        assert!(AesCipher::create_key(20).is_err());
    }
}
