//! The connection test itself: libpq's sslmode state machine on tokio-postgres (`connect_raw` over our own
//! TCP stream, so name resolution, TCP and each TLS/plain attempt are seen separately), the failure
//! classes, and the report.
//!
//! libpq's attempt order (fe-connect.c), per resolved address:
//! - disable: plain only. require, verify-ca, verify-full: TLS only (the server answering 'N' fails).
//! - allow: plain first; if the server answers the start-up with an error, again with TLS.
//! - prefer: TLS if the server offers it ('S'), plain if it answers 'N'; if anything fails once the TLS
//!   handshake has begun (handshake, certificate, or the server's error over TLS), again in plain.
//! - Only a failure to reach an address (TCP) moves on to the host's next address.

use super::settings::{self, Auth, Inputs, Secret, Settings, SslMode};
use super::tls::{self, Policy, Probe, Roots, SharedProbe, TlsInfo, VerifyIssue};
use super::{Args, EXIT_CANNOT_TEST, Failure, Format};
use serde_json::{Value, json};
use std::error::Error as StdError;
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio::time::{Instant as TokioInstant, timeout, timeout_at};
use tokio_postgres::error::SqlState;

/// How an attempt uses TLS (tokio-postgres's SslMode for that attempt).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TlsUse {
    Off,
    IfOffered,
    Required,
}

impl TlsUse {
    fn describe(self) -> &'static str {
        match self {
            TlsUse::Off => "plain",
            TlsUse::IfOffered => "TLS if offered",
            TlsUse::Required => "TLS required",
        }
    }

    fn pg(self) -> tokio_postgres::config::SslMode {
        match self {
            TlsUse::Off => tokio_postgres::config::SslMode::Disable,
            TlsUse::IfOffered => tokio_postgres::config::SslMode::Prefer,
            TlsUse::Required => tokio_postgres::config::SslMode::Require,
        }
    }
}

#[derive(Debug, Clone)]
struct Failed {
    class: Failure,
    message: String,
    hint: String,
    /// The server answered the start-up with an error (libpq's trigger for allow's TLS retry).
    server_error: bool,
    /// TCP was never established (the only failure that moves on to the next address).
    unreachable: bool,
}

#[derive(Debug, Clone)]
struct Connected {
    server_version: String,
    version_string: String,
    round_trip: Duration,
}

struct AttemptRecord {
    address: SocketAddr,
    tls_use: TlsUse,
    elapsed: Duration,
    probe: Probe,
    result: Result<Connected, Failed>,
}

struct Ctx<'a> {
    s: &'a Settings,
    password: Option<&'a str>,
    roots: &'a Roots,
    roots_label: String,
    policy: Policy,
    per_attempt: Duration,
}

pub fn main(args: &Args) -> i32 {
    match prepare(args) {
        Ok((s, password, password_source, roots, roots_label, secs)) => {
            let policy = tls::policy(
                s.ssl_mode,
                s.trust_server_certificate,
                matches!(roots, Roots::File(_)),
            );
            let ctx = Ctx {
                s: &s,
                password: password.as_deref(),
                roots: &roots,
                roots_label,
                policy,
                per_attempt: Duration::from_secs(secs),
            };
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    crate::mask::eprint_line(&format!(
                        "error: cannot start the async runtime: {e}"
                    ));
                    return EXIT_CANNOT_TEST;
                }
            };
            let started = Instant::now();
            let (resolved, attempts) = rt.block_on(test(&ctx));
            let report = Report {
                args,
                ctx: &ctx,
                password_source: &password_source,
                timeout_secs: secs,
                resolved,
                attempts,
                total: started.elapsed(),
            };
            let code = report.exit_code();
            let text = match args.output_format {
                Format::Text => report.text(),
                Format::Json => {
                    let mut t = serde_json::to_string_pretty(&report.json()).expect("json");
                    t.push('\n');
                    t
                }
            };
            let enc = match args.output_format {
                Format::Text => crate::mask::Encoding::Text(&[]),
                Format::Json => crate::mask::Encoding::Json,
            };
            print!("{}", crate::mask::guard_output(&text, enc));
            code
        }
        Err(msg) => {
            if args.output_format == Format::Json {
                let text = format!(
                    "{}\n",
                    serde_json::to_string_pretty(&json!({
                        "file": args.file.display().to_string(),
                        "connected": false,
                        "error": {"class": "cannot-test", "exit_code": EXIT_CANNOT_TEST, "message": msg},
                        "exit_code": EXIT_CANNOT_TEST,
                    }))
                    .expect("json")
                );
                print!(
                    "{}",
                    crate::mask::guard_output(&text, crate::mask::Encoding::Json)
                );
            }
            crate::mask::eprint_line(&format!("error: {msg}"));
            EXIT_CANNOT_TEST
        }
    }
}

