//! Domain events to stored events and back: transcode, compress, encrypt.

use std::borrow::Cow;

use uuid::Uuid;

use super::cipher::DecryptError;
use super::environment::invalid;
use super::{
    AesCipher, DEFAULT_COMPRESSION_LEVEL, DEFAULT_MAX_DECOMPRESSED_SIZE, Decoder, DecompressError,
    Environment, Followed, MAX_COMPRESSION_LEVEL, StoredEvent, Transcodable, ZlibCompressor,
};
use crate::{ErrorKind, Result};

thread_local! {
    /// How long this thread's recent events' JSON came to: the longest,
    /// forgotten slowly (a 64th an event), so that one long event does not
    /// size every buffer after it.
    static JSON_SIZE: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The capacity an event's JSON is written into: an eighth more than
/// recent events needed, so that most are written with no reallocation and
/// copy (serde_json's `to_vec` starts at 128 bytes and grows, which for
/// the tutorial's events is one reallocation each), within 128 bytes and
/// [`JSON_CAPACITY_MAX`].
fn json_capacity(recent: usize) -> usize {
    recent
        .saturating_add(recent / 8)
        .clamp(128, JSON_CAPACITY_MAX)
}

/// The most room an event's JSON starts with. Without compression or a
/// cipher the buffer is the stored state itself, so after one large event
/// each small one that follows (while the recent size decays) carries this
/// much at most, not the large one's size.
const JSON_CAPACITY_MAX: usize = 4 * 1024;

/// Turns domain events into [`StoredEvent`]s and back.
///
/// Writing: JSON (see `transcoder`), then zlib when a
/// compressor is set, then AES-GCM when a cipher is set. Reading reverses it.
#[derive(Debug, Clone)]
pub struct Mapper {
    compressor: Option<ZlibCompressor>,
    cipher: Option<AesCipher>,
    max_decompressed_size: usize,
    compression_level: u8,
}

impl Default for Mapper {
    fn default() -> Self {
        Self::new(None, None)
    }
}

impl Mapper {
    /// A mapper with the given compressor and cipher (either may be absent),
    /// inflating stored state to at most `DEFAULT_MAX_DECOMPRESSED_SIZE`
    /// bytes.
    pub fn new(compressor: Option<ZlibCompressor>, cipher: Option<AesCipher>) -> Self {
        Self {
            compressor,
            cipher,
            max_decompressed_size: DEFAULT_MAX_DECOMPRESSED_SIZE,
            compression_level: DEFAULT_COMPRESSION_LEVEL,
        }
    }

    /// The same mapper compressing at `level` (`COMPRESSOR_LEVEL`), from 0
    /// (stored, no compression) to 9 (smallest, slowest); a level above 9
    /// is 9. Reading does not depend on it: zlib streams of every level read
    /// alike, here and in Python.
    pub(crate) fn with_compression_level(mut self, level: u8) -> Self {
        self.compression_level = level.min(MAX_COMPRESSION_LEVEL);
        self
    }

    /// The same mapper inflating stored state to at most `bytes` bytes
    /// (`MAX_DECOMPRESSED_SIZE`); past it, decoding fails with
    /// [`ErrorKind::DecompressedTooLarge`].
    #[doc(hidden)]
    pub fn with_max_decompressed_size(mut self, bytes: usize) -> Self {
        self.max_decompressed_size = bytes;
        self
    }

    /// The most bytes stored state may inflate to.
    #[doc(hidden)]
    pub fn max_decompressed_size(&self) -> usize {
        self.max_decompressed_size
    }

    /// The zlib level compressed state is written at.
    #[cfg(test)]
    pub(crate) fn compression_level(&self) -> u8 {
        self.compression_level
    }

    /// Whether stored state is encrypted.
    #[cfg(test)]
    pub(crate) fn is_encrypted(&self) -> bool {
        self.cipher.is_some()
    }

    /// Whether stored state is compressed.
    #[cfg(test)]
    pub(crate) fn is_compressed(&self) -> bool {
        self.compressor.is_some()
    }

    /// Encodes a domain event as a stored event.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Encode`] when the event's state cannot be written as JSON.
    pub fn to_stored_event<E: Transcodable>(&self, event: &E) -> Result<StoredEvent> {
        let recent = JSON_SIZE.get();
        let mut json = Vec::with_capacity(json_capacity(recent));
        event
            .encode_state(&mut json)
            .map_err(|source| ErrorKind::Encode {
                topic: event.topic().to_owned(),
                originator_id: event.originator_id().uuid(),
                originator_version: event.originator_version(),
                source,
            })?;
        JSON_SIZE.set(json.len().max(recent.saturating_sub(recent / 64)));
        Ok(StoredEvent {
            originator_id: event.originator_id().uuid(),
            originator_version: event.originator_version(),
            topic: std::borrow::Cow::Borrowed(event.topic()),
            state: self.encode_bytes(json),
        })
    }

    /// Decodes a stored event as a domain event of type `E`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Decrypt`], [`ErrorKind::CiphertextTruncated`],
    /// [`ErrorKind::Decompress`], [`ErrorKind::UnknownTopic`] or [`ErrorKind::Decode`],
    /// each naming the aggregate id and version.
    pub fn to_domain_event<E: Transcodable>(&self, stored: &StoredEvent) -> Result<E> {
        self.decode_event(
            stored.originator_id,
            stored.originator_version,
            &stored.topic,
            &stored.state,
        )
    }

    /// Decodes the parts of a stored event (or a notification) as `E`.
    ///
    /// # Errors
    ///
    /// As [`to_domain_event`](Self::to_domain_event).
    #[doc(hidden)]
    pub fn decode_event<E: Transcodable>(
        &self,
        originator_id: Uuid,
        originator_version: u64,
        topic: &str,
        state: &[u8],
    ) -> Result<E> {
        // Every event type is followed as itself (the blanket `Followed`).
        self.decode_followed(originator_id, originator_version, topic, state)
    }

    /// Decodes the parts of a notification as one of the events a follower
    /// handles.
    ///
    /// # Errors
    ///
    /// As [`to_domain_event`](Self::to_domain_event).
    pub(crate) fn decode_followed<E: Followed>(
        &self,
        originator_id: Uuid,
        originator_version: u64,
        topic: &str,
        state: &[u8],
    ) -> Result<E> {
        let topics = E::FOLLOWED_TOPICS;
        if !topics.contains(&topic) {
            return Err(ErrorKind::UnknownTopic {
                topic: topic.to_owned(),
                originator_id,
                originator_version,
                expected: topics.join(", "),
            }
            .into());
        }
        let json = self.decode_bytes(originator_id, originator_version, state)?;
        // Python writes NaN and infinities as bare tokens, which serde_json
        // cannot read; events that hold no float have none.
        let rewritten;
        let json: &[u8] = if E::FOLLOWED_MAY_HOLD_FLOATS {
            rewritten = super::rewrite_non_finite(&json);
            &rewritten
        } else {
            &json
        };
        let decoded =
            E::decode_followed(topic, Decoder::new(json, originator_id, originator_version))
                .map_err(|source| ErrorKind::Decode {
                    topic: topic.to_owned(),
                    originator_id,
                    originator_version,
                    source,
                })?;
        decoded.ok_or_else(|| {
            ErrorKind::UnknownTopic {
                topic: topic.to_owned(),
                originator_id,
                originator_version,
                expected: topics.join(", "),
            }
            .into()
        })
    }

    /// Compresses and encrypts JSON state as configured.
    pub(crate) fn encode_bytes(&self, json: Vec<u8>) -> Vec<u8> {
        let packed = match &self.compressor {
            Some(z) => z.compress_at(&json, self.compression_level),
            None => json,
        };
        match &self.cipher {
            Some(c) => c.encrypt(&packed),
            None => packed,
        }
    }

    /// Decrypts and decompresses stored state as configured, back to JSON.
    /// Borrows `state` when there is nothing to undo.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Decrypt`], [`ErrorKind::CiphertextTruncated`],
    /// [`ErrorKind::Decompress`] or [`ErrorKind::DecompressedTooLarge`], naming the
    /// aggregate id and version given.
    #[doc(hidden)]
    pub fn decode_bytes<'s>(
        &self,
        originator_id: Uuid,
        originator_version: u64,
        state: &'s [u8],
    ) -> Result<Cow<'s, [u8]>> {
        let opened = match &self.cipher {
            Some(c) => Cow::Owned(c.decrypt(state).map_err(|e| match e {
                DecryptError::Truncated(len) => ErrorKind::CiphertextTruncated {
                    originator_id,
                    originator_version,
                    len,
                },
                DecryptError::Authentication => ErrorKind::Decrypt {
                    originator_id,
                    originator_version,
                },
            })?),
            None => Cow::Borrowed(state),
        };
        match &self.compressor {
            Some(z) => z
                .decompress_limited(&opened, self.max_decompressed_size)
                .map(Cow::Owned)
                .map_err(|e| match e {
                    DecompressError::Invalid(source) => ErrorKind::Decompress {
                        originator_id,
                        originator_version,
                        source,
                    }
                    .into(),
                    DecompressError::TooLarge { limit } => ErrorKind::DecompressedTooLarge {
                        originator_id,
                        originator_version,
                        limit,
                    }
                    .into(),
                }),
            None => Ok(opened),
        }
    }
}

