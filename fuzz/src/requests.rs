//! Every RPC's request: protobuf bytes, decoded as tonic does, converted as the handler does.
//! Property: a request that decodes is either a domain value — with no NUL anywhere, Odoo's
//! database cannot store one — or an error status a client can receive.

use odoo_mesh::fuzzing::CONVERSIONS;

use crate::{assert_status_fits, split_choice};

/// The first byte picks the RPC (`CONVERSIONS`), the rest is its request message.
pub fn requests(data: &[u8]) {
    let Some((index, bytes)) = split_choice(data, CONVERSIONS.len()) else { return };
    let conversion = CONVERSIONS[index];
    match (conversion.convert)(bytes) {
        None => {}
        Some(Ok(value)) => assert!(!debug_has_nul(&value), "{} accepted a NUL: {value}", conversion.rpc),
        Some(Err(status)) => {
            assert_eq!(status.code(), tonic::Code::InvalidArgument, "{}: {status:?}", conversion.rpc);
            assert_status_fits(&status);
        }
    }
}

/// Whether `Debug` text shows a NUL character (`\0`), escapes read as escapes (`\\0` is a
/// backslash and a zero).
fn debug_has_nul(text: &str) -> bool {
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.next() == Some('0') {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_nul_is_told_from_a_backslash_and_a_zero() {
        assert!(super::debug_has_nul(&format!("{:?}", "a\0b")));
        assert!(!super::debug_has_nul(&format!("{:?}", "a\\0b")));
    }
}