type Prepared = (Settings, Option<String>, String, Roots, String, u64);

fn prepare(args: &Args) -> Result<Prepared, String> {
    let mut inputs = Inputs {
        as_migrated: args.as_migrated,
        ..Inputs::default()
    };
    for p in &args.params {
        inputs.params.push(settings::parse_param(p)?);
    }
    for p in &args.param_envs {
        let (name, var) = settings::parse_param(p)
            .map_err(|_| format!("`--param-env {p}`: expected NAME=VAR"))?;
        let value = std::env::var(&var).map_err(|_| {
            format!("--param-env {name}={var}: the environment variable is not set")
        })?;
        crate::mask::register_secret(&value);
        inputs.params.push((name, value));
    }
    if let Some(h) = &args.host_override {
        inputs.host_override = Some(settings::parse_host_override(h)?);
    }
    let bytes = crate::source::read::read(&args.file, crate::source::read::Links::Follow)
        .map_err(|e| format!("{}: {e}", args.file.display()))?;
    let s =
        settings::resolve(bytes, &inputs).map_err(|e| format!("{}: {e}", args.file.display()))?;
    let (roots, roots_label) = match &args.ca_file {
        Some(p) => (
            Roots::from_pem_file(p)?,
            format!("--ca-file {}", p.display()),
        ),
        None => (Roots::system(), "the system store".to_string()),
    };
    let (password, source) = password(args, &s)?;
    let secs = args.timeout.or(s.timeout.filter(|t| *t > 0)).unwrap_or(15);
    Ok((s, password, source, roots, roots_label, secs))
}

/// The password (or Entra token) and where it came from. Never from the command line itself.
fn password(args: &Args, s: &Settings) -> Result<(Option<String>, String), String> {
    let found = password_from_anywhere(args, s);
    if let Ok((Some(p), _)) = &found {
        crate::mask::register_secret(p);
    }
    found
}

fn password_from_anywhere(args: &Args, s: &Settings) -> Result<(Option<String>, String), String> {
    if let Some(var) = &args.password_env {
        return match std::env::var(var) {
            Ok(v) => Ok((Some(v), format!("environment variable {var}"))),
            Err(std::env::VarError::NotPresent) => Err(format!(
                "--password-env {var}: the environment variable is not set"
            )),
            Err(std::env::VarError::NotUnicode(_)) => Err(format!(
                "--password-env {var}: the environment variable is not valid UTF-8"
            )),
        };
    }
    let tty = std::io::stdin().is_terminal();
    let prompt = |what: &str| -> Result<(Option<String>, String), String> {
        // the prompt names the file's user: on its one line, as any output
        rpassword::prompt_password(format!("{}: ", crate::mask::printable(what)))
            .map(|p| (Some(p), "typed at the prompt".to_string()))
            .map_err(|e| format!("cannot read from the terminal: {e}"))
    };
    match (&s.auth, &s.secret) {
        (Auth::Entra(kind), _) => {
            if tty {
                prompt(&format!(
                    "Microsoft Entra access token for {} ({kind})",
                    s.username
                ))
            } else {
                Err(format!(
                    "authenticationType {kind} signs in with a Microsoft Entra access token, which this tool does not \
                     fetch: supply the token via --password-env VAR (for example from `az account get-access-token \
                     --resource-type oss-rdbms --query accessToken -o tsv`)"
                ))
            }
        }
        (Auth::Basic, Secret::Literal(p)) => Ok((
            Some(p.clone()),
            "the file (a plaintext secret: move it to Key Vault)".into(),
        )),
        (Auth::Basic, Secret::None) => {
            if tty {
                prompt(&format!("Password for user {}", s.username))
            } else {
                Ok((None, "none (the file has no password)".into()))
            }
        }
        (Auth::Basic, other) => {
            let reason = other.unavailable_reason().unwrap_or_default();
            if tty {
                crate::mask::eprint_line(&format!("{reason}."));
                prompt(&format!("Password for user {}", s.username))
            } else {
                Err(format!(
                    "{reason}: supply the secret via --password-env VAR (no prompt: standard input is not a terminal)"
                ))
            }
        }
    }
}

