//! The allocator and resident-memory housekeeping for a long-running node.
//!
//! What a node holds resident is mostly two things: the pages of its own executable it has touched
//! (code, and the embedded seed data), and the heap. Start-up touches much that serving never does
//! again (migrations, the seed import and its CSV text): [`spawn_housekeeping`] gives those pages
//! back. The heap is jemalloc's ([`Jemalloc`], this crate's global allocator), set by [`MALLOC_CONF`]
//! to hand memory freed by a burst (a seed, a sign-in storm, a planner's model) back on its own.

use std::time::Duration;

pub use tikv_jemallocator::Jemalloc;

/// jemalloc's settings, read at its first allocation (`_rjem_` is tikv-jemalloc's symbol prefix).
/// - `background_thread`: a thread of jemalloc's own returns freed pages on time, so an idle node
///   shrinks too (without it, only the next allocations would).
/// - `dirty_decay_ms`: freed pages are kept for reuse about this long, then returned.
/// - `muzzy_decay_ms:0`: returned means unmapped at once (`MADV_DONTNEED`); the lazy `MADV_FREE`
///   leaves pages counted as resident until the kernel runs short of memory.
#[unsafe(export_name = "_rjem_malloc_conf")]
pub static MALLOC_CONF: &[u8] = b"background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0\0";

/// How long after a burst its freed heap memory is back with the system, at the latest
/// (`dirty_decay_ms` with the background thread's scheduling slack).
pub const HEAP_RETURNED_WITHIN: Duration = Duration::from_secs(3);

/// Unmaps the pages of this executable's read-only mappings that this process has touched so far,
/// and returns how many bytes those mappings span. Meant for once start-up is over: what serving
/// needs maps back in from the page cache at its first use (a minor fault, no disk read while the
/// kernel keeps the file cached), what only start-up needed stays out of the resident set.
///
/// Only mappings without a single private (copied-on-write) page are released: for those, the
/// file holds exactly what the pages held. The relocated read-only data (RELRO) has such pages
/// and is left alone.
pub fn release_startup_pages() -> std::io::Result<usize> {
    let exe = std::fs::read_link("/proc/self/exe")?;
    let exe = exe.to_string_lossy();
    let smaps = std::fs::read_to_string("/proc/self/smaps")?;
    let mut released = 0;
    for mapping in file_mappings(&smaps, &exe) {
        // SAFETY: the range is a whole mapping of the executable file, never written (no private
        // page) and not writable: dropping its pages only makes the next access read them again
        // from the same file.
        let ok = unsafe {
            libc::madvise(
                mapping.start as *mut libc::c_void,
                mapping.len,
                libc::MADV_DONTNEED,
            )
        };
        if ok == 0 {
            released += mapping.len;
        }
    }
    Ok(released)
}

/// A mapping [`release_startup_pages`] may release.
#[derive(Debug, PartialEq, Eq)]
struct Mapping {
    start: usize,
    len: usize,
}

/// The read-only mappings of `path` in `smaps` (the text of `/proc/self/smaps`) with no anonymous
/// (copied) page.
fn file_mappings(smaps: &str, path: &str) -> Vec<Mapping> {
    let mut found = Vec::new();
    let mut current: Option<Mapping> = None;
    for line in smaps.lines() {
        let mut fields = line.split_whitespace();
        let first = fields.next().unwrap_or_default();
        if let Some((start, end)) = first.split_once('-') {
            // A mapping's header: `start-end perms offset dev inode [path]`.
            let (Ok(start), Ok(end)) = (
                usize::from_str_radix(start, 16),
                usize::from_str_radix(end, 16),
            ) else {
                continue;
            };
            let perms = fields.next().unwrap_or_default();
            // The path is what follows offset, device and inode (it may hold spaces).
            let name = fields.skip(3).collect::<Vec<_>>().join(" ");
            current = (name == path && perms.starts_with('r') && !perms.contains('w')).then_some(
                Mapping {
                    start,
                    len: end - start,
                },
            );
        } else if first == "Anonymous:" {
            let copied = fields.next() != Some("0");
            if let Some(mapping) = current.take() {
                if !copied {
                    found.push(mapping);
                }
            }
        }
    }
    found
}

/// Once start-up is over, releases the executable pages it touched ([`release_startup_pages`]).
pub fn spawn_housekeeping() -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        match release_startup_pages() {
            Ok(bytes) => tracing::debug!(bytes, "start-up's executable pages released"),
            Err(e) => tracing::debug!(error = %e, "cannot release start-up's executable pages"),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMAPS: &str = "\
55d0c0000000-55d0c0100000 r--p 00000000 08:01 1234 /usr/bin/sports-nutrition
Size:               1024 kB
Anonymous:             0 kB
55d0c0100000-55d0c0900000 r-xp 00100000 08:01 1234 /usr/bin/sports-nutrition
Anonymous:             0 kB
55d0c0900000-55d0c0a00000 r--p 00900000 08:01 1234 /usr/bin/sports-nutrition
Anonymous:           844 kB
55d0c0a00000-55d0c0a10000 rw-p 00a00000 08:01 1234 /usr/bin/sports-nutrition
Anonymous:            64 kB
7f0000000000-7f0000100000 r-xp 00000000 08:01 99 /usr/lib/x86_64-linux-gnu/libc.so.6
Anonymous:             0 kB
7f0000200000-7f0000300000 rw-p 00000000 00:00 0
Anonymous:          1024 kB
";

    #[test]
    fn only_the_executables_unwritten_read_only_mappings_are_released() {
        assert_eq!(
            file_mappings(SMAPS, "/usr/bin/sports-nutrition"),
            vec![
                Mapping {
                    start: 0x55d0_c000_0000,
                    len: 0x10_0000
                },
                Mapping {
                    start: 0x55d0_c010_0000,
                    len: 0x80_0000
                },
            ]
        );
    }

    #[test]
    fn released_pages_read_back_as_they_were() {
        static TEXT: &str = "the embedded text stays readable after its pages are released";
        let before = TEXT.to_owned();
        assert!(release_startup_pages().expect("release") > 0);
        assert_eq!(TEXT, before);
    }

    /// This process's resident set, in bytes.
    fn resident() -> usize {
        let status = std::fs::read_to_string("/proc/self/status").expect("status");
        let kib = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
            .expect("VmRSS");
        kib * 1024
    }

    #[test]
    fn freed_heap_memory_goes_back() {
        // 64 MiB in small blocks (as a burst of requests allocates), touched, then freed.
        const BURST: usize = 64 * 1024 * 1024;
        let before = resident();
        let blocks: Vec<Vec<u8>> = (0..BURST / 4096).map(|_| vec![1u8; 4096]).collect();
        let during = resident();
        assert!(
            during >= before + BURST / 2,
            "the burst is resident: {before} -> {during}"
        );
        drop(blocks);
        let deadline = std::time::Instant::now() + HEAP_RETURNED_WITHIN * 2;
        let mut after = resident();
        while after > before + BURST / 4 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
            after = resident();
        }
        assert!(
            after <= before + BURST / 4,
            "freed memory is still resident: {before} -> {during} -> {after} bytes"
        );
    }
}
