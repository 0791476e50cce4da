//! Operations intelligence, pure and synchronous: demand forecasts with
//! their backtest (`forecast`), stock alerts from them (`stock`) and
//! customer segments (`segments`). The engine feeds them from the order
//! history in `commerce::ops` and `commerce::segments`; nothing here knows
//! SQL or HTTP. `fleet` rebalances idle drivers toward forecast pickups.

pub mod experiments;
pub mod fleet;
pub mod forecast;
pub mod segments;
pub mod stock;
