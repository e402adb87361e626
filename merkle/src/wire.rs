//! Byte-level reading and writing shared by the two wire formats (Merkle sync frames and
//! rateless IBLT symbol frames): every read is bounds-checked, and every count is checked
//! against the bytes left before anything is reserved for it.

use crate::error::DecodeError;

pub(crate) fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// LEB128: 7 bits a byte, low bits first.
pub(crate) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Bytes [`put_varint`] writes for `v`.
pub(crate) fn varint_len(v: u64) -> usize {
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pub(crate) pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader past a frame's magic and version, which must be `magic` and `version`.
    pub(crate) fn open(bytes: &'a [u8], magic: &[u8; 3], version: u8) -> Result<Self, DecodeError> {
        let mut r = Self { bytes, pos: 0 };
        if r.take(3).map_err(|_| DecodeError::BadMagic)? != magic {
            return Err(DecodeError::BadMagic);
        }
        match r.u8()? {
            v if v == version => Ok(r),
            v => Err(DecodeError::UnsupportedVersion(v)),
        }
    }

    pub(crate) fn rest(&self) -> usize {
        self.bytes.len() - self.pos
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if n > self.rest() {
            return Err(DecodeError::Length {
                needed: (self.pos as u64).saturating_add(n as u64),
                got: self.bytes.len() as u64,
            });
        }
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }

    pub(crate) fn u32(&mut self) -> Result<u32, DecodeError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(crate) fn u64(&mut self) -> Result<u64, DecodeError> {
        let mut b = [0u8; 8];
        b.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(b))
    }

    /// A LEB128 value of at most 10 bytes; overlong or overflowing encodings are refused, so
    /// every value has exactly one encoding.
    pub(crate) fn varint(&mut self) -> Result<u64, DecodeError> {
        let mut v = 0u64;
        for i in 0..10 {
            let b = self.u8()?;
            let low = u64::from(b & 0x7f);
            if i == 9 && b > 1 {
                return Err(DecodeError::BadVarint);
            }
            v |= low << (7 * i);
            if b & 0x80 == 0 {
                if b == 0 && i > 0 {
                    return Err(DecodeError::BadVarint);
                }
                return Ok(v);
            }
        }
        Err(DecodeError::BadVarint)
    }

    /// A count (u32 LE) of items of at least `min_item` bytes each.
    pub(crate) fn count(&mut self, min_item: usize) -> Result<usize, DecodeError> {
        let n = self.u32()? as usize;
        self.check_count(n, min_item)
    }

    /// A count (varint) of items of at least `min_item` bytes each.
    pub(crate) fn varint_count(&mut self, min_item: usize) -> Result<usize, DecodeError> {
        let n = self.varint()?;
        let n = usize::try_from(n).map_err(|_| DecodeError::BadLength(n))?;
        self.check_count(n, min_item)
    }

    fn check_count(&self, n: usize, min_item: usize) -> Result<usize, DecodeError> {
        if n.saturating_mul(min_item.max(1)) > self.rest() {
            return Err(DecodeError::BadLength(n as u64));
        }
        Ok(n)
    }

    pub(crate) fn digest<D: Default + AsMut<[u8]>>(&mut self) -> Result<D, DecodeError> {
        let mut d = D::default();
        let n = d.as_mut().len();
        d.as_mut().copy_from_slice(self.take(n)?);
        Ok(d)
    }

    pub(crate) fn finish(&self) -> Result<(), DecodeError> {
        match self.rest() {
            0 => Ok(()),
            _ => Err(DecodeError::Length {
                needed: self.pos as u64,
                got: self.bytes.len() as u64,
            }),
        }
    }
}
