//! A process's memory as the kernel counts it: resident now and at its peak, from `/proc`.

/// Resident memory of a process, in KiB.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Memory {
    /// Resident now (`VmRSS`).
    pub(crate) resident: u64,
    /// The most it was resident since it started (`VmHWM`).
    pub(crate) peak: u64,
}

/// The memory of process `pid` now.
pub(crate) fn of(pid: u32) -> Memory {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    let kib = |field: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(field))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("{field} in /proc/{pid}/status"))
    };
    Memory { resident: kib("VmRSS:"), peak: kib("VmHWM:") }
}
