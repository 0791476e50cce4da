//! Identity: bearer tokens signed with the server secret (HMAC-SHA256).
//!
//! A token is `v1.<kind>.<subject>.<expiry-unix>.<signature-hex>` where kind is
//! `c` (customer) or `a` (care agent). The server never trusts a subject it
//! did not sign, whatever a client or a model claims.
//!
//! ```
//! use errand::auth::{Principal, Tokens};
//! let tokens = Tokens::new(b"secret".to_vec());
//! let t = tokens.issue(&Principal::Customer("c-0001".into()), 3600);
//! assert_eq!(tokens.verify(&t).unwrap(), Principal::Customer("c-0001".into()));
//! ```

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Customer(String),
    Agent(String),
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum AuthError {
    #[error("malformed token")]
    Malformed,
    #[error("token signature does not match")]
    BadSignature,
    #[error("token expired")]
    Expired,
}

#[derive(Clone)]
pub struct Tokens {
    secret: Vec<u8>,
}

impl Tokens {
    pub fn new(secret: Vec<u8>) -> Tokens {
        Tokens { secret }
    }

    /// A token for `who`, valid for `ttl_secs`.
    pub fn issue(&self, who: &Principal, ttl_secs: u64) -> String {
        let (kind, subject) = match who {
            Principal::Customer(id) => ("c", id),
            Principal::Agent(id) => ("a", id),
        };
        let expiry = unix_now() + ttl_secs;
        let body = format!("v1.{kind}.{subject}.{expiry}");
        let sig = hex::encode(self.mac(&body));
        format!("{body}.{sig}")
    }

    pub fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        let parts: Vec<&str> = self.signed(token)?.split('.').collect();
        let ["v1", kind, subject, expiry] = parts.as_slice() else {
            return Err(AuthError::Malformed);
        };
        fresh(expiry)?;
        match *kind {
            "c" => Ok(Principal::Customer(subject.to_string())),
            "a" => Ok(Principal::Agent(subject.to_string())),
            _ => Err(AuthError::Malformed),
        }
    }

    /// `payload`, signed and valid for `ttl_secs`: what the server hands out
    /// and must later get back unchanged (a proposal's exact terms).
    pub fn seal(&self, payload: &str, ttl_secs: u64) -> String {
        let body = format!("s1.{}.{}", hex::encode(payload), unix_now() + ttl_secs);
        let sig = hex::encode(self.mac(&body));
        format!("{body}.{sig}")
    }

    /// The payload of a [`Tokens::seal`]ed string, if it is ours, unchanged and unexpired.
    pub fn unseal(&self, sealed: &str) -> Result<String, AuthError> {
        let ["s1", payload, expiry] = self.signed(sealed)?.split('.').collect::<Vec<_>>()[..]
        else {
            return Err(AuthError::Malformed);
        };
        fresh(expiry)?;
        let bytes = hex::decode(payload).map_err(|_| AuthError::Malformed)?;
        String::from_utf8(bytes).map_err(|_| AuthError::Malformed)
    }

    /// The body of `token` if its signature is ours.
    fn signed<'a>(&self, token: &'a str) -> Result<&'a str, AuthError> {
        let (body, sig) = token.rsplit_once('.').ok_or(AuthError::Malformed)?;
        let sig = hex::decode(sig).map_err(|_| AuthError::Malformed)?;
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.secret).expect("HMAC accepts any key length");
        mac.update(body.as_bytes());
        mac.verify_slice(&sig)
            .map_err(|_| AuthError::BadSignature)?;
        Ok(body)
    }

    fn mac(&self, body: &str) -> Vec<u8> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.secret).expect("HMAC accepts any key length");
        mac.update(body.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

/// An expiry (unix seconds) that has not passed yet.
fn fresh(expiry: &str) -> Result<(), AuthError> {
    let expiry: u64 = expiry.parse().map_err(|_| AuthError::Malformed)?;
    if expiry < unix_now() {
        return Err(AuthError::Expired);
    }
    Ok(())
}

/// Subjects are ids like `c-0001` or `agent-7`: no dots, no spaces.
pub fn valid_subject(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tampered_subject_is_rejected() {
        let t = Tokens::new(b"k".to_vec());
        let token = t.issue(&Principal::Customer("c-0001".into()), 60);
        let forged = token.replace("c-0001", "c-0002");
        assert_eq!(t.verify(&forged), Err(AuthError::BadSignature));
    }

    #[test]
    fn other_secret_is_rejected_and_agent_kind_survives() {
        let a = Tokens::new(b"one".to_vec());
        let token = a.issue(&Principal::Agent("agent-1".into()), 60);
        assert_eq!(
            Tokens::new(b"two".to_vec()).verify(&token),
            Err(AuthError::BadSignature)
        );
        assert_eq!(a.verify(&token), Ok(Principal::Agent("agent-1".into())));
        assert_eq!(a.verify("garbage"), Err(AuthError::Malformed));
    }

    #[test]
    fn sealed_payload_comes_back_only_unchanged() {
        let t = Tokens::new(b"k".to_vec());
        let sealed = t.seal(r#"{"total":120}"#, 60);
        assert_eq!(t.unseal(&sealed).as_deref(), Ok(r#"{"total":120}"#));
        // A token is not a sealed payload, nor the other way round.
        let token = t.issue(&Principal::Customer("c-0001".into()), 60);
        assert_eq!(t.unseal(&token), Err(AuthError::Malformed));
        assert_eq!(t.verify(&sealed), Err(AuthError::Malformed));
        let (body, sig) = sealed.rsplit_once('.').unwrap();
        let changed = format!("{}{}.{sig}", &body[..3], body[3..].replacen('3', "4", 1));
        assert_eq!(t.unseal(&changed), Err(AuthError::BadSignature));
    }
}
