//! The chartlens domain model: markets, charts and the contract of the stored
//! tables. Every other crate speaks in these types.

pub mod artist;
pub mod audit;
pub mod chart;
pub mod cohort;
pub mod credits;
pub mod region;
pub mod registry;
pub mod scene;
pub mod table;

pub use chart::{ChartEntriesBuilder, ChartKey, EntryFlag, Frequency, Position};
pub use region::Region;
