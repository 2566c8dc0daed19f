//! The loom suite: every model, where it lives, and its measured time.
//!
//! (filled in below)
