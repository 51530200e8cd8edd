//! The baseline's codec: serde_json (and zlib, AES-GCM) with no runtime in between.

use super::*;

/// `{"_type_":"datetime_iso","_data_":"..."}`, as Python writes a datetime.
pub(crate) struct IsoOut<'a>(&'a Timestamp);

impl Serialize for IsoOut<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let format = if self.0.timestamp_subsec_micros() == 0 {
            SecondsFormat::Secs
        } else {
            SecondsFormat::Micros
        };
        let mut map = s.serialize_map(Some(2))?;
        map.serialize_entry("_type_", "datetime_iso")?;
        map.serialize_entry("_data_", &self.0.to_rfc3339_opts(format, false))?;
        map.end()
    }
}

#[derive(Serialize)]
pub(crate) struct StartedOut<'a> {
    pub(crate) timestamp: IsoOut<'a>,
    pub(crate) originator_topic: &'a str,
    pub(crate) name: &'a str,
}

#[derive(Serialize)]
pub(crate) struct HappenedOut<'a> {
    pub(crate) timestamp: IsoOut<'a>,
    pub(crate) what: &'a str,
}

#[derive(Deserialize)]
pub(crate) struct IsoIn<'a> {
    #[serde(rename = "_type_", borrow)]
    pub(crate) type_: Cow<'a, str>,
    #[serde(rename = "_data_", borrow)]
    pub(crate) data: Cow<'a, str>,
}

impl IsoIn<'_> {
    pub(crate) fn parse(&self) -> Timestamp {
        assert_eq!(self.type_, "datetime_iso");
        DateTime::parse_from_rfc3339(&self.data)
            .expect("a timestamp")
            .with_timezone(&Utc)
    }
}

#[derive(Deserialize)]
pub(crate) struct StartedIn<'a> {
    #[serde(borrow)]
    pub(crate) timestamp: IsoIn<'a>,
    pub(crate) name: String,
}

#[derive(Deserialize)]
pub(crate) struct HappenedIn<'a> {
    #[serde(borrow)]
    pub(crate) timestamp: IsoIn<'a>,
    pub(crate) what: String,
}

#[derive(Clone)]
pub(crate) struct Codec {
    pub(crate) cipher: Option<Aes256Gcm>,
}

impl Codec {
    pub(crate) fn new(mode: Mode, key_base64: &str) -> Self {
        let cipher = (mode == Mode::AesZlib).then(|| {
            let key = base64::engine::general_purpose::STANDARD
                .decode(key_base64)
                .expect("base64 key");
            Aes256Gcm::new_from_slice(&key).expect("a 32-byte key")
        });
        Self { cipher }
    }

    pub(crate) fn encode(&self, event: &WorldEvent) -> Vec<u8> {
        let mut json = Vec::with_capacity(128);
        match event {
            WorldEvent::Started(e) => serde_json::to_writer(
                &mut json,
                &StartedOut {
                    timestamp: IsoOut(&e.timestamp),
                    originator_topic: World::TOPIC,
                    name: &e.name,
                },
            ),
            WorldEvent::SomethingHappened(e) => serde_json::to_writer(
                &mut json,
                &HappenedOut {
                    timestamp: IsoOut(&e.timestamp),
                    what: &e.what,
                },
            ),
        }
        .expect("JSON");
        let Some(cipher) = &self.cipher else {
            return json;
        };
        let packed = zlib_compress(&json);
        let nonce = Nonce::<U12>::generate();
        let mut out = Vec::with_capacity(12 + 16 + packed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&[0; 16]);
        out.extend_from_slice(&packed);
        let (head, body) = out.split_at_mut(28);
        let tag = cipher
            .encrypt_inout_detached(&nonce, b"", body.into())
            .expect("AES");
        head[12..].copy_from_slice(&tag);
        out
    }

    pub(crate) fn decode(&self, id: Uuid, version: u64, topic: &str, state: &[u8]) -> WorldEvent {
        let Some(cipher) = &self.cipher else {
            return decode_json(id, version, topic, state);
        };
        let nonce = Nonce::<U12>::try_from(&state[..12]).expect("nonce");
        let tag = Tag::try_from(&state[12..28]).expect("tag");
        let mut body = state[28..].to_vec();
        cipher
            .decrypt_inout_detached(&nonce, b"", body.as_mut_slice().into(), &tag)
            .expect("AES");
        let json = zlib_decompress(&body);
        decode_json(id, version, topic, &json)
    }
}

