//! What the process does to keep its resident memory small (BENCHMARKS.md, "Memory"): glibc's
//! malloc told to give large blocks back, and the code only start-up ran handed back to the kernel.

/// glibc keeps a freed 19 MiB argon2 block in the freeing thread's arena and raises its mmap
/// threshold past it, so a burst of sign-ins on many blocking threads would stay resident. A fixed
/// threshold makes every large block a mapping of its own, returned to the OS when it is freed.
/// (musl's allocator does that by itself.) Called once at start-up.
pub fn return_large_blocks_to_the_os() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; it is called before other threads allocate
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

/// Unmaps the executable's code and read-only data pages, so that only what runs again is mapped
/// back in.
///
/// Start-up (migrations, the templates, the first container lists, every actor's first message)
/// touches code all over the binary, and the kernel maps it in 64 KiB runs: about 9 MB of a 10 MB
/// text segment stays mapped, of which an idle service uses a few hundred KB. These are private
/// mappings of the file that are not writable and hold no page of their own (`Anonymous: 0 kB`:
/// relocated data, which is, is left alone), so dropping their pages loses nothing: the next use
/// of one maps it again from the page cache. Called once, when start-up has settled; the bytes
/// unmapped.
pub fn release_start_up_code() -> usize {
    #[cfg(not(target_os = "linux"))]
    return 0;
    #[cfg(target_os = "linux")]
    {
        let (Ok(smaps), Ok(exe)) =
            (std::fs::read_to_string("/proc/self/smaps"), std::fs::read_link("/proc/self/exe"))
        else {
            return 0;
        };
        let ranges = read_only_ranges(&smaps, &exe.to_string_lossy());
        // the addresses must be this process's own view of itself (an emulator such as qemu-user
        // may show its host's): one of the ranges holds the code running now
        let here = release_start_up_code as *const () as usize;
        if !ranges.iter().any(|&(start, end)| (start..end).contains(&here)) {
            log::debug!("the executable's code is not where /proc/self/smaps says: nothing unmapped");
            return 0;
        }
        let mut released = 0;
        for (start, end) in ranges {
            // SAFETY: the range is a whole mapping of the executable's own file that cannot be
            // written and holds no private page, so it has no change to lose; MADV_DONTNEED only
            // drops its page table entries, and the pages fault back in from the file.
            if unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED) } == 0 {
                released += end - start;
            }
        }
        log::debug!("unmapped {} KiB of start-up code and data pages", released / 1024);
        released
    }
}

/// The address ranges of the mappings in `/proc/self/smaps` that are `exe`'s and can be dropped:
/// private, not writable, and without a page of their own.
fn read_only_ranges(smaps: &str, exe: &str) -> Vec<(usize, usize)> {
    let mut ranges = Vec::new();
    let mut candidate = None;
    for line in smaps.lines() {
        if let Some(anonymous) = line.strip_prefix("Anonymous:") {
            if let (Some(range), Some("0")) = (candidate.take(), anonymous.split_whitespace().next()) {
                ranges.push(range);
            }
        } else if line.split_whitespace().next().is_some_and(|first| !first.ends_with(':')) {
            // a mapping's first line: the next `Anonymous:` is its own
            candidate = mapping(line, exe);
        }
    }
    ranges
}

/// `start-end` of a mapping's header line in smaps when it is `exe`'s, private and read-only.
fn mapping(line: &str, exe: &str) -> Option<(usize, usize)> {
    let mut fields = line.split_whitespace();
    let (range, perms) = (fields.next()?, fields.next()?);
    // offset, device and inode, then the path, which may hold spaces
    fields.nth(2)?;
    let before_path = line.trim_end().strip_suffix(exe)?;
    if !matches!(perms, "r--p" | "r-xp") || !before_path.ends_with(char::is_whitespace) {
        return None;
    }
    let (start, end) = range.split_once('-')?;
    let (start, end) = (usize::from_str_radix(start, 16).ok()?, usize::from_str_radix(end, 16).ok()?);
    (start < end).then_some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_executables_unwritten_read_only_mappings_are_chosen() {
        let smaps = "\
01000000-0138c000 r--p 00000000 fd:00 123 /app/chrontainer
Rss:                 956 kB
Anonymous:             0 kB
0138c000-01cd2000 r-xp 0038b000 fd:00 123 /app/chrontainer
Anonymous:             0 kB
01cd2000-01e34000 r--p 00cd1000 fd:00 123 /app/chrontainer
Anonymous:          1192 kB
01e34000-01e3a000 rw-p 00e33000 fd:00 123 /app/chrontainer
Anonymous:             0 kB
7f00000000-7f00001000 r-xp 00000000 fd:00 456 /usr/lib/libc.so.6
Anonymous:             0 kB
7ffc0000-7ffc1000 r-xp 00000000 00:00 0 [vdso]
Anonymous:             0 kB
";
        assert_eq!(
            read_only_ranges(smaps, "/app/chrontainer"),
            vec![(0x01000000, 0x0138c000), (0x0138c000, 0x01cd2000)]
        );
    }

    #[test]
    fn a_path_with_spaces_is_matched_whole_and_each_block_judged_on_its_own() {
        let smaps = "\
00400000-00500000 r-xp 00000000 fd:00 1 /srv/my apps/chrontainer
Anonymous:             0 kB
00500000-00600000 r--p 00100000 fd:00 1 /srv/my apps/chrontainer
00600000-00700000 rw-p 00200000 fd:00 1 /srv/my apps/chrontainer
Anonymous:             0 kB
00700000-00800000 r-xp 00000000 fd:00 2 /srv/other apps/chrontainer
Anonymous:             0 kB
";
        assert_eq!(read_only_ranges(smaps, "/srv/my apps/chrontainer"), vec![(0x400000, 0x500000)]);
        assert!(read_only_ranges(smaps, "/chrontainer").is_empty(), "only the whole path matches");
    }

    #[test]
    fn the_code_still_runs_after_its_pages_are_released() {
        assert!(release_start_up_code() > 0, "this test binary's own code is found and unmapped");
        assert!(read_only_ranges("", "x").is_empty());
        assert!(release_start_up_code() > 0, "and again, from code mapped back in");
    }
}
