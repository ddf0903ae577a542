//! Why a command failed, and the exit status that says so.

use std::fmt;
use std::process::ExitCode;

/// A failed command: usage errors exit with 2, drift found by
/// `sync --check` with 3, everything else with 1.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The command line asks for something impossible (exit status 2).
    Usage(String),
    /// The operation was attempted and failed (exit status 1).
    Failed(String),
    /// `sync --check` found differences (exit status 3).
    Drift(String),
    /// Nobody is reading our output any more (a closed pipe): stop quietly.
    Closed,
}

impl Failure {
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self::Usage(message.into())
    }

    pub(crate) fn failed(message: impl Into<String>) -> Self {
        Self::Failed(message.into())
    }

    pub(crate) fn exit_code(&self) -> ExitCode {
        match self {
            Self::Usage(_) => ExitCode::from(2),
            Self::Failed(_) => ExitCode::from(1),
            Self::Drift(_) => ExitCode::from(3),
            Self::Closed => ExitCode::SUCCESS,
        }
    }

    /// The message on one line, as scripts and journald show it best, with
    /// anything that could drive a terminal escaped (provider messages and
    /// names from DNS are not trusted).
    pub(crate) fn message(&self) -> Option<String> {
        match self {
            Self::Usage(m) | Self::Failed(m) | Self::Drift(m) => {
                Some(dns_core::terminal_safe(&one_line(m)).into_owned())
            }
            Self::Closed => None,
        }
    }
}

/// Extension for mapping any displayable error into a [`Failure`] with context.
pub(crate) trait Context<T> {
    /// `what failed: why`.
    fn context(self, what: impl fmt::Display) -> Result<T, Failure>;
}

impl<T, E: fmt::Display> Context<T> for Result<T, E> {
    fn context(self, what: impl fmt::Display) -> Result<T, Failure> {
        self.map_err(|e| Failure::Failed(format!("{what}: {e}")))
    }
}

/// Joins the lines of a message, dropping empty ones.
pub(crate) fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}
