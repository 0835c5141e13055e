//! Issue 29, section 2: one sanitiser for every line that leaves the process, checked against the CI
//! runners' own parsing rules rather than against the tool's idea of them.
//!
//! The rules, from the runners' sources:
//! - GitHub Actions runner (`actions/runner`, `src/Runner.Common/ActionCommand.cs`): `TryParseV2` takes
//!   a line as a command when, after `TrimStart()` (every `char.IsWhiteSpace`), it starts with `::` and
//!   holds another `::`; the legacy `TryParse` when it holds `##[` anywhere with a `]` after it.
//! - Azure Pipelines agent (`microsoft/azure-pipelines-agent`, `Command.TryParse`): a line holding
//!   `##vso[` anywhere with a `]` after it.
//! - Both read output with .NET's `ReadLine` (a line ends at LF, CR or CRLF), and .NET's default string
//!   comparisons are culture-sensitive: ignorable characters (zero-width ones, the soft hyphen, the word
//!   joiner …) count as absent, so the models delete them before matching. U+2028, U+2029 and NEL end a
//!   line here too (log viewers break lines there), the stricter reading.
//!
//! Every output of every format and subcommand (and stderr) is read through both models: the only
//! commands either obeys are the tool's own annotations, one per line that starts with the format's
//! own prefix.

mod common;
mod shapes;
use common::*;
use shapes::*;
use std::fs;
use std::path::Path;

/// Unicode's Default_Ignorable_Code_Point ranges (DerivedCoreProperties.txt), which ICU collation, and
/// so .NET's culture-sensitive `IndexOf`/`StartsWith`, passes over.
fn ignorable(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}'
        | '\u{FFF0}'..='\u{FFF8}' | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0000}'..='\u{E0FFF}')
}

/// The lines a runner reads from an output, ignorable characters removed.
fn runner_lines(out: &str) -> Vec<String> {
    out.split(['\n', '\r', '\u{2028}', '\u{2029}', '\u{85}'])
        .map(|l| l.chars().filter(|c| !ignorable(*c)).collect())
        .collect()
}

/// The lines GitHub's runner obeys as commands.
fn github_commands(out: &str) -> Vec<String> {
    runner_lines(out)
        .into_iter()
        .filter(|l| {
            let t = l.trim_start();
            let v2 = t.starts_with("::") && t[2..].contains("::");
            let legacy = l.find("##[").is_some_and(|at| l[at..].contains(']'));
            v2 || legacy
        })
        .collect()
}

/// The lines the Azure Pipelines agent obeys as commands.
fn azure_commands(out: &str) -> Vec<String> {
    runner_lines(out)
        .into_iter()
        .filter(|l| l.find("##vso[").is_some_and(|at| l[at..].contains(']')))
        .collect()
}

/// Characters no output may hold raw: controls but tab and the line end, bidi controls, ignorables,
/// line and paragraph separators; except the variation selectors and joiner of an emoji, right after a
/// non-ASCII character (⚠️), where they cannot hide a command (whose words are ASCII).
fn assert_no_raw_unsafe(what: &str, out: &str) {
    for line in out.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let mut prev = ' ';
        let bad = line.chars().find(|&c| {
            let emoji = !prev.is_ascii() && matches!(c, '\u{FE00}'..='\u{FE0F}' | '\u{200D}');
            prev = c;
            (c.is_control() && c != '\t')
                || (ignorable(c) && !emoji)
                || matches!(c, '\u{2028}' | '\u{2029}' | '\u{2066}'..='\u{2069}')
        });
        assert!(bad.is_none(), "{what}: raw {bad:?} in {line:?}");
    }
}

/// Each runner obeys exactly the tool's own commands in `out`: lines that start with one of `own`.
fn assert_obeys_only_own(what: &str, out: &str, own: &[&str]) {
    assert_no_raw_unsafe(what, out);
    let mine = |l: &String| own.iter().any(|p| l.starts_with(p));
    for (runner, obeyed) in [
        ("GitHub", github_commands(out)),
        ("Azure", azure_commands(out)),
    ] {
        let forged: Vec<&String> = obeyed.iter().filter(|l| !mine(l)).collect();
        assert!(
            forged.is_empty(),
            "{what}: the {runner} runner obeys {forged:?}"
        );
    }
}

