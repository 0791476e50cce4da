//! Payment providers. The built-in sandbox decides by card number, like a
//! card network's test mode:
//!
//! | card | result |
//! |---|---|
//! | `4242 4242 4242 4242` | succeeds |
//! | `4000 0000 0000 0002` | declined (`card_declined`) |
//! | `4000 0000 0000 9995` | declined (`insufficient_funds`) |
//! | `4000 0000 0000 0119` | the provider does not answer (`payment_timeout`) |
//!
//! Any other Luhn-valid number succeeds; an invalid one is a 400.

pub struct ChargeRequest<'a> {
    pub amount_minor: i64,
    pub currency: &'a str,
    pub card: &'a str,
    /// Passed through so a real provider deduplicates retries too.
    pub idempotency_key: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentError {
    Declined(&'static str),
    Timeout,
}

pub trait PaymentProvider: Send + Sync {
    /// Charges a card; the returned string is the provider's reference.
    fn charge(&self, req: &ChargeRequest) -> Result<String, PaymentError>;
    /// Refunds part or all of an earlier charge.
    fn refund(
        &self,
        provider_ref: &str,
        amount_minor: i64,
        idempotency_key: &str,
    ) -> Result<String, PaymentError>;
}

pub struct Sandbox;

pub const SANDBOX_DEFAULT_CARD: &str = "4242424242424242";

impl PaymentProvider for Sandbox {
    fn charge(&self, req: &ChargeRequest) -> Result<String, PaymentError> {
        match req.card {
            "4000000000000002" => Err(PaymentError::Declined("card_declined")),
            "4000000000009995" => Err(PaymentError::Declined("insufficient_funds")),
            "4000000000000119" => Err(PaymentError::Timeout),
            _ => Ok(format!(
                "sbx_ch_{}",
                &uuid::Uuid::new_v4().simple().to_string()[..16]
            )),
        }
    }

    fn refund(
        &self,
        _provider_ref: &str,
        _amount_minor: i64,
        _key: &str,
    ) -> Result<String, PaymentError> {
        Ok(format!(
            "sbx_re_{}",
            &uuid::Uuid::new_v4().simple().to_string()[..16]
        ))
    }
}

/// Digits only (spaces and dashes allowed in input), 12 to 19 long, Luhn-valid.
pub fn normalise_card(input: &str) -> Option<String> {
    let digits: String = input.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if !(12..=19).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10).then_some(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_and_sandbox_cards() {
        assert_eq!(
            normalise_card("4242 4242 4242 4242").as_deref(),
            Some(SANDBOX_DEFAULT_CARD)
        );
        assert!(normalise_card("4242 4242 4242 4241").is_none());
        assert!(normalise_card("12ab").is_none());
        let req = |card| ChargeRequest {
            amount_minor: 100,
            currency: "INR",
            card,
            idempotency_key: "k",
        };
        assert!(Sandbox.charge(&req("4242424242424242")).is_ok());
        assert_eq!(
            Sandbox.charge(&req("4000000000000002")),
            Err(PaymentError::Declined("card_declined"))
        );
        assert_eq!(
            Sandbox.charge(&req("4000000000000119")),
            Err(PaymentError::Timeout)
        );
    }
}
