//! Command line: clap definitions, wiring, exit codes (0 clean, 1 findings or pending changes, 2 the tool
//! could not do its job). The exit code never depends on the output format.

pub mod precommit;

use crate::check::config::{self, CliOverrides, Level, Policy};
use crate::check::key_vault::Secret;
use crate::finding::Severity;
use crate::index::Index;
use crate::mask::{Encoding, eprint_line};
use crate::pipeline::{self, FileOutcome, FixMode, Settings};
use crate::report::{self, Mode, Run};
use clap::{Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(Parser, Debug)]
#[command(
    name = "adfpg-migrate",
    version,
    about = "Find, lint and migrate Azure Data Factory / Synapse AzurePostgreSql linked services (1.0 → 2.0)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Files or directories to check (directories are walked for *.json, honouring .gitignore).
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// Apply fixes in place (safe ones; add --unsafe-fixes for the rest).
    #[arg(long, conflicts_with_all = ["diff", "check"])]
    pub fix: bool,

    /// Print only the unified diff --fix would apply (as ruff: no findings); write nothing; exit 1 if
    /// there is a diff, 0 if nothing would change, whatever findings remain.
    #[arg(long, conflicts_with = "check")]
    pub diff: bool,

    /// Lint, and also exit 1 when --fix would change a file (for CI).
    #[arg(long)]
    pub check: bool,

    /// With --fix: also print the unified diff of what it wrote (to preview without writing, use --diff).
    #[arg(long, requires = "fix")]
    pub show_changes: bool,

    /// How to print findings [default: full on a terminal, else concise].
    #[arg(long, value_enum, env = "ADFPG_OUTPUT_FORMAT")]
    pub output_format: Option<OutputFormat>,

    /// Write the report to FILE (in --output-format, else guessed from the extension: .sarif, .json,
    /// .xml = junit, .md = markdown); the terminal still gets the human report.
    #[arg(short = 'o', long, alias = "output-file", value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Print how many findings each rule produced instead of each finding (full, concise and json).
    #[arg(long)]
    pub statistics: bool,

    /// Report only findings not listed in this baseline file, and the entries that no longer occur.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Record every finding of this run in a baseline file (then nothing is reported as new).
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,

    /// Run as the pre-commit hooks do (they pass it): skip explicitly named *.json files that do not
    /// exist (pre-commit passes deleted files), and refuse a file name that starts with `-` or a link to
    /// a file outside the repository. Other missing paths are still an error.
    #[arg(long)]
    pub skip_missing_files: bool,

    /// When to use colour (NO_COLOR is honoured with `auto`).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Print findings only, no summary.
    #[arg(short, long)]
    pub quiet: bool,

    /// Exit 0 even when there are findings (advisory runs).
    #[arg(long)]
    pub exit_zero: bool,

    /// Skip files larger than this many MiB (reported) [default: 64].
    #[arg(long, value_name = "MIB")]
    pub max_file_size: Option<u64>,

    #[command(flatten)]
    pub rules: RuleArgs,

    /// The lowest severity that makes the exit code 1 [default: warning].
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,

    /// Use this config file instead of looking for adfpg.toml / .adfpg.toml.
    #[arg(long, global = true, conflicts_with = "no_config", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Ignore config files.
    #[arg(long, global = true)]
    pub no_config: bool,

    /// Say on stderr which config file applies and which ignore files the walk honours.
    #[arg(long, global = true)]
    pub verbose: bool,

    /// A folder of extra rule files (house rules), in the same format as rules/*.toml (repeatable).
    #[arg(long = "rules", global = true, value_name = "DIR")]
    pub rule_dirs: Vec<PathBuf>,

    /// Move each AzurePostgreSql password (or service-principal key) to Key Vault while fixing: VAULT is
    /// the factory's AzureKeyVault linked service (ADFPG024; see README, Moving credentials to Key Vault).
    #[arg(long, global = true, value_name = "VAULT")]
    pub credentials_to_key_vault: Option<String>,

    /// Secret names for --credentials-to-key-vault, with {factory}, {ls}, {server}, {database},
    /// {username} [default: {ls}-password].
    #[arg(long, global = true, value_name = "TEMPLATE")]
    pub secret_name: Option<String>,

    /// Write the plaintext passwords that move to Key Vault to FILE (a new, owner-only JSON file outside
    /// the repository) for upload; delete it afterwards.
    #[arg(long, global = true, value_name = "FILE")]
    pub export_secrets: Option<PathBuf>,

    /// Number of threads (default: one per core).
    #[arg(long, short = 'j')]
    pub threads: Option<usize>,
}

