//! `deflate_cost`: what permessage-deflate costs a Capstan server in
//! memory and CPU, with compression off, shared and per connection. The
//! binary is `src/bin/deflate_cost.rs`; these are its parts.

pub mod args;
pub mod control;
pub mod document;
pub mod fleet;
pub mod mode;
pub mod payload;
pub mod report;
pub mod run;
pub mod server;
