//! # parevm-parallel-commit (being built)