/// Which rules run, how severe they are, and which fixes `--fix` applies: shared by a lint run and
/// `plan`, so that the plan says what `--fix` with the same options writes.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct RuleArgs {
    /// Only these rules (comma-separated codes); replaces the config's `select`.
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub select: Option<Vec<String>>,

    /// Switch these rules off (comma-separated codes); adds to the config's `ignore`.
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub ignore: Vec<String>,

    /// Set a rule's severity: CODE=error|warning|info|off (repeatable).
    #[arg(long, value_parser = parse_severity, value_name = "CODE=LEVEL")]
    pub severity: Vec<(String, Level)>,

    /// Also apply (or count, or show) fixes that may change behaviour.
    #[arg(long)]
    pub unsafe_fixes: bool,

    /// Only these rules' fixes may be applied (comma-separated codes, or ALL); replaces the config's
    /// `fixable`. A display-only fix (raising sslMode) is applied only when its code is named.
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub fixable: Option<Vec<String>>,

    /// Also allow these rules' fixes (comma-separated codes); naming ADFPG004/ADFPG005 here selects
    /// their sslMode raise (an unsafe fix: add --unsafe-fixes).
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub extend_fixable: Vec<String>,

    /// Never apply these rules' fixes (comma-separated codes, or ALL); adds to the config's `unfixable`.
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub unfixable: Vec<String>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// List every rule: code, name, default severity, fix availability, summary.
    Rules {
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        output_format: ListFormat,
    },
    /// Print a rule's full documentation.
    #[command(alias = "explain")]
    Rule {
        /// The rule's code, e.g. ADFPG001 (case-insensitive; `adfpg-migrate rules` lists them).
        code: String,
    },
    /// Print the migration plan: per linked service what --fix will and cannot do, ARM parameter
    /// renames, what uses it, and what to re-test.
    Plan {
        /// Files or directories (directories are walked for *.json, honouring .gitignore).
        #[arg(default_value = ".")]
        paths: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
        output_format: PlanFormat,
        #[command(flatten)]
        rules: RuleArgs,
    },
    /// Connect to the PostgreSQL server a linked service describes (sslMode as libpq applies it) and
    /// report TLS, certificate, server version and round trip; exit codes per failure class (README).
    TestConnection(crate::connect::Args),
    /// Print a shell completion script for bash, zsh, fish, powershell or elvish.
    ///
    /// For example `adfpg-migrate completions bash > ~/.local/share/bash-completion/completions/adfpg-migrate`.
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `adfpg-migrate man > adfpg-migrate.1`.
    Man,
}

/// The completion script or man page, generated from these clap definitions (into memory first:
/// clap_complete panics on a closed pipe, `… | head`).
fn generated_doc(command: &Command) -> Option<Vec<u8>> {
    use clap::CommandFactory;
    let mut out = Vec::new();
    match command {
        Command::Completions { shell } => {
            clap_complete::generate(*shell, &mut Cli::command(), "adfpg-migrate", &mut out)
        }
        Command::Man => clap_mangen::Man::new(Cli::command())
            .render(&mut out)
            .expect("writing to memory cannot fail"),
        _ => return None,
    }
    Some(out)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    Text,
    Json,
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Graphical diagnostics with source snippets (the default on a terminal).
    Full,
    /// One line per finding: path:line:col: CODE [severity] message (the default otherwise).
    Concise,
    /// A JSON document (schema in docs/json-output.md).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// GitHub Actions workflow commands (annotations); also writes $GITHUB_STEP_SUMMARY.
    Github,
    /// Azure Pipelines logging commands (task.logissue).
    Azure,
    /// JUnit XML: a test case per file, a failure per finding.
    Junit,
    /// A Markdown summary for a pull-request comment.
    Markdown,
}

