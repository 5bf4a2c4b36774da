//! # parevm-block (being built)
