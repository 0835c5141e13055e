//! Issue 29: `test-connection` against a hostile server (the linked service of a pull request names
//! it). Every read from the server is bounded — rows without end after `SELECT version()`, an 8 MB
//! error — and whatever text it sends reaches the report on its own line, bounded, its CR/LF escaped.
//!
//! The server here is a few lines of the PostgreSQL protocol over TCP (sslMode 0: no TLS), enough for
//! the client to get to each place a server speaks.
#![cfg(target_os = "linux")]

mod common;
use common::*;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

/// One protocol message: its tag, its length (itself included), its body.
fn message(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![tag];
    m.extend_from_slice(&(body.len() as u32 + 4).to_be_bytes());
    m.extend_from_slice(body);
    m
}

fn cstr(s: &str) -> Vec<u8> {
    let mut b = s.as_bytes().to_vec();
    b.push(0);
    b
}

/// Read the client's start-up message (no SSLRequest with sslMode 0).
fn read_startup(s: &mut TcpStream) {
    let mut len = [0u8; 4];
    s.read_exact(&mut len).unwrap();
    let mut rest = vec![0u8; u32::from_be_bytes(len) as usize - 4];
    s.read_exact(&mut rest).unwrap();
}

/// Authentication OK, a server version, ready for a query.
fn accept_login(s: &mut TcpStream, version: &str) {
    let mut out = message(b'R', &0u32.to_be_bytes());
    out.extend(message(
        b'S',
        &[cstr("server_version"), cstr(version)].concat(),
    ));
    out.extend(message(b'Z', b"I"));
    s.write_all(&out).unwrap();
}

/// Read one message of the client's (the query).
fn read_message(s: &mut TcpStream) {
    let mut head = [0u8; 5];
    s.read_exact(&mut head).unwrap();
    let mut rest = vec![0u8; u32::from_be_bytes(head[1..].try_into().unwrap()) as usize - 4];
    s.read_exact(&mut rest).unwrap();
}

fn row_description() -> Vec<u8> {
    let mut body = 1u16.to_be_bytes().to_vec();
    body.extend(cstr("version"));
    body.extend(0u32.to_be_bytes()); // table oid
    body.extend(0u16.to_be_bytes()); // column
    body.extend(25u32.to_be_bytes()); // text
    body.extend((-1i16).to_be_bytes());
    body.extend((-1i32).to_be_bytes());
    body.extend(0u16.to_be_bytes()); // text format
    message(b'T', &body)
}

fn data_row(value: &[u8]) -> Vec<u8> {
    let mut body = 1u16.to_be_bytes().to_vec();
    body.extend((value.len() as u32).to_be_bytes());
    body.extend_from_slice(value);
    message(b'D', &body)
}

/// A fatal ErrorResponse with this SQLSTATE and message.
fn error_response(code: &str, text: &[u8]) -> Vec<u8> {
    let mut body = b"SFATAL\0".to_vec();
    body.extend(b"C");
    body.extend(cstr(code));
    body.push(b'M');
    body.extend_from_slice(text);
    body.extend(b"\0\0");
    message(b'E', &body)
}

/// Serve one connection with `play`; the thread returns how many bytes the server wrote before the
/// client went away.
fn serve(play: fn(&mut TcpStream) -> u64) -> (u16, std::thread::JoinHandle<u64>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        play(&mut s)
    });
    (port, handle)
}

/// Write `chunk` until the client closes the connection; the bytes written.
fn flood(s: &mut TcpStream, chunk: &[u8]) -> u64 {
    let mut written = 0u64;
    while s.write_all(chunk).is_ok() {
        written += chunk.len() as u64;
        // a client that reads without end would be past its heap cap long before this
        if written > 1 << 30 {
            break;
        }
    }
    written
}

/// A 2.0 linked service for the server at `port`, sslMode 0 (no TLS).
fn linked_service(dir: &std::path::Path, port: u16) -> std::path::PathBuf {
    let p = dir.join("ls.json");
    std::fs::write(
        &p,
        format!(
            r#"{{"name": "Hostile", "properties": {{"type": "AzurePostgreSql", "version": "2.0", "typeProperties": {{
                "server": "127.0.0.1", "port": "{port}", "database": "d", "sslMode": 0, "username": "u",
                "authenticationType": "Basic"}}}}}}"#
        ),
    )
    .unwrap();
    p
}

/// Run `test-connection` on the server at `port` with the heap capped at 128 MiB:
/// (exit code, stdout, stderr); -1 when a signal ended it (an abort on memory).
fn test_connection(port: u16, format: &str) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let ls = linked_service(dir.path(), port);
    let out = heap_capped(128)
        .arg("test-connection")
        .arg(&ls)
        .args(["--timeout", "20", "--output-format", format])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Lines no report may hold: a log command a runner obeys, or one a hostile server wrote itself.
