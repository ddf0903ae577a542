//! Runnable examples for the workspace; see `examples/README.md`. The
//! examples themselves are the `[[example]]` targets of this package.
