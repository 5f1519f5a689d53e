//! Page and resume tokens (`services/edge/token.rs`, `services/watch/token.rs`). Properties: a
//! token that opens was sealed by us for that listing or stream — sealing what it holds gives the
//! same text back — and a sealed token opens to what was sealed, until any edit or cut.

use std::time::{Duration, UNIX_EPOCH};

use odoo_mesh::{
    fuzzing::{open_page_token, page_token, token_key},
    watch::token::ResumeToken,
};

/// The first byte picks the case: text read as a page token (0) or a resume token (1), each
/// followed by what it is bound to after a newline; or a token we sealed from the bytes that
/// follow, then edited as they say (2: page, 3: resume).
pub fn tokens(data: &[u8]) {
    let [mode, rest @ ..] = data else { return };
    match mode % 4 {
        0 => page_text(rest),
        1 => resume_text(rest),
        2 => edited_page(rest),
        _ => edited_resume(rest),
    }
}

/// `token\nbound-to`, as text.
fn text_and_context(data: &[u8]) -> (String, String) {
    let text = String::from_utf8_lossy(data);
    let (token, context) = text.split_once('\n').unwrap_or((&text, ""));
    (token.to_owned(), context.to_owned())
}

fn page_text(data: &[u8]) {
    let (token, filters) = text_and_context(data);
    let key = token_key();
    match open_page_token(&key, &token, &filters) {
        Ok(0) => assert!(token.is_empty(), "{token:?} read as no token"),
        Ok(after) => {
            assert!((1..=i64::from(i32::MAX)).contains(&after), "{token:?} opened to id {after}");
            assert_eq!(page_token(&key, after, &filters), token, "a token we did not seal opened");
        }
        Err(status) => assert_eq!(status.code(), tonic::Code::InvalidArgument),
    }
}

fn resume_text(data: &[u8]) {
    let (token, stream) = text_and_context(data);
    let key = token_key();
    if let Ok(opened) = ResumeToken::open(&token, &key, &stream) {
        assert_eq!(opened.seal(&key, &stream), token, "a token we did not seal opened");
    }
}

/// Eight bytes of a number (zeros when short), and the rest.
fn number(data: &[u8]) -> (u64, &[u8]) {
    let (head, rest) = data.split_at(data.len().min(8));
    let mut bytes = [0; 8];
    bytes[..head.len()].copy_from_slice(head);
    (u64::from_be_bytes(bytes), rest)
}

/// A token with the edits `(position, byte)` pairs of `edits` make, and whether it is still the
/// token: every edit that changes it, or a cut (an edit at 255), makes it another.
fn edit(token: &str, edits: &[u8]) -> (String, bool) {
    let mut bytes = token.as_bytes().to_vec();
    for pair in edits.chunks_exact(2) {
        if bytes.is_empty() {
            break;
        }
        let at = usize::from(pair[0]) % bytes.len();
        if pair[0] == u8::MAX {
            bytes.truncate(at);
        } else {
            bytes[at] = pair[1];
        }
    }
    let edited = String::from_utf8_lossy(&bytes).into_owned();
    let same = edited == token;
    (edited, same)
}

fn edited_page(data: &[u8]) {
    let (id, rest) = number(data);
    let id = i64::try_from(id >> 32).unwrap_or_default();
    let (filters_len, rest) = rest.split_first().map_or((0, rest), |(n, r)| (usize::from(*n), r));
    let (filters, edits) = rest.split_at(filters_len.min(rest.len()));
    let filters = String::from_utf8_lossy(filters);
    let key = token_key();
    let token = page_token(&key, id, &filters);
    let (edited, same) = edit(&token, edits);
    let opened = open_page_token(&key, &edited, &filters).ok();
    if same && id > 0 && id <= i64::from(i32::MAX) {
        assert_eq!(opened, Some(id), "a token we sealed did not open");
    } else if !edited.is_empty() {
        assert_eq!(opened, None, "{token:?} edited to {edited:?} still opened");
    }
}

fn edited_resume(data: &[u8]) {
    let (epoch, rest) = number(data);
    let (revision, rest) = number(rest);
    let (millis, rest) = number(rest);
    let (stream_len, rest) = rest.split_first().map_or((0, rest), |(n, r)| (usize::from(*n), r));
    let (stream, edits) = rest.split_at(stream_len.min(rest.len()));
    let stream = String::from_utf8_lossy(stream);
    let key = token_key();
    let position = UNIX_EPOCH + Duration::from_millis(millis % 10_000_000_000_000);
    let sealed = ResumeToken { epoch, revision, position };
    let token = sealed.seal(&key, &stream);
    let (edited, same) = edit(&token, edits);
    let opened = ResumeToken::open(&edited, &key, &stream).ok();
    if same {
        assert_eq!(opened, Some(sealed), "a token we sealed did not open");
    } else {
        assert_eq!(opened, None, "{token:?} edited to {edited:?} still opened");
    }
}