/// The compressor topics accepted: the Python library's class, and the
/// module it also resolves (`zlib`, whose functions it calls).
const COMPRESSOR_TOPICS: [&str; 2] = ["eventsourcing.compressor:ZlibCompressor", "zlib"];

/// The cipher topics accepted: the Python library's two AES-GCM ciphers
/// (pycryptodome's and the `cryptography` package's write the same bytes),
/// and short names of this library's.
const CIPHER_TOPICS: [&str; 5] = [
    "eventsourcing.cipher:AESCipher",
    "eventsourcing.cryptography:AESCipher",
    "AESCipher",
    "aes",
    "AES",
];

impl Mapper {
    /// The mapper `CIPHER_TOPIC`, `CIPHER_KEY`, `COMPRESSOR_TOPIC`,
    /// `COMPRESSOR_LEVEL` (0 to 9; default 6, zlib's and Python's; it has no
    /// effect without a compressor) and `MAX_DECOMPRESSED_SIZE` (bytes, from
    /// 1 to `isize::MAX`; default [`DEFAULT_MAX_DECOMPRESSED_SIZE`], 256 MiB)
    /// describe.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidSetting`] naming the variable and what is accepted;
    /// [`ErrorKind::MissingSetting`] for a cipher topic without a key;
    /// [`ErrorKind::InvalidCipherKey`], which never shows the key.
    #[doc(hidden)]
    pub fn from_env(env: &Environment) -> Result<Self> {
        mapper_from_env(env)
    }
}

