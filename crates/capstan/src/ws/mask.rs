//! Payload masking (RFC 6455 §5.3): XOR with a 4-byte key.
//!
//! [`apply_mask`] picks the widest implementation the CPU has:
//! - x86_64: AVX2 (32 bytes a step) when detected at run time and the slice
//!   holds at least one step, else SSE2 (16 bytes a step, part of the
//!   x86_64 baseline);
//! - aarch64: NEON (16 bytes a step, part of the baseline);
//! - elsewhere: the portable one, a `u64` word at a time.
//!
//! Every vector step covers a multiple of 4 bytes, so the key's phase never
//! changes between steps and the bytes left over go to the narrower paths.

/// A masking function: the signature of [`apply_mask`] (see [`mask_impls`]).
#[doc(hidden)]
pub type MaskFn = fn(&mut [u8], [u8; 4], usize);

/// XORs `data` with `key`, as if `data` started at byte `offset` of the
/// payload (so a payload can be unmasked in pieces as it arrives).
pub fn apply_mask(data: &mut [u8], key: [u8; 4], offset: usize) {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        // Shorter than one AVX2 step: SSE2 does the same work, undetected.
        if data.len() >= 32 && x86::avx2_detected() {
            // SAFETY: the CPU supports AVX2 (checked just above).
            unsafe { x86::apply_mask_avx2(data, key, offset) };
        } else {
            x86::apply_mask_sse2(data, key, offset);
        }
    }
    #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
    {
        arm::apply_mask_neon(data, key, offset);
    }
    #[cfg(not(any(
        all(target_arch = "x86_64", target_feature = "sse2"),
        all(target_arch = "aarch64", target_feature = "neon"),
    )))]
    {
        apply_mask_u64(data, key, offset);
    }
}

/// Every implementation this CPU can run, by name, the byte-at-a-time RFC
/// definition first and the widest last.
///
/// For benchmarks and tests only: not part of the stable API.
#[doc(hidden)]
pub fn mask_impls() -> Vec<(&'static str, MaskFn)> {
    #[cfg_attr(
        not(any(
            all(target_arch = "x86_64", target_feature = "sse2"),
            all(target_arch = "aarch64", target_feature = "neon"),
        )),
        allow(unused_mut)
    )]
    let mut impls: Vec<(&'static str, MaskFn)> =
        vec![("scalar", apply_mask_scalar), ("u64", apply_mask_u64)];
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        impls.push(("sse2", x86::apply_mask_sse2));
        if x86::avx2_detected() {
            impls.push(("avx2", x86::apply_mask_avx2_checked));
        }
    }
    #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
    impls.push(("neon", arm::apply_mask_neon));
    impls
}

/// The byte-at-a-time definition from the RFC: the reference the others
/// are tested against.
fn apply_mask_scalar(data: &mut [u8], key: [u8; 4], offset: usize) {
    for (i, byte) in data.iter_mut().enumerate() {
        *byte ^= key[(offset % 4 + i) % 4];
    }
}

/// The portable path: a `u64` (two copies of the key) at a time, then bytes.
fn apply_mask_u64(data: &mut [u8], key: [u8; 4], offset: usize) {
    let key = rotated(key, offset);
    let word = u64::from_ne_bytes([key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3]]);
    let mut chunks = data.chunks_exact_mut(8);
    for chunk in &mut chunks {
        let value = u64::from_ne_bytes(chunk.try_into().expect("chunk of 8")) ^ word;
        chunk.copy_from_slice(&value.to_ne_bytes());
    }
    for (i, byte) in chunks.into_remainder().iter_mut().enumerate() {
        *byte ^= key[i % 4];
    }
}

