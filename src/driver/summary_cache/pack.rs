//! Pack files of the summary cache: the entries one run stored, in one file.
//!
//! Creating a file is what storing a summary cost (0.5-0.6 ms of system time each on the CI's
//! file system, more right after files were deleted: 611 of them were 2-8% of a cold run on
//! deno), so a run writes the summaries it made as one pack, and packs are merged as they
//! accumulate ([`merge_plan`]).
//!
//! A pack is, in little-endian `u64`s: the magic `ALSPACK1`, the format, the number of
//! entries, a row per entry ([`Row`]: package, key, offset and length of its payload, the
//! payload's checksum, when it was first stored), a checksum of all that, then the payloads. A
//! pack whose head does not check out is skipped whole; an entry whose payload does not is a
//! miss.

use crate::util::hash::Fnv;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"ALSPACK1";
/// Magic, format, number of entries.
const HEAD: usize = 24;
/// The fields of a [`Row`].
const ROW: usize = 48;
/// More rows than this is a damaged pack (a run stores one summary per package).
const MAX_ROWS: u64 = 1 << 20;
/// Packs merge when this many are of one size class ([`merge_plan`]).
pub const MERGE_AT: usize = 4;

/// One entry of a pack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Row {
    /// A hash of the package's id.
    pub package: u64,
    pub key: u64,
    pub offset: u64,
    pub len: u64,
    /// Of the key and the payload (the caller's checksum function).
    pub checksum: u64,
    /// When the entry was first stored (nanoseconds since the epoch), kept through merges:
    /// the newest entries of a package are kept.
    pub written: u64,
}

/// Writes the pack `path` (atomically: readers see all of it or nothing) of the entries `rows`
/// (their offsets are set here), asking `payload` for each in turn: a payload that cannot be
/// had, or is not of its row's length, fails the write (and leaves nothing).
pub fn write<'a>(
    path: &Path,
    format: u64,
    rows: &[Row],
    mut payload: impl FnMut(usize) -> Option<std::borrow::Cow<'a, [u8]>>,
) -> std::io::Result<()> {
    let mut head = Vec::with_capacity(HEAD + rows.len() * ROW + 8);
    head.extend_from_slice(MAGIC);
    head.extend_from_slice(&format.to_le_bytes());
    head.extend_from_slice(&(rows.len() as u64).to_le_bytes());
    let mut offset = (HEAD + rows.len() * ROW + 8) as u64;
    for r in rows {
        for v in [r.package, r.key, offset, r.len, r.checksum, r.written] {
            head.extend_from_slice(&v.to_le_bytes());
        }
        offset += r.len;
    }
    let sum = head_checksum(&head);
    head.extend_from_slice(&sum.to_le_bytes());
    crate::util::fs::write_cache_entry_with(path, |f| {
        f.write_all(&head)?;
        for (i, r) in rows.iter().enumerate() {
            match payload(i) {
                Some(p) if p.len() as u64 == r.len => f.write_all(&p)?,
                _ => return Err(std::io::ErrorKind::InvalidData.into()),
            }
        }
        Ok(())
    })
}

fn head_checksum(head: &[u8]) -> u64 {
    let mut h = Fnv::default();
    h.str("cargo-async-lint summary pack");
    h.bytes(head);
    h.finish()
}

