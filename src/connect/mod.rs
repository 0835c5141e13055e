//! `adfpg-migrate test-connection FILE`: connect to the PostgreSQL server a linked service describes, with
//! its sslMode and trustServerCertificate applied exactly as libpq applies sslmode, and report what
//! happened: connected or not, TLS and its version, certificate verified or not and why, server version,
//! round-trip time. Each failure class has its own exit code ([`Failure::exit_code`], README).
//!
//! - `settings`: what to connect to (2.0 properties, 1.0 connection string, or `--as-migrated`).
//! - `tls` and `client` (feature `test-connection`): the libpq emulation on tokio-postgres + rustls.

pub mod settings;

#[cfg(feature = "test-connection")]
mod client;
#[cfg(feature = "test-connection")]
pub mod tls;

use std::path::PathBuf;

#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// The linked-service JSON file (as ADF/Synapse git integration stores it: linkedService/NAME.json).
    pub file: PathBuf,

    /// Read the password from this environment variable (for Microsoft Entra authentication: an access
    /// token). Secrets are never taken from the command line; without this, a terminal prompts (no echo).
    #[arg(long, value_name = "VAR")]
    pub password_env: Option<String>,

    /// Test a 1.0 linked service with the 2.0 settings `--fix` would write.
    #[arg(long)]
    pub as_migrated: bool,

    /// Connect to HOST[:PORT] instead of the file's server and port; the certificate is then checked
    /// against HOST.
    #[arg(long, value_name = "HOST[:PORT]")]
    pub host_override: Option<String>,

    /// Value of a linked-service parameter, for @{linkedService().NAME} expressions (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,

    /// Value of a linked-service parameter read from an environment variable (repeatable): for a
    /// secret such as @{linkedService().password}, which must not be typed on the command line.
    #[arg(long = "param-env", value_name = "NAME=VAR")]
    pub param_envs: Vec<String>,

    /// Trust only the root certificates in this PEM file (default: the system store). As with libpq's
    /// sslrootcert, a root file also makes sslMode allow, prefer and require verify the chain.
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,

    /// Seconds allowed for name resolution and for each connection attempt (default: the linked
    /// service's timeout, else 15).
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: Option<u64>,

    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub output_format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// The longest text from a server (an error message, a version, a certificate's names) a report shows.
pub const SHOWN_SERVER_TEXT: usize = 512;

/// Text a server sent, as the report shows it: at most [`SHOWN_SERVER_TEXT`] characters, on one line
/// (CR, LF and every other control or invisible character escaped by the one sanitiser), so that a
/// hostile server can neither forge report lines nor fill the log.
pub fn from_server(text: &str) -> String {
    let mut shown: String = text.chars().take(SHOWN_SERVER_TEXT).collect();
    if shown.len() < text.len() {
        shown = format!(
            "{shown}… ({} more bytes from the server, not shown)",
            text.len() - shown.len()
        );
    }
    crate::mask::printable(&crate::mask::redact(&shown)).into_owned()
}

/// Exit code when the test could not be run (bad arguments or file, missing parameter or secret).
pub const EXIT_CANNOT_TEST: i32 = 2;

/// Why a connection failed; each class has its own exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    NameResolution,
    TcpRefused,
    TcpTimeout,
    ServerRequiresTls,
    TlsNotOffered,
    CertificateUntrusted,
    HostNameMismatch,
    AuthenticationFailed,
    DatabaseDoesNotExist,
    TlsHandshake,
    ServerRefused,
}

impl Failure {
    pub const ALL: [Failure; 11] = [
        Failure::NameResolution,
        Failure::TcpRefused,
        Failure::TcpTimeout,
        Failure::ServerRequiresTls,
        Failure::TlsNotOffered,
        Failure::CertificateUntrusted,
        Failure::HostNameMismatch,
        Failure::AuthenticationFailed,
        Failure::DatabaseDoesNotExist,
        Failure::TlsHandshake,
        Failure::ServerRefused,
    ];

    pub fn exit_code(self) -> i32 {
        10 + self as i32
    }

    pub fn slug(self) -> &'static str {
        match self {
            Failure::NameResolution => "name-resolution",
            Failure::TcpRefused => "tcp-refused",
            Failure::TcpTimeout => "tcp-timeout",
            Failure::ServerRequiresTls => "server-requires-tls",
            Failure::TlsNotOffered => "tls-not-offered",
            Failure::CertificateUntrusted => "certificate-untrusted",
            Failure::HostNameMismatch => "host-name-mismatch",
            Failure::AuthenticationFailed => "authentication-failed",
            Failure::DatabaseDoesNotExist => "database-does-not-exist",
            Failure::TlsHandshake => "tls-handshake-failed",
            Failure::ServerRefused => "server-refused",
        }
    }

    pub fn summary(self) -> &'static str {
        match self {
            Failure::NameResolution => "the server name does not resolve",
            Failure::TcpRefused => "the TCP connection was refused (or the network is unreachable)",
            Failure::TcpTimeout => "no answer in time (TCP connect or server start-up)",
            Failure::ServerRequiresTls => "the server requires TLS and the sslMode does not use it",
            Failure::TlsNotOffered => {
                "the sslMode requires TLS and the server does not offer it (or rejects TLS connections)"
            }
            Failure::CertificateUntrusted => {
                "the server certificate does not chain to a trusted root"
            }
            Failure::HostNameMismatch => "the server certificate is not for this host name",
            Failure::AuthenticationFailed => "authentication failed (password, token, or user)",
            Failure::DatabaseDoesNotExist => "the database does not exist",
            Failure::TlsHandshake => "the TLS handshake failed for another reason",
            Failure::ServerRefused => {
                "the server refused or dropped the connection for another reason"
            }
        }
    }
}

/// Run `test-connection`; returns the exit code.
pub fn run(args: &Args) -> i32 {
    #[cfg(feature = "test-connection")]
    {
        client::main(args)
    }
    #[cfg(not(feature = "test-connection"))]
    {
        let _ = args;
        crate::mask::eprint_line(
            "error: this adfpg-migrate was built without the `test-connection` feature (cargo's --no-default-features); rebuild with it to test connections",
        );
        EXIT_CANNOT_TEST
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_are_distinct_and_documented() {
        let codes: std::collections::BTreeSet<i32> =
            Failure::ALL.iter().map(|f| f.exit_code()).collect();
        assert_eq!(codes.len(), Failure::ALL.len());
        assert_eq!(Failure::NameResolution.exit_code(), 10);
        assert_eq!(Failure::ServerRefused.exit_code(), 20);
        let readme = include_str!("../../README.md");
        for f in Failure::ALL {
            assert!(
                readme.contains(&format!("| {} | `{}` |", f.exit_code(), f.slug())),
                "README lacks the row for exit code {} ({})",
                f.exit_code(),
                f.slug()
            );
        }
    }
}
