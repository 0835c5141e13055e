//! Property tests (issue 5, the part of fuzzing CI runs): the connection-string parser, the located-JSON
//! loader and the fix pipeline, on generated input, in bounded time (a few seconds each in a debug build).
//! Longer, coverage-guided runs: `fuzz/` (see README, "Fuzzing").

use adfpg_migrate::connstr::{self, Key};
use adfpg_migrate::document::Document;
use adfpg_migrate::json::{self, Kind, Node};
use adfpg_migrate::lint::{FixMode, Settings, fix_bytes};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        // regressions are kept as named tests here, not in side files
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---------- connection strings ----------

/// Text heavy in the characters the parser cares about.
fn connstr_text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,120}",
        "[a-zA-Z =;'\"@{}()\\\\,.]{0,120}",
        prop::collection::vec(
            prop_oneof![
                Just("host".to_string()),
                Just("Password".into()),
                Just("User Id".into()),
                Just("=".into()),
                Just(";".into()),
                Just("'".into()),
                Just("\"".into()),
                Just("@{".into()),
                Just("}".into()),
                Just("''".into()),
                Just(" ".into()),
                "[a-zé0-9]{1,4}",
            ],
            0..40
        )
        .prop_map(|v| v.concat()),
    ]
}

/// A value and the way it is written: bare (when it can be), or quoted with `'` or `"`.
fn quoted_value() -> impl Strategy<Value = (String, String)> {
    ("[a-zA-Z0-9;'\"= @{}é]{1,16}", 0..3u8).prop_map(|(v, q)| {
        let bare_ok =
            !v.contains([';', '\'', '"']) && v.trim() == v && !v.contains("@{") && !v.is_empty();
        let written = match q {
            0 if bare_ok => v.clone(),
            0 | 1 => format!("'{}'", v.replace('\'', "''")),
            _ => format!("\"{}\"", v.replace('"', "\"\"")),
        };
        (v, written)
    })
}

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn connstr_parse_never_panics_and_spans_are_in_bounds(s in connstr_text()) {
        let c = connstr::parse(&s);
        for p in &c.pairs {
            prop_assert!(s.get(p.key_span.clone()).is_some(), "key span {:?}", p.key_span);
            prop_assert!(s.get(p.value_span.clone()).is_some(), "value span {:?}", p.value_span);
            prop_assert_eq!(&s[p.key_span.clone()], p.key.as_str());
        }
        for j in &c.junk {
            prop_assert!(s.get(j.clone()).is_some());
        }
    }
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn connstr_quoted_values_round_trip(
        (password, written) in quoted_value(),
        (user, user_written) in quoted_value(),
        key in prop_oneof![Just("Password"), Just("pwd"), Just("PASSWORD")],
        spaces in prop_oneof![Just(""), Just(" ")],
    ) {
        let s = format!(
            "host=h;User Id{spaces}={spaces}{user_written};{key}={written}{spaces};port=5432"
        );
        let c = connstr::parse(&s);
        prop_assert_eq!(c.value(Key::Password), Some(password.as_str()), "{}", s);
        prop_assert_eq!(c.value(Key::Username), Some(user.as_str()), "{}", s);
        prop_assert_eq!(c.value(Key::Server), Some("h"));
        prop_assert_eq!(c.value(Key::Port), Some("5432"), "{}", s);
        let pw = c.get(Key::Password).unwrap();
        prop_assert_eq!(&s[pw.value_span.clone()], written.as_str());
    }
}

// ---------- located JSON ----------

