//! Request policies: one module per policy, each with its logic and its tests. The gateway's
//! policy chain decides the order in which they run.

pub mod authn;