/// Resolve, then try the addresses in turn. Returns the addresses (or the resolution failure) and the
/// attempts.
async fn test(ctx: &Ctx<'_>) -> (Result<Vec<SocketAddr>, Failed>, Vec<AttemptRecord>) {
    let host = ctx.s.host.as_str();
    let addrs: Vec<SocketAddr> =
        match timeout(ctx.per_attempt, tokio::net::lookup_host((host, ctx.s.port))).await {
            Ok(Ok(a)) => a.collect(),
            Ok(Err(e)) => return (Err(resolution_failed(host, &e.to_string())), Vec::new()),
            Err(_) => return (Err(resolution_failed(host, "timed out")), Vec::new()),
        };
    if addrs.is_empty() {
        return (Err(resolution_failed(host, "no addresses")), Vec::new());
    }
    let mut attempts = Vec::new();
    for addr in &addrs {
        let start = attempts.len();
        by_mode(ctx, *addr, &mut attempts).await;
        let last = &attempts[attempts.len() - 1];
        let unreachable = attempts[start..]
            .iter()
            .all(|a| a.result.as_ref().is_err_and(|f| f.unreachable));
        if last.result.is_ok() || !unreachable {
            break;
        }
    }
    (Ok(addrs), attempts)
}

fn resolution_failed(host: &str, why: &str) -> Failed {
    Failed {
        class: Failure::NameResolution,
        message: format!("could not resolve host name \"{host}\": {why}"),
        hint: "check `server` (an Azure server is NAME.postgres.database.azure.com); a private endpoint's name \
               resolves only inside its virtual network or with its private DNS zone"
            .into(),
        server_error: false,
        unreachable: true,
    }
}

async fn by_mode(ctx: &Ctx<'_>, addr: SocketAddr, out: &mut Vec<AttemptRecord>) {
    match ctx.s.ssl_mode {
        SslMode::Disable => out.push(attempt(ctx, addr, TlsUse::Off).await),
        SslMode::Allow => {
            let first = attempt(ctx, addr, TlsUse::Off).await;
            let retry = first.result.as_ref().is_err_and(|f| f.server_error);
            out.push(first);
            if retry {
                out.push(attempt(ctx, addr, TlsUse::Required).await);
            }
        }
        SslMode::Prefer => {
            let first = attempt(ctx, addr, TlsUse::IfOffered).await;
            let retry = first.result.is_err() && first.probe.handshake_started;
            out.push(first);
            if retry {
                out.push(attempt(ctx, addr, TlsUse::Off).await);
            }
        }
        SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
            out.push(attempt(ctx, addr, TlsUse::Required).await)
        }
    }
}

async fn attempt(ctx: &Ctx<'_>, addr: SocketAddr, tls_use: TlsUse) -> AttemptRecord {
    let probe = SharedProbe::default();
    let started = Instant::now();
    let result = attempt_inner(ctx, addr, tls_use, probe.clone()).await;
    let probe = probe.lock().expect("probe lock").clone();
    let result = result.map_err(|e| classify(ctx, addr, tls_use, &probe, e));
    AttemptRecord {
        address: addr,
        tls_use,
        elapsed: started.elapsed(),
        probe,
        result,
    }
}

enum RawError {
    Tcp(std::io::Error),
    TcpTimeout,
    StartupTimeout,
    Setup(String),
    Pg(tokio_postgres::Error),
    /// The server sent more than [`MAX_SERVER_BYTES`].
    TooMuch,
}

