//! zlib compression of stored state.
//!
//! Compression is miniz_oxide's deflate at zlib's default level, called
//! directly so that the bytes do not depend on which backend `flate2` was
//! built with; decompression is `flate2`'s (zlib-rs), which reads any zlib
//! stream. Each thread keeps one compressor and one decompressor and resets
//! them between events: setting up a fresh one costs more than compressing a
//! small event.

use std::cell::RefCell;
use std::io;

use flate2::{Decompress, FlushDecompress, Status};
use miniz_oxide::deflate::core::CompressorOxide;
use miniz_oxide::deflate::stream::deflate;
use miniz_oxide::{DataFormat, MZError, MZFlush, MZStatus};

/// zlib's default compression level, as `flate2::Compression::default()`
/// and Python's `zlib.compress`: the level unless `COMPRESSOR_LEVEL` says
/// otherwise.
pub(crate) const DEFAULT_COMPRESSION_LEVEL: u8 = 6;

/// The highest compression level (zlib's 9: smallest, slowest).
pub const MAX_COMPRESSION_LEVEL: u8 = 9;

/// A compressor, the level it is set to, and room for what it writes.
type Deflater = (Box<CompressorOxide>, u8, Vec<u8>);

thread_local! {
    static DEFLATE: RefCell<Option<Deflater>> = const { RefCell::new(None) };
    static INFLATE: RefCell<Option<Decompress>> = const { RefCell::new(None) };
}

/// Compresses stored state with zlib, as Python's `zlib.compress` does
/// (topic `eventsourcing.compressor:ZlibCompressor`, or just `zlib`).
///
/// ```
/// use eventsmith::persistence::ZlibCompressor;
/// let z = ZlibCompressor::default();
/// let packed = z.compress(&[b'a'; 1000]);
/// assert!(packed.len() < 100);
/// assert_eq!(z.decompress(&packed).unwrap(), vec![b'a'; 1000]);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct ZlibCompressor;

/// The default most bytes a stored event may inflate to: 256 MiB, far more
/// than any event's state, far less than a decompression bomb asks for.
pub(crate) const DEFAULT_MAX_DECOMPRESSED_SIZE: usize = 256 << 20;

/// Why [`ZlibCompressor::decompress_limited`] failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DecompressError {
    /// The data is not a valid zlib stream (of kind `UnexpectedEof` when it
    /// is cut short).
    #[error("{0}")]
    Invalid(#[from] io::Error),
    /// The data inflates to more than the limit.
    #[error("the data inflates to more than {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: usize,
    },
}

impl ZlibCompressor {
    /// Compresses `data` at zlib's default level (6).
    #[doc(hidden)]
    pub fn compress(&self, data: &[u8]) -> Vec<u8> {
        self.compress_at(data, DEFAULT_COMPRESSION_LEVEL)
    }

    /// Compresses `data` at `level`, from 0 (stored, no compression) to 9
    /// (smallest); a level above 9 is 9. Whatever the level, the bytes are
    /// a zlib stream that Python's `zlib.decompress` reads.
    ///
    /// ```
    /// use eventsmith::persistence::ZlibCompressor;
    /// let data = b"the same words, the same words, the same words".repeat(20);
    /// let stored = ZlibCompressor.compress_at(&data, 0);
    /// let smallest = ZlibCompressor.compress_at(&data, 9);
    /// assert!(stored.len() > data.len() && smallest.len() < data.len() / 10);
    /// assert_eq!(ZlibCompressor.decompress(&stored).unwrap(), data);
    /// assert_eq!(ZlibCompressor.decompress(&smallest).unwrap(), data);
    /// ```
    #[doc(hidden)]
    pub fn compress_at(&self, data: &[u8], level: u8) -> Vec<u8> {
        let level = level.min(MAX_COMPRESSION_LEVEL);
        let fresh = || compress_with(&mut new_compressor(level), &mut Vec::new(), data);
        // A thread whose locals are being destroyed has none to lend.
        let Ok(packed) = DEFLATE.try_with(|cell| match cell.try_borrow_mut() {
            Ok(mut slot) => {
                let (compressor, set, room) =
                    slot.get_or_insert_with(|| (new_compressor(level), level, Vec::new()));
                if *set != level {
                    compressor.set_format_and_level(DataFormat::Zlib, level);
                    *set = level;
                }
                let packed = compress_with(compressor, room, data);
                // Ready for the next event (and no trace of this one kept).
                compressor.reset();
                packed
            }
            // Only reachable from a destructor running inside a compression.
            Err(_) => fresh(),
        }) else {
            return fresh();
        };
        packed
    }

