//! # parevm-benches (being built)