impl OutputFormat {
    /// The format a report file's name suggests (`--output` without `--output-format`).
    pub fn from_file_name(path: &Path) -> OutputFormat {
        let name = path.to_string_lossy().to_ascii_lowercase();
        if name.ends_with(".sarif") || name.ends_with(".sarif.json") {
            OutputFormat::Sarif
        } else if name.ends_with(".json") {
            OutputFormat::Json
        } else if name.ends_with(".xml") {
            OutputFormat::Junit
        } else if name.ends_with(".md") {
            OutputFormat::Markdown
        } else {
            OutputFormat::Concise
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Info,
}

fn parse_severity(s: &str) -> Result<(String, Level), String> {
    let (code, level) = s
        .split_once('=')
        .ok_or("expected CODE=LEVEL, e.g. ADFPG004=error")?;
    let level = match level.to_ascii_lowercase().as_str() {
        "error" => Level::Error,
        "warning" => Level::Warning,
        "info" => Level::Info,
        "off" => Level::Off,
        other => {
            return Err(format!(
                "unknown level `{other}`: expected error, warning, info or off"
            ));
        }
    };
    Ok((code.trim().to_string(), level))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

pub fn main() -> i32 {
    // every line that leaves the process goes through the output guard: a panic's message too
    std::panic::set_hook(Box::new(|info| {
        eprint_line(&format!(
            "error: internal error (a bug; please report it): {info}"
        ))
    }));
    // file names a repository chose, which would be taken for options (pre-commit passes them as
    // they are): before clap reads any of them as one
    if let Err(e) = precommit::refuse_options_naming_files(std::env::args_os().skip(1)) {
        eprint_line(&format!("error: {e}"));
        return 2;
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // clap's errors echo arguments (a file name pre-commit passed): guarded like any output
        Err(e) if e.use_stderr() => {
            eprint!(
                "{}",
                crate::mask::guard_output(&e.render().to_string(), Encoding::Text(&[]))
            );
            return e.exit_code();
        }
        // --help, --version: the tool's own text
        Err(e) => {
            let _ = e.print();
            return e.exit_code();
        }
    };

    let format = cli.output_format.filter(|_| cli.command.is_none());
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            report_tool_error(&e, format);
            2
        }
    }
}

/// A tool error goes to stderr; in the CI formats it is also an error annotation (GitHub) or issue
/// (Azure Pipelines), so that the job page shows why the step failed.
fn report_tool_error(message: &str, format: Option<OutputFormat>) {
    eprint_line(&format!("error: {message}"));
    let annotation = match format {
        Some(OutputFormat::Github) => format!(
            "::error title=adfpg-migrate::{}\n",
            crate::report::output::github::escape_data(message)
        ),
        Some(OutputFormat::Azure) => format!(
            "##vso[task.logissue type=error;]{}\n",
            crate::report::output::azure::escape_data(message)
        ),
        _ => return,
    };
    if let Some(f) = format {
        let _ = emit(&annotation, encoding(f));
    }
}

/// `adfpg-migrate ./repo plan`: a path that does not exist but is a subcommand's name was meant as one.
fn misplaced_subcommand(paths: &[PathBuf]) -> Option<String> {
    let sub = paths.iter().find(|p| {
        !p.exists()
            && p.to_str().is_some_and(|s| {
                <Cli as clap::CommandFactory>::command()
                    .get_subcommands()
                    .any(|c| c.get_name() == s || c.get_all_aliases().any(|a| a == s))
            })
    })?;
    let rest: Vec<String> = paths
        .iter()
        .filter(|p| *p != sub)
        .map(|p| p.display().to_string())
        .collect();
    let suggestion = std::iter::once(sub.display().to_string())
        .chain(rest)
        .collect::<Vec<_>>()
        .join(" ");
    Some(format!(
        "`{}` is not a file or folder; did you mean `adfpg-migrate {suggestion}`? (the subcommand comes first)",
        sub.display()
    ))
}

/// How a format's output is encoded for the output guard, and which line starts are its own log
/// commands (every other `##vso[` or line-starting `::` is broken).
fn encoding(format: OutputFormat) -> Encoding {
    match format {
        OutputFormat::Json | OutputFormat::Sarif => Encoding::Json,
        OutputFormat::Junit => Encoding::Xml,
        OutputFormat::Github => Encoding::Text(&["::error ", "::warning ", "::notice "]),
        OutputFormat::Azure => {
            Encoding::Text(&["##vso[task.logissue ", "##vso[task.uploadsummary]"])
        }
        _ => Encoding::Text(&[]),
    }
}

fn use_color(choice: ColorChoice, stream_is_tty: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            stream_is_tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

/// Write to stdout through the output guard; a closed pipe (`| head`) is not an error.
fn emit(text: &str, enc: Encoding) -> Result<(), String> {
    emit_coloured(text, enc, false)
}

fn emit_coloured(text: &str, enc: Encoding, colour: bool) -> Result<(), String> {
    let text = if colour {
        crate::mask::guard_coloured(text, enc)
    } else {
        crate::mask::guard_output(text, enc)
    };
    write_stdout(&text)
}

/// Write to stdout as is; a closed pipe (`| head`) is not an error.
fn write_stdout(text: &str) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.to_string()),
        _ => Ok(()),
    }
}

