//! Micro-benchmarks of the codec's hot paths, as bytes per second:
//! masking (each implementation the CPU runs), UTF-8 validation, decoding
//! a frame (unmasking and validation included) and encoding a server frame.
//!
//! `cargo bench -p capstan --bench codec`; `scripts/microbench.sh` runs it
//! and turns criterion's JSON into a Markdown table.
//! Kept short: 0.5 s of warm-up and 2 s of measurement per benchmark.

use std::hint::black_box;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use capstan::ws::Utf8Validator;
use capstan::ws::mask::{apply_mask, mask_impls};
use capstan::ws::{Decoder, Event, OpCode, OutFrame, Role, encode_client_frame};
use capstan::{Limits, Message};
use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

const KIB: usize = 1024;
const MIB: usize = 1024 * KIB;

/// The masking key of every masked payload here (RFC 6455 §5.7's).
const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// A piece size for streamed validation that splits multi-byte characters.
const PIECE: usize = 333;

/// A size as the benchmark's parameter: `16B`, `512B`, `16KiB`, `1MiB`.
fn label(len: usize) -> String {
    match len {
        n if n >= MIB && n % MIB == 0 => format!("{}MiB", n / MIB),
        n if n >= KIB && n % KIB == 0 => format!("{}KiB", n / KIB),
        n => format!("{n}B"),
    }
}

/// `len` bytes of printable ASCII.
fn ascii_text(len: usize) -> Vec<u8> {
    (0..len).map(|i| b' ' + (i % 95) as u8).collect()
}

/// `len` bytes of valid UTF-8 mixing 1-, 2-, 3- and 4-byte characters
/// (padded with ASCII to the exact length).
fn mixed_text(len: usize) -> Vec<u8> {
    const WORDS: [&str; 6] = ["hello ", "κόσμε ", "привет ", "世界 ", "✓ ok ", "🦀𝄞 "];
    let mut text = String::with_capacity(len);
    for word in WORDS.iter().cycle() {
        if text.len() + word.len() > len {
            break;
        }
        text.push_str(word);
    }
    while text.len() < len {
        text.push('.');
    }
    text.into_bytes()
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50)
}

fn masking(c: &mut Criterion) {
    let mut group = c.benchmark_group("mask");
    let mut impls = mask_impls();
    impls.push(("apply_mask", apply_mask));
    for len in [16, 512, 16 * KIB, MIB] {
        group.throughput(Throughput::Bytes(len as u64));
        for &(name, mask) in &impls {
            let mut data = ascii_text(len);
            group.bench_function(BenchmarkId::new(name, label(len)), |b| {
                b.iter(|| mask(black_box(&mut data), black_box(KEY), black_box(0)));
            });
        }
    }
    group.finish();
}

fn utf8(c: &mut Criterion) {
    let mut group = c.benchmark_group("utf8");
    for len in [512, 16 * KIB, MIB] {
        group.throughput(Throughput::Bytes(len as u64));
        for (kind, text) in [("ascii", ascii_text(len)), ("mixed", mixed_text(len))] {
            group.bench_function(BenchmarkId::new(format!("whole_{kind}"), label(len)), |b| {
                let mut validator = Utf8Validator::default();
                b.iter(|| {
                    validator.feed(black_box(&text)).unwrap();
                    validator.finish().unwrap();
                });
            });
            let name = format!("streamed{PIECE}_{kind}");
            group.bench_function(BenchmarkId::new(name, label(len)), |b| {
                let mut validator = Utf8Validator::default();
                b.iter(|| {
                    for piece in black_box(&text).chunks(PIECE) {
                        validator.feed(piece).unwrap();
                    }
                    validator.finish().unwrap();
                });
            });
        }
    }
    group.finish();
}

/// One masked frame from a client, decoded by the server: header parsing,
/// unmasking, UTF-8 validation for text, the event out. The frame is copied
/// into a fresh buffer before each run, outside the timing.
fn decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode");
    let cases = [
        ("text_mixed", OpCode::Text, mixed_text(512)),
        ("text_mixed", OpCode::Text, mixed_text(16 * KIB)),
        ("binary", OpCode::Binary, ascii_text(MIB)),
    ];
    for (name, opcode, payload) in cases {
        let frame = encode_client_frame(opcode, true, &payload, KEY);
        group.throughput(Throughput::Bytes(payload.len() as u64));
        let mut decoder = Decoder::new(Role::Server, Limits::default());
        group.bench_function(BenchmarkId::new(name, label(payload.len())), |b| {
            b.iter_batched_ref(
                || BytesMut::from(&frame[..]),
                |buf| match decoder.decode(buf) {
                    Ok(Some(Event::Message(message))) => message,
                    other => panic!("expected a message, got {other:?}"),
                },
                BatchSize::LargeInput,
            );
        });
    }
    group.finish();
}

/// One unmasked server frame: the header built beside a shared payload
/// (what a connection queues for a vectored write), and header and payload
/// copied into one buffer (what a prepared broadcast frame is).
fn encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode");
    for len in [16, 512, 16 * KIB] {
        let payload = Bytes::from(ascii_text(len));
        let wire_len = OutFrame::new(OpCode::Binary, payload.clone()).wire_len();
        group.throughput(Throughput::Bytes(wire_len as u64));
        group.bench_function(BenchmarkId::new("outframe", label(len)), |b| {
            b.iter(|| OutFrame::message(Message::Binary(black_box(&payload).clone())));
        });
        group.bench_function(BenchmarkId::new("contiguous", label(len)), |b| {
            b.iter(|| OutFrame::message(Message::Binary(black_box(&payload).clone())).to_bytes());
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = masking, utf8, decode, encode
}
criterion_main!(benches);
