//! Page and resume tokens: opaque to clients and tamper-evident. A token is its payload followed
//! by an HMAC-SHA256 tag over the token's purpose, what it belongs to (a listing's filters, a
//! watch's stream) and the payload, in URL-safe base64. A token that was edited, cut, made for another query or another deployment,
//! or is not a token at all fails the tag and is refused as such; only then is its payload read.
//!
//! **The key** must be the same on every replica and after a restart, or a client could not page
//! or resume on another replica: it is derived (HMAC-SHA256 keyed with the secret, over the URL,
//! database and login) from the Odoo credentials odoo-mesh is configured with, which every replica
//! of a deployment shares and no client knows. No key to distribute, none to lose; but a new Odoo
//! key (or password) makes a new token key once a replica restarts, so tokens issued before are
//! refused there: clients start their listing again, or their watch with `send_initial`.
//!
//! Tokens carry no authority — a forged one could only name a place in a listing the caller may
//! read anyway — so the tag is there to refuse junk clearly (INVALID_ARGUMENT, never a query Odoo
//! chokes on), not to keep secrets: the payload is not encrypted.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use odoo_adapter::OdooConfig;
use sha2::Sha256;

use super::id;
use crate::error::FieldViolation;

type HmacSha256 = Hmac<Sha256>;

/// Bytes of the tag a token carries: HMAC-SHA256 cut to 128 bits (RFC 2104 §5), plenty to make a
/// guessed or edited token fail, and half the length.
const TAG_LEN: usize = 16;
/// No token is longer; anything longer is refused before it is decoded.
const MAX_TOKEN_CHARS: usize = 128;

/// What a token is for: a page token is never taken for a resume token, nor the other way round.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Purpose {
    Page,
    Resume,
}

/// The key tokens are sealed with, the same on every replica of a deployment.
#[derive(Clone)]
pub struct TokenKey([u8; 32]);

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey(<redacted>)")
    }
}