/// The policy for this run: config file (found from the first path, or given) merged with the command line.
fn policy(cli: &Cli, rules: &RuleArgs, paths: &[PathBuf]) -> Result<Policy, String> {
    let overrides = CliOverrides {
        select: rules.select.clone(),
        ignore: rules.ignore.clone(),
        severity: rules.severity.clone(),
        fail_on: cli.fail_on.map(|f| match f {
            FailOn::Error => Severity::Error,
            FailOn::Warning => Severity::Warning,
            FailOn::Info => Severity::Info,
        }),
        rules: cli.rule_dirs.clone(),
        max_file_size: cli.max_file_size,
        fixable: rules.fixable.clone(),
        extend_fixable: rules.extend_fixable.clone(),
        unfixable: rules.unfixable.clone(),
        key_vault: cli.credentials_to_key_vault.clone(),
        secret_name: cli.secret_name.clone(),
    };
    let file = if cli.no_config {
        None
    } else {
        cli.config
            .clone()
            .or_else(|| config::discover(paths.first().map_or(Path::new("."), |p| p.as_path())))
    };
    if cli.verbose {
        let used = match &file {
            Some(f) => format!("config: {}", crate::text::shown_path(f)),
            None if cli.no_config => "config: none (--no-config)".to_string(),
            None => "config: none found up to the repository root (the folder holding .git); built-in defaults".to_string(),
        };
        eprint_line(&used);
        eprint_line(
            "walk: files matched by .gitignore, .ignore and .git/info/exclude, and hidden entries, are skipped",
        );
    }
    config::load(file.as_deref(), &overrides).map_err(|e| e.render())
}

/// What a scan returns: the outcomes, the walk errors, the settings (with the index) and the counts.
type Scanned = (
    Vec<pipeline::FileOutcome>,
    Vec<(String, String)>,
    Settings,
    Counts,
);

/// Discover, index the factory (phase 1), then check every file in parallel (phase 2).
fn scan(
    paths: &[PathBuf],
    mut settings: Settings,
    skip_missing_files: bool,
    export_secrets: Option<&Path>,
) -> Result<Scanned, String> {
    let excluded = |p: &Path| settings.policy.excluded(p);
    // phase 1: the index, which also covers the sibling folders of files passed one by one (pre-commit)
    let wanted = Mutex::new(Vec::new());
    // folders of pipelines, data flows, triggers … hold neither linked services, datasets nor templates
    crate::discover::visit_pruned(paths, &excluded, Index::holds_nothing_indexed, &|p| {
        if Index::wants(p) {
            wanted.lock().expect("not poisoned").push(p.to_path_buf());
        }
    });
    let mut index_files = wanted.into_inner().expect("not poisoned");
    index_files.extend(Index::related_files(paths));
    index_files.sort();
    index_files.dedup();
    let index = Index::build_with(&index_files, settings.collect_references);
    settings.index = index;
    let templates: Vec<PathBuf> = index_files
        .into_iter()
        .filter(|p| {
            p.file_name().is_some_and(|n| {
                let n = n.to_string_lossy().to_ascii_lowercase();
                n == "armtemplateforfactory.json" || n == "templateforworkspace.json"
            })
        })
        .collect();
    key_vault_survey(&mut settings, &templates, paths, export_secrets)?;
    // phase 2, walking again rather than holding every path: files with nothing to report are only
    // counted, so memory stays flat however big the factory (parsed files stay for JUnit's test cases)
    let (scanned, parsed) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let kept = Mutex::new(Vec::new());
    let keep_parsed = settings.keep_parsed;
    let mut walk_errors = crate::discover::visit(paths, &|p| settings.policy.excluded(p), &|p| {
        let o = pipeline::process(p, &settings);
        scanned.fetch_add(1, Ordering::Relaxed);
        parsed.fetch_add(usize::from(o.relevant), Ordering::Relaxed);
        if (keep_parsed && o.relevant) || !o.is_quiet() {
            kept.lock().expect("not poisoned").push(o);
        }
    });
    if skip_missing_files {
        // pre-commit passes deleted files; a mistyped folder is still an error
        walk_errors.retain(|(p, _)| !crate::cli::precommit::skippable_missing(p));
    }
    let mut outcomes: Vec<pipeline::FileOutcome> = kept.into_inner().expect("not poisoned");
    outcomes.sort_unstable_by(|a, b| a.path.as_os_str().cmp(b.path.as_os_str()));
    pipeline::write_pending(&mut outcomes, &settings);
    update_parameter_files(&mut outcomes, &settings);
    let errors = walk_errors
        .iter()
        // escaped here, once, for every format: a path named on the command line may hold anything
        .map(|(p, e)| (crate::text::shown_path(p), e.clone()))
        .collect();
    let counts = Counts {
        files_scanned: scanned.into_inner(),
        files_parsed: parsed.into_inner(),
    };
    Ok((outcomes, errors, settings, counts))
}

