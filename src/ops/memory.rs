//! Allocator tuning and resident-memory housekeeping for a long-running node.
//!
//! What a node holds resident is mostly two things: the pages of its own executable it has touched
//! (code, and the embedded seed data), and the heap. Start-up touches much that serving never does
//! again (migrations, the seed import and its CSV text), and glibc keeps heap memory freed by a burst
//! (a seed, a sign-in storm, a planner's model) in its arenas: about half the heap after read load.
//! [`spawn_housekeeping`] gives both back.

use std::time::Duration;

/// Largest allocation served from the heap; larger ones get their own mapping, returned to the OS
/// when freed. glibc raises this threshold on its own after large frees, after which each argon2id
/// hash (19 MiB of working memory) stays in the heap: 50 concurrent sign-ins left ~500 MiB resident
/// (bench/auth_load.rs). Pinning it keeps resident memory near the working set.
const MMAP_THRESHOLD: i32 = 1024 * 1024;

/// How often the heap's free pages are handed back. A trim walks the free lists of every arena
/// (well under a millisecond at this heap's size), so this costs nothing a request would notice.
pub const TRIM_EVERY: Duration = Duration::from_secs(10);

/// Call once at start-up, before the runtime spawns threads.
pub fn tune_allocator() {
    // SAFETY: mallopt only changes allocator parameters; called before other threads exist.
    let ok = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD) };
    if ok != 1 {
        eprintln!("warning: could not set the allocator's mmap threshold");
    }
}

/// Returns the free pages of every heap arena to the system (`malloc_trim`); whether any were.
pub fn trim_heap() -> bool {
    // SAFETY: malloc_trim only releases memory the allocator holds as free; it takes each arena's
    // lock, so it is safe beside other threads' allocations.
    unsafe { libc::malloc_trim(0) == 1 }
}

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

/// Once start-up is over, releases the executable pages it touched ([`release_startup_pages`]);
/// then, every [`TRIM_EVERY`], returns the heap's free pages to the system.
pub fn spawn_housekeeping() -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        match release_startup_pages() {
            Ok(bytes) => tracing::debug!(bytes, "start-up's executable pages released"),
            Err(e) => tracing::debug!(error = %e, "cannot release start-up's executable pages"),
        }
        let mut tick = tokio::time::interval(TRIM_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            trim_heap();
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

    #[test]
    fn freed_heap_memory_goes_back() {
        // 16 MiB in blocks under the mmap threshold, then one more above them, so that freeing the
        // blocks leaves a hole inside the heap that free() itself never gives back.
        let blocks: Vec<Vec<u8>> = (0..4096).map(|_| vec![1u8; 4096]).collect();
        let above = vec![1u8; 4096];
        drop(blocks);
        assert!(trim_heap());
        drop(above);
    }
}
