//! Path segment helpers for canonical paths (`a::b::c`), used by every stage that names APIs.

/// The first segment of a `::` path (a char search: no substring searcher on hot paths).
pub fn first_segment(path: &str) -> &str {
    path.find(':').map_or(path, |i| &path[..i])
}

/// The last segment of a `::` path: `c` for `a::b::c`, the path itself for one segment.
pub fn last_segment(path: &str) -> &str {
    path.rfind(':').map_or(path, |i| &path[i + 1..])
}

/// `("a::b", "c")` for `a::b::c`; None for a single segment.
pub fn split_last_segment(path: &str) -> Option<(&str, &str)> {
    let i = path.rfind(':')?;
    Some((path.get(..i.checked_sub(1)?)?, &path[i + 1..]))
}