/// `--credentials-to-key-vault`: check every move before anything is written (exit 2 on a problem),
/// keep the secrets for the plan and the summary, and export the values when asked.
fn key_vault_survey(
    settings: &mut Settings,
    templates: &[PathBuf],
    paths: &[PathBuf],
    export: Option<&Path>,
) -> Result<(), String> {
    let Some(target) = settings.policy.migration.key_vault.clone() else {
        return match export {
            Some(_) => Err("--export-secrets needs a vault: --credentials-to-key-vault VAULT or [migration.key-vault] linked-service".into()),
            None => Ok(()),
        };
    };
    let opts = crate::check::CheckOptions {
        migration: settings.policy.migration.clone(),
        ..Default::default()
    };
    settings.secrets = crate::check::key_vault::survey(
        &settings.index,
        templates,
        &target,
        &opts,
        settings.max_file_size,
    )
    .map_err(|e| format!("cannot move credentials to Key Vault; nothing was written:\n{e}"))?;
    if let Some(file) = export {
        let n = crate::check::key_vault::export(file, &settings.secrets, paths)?;
        eprint_line(&format!(
            "wrote {n} secret value(s) to {} (owner-only): upload them, then delete the file",
            crate::mask::printable(&file.display().to_string())
        ));
    }
    Ok(())
}

/// How many files a run looked at, and how many of those passed the prefilter.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counts {
    pub files_scanned: usize,
    pub files_parsed: usize,
}

/// After ARM templates were migrated: add the new parameters to the parameters files beside them.
fn update_parameter_files(outcomes: &mut Vec<pipeline::FileOutcome>, settings: &Settings) {
    let mut per_file: std::collections::BTreeMap<
        PathBuf,
        Vec<(String, Vec<crate::fix::arm::NewParameter>)>,
    > = Default::default();
    // what the templates declare secure: the parameters file's values for them are secrets, whatever
    // connector they belong to (its diff shows them as context)
    let mut secure: std::collections::BTreeMap<PathBuf, Vec<String>> = Default::default();
    for o in outcomes.iter().filter(|o| !o.arm_renames.is_empty()) {
        let template = crate::source::read::read_text(&o.path, crate::source::read::Links::Refuse);
        let declared = crate::mask::secure_parameters(&template.unwrap_or_default());
        for f in crate::fix::arm::parameter_files(&o.path) {
            secure
                .entry(f.clone())
                .or_default()
                .extend(declared.clone());
            per_file
                .entry(f)
                .or_default()
                .extend(o.arm_renames.iter().cloned());
        }
    }
    for (path, renames) in per_file {
        let secure = secure.remove(&path).unwrap_or_default();
        let mut out = pipeline::FileOutcome {
            path: path.clone(),
            relevant: true,
            ..Default::default()
        };
        // found by name beside the template: never through a link
        let before = match crate::source::read::read_text(&path, crate::source::read::Links::Refuse)
        {
            Ok(t) => t,
            Err(e) => {
                out.failed = true;
                out.findings.extend(settings.policy.catalog.finding(
                    "fix-not-applied",
                    0..0,
                    &[(
                        "detail",
                        format!("parameters not added: cannot read it: {e}"),
                    )],
                ));
                outcomes.retain(|o| o.path != path);
                outcomes.push(out);
                continue;
            }
        };
        let Some(after) = crate::fix::arm::update_parameters_file(&before, &renames) else {
            continue;
        };
        let written = settings.write && {
            match crate::fix::write::replace_atomically(
                &path,
                before.as_bytes(),
                after.as_bytes(),
                crate::source::read::Links::Refuse,
            ) {
                Ok(()) => true,
                Err(e) => {
                    out.failed = true;
                    out.findings.extend(settings.policy.catalog.finding(
                        "fix-not-applied",
                        0..0,
                        &[("detail", format!("parameters not added: {e}"))],
                    ));
                    false
                }
            }
        };
        out.change = Some(Box::new(pipeline::Change {
            before: crate::mask::mask_with(&before, &secure),
            after: crate::mask::mask_with(&after, &secure),
            applied: vec![pipeline::Applied {
                code: "ADFPG001".into(),
                safety: crate::finding::Safety::Unsafe,
                title: "parameters of the migrated template added beside the old ones".into(),
                resource: None,
            }],
            written,
            pending: None,
        }));
        // the parameters file may already be in the list (it is scanned too): keep its findings
        match outcomes.iter_mut().find(|o| o.path == path) {
            Some(scanned) => {
                scanned.change = out.change;
                scanned.failed |= out.failed;
                scanned.findings.extend(out.findings);
            }
            None => outcomes.push(out),
        }
    }
    outcomes.sort_by(|a, b| a.path.cmp(&b.path));
}