/// The rows of an open pack (None: not a pack of this format, or damaged).
pub fn read_rows(file: &File, format: u64) -> Option<Vec<Row>> {
    let len = file.metadata().ok()?.len();
    let mut reader = file;
    let mut head = vec![0u8; HEAD];
    reader.read_exact(&mut head).ok()?;
    if head[..8] != *MAGIC || u64_at(&head, 8) != format {
        return None;
    }
    let count = u64_at(&head, 16);
    if count > MAX_ROWS || HEAD as u64 + count * ROW as u64 + 8 > len {
        return None;
    }
    let mut rest = vec![0u8; count as usize * ROW + 8];
    reader.read_exact(&mut rest).ok()?;
    head.extend_from_slice(&rest[..count as usize * ROW]);
    if head_checksum(&head) != u64_at(&rest, count as usize * ROW) {
        return None;
    }
    let start = head.len() as u64 + 8;
    let rows: Vec<Row> = head[HEAD..]
        .chunks_exact(ROW)
        .map(|c| Row {
            package: u64_at(c, 0),
            key: u64_at(c, 8),
            offset: u64_at(c, 16),
            len: u64_at(c, 24),
            checksum: u64_at(c, 32),
            written: u64_at(c, 40),
        })
        .collect();
    let inside =
        |r: &Row| r.offset >= start && r.offset.checked_add(r.len).is_some_and(|e| e <= len);
    rows.iter().all(inside).then_some(rows)
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

/// The payload of `row` in `file` (None: it cannot be read).
pub fn read_payload(file: &File, row: &Row) -> Option<Vec<u8>> {
    let mut out = vec![0u8; usize::try_from(row.len).ok()?];
    read_at(file, &mut out, row.offset).ok()?;
    Some(out)
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(windows)]
fn read_at(file: &File, mut buf: &mut [u8], mut offset: u64) -> std::io::Result<()> {
    while !buf.is_empty() {
        match std::os::windows::fs::FileExt::seek_read(file, buf, offset)? {
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => {
                buf = &mut std::mem::take(&mut buf)[n..];
                offset += n as u64;
            }
        }
    }
    Ok(())
}

#[cfg(not(any(unix, windows)))]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    use std::io::{Seek, SeekFrom};
    let mut f = file.try_clone()?;
    f.seek(SeekFrom::Start(offset))?;
    f.read_exact(buf)
}

/// The packs in `dir` (not the temporary files of writes under way), with their sizes.
pub fn list(dir: &Path) -> Vec<(PathBuf, u64)> {
    let mut out: Vec<(PathBuf, u64)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.ends_with(".pack") && !name.starts_with('.')
        })
        .filter_map(|e| Some((e.path(), e.metadata().ok()?.len())))
        .collect();
    out.sort();
    out
}

/// The size class of a pack: packs of one class are within a factor of 4 of each other (all
/// those under 64 KiB are one class).
fn class(size: u64) -> u32 {
    (size / (64 << 10)).max(1).ilog2() / 2
}

/// Which packs to merge (indexes into `packs`): those of the smallest size class that holds
/// [`MERGE_AT`] of them, or none. Merging like sizes keeps the bytes rewritten to a few times
/// what is stored (as in a size-tiered log-structured store), so a run that stores one summary
/// (a path dependency edited) never rewrites the whole cache, and the number of packs stays
/// about [`MERGE_AT`] per size class.
pub fn merge_plan(packs: &[(PathBuf, u64)]) -> Vec<usize> {
    let mut by_class: std::collections::BTreeMap<u32, Vec<usize>> = Default::default();
    for (i, (_, size)) in packs.iter().enumerate() {
        by_class.entry(class(*size)).or_default().push(i);
    }
    by_class
        .into_values()
        .find(|v| v.len() >= MERGE_AT)
        .unwrap_or_default()
}

