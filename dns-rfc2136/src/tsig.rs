//! [`TsigKey`]: a TSIG key (RFC 8945) as BIND's `tsig-keygen` prints it,
//! and the hickory [`TSigner`] that signs with it.
//!
//! Only HMAC-SHA256, HMAC-SHA384 and HMAC-SHA512 are accepted: they are the
//! MACs hickory computes. HMAC-MD5, HMAC-SHA1, HMAC-SHA224, truncated MACs
//! and GSS-TSIG are refused with [`TsigError::UnsupportedAlgorithm`] naming
//! the algorithm, when the key is read rather than at the first request.
//!
//! The secret never appears in `Debug`, `Display` or errors.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use dns_core::Name;
use hickory_proto::rr::TSigner;
use hickory_proto::rr::rdata::tsig::TsigAlgorithm as HickoryAlgorithm;

/// Seconds of clock difference the server and we accept (RFC 8945
/// section 10 recommends 300).
const FUDGE: u16 = 300;

/// Why a TSIG key could not be made or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TsigError {
    /// The algorithm is not HMAC-SHA256/384/512.
    #[error(
        "TSIG algorithm {algorithm:?} is not supported (only hmac-sha256, hmac-sha384 and \
         hmac-sha512; generate a key with `tsig-keygen -a hmac-sha256 NAME`)"
    )]
    UnsupportedAlgorithm {
        /// The algorithm as written.
        algorithm: String,
    },
    /// The secret is not valid base64, or empty (its text is never shown).
    #[error("the secret of TSIG key {key} is not valid base64: {reason}")]
    InvalidSecret {
        /// The key name.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The key file does not follow BIND's key syntax.
    #[error("invalid BIND key text at line {line}: {reason}")]
    Syntax {
        /// The 1-based line of the problem.
        line: usize,
        /// What is wrong there.
        reason: String,
    },
    /// The key file could not be read.
    #[error("reading TSIG key file {}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl From<TsigError> for dns_core::Error {
    fn from(error: TsigError) -> Self {
        Self::InvalidInput(error.to_string())
    }
}

/// A TSIG MAC algorithm this crate can sign with.
///
/// ```
/// use dns_rfc2136::TsigAlgorithm;
/// assert_eq!("HMAC-SHA256".parse::<TsigAlgorithm>().unwrap(), TsigAlgorithm::HmacSha256);
/// assert_eq!(TsigAlgorithm::HmacSha512.to_string(), "hmac-sha512");
/// let refused = "hmac-md5".parse::<TsigAlgorithm>().unwrap_err();
/// assert!(refused.to_string().contains("hmac-md5"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TsigAlgorithm {
    /// `hmac-sha256` (what `tsig-keygen` makes by default).
    HmacSha256,
    /// `hmac-sha384`.
    HmacSha384,
    /// `hmac-sha512`.
    HmacSha512,
}

impl TsigAlgorithm {
    /// The name used in key files and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HmacSha256 => "hmac-sha256",
            Self::HmacSha384 => "hmac-sha384",
            Self::HmacSha512 => "hmac-sha512",
        }
    }

    fn to_hickory(self) -> HickoryAlgorithm {
        match self {
            Self::HmacSha256 => HickoryAlgorithm::HmacSha256,
            Self::HmacSha384 => HickoryAlgorithm::HmacSha384,
            Self::HmacSha512 => HickoryAlgorithm::HmacSha512,
        }
    }
}

impl fmt::Display for TsigAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TsigAlgorithm {
    type Err = TsigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Key files write the name with or without the final dot.
        match s.trim_end_matches('.').to_ascii_lowercase().as_str() {
            "hmac-sha256" => Ok(Self::HmacSha256),
            "hmac-sha384" => Ok(Self::HmacSha384),
            "hmac-sha512" => Ok(Self::HmacSha512),
            _ => Err(TsigError::UnsupportedAlgorithm {
                algorithm: s.to_owned(),
            }),
        }
    }
}

/// A TSIG key: its name (which the server must know), algorithm and secret.
///
/// ```
/// use dns_core::Name;
/// use dns_rfc2136::{TsigAlgorithm, TsigKey};
/// let text = r#"
///     key "update-key" {
///         algorithm hmac-sha256;
///         secret "c2VjcmV0IHRlc3QgdmFsdWUgLSBub3QgZm9yIHVzZQ==";
///     };
/// "#;
/// let keys = TsigKey::parse_bind(text).unwrap();
/// assert_eq!(keys.len(), 1);
/// assert_eq!(keys[0].name(), &Name::parse("update-key").unwrap());
/// assert_eq!(keys[0].algorithm(), TsigAlgorithm::HmacSha256);
/// // The secret stays out of Debug.
/// assert!(!format!("{:?}", keys[0]).contains("c2VjcmV0"));
/// let signer = keys[0].signer().unwrap();
/// assert_eq!(signer.fudge(), 300);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct TsigKey {
    name: Name,
    algorithm: TsigAlgorithm,
    secret: Vec<u8>,
}