async fn attempt_inner(
    ctx: &Ctx<'_>,
    addr: SocketAddr,
    tls_use: TlsUse,
    probe: SharedProbe,
) -> Result<Connected, RawError> {
    let deadline = TokioInstant::now() + ctx.per_attempt;
    let connector =
        tls::connector(ctx.policy, ctx.roots, &ctx.s.host, probe).map_err(RawError::Setup)?;
    let tcp = match timeout_at(deadline, TcpStream::connect(addr)).await {
        Err(_) => return Err(RawError::TcpTimeout),
        Ok(Err(e)) => return Err(RawError::Tcp(e)),
        Ok(Ok(t)) => t,
    };
    let _ = tcp.set_nodelay(true);
    let cut = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let tcp = Capped {
        inner: tcp,
        left: MAX_SERVER_BYTES,
        cut: cut.clone(),
    };
    // the client library reports a read that failed as "connection closed": say why
    let cut_off = |e: tokio_postgres::Error| {
        if cut.load(std::sync::atomic::Ordering::Relaxed) {
            RawError::TooMuch
        } else {
            RawError::Pg(e)
        }
    };
    let mut cfg = tokio_postgres::Config::new();
    cfg.user(&ctx.s.username)
        .dbname(&ctx.s.database)
        .application_name("adfpg-migrate test-connection")
        .ssl_mode(tls_use.pg());
    if let Some(p) = ctx.password {
        cfg.password(p);
    }
    let (client, connection) = match timeout_at(deadline, cfg.connect_raw(tcp, connector)).await {
        Err(_) => return Err(RawError::StartupTimeout),
        Ok(Err(e)) => return Err(cut_off(e)),
        Ok(Ok(c)) => c,
    };
    let server_version =
        super::from_server(connection.parameter("server_version").unwrap_or_default());
    let driver = tokio::spawn(connection);
    let t0 = Instant::now();
    let rows = timeout_at(deadline, client.simple_query("SELECT version()")).await;
    let round_trip = t0.elapsed();
    let version_string = match rows {
        Ok(Ok(msgs)) => msgs
            .iter()
            .find_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(super::from_server),
                _ => None,
            })
            .unwrap_or_default(),
        Ok(Err(e)) => return Err(cut_off(e)),
        Err(_) => return Err(RawError::StartupTimeout),
    };
    drop(client);
    let _ = driver.await;
    Ok(Connected {
        server_version,
        version_string,
        round_trip,
    })
}

/// The most bytes one attempt reads from the server. A TLS handshake, the start-up and one row of
/// `SELECT version()` take a few kilobytes; a server sending more (rows without end, a megabyte error)
/// makes the read fail, so memory stays bounded whatever it sends.
const MAX_SERVER_BYTES: u64 = 1 << 20;

/// A stream that reads at most `left` more bytes, then fails every read (and says so in `cut`).
struct Capped<S> {
    inner: S,
    left: u64,
    cut: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl<S: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for Capped<S> {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let this = self.get_mut();
        if this.left == 0 {
            this.cut.store(true, std::sync::atomic::Ordering::Relaxed);
            return std::task::Poll::Ready(Err(std::io::Error::other("read cap reached")));
        }
        let before = buf.filled().len();
        let r = std::pin::Pin::new(&mut this.inner).poll_read(cx, buf);
        let read = (buf.filled().len() - before) as u64;
        // what is over the cap is dropped: the next read fails
        let kept = read.min(this.left);
        buf.set_filled(before + kept as usize);
        this.left -= kept;
        r
    }
}

impl<S: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for Capped<S> {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// The error and its sources, deduplicated, as one line.
fn chain(e: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        let t = s.to_string();
        if !parts.iter().any(|p| p.contains(&t)) {
            parts.push(t);
        }
        cur = s.source();
    }
    parts.join(": ")
}

fn mode_label(s: &Settings) -> String {
    format!(
        "sslMode {} ({})",
        s.ssl_mode.number(),
        s.ssl_mode.adf_name()
    )
}

/// Why an attempt failed, as a class (the exit code), a message and a hint, by how far it got: never
/// reached the server, refused by it (SQLSTATE), a failed TLS handshake, or TLS not offered.
fn classify(
    ctx: &Ctx<'_>,
    addr: SocketAddr,
    tls_use: TlsUse,
    probe: &Probe,
    e: RawError,
) -> Failed {
    let s = ctx.s;
    let pg = match server_answer(ctx, addr, e) {
        Ok(pg) => pg,
        Err(unreached) => return unreached,
    };
    if let Some(db) = pg.as_db_error() {
        return refused_by_server(s, db);
    }
    let text = super::from_server(&chain(&pg));
    if text.contains("password missing") {
        return failed(
            Failure::AuthenticationFailed,
            format!(
                "the server asks user \"{}\" for a password, and none was supplied",
                s.username
            ),
            "supply it via --password-env VAR",
        );
    }
    if probe.handshake_started && probe.info.is_none() {
        return handshake_failure(ctx, probe, &text);
    }
    if tls_use == TlsUse::Required
        && !probe.handshake_started
        && text.contains("does not support TLS")
    {
        return failed(
            Failure::TlsNotOffered,
            format!(
                "the server does not offer TLS (it answered the SSLRequest with 'N'), and {} requires it",
                mode_label(s)
            ),
            "enable ssl on the server, or (weaker) use sslMode 2 (Prefer)",
        );
    }
    failed(
        Failure::ServerRefused,
        format!("the connection failed: {text}"),
        "",
    )
}

