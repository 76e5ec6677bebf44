// SPDX-License-Identifier: GPL-2.0

//! Page and sector arithmetic of DAX devices.
//!
//! DAX addresses a device in pages (`pgoff`), the block layer and `badblocks` in 512-byte
//! sectors. These helpers convert between the two and split byte ranges at page boundaries, the
//! granularity at which poison is repaired.

use crate::bindings;

/// The size of a sector, in bytes.
pub const SECTOR_SIZE: u64 = bindings::SECTOR_SIZE as u64;

/// The size of a page, in bytes.
pub const PAGE_SIZE: u64 = bindings::PAGE_SIZE as u64;

/// The number of sectors in a page.
pub const PAGE_SECTORS: u64 = PAGE_SIZE / SECTOR_SIZE;

/// Returns the first sector of page `pgoff`.
///
/// # Examples
///
/// ```
/// use kernel::dax::sector::{pgoff_to_sector, PAGE_SECTORS};
///
/// assert_eq!(pgoff_to_sector(0), 0);
/// assert_eq!(pgoff_to_sector(3), 3 * PAGE_SECTORS);
/// ```
#[inline]
pub const fn pgoff_to_sector(pgoff: u64) -> u64 {
    pgoff * PAGE_SECTORS
}

/// Returns the sectors that hold the `len` bytes at byte `offset`, as `(first, count)`.
///
/// # Examples
///
/// ```
/// use kernel::dax::sector::sectors_of;
///
/// assert_eq!(sectors_of(0, 512), (0, 1));
/// assert_eq!(sectors_of(511, 2), (0, 2));
/// assert_eq!(sectors_of(4096, 4096), (8, 8));
/// assert_eq!(sectors_of(1000, 0), (1, 0));
/// ```
#[inline]
pub const fn sectors_of(offset: u64, len: u64) -> (u64, u64) {
    let first = offset / SECTOR_SIZE;
    if len == 0 {
        return (first, 0);
    }
    let end = (offset + len).div_ceil(SECTOR_SIZE);
    (first, end - first)
}

/// Returns how many of the `len` bytes at byte `offset` lie before sector `bad` (0 if the range
/// starts in it or after it).
///
/// # Examples
///
/// ```
/// use kernel::dax::sector::bytes_before_sector;
///
/// assert_eq!(bytes_before_sector(0, 4096, 2), 1024);
/// assert_eq!(bytes_before_sector(1100, 4096, 2), 0);
/// assert_eq!(bytes_before_sector(100, 200, 2), 200);
/// ```
#[inline]
pub const fn bytes_before_sector(offset: u64, len: u64, bad: u64) -> u64 {
    let bad_start = bad * SECTOR_SIZE;
    if bad_start <= offset {
        0
    } else if bad_start - offset < len {
        bad_start - offset
    } else {
        len
    }
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
        self.offset - self.offset % PAGE_SIZE
    }

    /// Returns `true` if the piece covers its whole page.
    #[inline]
    pub const fn is_whole_page(&self) -> bool {
        self.len == PAGE_SIZE
    }
}

/// Splits a byte range at page boundaries.
///
/// # Examples
///
/// ```
/// use kernel::dax::sector::{PageChunk, PageChunks, PAGE_SIZE};
///
/// let mut it = PageChunks::new(PAGE_SIZE - 100, 300);
/// assert_eq!(it.next(), Some(PageChunk { offset: PAGE_SIZE - 100, len: 100, done: 0 }));
/// assert_eq!(it.next(), Some(PageChunk { offset: PAGE_SIZE, len: 200, done: 100 }));
/// assert_eq!(it.next(), None);
///
/// assert_eq!(PageChunks::new(0, 3 * PAGE_SIZE).count(), 3);
/// assert!(PageChunks::new(0, 3 * PAGE_SIZE).all(|c| c.is_whole_page()));
/// assert_eq!(PageChunks::new(5, 0).next(), None);
/// ```
#[derive(Clone, Debug)]
pub struct PageChunks {
    offset: u64,
    end: u64,
    start: u64,
}

impl PageChunks {
    /// Splits the `len` bytes at byte `offset`.
    #[inline]
    pub const fn new(offset: u64, len: u64) -> Self {
        Self {
            offset,
            end: offset + len,
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
        let page_end = (self.offset / PAGE_SIZE + 1) * PAGE_SIZE;
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