pub fn run(cli: Cli) -> Result<i32, String> {
    // before reading any configuration: completions and the man page depend on nothing else
    if let Some(doc) = cli.command.as_ref().and_then(generated_doc) {
        // the tool's own text, byte for byte (no factory text in it to guard)
        write_stdout(&String::from_utf8_lossy(&doc))?;
        return Ok(0);
    }
    // the cap applies to every file read, the config itself included
    crate::source::read::set_limit_mib(cli.max_file_size.unwrap_or(64));
    let policy = match &cli.command {
        Some(Command::Plan { paths, rules, .. }) => policy(&cli, rules, paths)?,
        _ => policy(&cli, &cli.rules, &cli.paths)?,
    };
    crate::source::read::set_limit_mib(policy.max_file_size.unwrap_or(64));
    match &cli.command {
        Some(Command::Rules { output_format }) => {
            let json = *output_format == ListFormat::Json;
            emit(
                &crate::report::docs::rules_list(&policy.catalog, json),
                if json {
                    Encoding::Json
                } else {
                    Encoding::Text(&[])
                },
            )?;
            return Ok(0);
        }
        Some(Command::Plan {
            paths,
            output_format,
            rules,
        }) => {
            let mut settings = Settings::new(policy);
            settings.keep_source = false;
            settings.keep_diff = false;
            settings.collect_references = true;
            // what --fix with the same options would apply, follow-up rounds included
            settings.fix = FixMode::Apply {
                unsafe_fixes: rules.unsafe_fixes,
            };
            settings.unsafe_fixes = rules.unsafe_fixes;
            let (outcomes, errors, settings, _) =
                scan(paths, settings, false, cli.export_secrets.as_deref())?;
            let plan =
                crate::report::plan::build(&outcomes, &settings.index, paths, rules.unsafe_fixes);
            let failed = !errors.is_empty() || outcomes.iter().any(|o| o.failed);
            let secrets = &settings.secrets;
            let export = cli.export_secrets.as_deref();
            let encoding = match output_format {
                PlanFormat::Json => Encoding::Json,
                PlanFormat::Text | PlanFormat::Markdown => Encoding::Text(&[]),
            };
            // a failed run is no "nothing to migrate": the errors on stderr say why
            if !(failed && plan.linked_services.is_empty()) {
                let text = match output_format {
                    PlanFormat::Text => {
                        crate::report::plan::render_text(&plan)
                            + &crate::check::key_vault::render_secrets(secrets, export)
                    }
                    PlanFormat::Json => crate::check::key_vault::with_secrets_json(
                        crate::report::plan::render_json(&plan),
                        secrets,
                    ),
                    PlanFormat::Markdown => {
                        let section = crate::check::key_vault::render_secrets(secrets, export);
                        let section = if section.is_empty() {
                            section
                        } else {
                            format!("\n## Key Vault\n\n```text\n{section}```\n")
                        };
                        crate::report::plan::render_markdown(&plan) + &section
                    }
                };
                emit(&text, encoding)?;
            }
            for (p, e) in &errors {
                eprint_line(&format!("error: {}: {}", crate::mask::printable(p), e));
            }
            return Ok(if failed { 2 } else { 0 });
        }
        Some(Command::Rule { code }) => {
            let rule = policy
                .catalog
                .get(code)
                .ok_or_else(|| format!("no rule `{code}`; `adfpg-migrate rules` lists them"))?;
            emit(&crate::report::docs::rule_doc(rule), Encoding::Text(&[]))?;
            return Ok(0);
        }
        Some(Command::TestConnection(args)) => return Ok(crate::connect::run(args)),
        Some(Command::Completions { .. } | Command::Man) => unreachable!("handled above"),
        None => {}
    }
    if let Some(hint) = misplaced_subcommand(&cli.paths) {
        return Err(hint);
    }
    // below the paths a person named (and the working directory), writes never follow a link
    crate::fix::write::trust_roots(&cli.paths);
    for warning in precommit::check_paths(&cli.paths, cli.skip_missing_files)? {
        eprint_line(&format!("warning: {warning}"));
    }
    if let Some(n) = cli.threads {
        // ignore the error: the pool may already be built (tests call run() repeatedly)
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global();
    }
    let catalog = policy.catalog.clone();
    let fail_on = policy.fail_on;
    let mut settings = Settings::new(policy);
    let tty = std::io::stdout().is_terminal();
    let human = if tty {
        OutputFormat::Full
    } else {
        OutputFormat::Concise
    };
    let format = match &cli.output {
        Some(file) => cli
            .output_format
            .unwrap_or_else(|| OutputFormat::from_file_name(file)),
        None => cli.output_format.unwrap_or(human),
    };
    // only the graphical format shows source lines: other runs keep no file text
    settings.keep_source =
        format == OutputFormat::Full || (cli.output.is_some() && human == OutputFormat::Full);
    settings.keep_parsed = format == OutputFormat::Junit;
    settings.keep_diff = cli.diff || cli.show_changes;
    settings.unsafe_fixes = cli.rules.unsafe_fixes;
    settings.write = cli.fix;
    // every run computes what --fix would apply (without writing), so that the counts a lint or a
    // check prints are those a --fix run with the same options then applies
    settings.fix = FixMode::Apply {
        unsafe_fixes: cli.rules.unsafe_fixes,
    };
    let mode = if cli.fix {
        Mode::Fix
    } else if cli.diff {
        Mode::Diff
    } else if cli.check {
        Mode::Check
    } else {
        Mode::Lint
    };

    // before any work (--fix writes): a flag combination that cannot be honoured
    if cli.statistics
        && cli.output.is_none()
        && !matches!(
            cli.output_format,
            None | Some(OutputFormat::Full | OutputFormat::Concise | OutputFormat::Json)
        )
    {
        return Err("--statistics works with full, concise and json output; write other formats with --output FILE".into());
    }
    let (mut outcomes, walk_errors, mut settings, counts) = scan(
        &cli.paths,
        settings,
        cli.skip_missing_files,
        cli.export_secrets.as_deref(),
    )?;
    // the report needs no index: free it before the output is built (peak memory on big factories)
    settings.index = Index::default();
    let baseline = crate::report::baseline::run(
        cli.baseline.as_deref(),
        cli.write_baseline.as_deref(),
        &mut outcomes,
        &|code, file| {
            !settings.policy.disabled.contains(code)
                && !settings.policy.ignored_codes(file).contains(code)
        },
    )?;
    if mode == Mode::Check && baseline.is_some() {
        // a baseline hides findings, and --check counts only the changes of findings it reports
        for o in &mut outcomes {
            let reported = o
                .findings
                .iter()
                .any(|f| f.fix.as_ref().is_some_and(|x| settings.applicable(x)));
            if !reported {
                o.change = None;
            }
        }
    }
    // files --fix changes (written), or would change with the same options
    let files_to_change = outcomes
        .iter()
        .filter_map(|o| o.change.as_ref())
        .filter(|c| mode != Mode::Fix || c.written)
        .count();
    let run = Run {
        outcomes,
        files_scanned: counts.files_scanned,
        files_parsed: counts.files_parsed,
        catalog: &catalog,
        walk_errors,
        unsafe_fixes: cli.rules.unsafe_fixes,
        mode,
        files_to_change,
        baseline,
    };

    let color = use_color(cli.color, tty);
    let mut cx = crate::report::output::Context::new(fail_on);
    cx.turned_off = settings.policy.turned_off.clone();
    let mut text = match &cli.output {
        Some(file) => {
            // files get colour only when asked for explicitly
            let report = render(&run, &cli, &cx, format, cli.color == ColorChoice::Always);
            let report = if cli.color == ColorChoice::Always {
                crate::mask::guard_coloured(&report, encoding(format))
            } else {
                crate::mask::guard_output(&report, encoding(format))
            };
            crate::fix::write::write_whole(file, report.as_bytes())
                .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
            render(&run, &cli, &cx, human, color)
        }
        None => render(&run, &cli, &cx, format, color),
    };
    match format {
        OutputFormat::Github => {
            if let Err(e) = crate::report::output::github::write_step_summary(&run, &cx) {
                eprint_line(&format!("warning: {e}"));
            }
        }
        OutputFormat::Azure => match crate::report::output::azure::upload_summary(&run, &cx) {
            Ok(line) => text.extend(line),
            Err(e) => eprint_line(&format!("warning: {e}")),
        },
        _ => {}
    }
    if mode == Mode::Fix && !cli.quiet {
        // what the operator must create: on stdout after a human report, else on stderr
        let moved = moved_secrets(&settings.secrets, &run.outcomes);
        let section =
            crate::check::key_vault::render_secrets(&moved, cli.export_secrets.as_deref());
        if cli.output.is_none() && matches!(format, OutputFormat::Full | OutputFormat::Concise) {
            text.push_str(&section);
        } else {
            eprint!(
                "{}",
                crate::mask::guard_output(&section, Encoding::Text(&[]))
            );
        }
    }
    let shown = if cli.output.is_some() { human } else { format };
    emit_coloured(&text, encoding(shown), color)?;
    // tool errors on stderr only (the CI formats also annotate them)
    for (p, e) in &run.walk_errors {
        eprint_line(&format!("error: {}: {}", crate::mask::printable(p), e));
    }
    Ok(exit_code(&run, &cli, fail_on))
}