fn check_spans(text: &str, n: &Node) -> Result<(), TestCaseError> {
    prop_assert!(text.is_char_boundary(n.span.start) && text.is_char_boundary(n.span.end));
    prop_assert!(n.span.start <= n.span.end && n.span.end <= text.len());
    // every value's span re-parses, alone, to the same value
    let alone = json::parse(&text[n.span.clone()]).map_err(|e| TestCaseError::fail(e.message))?;
    prop_assert_eq!(alone.to_value(), n.to_value());
    match &n.kind {
        Kind::Object(members) => {
            for m in members {
                let k = &text[m.key_span.clone()];
                prop_assert!(k.starts_with('"') && k.ends_with('"') && k.len() >= 2);
                prop_assert_eq!(serde_json::from_str::<String>(k).unwrap(), m.key.clone());
                check_spans(text, &m.value)?;
            }
        }
        Kind::Array(items) => {
            for i in items {
                check_spans(text, i)?;
            }
        }
        Kind::String { value, .. } => {
            let raw = &text[n.span.clone()];
            prop_assert_eq!(json::string_offsets(raw).len(), value.len() + 1);
        }
        _ => {}
    }
    Ok(())
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        (-1e300f64..1e300).prop_map(|f| json!(f)),
        ".{0,12}".prop_map(Value::String),
        "[\\u{0}-\\u{1f}\"\\\\/\\u{7f}-\\u{a0}\\u{2028}\\u{fffd}\\u{1f600}]{0,6}"
            .prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((".{0,6}", inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

proptest! {
    #![proptest_config(config(1500))]

    #[test]
    fn json_parse_never_panics_on_strings(s in ".{0,200}") {
        if let Ok(n) = json::parse(&s) {
            check_spans(&s, &n)?;
        }
    }

    #[test]
    fn json_load_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(doc) = Document::decode(bytes)
            && let Ok(n) = doc.parse()
        {
            check_spans(&doc.text, &n)?;
        }
    }

    #[test]
    fn json_parse_never_panics_on_near_json(s in "[\\[\\]{}\",:0-9eE.+\\-tfrunlase \\n\\\\u]{0,120}") {
        let ours = json::parse(&s);
        // strict JSON: we accept exactly what serde_json accepts (no duplicate keys can arise here
        // that would matter, and depth stays under the limit)
        let theirs = serde_json::from_str::<Value>(&s);
        prop_assert_eq!(ours.is_ok(), theirs.is_ok(), "{:?} {:?}", ours, theirs);
        if let Ok(n) = ours {
            check_spans(&s, &n)?;
        }
    }
}

proptest! {
    #![proptest_config(config(500))]

    #[test]
    fn valid_json_parses_to_serde_json_values(v in any_json(), pretty in any::<bool>(), bom in any::<bool>()) {
        let mut text = if pretty { serde_json::to_string_pretty(&v) } else { serde_json::to_string(&v) }.unwrap();
        if bom {
            text.insert(0, '\u{feff}');
        }
        let doc = Document::decode(text.clone().into_bytes()).unwrap();
        let n = doc.parse().map_err(|e| TestCaseError::fail(format!("{e:?} on {text}")))?;
        prop_assert_eq!(n.to_value(), serde_json::from_str::<Value>(&text[doc.body_start..]).unwrap());
        check_spans(&text, &n)?;
    }
}

// ---------- the fix pipeline ----------

/// A generated 1.0 linked service: its text, and what the migration must carry over.
#[derive(Debug, Clone)]
struct V1 {
    text: String,
    host: String,
    database: Option<String>,
    user: Option<String>,
    password: Option<String>,
    /// The port the string gives (the 2.0 default 5432 when it gives none), as Studio writes it: a string.
    port: String,
    /// The 2.0 sslMode the 1.0 settings mean (the connector's mapping, before any hardening fix).
    ssl_mode: u8,
}

#[derive(Debug, Clone)]
struct Layout {
    indent: Option<&'static [u8]>, // None: one line, compact
    crlf: bool,
    bom: bool,
    final_newline: bool,
}

fn layout() -> impl Strategy<Value = Layout> {
    (
        prop_oneof![
            Just(None),
            Just(Some(&b"\t"[..])),
            Just(Some(&b"  "[..])),
            Just(Some(&b"    "[..]))
        ],
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(indent, crlf, bom, final_newline)| Layout {
            indent,
            crlf,
            bom,
            final_newline,
        })
}

fn render(v: &Value, l: &Layout) -> String {
    let mut text = match l.indent {
        None => serde_json::to_string(v).unwrap(),
        Some(indent) => {
            let mut out = Vec::new();
            let fmt = serde_json::ser::PrettyFormatter::with_indent(indent);
            let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
            serde::Serialize::serialize(v, &mut ser).unwrap();
            String::from_utf8(out).unwrap()
        }
    };
    if l.crlf {
        text = text.replace('\n', "\r\n");
    }
    if l.final_newline {
        text.push_str(if l.crlf { "\r\n" } else { "\n" });
    }
    if l.bom {
        text.insert(0, '\u{feff}');
    }
    text
}

/// Members in a generated order.
fn ordered(members: Vec<(&str, Value)>, order: &[usize]) -> Value {
    let mut idx: Vec<usize> = (0..members.len()).collect();
    idx.sort_by_key(|i| order.get(*i).copied().unwrap_or(0));
    let mut map = Map::new();
    for i in idx {
        map.insert(members[i].0.to_string(), members[i].1.clone());
    }
    Value::Object(map)
}

fn v1_linked_service() -> impl Strategy<Value = V1> {
    let host = "[a-z][a-z0-9]{0,7}".prop_map(|h| format!("{h}.postgres.database.azure.com"));
    // always a database: without one the migration is held back (2.0 requires it; see migration_truth.rs)
    let db = prop_oneof!["[a-z_]{1,8}", Just("@{linkedService().db}".to_string())].prop_map(Some);
    // a user name and a credential (in the string or in encryptedCredential) always: the 2.0 definition
    // needs both, so the fix gate holds back a migration without them (see migration_truth.rs)
    let user = ("[a-z]{1,6}", any::<bool>()).prop_map(Some);
    let password = prop::option::of(quoted_value());
    // the 1.0 SSL settings and the sslMode they mean: SSL Mode by name; else EncryptionMethod 0 (the
    // default) or 6 → Prefer, 1 → Require, with certificate validation VerifyCA, and with the host name
    // checked too VerifyFull
    let ssl = prop_oneof![
        Just((None, 2)),
        Just((Some("sslmode=Require"), 3)),
        Just((Some("SSL Mode=VerifyFull"), 5)),
        Just((Some("SSL Mode=Disable"), 0)),
        Just((Some("SslMode=allow"), 1)),
        Just((Some("SSL Mode=Prefer"), 2)),
        Just((Some("sslmode=verify-ca"), 4)),
        Just((Some("encryptionmethod=0"), 2)),
        Just((Some("EncryptionMethod=1"), 3)),
        Just((Some("EncryptionMethod=6"), 2)),
        Just((Some("EncryptionMethod=1;ValidateServerCertificate=1"), 4)),
        Just((Some("EncryptionMethod=1;ValidateServerCertificate=0"), 3)),
        Just((Some("EM=6;VSC=1"), 2)),
        Just((
            Some(
                "EncryptionMethod=1;ValidateServerCertificate=1;HostNameInCertificate=*.postgres.database.azure.com"
            ),
            5
        )),
    ];
    let port = prop_oneof![
        Just(None),
        Just(Some("5432")),
        Just(Some("6432")),
        Just(Some("@{linkedService().port}")),
    ];
    let extras = (
        port,
        any::<bool>(),                            // SecureString wrapper
        any::<bool>(),                            // encryptedCredential
        any::<bool>(),                            // "version": "1.0"
        any::<bool>(),                            // annotations/description/connectVia/parameters
        prop::collection::vec(any::<usize>(), 8), // member orders
        prop::collection::vec(any::<usize>(), 8),
        prop::collection::vec(any::<usize>(), 8),
    );
    (host, db, user, password, ssl, extras, layout()).prop_map(
        |(host, database, user, password, ssl, extras, layout)| {
            let (port, secure, enc, version, decor, o1, o2, o3) = extras;
            let (ssl, ssl_mode) = ssl;
            let label = host.split('.').next().unwrap().to_string();
            let mut pairs = vec![format!("host={host}")];
            if let Some(p) = port {
                pairs.push(format!("port={p}"));
            }
            if let Some(d) = &database {
                pairs.push(format!("database={d}"));
            }
            let mut expected_user = None;
            if let Some((u, at_server)) = &user {
                pairs.push(if *at_server {
                    format!("uid={u}@{label}")
                } else {
                    format!("User Id={u}")
                });
                expected_user = Some(u.clone());
            }
            if let Some((_, written)) = &password {
                pairs.push(format!("Password={written}"));
            }
            if let Some(s) = ssl {
                pairs.push(s.into());
            }
            // pair order varies too, host first or not
            let mut order: Vec<usize> = (0..pairs.len()).collect();
            order.sort_by_key(|i| o3[i % o3.len()].wrapping_mul(*i + 1));
            let cs: Vec<String> = order.iter().map(|i| pairs[*i].clone()).collect();
            let cs = cs.join(";");
            let cs_value = if secure {
                json!({"type": "SecureString", "value": cs})
            } else {
                Value::String(cs)
            };
            let mut tp = vec![("connectionString", cs_value)];
            if enc || password.is_none() {
                tp.push(("encryptedCredential", json!("ZW5jcnlwdGVk")));
            }
            let mut props = vec![
                ("type", json!("AzurePostgreSql")),
                ("typeProperties", ordered(tp, &o2)),
            ];
            if version {
                props.push(("version", json!("1.0")));
            }
            if decor {
                props.push(("annotations", json!(["a", {"b": 1}])));
                props.push(("description", json!("d \"q\" é @{x}")));
                props.push((
                    "connectVia",
                    json!({"referenceName": "ir", "type": "IntegrationRuntimeReference"}),
                ));
                props.push((
                    "parameters",
                    json!({"db": {"type": "String", "defaultValue": "x"}}),
                ));
            }
            let top = vec![
                ("name", json!("pg")),
                ("properties", ordered(props, &o1)),
                (
                    "type",
                    json!("Microsoft.DataFactory/factories/linkedservices"),
                ),
            ];
            let v = ordered(top, &o1[3..]);
            V1 {
                text: render(&v, &layout),
                host,
                database,
                user: expected_user,
                password: password.map(|(p, _)| p),
                port: port.unwrap_or("5432").to_string(),
                ssl_mode,
            }
        },
    )
}

fn settings(unsafe_fixes: bool) -> Settings {
    let mut s = Settings::builtin();
    s.fix = FixMode::Apply { unsafe_fixes };
    s.unsafe_fixes = unsafe_fixes;
    s
}

/// The same without the rules whose (unsafe) fixes raise sslMode to 5, so the migrated sslMode shows.
fn settings_without_hardening(unsafe_fixes: bool) -> Settings {
    let mut s = settings(unsafe_fixes);
    s.policy
        .disabled
        .extend(["ADFPG004".into(), "ADFPG005".into()]);
    s
}

/// The byte ranges of `text` the migration may rewrite: the `version` value (or the point after the
/// `type` value where it is inserted) and the `connectionString` member.
fn editable(text: &str) -> Vec<std::ops::Range<usize>> {
    let doc = Document::decode(text.as_bytes().to_vec()).unwrap();
    let root = doc.parse().unwrap();
    let props = root.get("properties").unwrap();
    let first = match props.member("version") {
        Some(v) => v.value.span.clone(),
        None => {
            let end = props.get("type").unwrap().span.end;
            end..end
        }
    };
    let cs = props
        .get("typeProperties")
        .unwrap()
        .member("connectionString")
        .unwrap()
        .span();
    let mut r = vec![first, cs];
    r.sort_by_key(|r| r.start);
    r
}

proptest! {
    #![proptest_config(config(400))]

    #[test]
    fn fix_reparses_is_idempotent_and_keeps_every_other_byte(
        ls in v1_linked_service(),
        unsafe_fixes in any::<bool>(),
        harden in any::<bool>(),
    ) {
        let s = if harden { settings(unsafe_fixes) } else { settings_without_hardening(unsafe_fixes) };
        let out = fix_bytes(ls.text.clone().into_bytes(), &s).map_err(TestCaseError::fail)?;
        // the migration is unsafe exactly when the password is only in encryptedCredential (Studio
        // re-encrypts it on upgrade): held back without --unsafe-fixes, written with it
        let needs_unsafe = ls.password.is_none();
        let Some(out) = out else {
            prop_assert!(!unsafe_fixes && needs_unsafe, "nothing fixed:\n{}", ls.text);
            let with_unsafe = fix_bytes(ls.text.clone().into_bytes(), &settings(true));
            prop_assert!(matches!(with_unsafe, Ok(Some(_))), "{:?}\n{}", with_unsafe, ls.text);
            return Ok(());
        };
        prop_assert!(unsafe_fixes || !needs_unsafe, "an unsafe migration written by --fix:\n{}", out);
        // re-parses, for us and for serde_json
        let doc = Document::decode(out.clone().into_bytes()).unwrap();
        doc.parse().map_err(|e| TestCaseError::fail(format!("{e:?}\n{out}")))?;
        let v: Value = serde_json::from_str(&out[doc.body_start..]).unwrap();
        // idempotent
        prop_assert_eq!(fix_bytes(out.clone().into_bytes(), &s), Ok(None), "second fix changed:\n{}", out);
        // every byte outside the edited regions is kept, in order
        let regions = editable(&ls.text);
        let (a, b, c) = (
            &ls.text[..regions[0].start],
            &ls.text[regions[0].end..regions[1].start],
            &ls.text[regions[1].end..],
        );
        prop_assert!(out.starts_with(a) && out.ends_with(c), "prefix/suffix changed:\n{}\n---\n{}", ls.text, out);
        let middle = &out[a.len()..out.len() - c.len()];
        prop_assert!(middle.contains(b), "middle changed:\n{}\n---\n{}", ls.text, out);
        // no bare LF in a CRLF file
        if ls.text.contains("\r\n") {
            prop_assert_eq!(out.matches('\n').count(), out.matches("\r\n").count());
        }
        // and the values made it across
        let p = &v["properties"];
        prop_assert_eq!(&p["version"], "2.0");
        let tp = &p["typeProperties"];
        prop_assert!(tp.get("connectionString").is_none());
        prop_assert_eq!(tp["server"].as_str(), Some(ls.host.as_str()));
        prop_assert_eq!(tp["database"].as_str(), ls.database.as_deref());
        prop_assert_eq!(tp["username"].as_str(), ls.user.as_deref());
        prop_assert_eq!(tp["port"].as_str(), Some(ls.port.as_str()));
        prop_assert_eq!(&tp["authenticationType"], "Basic");
        // the hardening rules' raise to 5 is display-only (applied only when made fixable), so with
        // them on or off the sslMode is the one the 1.0 settings mean
        prop_assert_eq!(tp["sslMode"].as_u64(), Some(u64::from(ls.ssl_mode)), "{}", out);
        match &ls.password {
            Some(pw) => prop_assert_eq!(
                &tp["password"],
                &json!({"type": "SecureString", "value": pw})
            ),
            None => prop_assert!(tp.get("password").is_none()),
        }
        // every property written is one of these, and nothing else is
        let mut expected = vec!["server", "port", "database", "sslMode", "username", "authenticationType"];
        if ls.password.is_some() {
            expected.push("password");
        }
        if ls.text.contains("encryptedCredential") {
            prop_assert_eq!(&tp["encryptedCredential"], "ZW5jcnlwdGVk");
            expected.push("encryptedCredential");
        }
        let mut written: Vec<&str> = tp.as_object().unwrap().keys().map(String::as_str).collect();
        written.sort_unstable();
        expected.sort_unstable();
        prop_assert_eq!(written, expected, "{}", out);
    }

    #[test]
    fn fix_never_panics_and_its_output_is_stable_on_mutated_files(
        ls in v1_linked_service(),
        cut in any::<prop::sample::Index>(),
        junk in "[\\[\\]{}\",:0-9a-z \\n]{0,3}",
    ) {
        // a generated file with a few bytes replaced: mostly invalid, sometimes oddly valid
        let mut text = ls.text.clone();
        let mut at = cut.index(text.len());
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let end = (at + junk.len()).min(text.len());
        let end = (end..=text.len()).find(|e| text.is_char_boundary(*e)).unwrap();
        text.replace_range(at..end, &junk);
        let s = settings(true);
        if let Ok(Some(out)) = fix_bytes(text.into_bytes(), &s) {
            serde_json::from_str::<Value>(out.trim_start_matches('\u{feff}'))
                .map_err(|e| TestCaseError::fail(format!("{e}: {out}")))?;
            prop_assert_eq!(fix_bytes(out.into_bytes(), &s), Ok(None));
        }
    }
}

/// The generator is not vacuous: every generated file is migrated (with --unsafe-fixes), and each layout
/// and quoting form is drawn often.
#[test]
fn generated_files_are_all_migrated_in_every_layout() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = v1_linked_service();
    let (mut fixed, mut crlf, mut tabs, mut bom, mut compact, mut secure, mut quoted) =
        (0, 0, 0, 0, 0, 0, 0);
    for _ in 0..200 {
        let ls = strategy.new_tree(&mut runner).unwrap().current();
        if fix_bytes(ls.text.clone().into_bytes(), &settings(true))
            .unwrap()
            .is_some()
        {
            fixed += 1;
        }
        crlf += usize::from(ls.text.contains("\r\n"));
        tabs += usize::from(ls.text.contains("\n\t"));
        bom += usize::from(ls.text.starts_with('\u{feff}'));
        compact += usize::from(!ls.text.trim_end().contains('\n'));
        secure += usize::from(ls.text.contains("SecureString"));
        quoted += usize::from(ls.text.contains("Password='") || ls.text.contains("Password=\\\""));
    }
    assert_eq!(
        fixed, 200,
        "every generated 1.0 file is migrated with --unsafe-fixes"
    );
    for (what, n) in [
        ("crlf", crlf),
        ("tabs", tabs),
        ("bom", bom),
        ("compact", compact),
        ("secure", secure),
        ("quoted", quoted),
    ] {
        assert!(n >= 20, "{what}: {n}/200");
    }
}