impl TokenKey {
    /// The key of the deployment that reaches this Odoo with these credentials.
    pub fn for_deployment(odoo: &OdooConfig) -> Self {
        let mut mac =
            HmacSha256::new_from_slice(odoo.secret.expose().as_bytes()).expect("HMAC takes keys of any length");
        for part in ["odoo-mesh token key v1", &odoo.url, &odoo.database, &odoo.login] {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        Self(mac.finalize().into_bytes().into())
    }

    fn mac(&self, purpose: Purpose, context: &[u8], payload: &[u8]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC takes keys of any length");
        mac.update(&[purpose as u8]);
        mac.update(&(context.len() as u64).to_be_bytes());
        mac.update(context);
        mac.update(payload);
        mac
    }

    /// `payload` as a token for `purpose`, bound to `context` (a listing's filters, a watch's stream).
    pub(crate) fn seal(&self, purpose: Purpose, context: &[u8], payload: &[u8]) -> String {
        let tag = self.mac(purpose, context, payload).finalize().into_bytes();
        let mut bytes = Vec::with_capacity(payload.len() + TAG_LEN);
        bytes.extend_from_slice(payload);
        bytes.extend_from_slice(&tag[..TAG_LEN]);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The payload of a token this deployment sealed for `purpose` and `context`; `None` for
    /// anything else. Never panics, whatever the text.
    pub(crate) fn open(&self, purpose: Purpose, context: &[u8], token: &str) -> Option<Vec<u8>> {
        if token.len() > MAX_TOKEN_CHARS {
            return None;
        }
        let mut bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
        let payload_len = bytes.len().checked_sub(TAG_LEN)?;
        let tag = bytes.split_off(payload_len);
        self.mac(purpose, context, &bytes).verify_truncated_left(&tag).ok()?;
        Some(bytes)
    }
}

/// A page token: where the previous page of a listing ended (the last id returned), bound to the
/// listing's filters so it cannot be replayed with others.
pub(crate) struct PageToken;

impl PageToken {
    /// The layout of the payload: a version byte, then the id (8 bytes, big-endian).
    const VERSION: u8 = 2;

    pub(crate) fn encode(key: &TokenKey, after_id: i64, filters: &str) -> String {
        let mut payload = vec![Self::VERSION];
        payload.extend_from_slice(&after_id.to_be_bytes());
        key.seal(Purpose::Page, filters.as_bytes(), &payload)
    }

    /// The token of the page after one that ended with `last_id`; empty after the last page.
    pub(crate) fn next(key: &TokenKey, more: bool, last_id: Option<i64>, filters: &str) -> String {
        match (more, last_id) {
            (true, Some(id)) => Self::encode(key, id, filters),
            _ => String::new(),
        }
    }

    /// The id after which the page starts; 0 for an empty token, the first page.
    pub(crate) fn decode(key: &TokenKey, token: &str, filters: &str) -> Result<i64, FieldViolation> {
        if token.is_empty() {
            return Ok(0);
        }
        let invalid = || FieldViolation::new("page_token", "not a page token of this query: start again without one");
        let payload = key.open(Purpose::Page, filters.as_bytes(), token).ok_or_else(invalid)?;
        let [Self::VERSION, after @ ..] = payload.as_slice() else { return Err(invalid()) };
        let after = i64::from_be_bytes(after.try_into().map_err(|_| invalid())?);
        id::id("page_token", after).map_err(|_| invalid())
    }
}

/// A fixed key, for tests and the fuzz targets (`crate::fuzzing`).
pub(crate) fn test_key() -> TokenKey {
    TokenKey([7; 32])
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::edge::id::MAX_ID;

    #[test]
    fn page_tokens_are_bound_to_their_filters_and_deployment() {
        let key = test_key();
        let token = PageToken::encode(&key, 42, "sku_prefix=FURN");
        assert_eq!(PageToken::decode(&key, &token, "sku_prefix=FURN"), Ok(42));
        assert_eq!(PageToken::decode(&key, &token, "sku_prefix=E-COM").expect_err("other filters").field, "page_token");
        assert!(PageToken::decode(&TokenKey([8; 32]), &token, "sku_prefix=FURN").is_err(), "another deployment");
        assert!(PageToken::decode(&key, "garbage!", "").is_err());
        assert!(PageToken::decode(&key, &"A".repeat(100_000), "").is_err());
        assert_eq!(PageToken::decode(&key, "", "anything"), Ok(0));
    }

    #[test]
    fn a_page_token_is_not_a_resume_token() {
        let key = test_key();
        let resume = key.seal(Purpose::Resume, b"", &[PageToken::VERSION, 0, 0, 0, 0, 0, 0, 0, 42]);
        assert!(PageToken::decode(&key, &resume, "").is_err());
    }

    #[test]
    fn the_key_follows_the_credentials_not_the_process() {
        let config = |secret: &str| OdooConfig {
            url: "http://odoo:8069".into(),
            database: "prod".into(),
            login: "odoo-mesh".into(),
            secret: odoo_adapter::Secret::new(secret),
            secret_file: None,
            protocol: odoo_adapter::Protocol::Auto,
            connect_timeout: odoo_adapter::DEFAULT_CONNECT_TIMEOUT,
            request_timeout: odoo_adapter::DEFAULT_REQUEST_TIMEOUT,
            max_concurrency: odoo_adapter::DEFAULT_MAX_CONCURRENCY,
            queue_timeout: odoo_adapter::DEFAULT_QUEUE_TIMEOUT,
            breaker: odoo_adapter::BreakerConfig::default(),
        };
        let token = PageToken::encode(&TokenKey::for_deployment(&config("k1")), 7, "");
        assert_eq!(PageToken::decode(&TokenKey::for_deployment(&config("k1")), &token, ""), Ok(7), "another replica");
        assert!(PageToken::decode(&TokenKey::for_deployment(&config("k2")), &token, "").is_err());
        assert!(!format!("{:?}", TokenKey::for_deployment(&config("k1"))).contains("k1"));
    }

    proptest! {
        #[test]
        fn a_page_token_reads_back_as_written(after_id in 1..=MAX_ID, filters in any::<String>()) {
            let key = test_key();
            let token = PageToken::encode(&key, after_id, &filters);
            prop_assert!(token.len() <= MAX_TOKEN_CHARS);
            prop_assert_eq!(PageToken::decode(&key, &token, &filters), Ok(after_id));
        }

        #[test]
        fn any_edit_or_cut_of_a_token_is_refused(
            after_id in 1..=MAX_ID,
            filters in ".{0,40}",
            at in any::<prop::sample::Index>(),
            replacement in any::<u8>(),
        ) {
            let key = test_key();
            let token = PageToken::encode(&key, after_id, &filters);
            let at = at.index(token.len());
            let mut edited = token.clone().into_bytes();
            edited[at] = replacement;
            if edited != token.as_bytes() {
                let edited = String::from_utf8_lossy(&edited);
                prop_assert!(PageToken::decode(&key, &edited, &filters).is_err(), "{} accepted", edited);
            }
            // Cut to nothing it is no token at all: the first page.
            if at > 0 {
                prop_assert!(PageToken::decode(&key, &token[..at], &filters).is_err(), "cut at {}", at);
            }
        }

        #[test]
        fn anything_else_is_refused_never_a_panic(text in any::<String>(), filters in any::<String>()) {
            if !text.is_empty() {
                prop_assert!(PageToken::decode(&test_key(), &text, &filters).is_err());
            }
        }
    }
}