/// A failure of one class, with its message and hint.
fn failed(class: Failure, message: String, hint: &str) -> Failed {
    Failed {
        class,
        message,
        hint: hint.to_string(),
        server_error: false,
        unreachable: false,
    }
}

/// The client library's error once the server answered; the failure when the attempt never got that far
/// (TLS set-up, TCP, the start-up timing out).
fn server_answer(
    ctx: &Ctx<'_>,
    addr: SocketAddr,
    e: RawError,
) -> Result<tokio_postgres::Error, Failed> {
    Err(match e {
        RawError::Pg(e) => return Ok(e),
        RawError::Setup(m) => failed(Failure::TlsHandshake, m, ""),
        RawError::TooMuch => failed(
            Failure::ServerRefused,
            format!(
                "the server sent more than {} KiB, far more than a connection test needs; the rest was not read",
                MAX_SERVER_BYTES / 1024
            ),
            "a PostgreSQL server sends a few kilobytes here: check that `server` and `port` name one",
        ),
        RawError::TcpTimeout => {
            let mut x = failed(
                Failure::TcpTimeout,
                format!(
                    "no TCP connection to {addr} within {} s",
                    ctx.per_attempt.as_secs()
                ),
                "the server's firewall rules may not allow this client's address (Azure: Networking → firewall \
                 rules), or the port is wrong",
            );
            x.unreachable = true;
            x
        }
        RawError::Tcp(err) => {
            let refused = err.kind() == std::io::ErrorKind::ConnectionRefused;
            let mut x = failed(
                Failure::TcpRefused,
                if refused {
                    format!("connection to {addr} refused")
                } else {
                    format!("cannot connect to {addr}: {err}")
                },
                "no PostgreSQL server listens on that address and port, or a firewall rejects the connection",
            );
            x.unreachable = true;
            x
        }
        RawError::StartupTimeout => failed(
            Failure::TcpTimeout,
            format!(
                "connected to {addr}, but the server did not finish the start-up within {} s",
                ctx.per_attempt.as_secs()
            ),
            "the server is overloaded, or something other than PostgreSQL listens on that port",
        ),
    })
}

/// The server answered the start-up with an error (SQLSTATE): wrong password or user, no such database, or
/// pg_hba.conf refusing the connection with or without TLS.
fn refused_by_server(s: &Settings, db: &tokio_postgres::error::DbError) -> Failed {
    let msg = super::from_server(db.message());
    let code = db.code();
    let hba = *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION;
    let mut x = if *code == SqlState::INVALID_PASSWORD {
        failed(
            Failure::AuthenticationFailed,
            format!("authentication failed for user \"{}\": {msg}", s.username),
            match s.auth {
                Auth::Entra(_) => {
                    "the token must be a current Microsoft Entra access token for \
                                   https://ossrdbms-aad.database.windows.net, and the user the Entra principal's name"
                }
                Auth::Basic => {
                    "check the user name and the password (Single Server wanted user@server, \
                                Flexible Server wants the plain user name)"
                }
            },
        )
    } else if *code == SqlState::INVALID_CATALOG_NAME {
        failed(
            Failure::DatabaseDoesNotExist,
            format!("database \"{}\" does not exist: {msg}", s.database),
            "check `database` (names are case-sensitive)",
        )
    } else if hba && msg.starts_with("no pg_hba.conf entry") && msg.ends_with("no encryption") {
        failed(
            Failure::ServerRequiresTls,
            format!(
                "the server requires TLS, and {} connected without it: {msg}",
                mode_label(s)
            ),
            "use sslMode 4 (VerifyCA) or 5 (VerifyFull); Azure Flexible Server requires TLS by default",
        )
    } else if hba && msg.starts_with("no pg_hba.conf entry") && msg.contains("SSL encryption") {
        failed(
            Failure::TlsNotOffered,
            format!(
                "the server does not accept TLS connections for this user and database, and {} requires TLS: {msg}",
                mode_label(s)
            ),
            "the server's pg_hba.conf allows only unencrypted (hostnossl) connections here",
        )
    } else if hba && msg.contains("role") {
        failed(
            Failure::AuthenticationFailed,
            format!("authentication failed for user \"{}\": {msg}", s.username),
            "check `username`",
        )
    } else {
        failed(
            Failure::ServerRefused,
            format!("the server refused the connection: {} {msg}", code.code()),
            "",
        )
    };
    x.server_error = true;
    x
}

