//! The process's own resources, read from `/proc/self` at each scrape:
//! resident memory and open file descriptors. Elsewhere than on Linux
//! (no `/proc`), nothing is read.

use std::fs;

/// What `/proc/self` says of this process now; `None` where it could not
/// be read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProcessReading {
    /// Resident set size, in bytes (`VmRSS`).
    pub resident_bytes: Option<u64>,
    /// File descriptors open (entries of `/proc/self/fd`).
    pub open_fds: Option<u64>,
}

impl ProcessReading {
    /// Reads this process's figures now.
    pub fn now() -> Self {
        let resident_bytes =
            fs::read_to_string("/proc/self/status").ok().and_then(|s| resident_from_status(&s));
        // The directory's own descriptor, open while it is read, is not counted.
        let open_fds = fs::read_dir("/proc/self/fd")
            .ok()
            .map(|entries| (entries.count() as u64).saturating_sub(1));
        Self { resident_bytes, open_fds }
    }
}

/// The `VmRSS` line of `/proc/PID/status` (in kB), in bytes.
fn resident_from_status(status: &str) -> Option<u64> {
    let line = status.lines().find_map(|line| line.strip_prefix("VmRSS:"))?;
    let kib = line.trim().strip_suffix("kB")?.trim().parse::<u64>().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_resident_size_is_read_in_bytes() {
        let status = "Name:\tx\nVmPeak:\t  9000 kB\nVmRSS:\t    1234 kB\nThreads:\t2\n";
        assert_eq!(resident_from_status(status), Some(1234 * 1024));
        assert_eq!(resident_from_status("Name:\tx\n"), None);
        assert_eq!(resident_from_status("VmRSS:\t12 MB\n"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn an_open_file_counts_as_a_descriptor() {
        let before = ProcessReading::now();
        assert!(before.resident_bytes.is_some_and(|rss| rss > 0));
        let files: Vec<fs::File> =
            (0..8).map(|_| fs::File::open("/proc/self/status").unwrap()).collect();
        let during = ProcessReading::now().open_fds.unwrap();
        drop(files);
        // Other tests open and close files meanwhile: eight more at least
        // than the fewest seen after.
        let after = ProcessReading::now().open_fds.unwrap();
        assert!(during >= after.min(before.open_fds.unwrap()) + 8, "{during} vs {after}");
    }
}