    /// Decompresses zlib data of at most [`DEFAULT_MAX_DECOMPRESSED_SIZE`]
    /// bytes once inflated.
    ///
    /// # Errors
    ///
    /// An I/O error for data that is not a valid zlib stream (of kind
    /// `UnexpectedEof` when it is cut short) or that inflates past the limit
    /// (of kind `InvalidData`).
    #[doc(hidden)]
    pub fn decompress(&self, data: &[u8]) -> io::Result<Vec<u8>> {
        self.decompress_limited(data, DEFAULT_MAX_DECOMPRESSED_SIZE)
            .map_err(|e| match e {
                DecompressError::Invalid(e) => e,
                too_large => io::Error::new(io::ErrorKind::InvalidData, too_large.to_string()),
            })
    }

    /// Decompresses zlib data that inflates to at most `limit` bytes; stops
    /// inflating as soon as it would go past.
    ///
    /// # Errors
    ///
    /// [`DecompressError::Invalid`] for data that is not a valid zlib stream,
    /// [`DecompressError::TooLarge`] past the limit.
    pub(crate) fn decompress_limited(
        &self,
        data: &[u8],
        limit: usize,
    ) -> Result<Vec<u8>, DecompressError> {
        let fresh = || decompress_with(&mut Decompress::new(true), data, limit);
        // A thread whose locals are being destroyed has none to lend.
        INFLATE
            .try_with(|cell| match cell.try_borrow_mut() {
                Ok(mut slot) => {
                    let decompressor = slot.get_or_insert_with(|| Decompress::new(true));
                    decompressor.reset(true);
                    decompress_with(decompressor, data, limit)
                }
                Err(_) => fresh(),
            })
            .unwrap_or_else(|_| fresh())
    }
}

fn new_compressor(level: u8) -> Box<CompressorOxide> {
    let mut compressor = Box::<CompressorOxide>::default();
    compressor.set_format_and_level(DataFormat::Zlib, level);
    compressor
}

/// Deflates `data` with a fresh (or freshly reset) compressor: all input
/// without flushing, then finish, as `flate2`'s `ZlibEncoder` calls it.
/// Writes into `room`, then copies out exactly what was written.
fn compress_with(compressor: &mut CompressorOxide, room: &mut Vec<u8>, data: &[u8]) -> Vec<u8> {
    // miniz_oxide's bound (`mz_deflateBound`), or more: enough for one pass.
    let len = data.len();
    let bound = len
        .saturating_add(len / 10)
        .saturating_add((len / 31_744).saturating_mul(5))
        .saturating_add(133);
    if room.len() < bound {
        room.resize(bound, 0);
    }
    let mut written: usize = 0;
    let mut input = data;
    let mut flush = MZFlush::None;
    loop {
        if written >= room.len() {
            room.resize(room.len().saturating_mul(2).max(64), 0);
        }
        let Some(out) = room.get_mut(written..) else {
            return stored_zlib(data);
        };
        let result = deflate(compressor, input, out, flush);
        written = written.saturating_add(result.bytes_written);
        input = input.get(result.bytes_consumed..).unwrap_or_default();
        match result.status {
            Ok(MZStatus::StreamEnd) => break,
            Ok(_) | Err(MZError::Buf) => {
                if input.is_empty() {
                    flush = MZFlush::Finish;
                }
            }
            // Compressing into memory with valid parameters does not fail;
            // were it to, the data is still written, uncompressed.
            Err(_) => return stored_zlib(data),
        }
    }
    let packed = room.get(..written).map(<[u8]>::to_vec);
    // Room for events as large as this one is kept; no more than 1 MiB.
    room.truncate(1 << 20);
    room.shrink_to(1 << 20);
    packed.unwrap_or_else(|| stored_zlib(data))
}

