//! AES-GCM encryption of stored state, byte-compatible with Python's `AESCipher`.

use std::fmt;

use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{AeadInOut, Generate, KeyInit};
use aes_gcm::aes::Aes192;
use aes_gcm::{Aes128Gcm, Aes256Gcm, AesGcm, Nonce, Tag};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::{Error, ErrorKind, Result};

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
/// [`ErrorKind::CiphertextTruncated`] or [`ErrorKind::Decrypt`], naming the event.
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
    /// [`ErrorKind::InvalidCipherKey`] for any other size.
    pub fn create_key(num_bytes: usize) -> Result<String> {
        check_key_len("num_bytes", num_bytes)?;
        let mut key = Vec::with_capacity(num_bytes);
        while key.len() < num_bytes {
            key.extend(u64::generate().to_le_bytes());
        }
        key.truncate(num_bytes);
        Ok(STANDARD.encode(key))
    }

    /// A cipher from a base64 key, as `create_key` makes them, read as
    /// leniently as Python's `base64.b64decode` reads it (see
    /// [`decode_base64`]).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidCipherKey`] when the text is not base64 or does not
    /// decode to 16, 24 or 32 bytes. Nothing of the key is part of the
    /// message.
    #[doc(hidden)]
    pub fn new(key_base64: &str) -> Result<Self> {
        Self::from_setting("CIPHER_KEY", key_base64)
    }

    /// As [`new`](Self::new), naming `variable` in any error.
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new).
    pub(crate) fn from_setting(variable: &str, key_base64: &str) -> Result<Self> {
        let key = decode_base64(key_base64).map_err(|reason| ErrorKind::InvalidCipherKey {
            variable: variable.to_owned(),
            reason: format!("not base64 ({reason})"),
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
    pub(crate) fn key_bits(&self) -> u32 {
        match self.inner {
            Inner::Aes128(_) => 128,
            Inner::Aes192(_) => 192,
            Inner::Aes256(_) => 256,
        }
    }

    /// Encrypts `plaintext` under a fresh random nonce: nonce ‖ tag ‖ ciphertext.
    pub(crate) fn encrypt(&self, plaintext: &[u8]) -> Vec<u8> {
        let nonce = Nonce::<U12>::generate();
        let mut body = plaintext.to_vec();
        // Encryption fails only for messages of more than 64 GiB.
        let tag = match &self.inner {
            Inner::Aes128(c) => c.encrypt_inout_detached(&nonce, b"", body.as_mut_slice().into()),
            Inner::Aes192(c) => c.encrypt_inout_detached(&nonce, b"", body.as_mut_slice().into()),
            Inner::Aes256(c) => c.encrypt_inout_detached(&nonce, b"", body.as_mut_slice().into()),
        }
        .unwrap_or_default();
        let mut out =
            Vec::with_capacity(NONCE_LEN.saturating_add(TAG_LEN).saturating_add(body.len()));
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&tag);
        out.extend_from_slice(&body);
        out
    }

    /// Decrypts nonce ‖ tag ‖ ciphertext.
    ///
    /// # Errors
    ///
    /// [`DecryptError::Truncated`] when there are fewer than 28 bytes,
    /// [`DecryptError::Authentication`] when the tag does not verify.
    #[doc(hidden)]
    pub fn decrypt(&self, sealed: &[u8]) -> Result<Vec<u8>, DecryptError> {
        let truncated = || DecryptError::Truncated(sealed.len());
        let (nonce, rest) = sealed.split_at_checked(NONCE_LEN).ok_or_else(truncated)?;
        let (tag, body) = rest.split_at_checked(TAG_LEN).ok_or_else(truncated)?;
        let nonce = Nonce::<U12>::try_from(nonce).map_err(|_| truncated())?;
        let tag = Tag::try_from(tag).map_err(|_| truncated())?;
        let mut body = body.to_vec();
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
        Err(ErrorKind::InvalidCipherKey {
            variable: variable.to_owned(),
            reason: format!(
                "{len} bytes; expected 16, 24 or 32 (make one with AesCipher::create_key(32))"
            ),
        }
        .into())
    }
}

/// The 6-bit value of a base64 letter, or `None` for any other byte.
fn base64_value(b: u8) -> Option<u8> {
    match b {
        b'A'..=b'Z' => b.checked_sub(b'A'),
        b'a'..=b'z' => b.checked_sub(b'a').and_then(|v| v.checked_add(26)),
        b'0'..=b'9' => b.checked_sub(b'0').and_then(|v| v.checked_add(52)),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Decodes base64 text as Python's `base64.b64decode(text)` does (that is,
/// `binascii.a2b_base64` in its lenient mode), so that any key the Python
/// library accepts is accepted here: bytes outside the base64 alphabet
/// (spaces, newlines, anything else) are skipped, and decoding stops at the
/// padding that completes a group; padding elsewhere is skipped.
///
/// The error says what is wrong without showing any of the text.
///
/// # Errors
///
/// `incorrect padding` when the last group is incomplete; a message counting
/// the data characters when one is left over.
pub(crate) fn decode_base64(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity((text.len() / 4).saturating_mul(3).saturating_add(3));
    let mut quad_pos = 0u8;
    let mut left = 0u8;
    let mut pads = 0u8;
    let mut data_chars = 0usize;
    for b in text.bytes() {
        if b == b'=' {
            pads = pads.saturating_add(1);
            if quad_pos >= 2 && quad_pos.saturating_add(pads) >= 4 {
                return Ok(out);
            }
            continue;
        }
        let Some(v) = base64_value(b) else { continue };
        pads = 0;
        data_chars = data_chars.saturating_add(1);
        match quad_pos {
            0 => {
                quad_pos = 1;
                left = v;
            }
            1 => {
                quad_pos = 2;
                out.push((left << 2) | (v >> 4));
                left = v & 0x0f;
            }
            2 => {
                quad_pos = 3;
                out.push((left << 4) | (v >> 2));
                left = v & 0x03;
            }
            _ => {
                quad_pos = 0;
                out.push((left << 6) | v);
                left = 0;
            }
        }
    }
    match quad_pos {
        0 => Ok(out),
        1 => Err(format!(
            "the number of data characters ({data_chars}) cannot be 1 more than a multiple of 4"
        )),
        _ => Err("incorrect padding".to_owned()),
    }
}

fn len_error(variable: &str, len: usize) -> Error {
    ErrorKind::InvalidCipherKey {
        variable: variable.to_owned(),
        reason: format!("cannot make an AES key of {len} bytes"),
    }
    .into()
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
        let err = AesCipher::new("nöt base64!").unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::InvalidCipherKey { .. }));
        assert!(!err.to_string().contains("nöt"), "{err}");
        assert!(!err.to_string().contains("base64!"), "{err}");
        let short = STANDARD.encode([7u8; 10]);
        let err = AesCipher::new(&short).unwrap_err();
        assert!(err.to_string().contains("10 bytes"), "{err}");
        assert!(!err.to_string().contains(&short));
        assert!(AesCipher::create_key(20).is_err());
        // One byte of the key left over, in any position: the message counts, never shows.
        for key in ["QUJDz", "!QUJDz", "QUJDz!", "QU\u{e9}JDz"] {
            let err = AesCipher::new(key).unwrap_err();
            let text = format!("{err} {err:?}");
            assert!(
                !text.contains('z') && !text.contains('!') && !text.contains('\u{e9}'),
                "{text}"
            );
        }
    }

    /// Each text, and what Python 3.11's `base64.b64decode(text.encode())`
    /// made of it (`None`: it raised `binascii.Error`).
    const PYTHON_B64DECODE: [(&str, Option<&[u8]>); 20] = [
        ("QUJD", Some(b"ABC")),
        ("QUJD\n", Some(b"ABC")),
        (" Q U J D ", Some(b"ABC")),
        ("QUJ", None),
        ("QUI=", Some(b"AB")),
        ("QUI=garbage", Some(b"AB")),
        ("QQ==", Some(b"A")),
        ("QQ=", None),
        ("Q===", None),
        ("=QUJD", Some(b"ABC")),
        ("QU=JD", Some(b"ABC")),
        ("QUJD====", Some(b"ABC")),
        ("QUJDRA", None),
        ("QUJDRA=", None),
        ("Q", None),
        ("QUJD!!", Some(b"ABC")),
        ("Q\u{e9}UJD", Some(b"ABC")),
        ("QU JD=x=", None),
        ("QUJ=D", Some(b"AB")),
        ("QQ=QQ==", Some(b"A\x04\x10")),
    ];

    #[test]
    fn keys_are_decoded_as_pythons_b64decode_decodes_them() {
        for (text, python) in PYTHON_B64DECODE {
            assert_eq!(decode_base64(text).ok().as_deref(), python, "{text:?}");
        }
        // Every key Python writes, with whitespace anywhere, still works.
        let key = AesCipher::create_key(32).unwrap();
        let cipher = AesCipher::new(&key).unwrap();
        let spaced: String = key.chars().flat_map(|c| [c, ' ', '\n']).collect();
        let other = AesCipher::new(&spaced).unwrap();
        assert_eq!(
            other.decrypt(&cipher.encrypt(b"same key")).unwrap(),
            b"same key"
        );
    }

    #[test]
    fn decode_base64_reads_what_python_reads() {
        use super::decode_base64;
        assert_eq!(decode_base64(" QU JD\n").unwrap(), b"ABC");
        assert_eq!(decode_base64("QUI=trailing").unwrap(), b"AB");
        assert!(decode_base64("QUJ").is_err());
    }

    #[test]
    fn a_sealed_state_is_nonce_tag_ciphertext() {
        use crate::persistence::AesCipher;
        let key = AesCipher::create_key(32).unwrap();
        let cipher = AesCipher::new(&key).unwrap();
        let sealed = cipher.encrypt(b"dinosaurs");
        assert_eq!(sealed.len(), 12 + 16 + 9);
        assert_eq!(cipher.decrypt(&sealed).unwrap(), b"dinosaurs");
        assert_eq!(format!("{cipher:?}"), "AesCipher { key_bits: 256 }");
    }
}
