// SPDX-License-Identifier: GPL-2.0

//! Page and sector arithmetic of DAX devices.
//!
//! DAX addresses a device in pages (`pgoff`), the block layer and `badblocks` in 512-byte
//! sectors. These helpers convert between the two and split byte ranges at page boundaries, the
//! granularity at which poison is repaired.

use crate::{block::PAGE_SECTORS, num::casts::usize_as_u64, page::PAGE_SIZE};

/// The size of a page, in bytes, as a device offset ([`PAGE_SIZE`] is a `usize`).
pub const PAGE_BYTES: u64 = usize_as_u64(PAGE_SIZE);

/// Returns the first sector of page `pgoff`.
///
/// # Examples
///
/// ```
/// use kernel::{block::PAGE_SECTORS, dax::sector::pgoff_to_sector};
///
/// assert_eq!(pgoff_to_sector(0), 0);
/// assert_eq!(pgoff_to_sector(3), 3 * PAGE_SECTORS);
/// ```
#[inline]
pub const fn pgoff_to_sector(pgoff: u64) -> u64 {
    // Saturates rather than panic or wrap for a page offset no device has (beyond 2^55).
    pgoff.saturating_mul(PAGE_SECTORS)
}

/// A piece of a byte range that lies within one page, from [`PageChunks`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageChunk {
    /// The byte offset of the piece.
    pub offset: u64,
    /// The length of the piece, at most a page.
    pub len: u64,
    /// The offset of the piece from the start of the whole range.
    pub done: u64,
}

impl PageChunk {
    /// The byte offset of the page the piece lies in.
    #[inline]
    pub const fn page_start(&self) -> u64 {
        self.offset - self.offset % PAGE_BYTES
    }

    /// Returns `true` if the piece covers its whole page.
    #[inline]
    pub const fn is_whole_page(&self) -> bool {
        self.len == PAGE_BYTES
    }
}

/// Splits a byte range at page boundaries.
///
/// # Examples
///
/// ```
/// use kernel::dax::sector::{PageChunk, PageChunks, PAGE_BYTES};
///
/// let mut it = PageChunks::new(PAGE_BYTES - 100, 300);
/// assert_eq!(it.next(), Some(PageChunk { offset: PAGE_BYTES - 100, len: 100, done: 0 }));
/// assert_eq!(it.next(), Some(PageChunk { offset: PAGE_BYTES, len: 200, done: 100 }));
/// assert_eq!(it.next(), None);
///
/// assert_eq!(PageChunks::new(0, 3 * PAGE_BYTES).count(), 3);
/// assert!(PageChunks::new(0, 3 * PAGE_BYTES).all(|c| c.is_whole_page()));
/// assert_eq!(PageChunks::new(5, 0).next(), None);
/// ```
#[derive(Clone, Debug)]
pub struct PageChunks {
    offset: u64,
    end: u64,
    start: u64,
}

impl PageChunks {
    /// Splits the `len` bytes at byte `offset`; a range that would end beyond `u64::MAX` ends
    /// there.
    #[inline]
    pub const fn new(offset: u64, len: u64) -> Self {
        Self {
            offset,
            end: offset.saturating_add(len),
            start: offset,
        }
    }
}

impl Iterator for PageChunks {
    type Item = PageChunk;

    #[inline]
    fn next(&mut self) -> Option<PageChunk> {
        if self.offset >= self.end {
            return None;
        }
        let page_end = (self.offset / PAGE_BYTES + 1) * PAGE_BYTES;
        let len = page_end.min(self.end) - self.offset;
        let chunk = PageChunk {
            offset: self.offset,
            len,
            done: self.offset - self.start,
        };
        self.offset += len;
        Some(chunk)
    }
}