/// `data` as a zlib stream of stored (uncompressed) blocks, which any zlib
/// reader reads.
fn stored_zlib(data: &[u8]) -> Vec<u8> {
    let blocks = (data.len() / 65_535).saturating_add(1);
    let mut out = Vec::with_capacity(
        data.len()
            .saturating_add(blocks.saturating_mul(5))
            .saturating_add(6),
    );
    out.extend_from_slice(&[0x78, 0x01]);
    let mut chunks = data.chunks(65_535).peekable();
    if chunks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(chunk) = chunks.next() {
        let last = u8::from(chunks.peek().is_none());
        let len = u16::try_from(chunk.len()).unwrap_or(u16::MAX);
        out.push(last);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    // Adler-32 of the data, big-endian.
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a.wrapping_add(u32::from(byte))) % 65_521;
        b = (b.wrapping_add(a)) % 65_521;
    }
    out.extend_from_slice(&((b << 16) | a).to_be_bytes());
    out
}

/// Inflates a whole zlib stream, as `flate2`'s `ZlibDecoder` reads one:
/// data after the end of the stream is ignored, and a stream cut short is an
/// error of kind `UnexpectedEof`. Past `limit` bytes, stops.
fn decompress_with(
    decompressor: &mut Decompress,
    data: &[u8],
    limit: usize,
) -> Result<Vec<u8>, DecompressError> {
    // One byte past the limit shows that the data goes past it.
    let most = limit.saturating_add(1);
    let mut out = Vec::with_capacity(data.len().saturating_mul(3).saturating_add(64).min(most));
    loop {
        let (in_before, out_before) = (decompressor.total_in(), decompressor.total_out());
        let consumed = usize::try_from(in_before).unwrap_or(usize::MAX);
        let status = decompressor
            .decompress_vec(
                data.get(consumed..).unwrap_or_default(),
                &mut out,
                FlushDecompress::Finish,
            )
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        if out.len() > limit {
            return Err(DecompressError::TooLarge { limit });
        }
        match status {
            Status::StreamEnd => break,
            Status::Ok | Status::BufError => {
                if out.len() == out.capacity() {
                    let grow = out.capacity().max(64).min(most.saturating_sub(out.len()));
                    out.reserve_exact(grow);
                } else if decompressor.total_in() == in_before
                    && decompressor.total_out() == out_before
                {
                    // Room to write, nothing more to read: the stream was cut short.
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "incomplete deflate stream",
                    )
                    .into());
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// For each sample: its length, and the length and FNV-1a hash of the
    /// bytes that `flate2`'s `ZlibEncoder` (miniz_oxide, default level) made
    /// of it when each event had an encoder of its own.
    const BEFORE: [(usize, usize, u64); 18] = [
        (0, 8, 0x5fe95356c8da1f85),
        (1, 9, 0x656b306b79b2c2da),
        (102, 98, 0xfc9d139d990979fb),
        (100, 111, 0x94ea0ebf947d7770),
        (100, 96, 0x942cc41beb3f272d),
        (100, 111, 0xb85d74753c865c8b),
        (1000, 1011, 0x6db159be316baeb2),
        (1000, 112, 0xc84525056df5f8d0),
        (1000, 663, 0xcf9436058a110c8d),
        (40000, 40016, 0x407d71e6f7a72a40),
        (40000, 253, 0xf770912c30e914da),
        (40000, 20307, 0xeaa3d9f6ed5d4e5e),
        (70000, 70021, 0x6f123a6a9627d267),
        (70000, 354, 0xc86faacd17a8579d),
        (70000, 35378, 0xddde30488f445d86),
        (300000, 300056, 0x0dff91e5ede405f9),
        (300000, 1135, 0x56fe1060bd8c831f),
        (300000, 151120, 0x0e29917fd74f1b58),
    ];

    fn fnv(bytes: &[u8]) -> u64 {
        bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
        })
    }

    fn samples() -> Vec<Vec<u8>> {
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut random = |n: usize| -> Vec<u8> {
            (0..n)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    (seed >> 24) as u8
                })
                .collect()
        };
        let json = br#"{"timestamp":{"_type_":"datetime_iso","_data_":"2026-11-27T06:51:30.251580+00:00"},"what":"dinosaurs"}"#;
        let mut samples = vec![Vec::new(), b"a".to_vec(), json.to_vec()];
        for n in [100, 1_000, 40_000, 70_000, 300_000] {
            samples.push(random(n));
            samples.push(json.iter().copied().cycle().take(n).collect());
            let mut mixed = random(n / 2);
            mixed.extend(json.iter().copied().cycle().take(n / 2));
            samples.push(mixed);
        }
        samples
    }

    #[test]
    fn a_kept_compressor_writes_the_bytes_a_fresh_encoder_writes() {
        let z = ZlibCompressor;
        for _ in 0..2 {
            for (data, before) in samples().iter().zip(BEFORE) {
                let packed = z.compress(data);
                assert_eq!((data.len(), packed.len(), fnv(&packed)), before);
                assert_eq!(&z.decompress(&packed).unwrap(), data);
            }
        }
    }

    #[test]
    fn the_fallback_stream_of_stored_blocks_is_read_by_any_zlib_reader() {
        for data in samples() {
            let packed = stored_zlib(&data);
            let mut read = Vec::new();
            flate2::read::ZlibDecoder::new(&packed[..])
                .read_to_end(&mut read)
                .unwrap();
            assert_eq!(read, data);
        }
    }

    #[test]
    fn inflating_stops_at_the_limit() {
        let z = ZlibCompressor;
        for data in samples().into_iter().filter(|d| !d.is_empty()) {
            let packed = z.compress(&data);
            let n = data.len();
            assert_eq!(z.decompress_limited(&packed, n).unwrap(), data);
            assert!(matches!(
                z.decompress_limited(&packed, n - 1),
                Err(DecompressError::TooLarge { limit }) if limit == n - 1
            ));
            assert!(matches!(
                z.decompress_limited(&packed, 0),
                Err(DecompressError::TooLarge { limit: 0 })
            ));
        }
        // A 510 KB row that inflates to 1 GiB stops at the limit, quickly.
        let bomb = z.compress(&vec![b'x'; 64 << 20]);
        let err = z.decompress_limited(&bomb, 1 << 20).unwrap_err();
        assert!(
            matches!(err, DecompressError::TooLarge { limit: 1_048_576 }),
            "{err}"
        );
    }

    #[test]
    fn decompression_reads_as_a_zlib_decoder_does() {
        let z = ZlibCompressor;
        let data = samples().swap_remove(5);
        let packed = z.compress(&data);
        let mut with_trailer = packed.clone();
        with_trailer.extend_from_slice(b"trailing");
        assert_eq!(z.decompress(&with_trailer).unwrap(), data);
        for cut in [2, packed.len() / 2, packed.len() - 1] {
            let mut expected = Vec::new();
            let old = flate2::read::ZlibDecoder::new(&packed[..cut]).read_to_end(&mut expected);
            match (old, z.decompress(&packed[..cut])) {
                (Ok(_), Ok(got)) => assert_eq!(got, expected, "cut at {cut}"),
                (Err(_), Err(_)) => {}
                (old, new) => panic!("cut at {cut}: {old:?} then, {:?} now", new.map(|v| v.len())),
            }
        }
        let err = z.decompress(b"{\"what\":1}").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        // The decompressor kept by the thread is fine after a failure.
        assert_eq!(z.decompress(&packed).unwrap(), data);
    }

    #[test]
    fn decompression_stops_at_the_limit() {
        use crate::persistence::{DecompressError, ZlibCompressor};
        let bomb = ZlibCompressor.compress(&vec![0; 1 << 20]);
        assert!(bomb.len() < 2_000);
        assert!(matches!(
            ZlibCompressor.decompress_limited(&bomb, 1000),
            Err(DecompressError::TooLarge { limit: 1000 })
        ));
        assert_eq!(
            ZlibCompressor
                .decompress_limited(&bomb, 1 << 20)
                .unwrap()
                .len(),
            1 << 20
        );
    }
}
