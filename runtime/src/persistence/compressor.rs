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

/// zlib's default compression level, as `flate2::Compression::default()`.
const LEVEL: u8 = 6;

/// A compressor, and room for what it writes.
type Deflater = (Box<CompressorOxide>, Vec<u8>);

thread_local! {
    static DEFLATE: RefCell<Option<Deflater>> = const { RefCell::new(None) };
    static INFLATE: RefCell<Option<Decompress>> = const { RefCell::new(None) };
}

/// Compresses stored state with zlib, as Python's `zlib.compress` does
/// (topic `eventsourcing.compressor:ZlibCompressor`, or just `zlib`).
///
/// ```
/// use eventsourcing::persistence::ZlibCompressor;
/// let z = ZlibCompressor::default();
/// let packed = z.compress(&[b'a'; 1000]);
/// assert!(packed.len() < 100);
/// assert_eq!(z.decompress(&packed).unwrap(), vec![b'a'; 1000]);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct ZlibCompressor;

impl ZlibCompressor {
    /// Compresses `data` at zlib's default level.
    pub fn compress(&self, data: &[u8]) -> Vec<u8> {
        DEFLATE.with(|cell| match cell.try_borrow_mut() {
            Ok(mut slot) => {
                let (compressor, room) = slot.get_or_insert_with(|| (new_compressor(), Vec::new()));
                let packed = compress_with(compressor, room, data);
                // Ready for the next event (and no trace of this one kept).
                compressor.reset();
                packed
            }
            // Only reachable from a destructor running inside a compression.
            Err(_) => compress_with(&mut new_compressor(), &mut Vec::new(), data),
        })
    }

    /// Decompresses zlib data.
    ///
    /// # Errors
    ///
    /// An I/O error for data that is not a valid zlib stream (of kind
    /// `UnexpectedEof` when it is cut short).
    pub fn decompress(&self, data: &[u8]) -> io::Result<Vec<u8>> {
        INFLATE.with(|cell| match cell.try_borrow_mut() {
            Ok(mut slot) => {
                let decompressor = slot.get_or_insert_with(|| Decompress::new(true));
                decompressor.reset(true);
                decompress_with(decompressor, data)
            }
            Err(_) => decompress_with(&mut Decompress::new(true), data),
        })
    }
}

fn new_compressor() -> Box<CompressorOxide> {
    let mut compressor = Box::<CompressorOxide>::default();
    compressor.set_format_and_level(DataFormat::Zlib, LEVEL);
    compressor
}

/// Deflates `data` with a fresh (or freshly reset) compressor: all input
/// without flushing, then finish, as `flate2`'s `ZlibEncoder` calls it.
/// Writes into `room`, then copies out exactly what was written.
fn compress_with(compressor: &mut CompressorOxide, room: &mut Vec<u8>, data: &[u8]) -> Vec<u8> {
    // miniz_oxide's bound (`mz_deflateBound`): enough for one pass.
    let bound =
        (128 + data.len() * 110 / 100).max(128 + data.len() + (data.len() / 31_744 + 1) * 5);
    if room.len() < bound {
        room.resize(bound, 0);
    }
    let mut written = 0;
    let mut input = data;
    let mut flush = MZFlush::None;
    loop {
        if written == room.len() {
            room.resize(room.len() * 2, 0);
        }
        let result = deflate(compressor, input, &mut room[written..], flush);
        written += result.bytes_written;
        input = &input[result.bytes_consumed..];
        match result.status {
            Ok(MZStatus::StreamEnd) => break,
            Ok(_) | Err(MZError::Buf) => {
                if input.is_empty() {
                    flush = MZFlush::Finish;
                }
            }
            // Compressing into memory with valid parameters does not fail.
            Err(e) => unreachable!("deflate failed: {e:?}"),
        }
    }
    let packed = room[..written].to_vec();
    // Room for events as large as this one is kept; no more than 1 MiB.
    room.truncate(1 << 20);
    room.shrink_to(1 << 20);
    packed
}

/// Inflates a whole zlib stream, as `flate2`'s `ZlibDecoder` reads one:
/// data after the end of the stream is ignored, and a stream cut short is an
/// error of kind `UnexpectedEof`.
fn decompress_with(decompressor: &mut Decompress, data: &[u8]) -> io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(data.len() * 3 + 64);
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
        match status {
            Status::StreamEnd => break,
            Status::Ok | Status::BufError => {
                if out.len() == out.capacity() {
                    out.reserve(out.capacity().max(64));
                } else if decompressor.total_in() == in_before
                    && decompressor.total_out() == out_before
                {
                    // Room to write, nothing more to read: the stream was cut short.
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "incomplete deflate stream",
                    ));
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
}
