//! Command line: clap definitions, the mapping of options to the application's (`crate::app`), the
//! rendering of its results, exit codes (0 clean, 1 findings or pending changes, 2 the tool could not do
//! its job). The exit code never depends on the output format.

pub mod precommit;
pub mod stdin;

use crate::check::config::{self, CliOverrides, Level, Policy};
use crate::finding::Severity;
use crate::mask::{Encoding, eprint_line};
use crate::pipeline::{FixMode, Settings};
use crate::report::{self, Mode, Run};
use clap::{Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

#[derive(Parser, Debug)]
#[command(
    name = "adfpg-migrate",
    version,
    about = "Find, lint and migrate Azure Data Factory / Synapse PostgreSQL linked services (AzurePostgreSql 1.0 → 2.0, legacy PostgreSql → PostgreSqlV2)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Files or directories to check (directories are walked for *.json, honouring .gitignore); `-`
    /// reads one file from standard input (with --stdin-filename).
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// With `-`: the path of the file standard input holds. Findings name it, and its factory folder's
    /// linkedService/ and dataset/ files give the context; nothing is written (--fix prints the fixed
    /// text on stdout, or the input unchanged, and the report on stderr).
    #[arg(long, value_name = "PATH")]
    pub stdin_filename: Option<PathBuf>,

    /// Apply fixes in place (safe ones; add --unsafe-fixes for the rest); on standard input, print the
    /// fixed text instead.
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
    /// .xml = junit, .md = markdown); the terminal still gets the human report. For `plan`: the plan.
    #[arg(
        short = 'o',
        long,
        alias = "output-file",
        global = true,
        value_name = "FILE"
    )]
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
    #[arg(long, value_enum, global = true, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Print findings only, no summary (for `plan -o FILE`: no line saying where the plan went).
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// Exit 0 even when there are findings (advisory runs).
    #[arg(long, conflicts_with = "exit_non_zero_on_fix")]
    pub exit_zero: bool,

    /// With --fix: exit 1 when a file was fixed, even if no finding is left (as ruff).
    #[arg(long, requires = "fix")]
    pub exit_non_zero_on_fix: bool,

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
    /// Only these rules (comma-separated codes, code prefixes such as ADFPG00, or ALL); replaces the
    /// config's `select`.
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub select: Option<Vec<String>>,

    /// Also these rules (codes, prefixes or ALL), on top of `select` (the config's or --select).
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub extend_select: Vec<String>,

    /// Switch these rules off (codes, prefixes or ALL); adds to the config's `ignore`.
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub ignore: Vec<String>,

    /// The same as --ignore (ruff's name): adds to the config's `ignore`.
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub extend_ignore: Vec<String>,

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

/// `adfpg-migrate plna ./repo`: a first path that does not exist, is a bare word and is one or two
/// edits from a subcommand's name was meant as that subcommand (nothing is linted).
fn mistyped_subcommand(paths: &[PathBuf]) -> Option<String> {
    let first = paths.first()?;
    let word = first.to_str()?;
    if first.exists() || word.contains(['/', '\\', '.']) {
        return None;
    }
    let command = <Cli as clap::CommandFactory>::command();
    let name = command
        .get_subcommands()
        .flat_map(|c| std::iter::once(c.get_name()).chain(c.get_all_aliases()))
        .filter(|n| *n != word)
        .map(|n| (edit_distance(word, n), n))
        .filter(|(d, _)| *d <= 2)
        .min()?
        .1
        .to_string();
    Some(format!(
        "`{}` is not a file, folder or subcommand; did you mean `{name}`?",
        crate::mask::printable(word)
    ))
}

/// Levenshtein distance, by characters (names are short).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (row[j + 1] + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
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
    write_stdout(&guard(text, enc, colour))
}

/// Text through the output guard (colour sequences pass only when the tool coloured it).
fn guard(text: &str, enc: Encoding, colour: bool) -> String {
    if colour {
        crate::mask::guard_coloured(text, enc)
    } else {
        crate::mask::guard_output(text, enc)
    }
}

/// Where the report goes: stdout, or stderr when stdout holds the fixed text of standard input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stream {
    Stdout,
    Stderr,
}

/// Write to stdout as is; a closed pipe (`| head`) is not an error.
fn write_stdout(text: &str) -> Result<(), String> {
    write_stdout_bytes(text.as_bytes())
}

/// [`write_stdout`] for bytes (standard input's text handed back, which need not be UTF-8).
fn write_stdout_bytes(bytes: &[u8]) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.to_string()),
        _ => Ok(()),
    }
}

