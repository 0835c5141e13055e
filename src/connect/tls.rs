//! TLS the way libpq does it, on rustls (ring provider: no system library): which checks each sslmode
//! enforces, and a `TlsConnect` for tokio-postgres that records what happened (protocol, cipher,
//! certificate, every verification problem) for the report.
//!
//! libpq's rules (fe-secure-openssl.c), which `policy` encodes:
//! - verify-ca checks the chain; verify-full checks the chain and the host name.
//! - allow, prefer and require check the chain like verify-ca when a root CA file is given (libpq:
//!   `sslrootcert` exists); otherwise they accept any certificate.
//! - ADF's `trustServerCertificate: true` switches every check off.
//!
//! The verifier always evaluates the chain and the host name (with the same webpki checks rustls's
//! `WebPkiServerVerifier` makes, but separately); the policy only decides which problems are fatal, so
//! the report can say "not verified, and it would not have verified because …" for the modes that do
//! not check. Handshake signatures are always verified: the server must hold the certificate's key.

use super::settings::SslMode;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{verify_server_cert_signed_by_trust_anchor, verify_server_name};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_postgres::tls::{ChannelBinding, TlsConnect};
use tokio_rustls::client::TlsStream as RustlsStream;
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

/// Which certificate checks are enforced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub verify_chain: bool,
    pub verify_host: bool,
}

pub fn policy(mode: SslMode, trust_server_certificate: bool, root_ca_file: bool) -> Policy {
    if trust_server_certificate {
        return Policy {
            verify_chain: false,
            verify_host: false,
        };
    }
    match mode {
        SslMode::VerifyFull => Policy {
            verify_chain: true,
            verify_host: true,
        },
        SslMode::VerifyCa => Policy {
            verify_chain: true,
            verify_host: false,
        },
        _ => Policy {
            verify_chain: root_ca_file,
            verify_host: false,
        },
    }
}

/// What a verification problem is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueKind {
    Chain,
    HostName,
}

/// One problem found while verifying the server's certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyIssue {
    pub kind: IssueKind,
    pub text: String,
    /// Subject of the server's certificate.
    pub subject: String,
    /// Did the policy make it fail the handshake?
    pub fatal: bool,
}

impl VerifyIssue {
    pub fn is_host_mismatch(&self) -> bool {
        self.kind == IssueKind::HostName
    }
}

/// What a completed handshake looked like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsInfo {
    pub version: String,
    pub cipher: String,
    pub subject: String,
    pub issuer: String,
    /// DNS and IP subject alternative names.
    pub names: Vec<String>,
    pub not_after: String,
}

/// What one TLS attempt recorded; shared between the connector and the caller.
#[derive(Debug, Clone, Default)]
pub struct Probe {
    /// The server agreed to TLS and the handshake began.
    pub handshake_started: bool,
    pub issues: Vec<VerifyIssue>,
    pub info: Option<TlsInfo>,
    /// Names in the server certificate, also when the handshake failed.
    pub names: Vec<String>,
}

impl Probe {
    pub fn fatal_issue(&self) -> Option<&VerifyIssue> {
        self.issues.iter().find(|i| i.fatal)
    }
}

pub type SharedProbe = Arc<Mutex<Probe>>;

/// Root certificates: the system store, or only the certificates of a PEM file (as libpq's
/// `sslrootcert` is the whole trust store).
#[derive(Clone)]
pub enum Roots {
    System(Arc<RootCertStore>),
    File(Arc<RootCertStore>),
}

impl Roots {
    /// The operating system's trust store (rustls-native-certs; SSL_CERT_FILE/SSL_CERT_DIR honoured).
    /// Certificates it cannot read are left out: an empty store makes every chain check fail, which
    /// the report then explains.
    pub fn system() -> Roots {
        let mut store = RootCertStore::empty();
        store.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        Roots::System(Arc::new(store))
    }

    pub fn from_pem_file(path: &std::path::Path) -> Result<Roots, String> {
        // a person named it: a link is theirs to choose, but it is still a bounded, regular file
        let pem = crate::source::read::read(path, crate::source::read::Links::Follow)
            .map_err(|e| format!("--ca-file {}: {e}", path.display()))?;
        let certs = CertificateDer::pem_slice_iter(&pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| {
                format!(
                    "--ca-file {}: not a PEM certificate file ({e})",
                    path.display()
                )
            })?;
        if certs.is_empty() {
            return Err(format!(
                "--ca-file {}: no certificate in the file",
                path.display()
            ));
        }
        let mut store = RootCertStore::empty();
        for c in certs {
            store.add(c).map_err(|e| {
                format!(
                    "--ca-file {}: a certificate cannot serve as a root ({e})",
                    path.display()
                )
            })?;
        }
        Ok(Roots::File(Arc::new(store)))
    }

