//! Operations intelligence, pure and synchronous: demand forecasts with
//! their backtest (`forecast`) and stock alerts from them (`stock`). The
//! engine feeds them from the order history in `commerce::ops`; nothing
//! here knows SQL or HTTP.

pub mod forecast;
pub mod stock;
