//! Any bytes through the JSON-RPC decoder: never a panic; what decodes re-encodes and decodes
//! to the same message.
#![no_main]
use fastmcp::protocol::Message;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(message) = Message::decode(data) {
        let json = message.to_json();
        let again = Message::decode(json.as_bytes()).expect("an encoded message decodes");
        assert_eq!(again.to_json(), json);
    }
});
