//! Standard input as a file, as ruff and editors use it: `adfpg-migrate - --stdin-filename
//! linkedService/X.json`. The usage rules, checked before anything is read: `-` and `--stdin-filename`
//! come together, `-` is the only path, and no option that writes a file or prints beside the fixed text
//! is taken (a run on standard input writes nothing; with `--fix` stdout holds the fixed text alone).

use super::Cli;
use std::path::Path;

/// The file standard input stands for when this run reads it (`-` with `--stdin-filename`), or None for a
/// run on paths; an error (exit 2) for a combination that cannot be honoured.
pub fn file(cli: &Cli) -> Result<Option<&Path>, String> {
    let dash = cli.paths.iter().any(|p| p.as_os_str() == "-");
    let Some(name) = cli.stdin_filename.as_deref() else {
        if dash {
            return Err("`-` reads the file from standard input and needs --stdin-filename PATH: the path it stands for (findings name it, and its factory folder gives the context)".into());
        }
        return Ok(None);
    };
    if cli.command.is_some() {
        return Err("--stdin-filename is for a lint run (`adfpg-migrate - --stdin-filename PATH`), not for a subcommand".into());
    }
    if !dash {
        return Err(format!(
            "--stdin-filename {} names the file standard input stands for: pass `-` as the path to read it",
            crate::text::shown_path(name)
        ));
    }
    if cli.paths.len() > 1 {
        return Err("`-` (standard input) cannot be mixed with other paths: lint those in a run of their own".into());
    }
    if name.as_os_str().is_empty() {
        return Err("--stdin-filename needs a path (e.g. linkedService/X.json)".into());
    }
    if cli.show_changes {
        return Err("--show-changes cannot be used with `-`: --fix prints the fixed text on stdout (use --diff for the diff)".into());
    }
    if cli.output.is_some() {
        return Err("--output writes a file; a run on standard input (`-`) writes nothing: the report goes to stdout (to stderr with --fix)".into());
    }
    Ok(Some(name))
}
