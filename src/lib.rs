//! Errand: a conversational shopping assistant server for groceries,
//! restaurant food and rides. See ARCHITECTURE.md for the map.

pub mod agent;
pub mod app;
pub mod auth;
pub mod commerce;
pub mod config;
pub mod eval;
pub mod http;
pub mod knowledge;
pub mod llm;
pub mod ops;
pub mod recs;
pub mod retrieval;
pub mod store;
pub mod telemetry;
pub mod triage;
