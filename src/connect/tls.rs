//! TLS the way libpq does it, on OpenSSL: which checks each sslmode enforces, and a `TlsConnect` for
//! tokio-postgres that records what happened (protocol, cipher, certificate, every verification problem)
//! for the report.
//!
//! libpq's rules (fe-secure-openssl.c), which `policy` encodes:
//! - verify-ca checks the chain; verify-full checks the chain and the host name.
//! - allow, prefer and require check the chain like verify-ca when a root CA file is given (libpq:
//!   `sslrootcert` exists); otherwise they accept any certificate.
//! - ADF's `trustServerCertificate: true` switches every check off.
//!
//! OpenSSL always evaluates the chain and the host name here (the verify callback sees every problem);
//! the policy only decides which problems are fatal, so the report can say "not verified, and it would
//! not have verified because …" for the modes that do not check.

use super::settings::SslMode;
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::ssl::{
    ConnectConfiguration, SslConnector, SslMethod, SslRef, SslVerifyMode, SslVersion,
};
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::{X509, X509NameRef, X509Ref};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_openssl::SslStream;
use tokio_postgres::tls::{ChannelBinding, TlsConnect};

/// OpenSSL's `X509_V_ERR_HOSTNAME_MISMATCH` and `X509_V_ERR_IP_ADDRESS_MISMATCH`.
const HOSTNAME_MISMATCH: i32 = 62;
const IP_ADDRESS_MISMATCH: i32 = 64;

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

/// One problem OpenSSL found while verifying the server's certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyIssue {
    pub code: i32,
    pub text: String,
    pub depth: u32,
    /// Subject of the certificate at `depth`.
    pub subject: String,
    /// Did the policy make it fail the handshake?
    pub fatal: bool,
}

impl VerifyIssue {
    pub fn is_host_mismatch(&self) -> bool {
        matches!(self.code, HOSTNAME_MISMATCH | IP_ADDRESS_MISMATCH)
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
    System,
    File(Vec<X509>),
}

impl Roots {
    pub fn from_pem_file(path: &std::path::Path) -> Result<Roots, String> {
        let pem = std::fs::read(path).map_err(|e| format!("--ca-file {}: {e}", path.display()))?;
        let certs = X509::stack_from_pem(&pem).map_err(|e| {
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
        Ok(Roots::File(certs))
    }
}

pub fn name_text(n: &X509NameRef) -> String {
    n.entries()
        .map(|e| {
            let key = e.object().nid().short_name().unwrap_or("?");
            let val = e.data().to_string().unwrap_or_default();
            format!("{key}={val}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn alt_names(cert: &X509Ref) -> Vec<String> {
    let mut out = Vec::new();
    for n in cert.subject_alt_names().iter().flatten() {
        if let Some(d) = n.dnsname() {
            out.push(d.to_string());
        } else if let Some(ip) = n.ipaddress() {
            let addr = match ip.len() {
                4 => <[u8; 4]>::try_from(ip)
                    .ok()
                    .map(|a| std::net::IpAddr::from(a).to_string()),
                16 => <[u8; 16]>::try_from(ip)
                    .ok()
                    .map(|a| std::net::IpAddr::from(a).to_string()),
                _ => None,
            };
            out.extend(addr);
        }
    }
    out
}

/// A connector for one attempt at `host`.
pub fn connector(
    policy: Policy,
    roots: &Roots,
    host: &str,
    probe: SharedProbe,
) -> Result<PgTls, String> {
    let err = |e: openssl::error::ErrorStack| format!("cannot set up OpenSSL: {e}");
    let mut b = SslConnector::builder(SslMethod::tls_client()).map_err(err)?;
    // libpq's default ssl_min_protocol_version
    b.set_min_proto_version(Some(SslVersion::TLS1_2))
        .map_err(err)?;
    if let Roots::File(certs) = roots {
        let mut store = X509StoreBuilder::new().map_err(err)?;
        for c in certs {
            store.add_cert(c.clone()).map_err(err)?;
        }
        b.set_cert_store(store.build());
    }
    let record = probe.clone();
    b.set_verify_callback(SslVerifyMode::PEER, move |ok, ctx| {
        let mut p = record.lock().expect("probe lock");
        if ctx.error_depth() == 0
            && p.names.is_empty()
            && let Some(c) = ctx.current_cert()
        {
            p.names = alt_names(c);
        }
        if ok {
            return true;
        }
        let code = ctx.error().as_raw();
        let host_issue = matches!(code, HOSTNAME_MISMATCH | IP_ADDRESS_MISMATCH);
        let fatal = if host_issue {
            policy.verify_host
        } else {
            policy.verify_chain
        };
        let issue = VerifyIssue {
            code,
            text: ctx.error().error_string().to_string(),
            depth: ctx.error_depth(),
            subject: ctx
                .current_cert()
                .map(|c| name_text(c.subject_name()))
                .unwrap_or_default(),
            fatal,
        };
        if !p.issues.contains(&issue) {
            p.issues.push(issue);
        }
        !fatal
    });
    let mut cfg = b.build().configure().map_err(err)?;
    // always evaluated (for the report); the callback decides whether a mismatch is fatal
    cfg.set_verify_hostname(true);
    Ok(PgTls {
        cfg,
        host: host.to_string(),
        probe,
    })
}

pub struct PgTls {
    cfg: ConnectConfiguration,
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
            let ssl = self.cfg.into_ssl(&self.host)?;
            let mut stream = SslStream::new(ssl, stream)?;
            Pin::new(&mut stream).connect().await?;
            let ssl = stream.ssl();
            let cert = ssl.peer_certificate();
            let info = TlsInfo {
                version: ssl.version_str().to_string(),
                cipher: ssl
                    .current_cipher()
                    .map(|c| c.name().to_string())
                    .unwrap_or_default(),
                subject: cert
                    .as_ref()
                    .map(|c| name_text(c.subject_name()))
                    .unwrap_or_default(),
                issuer: cert
                    .as_ref()
                    .map(|c| name_text(c.issuer_name()))
                    .unwrap_or_default(),
                names: cert.as_deref().map(alt_names).unwrap_or_default(),
                not_after: cert
                    .as_ref()
                    .map(|c| c.not_after().to_string())
                    .unwrap_or_default(),
            };
            self.probe.lock().expect("probe lock").info = Some(info);
            Ok(TlsStream(stream))
        })
    }
}

pub struct TlsStream<S>(SslStream<S>);

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
        match tls_server_end_point(self.0.ssl()) {
            Some(buf) => ChannelBinding::tls_server_end_point(buf),
            None => ChannelBinding::none(),
        }
    }
}

fn tls_server_end_point(ssl: &SslRef) -> Option<Vec<u8>> {
    let cert = ssl.peer_certificate()?;
    let algs = cert
        .signature_algorithm()
        .object()
        .nid()
        .signature_algorithms()?;
    let md = match algs.digest {
        Nid::MD5 | Nid::SHA1 => MessageDigest::sha256(),
        nid => MessageDigest::from_nid(nid)?,
    };
    cert.digest(md).ok().map(|d| d.to_vec())
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