/// The TLS handshake failed: the certificate (its host name, or its chain) or the handshake itself.
fn handshake_failure(ctx: &Ctx<'_>, probe: &Probe, text: &str) -> Failed {
    let s = ctx.s;
    if let Some(issue) = probe.fatal_issue() {
        return if issue.is_host_mismatch() {
            failed(
                Failure::HostNameMismatch,
                format!(
                    "the server certificate does not match host name \"{}\" (it names {}), and {} checks the host name",
                    s.host,
                    names_text(&probe.names),
                    mode_label(s)
                ),
                "connect by a name the certificate carries, or use sslMode 4 (VerifyCA) to check the chain only",
            )
        } else {
            failed(
                Failure::CertificateUntrusted,
                format!(
                    "the server certificate is not trusted ({}): {} (certificate {}), and {} verifies the chain",
                    ctx.roots_label,
                    issue.text,
                    issue.subject,
                    match s.ssl_mode {
                        SslMode::VerifyCa | SslMode::VerifyFull => mode_label(s),
                        _ => format!("{} with a root CA file", mode_label(s)),
                    }
                ),
                match ctx.roots {
                    Roots::File(_) => {
                        "the --ca-file does not hold the root that issued this certificate"
                    }
                    Roots::System(_) => {
                        "give the issuing root with --ca-file PEM; Azure's certificates chain to public roots \
                         (DigiCert Global Root G2, Microsoft RSA Root Certificate Authority 2017)"
                    }
                },
            )
        };
    }
    failed(
        Failure::TlsHandshake,
        format!("TLS handshake failed: {text}"),
        "",
    )
}

