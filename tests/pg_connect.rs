//! `test-connection` against real PostgreSQL servers: every sslMode against every scenario, each outcome
//! checked against libpq's documented behaviour *and* against `psql "sslmode=…"` run in the same test.
//!
//! The clusters come from `tests/pg/setup.sh` (started here, removed by `tests/pg/teardown.sh` when the
//! test ends, also on failure), or from an env file named by `ADFPG_PG_ENV` (clusters kept running
//! between runs: see README). PostgreSQL missing is a test failure that says how to install it, never a
//! silent skip.
#![cfg(feature = "test-connection")]

use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_adfpg-migrate");
const MODES: [&str; 6] = [
    "disable",
    "allow",
    "prefer",
    "require",
    "verify-ca",
    "verify-full",
];

/// The two connectors' new generations: the same settings, the same libpq-exact behaviour.
#[derive(Debug, Clone, Copy)]
enum Shape {
    Azure,
    PostgreSqlV2,
}

struct Clusters {
    env: HashMap<String, String>,
    /// Set when this test started the clusters: torn down on drop (also when a test panics).
    owned: Option<PathBuf>,
    work: tempfile::TempDir,
}

impl Drop for Clusters {
    fn drop(&mut self) {
        if let Some(dir) = &self.owned {
            let _ = Command::new("bash")
                .arg(root().join("tests/pg/teardown.sh"))
                .arg(dir)
                .status();
        }
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read_env(path: &Path) -> HashMap<String, String> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn clusters() -> Clusters {
    let work = tempfile::tempdir().unwrap();
    if let Ok(p) = std::env::var("ADFPG_PG_ENV") {
        return Clusters {
            env: read_env(Path::new(&p)),
            owned: None,
            work,
        };
    }
    // under /tmp: as root the clusters run as `postgres`, which cannot enter a private $TMPDIR
    let parent = Path::new("/tmp");
    let parent = if parent.is_dir() {
        parent.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    let dir = tempfile::Builder::new()
        .prefix("adfpg-pg-")
        .tempdir_in(parent)
        .unwrap()
        .keep();
    let out = Command::new("bash")
        .arg(root().join("tests/pg/setup.sh"))
        .arg(&dir)
        .output()
        .expect("bash runs");
    let mut c = Clusters {
        env: HashMap::new(),
        owned: Some(dir.clone()),
        work,
    };
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        drop(c);
        if out.status.code() == Some(3) {
            panic!(
                "the PostgreSQL integration test needs a local PostgreSQL server, psql and openssl, and they are \
                 missing:\n{stderr}\nRun the tests with `scripts/test`, which installs them on Debian/Ubuntu \
                 (as root or via sudo) and says what to install elsewhere; see README \"Testing against a real \
                 PostgreSQL\"."
            );
        }
        panic!("tests/pg/setup.sh failed ({}):\n{stderr}", out.status);
    }
    c.env = read_env(&dir.join("env"));
    c
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ca {
    None,
    Test,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Plain,
    Tls,
    Fail,
}

fn outcome_char(o: Outcome) -> char {
    match o {
        Outcome::Plain => 'p',
        Outcome::Tls => 't',
        Outcome::Fail => 'x',
    }
}

impl Clusters {
    fn get(&self, k: &str) -> &str {
        self.env
            .get(k)
            .unwrap_or_else(|| panic!("{k} missing from the clusters' env file"))
    }

    fn port(&self, cluster: &str) -> u16 {
        self.get(&format!("ADFPG_PG_{}_PORT", cluster.to_uppercase()))
            .parse()
            .unwrap()
    }

    fn ca_path(&self, ca: Ca) -> Option<String> {
        match ca {
            Ca::None => None,
            Ca::Test => Some(self.get("ADFPG_PG_CA").to_string()),
            Ca::Other => Some(self.get("ADFPG_PG_OTHER_CA").to_string()),
        }
    }

    /// A linked-service file in the work dir.
    fn write_ls(&self, name: &str, json: &str) -> PathBuf {
        let p = self.work.path().join(format!("{name}.json"));
        std::fs::write(&p, json).unwrap();
        p
    }

    fn v2(&self, host: &str, port: u16, db: &str, mode: u8, trust: bool) -> PathBuf {
        self.new_generation(Shape::Azure, host, port, db, mode, trust)
    }

    /// A new-generation linked service: AzurePostgreSql 2.0 (port a string, as Studio writes it) or
    /// PostgreSqlV2 (port an integer, no `version`).
    fn new_generation(
        &self,
        shape: Shape,
        host: &str,
        port: u16,
        db: &str,
        mode: u8,
        trust: bool,
    ) -> PathBuf {
        let (head, port_json) = match shape {
            Shape::Azure => (
                "\"type\": \"AzurePostgreSql\",\n\t\t\"version\": \"2.0\"",
                format!("\"{port}\""),
            ),
            Shape::PostgreSqlV2 => ("\"type\": \"PostgreSqlV2\"", port.to_string()),
        };
        self.write_ls(
            &format!("ls-{shape:?}-{host}-{port}-{db}-{mode}-{trust}"),
            &format!(
                r#"{{
	"name": "PgTest",
	"properties": {{
		{head},
		"typeProperties": {{
			"server": "{host}",
			"port": {port_json},
			"database": "{db}",
			"sslMode": {mode},
			"username": "adfpg",
			"authenticationType": "Basic",
			"trustServerCertificate": {trust}
		}}
	}}
}}"#
            ),
        )
    }

    /// Run `test-connection`: (exit code, stdout, stderr). The password is always in ADFPG_TEST_PW.
    fn run(&self, file: &Path, extra: &[&str]) -> (i32, String, String) {
        self.run_with_password(file, extra, self.get("ADFPG_PG_PASSWORD"))
    }

    fn run_with_password(&self, file: &Path, extra: &[&str], pw: &str) -> (i32, String, String) {
        let out = Command::new(BIN)
            .arg("test-connection")
            .arg(file)
            .args(extra)
            .env("ADFPG_TEST_PW", pw)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Our outcome and exit code, from the JSON report.
    #[allow(clippy::too_many_arguments)]
    fn ours(
        &self,
        shape: Shape,
        host: &str,
        port: u16,
        db: &str,
        mode: u8,
        ca: Ca,
        trust: bool,
    ) -> (Outcome, i32, Value) {
        let file = self.new_generation(shape, host, port, db, mode, trust);
        let mut args = vec![
            "--password-env",
            "ADFPG_TEST_PW",
            "--output-format",
            "json",
            "--timeout",
            "10",
        ];
        let ca_path = self.ca_path(ca);
        if let Some(p) = &ca_path {
            args.extend(["--ca-file", p.as_str()]);
        }
        let (code, stdout, stderr) = self.run(&file, &args);
        let v: Value = serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\nstderr: {stderr}"));
        assert_eq!(v["exit_code"].as_i64(), Some(i64::from(code)), "{v:#}");
        let o = if v["connected"] == Value::Bool(true) {
            if v["tls"].is_null() {
                Outcome::Plain
            } else {
                Outcome::Tls
            }
        } else {
            Outcome::Fail
        };
        (o, code, v)
    }

    /// libpq's outcome, from psql. No ~/.postgresql, no PG* variables: only what the conninfo says.
    fn psql(&self, host: &str, port: u16, db: &str, mode: &str, ca: Ca) -> (Outcome, String) {
        let root = self
            .ca_path(ca)
            .unwrap_or_else(|| self.work.path().join("no-root.crt").display().to_string());
        let conninfo = format!(
            "host={host} port={port} dbname={db} user=adfpg sslmode={mode} sslrootcert={root} connect_timeout=10"
        );
        let mut cmd = Command::new(self.get("ADFPG_PG_PSQL"));
        for (k, _) in std::env::vars() {
            if k.starts_with("PG") {
                cmd.env_remove(k);
            }
        }
        let out = cmd
            .args(["-X", "-A", "-t", "-q", "-c"])
            .arg("select ssl from pg_stat_ssl where pid = pg_backend_pid()")
            .arg(&conninfo)
            .env("PGPASSWORD", self.get("ADFPG_PG_PASSWORD"))
            .env("HOME", self.work.path())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let o = match (out.status.success(), stdout.as_str()) {
            (true, "t") => Outcome::Tls,
            (true, "f") => Outcome::Plain,
            _ => Outcome::Fail,
        };
        (o, String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

/// One row of the matrix: where to connect and what libpq does for each sslmode (`p` plain, `t` TLS,
/// `x` failure), with our exit code for each failure.
struct Row {
    label: &'static str,
    cluster: &'static str,
    host: &'static str,
    db: &'static str,
    ca: Ca,
    expect: &'static str,
    codes: [i32; 6],
}

const OK: i32 = 0;

fn matrix() -> Vec<Row> {
    let r = |label, cluster, host, db, ca, expect, codes| Row {
        label,
        cluster,
        host,
        db,
        ca,
        expect,
        codes,
    };
    vec![
        r(
            "ssl on, test CA",
            "ssl",
            "localhost",
            "sales",
            Ca::Test,
            "pptttt",
            [OK; 6],
        ),
        r(
            "ssl on, no root file",
            "ssl",
            "localhost",
            "sales",
            Ca::None,
            "ppttxx",
            [OK, OK, OK, OK, 15, 15],
        ),
        r(
            "ssl on, by IP (name mismatch)",
            "ssl",
            "127.0.0.1",
            "sales",
            Ca::Test,
            "pptttx",
            [OK, OK, OK, OK, OK, 16],
        ),
        r(
            "ssl on, wrong CA",
            "ssl",
            "localhost",
            "sales",
            Ca::Other,
            "pppxxx",
            [OK, OK, OK, 15, 15, 15],
        ),
        r(
            "hostssl only, test CA",
            "ssl",
            "localhost",
            "sslonly",
            Ca::Test,
            "xttttt",
            [13, OK, OK, OK, OK, OK],
        ),
        r(
            "hostssl only, no root file",
            "ssl",
            "localhost",
            "sslonly",
            Ca::None,
            "xtttxx",
            [13, OK, OK, OK, 15, 15],
        ),
        r(
            "hostssl only, wrong CA",
            "ssl",
            "localhost",
            "sslonly",
            Ca::Other,
            "xxxxxx",
            [13, 15, 15, 15, 15, 15],
        ),
        r(
            "hostnossl only",
            "ssl",
            "localhost",
            "plainonly",
            Ca::Test,
            "pppxxx",
            [OK, OK, OK, 14, 14, 14],
        ),
        r(
            "ssl off",
            "nossl",
            "localhost",
            "sales",
            Ca::Test,
            "pppxxx",
            [OK, OK, OK, 14, 14, 14],
        ),
        r(
            "ssl off, no root file",
            "nossl",
            "localhost",
            "sales",
            Ca::None,
            "pppxxx",
            [OK, OK, OK, 14, 14, 14],
        ),
        r(
            "certificate for wrong.example",
            "wronghost",
            "localhost",
            "sales",
            Ca::Test,
            "pptttx",
            [OK, OK, OK, OK, OK, 16],
        ),
        r(
            "certificate for wrong.example, by IP",
            "wronghost",
            "127.0.0.1",
            "sales",
            Ca::Test,
            "pptttx",
            [OK, OK, OK, OK, OK, 16],
        ),
    ]
}

/// One test, so that one set of clusters serves both parts and is torn down once, when it ends.
#[test]
fn test_connection_against_real_postgresql() {
    let c = clusters();
    every_sslmode_matches_libpq(&c);
    failure_classes_features_and_report(&c);
    key_vault_flow_on_the_example_factory(&c);
}

/// Run the binary in `dir`: (exit code, stdout, stderr).
fn run_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("ADFPG_OUTPUT_FORMAT")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn copy_tree(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &dst.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), dst.join(e.file_name())).unwrap();
        }
    }
}

/// Issue 15's whole flow on a copy of the example factory, its plaintext-password linked service
/// pointed at the test server: plan → fix with --credentials-to-key-vault → the secret the plan listed
/// (its value from --export-secrets) → test-connection --password-env on the migrated file.
fn key_vault_flow_on_the_example_factory(c: &Clusters) {
    let pw = c.get("ADFPG_PG_PASSWORD").to_string();
    let factory = c.work.path().join("factory");
    copy_tree(&root().join("fixtures/example-factory"), &factory);
    let ls = factory.join("linkedService/PgPlainPassword.json");
    let text = std::fs::read_to_string(&ls).unwrap().replace(
        "Host=pg-report.postgres.database.azure.com;Database=report;Port=5432;UID=reporter;Password=Report-Pa55",
        &format!("Host=localhost;Database=sales;Port={};UID=adfpg;Password={pw}", c.port("ssl")),
    );
    assert!(
        text.contains("Host=localhost"),
        "the example's connection string changed: {text}"
    );
    std::fs::write(&ls, text).unwrap();
    let kv = ["--credentials-to-key-vault", "KeyVault"];

    let (code, plan, err) = run_in(&factory, &["plan", ".", kv[0], kv[1]]);
    assert_eq!(code, 0, "{err}");
    assert!(
        plan.contains("PgPlainPassword-password in vault linked service `KeyVault`: used by `PgPlainPassword`; the value is plaintext in the repository"),
        "{plan}"
    );
    let az =
        "az keyvault secret set --vault-name example-kv --name PgPlainPassword-password --file";
    assert!(plan.contains(az), "{plan}");

    let export = c.work.path().join("exported-secrets.json");
    let e = export.to_str().unwrap();
    let (code, fixed, err) = run_in(
        &factory,
        &[
            "--fix",
            kv[0],
            kv[1],
            "--export-secrets",
            e,
            "--output-format",
            "concise",
            ".",
        ],
    );
    assert!(code < 2, "{err}\n{fixed}");
    assert!(
        fixed.contains(az),
        "the --fix summary lists the secret: {fixed}"
    );
    for text in [&plan, &fixed, &err] {
        assert!(
            !text.contains(&pw),
            "the password reached the output:\n{text}"
        );
    }
    let migrated = std::fs::read_to_string(&ls).unwrap();
    assert!(!migrated.contains(&pw), "{migrated}");
    let v: Value = serde_json::from_str(&migrated).unwrap();
    assert_eq!(v["properties"]["version"], "2.0");
    assert_eq!(
        v["properties"]["typeProperties"]["password"],
        serde_json::json!({"type": "AzureKeyVaultSecret", "store": {"referenceName": "KeyVault", "type": "LinkedServiceReference"}, "secretName": "PgPlainPassword-password"})
    );

    // the secret the operator uploads, from the export file
    let exported: Value = serde_json::from_str(&std::fs::read_to_string(&export).unwrap()).unwrap();
    let secret = exported["PgPlainPassword-password"].as_str().unwrap();
    assert_eq!(secret, pw);
    let ca = c.get("ADFPG_PG_CA").to_string();
    let (code, out, err) = c.run_with_password(
        &ls,
        &[
            "--password-env",
            "ADFPG_TEST_PW",
            "--ca-file",
            &ca,
            "--output-format",
            "json",
            "--timeout",
            "10",
        ],
        secret,
    );
    let report: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["connected"], Value::Bool(true), "{report:#}");
    assert!(!out.contains(&pw) && !err.contains(&pw));
}

