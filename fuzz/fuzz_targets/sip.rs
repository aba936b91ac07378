//! The SIP door's reading of a datagram and the answer it writes, on arbitrary bytes: no
//! panic, one well-formed status line, and an answer never much larger than its request
//! (what would make the door an amplifier). Seeded with RFC 4475's torture messages.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(answer) = cvi_server::sip::read_and_answer(data) {
        assert!(answer.starts_with(b"SIP/2.0 "));
        assert!(answer.ends_with(b"\r\n\r\n"));
        assert!(answer.len() <= 2 * data.len() + 512, "{} → {}", data.len(), answer.len());
    }
});
