//! What a deflate bomb costs in memory, measured alone: this file is a
//! test binary of one test, so the process's peak resident memory (VmHWM)
//! moves only with this test's server and client. A frame of about 1 MiB
//! that inflates to 1 GiB of zeros, against the default limits (16 MiB):
//! the peak grows by less than twice the message limit (the message being
//! inflated, and the buffers it is inflated through).

mod common;

use capstan::ws::deflate::Deflater;
use capstan::ws::{FrameHeader, OpCode, encode_frame};
use capstan::{HttpServer, WsConfig, WsServer};
use common::*;

/// (VmRSS, VmHWM) of this process, in bytes.
fn memory() -> (usize, usize) {
    (proc_memory("self", "VmRSS"), proc_memory("self", "VmHWM"))
}

#[tokio::test]
async fn a_deflate_bomb_costs_less_than_twice_the_message_limit() {
    const BOMB_MIB: usize = 1024;
    let bomb = zero_bomb_pieces(BOMB_MIB).concat();
    assert!(bomb.len() < 2 * MIB, "bomb of {} bytes", bomb.len());
    let header = FrameHeader {
        fin: true,
        rsv1: true,
        rsv23: false,
        opcode: OpCode::Binary,
        mask: Some([9, 8, 7, 6]),
        payload_len: 0,
    };
    let frame = encode_frame(header, &bomb);
    drop(bomb);

    let config = WsConfig::default();
    let limit = config.limits.max_message_size;
    assert_eq!(limit, 16 * MIB);
    let (recorder, mut seen) = Recorder::new(true);
    let server = TestServer::start(HttpServer::new(WsServer::with_config(recorder, config))).await;
    let extension = "Sec-WebSocket-Extensions: permessage-deflate\r\n";
    let mut client = Client::connect_with(server.addr, "/", extension).await;
    // A small compressed message first: the inflater exists before the
    // reading is taken.
    let small = Deflater::new(6, 15).compress(b"hello", true);
    let mut frame_small = header;
    frame_small.opcode = OpCode::Text;
    client.send_raw(&encode_frame(frame_small, &small)).await;
    assert_eq!(client.next_message().await, capstan::Message::text("hello"));

    let (rss_before, hwm_before) = memory();
    client.send_raw(&frame).await;
    assert_eq!(client.expect_close().await.map(|f| f.code.0), Some(1009));
    next_close(&mut seen).await;
    let (_, hwm_after) = memory();
    let growth = hwm_after.saturating_sub(hwm_before.max(rss_before));
    eprintln!(
        "peak before {} MiB, after {} MiB: +{} MiB for a {BOMB_MIB} MiB bomb",
        hwm_before / MIB,
        hwm_after / MIB,
        growth / MIB
    );
    assert!(
        growth < 2 * limit,
        "peak memory grew by {} MiB for a {BOMB_MIB} MiB bomb (limit {} MiB)",
        growth / MIB,
        limit / MIB
    );
    server.stop().await;
}
