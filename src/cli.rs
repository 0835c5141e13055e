//! Command line: clap definitions, wiring, exit codes (0 clean, 1 findings or pending changes, 2 the tool
//! could not do its job). The exit code never depends on the output format.

use crate::discover::discover;
use crate::finding::Severity;
use crate::lint::{self, FixMode, Settings};
use crate::report::{self, Mode, Run};
use crate::rules::Catalog;
use clap::{Parser, Subcommand, ValueEnum};
use rayon::prelude::*;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "adfpg-migrate",
    version,
    about = "Find, lint and migrate Azure Data Factory / Synapse AzurePostgreSql linked services (1.0 → 2.0)",
    args_conflicts_with_subcommands = true
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

    /// Also apply (or count, or show) fixes that may change behaviour.
    #[arg(long)]
    pub unsafe_fixes: bool,

    /// Print the unified diff --fix would apply; write nothing; exit 1 if there is one.
    #[arg(long, conflicts_with = "check")]
    pub diff: bool,

    /// Lint, and also exit 1 when --fix would change a file (for CI).
    #[arg(long)]
    pub check: bool,

    /// Also print the unified diff of what --fix changes (or, without --fix, would change).
    #[arg(long)]
    pub show_diff: bool,

    /// How to print findings.
    #[arg(long, value_enum, env = "ADFPG_OUTPUT_FORMAT")]
    pub output_format: Option<OutputFormat>,

    /// When to use colour (NO_COLOR is honoured with `auto`).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Print findings only, no summary.
    #[arg(short, long)]
    pub quiet: bool,

    /// Exit 0 even when there are findings (advisory runs).
    #[arg(long)]
    pub exit_zero: bool,

    /// Skip files larger than this many MiB (reported).
    #[arg(long, default_value_t = 64, value_name = "MIB")]
    pub max_file_size: u64,

    /// Number of threads (default: one per core).
    #[arg(long, short = 'j')]
    pub threads: Option<usize>,
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
    Rule { code: String },
    /// Connect to the PostgreSQL server a linked service describes (sslMode as libpq applies it) and
    /// report TLS, certificate, server version and round trip; exit codes per failure class (README).
    TestConnection(crate::connect::Args),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Graphical diagnostics with source snippets (the default on a terminal).
    Full,
    /// One line per finding: path:line:col: CODE [severity] message (the default otherwise).
    Concise,
    /// A JSON document (schema in docs/json-output.md).
    Json,
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
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
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

/// Write to stdout; a closed pipe (`| head`) is not an error.
fn emit(text: &str) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.to_string()),
        _ => Ok(()),
    }
}

pub fn run(cli: Cli) -> Result<i32, String> {
    let catalog = Catalog::builtin();
    match &cli.command {
        Some(Command::Rules { output_format }) => {
            emit(&crate::docs::rules_list(
                &catalog,
                *output_format == ListFormat::Json,
            ))?;
            return Ok(0);
        }
        Some(Command::Rule { code }) => {
            let rule = catalog
                .get(code)
                .ok_or_else(|| format!("no rule `{code}`; `adfpg-migrate rules` lists them"))?;
            emit(&crate::docs::rule_doc(rule))?;
            return Ok(0);
        }
        Some(Command::TestConnection(args)) => return Ok(crate::connect::run(args)),
        None => {}
    }
    if let Some(n) = cli.threads {
        // ignore the error: the pool may already be built (tests call run() repeatedly)
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global();
    }
    let mut settings = Settings::new(catalog.clone());
    settings.max_file_size = cli.max_file_size.saturating_mul(1024 * 1024);
    settings.unsafe_fixes = cli.unsafe_fixes;
    settings.write = cli.fix;
    settings.fix = if cli.fix || cli.diff || cli.show_diff {
        FixMode::Apply {
            unsafe_fixes: cli.unsafe_fixes,
        }
    } else {
        FixMode::Off
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

    let found = discover(&cli.paths, &|_| false);
    let outcomes: Vec<_> = found
        .files
        .par_iter()
        .map(|p| lint::process(p, &settings))
        .collect();
    // files --fix would change: computed for --diff/--fix, counted from applicable fixes for --check
    let files_to_change = if settings.fix == FixMode::Off {
        outcomes
            .iter()
            .filter(|o| {
                o.findings
                    .iter()
                    .any(|f| f.fix.as_ref().is_some_and(|x| settings.applicable(x)))
            })
            .count()
    } else {
        outcomes.iter().filter(|o| o.change.is_some()).count()
    };
    let run = Run {
        outcomes,
        catalog: &catalog,
        walk_errors: found
            .errors
            .iter()
            .map(|(p, e)| (report::display_path(p), e.clone()))
            .collect(),
        unsafe_fixes: cli.unsafe_fixes,
        mode,
        files_to_change,
    };

    let tty = std::io::stdout().is_terminal();
    let color = use_color(cli.color, tty);
    let format = cli.output_format.unwrap_or(if tty {
        OutputFormat::Full
    } else {
        OutputFormat::Concise
    });
    let mut text = String::new();
    match format {
        OutputFormat::Json => text.push_str(&report::render_json(&run)),
        OutputFormat::Full | OutputFormat::Concise => {
            if mode != Mode::Diff {
                if format == OutputFormat::Full {
                    text.push_str(&report::render_full(&run, color));
                } else {
                    text.push_str(&report::render_concise(&run));
                }
            }
            if mode == Mode::Diff || cli.show_diff {
                text.push_str(&report::render_diffs(&run, color));
            }
            if mode == Mode::Fix {
                text.push_str(&report::render_fixed(&run));
            }
            if !cli.quiet {
                text.push_str(&report::render_summary(&run));
            }
        }
    }
    emit(&text)?;
    Ok(exit_code(&run, &cli))
}

fn exit_code(run: &Run, cli: &Cli) -> i32 {
    if run.outcomes.iter().any(|o| o.failed) || !run.walk_errors.is_empty() {
        return 2;
    }
    if cli.exit_zero {
        return 0;
    }
    let failing = run.findings().any(|(_, f)| f.severity >= Severity::Warning);
    let pending = matches!(run.mode, Mode::Diff | Mode::Check) && run.files_to_change > 0;
    i32::from(failing || pending)
}
