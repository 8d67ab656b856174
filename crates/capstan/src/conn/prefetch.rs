//! Asking the CPU to start loading memory that is about to be used while
//! it does something else: a topic's hand-over walks thousands of
//! connections whose state is cold, and each first touch would stall it.

/// Starts loading the cache line that holds `value` into every cache
/// level. A hint: it changes nothing the program does, and is nothing on
/// targets without such an instruction.
#[inline(always)]
pub(crate) fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE, which the instruction needs, is part of every x86_64
    // CPU; a prefetch reads nothing the program sees and faults on no
    // address, and this one is of a live reference.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
            std::ptr::from_ref(value).cast(),
        );
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}
