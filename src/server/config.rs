//! The server's settings and the rules that reject unsafe ones.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// The listen address when none is given.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// The data directory when none is given, relative to the working directory.
pub const DEFAULT_DATA_DIR: &str = "batch-odata-data";

/// The server's settings.
#[derive(Clone, Debug)]
pub struct Config {
    /// The address to listen on.
    pub listen: SocketAddr,
    /// The directory of the database file, created when missing.
    pub data_dir: PathBuf,
    /// The Batch account name and its decoded key. Without it requests are not
    /// authenticated and only loopback addresses are allowed.
    pub shared_key: Option<SharedKey>,
    /// Task state transitions per second made by the simulator, or `None` to leave tasks
    /// as clients set them.
    pub simulate: Option<f64>,
    /// Whether to add the demo job, holding the built-in data set, to a database without jobs.
    pub demo: bool,
    /// The connection string of a PostgreSQL database that keeps the tasks, in place of the
    /// data directory's database, which then keeps only the jobs.
    pub postgres: Option<String>,
    /// Jobs to add at start, each with the tasks of a file, before requests are served.
    pub imports: Vec<JobImport>,
}

/// A job to add at start with the tasks of an NDJSON file or a List Tasks body, such as the
/// output of `batch-odata gen`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobImport {
    /// The id of the new job, which must not exist yet.
    pub job_id: String,
    /// The file of tasks.
    pub path: PathBuf,
}

impl std::str::FromStr for JobImport {
    type Err = String;

    /// Parses `JOB_ID=FILE`.
    fn from_str(text: &str) -> Result<JobImport, String> {
        match text.split_once('=') {
            Some((job_id, path)) if !job_id.is_empty() && !path.is_empty() => Ok(JobImport {
                job_id: job_id.to_owned(),
                path: PathBuf::from(path),
            }),
            _ => Err(format!("expected JOB_ID=FILE, found '{text}'")),
        }
    }
}

/// A Batch account name and its key.
#[derive(Clone)]
pub struct SharedKey {
    /// The account name, which signatures include.
    pub account: String,
    /// The decoded account key, the HMAC-SHA256 key.
    pub key: Vec<u8>,
}

impl fmt::Debug for SharedKey {
    /// Leaves the key out so that it never reaches a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedKey")
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

impl SharedKey {
    /// Creates an account from its name and its key as Base64 text, as the Azure portal
    /// shows it.
    ///
    /// # Errors
    ///
    /// Returns [`ConfigError::KeyInvalid`] when the key is not Base64 or is empty, and
    /// [`ConfigError::AccountInvalid`] for an empty name.
    pub fn new(account: &str, key_base64: &str) -> Result<SharedKey, ConfigError> {
        if account.is_empty() {
            return Err(ConfigError::AccountInvalid);
        }
        let key = STANDARD
            .decode(key_base64.trim())
            .map_err(|_| ConfigError::KeyInvalid)?;
        if key.is_empty() {
            return Err(ConfigError::KeyInvalid);
        }
        Ok(SharedKey {
            account: account.to_owned(),
            key,
        })
    }
}

/// A setting that the server rejects.
#[derive(Debug, PartialEq)]
pub enum ConfigError {
    /// A non-loopback listen address without a Shared Key account.
    PublicWithoutKey(SocketAddr),
    /// An account key that is not Base64 text.
    KeyInvalid,
    /// An empty account name.
    AccountInvalid,
    /// A simulation rate that is not a positive finite number.
    RateInvalid(f64),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::PublicWithoutKey(address) => write!(
                f,
                "listen address {address} is not a loopback address and no key is set; \
                 give --account and --key, or listen on 127.0.0.1"
            ),
            ConfigError::KeyInvalid => write!(f, "--key is not a non-empty Base64 string"),
            ConfigError::AccountInvalid => write!(f, "--account is empty"),
            ConfigError::RateInvalid(rate) => write!(
                f,
                "--simulate {rate} is invalid; give a positive number of transitions per second"
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Creates the settings for `listen` and `data_dir`, without authentication, simulation
    /// or the demo job.
    pub fn new(listen: SocketAddr, data_dir: impl Into<PathBuf>) -> Config {
        Config {
            listen,
            data_dir: data_dir.into(),
            shared_key: None,
            simulate: None,
            demo: false,
            postgres: None,
            imports: Vec::new(),
        }
    }

    /// Checks the rules that keep an unauthenticated server off the network.
    ///
    /// # Errors
    ///
    /// Returns [`ConfigError::PublicWithoutKey`] or [`ConfigError::RateInvalid`].
    pub fn check(&self) -> Result<(), ConfigError> {
        if self.shared_key.is_none() && !self.listen.ip().is_loopback() {
            return Err(ConfigError::PublicWithoutKey(self.listen));
        }
        if let Some(rate) = self.simulate
            && !(rate.is_finite() && rate > 0.0)
        {
            return Err(ConfigError::RateInvalid(rate));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_address_needs_key() {
        let config = Config::new("0.0.0.0:8080".parse().unwrap(), "d");
        assert!(matches!(
            config.check(),
            Err(ConfigError::PublicWithoutKey(_))
        ));
    }

    #[test]
    fn public_address_with_key_is_allowed() {
        let mut config = Config::new("0.0.0.0:8080".parse().unwrap(), "d");
        config.shared_key = Some(SharedKey::new("account", "a2V5").unwrap());
        assert_eq!(config.check(), Ok(()));
    }

    #[test]
    fn key_must_be_base64() {
        assert!(matches!(
            SharedKey::new("account", "not base64!"),
            Err(ConfigError::KeyInvalid)
        ));
    }

    #[test]
    fn rate_must_be_positive() {
        let mut config = Config::new("127.0.0.1:0".parse().unwrap(), "d");
        config.simulate = Some(0.0);
        assert_eq!(config.check(), Err(ConfigError::RateInvalid(0.0)));
    }
}