fn every_sslmode_matches_libpq(c: &Clusters) {
    for shape in [Shape::Azure, Shape::PostgreSqlV2] {
        sslmodes_match_libpq(c, shape);
    }
}

fn sslmodes_match_libpq(c: &Clusters, shape: Shape) {
    let mut problems = Vec::new();
    let mut table = String::new();
    for row in matrix() {
        let port = c.port(row.cluster);
        let mut ours_line = String::new();
        let mut psql_line = String::new();
        for (i, mode) in MODES.iter().enumerate() {
            let (o, code, v) = c.ours(shape, row.host, port, row.db, i as u8, row.ca, false);
            let (p, psql_err) = c.psql(row.host, port, row.db, mode, row.ca);
            ours_line.push(outcome_char(o));
            psql_line.push(outcome_char(p));
            let want = row.expect.as_bytes()[i] as char;
            if outcome_char(o) != want || o != p {
                problems.push(format!(
                    "{shape:?} {} / sslmode={mode}: libpq should give {want}, psql gave {} ({psql_err}), we gave {} (exit {code}: {})",
                    row.label,
                    outcome_char(p),
                    outcome_char(o),
                    v["error"]["message"]
                ));
            } else if code != row.codes[i] {
                problems.push(format!(
                    "{shape:?} {} / sslmode={mode}: exit code {code}, expected {} ({})",
                    row.label, row.codes[i], v["error"]["message"]
                ));
            }
        }
        table.push_str(&format!(
            "{:<40} expected {}  psql {}  ours {}\n",
            row.label, row.expect, psql_line, ours_line
        ));
    }
    eprintln!("{table}");
    assert!(problems.is_empty(), "{table}\n{}", problems.join("\n"));

    // trustServerCertificate (an ADF setting libpq does not have): nothing is verified, TLS still used
    let port = c.port("ssl");
    for (i, want) in "pptttt".chars().enumerate() {
        let (o, code, v) = c.ours(shape, "127.0.0.1", port, "sales", i as u8, Ca::Other, true);
        assert_eq!(
            outcome_char(o),
            want,
            "{shape:?} trustServerCertificate, sslMode {i}: {v:#}"
        );
        assert_eq!(code, 0);
        if o == Outcome::Tls {
            assert_eq!(v["tls"]["verified"], Value::Bool(false), "{v:#}");
            let why = v["tls"]["verification"].as_str().unwrap();
            assert!(why.contains("trustServerCertificate is true"), "{why}");
            assert!(
                why.contains("does NOT verify") && why.contains("does NOT match"),
                "{why}"
            );
        }
    }
}