/// Of every row of every pack (`(pack, row)`), those still kept: for each package the newest
/// `keep` keys (a key stored twice counts once: its newest copy is kept).
pub fn kept(rows: &[(usize, Row)], keep: usize) -> Vec<(usize, Row)> {
    let mut order: Vec<&(usize, Row)> = rows.iter().collect();
    order.sort_by_key(|(p, r)| (r.package, std::cmp::Reverse(r.written), *p, r.key));
    let mut out = Vec::new();
    let mut i = 0;
    while i < order.len() {
        let package = order[i].1.package;
        let mut keys: Vec<u64> = Vec::new();
        while i < order.len() && order[i].1.package == package {
            let (p, r) = *order[i];
            if !keys.contains(&r.key) && keys.len() < keep {
                keys.push(r.key);
                out.push((p, r));
            }
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::scratch::Scratch;

    fn row(package: u64, key: u64, written: u64) -> Row {
        Row {
            package,
            key,
            offset: 0,
            len: 0,
            checksum: key * 31,
            written,
        }
    }

    #[test]
    fn a_pack_reads_back_and_a_damaged_head_is_no_pack() {
        let s = Scratch::new("pack-rw");
        let path = s.join("a.pack");
        let payloads: [&[u8]; 3] = [b"one", b"", b"three\n\x00\xff"];
        let rows: Vec<Row> = payloads
            .iter()
            .enumerate()
            .map(|(i, p)| Row {
                len: p.len() as u64,
                ..row(i as u64, 100 + i as u64, 7)
            })
            .collect();
        let borrowed = |i: usize| Some(std::borrow::Cow::Borrowed(payloads[i]));
        write(&path, 2, &rows, borrowed).unwrap();
        let f = File::open(&path).unwrap();
        let rows = read_rows(&f, 2).unwrap();
        assert_eq!(rows.len(), 3);
        for (r, p) in rows.iter().zip(payloads) {
            assert_eq!(read_payload(&f, r).unwrap(), p);
        }
        assert_eq!((rows[2].package, rows[2].key, rows[2].written), (2, 102, 7));
        assert_eq!(
            read_rows(&File::open(&path).unwrap(), 3),
            None,
            "another format"
        );
        let good = std::fs::read(&path).unwrap();
        let damaged = |bytes: &[u8]| {
            std::fs::write(&path, bytes).unwrap();
            read_rows(&File::open(&path).unwrap(), 2)
        };
        let mut flipped = good.clone();
        flipped[HEAD + 3] ^= 1;
        assert_eq!(damaged(&flipped), None, "a flipped bit in a row");
        assert_eq!(damaged(&good[..HEAD + ROW]), None, "truncated head");
        assert_eq!(
            damaged(&good[..good.len() - 1]),
            None,
            "a payload cut short"
        );
        assert_eq!(damaged(b""), None, "empty");
        assert_eq!(damaged(b"ALSPACK1"), None, "magic only");
        // A payload missing, or not of its row's length: nothing is written.
        std::fs::remove_file(&path).unwrap();
        let short = |i: usize| Some(std::borrow::Cow::Borrowed(&payloads[i][..i.min(1)]));
        assert!(write(&path, 2, &rows, short).is_err());
        assert!(write(&path, 2, &rows, |i| (i < 2).then(|| borrowed(i)).flatten()).is_err());
        assert_eq!(
            std::fs::read_dir(&*s).unwrap().count(),
            0,
            "no temporary file left"
        );
        write(&path, 2, &rows, borrowed).unwrap();
        assert_eq!(list(&s).len(), 1);
        assert_eq!(std::fs::read_dir(&*s).unwrap().count(), 1);
    }

    #[test]
    fn packs_of_one_size_class_merge_when_there_are_enough() {
        let p = |sizes: &[u64]| -> Vec<(PathBuf, u64)> {
            sizes
                .iter()
                .enumerate()
                .map(|(i, s)| (PathBuf::from(format!("{i}.pack")), *s))
                .collect()
        };
        let kib = 1 << 10;
        assert_eq!(
            merge_plan(&p(&[10 * kib, 20 * kib, 30 * kib])),
            Vec::<usize>::new()
        );
        assert_eq!(
            merge_plan(&p(&[10 * kib, 20 * kib, 30 * kib, 40 * kib])),
            vec![0, 1, 2, 3]
        );
        // A large pack is not rewritten with small ones.
        let big = 20 << 20;
        assert_eq!(merge_plan(&p(&[big, 1, 2, 3])), Vec::<usize>::new());
        assert_eq!(merge_plan(&p(&[big, 1, 2, 3, 4])), vec![1, 2, 3, 4]);
        // The smallest class first.
        assert_eq!(
            merge_plan(&p(&[big, big, big, big, 1, 2, 3, 4])),
            vec![4, 5, 6, 7]
        );
        assert_eq!(
            merge_plan(&p(&[big, big + 1, big + 2, big + 3])),
            vec![0, 1, 2, 3]
        );
        assert!(class(big) > class(64 << 10) && class(1) == class(64 << 10));
    }

    #[test]
    fn the_newest_keys_of_each_package_are_kept() {
        let rows = vec![
            (0, row(1, 10, 1)),
            (0, row(1, 11, 2)),
            (1, row(1, 12, 3)),
            (1, row(1, 13, 4)),
            (2, row(2, 20, 1)),
            // The same key stored twice counts once.
            (2, row(1, 13, 5)),
        ];
        let mut k: Vec<(usize, u64, u64)> = kept(&rows, 3)
            .iter()
            .map(|(p, r)| (*p, r.package, r.key))
            .collect();
        k.sort();
        assert_eq!(k, vec![(0, 1, 11), (1, 1, 12), (2, 1, 13), (2, 2, 20)]);
    }
}