fn mapper_from_env(env: &Environment) -> Result<Mapper> {
    let compressor = match env.lookup("COMPRESSOR_TOPIC")? {
        None => None,
        Some((_, value)) if COMPRESSOR_TOPICS.contains(&value.trim()) => Some(ZlibCompressor),
        Some((variable, value)) => {
            return Err(invalid(&variable, &value, &COMPRESSOR_TOPICS.join(" or ")));
        }
    };
    let topic = env.lookup("CIPHER_TOPIC")?;
    let key = env.lookup("CIPHER_KEY")?;
    let cipher = match (topic, key) {
        (None, None) => None,
        (Some((variable, value)), _) if !CIPHER_TOPICS.contains(&value.trim()) => {
            return Err(invalid(&variable, &value, &CIPHER_TOPICS[..2].join(" or ")));
        }
        (Some(_), None) => {
            return Err(ErrorKind::MissingSetting {
                variable: env.variables("CIPHER_KEY").join(" or "),
                reason: "CIPHER_TOPIC selects AES, which needs a key (make one with AesCipher::create_key(32))"
                    .to_owned(),
            }.into());
        }
        (_, Some((variable, key))) => Some(AesCipher::from_setting(&variable, &key)?),
    };
    let most = u64::try_from(isize::MAX).unwrap_or(u64::MAX);
    let max = env
        .integer("MAX_DECOMPRESSED_SIZE", 1, most)?
        .map_or(DEFAULT_MAX_DECOMPRESSED_SIZE, |n| {
            usize::try_from(n).unwrap_or(usize::MAX)
        });
    // zlib's levels; Python's library always writes at 6, and reads any.
    let level = env
        .integer("COMPRESSOR_LEVEL", 0, MAX_COMPRESSION_LEVEL)?
        .unwrap_or(DEFAULT_COMPRESSION_LEVEL);
    Ok(Mapper::new(compressor, cipher)
        .with_max_decompressed_size(max)
        .with_compression_level(level))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An event's buffer starts big enough for recent events' JSON and an
    /// eighth more, never below serde_json's 128 bytes nor above 4 KiB,
    /// whatever was recorded, `usize::MAX` included.
    #[test]
    fn json_capacity_is_bounded_at_both_ends() {
        for (recent, capacity) in [
            (0, 128),
            (100, 128),
            (150, 168),
            (1_000, 1_125),
            (3_640, 4_095),
            (3_641, 4_096),
            (4_096, 4_096),
            (64 * 1024, 4_096),
            (usize::MAX, 4_096),
        ] {
            assert_eq!(json_capacity(recent), capacity, "{recent}");
        }
    }

    #[test]
    fn a_mapper_compresses_then_encrypts() {
        use crate::persistence::{AesCipher, Mapper, ZlibCompressor};
        let cipher = AesCipher::new(&AesCipher::create_key(16).unwrap()).unwrap();
        let mapper = Mapper::new(Some(ZlibCompressor), Some(cipher));
        let id = uuid::Uuid::new_v4();
        let sealed = mapper.encode_bytes(b"{\"what\":\"dinosaurs\"}".to_vec());
        assert!(!sealed.windows(9).any(|w| w == b"dinosaurs"));
        assert_eq!(
            &*mapper.decode_bytes(id, 2, &sealed).unwrap(),
            b"{\"what\":\"dinosaurs\"}"
        );
    }

    fn mapper(values: &[(&str, &str)]) -> Result<Mapper> {
        mapper_from_env(&Environment::isolated("Universe", values.iter().copied()))
    }

    #[test]
    fn compressor_and_cipher_topics_are_read() {
        let key = AesCipher::create_key(24).unwrap();
        let m = mapper(&[
            (
                "COMPRESSOR_TOPIC",
                "eventsourcing.compressor:ZlibCompressor",
            ),
            ("CIPHER_KEY", &key),
        ])
        .unwrap();
        assert!(m.is_compressed() && m.is_encrypted());
        let m = mapper(&[("UNIVERSE_COMPRESSOR_TOPIC", "zlib")]).unwrap();
        assert!(m.is_compressed() && !m.is_encrypted());
        assert!(!mapper(&[]).unwrap().is_compressed());
    }

    #[test]
    fn bad_settings_name_their_variable() {
        let err = mapper(&[("UNIVERSE_COMPRESSOR_TOPIC", "lz4")]).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("UNIVERSE_COMPRESSOR_TOPIC=\"lz4\""),
            "{err}"
        );
        let err = mapper(&[("CIPHER_TOPIC", "eventsourcing.cipher:AESCipher")]).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::MissingSetting { variable, .. } if variable == "UNIVERSE_CIPHER_KEY or CIPHER_KEY"),
            "{err}"
        );
        let err = mapper(&[("CIPHER_TOPIC", "rot13"), ("CIPHER_KEY", "x")]).unwrap_err();
        assert!(
            err.to_string().starts_with("CIPHER_TOPIC=\"rot13\""),
            "{err}"
        );
        let err = mapper(&[("UNIVERSE_CIPHER_KEY", "dG9vIHNob3J0")]).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::InvalidCipherKey { variable, .. } if variable == "UNIVERSE_CIPHER_KEY"),
            "{err}"
        );
    }

    #[test]
    fn the_compression_level_is_read_in_its_range() {
        assert_eq!(mapper(&[]).unwrap().compression_level(), 6);
        for (value, level) in [("0", 0), ("1", 1), (" 9 ", 9), ("+7", 7), ("0_3", 3)] {
            let m = mapper(&[
                ("COMPRESSOR_TOPIC", "zlib"),
                ("UNIVERSE_COMPRESSOR_LEVEL", value),
            ])
            .unwrap();
            assert_eq!(m.compression_level(), level, "{value:?}");
        }
        for value in ["10", "-1", "6.0", "high", "256", "99999999999999999999999"] {
            let err = mapper(&[("COMPRESSOR_LEVEL", value)]).unwrap_err();
            let text = err.to_string();
            assert!(
                text.starts_with("COMPRESSOR_LEVEL=") && text.contains("from 0 to 9"),
                "{value:?}: {text}"
            );
        }
    }
    #[test]
    fn a_compressor_topic_makes_a_compressing_mapper() -> crate::Result<()> {
        use crate::persistence::{Environment, Mapper};
        let env = Environment::isolated("Universe", [("COMPRESSOR_TOPIC", "zlib")]);
        assert!(Mapper::from_env(&env)?.is_compressed());
        Ok(())
    }

    #[test]
    fn the_python_librarys_cipher_and_compressor_topics_are_accepted_exactly() {
        let key = AesCipher::create_key(16).unwrap();
        for topic in CIPHER_TOPICS {
            let m = mapper(&[("CIPHER_TOPIC", topic), ("CIPHER_KEY", &key)]).unwrap();
            assert!(m.is_encrypted(), "{topic}");
        }
        for topic in COMPRESSOR_TOPICS {
            assert!(
                mapper(&[("COMPRESSOR_TOPIC", topic)])
                    .unwrap()
                    .is_compressed()
            );
        }
        let err = mapper(&[
            ("CIPHER_TOPIC", "eventsourcing.cipher:DESCipher"),
            ("CIPHER_KEY", &key),
        ])
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("eventsourcing.cryptography:AESCipher"),
            "{err}"
        );
    }
}
