//! Admission control for chat turns: at most `in_flight` turns run at once
//! and at most `queue` more wait for a slot; beyond that a turn is refused
//! at once with 503 and `Retry-After`, instead of queueing for seconds
//! behind work the machine cannot finish in time.

use std::sync::Arc;

use axum::http::StatusCode;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::ApiError;

pub struct Admission {
    /// Running plus waiting turns: a ticket is needed to wait at all.
    tickets: Arc<Semaphore>,
    running: Arc<Semaphore>,
}

/// Held for as long as the turn runs; dropping it lets the next one in.
pub struct Admitted {
    _ticket: OwnedSemaphorePermit,
    _slot: OwnedSemaphorePermit,
}

impl Admission {
    /// `in_flight` 0 means two turns per core (a turn waits on the store
    /// and on embeddings about half its time).
    pub fn new(in_flight: usize, queue: usize) -> Admission {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let running = if in_flight == 0 { 2 * cores } else { in_flight };
        Admission {
            tickets: Arc::new(Semaphore::new(running + queue)),
            running: Arc::new(Semaphore::new(running)),
        }
    }

    pub async fn enter(&self) -> Result<Admitted, ApiError> {
        self.queue()?.admit().await
    }

    /// A place in the queue, or 503 at once when there is none; the slot
    /// itself is waited for with [`Queued::admit`], so a streamed answer can
    /// start (and be kept alive) before its turn runs.
    pub fn queue(&self) -> Result<Queued, ApiError> {
        let ticket = self.tickets.clone().try_acquire_owned().map_err(|_| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "the assistant is answering as many messages as it can; retry in a moment",
            )
        })?;
        Ok(Queued {
            ticket,
            running: self.running.clone(),
        })
    }
}

/// A turn waiting for a slot.
pub struct Queued {
    ticket: OwnedSemaphorePermit,
    running: Arc<Semaphore>,
}

impl Queued {
    pub async fn admit(self) -> Result<Admitted, ApiError> {
        let slot = self
            .running
            .acquire_owned()
            .await
            .map_err(ApiError::internal)?;
        Ok(Admitted {
            _ticket: self.ticket,
            _slot: slot,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn beyond_the_queue_a_turn_is_refused_at_once_and_a_finished_one_lets_the_next_in() {
        let gate = Admission::new(1, 1);
        let first = gate.enter().await.unwrap();
        // The second waits for the slot; the third finds no room even to wait.
        let waiting = tokio::spawn({
            let tickets = gate.tickets.clone();
            async move { tickets.acquire_owned().await.unwrap() }
        });
        tokio::task::yield_now().await;
        let refused = gate.enter().await.err().expect("the queue is full");
        assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(refused.code, "busy");
        drop(waiting.await.unwrap());
        drop(first);
        assert!(gate.enter().await.is_ok());
    }
}
