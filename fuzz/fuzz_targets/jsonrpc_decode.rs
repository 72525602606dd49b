//! Any bytes through the JSON-RPC decoder: never a panic; what decodes re-encodes and decodes
//! to the same message; the one-pass path for plain requests agrees with the general one.
#![no_main]
use fastmcp::protocol::Message;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let decoded = Message::decode(data);
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) {
        let general = Message::from_value(value);
        match (&decoded, &general) {
            (Ok(a), Ok(b)) => assert_eq!(a.to_json(), b.to_json()),
            (Err(a), Err(b)) => assert_eq!(a.error.code, b.error.code),
            _ => panic!("the two decoders disagree: {:?} / {:?}", decoded.is_ok(), general.is_ok()),
        }
    }
    if let Ok(message) = decoded {
        let json = message.to_json();
        let again = Message::decode(json.as_bytes()).expect("an encoded message decodes");
        assert_eq!(again.to_json(), json);
    }
});
