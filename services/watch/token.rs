//! Resume tokens. Opaque to clients; inside, where a stream stood: the process that served it (its
//! epoch), the revision delivered, and the moment up to which everything visible in Odoo had been
//! delivered. The revision resumes exactly on the same process; the moment lets a restarted process
//! or another replica find a safe place to resume from. Sealed with the deployment's token key
//! (`edge::token`) and bound to its stream (`stock`, `sales_orders`...), so an edited token, or
//! one of another stream, is refused rather than read as another place.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::edge::token::{Purpose, TokenKey};

/// Marks the layout, so a later layout can still read (or clearly refuse) this one. Version 1 was
/// not sealed; its tokens are refused.
const VERSION: u8 = 2;
const LEN: usize = 1 + 8 + 8 + 8;

/// A position in a watch stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResumeToken {
    pub epoch: u64,
    pub revision: u64,
    /// Every change visible in Odoo at this moment had been delivered.
    pub position: SystemTime,
}

/// A token that was not made by this deployment of odoo-mesh, or by an incompatible version of
/// it, or was edited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a resume token issued by odoo-mesh: start a new watch")]
pub struct MalformedToken;

impl ResumeToken {
    /// The token as clients of `stream` see it.
    pub fn seal(&self, key: &TokenKey, stream: &str) -> String {
        let millis = self.position.duration_since(UNIX_EPOCH).unwrap_or_default().as_millis();
        let mut bytes = Vec::with_capacity(LEN);
        bytes.push(VERSION);
        bytes.extend_from_slice(&self.epoch.to_be_bytes());
        bytes.extend_from_slice(&self.revision.to_be_bytes());
        bytes.extend_from_slice(&u64::try_from(millis).unwrap_or(u64::MAX).to_be_bytes());
        key.seal(Purpose::Resume, stream.as_bytes(), &bytes)
    }

    /// A token this deployment sealed for `stream`, read back; anything else is malformed.
    pub fn open(text: &str, key: &TokenKey, stream: &str) -> Result<Self, MalformedToken> {
        let bytes = key.open(Purpose::Resume, stream.as_bytes(), text).ok_or(MalformedToken)?;
        if bytes.len() != LEN || bytes[0] != VERSION {
            return Err(MalformedToken);
        }
        let word = |at: usize| u64::from_be_bytes(bytes[at..at + 8].try_into().expect("eight bytes"));
        let position = UNIX_EPOCH.checked_add(Duration::from_millis(word(17))).ok_or(MalformedToken)?;
        Ok(Self { epoch: word(1), revision: word(9), position })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::edge::token::test_key;

    proptest! {
        #[test]
        fn a_token_reads_back_as_written(epoch: u64, revision: u64, millis in 0u64..4_000_000_000_000) {
            let token = ResumeToken { epoch, revision, position: UNIX_EPOCH + Duration::from_millis(millis) };
            prop_assert_eq!(ResumeToken::open(&token.seal(&test_key(), "stock"), &test_key(), "stock"), Ok(token));
            prop_assert_eq!(ResumeToken::open(&token.seal(&test_key(), "stock"), &test_key(), "shipments"), Err(MalformedToken));
        }

        /// An edited resume token is refused (INVALID_ARGUMENT at the stream's opening), never read
        /// as another place in the stream.
        #[test]
        fn any_edit_or_cut_of_a_token_is_refused(
            epoch: u64,
            revision: u64,
            millis in 0u64..4_000_000_000_000,
            at in any::<prop::sample::Index>(),
            replacement in any::<u8>(),
        ) {
            let token = ResumeToken { epoch, revision, position: UNIX_EPOCH + Duration::from_millis(millis) };
            let sealed = token.seal(&test_key(), "stock");
            let at = at.index(sealed.len());
            let mut edited = sealed.clone().into_bytes();
            edited[at] = replacement;
            if edited != sealed.as_bytes() {
                let edited = String::from_utf8_lossy(&edited);
                prop_assert_eq!(ResumeToken::open(&edited, &test_key(), "stock"), Err(MalformedToken));
            }
            prop_assert_eq!(ResumeToken::open(&sealed[..at], &test_key(), "stock"), Err(MalformedToken));
        }

        #[test]
        fn arbitrary_text_is_refused_never_a_panic(text in ".{0,64}") {
            prop_assert_eq!(ResumeToken::open(&text, &test_key(), "stock"), Err(MalformedToken));
        }
    }
}
