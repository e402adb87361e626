//! What the live-Redis tests share. (A module of each test binary that declares it.)

mod server;
pub(crate) use server::*;