fn assert_no_forged_line(what: &str, out: &str) {
    for line in out.lines() {
        let t = line.trim_start();
        assert!(
            !t.starts_with("::") && !line.contains("##[") && !line.contains("##vso["),
            "{what}: a log command: {line:?}"
        );
        assert!(
            !line.contains('\r') && t != "connected   yes" && !t.starts_with("verified "),
            "{what}: a line the server wrote: {line:?}\n{out}"
        );
    }
}

/// Rows without end after `SELECT version()`: the client stops reading at its cap and reports it (exit
/// 20), instead of growing memory until the process aborts; the server gets to write little more than
/// the cap and the sockets' buffers.
#[test]
fn a_server_flooding_rows_is_cut_off() {
    let (port, server) = serve(|s| {
        read_startup(s);
        accept_login(s, "16.0");
        read_message(s);
        let written = row_description().len() as u64;
        s.write_all(&row_description()).unwrap();
        written + flood(s, &data_row(&[b'v'; 8192]).repeat(16))
    });
    let (code, out, err) = test_connection(port, "text");
    let written = server.join().unwrap();
    assert_eq!(code, 20, "{out}{err}");
    assert!(out.contains("error[server-refused]"), "{out}");
    assert!(
        out.contains("the server sent more than 1024 KiB, far more than a connection test needs"),
        "{out}"
    );
    assert!(
        written < 64 << 20,
        "the client read {written} bytes before it stopped"
    );
}

/// An 8 MB error at start-up is not read whole (nor printed): the read stops at the cap.
#[test]
fn an_8_mb_server_error_is_not_read_whole() {
    let (port, server) = serve(|s| {
        read_startup(s);
        let mut text =
            b"password authentication failed\r\nconnected   yes\n::error::forged ".to_vec();
        text.extend(std::iter::repeat_n(b'x', 8 << 20));
        let e = error_response("28P01", &text);
        let _ = s.write_all(&e);
        e.len() as u64
    });
    let (code, out, err) = test_connection(port, "text");
    server.join().unwrap();
    assert_eq!(code, 20, "{out}{err}");
    assert!(out.contains("more than 1024 KiB"), "{out}");
    assert!(out.len() + err.len() < 16 << 10, "{} bytes", out.len());
    assert_no_forged_line("8 MB error", &out);
}

/// A server's CR/LF stay inside its line, in every place a server's text is shown (an error message,
/// the version string), in both formats; a long text is cut to a bounded length and says so.
#[test]
fn server_text_stays_on_its_line_and_bounded() {
    fn long_text() -> String {
        "no\r\nconnected   yes\nverified    yes ##[error]x\r::error::forged \u{2028} ".to_string()
            + &"y".repeat(100_000)
    }
    let (port, server) = serve(|s| {
        read_startup(s);
        let e = error_response("28P01", long_text().as_bytes());
        s.write_all(&e).unwrap();
        e.len() as u64
    });
    let (code, out, err) = test_connection(port, "text");
    server.join().unwrap();
    // authentication failed: the server's message, escaped, after the tool's own words
    assert_eq!(code, 17, "{out}{err}");
    assert!(
        out.contains(
            "authentication failed for user \"u\": no\\u{d}\\u{a}connected   yes\\u{a}verified    yes ##\\u{5b}error]x\\u{d}::error::forged \\u{2028} yyy"
        ),
        "{out}"
    );
    // 512 characters shown, of the server's 100,067 bytes
    let shown: usize = long_text().chars().take(512).map(char::len_utf8).sum();
    let more = long_text().len() - shown;
    assert!(
        out.contains(&format!("… ({more} more bytes from the server, not shown)")),
        "{out}"
    );
    assert!(out.len() < 8 << 10, "{} bytes:\n{out}", out.len());
    assert_no_forged_line("error text", &out);

    for format in ["text", "json"] {
        let (port, server) = serve(|s| {
            read_startup(s);
            accept_login(s, "16.0\r\nverified    yes");
            read_message(s);
            let mut out = row_description();
            out.extend(data_row(
                b"PostgreSQL 16\r\nconnected   yes\n::warning::forged",
            ));
            out.extend(message(b'C', &cstr("SELECT 1")));
            out.extend(message(b'Z', b"I"));
            s.write_all(&out).unwrap();
            // the client's Terminate, then it closes
            let mut rest = Vec::new();
            let _ = s.read_to_end(&mut rest);
            out.len() as u64
        });
        let (code, out, err) = test_connection(port, format);
        server.join().unwrap();
        assert_eq!(code, 0, "{format}: {out}{err}");
        assert_no_forged_line(format, &out);
        assert!(
            out.contains("PostgreSQL 16\\u{d}\\u{a}connected   yes\\u{a}::warning::forged")
                || out.contains(
                    "PostgreSQL 16\\\\u{d}\\\\u{a}connected   yes\\\\u{a}::warning::forged"
                ),
            "{format}: {out}"
        );
    }
}