    fn store(&self) -> Arc<RootCertStore> {
        match self {
            Roots::System(s) | Roots::File(s) => s.clone(),
        }
    }
}

/// What the report shows of a certificate, read with x509-parser (rustls does not expose names).
struct CertText {
    subject: String,
    issuer: String,
    names: Vec<String>,
    not_after: String,
}

fn cert_text(der: &[u8]) -> Option<CertText> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let mut names = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for n in &san.value.general_names {
            match n {
                GeneralName::DNSName(d) => names.push(super::from_server(d)),
                GeneralName::IPAddress(ip) => names.extend(ip_text(ip)),
                _ => {}
            }
        }
    }
    // every text of a certificate is the server's: bounded and on one line
    names.truncate(64);
    Some(CertText {
        subject: super::from_server(&cert.subject().to_string()),
        issuer: super::from_server(&cert.issuer().to_string()),
        names,
        not_after: super::from_server(&cert.validity().not_after.to_string()),
    })
}

fn ip_text(ip: &[u8]) -> Option<String> {
    let addr = match ip.len() {
        4 => std::net::IpAddr::from(<[u8; 4]>::try_from(ip).ok()?),
        16 => std::net::IpAddr::from(<[u8; 16]>::try_from(ip).ok()?),
        _ => return None,
    };
    Some(addr.to_string())
}

/// A certificate problem in words (rustls's names are terse identifiers).
fn describe(e: &rustls::Error) -> String {
    let rustls::Error::InvalidCertificate(c) = e else {
        return e.to_string();
    };
    match c {
        CertificateError::UnknownIssuer => {
            "unable to get local issuer certificate (the chain does not lead to a trusted root)"
                .into()
        }
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            "certificate has expired".into()
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            "certificate is not yet valid".into()
        }
        CertificateError::BadSignature => "certificate signature does not verify".into(),
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            "certificate is not for TLS server authentication".into()
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            "certificate does not match the host name".into()
        }
        other => other.to_string(),
    }
}

/// libpq's certificate checks: evaluates chain and host name, fails only on what the policy enforces.
#[derive(Debug)]
struct LibpqVerifier {
    policy: Policy,
    roots: Arc<RootCertStore>,
    algorithms: WebPkiSupportedAlgorithms,
    probe: SharedProbe,
}

impl LibpqVerifier {
    fn issue(&self, kind: IssueKind, e: &rustls::Error, subject: &str) -> VerifyIssue {
        let fatal = match kind {
            IssueKind::Chain => self.policy.verify_chain,
            IssueKind::HostName => self.policy.verify_host,
        };
        VerifyIssue {
            kind,
            text: super::from_server(&describe(e)),
            subject: subject.to_string(),
            fatal,
        }
    }
}

impl ServerCertVerifier for LibpqVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let text = cert_text(end_entity);
        let subject = text.as_ref().map(|t| t.subject.clone()).unwrap_or_default();
        let mut probe = self.probe.lock().expect("probe lock");
        probe.names = text.map(|t| t.names).unwrap_or_default();
        // an unreadable certificate fails whatever the mode, as it does in libpq
        let cert = ParsedCertificate::try_from(end_entity)?;
        let chain = verify_server_cert_signed_by_trust_anchor(
            &cert,
            &self.roots,
            intermediates,
            now,
            self.algorithms.all,
        );
        let host = verify_server_name(&cert, server_name);
        let mut first_fatal = None;
        for (kind, result) in [(IssueKind::Chain, chain), (IssueKind::HostName, host)] {
            if let Err(e) = result {
                let issue = self.issue(kind, &e, &subject);
                if issue.fatal && first_fatal.is_none() {
                    first_fatal = Some(e);
                }
                probe.issues.push(issue);
            }
        }
        match first_fatal {
            Some(e) => Err(e),
            None => Ok(ServerCertVerified::assertion()),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// A connector for one attempt at `host`.
pub fn connector(
    policy: Policy,
    roots: &Roots,
    host: &str,
    probe: SharedProbe,
) -> Result<PgTls, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = LibpqVerifier {
        policy,
        roots: roots.store(),
        algorithms: provider.signature_verification_algorithms,
        probe: probe.clone(),
    };
    let config = ClientConfig::builder_with_provider(provider.clone())
        // TLS 1.2 and 1.3: libpq's default ssl_min_protocol_version is TLSv1.2
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot set up TLS: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(PgTls {
        connector: tokio_rustls::TlsConnector::from(Arc::new(config)),
        host: host.to_string(),
        probe,
    })
}