/// The policy for this run: config file (found from the first path, or given) merged with the command line.
fn policy(cli: &Cli, rules: &RuleArgs, paths: &[PathBuf]) -> Result<Policy, String> {
    let overrides = CliOverrides {
        select: rules.select.clone(),
        extend_select: rules.extend_select.clone(),
        ignore: rules
            .ignore
            .iter()
            .chain(&rules.extend_ignore)
            .cloned()
            .collect(),
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

pub fn run(cli: Cli) -> Result<i32, String> {
    // before anything is read: `-` and --stdin-filename together, and alone
    let stdin = stdin::file(&cli)?.map(Path::to_path_buf);
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
        // the config that applies to the file standard input stands for
        _ => match &stdin {
            Some(file) => policy(&cli, &cli.rules, std::slice::from_ref(file))?,
            None => policy(&cli, &cli.rules, &cli.paths)?,
        },
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
            Ok(0)
        }
        Some(Command::Plan {
            paths,
            output_format,
            rules,
        }) => run_plan(&cli, policy, paths, *output_format, rules),
        Some(Command::Rule { code }) => {
            let rule = policy
                .catalog
                .get(code)
                .ok_or_else(|| format!("no rule `{code}`; `adfpg-migrate rules` lists them"))?;
            emit(&crate::report::docs::rule_doc(rule), Encoding::Text(&[]))?;
            Ok(0)
        }
        Some(Command::TestConnection(args)) => Ok(crate::connect::run(args)),
        Some(Command::Completions { .. } | Command::Man) => unreachable!("handled above"),
        None => run_lint(&cli, policy, stdin.as_deref()),
    }
}

/// `plan`: what `--fix` with the same options would apply, follow-up rounds included, per linked
/// service; on stdout or in `--output FILE`.
fn run_plan(
    cli: &Cli,
    policy: Policy,
    paths: &[PathBuf],
    output_format: PlanFormat,
    rules: &RuleArgs,
) -> Result<i32, String> {
    crate::fix::write::trust_roots(paths);
    let mut settings = Settings::new(policy);
    settings.keep_source = false;
    settings.keep_diff = false;
    settings.collect_references = true;
    settings.fix = FixMode::Apply {
        unsafe_fixes: rules.unsafe_fixes,
    };
    settings.unsafe_fixes = rules.unsafe_fixes;
    let export = cli.export_secrets.as_deref();
    let (plan, errors, failed, settings) =
        crate::app::plan(paths, settings, rules.unsafe_fixes, export)?;
    let secrets = &settings.secrets;
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
        match &cli.output {
            Some(file) => {
                let text = crate::mask::guard_output(&text, encoding);
                crate::fix::write::write_whole(file, text.as_bytes())
                    .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
                if !cli.quiet {
                    eprint_line(&format!(
                        "wrote the plan to {}",
                        crate::text::shown_path(file)
                    ));
                }
            }
            None => emit(&text, encoding)?,
        }
    }
    for (p, e) in &errors {
        eprint_line(&format!("error: {}: {}", crate::mask::printable(p), e));
    }
    Ok(if failed { 2 } else { 0 })
}

/// The settings of a lint, check, diff or fix run from the command line, and the format shown.
fn lint_settings(cli: &Cli, policy: Policy, human: OutputFormat) -> (Settings, OutputFormat, Mode) {
    let mut settings = Settings::new(policy);
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
    (settings, format, mode)
}