thread_local! {
    /// The baseline's compressor and decompressor, one per thread and reset
    /// between events, as the runtime keeps its own: setting one up costs
    /// more than compressing a small event, and a baseline that paid for it
    /// each time would be easier to beat than the raw engine is.
    static DEFLATE: std::cell::RefCell<flate2::Compress> =
        std::cell::RefCell::new(flate2::Compress::new(flate2::Compression::default(), true));
    static INFLATE: std::cell::RefCell<flate2::Decompress> =
        std::cell::RefCell::new(flate2::Decompress::new(true));
}

/// `json` as a zlib stream at the default level, with this thread's
/// compressor.
pub(crate) fn zlib_compress(json: &[u8]) -> Vec<u8> {
    DEFLATE.with(|z| {
        let mut z = z.borrow_mut();
        z.reset();
        let mut out = Vec::with_capacity(json.len() + json.len() / 8 + 64);
        loop {
            let consumed = usize::try_from(z.total_in()).expect("a size");
            let status = z
                .compress_vec(&json[consumed..], &mut out, flate2::FlushCompress::Finish)
                .expect("zlib");
            if status == flate2::Status::StreamEnd {
                return out;
            }
            out.reserve(out.capacity().max(64));
        }
    })
}

/// A zlib stream inflated, with this thread's decompressor.
pub(crate) fn zlib_decompress(packed: &[u8]) -> Vec<u8> {
    INFLATE.with(|z| {
        let mut z = z.borrow_mut();
        z.reset(true);
        let mut out = Vec::with_capacity(packed.len() * 4 + 64);
        loop {
            let consumed = usize::try_from(z.total_in()).expect("a size");
            let status = z
                .decompress_vec(
                    &packed[consumed..],
                    &mut out,
                    flate2::FlushDecompress::Finish,
                )
                .expect("zlib");
            if status == flate2::Status::StreamEnd {
                return out;
            }
            out.reserve(out.capacity().max(64));
        }
    })
}

pub(crate) fn decode_json(id: Uuid, version: u64, topic: &str, json: &[u8]) -> WorldEvent {
    match topic {
        SomethingHappened::TOPIC => {
            let s: HappenedIn<'_> = serde_json::from_slice(json).expect("state");
            WorldEvent::SomethingHappened(SomethingHappened {
                originator_id: WorldId::from_uuid_unchecked(id),
                originator_version: version,
                timestamp: s.timestamp.parse(),
                what: s.what,
            })
        }
        Started::TOPIC => {
            let s: StartedIn<'_> = serde_json::from_slice(json).expect("state");
            WorldEvent::Started(Started {
                originator_id: WorldId::from_uuid_unchecked(id),
                originator_version: version,
                timestamp: s.timestamp.parse(),
                originator_topic: Default::default(),
                name: s.name,
            })
        }
        other => panic!("unknown topic {other}"),
    }
}

pub(crate) fn now() -> Timestamp {
    Utc::now().trunc_subsecs(6)
}

/// A row as the baseline writes it.
pub(crate) struct Row {
    pub(crate) id: Uuid,
    pub(crate) version: u64,
    pub(crate) topic: &'static str,
    pub(crate) state: Vec<u8>,
}

pub(crate) fn started_row(codec: &Codec) -> Row {
    let event = WorldEvent::Started(Started {
        originator_id: WorldId::new_v4(),
        originator_version: 1,
        timestamp: now(),
        originator_topic: Default::default(),
        name: "Earth".into(),
    });
    Row {
        id: event_id(&event),
        version: 1,
        topic: Started::TOPIC,
        state: codec.encode(&event),
    }
}

pub(crate) fn happened_row(codec: &Codec, id: Uuid, version: u64) -> Row {
    let event = WorldEvent::SomethingHappened(SomethingHappened {
        originator_id: WorldId::from_uuid_unchecked(id),
        originator_version: version,
        timestamp: now(),
        what: "dinosaurs".into(),
    });
    Row {
        id,
        version,
        topic: SomethingHappened::TOPIC,
        state: codec.encode(&event),
    }
}

pub(crate) fn event_id(event: &WorldEvent) -> Uuid {
    match event {
        WorldEvent::Started(e) => e.originator_id.uuid(),
        WorldEvent::SomethingHappened(e) => e.originator_id.uuid(),
    }
}