pub struct PgTls {
    connector: tokio_rustls::TlsConnector,
    /// Checked as a TLS server name only when TLS is used: a plain attempt never needs it.
    host: String,
    probe: SharedProbe,
}

impl<S> TlsConnect<S> for PgTls
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = TlsStream<S>;
    type Error = Box<dyn std::error::Error + Send + Sync>;
    #[allow(clippy::type_complexity)]
    type Future = Pin<Box<dyn Future<Output = Result<TlsStream<S>, Self::Error>> + Send>>;

    fn connect(self, stream: S) -> Self::Future {
        Box::pin(async move {
            self.probe.lock().expect("probe lock").handshake_started = true;
            let server_name = ServerName::try_from(self.host.clone())
                .map_err(|e| format!("cannot use \"{}\" as a TLS server name: {e}", self.host))?;
            let stream = self.connector.connect(server_name, stream).await?;
            let info = handshake_info(stream.get_ref().1);
            self.probe.lock().expect("probe lock").info = Some(info);
            Ok(TlsStream(stream))
        })
    }
}

fn handshake_info(conn: &rustls::ClientConnection) -> TlsInfo {
    let version = match conn.protocol_version() {
        Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3".to_string(),
        Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2".to_string(),
        other => other.map(|v| format!("{v:?}")).unwrap_or_default(),
    };
    let cipher = conn
        .negotiated_cipher_suite()
        .map(|s| {
            let suite = s.suite();
            suite
                .as_str()
                .map_or_else(|| format!("{suite:?}"), str::to_string)
        })
        .unwrap_or_default();
    let text = conn
        .peer_certificates()
        .and_then(|c| c.first())
        .and_then(|c| cert_text(c));
    match text {
        Some(t) => TlsInfo {
            version,
            cipher,
            subject: t.subject,
            issuer: t.issuer,
            names: t.names,
            not_after: t.not_after,
        },
        None => TlsInfo {
            version,
            cipher,
            subject: String::new(),
            issuer: String::new(),
            names: Vec::new(),
            not_after: String::new(),
        },
    }
}

pub struct TlsStream<S>(RustlsStream<S>);

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for TlsStream<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for TlsStream<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> tokio_postgres::tls::TlsStream for TlsStream<S> {
    /// `tls-server-end-point` (RFC 5929), so SCRAM-SHA-256-PLUS works as with libpq.
    fn channel_binding(&self) -> ChannelBinding {
        let cert = self
            .0
            .get_ref()
            .1
            .peer_certificates()
            .and_then(|c| c.first());
        match cert.and_then(|c| tls_server_end_point(c)) {
            Some(hash) => ChannelBinding::tls_server_end_point(hash),
            None => ChannelBinding::none(),
        }
    }
}

/// The certificate's hash with its signature's hash function (MD5 and SHA-1 become SHA-256, RFC 5929
/// §4.1); none for signatures without one (RSA-PSS, Ed25519), as OpenSSL-based libpq does.
fn tls_server_end_point(der: &[u8]) -> Option<Vec<u8>> {
    use sha2::Digest;
    use x509_parser::oid_registry as oid;
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let alg = &cert.signature_algorithm.algorithm;
    let sha256 = [
        oid::OID_PKCS1_SHA256WITHRSA,
        oid::OID_SIG_ECDSA_WITH_SHA256,
        oid::OID_PKCS1_SHA1WITHRSA,
        oid::OID_PKCS1_MD5WITHRSAENC,
    ];
    if sha256.contains(alg) {
        Some(sha2::Sha256::digest(der).to_vec())
    } else if [oid::OID_PKCS1_SHA384WITHRSA, oid::OID_SIG_ECDSA_WITH_SHA384].contains(alg) {
        Some(sha2::Sha384::digest(der).to_vec())
    } else if [oid::OID_PKCS1_SHA512WITHRSA, oid::OID_SIG_ECDSA_WITH_SHA512].contains(alg) {
        Some(sha2::Sha512::digest(der).to_vec())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libpq_policy() {
        use SslMode::*;
        let p = |m, trust, ca| {
            let p = policy(m, trust, ca);
            (p.verify_chain, p.verify_host)
        };
        for m in [Disable, Allow, Prefer, Require] {
            assert_eq!(p(m, false, false), (false, false));
            assert_eq!(
                p(m, false, true),
                (true, false),
                "{m:?} with a root CA file"
            );
        }
        assert_eq!(p(VerifyCa, false, false), (true, false));
        assert_eq!(p(VerifyFull, false, false), (true, true));
        assert_eq!(p(VerifyFull, true, true), (false, false));
    }
}