/// The payloads a hostile pull request put in names, text and file names: the issue's (legacy
/// `##[command]` anywhere, leading white space before `::`, U+2028/U+2029, zero-width characters) and
/// their neighbours (ignorables inside the command words, other white space, NEL, a lone CR).
const PAYLOADS: &[&str] = &[
    "a ##[error]legacy",
    "b ##[set-output name=x]1",
    "c ##[stop-commands]tok",
    "   ::error::spaces",
    "\u{2003}::error::emspace",
    "\u{200b}::error::zwsp",
    "#\u{200d}#[error]zwj",
    "#\u{fe0f}#[error]vs",
    "\u{26a0}\u{fe0f}\u{200d}::error::emoji",
    "##\u{ad}vso[task.complete result=Failed]shy",
    "##vso\u{2060}[task.setvariable variable=x]wj",
    "d\u{2028}::error::ls",
    "e\u{2029}##[error]ps",
    "f\u{85}::warning::nel",
    "g\r::notice::cr",
    "h\u{feff}::error::bom",
];

/// One JSON string literal holding `s` (escaped the JSON way).
fn lit(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

fn plant(dir: &Path) {
    let ls = dir.join("linkedService");
    fs::create_dir_all(&ls).unwrap();
    for (i, p) in PAYLOADS.iter().enumerate() {
        let name = lit(&format!("Pg{i} {p}"));
        fs::write(
            ls.join(format!("pg{i}.json")),
            format!(
                r#"{{"name": {name}, "properties": {{"type": "AzurePostgreSql", "description": {name}, "annotations": [{name}], "typeProperties": {{"connectionString": "host=h;port=x;database=d;uid=u;sslmode=Prefer", "x": {name}}}}}}}
"#
            ),
        )
        .unwrap();
        // issue 28: the same in a legacy PostgreSql string (a braced value too) and in PostgreSqlV2
        // properties, whose findings quote other message templates
        let inner = lit(&format!(
            "host=h;port=x;database=d;uid={{Pg{i} {p}}};encryptionmethod=9"
        ));
        fs::write(
            ls.join(format!("legacy{i}.json")),
            format!(
                r#"{{"name": {name}, "properties": {{"type": "PostgreSql", "description": {name}, "annotations": [{name}], "typeProperties": {{"connectionString": {inner}, "x": {name}}}}}}}
"#
            ),
        )
        .unwrap();
        fs::write(
            ls.join(format!("v2-{i}.json")),
            format!(
                r#"{{"name": {name}, "properties": {{"type": "PostgreSqlV2", "description": {name}, "annotations": [{name}], "typeProperties": {{"server": {name}, "port": {name}, "database": "d", "username": "u", "sslMode": {name}, "authenticationType": {name}, "x": {name}}}}}}}
"#
            ),
        )
        .unwrap();
        // a dataset naming a linked service that does not exist: the name is in the message
        let ds = dir.join("dataset");
        fs::create_dir_all(&ds).unwrap();
        for (file, ty) in [
            ("ds", "AzurePostgreSqlTable"),
            ("legacy-ds", "PostgreSqlTable"),
            ("v2-ds", "PostgreSqlV2Table"),
        ] {
            fs::write(
                ds.join(format!("{file}{i}.json")),
                format!(
                    r#"{{"name": "{file}{i}", "properties": {{"type": "{ty}", "linkedServiceName": {{"referenceName": {name}, "type": "LinkedServiceReference"}}, "typeProperties": {{"tableName": {name}}}}}}}"#
                ),
            )
            .unwrap();
        }
        // a legacy source on a dataset of that name
        let pipeline = dir.join("pipeline");
        fs::create_dir_all(&pipeline).unwrap();
        fs::write(
            pipeline.join(format!("p{i}.json")),
            format!(
                r#"{{"name": "p{i}", "properties": {{"activities": [{{"name": {name}, "type": "Lookup", "typeProperties": {{"source": {{"type": "PostgreSqlSource", "query": {name}}}, "dataset": {{"referenceName": {name}, "type": "DatasetReference"}}}}}}]}}}}"#
            ),
        )
        .unwrap();
    }
    // file names (no NUL or `/` in a name: every other payload can be one), in each shape
    for (i, p) in PAYLOADS.iter().enumerate() {
        for (j, shape) in SHAPES.iter().enumerate() {
            let file = format!("n{i}-{j}{}.json", p.replace('/', "_"));
            fs::write(ls.join(file), shape.one_line(&format!("n{i}-{j}"), "")).unwrap();
        }
    }
}

const FORMATS: &[(&str, &[&str])] = &[
    ("full", &[]),
    ("concise", &[]),
    ("json", &[]),
    ("sarif", &[]),
    ("junit", &[]),
    ("markdown", &[]),
    ("github", &["::error ", "::warning ", "::notice "]),
    ("azure", &["##vso[task.logissue "]),
];

#[test]
fn no_runner_obeys_a_command_from_the_repository_in_any_format() {
    let dir = tempfile::tempdir().unwrap();
    plant(dir.path());
    // a missing path named on the command line (a walk error, printed by every format)
    let missing = format!("missing {}.json", PAYLOADS.join(" "));
    for mode in [&[][..], &["--diff"][..], &["--fix", "--show-changes"][..]] {
        for (format, own) in FORMATS {
            let work = copy_tree(dir.path());
            let mut args = mode.to_vec();
            args.extend(["--output-format", format, ".", &missing]);
            let (code, out, err) = run_in(work.path(), &args);
            assert_eq!(code, 2, "{args:?}: {out}{err}");
            assert!(out.len() > 500, "{args:?}: said little: {out}");
            assert_obeys_only_own(&format!("{args:?} stdout"), &out, own);
            assert_obeys_only_own(&format!("{args:?} stderr"), &err, &[]);
            // the tool's own commands are there: the model would see a forged one (`--diff` prints the
            // diff whatever the format, as ruff does: no annotations then)
            if !own.is_empty() && !mode.contains(&"--diff") {
                assert!(
                    out.lines()
                        .filter(|l| own.iter().any(|p| l.starts_with(p)))
                        .count()
                        > 10,
                    "{args:?}: {out}"
                );
            }
        }
    }
    // -o: the report file, and the human report beside it
    for (format, own) in FORMATS {
        let (_, out, err) = run_in(
            dir.path(),
            &["--output-format", format, "-o", "report.out", "."],
        );
        let file = fs::read_to_string(dir.path().join("report.out")).unwrap();
        assert_obeys_only_own(&format!("{format} -o file"), &file, own);
        assert_obeys_only_own(&format!("{format} -o stdout"), &out, &[]);
        assert_obeys_only_own(&format!("{format} -o stderr"), &err, &[]);
    }
    for format in ["text", "json", "markdown"] {
        let (_, out, err) = run_in(
            dir.path(),
            &["plan", "--output-format", format, ".", &missing],
        );
        assert!(out.len() > 500, "plan {format}: {out}");
        assert_obeys_only_own(&format!("plan {format}"), &out, &[]);
        assert_obeys_only_own(&format!("plan {format} stderr"), &err, &[]);
        // a path error is printed once, through the guard
        assert_eq!(err.matches("error: missing").count(), 1, "{err}");
    }
}

/// The baseline file, and the lines `--baseline` prints for entries that no longer occur.
#[test]
fn baseline_lines_obey_nothing() {
    let dir = tempfile::tempdir().unwrap();
    plant(dir.path());
    let (_, _, err) = run_in(dir.path(), &[".", "--write-baseline", "b.json"]);
    let written = fs::read_to_string(dir.path().join("b.json")).unwrap();
    assert_obeys_only_own("baseline file", &written, &[]);
    assert_obeys_only_own("--write-baseline stderr", &err, &[]);
    // every file gone: each entry is reported as no longer occurring
    fs::remove_dir_all(dir.path().join("dataset")).unwrap();
    for (format, own) in FORMATS {
        let (_, out, err) = run_in(
            dir.path(),
            &[".", "--baseline", "b.json", "--output-format", format],
        );
        assert_obeys_only_own(&format!("--baseline {format}"), &out, own);
        assert_obeys_only_own(&format!("--baseline {format} stderr"), &err, &[]);
    }
}

/// Rule documentation and the rule list come from rule files a repository may add; config and rule
/// errors quote those files; clap's own errors echo an argument.
#[test]
fn rule_docs_config_errors_and_argument_errors_obey_nothing() {
    let dir = tempfile::tempdir().unwrap();
    plant(dir.path());
    let house = dir.path().join("house");
    fs::create_dir(&house).unwrap();
    let text = lit(&PAYLOADS.join("\n"));
    fs::write(
        house.join("HOUSE001.toml"),
        format!(
            "code = \"HOUSE001\"\nname = \"house\"\nsummary = {text}\nseverity = \"error\"\ngiven = \"$.properties\"\ncheck = \"defined\"\nfield = \"connectVia\"\nmessage = {text}\nhelp = {text}\n[docs]\nwhat = {text}\nwhy = {text}\n"
        ),
    )
    .unwrap();
    for args in [
        &["--rules", "house", "rule", "HOUSE001"][..],
        &["--rules", "house", "rules"],
        &["--rules", "house", "rules", "--output-format", "json"],
        &["--rules", "house", "--output-format", "github", "."],
        &["--rules", "house", "--output-format", "azure", "."],
    ] {
        let (_, out, err) = run_in(dir.path(), args);
        assert!(out.len() > 100, "{args:?}: {out}{err}");
        let own: &[&str] = match args.last() {
            Some(&".") if args.contains(&"github") => &["::error ", "::warning ", "::notice "],
            Some(&".") => &["##vso[task.logissue "],
            _ => &[],
        };
        assert_obeys_only_own(&format!("{args:?}"), &out, own);
        assert_obeys_only_own(&format!("{args:?} stderr"), &err, &[]);
    }
    // a config whose error quotes its hostile line
    fs::write(
        dir.path().join("bad.toml"),
        format!("select = [\"ADFPG001\", {text}]\n"),
    )
    .unwrap();
    for format in ["concise", "github", "azure"] {
        let (code, out, err) = run_in(
            dir.path(),
            &["--config", "bad.toml", "--output-format", format, "."],
        );
        assert_eq!(code, 2, "{out}{err}");
        let own: &[&str] = match format {
            "github" => &["::error "],
            "azure" => &["##vso[task.logissue "],
            _ => &[],
        };
        assert_obeys_only_own(&format!("config {format} stdout"), &out, own);
        assert_obeys_only_own(&format!("config {format} stderr"), &err, &[]);
    }
    // clap echoes an unknown option (a file named like one, passed without `--`)
    for p in PAYLOADS {
        let (code, out, err) = run_in(dir.path(), &[&format!("--{p}")]);
        assert_eq!(code, 2, "{out}{err}");
        assert_obeys_only_own(&format!("clap error for {p:?}"), &err, &[]);
    }
}

/// The model itself: it sees what the runners would obey (so the tests above can fail).
#[test]
fn the_runner_models_see_the_commands() {
    for (line, github, azure) in [
        ("::error::x", true, false),
        ("  \t::error::x", true, false),
        ("\u{3000}::error::x", true, false),
        ("\u{200b}::error::x", true, false),
        ("text ##[error]x", true, false),
        ("##\u{ad}[error]x", true, false),
        ("text ##vso[task.complete]x", false, true),
        ("##v\u{200c}so[task.complete]x", false, true),
        ("a\u{2028}::error::x", true, false),
        ("a\r::error::x", true, false),
        ("::error x", false, false),
        ("a ::error::x", false, false),
        ("\\u{3a}:error::x", false, false),
        ("##\\u{5b}error]x ##vso\\u{5b}x]", false, false),
    ] {
        assert_eq!(!github_commands(line).is_empty(), github, "{line:?}");
        assert_eq!(!azure_commands(line).is_empty(), azure, "{line:?}");
    }
}