fn names_text(names: &[String]) -> String {
    if names.is_empty() {
        "no DNS or IP names".into()
    } else {
        names
            .iter()
            .map(|n| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

struct Report<'a> {
    args: &'a Args,
    ctx: &'a Ctx<'a>,
    password_source: &'a str,
    timeout_secs: u64,
    resolved: Result<Vec<SocketAddr>, Failed>,
    attempts: Vec<AttemptRecord>,
    total: Duration,
}

/// The certificate verdict of a TLS connection that succeeded.
struct CertVerdict {
    verified: bool,
    chain_checked: bool,
    host_checked: bool,
    reason: String,
    problems: Vec<String>,
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 10_000.0).round() / 10.0
}

impl Report<'_> {
    fn success(&self) -> Option<(&AttemptRecord, &Connected)> {
        let a = self.attempts.last()?;
        a.result.as_ref().ok().map(|c| (a, c))
    }

    /// The failure to report: the last attempt's, except that a plain fallback refused for lack of TLS
    /// points back at the TLS attempt's own failure (prefer), which is the one to fix.
    fn failure(&self) -> Option<&Failed> {
        if let Err(f) = &self.resolved {
            return Some(f);
        }
        let last = self.attempts.last()?.result.as_ref().err()?;
        if last.class == Failure::ServerRequiresTls {
            let tls_failure = self.attempts.iter().rev().skip(1).find_map(|a| {
                a.result.as_ref().err().filter(|f| {
                    matches!(
                        f.class,
                        Failure::CertificateUntrusted
                            | Failure::HostNameMismatch
                            | Failure::TlsHandshake
                    )
                })
            });
            if let Some(f) = tls_failure {
                return Some(f);
            }
        }
        Some(last)
    }

    fn exit_code(&self) -> i32 {
        self.failure().map_or(0, |f| f.class.exit_code())
    }

    fn verdict(&self, probe: &Probe) -> CertVerdict {
        let p = self.ctx.policy;
        let s = self.ctx.s;
        let problems: Vec<String> = probe.issues.iter().map(issue_text).collect();
        let host_bad = probe.issues.iter().any(VerifyIssue::is_host_mismatch);
        let chain_bad = probe.issues.iter().any(|i| !i.is_host_mismatch());
        let why_not = if s.trust_server_certificate {
            "trustServerCertificate is true".to_string()
        } else {
            format!(
                "{} does not check certificates without --ca-file",
                mode_label(s)
            )
        };
        let reason = match (p.verify_chain, p.verify_host) {
            (true, true) => format!(
                "chain verified against {} and host name \"{}\" matches",
                self.ctx.roots_label, s.host
            ),
            (true, false) => format!(
                "chain verified against {}; host name not checked ({}){}",
                self.ctx.roots_label,
                if s.ssl_mode == SslMode::VerifyCa {
                    mode_label(s)
                } else {
                    format!(
                        "{} checks the chain only, because a root CA file is given",
                        mode_label(s)
                    )
                },
                if host_bad {
                    format!(
                        ": the certificate names {}, not \"{}\"",
                        names_text(&probe.names),
                        s.host
                    )
                } else {
                    String::new()
                }
            ),
            _ => format!(
                "{why_not}; had it checked: the chain {} against {}, and the host name {}",
                if chain_bad {
                    "does NOT verify"
                } else {
                    "verifies"
                },
                self.ctx.roots_label,
                if host_bad {
                    format!(
                        "does NOT match (certificate names {})",
                        names_text(&probe.names)
                    )
                } else {
                    "matches".to_string()
                }
            ),
        };
        CertVerdict {
            verified: p.verify_chain,
            chain_checked: p.verify_chain,
            host_checked: p.verify_host,
            reason,
            problems,
        }
    }

    fn text(&self) -> String {
        let mut o = String::new();
        self.settings_text(&mut o);
        self.attempts_text(&mut o);
        self.outcome_text(&mut o);
        o
    }

    /// The settings tried: the linked service, server, TLS, authentication, roots, and the notes.
    fn settings_text(&self, o: &mut String) {
        let s = self.ctx.s;
        // the file's values, as every value the report shows, on their one line
        let p = |v: &str| crate::mask::printable(v).into_owned();
        o.push_str(&format!(
            "Linked service {} ({}) in {}\n",
            p(&s.linked_service),
            s.origin.describe(s.connector),
            p(&self.args.file.display().to_string())
        ));
        o.push_str(&format!(
            "  server    {}:{}   database {}   user {}\n",
            p(&s.host),
            s.port,
            p(&s.database),
            p(&s.username)
        ));
        o.push_str(&format!(
            "  sslMode   {} ({}, libpq sslmode={})   trustServerCertificate {}\n",
            s.ssl_mode.number(),
            s.ssl_mode.adf_name(),
            s.ssl_mode.libpq_name(),
            s.trust_server_certificate
        ));
        o.push_str(&format!(
            "  auth      {}   secret: {}\n",
            match &s.auth {
                Auth::Basic => "Basic".to_string(),
                Auth::Entra(k) => format!("{k} (Entra token as password)"),
            },
            self.password_source
        ));
        o.push_str(&format!(
            "  roots     {}   timeout {} s\n",
            p(&self.ctx.roots_label),
            self.timeout_secs
        ));
        for n in &s.notes {
            o.push_str(&format!("  note: {}\n", p(n)));
        }
    }

    /// Where the host name resolved to, and each connection attempt with its outcome.
    fn attempts_text(&self, o: &mut String) {
        let s = self.ctx.s;
        let p = |v: &str| crate::mask::printable(v).into_owned();
        if let Ok(addrs) = &self.resolved {
            o.push_str(&format!(
                "resolved    {} → {}\n",
                p(&s.host),
                addrs
                    .iter()
                    .map(|a| a.ip().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        for (i, a) in self.attempts.iter().enumerate() {
            let outcome = match &a.result {
                Ok(_) => format!(
                    "connected{}",
                    if a.probe.info.is_some() {
                        " with TLS"
                    } else {
                        " without TLS"
                    }
                ),
                Err(f) => format!("failed [{}]", f.class.slug()),
            };
            o.push_str(&format!(
                "attempt {}   {} ({}): {} in {} ms\n",
                i + 1,
                a.address,
                a.tls_use.describe(),
                outcome,
                ms(a.elapsed)
            ));
        }
    }

    /// Connected or not: the TLS session, the certificate and its verdict, the server; or the error.
    fn outcome_text(&self, o: &mut String) {
        let p = |v: &str| crate::mask::printable(v).into_owned();
        match (self.success(), self.failure()) {
            (Some((a, c)), _) => {
                o.push_str(&format!("connected   yes, in {} ms\n", ms(self.total)));
                match &a.probe.info {
                    Some(info) => {
                        let v = self.verdict(&a.probe);
                        o.push_str(&format!("TLS         {} ({})\n", info.version, info.cipher));
                        o.push_str(&format!(
                            "certificate {} (issued by {}; names {}; expires {})\n",
                            info.subject,
                            info.issuer,
                            names_text(&info.names),
                            info.not_after
                        ));
                        o.push_str(&format!(
                            "verified    {}: {}\n",
                            if v.verified { "yes" } else { "no" },
                            p(&v.reason)
                        ));
                        for p in &v.problems {
                            o.push_str(&format!("  problem: {p}\n"));
                        }
                    }
                    None => o.push_str("TLS         not in use: the connection is unencrypted\n"),
                }
                o.push_str(&format!(
                    "server      {}\n",
                    if c.version_string.is_empty() {
                        format!("PostgreSQL {}", c.server_version)
                    } else {
                        c.version_string.clone()
                    }
                ));
                o.push_str(&format!(
                    "round trip  {} ms (SELECT version())\n",
                    ms(c.round_trip)
                ));
            }
            (None, Some(f)) => {
                o.push_str("connected   no\n");
                o.push_str(&format!("error[{}]: {}\n", f.class.slug(), p(&f.message)));
                if !f.hint.is_empty() {
                    o.push_str(&format!("  hint: {}\n", f.hint));
                }
                o.push_str(&format!("exit code   {}\n", f.class.exit_code()));
            }
            (None, None) => o.push_str("connected   no\n"),
        }
    }

    fn json(&self) -> Value {
        let s = self.ctx.s;
        let attempts: Vec<Value> = self
            .attempts
            .iter()
            .map(|a| {
                json!({
                    "address": a.address.to_string(),
                    "tls": a.tls_use.describe(),
                    "tls_in_use": a.probe.info.is_some(),
                    "elapsed_ms": ms(a.elapsed),
                    "outcome": match &a.result { Ok(_) => "connected".to_string(), Err(f) => f.class.slug().to_string() },
                    "message": a.result.as_ref().err().map(|f| f.message.clone()),
                })
            })
            .collect();
        let success = self.success();
        let tls: Value = match success {
            Some((a, _)) => match &a.probe.info {
                Some(info) => tls_json(info, &self.verdict(&a.probe)),
                None => Value::Null,
            },
            None => Value::Null,
        };
        json!({
            "file": self.args.file.display().to_string(),
            "linked_service": s.linked_service,
            "source": s.origin.describe(s.connector),
            "settings": {
                "host": s.host,
                "port": s.port,
                "database": s.database,
                "username": s.username,
                "ssl_mode": s.ssl_mode.number(),
                "ssl_mode_name": s.ssl_mode.adf_name(),
                "libpq_sslmode": s.ssl_mode.libpq_name(),
                "trust_server_certificate": s.trust_server_certificate,
                "authentication": match &s.auth { Auth::Basic => "Basic".to_string(), Auth::Entra(k) => k.clone() },
                "secret_source": self.password_source,
                "roots": self.ctx.roots_label,
                "timeout_secs": self.timeout_secs,
            },
            "notes": s.notes,
            "resolved": self.resolved.as_ref().ok().map(|a| a.iter().map(|x| x.ip().to_string()).collect::<Vec<_>>()),
            "attempts": attempts,
            "connected": success.is_some(),
            "tls": tls,
            "server_version": success.map(|(_, c)| c.server_version.clone()),
            "server_version_string": success.map(|(_, c)| c.version_string.clone()),
            "round_trip_ms": success.map(|(_, c)| ms(c.round_trip)),
            "total_ms": ms(self.total),
            "error": self.failure().map(|f| json!({
                "class": f.class.slug(),
                "exit_code": f.class.exit_code(),
                "message": f.message,
                "hint": f.hint,
            })),
            "exit_code": self.exit_code(),
        })
    }
}

fn issue_text(i: &VerifyIssue) -> String {
    format!("{} (certificate {})", i.text, i.subject)
}

fn tls_json(info: &TlsInfo, v: &CertVerdict) -> Value {
    json!({
        "version": info.version,
        "cipher": info.cipher,
        "certificate": {
            "subject": info.subject,
            "issuer": info.issuer,
            "names": info.names,
            "not_after": info.not_after,
        },
        "verified": v.verified,
        "chain_checked": v.chain_checked,
        "host_name_checked": v.host_checked,
        "verification": v.reason,
        "problems": v.problems,
    })
}
