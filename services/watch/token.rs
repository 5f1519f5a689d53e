//! Resume tokens. Opaque to clients; inside, where a stream stood: the process that served it (its
//! epoch), the revision delivered, and the moment up to which everything visible in Odoo had been
//! delivered. The revision resumes exactly on the same process; the moment lets a restarted process
//! or another replica find a safe place to resume from.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

/// Marks the layout, so a later layout can still read (or clearly refuse) this one.
const VERSION: u8 = 1;
const LEN: usize = 1 + 8 + 8 + 8;

/// A position in a watch stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResumeToken {
    pub epoch: u64,
    pub revision: u64,
    /// Every change visible in Odoo at this moment had been delivered.
    pub position: SystemTime,
}

/// A token that was not made by odoo-mesh, or by an incompatible version of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a resume token issued by odoo-mesh")]
pub struct MalformedToken;

impl ResumeToken {
    pub fn encode(&self) -> String {
        let millis = self.position.duration_since(UNIX_EPOCH).unwrap_or_default().as_millis();
        let mut bytes = Vec::with_capacity(LEN);
        bytes.push(VERSION);
        bytes.extend_from_slice(&self.epoch.to_be_bytes());
        bytes.extend_from_slice(&self.revision.to_be_bytes());
        bytes.extend_from_slice(&u64::try_from(millis).unwrap_or(u64::MAX).to_be_bytes());
        URL_SAFE_NO_PAD.encode(bytes)
    }

    pub fn decode(text: &str) -> Result<Self, MalformedToken> {
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| MalformedToken)?;
        if bytes.len() != LEN || bytes[0] != VERSION {
            return Err(MalformedToken);
        }
        let word = |at: usize| u64::from_be_bytes(bytes[at..at + 8].try_into().expect("eight bytes"));
        Ok(Self { epoch: word(1), revision: word(9), position: UNIX_EPOCH + Duration::from_millis(word(17)) })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn a_token_reads_back_as_written(epoch: u64, revision: u64, millis in 0u64..4_000_000_000_000) {
            let token = ResumeToken { epoch, revision, position: UNIX_EPOCH + Duration::from_millis(millis) };
            prop_assert_eq!(ResumeToken::decode(&token.encode()), Ok(token));
        }

        #[test]
        fn arbitrary_text_is_refused_or_read_never_panics(text in ".{0,64}") {
            let _ = ResumeToken::decode(&text);
        }
    }

    #[test]
    fn a_truncated_token_is_refused() {
        let token = ResumeToken { epoch: 1, revision: 2, position: UNIX_EPOCH }.encode();
        assert_eq!(ResumeToken::decode(&token[..token.len() - 2]), Err(MalformedToken));
    }
}