impl TsigKey {
    /// A key from its parts; `secret_base64` as in key files. An empty or
    /// malformed secret is [`TsigError::InvalidSecret`].
    ///
    /// ```
    /// use dns_core::Name;
    /// use dns_rfc2136::{TsigAlgorithm, TsigKey};
    /// let key = TsigKey::new(Name::parse("k1").unwrap(), TsigAlgorithm::HmacSha512, "AAECAw==").unwrap();
    /// assert_eq!(key.algorithm(), TsigAlgorithm::HmacSha512);
    /// assert!(TsigKey::new(Name::parse("k1").unwrap(), TsigAlgorithm::HmacSha512, "not base64!").is_err());
    /// ```
    pub fn new(
        name: Name,
        algorithm: TsigAlgorithm,
        secret_base64: &str,
    ) -> Result<Self, TsigError> {
        let invalid = |reason: &str| TsigError::InvalidSecret {
            key: name.to_string(),
            reason: reason.to_owned(),
        };
        let compact: String = secret_base64
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        // The decoder's own message may quote the offending character, a
        // piece of the secret: only a fixed reason is kept.
        let secret = STANDARD
            .decode(compact.as_bytes())
            .map_err(|_| invalid("it does not decode"))?;
        if secret.is_empty() {
            return Err(invalid("it is empty"));
        }
        Ok(Self {
            name,
            algorithm,
            secret,
        })
    }

    /// Every key in `text`, written as BIND's `tsig-keygen` prints them
    /// (`key "name" { algorithm hmac-sha256; secret "…"; };`), with `#`,
    /// `//` and `/* */` comments allowed. Statements other than `key` are
    /// skipped, so a whole `named.conf` can be read for its keys.
    ///
    /// ```
    /// use dns_rfc2136::{TsigError, TsigKey};
    /// let md5 = r#"key "old" { algorithm hmac-md5; secret "AAECAw=="; };"#;
    /// assert!(matches!(TsigKey::parse_bind(md5), Err(TsigError::UnsupportedAlgorithm { .. })));
    /// assert!(matches!(TsigKey::parse_bind("key \"k\" {"), Err(TsigError::Syntax { .. })));
    /// ```
    pub fn parse_bind(text: &str) -> Result<Vec<Self>, TsigError> {
        crate::keyfile::parse(text)
    }

    /// The keys in a BIND key file (see [`TsigKey::parse_bind`]).
    pub fn from_bind_file(path: impl AsRef<Path>) -> Result<Vec<Self>, TsigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| TsigError::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::parse_bind(&text)
    }

    /// The key name the server knows the key by.
    pub fn name(&self) -> &Name {
        &self.name
    }

    /// The MAC algorithm.
    pub fn algorithm(&self) -> TsigAlgorithm {
        self.algorithm
    }

    /// A hickory signer for this key (fudge 300 s), for clients and
    /// servers built on hickory.
    pub fn signer(&self) -> Result<TSigner, TsigError> {
        TSigner::new(
            self.secret.clone(),
            self.algorithm.to_hickory(),
            dns_core::hickory::name_to_hickory(&self.name),
            FUDGE,
        )
        .map_err(|_| TsigError::UnsupportedAlgorithm {
            algorithm: self.algorithm.to_string(),
        })
    }

    /// The raw secret, for a server that verifies with this key (never
    /// print it).
    pub fn secret(&self) -> &[u8] {
        &self.secret
    }
}

impl fmt::Debug for TsigKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TsigKey")
            .field("name", &self.name)
            .field("algorithm", &self.algorithm)
            .field("secret", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn every_supported_algorithm_makes_a_signer() {
        for algorithm in [
            TsigAlgorithm::HmacSha256,
            TsigAlgorithm::HmacSha384,
            TsigAlgorithm::HmacSha512,
        ] {
            let key = TsigKey::new(Name::parse("k").unwrap(), algorithm, "AAECAwQ=").unwrap();
            let signer = key.signer().unwrap();
            assert_eq!(signer.algorithm(), &algorithm.to_hickory());
            assert_eq!(signer.key(), [0, 1, 2, 3, 4]);
        }
    }

    #[test]
    fn legacy_algorithms_are_refused_by_name() {
        for name in [
            "hmac-md5",
            "hmac-sha1",
            "hmac-sha224",
            "gss-tsig",
            "hmac-sha256-128",
        ] {
            let error = name.parse::<TsigAlgorithm>().unwrap_err();
            assert!(error.to_string().contains(name), "{error}");
        }
    }

    #[test]
    fn bad_secrets_are_refused_without_echoing_them() {
        let error = TsigKey::new(
            Name::parse("k").unwrap(),
            TsigAlgorithm::HmacSha256,
            "sEcR3t%%",
        )
        .unwrap_err();
        assert!(matches!(error, TsigError::InvalidSecret { .. }));
        assert!(!format!("{error} {error:?}").contains("sEcR3t"));
        assert!(TsigKey::new(Name::parse("k").unwrap(), TsigAlgorithm::HmacSha256, "").is_err());
    }
}