/// The report in one format. Human formats (full, concise) and the CI annotation formats (github,
/// azure) end with the summary unless `--quiet`; the document formats are the document only.
fn render(
    run: &Run,
    cli: &Cli,
    cx: &crate::report::output::Context,
    format: OutputFormat,
    color: bool,
) -> String {
    let mode = run.mode;
    let mut text = String::new();
    match format {
        OutputFormat::Json if cli.statistics => {
            append(&mut text, crate::report::output::statistics::json(run))
        }
        OutputFormat::Json => append(&mut text, report::render_json(run)),
        OutputFormat::Full | OutputFormat::Concise => {
            if mode != Mode::Diff {
                if cli.statistics {
                    append(&mut text, crate::report::output::statistics::text(run));
                } else if format == OutputFormat::Full {
                    append(&mut text, report::render_full(run, color));
                } else {
                    append(&mut text, report::render_concise(run, color));
                }
            }
            if mode == Mode::Diff || cli.show_changes {
                append(&mut text, report::render_diffs(run, color));
            }
            if mode == Mode::Fix {
                append(&mut text, report::render_fixed(run));
            }
            if !cli.quiet {
                append(&mut text, report::render_summary(run));
                text.extend(run.baseline.as_ref().map(|b| b.render_summary()));
            }
        }
        OutputFormat::Github | OutputFormat::Azure => {
            append(
                &mut text,
                if format == OutputFormat::Github {
                    crate::report::output::github::render(run, cx)
                } else {
                    crate::report::output::azure::render(run, cx)
                },
            );
            if !cli.quiet {
                // plain lines: neither runner reads them as commands
                append(&mut text, report::render_summary(run));
                text.extend(run.baseline.as_ref().map(|b| b.render_summary()));
            }
        }
        OutputFormat::Sarif => append(&mut text, crate::report::output::sarif::render(run, cx)),
        OutputFormat::Junit => append(&mut text, crate::report::output::junit::render(run, cx)),
        OutputFormat::Markdown => {
            append(&mut text, crate::report::output::markdown::render(run, cx))
        }
    }
    text
}

