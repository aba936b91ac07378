//! Storage: the only place with SQL. One module per table (or per set of tables one
//! write touches together); handlers pass typed values in and get typed rows out, so the
//! HTTP layer never sees a query and the queries are written once.
//!
//! Architecture invariant: every function that writes takes the write transaction
//! (`&mut AnyConnection` from [`writes::Writes::begin`]), and the caller records the change
//! with [`audit::record`] in that same transaction before it commits.

pub mod audit;
pub mod bridges;
pub mod bulk;
pub mod consents;
pub mod daily_stats;
pub mod dev_keys;
pub mod grants;
pub mod hot_reads;
pub mod meetings;
pub mod providers;
pub mod servers;
pub mod tenant_config;
pub mod writes;