fn failure_classes_features_and_report(c: &Clusters) {
    let ssl = c.port("ssl");
    let ca = c.get("ADFPG_PG_CA").to_string();
    let pw = ["--password-env", "ADFPG_TEST_PW"];

    // text report of a verified TLS connection
    let f = c.v2("localhost", ssl, "sales", 5, false);
    let (code, out, err) = c.run(&f, &[&pw[..], &["--ca-file", &ca]].concat());
    assert_eq!(code, 0, "{out}{err}");
    for needle in [
        "connected   yes",
        "TLS         TLSv1.",
        "verified    yes: chain verified against --ca-file",
        "and host name \"localhost\" matches",
        "server      PostgreSQL 15",
        "round trip  ",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in:\n{out}");
    }

    // authentication failed, database does not exist, refused, name resolution, timeout
    let (code, out, _) = c.run_with_password(&f, &[&pw[..], &["--ca-file", &ca]].concat(), "wrong");
    assert_eq!(code, 17, "{out}");
    assert!(out.contains("error[authentication-failed]"), "{out}");
    let (code, out, _) = c.run(&c.v2("localhost", ssl, "nosuchdb", 3, false), &pw);
    assert_eq!(code, 18, "{out}");
    assert!(
        out.contains("database \"nosuchdb\" does not exist"),
        "{out}"
    );
    let closed: u16 = c.get("ADFPG_PG_CLOSED_PORT").parse().unwrap();
    let (code, out, _) = c.run(&c.v2("127.0.0.1", closed, "sales", 2, false), &pw);
    assert_eq!(code, 11, "{out}");
    let (code, out, _) = c.run(
        &c.v2("no-such-host.invalid", 5432, "sales", 2, false),
        &[&pw[..], &["--timeout", "10"]].concat(),
    );
    assert_eq!(code, 10, "{out}");
    assert!(out.contains("could not resolve host name"), "{out}");
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let (code, out, _) = c.run(
        &c.v2("127.0.0.1", silent_port, "sales", 3, false),
        &[&pw[..], &["--timeout", "1"]].concat(),
    );
    assert_eq!(code, 12, "{out}");
    drop(silent);

    // a 1.0 file: the 1.0 driver's "no encryption" is refused by a TLS-only database; as migrated (prefer) it connects
    let v1 = c.write_ls(
        "v1",
        &format!(
            r#"{{"name":"PgOld","properties":{{"type":"AzurePostgreSql","typeProperties":{{
                "connectionString":"host=localhost;port={ssl};database=sslonly;uid=adfpg;encryptionmethod=0"}}}}}}"#
        ),
    );
    let (code, out, _) = c.run(&v1, &pw);
    assert_eq!(code, 13, "{out}");
    assert!(out.contains("error[server-requires-tls]"), "{out}");
    assert!(out.contains("tested as sslmode disable"), "{out}");
    let (code, out, _) = c.run(&v1, &[&pw[..], &["--as-migrated"]].concat());
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("as migrated to 2.0") && out.contains("sslMode   2 (Prefer"),
        "{out}"
    );
    assert!(out.contains("connected with TLS"), "{out}");

    // a legacy PostgreSql file, tested as the DataDirect driver meant it and as migrated to PostgreSqlV2
    // (rules/ADFPG060.toml: EncryptionMethod 0 -> sslMode 0, 1 -> 3 with trustServerCertificate, 1 with
    // ValidateServerCertificate=1 -> 4)
    let legacy = |name: &str, options: &str| {
        c.write_ls(
            name,
            &format!(
                r#"{{"name":"PgLegacy","properties":{{"type":"PostgreSql","typeProperties":{{
                "connectionString":"host=localhost;port={ssl};database=sslonly;uid=adfpg;{options}"}}}}}}"#
            ),
        )
    };
    let plain = legacy("legacy-plain", "encryptionmethod=0");
    let (code, out, _) = c.run(&plain, &pw);
    assert_eq!(code, 13, "{out}");
    assert!(out.contains("legacy PostgreSql connection string"), "{out}");
    assert!(out.contains("tested as sslmode disable"), "{out}");
    // no TLS change unasked: migrated, it still does not encrypt, so the TLS-only database still refuses it
    let (code, out, _) = c.run(&plain, &[&pw[..], &["--as-migrated"]].concat());
    assert_eq!(code, 13, "{out}");
    assert!(
        out.contains("as migrated to PostgreSqlV2") && out.contains("sslMode   0 (Disable"),
        "{out}"
    );
    let tls = legacy(
        "legacy-tls",
        "EncryptionMethod=1;ValidateServerCertificate=0",
    );
    let (code, out, _) = c.run(&tls, &pw);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("tested as sslmode require"), "{out}");
    let (code, out, _) = c.run(
        &tls,
        &[&pw[..], &["--as-migrated", "--output-format", "json"]].concat(),
    );
    assert_eq!(code, 0, "{out}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["connected"], Value::Bool(true), "{v:#}");
    assert_eq!(v["tls"]["verified"], Value::Bool(false), "{v:#}");
    assert!(
        v["tls"]["verification"]
            .as_str()
            .unwrap()
            .contains("trustServerCertificate is true"),
        "{v:#}"
    );
    let validated = legacy("legacy-ca", "EM=1;VSC=1");
    let (code, out, _) = c.run(
        &validated,
        &[&pw[..], &["--as-migrated", "--ca-file", &ca]].concat(),
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("sslMode   4 (VerifyCA")
            && out.contains("verified    yes: chain verified against --ca-file"),
        "{out}"
    );
    // EncryptionMethod=6 with validation has no sslMode: --as-migrated says why instead of guessing
    let held = legacy(
        "legacy-held",
        "EncryptionMethod=6;ValidateServerCertificate=1",
    );
    let (code, _, err) = c.run(&held, &[&pw[..], &["--as-migrated"]].concat());
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("cannot be migrated") && err.contains("no equivalent sslMode"),
        "{err}"
    );

    // parameters and host override
    let param = c.write_ls(
        "param",
        r#"{"name":"PgParam","properties":{"type":"AzurePostgreSql","version":"2.0",
            "parameters":{"Db":{"type":"String"}},
            "typeProperties":{"server":"pg.example.invalid","port":"1","database":"@{linkedService().Db}",
            "sslMode":4,"username":"adfpg","authenticationType":"Basic"}}}"#,
    );
    let (code, _, err) = c.run(&param, &pw);
    assert_eq!(code, 2);
    assert!(
        err.contains("`Db` (used in database)") && err.contains("--param Db=VALUE"),
        "{err}"
    );
    let over = format!("localhost:{ssl}");
    let (code, out, err) = c.run(
        &param,
        &[
            &pw[..],
            &[
                "--param",
                "Db=sales",
                "--host-override",
                &over,
                "--ca-file",
                &ca,
            ],
        ]
        .concat(),
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("--host-override: connecting to localhost:"),
        "{out}"
    );

    // secrets: a Key Vault password without --password-env and without a terminal fails clearly
    let kv = c.write_ls(
        "kv",
        &format!(
            r#"{{"name":"PgKv","properties":{{"type":"AzurePostgreSql","version":"2.0","typeProperties":{{
            "server":"localhost","port":"{ssl}","database":"sales","sslMode":3,"username":"adfpg",
            "authenticationType":"Basic","password":{{"type":"AzureKeyVaultSecret",
            "store":{{"referenceName":"KV","type":"LinkedServiceReference"}},"secretName":"pg-pw"}}}}}}}}"#
        ),
    );
    let (code, _, err) = c.run(&kv, &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("supply the secret via --password-env"),
        "{err}"
    );
    let (code, _, err) = c.run(&kv, &["--password-env", "ADFPG_NO_SUCH_VARIABLE"]);
    assert_eq!(code, 2);
    assert!(err.contains("is not set"), "{err}");
    let (code, out, err) = c.run(&kv, &pw);
    assert_eq!(code, 0, "{out}{err}");
    // the password never appears in the report
    assert!(!out.contains(c.get("ADFPG_PG_PASSWORD")));

    // Entra: the token from the environment is sent as the password
    let sp = std::fs::read_to_string(&kv)
        .unwrap()
        .replace("\"Basic\"", "\"ServicePrincipal\"");
    let sp = c.write_ls("sp", &sp);
    let (code, _, err) = c.run(&sp, &[]);
    assert_eq!(code, 2);
    assert!(err.contains("Microsoft Entra access token"), "{err}");
    let (code, out, err) = c.run(&sp, &pw);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("ServicePrincipal (Entra token as password)"),
        "{out}"
    );
}
