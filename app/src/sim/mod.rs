//! The crash simulator: scenarios, the market-depth model, the generation-one
//! baseline, and the report.

pub mod baseline;
pub mod oracle;
pub mod pool;
pub mod report;
pub mod scenario;
pub mod world;
