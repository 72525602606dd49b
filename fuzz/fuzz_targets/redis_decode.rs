//! RESP bytes through redis-rs's parser and the docket's decoders of stream entries,
//! auto-claim replies, strike instructions and run records: never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    fastmcp::docket::__fuzz_redis_decode(data);
});
