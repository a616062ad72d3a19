//! Golden and unit tests of the core on a fake clock: no sleeping, no sockets.

mod delivery;
mod driver;
mod fleet;
mod robustness;
mod rules;
mod scenarios;
mod time;