/// A lint, `--check`, `--diff` or `--fix` run, on paths or on standard input standing for the file
/// `stdin`: the application does the work, this prints it.
fn run_lint(cli: &Cli, policy: Policy, stdin: Option<&Path>) -> Result<i32, String> {
    let hint = || mistyped_subcommand(&cli.paths).or_else(|| misplaced_subcommand(&cli.paths));
    if let Some(hint) = stdin.is_none().then(hint).flatten() {
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
    let tty = std::io::stdout().is_terminal();
    let human = if tty {
        OutputFormat::Full
    } else {
        OutputFormat::Concise
    };
    let (settings, format, mode) = lint_settings(cli, policy, human);

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
    let skip = |p: &Path| cli.skip_missing_files && precommit::skippable_missing(p);
    let options = crate::app::LintOptions {
        mode,
        skip_missing: &skip,
        export_secrets: cli.export_secrets.as_deref(),
        baseline: cli.baseline.as_deref(),
        write_baseline: cli.write_baseline.as_deref(),
    };
    let (linted, fixed_text) = match stdin {
        Some(file) => {
            let r = crate::app::lint_stdin(file, std::io::stdin().lock(), settings, &options)?;
            (r.linted, r.text)
        }
        None => (crate::app::lint(&cli.paths, settings, &options)?, None),
    };
    let settings = linted.settings;
    let run = Run {
        outcomes: linted.outcomes,
        files_scanned: linted.counts.files_scanned,
        files_parsed: linted.counts.files_parsed,
        catalog: &catalog,
        walk_errors: linted.walk_errors,
        unsafe_fixes: cli.rules.unsafe_fixes,
        mode,
        files_to_change: linted.files_to_change,
        baseline: linted.baseline,
    };
    // as ruff: with --fix on standard input, stdout holds the fixed text alone (an editor puts it in the
    // file's place; nothing when there is none to hand back) and the report goes to stderr. The text is
    // the caller's own input, handed back as it is (secrets included)
    let report_to = if stdin.is_some() && mode == Mode::Fix {
        write_stdout_bytes(fixed_text.as_deref().unwrap_or_default())?;
        Stream::Stderr
    } else {
        Stream::Stdout
    };
    print_report(cli, &run, &settings, format, human, report_to)?;
    Ok(exit_code(&run, cli, fail_on))
}

/// Print (and write, with `--output`) the report of a run, the CI side files, and the tool errors.
fn print_report(
    cli: &Cli,
    run: &Run,
    settings: &Settings,
    format: OutputFormat,
    human: OutputFormat,
    to: Stream,
) -> Result<(), String> {
    let tty = match to {
        Stream::Stdout => std::io::stdout().is_terminal(),
        Stream::Stderr => std::io::stderr().is_terminal(),
    };
    let color = use_color(cli.color, tty);
    let mut cx = crate::report::output::Context::new(settings.policy.fail_on);
    cx.turned_off = settings.policy.turned_off.clone();
    let mut text = match &cli.output {
        Some(file) => {
            // files get colour only when asked for explicitly
            let report = render(run, cli, &cx, format, cli.color == ColorChoice::Always);
            let report = if cli.color == ColorChoice::Always {
                crate::mask::guard_coloured(&report, encoding(format))
            } else {
                crate::mask::guard_output(&report, encoding(format))
            };
            crate::fix::write::write_whole(file, report.as_bytes())
                .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
            render(run, cli, &cx, human, color)
        }
        None => render(run, cli, &cx, format, color),
    };
    // a run on standard input writes no file, the CI job summaries neither
    let side_files = cli.stdin_filename.is_none();
    match format {
        OutputFormat::Github if side_files => {
            if let Err(e) = crate::report::output::github::write_step_summary(run, &cx) {
                eprint_line(&format!("warning: {e}"));
            }
        }
        OutputFormat::Azure if side_files => {
            match crate::report::output::azure::upload_summary(run, &cx) {
                Ok(line) => text.extend(line),
                Err(e) => eprint_line(&format!("warning: {e}")),
            }
        }
        _ => {}
    }
    if run.mode == Mode::Fix && !cli.quiet {
        // what the operator must create: on stdout after a human report, else on stderr
        let moved = crate::app::moved_secrets(&settings.secrets, &run.outcomes);
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
    match to {
        Stream::Stdout => emit_coloured(&text, encoding(shown), color)?,
        Stream::Stderr => eprint!("{}", guard(&text, encoding(shown), color)),
    }
    // tool errors on stderr only (the CI formats also annotate them)
    for (p, e) in &run.walk_errors {
        eprint_line(&format!("error: {}: {}", crate::mask::printable(p), e));
    }
    Ok(())
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
    if mode == Mode::Diff {
        // as ruff: the diff, whatever the output format
        append(
            &mut text,
            report::render_diffs(
                run,
                color && matches!(format, OutputFormat::Full | OutputFormat::Concise),
            ),
        );
        if !cli.quiet {
            append(&mut text, report::render_summary(run));
            text.extend(run.baseline.as_ref().map(|b| b.render_summary()));
        }
        return text;
    }
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
    if cli.exit_non_zero_on_fix && run.mode == Mode::Fix && run.files_to_change > 0 {
        return 1;
    }
    let pending = run.files_to_change > 0;
    // --diff, as in ruff: 1 exactly when it shows a diff, whatever findings remain
    if run.mode == Mode::Diff {
        return i32::from(pending);
    }
    let failing = run.findings().any(|(_, f)| f.severity >= fail_on);
    i32::from(failing || (run.mode == Mode::Check && pending))
}
