//! Allocator tuning for a long-running node.

/// Largest allocation served from the heap; larger ones get their own mapping, returned to the OS
/// when freed. glibc raises this threshold on its own after large frees, after which each argon2id
/// hash (19 MiB of working memory) stays in the heap: 50 concurrent sign-ins left ~500 MiB resident
/// (bench/auth_load.rs). Pinning it keeps resident memory near the working set.
const MMAP_THRESHOLD: i32 = 1024 * 1024;

/// Call once at start-up, before the runtime spawns threads.
pub fn tune_allocator() {
    // SAFETY: mallopt only changes allocator parameters; called before other threads exist.
    let ok = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD) };
    if ok != 1 {
        eprintln!("warning: could not set the allocator's mmap threshold");
    }
}
