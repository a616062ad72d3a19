//! mc-collector: a validating local stand-in for Adobe's Media Collection API back end.
pub mod lint;
pub mod validate;