/// The key as seen from a slice that starts `offset` bytes into the payload.
fn rotated(mut key: [u8; 4], offset: usize) -> [u8; 4] {
    key.rotate_left(offset % 4);
    key
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
mod x86 {
    use core::arch::x86_64::{
        __m128i, __m256i, _mm_loadu_si128, _mm_set1_epi32, _mm_storeu_si128, _mm_xor_si128,
        _mm256_castsi256_si128, _mm256_loadu_si256, _mm256_set1_epi32, _mm256_storeu_si256,
        _mm256_xor_si256,
    };

    use super::{apply_mask_u64, rotated};

    /// Whether the CPU has AVX2. The standard library caches the answer
    /// after the first query, so this is a load and a bit test.
    pub(super) fn avx2_detected() -> bool {
        std::is_x86_feature_detected!("avx2")
    }

    /// The key as one 32-bit lane: x86 is little-endian, so a lane of this
    /// value holds the key's bytes in order.
    fn key_lane(key: [u8; 4], offset: usize) -> i32 {
        i32::from_le_bytes(rotated(key, offset))
    }

    /// 16 bytes at a time with SSE2, which every x86_64 CPU has.
    pub(super) fn apply_mask_sse2(data: &mut [u8], key: [u8; 4], offset: usize) {
        // SAFETY: SSE2 is enabled for the whole build (this module is only
        // compiled with `target_feature = "sse2"`, the x86_64 baseline).
        let mask = unsafe { _mm_set1_epi32(key_lane(key, offset)) };
        let rest = mask_16(data, mask);
        // Whole steps of 16 keep the key's phase: `offset` still holds.
        apply_mask_u64(rest, key, offset);
    }

    /// XORs each whole 16 bytes of `data` with `mask`; returns the rest.
    fn mask_16(data: &mut [u8], mask: __m128i) -> &mut [u8] {
        let mut chunks = data.chunks_exact_mut(16);
        for chunk in &mut chunks {
            let ptr = chunk.as_mut_ptr().cast::<__m128i>();
            // SAFETY: `chunk` is 16 bytes we may read and write, and
            // loadu/storeu take any alignment.
            unsafe { _mm_storeu_si128(ptr, _mm_xor_si128(_mm_loadu_si128(ptr), mask)) };
        }
        chunks.into_remainder()
    }

    /// 32 bytes at a time with AVX2; then at most one step of 16 with SSE2.
    ///
    /// # Safety
    /// The CPU must support AVX2 (see [`avx2_detected`]).
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn apply_mask_avx2(data: &mut [u8], key: [u8; 4], offset: usize) {
        let mask = _mm256_set1_epi32(key_lane(key, offset));
        let mut chunks = data.chunks_exact_mut(32);
        for chunk in &mut chunks {
            let ptr = chunk.as_mut_ptr().cast::<__m256i>();
            // SAFETY: `chunk` is 32 bytes we may read and write, loadu/storeu
            // take any alignment, and the caller vouches for AVX2.
            unsafe { _mm256_storeu_si256(ptr, _mm256_xor_si256(_mm256_loadu_si256(ptr), mask)) };
        }
        let rest = mask_16(chunks.into_remainder(), _mm256_castsi256_si128(mask));
        apply_mask_u64(rest, key, offset);
    }

    /// [`apply_mask_avx2`] behind a check, so it can be handed out as a
    /// safe function pointer.
    pub(super) fn apply_mask_avx2_checked(data: &mut [u8], key: [u8; 4], offset: usize) {
        assert!(avx2_detected(), "AVX2 masking called on a CPU without AVX2");
        // SAFETY: the CPU supports AVX2 (asserted just above).
        unsafe { apply_mask_avx2(data, key, offset) };
    }
}

#[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
mod arm {
    use core::arch::aarch64::{veorq_u8, vld1q_u8, vst1q_u8};

    use super::{apply_mask_u64, rotated};

    /// 16 bytes at a time with NEON, which every (non soft-float) aarch64
    /// target has.
    pub(super) fn apply_mask_neon(data: &mut [u8], key: [u8; 4], offset: usize) {
        // The key repeated, in memory order (whatever the byte order).
        let key = rotated(key, offset);
        let pattern: [u8; 16] = core::array::from_fn(|i| key[i % 4]);
        // SAFETY: `pattern` is 16 readable bytes; vld1q_u8 takes any alignment.
        let mask = unsafe { vld1q_u8(pattern.as_ptr()) };
        let mut chunks = data.chunks_exact_mut(16);
        for chunk in &mut chunks {
            let ptr = chunk.as_mut_ptr();
            // SAFETY: `chunk` is 16 bytes we may read and write, and
            // vld1q_u8/vst1q_u8 take any alignment.
            unsafe { vst1q_u8(ptr, veorq_u8(vld1q_u8(ptr), mask)) };
        }
        apply_mask_u64(chunks.into_remainder(), key, offset);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

    fn sample(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(7)).collect()
    }

    fn reference(data: &[u8], key: [u8; 4], offset: usize) -> Vec<u8> {
        let mut out = data.to_vec();
        apply_mask_scalar(&mut out, key, offset);
        out
    }

    /// The implementations under test: each one this CPU runs, and the
    /// dispatcher itself.
    fn candidates() -> Vec<(&'static str, MaskFn)> {
        let mut all = mask_impls();
        all.push(("apply_mask", apply_mask));
        all
    }

    #[test]
    fn the_expected_implementations_are_listed() {
        let names: Vec<_> = mask_impls().into_iter().map(|(name, _)| name).collect();
        assert_eq!(&names[..2], ["scalar", "u64"]);
        #[cfg(target_arch = "x86_64")]
        {
            assert!(names.contains(&"sse2"));
            assert_eq!(names.contains(&"avx2"), std::is_x86_feature_detected!("avx2"));
        }
        #[cfg(target_arch = "aarch64")]
        assert!(names.contains(&"neon"));
    }

    #[test]
    fn every_implementation_matches_the_rfc_definition() {
        for (name, mask) in candidates() {
            for len in 0..300 {
                for offset in 0..4 {
                    let original = sample(len);
                    let mut out = original.clone();
                    mask(&mut out, KEY, offset);
                    assert_eq!(
                        out,
                        reference(&original, KEY, offset),
                        "{name} len {len} @{offset}"
                    );
                }
            }
        }
    }

    #[test]
    fn large_offsets_wrap_around_the_key() {
        for (name, mask) in candidates() {
            for offset in [4, 5, 1001, usize::MAX - 3, usize::MAX] {
                let original = sample(77);
                let mut out = original.clone();
                mask(&mut out, KEY, offset);
                let expected = reference(&original, KEY, offset % 4);
                assert_eq!(out, expected, "{name} offset {offset}");
            }
        }
    }

    #[test]
    fn unaligned_starts_mask_only_their_slice() {
        for (name, mask) in candidates() {
            for start in 1..=16 {
                for len in [0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 130, 257] {
                    for offset in 0..4 {
                        let original = sample(start + len + 16);
                        let mut buf = original.clone();
                        mask(&mut buf[start..start + len], KEY, offset);
                        let slice = &original[start..start + len];
                        assert_eq!(&buf[..start], &original[..start], "{name} prefix");
                        assert_eq!(
                            buf[start..start + len],
                            reference(slice, KEY, offset),
                            "{name} start {start} len {len} @{offset}"
                        );
                        assert_eq!(&buf[start + len..], &original[start + len..], "{name} suffix");
                    }
                }
            }
        }
    }

    #[test]
    fn masking_in_pieces_equals_masking_at_once() {
        let original = sample(1000);
        let expected = reference(&original, KEY, 0);
        let cuts: [&[usize]; 5] = [
            &[7, 57, 100],
            &[1, 2, 3, 4, 5],
            &[16, 48, 80, 81, 113, 999],
            &[33, 66, 99, 132, 165, 500, 777],
            &[0, 31, 31, 64],
        ];
        for (name, mask) in candidates() {
            for cut in cuts {
                let mut buf = original.clone();
                let mut start = 0;
                for &end in cut.iter().chain(std::iter::once(&original.len())) {
                    mask(&mut buf[start..end], KEY, start);
                    start = end;
                }
                assert_eq!(buf, expected, "{name} cuts {cut:?}");
            }
        }
    }

    #[test]
    fn masking_twice_restores_the_payload() {
        for (name, mask) in candidates() {
            let original = sample(300);
            let mut buf = original.clone();
            mask(&mut buf, KEY, 3);
            mask(&mut buf, KEY, 3);
            assert_eq!(buf, original, "{name}");
        }
    }

    #[test]
    fn rfc_example_hello() {
        // RFC 6455 §5.7: a masked "Hello".
        for (name, mask) in candidates() {
            let mut payload = [0x7f, 0x9f, 0x4d, 0x51, 0x58];
            mask(&mut payload, KEY, 0);
            assert_eq!(&payload, b"Hello", "{name}");
        }
    }
}