/// Add a section to the output; the first one becomes the output without a copy (a big factory's
/// findings run to megabytes).
fn append(text: &mut String, section: String) {
    if text.is_empty() {
        *text = section;
    } else {
        text.push_str(&section);
    }
}

fn exit_code(run: &Run, cli: &Cli, fail_on: Severity) -> i32 {
    if run.outcomes.iter().any(|o| o.failed) || !run.walk_errors.is_empty() {
        return 2;
    }
    if cli.exit_zero {
        return 0;
    }
    let pending = run.files_to_change > 0;
    // --diff, as in ruff: 1 exactly when it shows a diff, whatever findings remain
    if run.mode == Mode::Diff {
        return i32::from(pending);
    }
    let failing = run.findings().any(|(_, f)| f.severity >= fail_on);
    i32::from(failing || (run.mode == Mode::Check && pending))
}

/// The secrets whose move a `--fix` run applied (an ADFPG024 fix naming the secret, in a file of one
/// of its linked services).
fn moved_secrets(secrets: &[Secret], outcomes: &[FileOutcome]) -> Vec<Secret> {
    secrets
        .iter()
        .filter(|s| {
            let needle = format!("secret `{}`", s.name);
            outcomes.iter().any(|o| {
                s.linked_services.iter().any(|(_, p)| *p == o.path)
                    && o.change.as_ref().is_some_and(|c| {
                        c.written
                            && c.applied.iter().any(|a| {
                                matches!(a.code.as_str(), "ADFPG024" | "ADFPG001")
                                    && a.title.contains(&needle)
                            })
                    })
            })
        })
        .cloned()
        .collect()
}
