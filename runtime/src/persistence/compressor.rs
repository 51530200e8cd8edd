//! zlib compression of stored state.

use std::io::{Read, Write};

use flate2::Compression;
use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;

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
        let mut encoder = ZlibEncoder::new(
            Vec::with_capacity(data.len() / 2 + 16),
            Compression::default(),
        );
        // Writing to a Vec cannot fail.
        let _ = encoder.write_all(data);
        encoder.finish().unwrap_or_default()
    }

    /// Decompresses zlib data.
    ///
    /// # Errors
    ///
    /// The I/O error zlib reports for data that is not a valid zlib stream.
    pub fn decompress(&self, data: &[u8]) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::with_capacity(data.len() * 3);
        ZlibDecoder::new(data).read_to_end(&mut out)?;
        Ok(out)
    }
}
