//! Configuration: `adfpg.toml` or `.adfpg.toml`, found from the first scanned path upward (or `--config`),
//! merged with the command line (CLI over config over defaults). Unknown keys and bad values are errors
//! that point into the config file.

use crate::check::catalog::{Catalog, parse_rule};
use crate::finding::{Safety, Severity};
use crate::fix::migrate::{MigrationOptions, VaultTarget};
use globset::{Glob, GlobMatcher, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use toml::Spanned;

pub const FILE_NAMES: [&str; 2] = ["adfpg.toml", ".adfpg.toml"];

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct ConfigFile {
    select: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    ignore: Vec<Spanned<String>>,
    fail_on: Option<Spanned<Severity>>,
    /// Code → error | warning | info | off.
    #[serde(default)]
    severity: BTreeMap<Spanned<String>, Level>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
    /// Glob → codes ignored in matching files.
    #[serde(default)]
    per_path_ignores: BTreeMap<Spanned<String>, Vec<Spanned<String>>>,
    /// Folders of extra rule files (inside the config's repository).
    #[serde(default)]
    rules: Vec<Spanned<PathBuf>>,
    /// MiB; at most [`MAX_FILE_SIZE_FROM_CONFIG`].
    max_file_size: Option<Spanned<u64>>,
    /// Rules whose fixes `--fix` may apply (ruff's names; default every rule).
    fixable: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    extend_fixable: Vec<Spanned<String>>,
    #[serde(default)]
    unfixable: Vec<Spanned<String>>,
    #[serde(default)]
    extend_safe_fixes: Vec<Spanned<String>>,
    #[serde(default)]
    extend_unsafe_fixes: Vec<Spanned<String>>,
    #[serde(default)]
    ssl: SslConfig,
    #[serde(default)]
    migration: MigrationConfig,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
    Info,
    Off,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct SslConfig {
    /// The weakest sslMode accepted anywhere (number or name).
    minimum: Option<Spanned<SslValue>>,
    /// Glob → minimum for matching files (the first matching glob wins).
    #[serde(default)]
    paths: BTreeMap<Spanned<String>, Spanned<SslValue>>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(untagged)]
enum SslValue {
    Number(i64),
    Name(String),
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct MigrationConfig {
    /// AzurePostgreSql's sslMode mapping.
    ssl_mode_no_encryption: Option<Spanned<SslValue>>,
    ssl_mode_request_ssl: Option<Spanned<SslValue>>,
    ssl_mode_encrypted: Option<Spanned<SslValue>>,
    ssl_mode_validated: Option<Spanned<SslValue>>,
    strip_user_at_server: Option<bool>,
    authentication_type: Option<Spanned<String>>,
    key_vault: Option<Spanned<KeyVaultConfig>>,
    /// `[migration.postgresql]`: the legacy PostgreSql connector's sslMode mapping.
    postgresql: Option<SslMappingConfig>,
}

/// The sslMode a migration writes for each old TLS setting.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct SslMappingConfig {
    ssl_mode_no_encryption: Option<Spanned<SslValue>>,
    ssl_mode_request_ssl: Option<Spanned<SslValue>>,
    ssl_mode_encrypted: Option<Spanned<SslValue>>,
    ssl_mode_validated: Option<Spanned<SslValue>>,
}

/// `[migration.key-vault]`: move credentials to Key Vault while migrating (ADFPG024).
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct KeyVaultConfig {
    linked_service: Option<Spanned<String>>,
    secret_name: Option<Spanned<String>>,
}

/// A problem in a config or rule file, with where it is.
#[derive(Debug, Clone)]
pub struct ConfigError {
    pub file: PathBuf,
    pub text: String,
    pub span: Option<std::ops::Range<usize>>,
    pub message: String,
}

impl ConfigError {
    /// The error with the lines around it, masked like every other output: a config or rule file may
    /// hold a secret (or be a credentials file named where a rules folder was expected).
    pub fn render(&self) -> String {
        let message = self.message.clone();
        if self.text.is_empty() && self.span.is_none() && self.file == Path::new("command line") {
            return message;
        }
        let diag = miette::MietteDiagnostic::new(message.clone()).with_code("config");
        let diag = match &self.span {
            Some(s) => diag.with_label(miette::LabeledSpan::new_primary_with_span(
                None,
                (s.start, s.end - s.start),
            )),
            None => diag,
        };
        // same length: the span still points at the same bytes
        let report = miette::Report::new(diag).with_source_code(miette::NamedSource::new(
            self.file.display().to_string(),
            crate::mask::mask_by_pattern(&self.text),
        ));
        let mut out = String::new();
        let handler =
            miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor());
        if handler.render_report(&mut out, report.as_ref()).is_err() {
            out = format!("{}: {message}", self.file.display());
        }
        out
    }
}

/// What the command line says about rules and policy (each `None`/empty means "not given").
#[derive(Debug, Default, Clone)]
pub struct CliOverrides {
    /// Rule selectors (codes, code prefixes, `ALL`): `--select` replaces the config's `select`,
    /// `--extend-select` adds to it, `--ignore` and `--extend-ignore` add to `ignore`.
    pub select: Option<Vec<String>>,
    pub extend_select: Vec<String>,
    pub ignore: Vec<String>,
    pub severity: Vec<(String, Level)>,
    pub fail_on: Option<Severity>,
    pub rules: Vec<PathBuf>,
    pub max_file_size: Option<u64>,
    /// `--fixable` (replaces the config's `fixable`), `--extend-fixable`, `--unfixable` (add to it).
    pub fixable: Option<Vec<String>>,
    pub extend_fixable: Vec<String>,
    pub unfixable: Vec<String>,
    /// `--credentials-to-key-vault VAULT`.
    pub key_vault: Option<String>,
    /// `--secret-name TEMPLATE`.
    pub secret_name: Option<String>,
}

/// Which rules' fixes `--fix` may apply, and how safe each is, as in ruff: `fixable` (default every
/// rule), `unfixable`, `extend-safe-fixes`, `extend-unsafe-fixes`. `ALL` names every rule. A display-only
/// fix (a suggestion, such as raising sslMode) becomes applicable only when its rule is named by its
/// code, never through `ALL`: hardening is a decision, not a side effect.
#[derive(Debug, Clone, Default)]
pub struct FixRules {
    /// None: every rule.
    fixable: Option<HashSet<String>>,
    unfixable: HashSet<String>,
    extend_safe: HashSet<String>,
    extend_unsafe: HashSet<String>,
    /// Codes named one by one in `fixable`, `extend-fixable`, `extend-safe-fixes`, `extend-unsafe-fixes`.
    named: HashSet<String>,
}

impl FixRules {
    /// The safety a fix of rule `code` has under this policy; display-only means `--fix` leaves it.
    pub fn safety(&self, code: &str, safety: Safety) -> Safety {
        let names = |set: &HashSet<String>| set.contains(code) || set.contains(ALL);
        if names(&self.unfixable) || !self.fixable.as_ref().is_none_or(names) {
            return Safety::DisplayOnly;
        }
        if safety == Safety::DisplayOnly && !self.named.contains(code) {
            return Safety::DisplayOnly;
        }
        // unsafe wins when a rule is in both lists: the cautious reading
        if names(&self.extend_unsafe) {
            Safety::Unsafe
        } else if names(&self.extend_safe) {
            Safety::Safe
        } else if safety == Safety::DisplayOnly {
            // selected by name: applied like any unsafe fix, with --unsafe-fixes
            Safety::Unsafe
        } else {
            safety
        }
    }
}

/// The selector for every rule in the fix lists.
const ALL: &str = "ALL";

/// Everything a run needs to decide which findings exist and how severe they are.
#[derive(Debug, Clone)]
pub struct Policy {
    pub catalog: Catalog,
    pub disabled: HashSet<String>,
    pub severity: HashMap<String, Severity>,
    pub fail_on: Severity,
    /// Paths in config globs are relative to this folder.
    pub base: PathBuf,
    pub exclude: GlobSet,
    pub per_path_ignores: Vec<(GlobMatcher, HashSet<String>)>,
    pub fixes: FixRules,
    pub ssl_minimum: Option<u8>,
    pub ssl_paths: Vec<(GlobMatcher, u8)>,
    pub migration: MigrationOptions,
    pub max_file_size: Option<u64>,
    /// The config file used, if any.
    pub source: Option<PathBuf>,
    /// The config file's entries that turn findings off (the CI formats report them).
    pub turned_off: Vec<TurnedOff>,
}

/// A config entry that turns findings off (`exclude`, `ignore`, `select`, a severity `off`,
/// `per-path-ignores`, `fail-on = "error"`): on a pull request the config comes with the change, so a
/// CI format reports each one where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct TurnedOff {
    pub file: PathBuf,
    /// 1-based.
    pub line: usize,
    /// What it turns off, e.g. ``exclude `**` hides every file it matches``.
    pub what: String,
}

impl TurnedOff {
    /// The message a CI format shows for it.
    pub fn message(&self) -> String {
        format!(
            "the configuration turns findings off: {}. A pull request can change its configuration: in CI, take it from the base branch or run with --no-config (README, CI and pre-commit)",
            self.what
        )
    }
}

/// The entries of a config that turn findings off, in file order.
fn turned_off(file: &ConfigFile, text: &str, path: &Path, catalog: &Catalog) -> Vec<TurnedOff> {
    let line =
        |span: std::ops::Range<usize>| text[..span.start.min(text.len())].matches('\n').count() + 1;
    let shown = |s: &str| crate::mask::printable(s).into_owned();
    let mut out: Vec<TurnedOff> = Vec::new();
    let mut add = |span: std::ops::Range<usize>, what: String| {
        out.push(TurnedOff {
            file: path.to_path_buf(),
            line: line(span),
            what,
        })
    };
    for g in &file.exclude {
        add(
            g.span(),
            format!(
                "`exclude` `{}` hides every file it matches",
                shown(g.get_ref())
            ),
        );
    }
    for c in &file.ignore {
        add(
            c.span(),
            format!("`ignore` turns {} off", shown(c.get_ref())),
        );
    }
    if let Some(select) = &file.select
        && let Some(first) = select.first()
    {
        let named: HashSet<String> = select
            .iter()
            .map(|c| c.get_ref().to_ascii_uppercase())
            .collect();
        let off = catalog
            .rules
            .iter()
            .filter(|r| !named.contains(&r.code))
            .count();
        if off > 0 {
            add(
                first.span(),
                format!("`select` turns off the {off} rules it does not name"),
            );
        }
    }
    for (code, level) in &file.severity {
        if *level == Level::Off {
            add(
                code.span(),
                format!("`severity` turns {} off", shown(code.get_ref())),
            );
        }
    }
    for (glob, codes) in &file.per_path_ignores {
        let codes: Vec<String> = codes.iter().map(|c| shown(c.get_ref())).collect();
        add(
            glob.span(),
            format!(
                "`per-path-ignores` turns {} off in files matching `{}`",
                codes.join(", "),
                shown(glob.get_ref())
            ),
        );
    }
    if let Some(f) = &file.fail_on
        && *f.get_ref() == Severity::Error
    {
        add(
            f.span(),
            "`fail-on = \"error\"`: warnings no longer fail the run".to_string(),
        );
    }
    out.sort_by_key(|t| t.line);
    out
}

impl Policy {
    /// The path relative to the config folder, for glob matching.
    fn relative<'a>(&self, path: &'a Path) -> std::borrow::Cow<'a, Path> {
        if let Ok(r) = path.strip_prefix(&self.base) {
            return r.into();
        }
        match std::path::absolute(path) {
            Ok(abs) => abs
                .strip_prefix(&self.base)
                .map(Path::to_path_buf)
                .unwrap_or(abs)
                .into(),
            Err(_) => path.into(),
        }
    }

    pub fn excluded(&self, path: &Path) -> bool {
        !self.exclude.is_empty() && self.exclude.is_match(self.relative(path))
    }

    /// Codes ignored for this file by `per-path-ignores`.
    pub fn ignored_codes(&self, path: &Path) -> HashSet<String> {
        if self.per_path_ignores.is_empty() {
            return HashSet::new();
        }
        let rel = self.relative(path);
        self.per_path_ignores
            .iter()
            .filter(|(g, _)| g.is_match(&rel))
            .flat_map(|(_, c)| c.iter().cloned())
            .collect()
    }

    pub fn ssl_minimum_for(&self, path: &Path) -> Option<u8> {
        if !self.ssl_paths.is_empty() {
            let rel = self.relative(path);
            if let Some((_, m)) = self.ssl_paths.iter().find(|(g, _)| g.is_match(&rel)) {
                return Some(*m);
            }
        }
        self.ssl_minimum
    }

    pub fn severity_of(&self, code: &str, default: Severity) -> Severity {
        self.severity.get(code).copied().unwrap_or(default)
    }
}

/// Find the config file for a run: `adfpg.toml` / `.adfpg.toml` in the first path's folder or above, up
/// to the repository's root (the folder holding `.git`) and no further: a config above the repository
/// belongs to someone else. A link named like a config is not one (as the walk does not follow links).
pub fn discover(start: &Path) -> Option<PathBuf> {
    let abs = std::path::absolute(start).ok()?;
    let mut dir = if abs.is_dir() {
        abs.as_path()
    } else {
        abs.parent()?
    };
    loop {
        for name in FILE_NAMES {
            let p = dir.join(name);
            if std::fs::symlink_metadata(&p).is_ok_and(|m| m.is_file()) {
                return Some(p);
            }
        }
        if dir.join(".git").exists() {
            return None;
        }
        dir = dir.parent()?;
    }
}

/// The run's policy: the config file (or none) merged with the command line, step by step: rules, which
/// are on and how severe, fixes, paths, sslMode policy, migration options. The first invalid entry is the
/// error, located in the file.
pub fn load(config: Option<&Path>, cli: &CliOverrides) -> Result<Policy, ConfigError> {
    let (file, text, base) = read_config(config)?;
    let path = config
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("<command line>"));
    let err = |span: Option<std::ops::Range<usize>>, message: String| ConfigError {
        file: path.clone(),
        text: text.clone(),
        span,
        message,
    };
    let catalog = rule_catalog(&file, &base, cli, &err)?;
    let known = |c: &Spanned<String>| -> Result<String, ConfigError> {
        let code = c.get_ref().to_ascii_uppercase();
        match catalog.get(&code) {
            Some(r) => Ok(r.code.clone()),
            None => Err(err(
                Some(c.span()),
                format!("unknown rule code `{}`", c.get_ref()),
            )),
        }
    };
    let known_cli = |c: &str| -> Result<String, ConfigError> {
        catalog
            .get(c)
            .map(|r| r.code.clone())
            .ok_or_else(|| err(None, format!("unknown rule code `{c}` on the command line")))
    };
    let (disabled, severity) = rule_levels(&file, cli, &catalog, &known, &known_cli)?;
    let fixes = fix_rules(&file, cli, &known, &known_cli)?;
    let exclude = exclude_globs(&file, &err)?;
    let per_path_ignores = per_path_ignores(&file, &known, &err)?;
    let ssl_minimum = file
        .ssl
        .minimum
        .as_ref()
        .map(|v| ssl_value(v, &err))
        .transpose()?;
    let mut ssl_paths = Vec::new();
    for (g, v) in &file.ssl.paths {
        ssl_paths.push((glob(g, &err)?.compile_matcher(), ssl_value(v, &err)?));
    }
    let turned_off = turned_off(&file, &text, &path, &catalog);
    let mut migration = migration_options(&file.migration, &err)?;
    migration.key_vault = key_vault_target(file.migration.key_vault.as_ref(), cli, &err)?;
    Ok(Policy {
        catalog,
        disabled,
        severity,
        fail_on: cli
            .fail_on
            .or(file.fail_on.as_ref().map(|s| *s.get_ref()))
            .unwrap_or(Severity::Warning),
        base,
        exclude: exclude.build().map_err(|e| err(None, e.to_string()))?,
        per_path_ignores,
        fixes,
        ssl_minimum,
        ssl_paths,
        migration,
        max_file_size: cli.max_file_size.or(config_max_file_size(&file, &err)?),
        source: config.map(Path::to_path_buf),
        turned_off,
    })
}

/// The most `max-file-size` (MiB) a config may set. Memory follows the largest file read, and a config
/// comes with the repository (a pull request can raise it to 2⁶⁴−1); a person lifts the cap on the
/// command line (`--max-file-size`).
pub const MAX_FILE_SIZE_FROM_CONFIG: u64 = 256;

fn config_max_file_size(file: &ConfigFile, err: &ErrAt) -> Result<Option<u64>, ConfigError> {
    let Some(v) = &file.max_file_size else {
        return Ok(None);
    };
    if *v.get_ref() > MAX_FILE_SIZE_FROM_CONFIG {
        return Err(err(
            Some(v.span()),
            format!(
                "max-file-size {} MiB is over the {MAX_FILE_SIZE_FROM_CONFIG} MiB a config may set (a repository's config must not lift the memory bound); pass a larger value with --max-file-size",
                v.get_ref()
            ),
        ));
    }
    Ok(Some(*v.get_ref()))
}

/// The config file parsed, its text (for located errors) and the folder its paths are relative to; with
/// no file, the defaults and the working directory.
fn read_config(config: Option<&Path>) -> Result<(ConfigFile, String, PathBuf), ConfigError> {
    let Some(p) = config else {
        return Ok((
            ConfigFile::default(),
            String::new(),
            std::env::current_dir().unwrap_or_default(),
        ));
    };
    let text =
        crate::source::read::read_text(p, crate::source::read::Links::Follow).map_err(|e| {
            ConfigError {
                file: p.to_path_buf(),
                text: String::new(),
                span: None,
                message: format!("cannot read config: {e}"),
            }
        })?;
    let parsed: ConfigFile = toml::from_str(&text).map_err(|e| ConfigError {
        file: p.to_path_buf(),
        text: text.clone(),
        span: e.span(),
        message: e.message().to_string(),
    })?;
    let base = std::path::absolute(p)
        .ok()
        .and_then(|a| a.parent().map(Path::to_path_buf))
        .unwrap_or_default();
    Ok((parsed, text, base))
}

/// The rules: built-in, then the config's folders, then `--rules` folders.
fn rule_catalog(
    file: &ConfigFile,
    base: &Path,
    cli: &CliOverrides,
    err: &ErrAt,
) -> Result<Catalog, ConfigError> {
    let mut catalog = Catalog::builtin();
    let mut folders = Vec::new();
    for r in &file.rules {
        folders.push(config_rule_dir(base, r, err)?);
    }
    for dir in folders.iter().chain(&cli.rules) {
        load_rule_dir(dir, &mut catalog)?;
    }
    Ok(catalog)
}

/// A folder a config's `rules` names: inside the config's repository (the nearest folder at or above
/// the config's that holds `.git`, else the config's own folder), and reached from there without a
/// link. A config comes with the repository (a pull request can change it), so it may not make the
/// run read `/any/dir` or `../x`; a person names such a folder with `--rules`.
fn config_rule_dir(
    base: &Path,
    entry: &Spanned<PathBuf>,
    err: &ErrAt,
) -> Result<PathBuf, ConfigError> {
    let root = base
        .ancestors()
        .find(|d| d.join(".git").exists())
        .unwrap_or(base);
    let dir = crate::text::normalize(&base.join(entry.get_ref()));
    let shown = crate::text::shown_path(entry.get_ref());
    let Ok(below) = dir.strip_prefix(root) else {
        return Err(err(
            Some(entry.span()),
            format!(
                "rules folder `{shown}` is outside the repository ({}): a config's house rules come from inside it; name another folder with --rules",
                crate::text::shown_path(root)
            ),
        ));
    };
    let mut at = root.to_path_buf();
    for c in below.components() {
        at.push(c);
        if std::fs::symlink_metadata(&at).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(err(
                Some(entry.span()),
                format!(
                    "rules folder `{shown}` is reached through a symbolic link (`{}`); house rules are never read through a link",
                    crate::text::shown_path(&at)
                ),
            ));
        }
    }
    Ok(dir)
}

/// Which rules are off (`select`, `ignore`, severity `off`) and the severities set (config, then command
/// line: `--select` replaces `select`, the others add).
fn rule_levels(
    file: &ConfigFile,
    cli: &CliOverrides,
    catalog: &Catalog,
    known: &KnownCode,
    known_cli: &KnownCliCode,
) -> Result<(HashSet<String>, HashMap<String, Severity>), ConfigError> {
    // a selector is `ALL`, a code or a code prefix (ruff's habit); one that names no rule is an error
    let file_codes = |c: &Spanned<String>| match selected(catalog, c.get_ref()) {
        m if m.is_empty() => known(c).map(|k| vec![k]),
        m => Ok(m),
    };
    let cli_codes = |c: &String| match selected(catalog, c) {
        m if m.is_empty() => known_cli(c).map(|k| vec![k]),
        m => Ok(m),
    };
    let flat = |v: Vec<Vec<String>>| v.into_iter().flatten().collect::<HashSet<String>>();
    let mut select: Option<HashSet<String>> = match &cli.select {
        Some(s) => Some(flat(s.iter().map(cli_codes).collect::<Result<_, _>>()?)),
        None => file
            .select
            .as_ref()
            .map(|s| s.iter().map(file_codes).collect::<Result<_, _>>().map(flat))
            .transpose()?,
    };
    if let Some(sel) = select.as_mut() {
        for c in &cli.extend_select {
            sel.extend(cli_codes(c)?);
        }
    }
    let mut disabled: HashSet<String> = match &select {
        Some(sel) => catalog
            .rules
            .iter()
            .map(|r| r.code.clone())
            .filter(|c| !sel.contains(c))
            .collect(),
        None => HashSet::new(),
    };
    for c in &file.ignore {
        disabled.extend(file_codes(c)?);
    }
    for c in &cli.ignore {
        disabled.extend(cli_codes(c)?);
    }
    let mut severity = HashMap::new();
    let levels = file
        .severity
        .iter()
        .map(|(c, l)| known(c).map(|c| (c, *l)))
        .chain(
            cli.severity
                .iter()
                .map(|(c, l)| known_cli(c).map(|c| (c, *l))),
        );
    for entry in levels {
        let (code, level) = entry?;
        match level {
            Level::Off => {
                disabled.insert(code);
            }
            Level::Error => drop(severity.insert(code, Severity::Error)),
            Level::Warning => drop(severity.insert(code, Severity::Warning)),
            Level::Info => drop(severity.insert(code, Severity::Info)),
        }
    }
    Ok((disabled, severity))
}

/// The codes a rule selector names: every rule for `ALL`, else the rules whose code starts with it
/// (case-insensitive), a whole code included. Empty when it names none.
fn selected(catalog: &Catalog, selector: &str) -> Vec<String> {
    let s = selector.trim().to_ascii_uppercase();
    if s.is_empty() {
        return Vec::new();
    }
    catalog
        .rules
        .iter()
        .filter(|r| s == ALL || r.code.to_ascii_uppercase().starts_with(&s))
        .map(|r| r.code.clone())
        .collect()
}

fn glob(g: &Spanned<String>, err: &ErrAt) -> Result<Glob, ConfigError> {
    Glob::new(g.get_ref()).map_err(|e| err(Some(g.span()), format!("invalid glob: {e}")))
}

/// The `exclude` globs (built last, as before the split, so a run reports the same first error).
fn exclude_globs(file: &ConfigFile, err: &ErrAt) -> Result<GlobSetBuilder, ConfigError> {
    let mut exclude = GlobSetBuilder::new();
    for g in &file.exclude {
        exclude.add(glob(g, err)?);
    }
    Ok(exclude)
}

/// `per-file-ignores`: a glob and the codes it switches off.
fn per_path_ignores(
    file: &ConfigFile,
    known: &KnownCode,
    err: &ErrAt,
) -> Result<Vec<(GlobMatcher, HashSet<String>)>, ConfigError> {
    let mut out = Vec::new();
    for (g, codes) in &file.per_path_ignores {
        let codes = codes.iter().map(known).collect::<Result<HashSet<_>, _>>()?;
        out.push((glob(g, err)?.compile_matcher(), codes));
    }
    Ok(out)
}

/// The `[migration]` table over the defaults (Key Vault aside).
fn migration_options(m: &MigrationConfig, err: &ErrAt) -> Result<MigrationOptions, ConfigError> {
    let mut migration = MigrationOptions::default();
    let azure = [
        &m.ssl_mode_no_encryption,
        &m.ssl_mode_request_ssl,
        &m.ssl_mode_encrypted,
        &m.ssl_mode_validated,
    ];
    let legacy = m.postgresql.as_ref().map(|t| {
        [
            &t.ssl_mode_no_encryption,
            &t.ssl_mode_request_ssl,
            &t.ssl_mode_encrypted,
            &t.ssl_mode_validated,
        ]
    });
    let tables = [
        (Some(azure), &crate::connector::azure_postgresql::CONNECTOR),
        (legacy, &crate::connector::postgresql::CONNECTOR),
    ];
    for (table, c) in tables {
        let Some([none, request, encrypted, validated]) = table else {
            continue;
        };
        let map = migration.ssl_mut(c);
        for (value, slot) in [
            (none, &mut map.no_encryption),
            (request, &mut map.request),
            (encrypted, &mut map.encrypted),
            (validated, &mut map.validated),
        ] {
            if let Some(v) = value {
                *slot = ssl_value(v, err)?;
            }
        }
    }
    if let Some(s) = m.strip_user_at_server {
        migration.strip_user_at_server = s;
    }
    if let Some(a) = &m.authentication_type {
        if !matches!(a.get_ref().as_str(), "Basic" | "BasicAuth") {
            return Err(err(
                Some(a.span()),
                "authentication-type must be \"Basic\" or \"BasicAuth\"".into(),
            ));
        }
        migration.authentication_type = a.get_ref().clone();
    }
    Ok(migration)
}

/// Builds an error located in the config file (or on the command line).
type ErrAt<'a> = dyn Fn(Option<std::ops::Range<usize>>, String) -> ConfigError + 'a;
/// A config file's rule code, checked against the catalog (case-insensitive).
type KnownCode<'a> = dyn Fn(&Spanned<String>) -> Result<String, ConfigError> + 'a;
/// A command line's rule code, checked against the catalog.
type KnownCliCode<'a> = dyn Fn(&str) -> Result<String, ConfigError> + 'a;

/// The fix lists of the config file and the command line (`--fixable` replaces `fixable`; the others add).
fn fix_rules(
    file: &ConfigFile,
    cli: &CliOverrides,
    known: &KnownCode,
    known_cli: &KnownCliCode,
) -> Result<FixRules, ConfigError> {
    let from_file = |list: &[Spanned<String>]| -> Result<Vec<String>, ConfigError> {
        list.iter()
            .map(|c| {
                if c.get_ref().eq_ignore_ascii_case(ALL) {
                    Ok(ALL.to_string())
                } else {
                    known(c)
                }
            })
            .collect()
    };
    let from_cli = |list: &[String]| -> Result<Vec<String>, ConfigError> {
        list.iter()
            .map(|c| {
                if c.eq_ignore_ascii_case(ALL) {
                    Ok(ALL.to_string())
                } else {
                    known_cli(&c.to_ascii_uppercase())
                }
            })
            .collect()
    };
    let fixable = match &cli.fixable {
        Some(list) => Some(from_cli(list)?),
        None => file.fixable.as_deref().map(from_file).transpose()?,
    };
    let extend_fixable: Vec<String> = from_file(&file.extend_fixable)?
        .into_iter()
        .chain(from_cli(&cli.extend_fixable)?)
        .collect();
    let unfixable: HashSet<String> = from_file(&file.unfixable)?
        .into_iter()
        .chain(from_cli(&cli.unfixable)?)
        .collect();
    let extend_safe: HashSet<String> = from_file(&file.extend_safe_fixes)?.into_iter().collect();
    let extend_unsafe: HashSet<String> =
        from_file(&file.extend_unsafe_fixes)?.into_iter().collect();
    let named = fixable
        .iter()
        .flatten()
        .chain(&extend_fixable)
        .chain(&extend_safe)
        .chain(&extend_unsafe)
        .filter(|c| *c != ALL)
        .cloned()
        .collect();
    Ok(FixRules {
        fixable: fixable.map(|f| f.into_iter().chain(extend_fixable).collect()),
        unfixable,
        extend_safe,
        extend_unsafe,
        named,
    })
}

/// The vault and secret-name template: the command line over `[migration.key-vault]`, both checked.
fn key_vault_target(
    file: Option<&Spanned<KeyVaultConfig>>,
    cli: &CliOverrides,
    err: &ErrAt,
) -> Result<Option<VaultTarget>, ConfigError> {
    use crate::check::key_vault::{DEFAULT_SECRET_NAME, check_template, check_vault_name};
    let cli_err = |message: String| ConfigError {
        file: PathBuf::from("command line"),
        text: String::new(),
        span: None,
        message,
    };
    let table = file.map(Spanned::get_ref);
    let vault = match (
        &cli.key_vault,
        table.and_then(|t| t.linked_service.as_ref()),
    ) {
        (Some(v), _) => {
            check_vault_name(v).map_err(|e| cli_err(format!("--credentials-to-key-vault: {e}")))?;
            v.clone()
        }
        (None, Some(v)) => {
            check_vault_name(v.get_ref()).map_err(|e| err(Some(v.span()), e))?;
            v.get_ref().clone()
        }
        (None, None) => {
            if cli.secret_name.is_some() {
                return Err(cli_err(
                    "--secret-name needs --credentials-to-key-vault VAULT (or [migration.key-vault] linked-service)".into(),
                ));
            }
            if let Some(t) = file {
                return Err(err(
                    Some(t.span()),
                    "[migration.key-vault] needs `linked-service`: the AzureKeyVault linked service credentials move to".into(),
                ));
            }
            return Ok(None);
        }
    };
    let secret_name = match (&cli.secret_name, table.and_then(|t| t.secret_name.as_ref())) {
        (Some(t), _) => {
            check_template(t).map_err(|e| cli_err(format!("--secret-name: {e}")))?;
            t.clone()
        }
        (None, Some(t)) => {
            check_template(t.get_ref()).map_err(|e| err(Some(t.span()), e))?;
            t.get_ref().clone()
        }
        (None, None) => DEFAULT_SECRET_NAME.to_string(),
    };
    Ok(Some(VaultTarget { vault, secret_name }))
}

fn ssl_value(v: &Spanned<SslValue>, err: &ErrAt) -> Result<u8, ConfigError> {
    let n = match v.get_ref() {
        SslValue::Number(n) => u8::try_from(*n).ok().filter(|n| *n <= 5),
        SslValue::Name(s) => crate::source::connstr::ssl_mode_number(s),
    };
    n.ok_or_else(|| {
        err(
            Some(v.span()),
            "expected an sslMode: 0–5 or Disable, Allow, Prefer, Require, VerifyCA, VerifyFull"
                .into(),
        )
    })
}

/// Add every `*.toml` rule file of a folder to the catalog; a bad file is an error naming it and the line.
pub fn load_rule_dir(dir: &Path, catalog: &mut Catalog) -> Result<(), ConfigError> {
    let io_err = |e: std::io::Error| ConfigError {
        file: dir.to_path_buf(),
        text: String::new(),
        span: None,
        message: format!("cannot read rules folder: {e}"),
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io_err)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    for f in files {
        // found by listing a folder: a link there is refused, as the walk refuses it
        let text = crate::source::read::read_text(&f, crate::source::read::Links::Refuse).map_err(
            |e| ConfigError {
                file: f.clone(),
                text: String::new(),
                span: None,
                message: format!("cannot read rule file: {e}"),
            },
        )?;
        let rule = parse_rule(&f.display().to_string(), &text).map_err(|e| ConfigError {
            file: f.clone(),
            span: e.line.map(|l| line_span(&text, l)),
            text: text.clone(),
            message: e.message.clone(),
        })?;
        if catalog.get(&rule.code).is_some() {
            return Err(ConfigError {
                file: f.clone(),
                span: Some(line_span(&text, 1)),
                text,
                message: format!("rule code `{}` is already taken", rule.code),
            });
        }
        catalog.rules.push(rule);
    }
    Ok(())
}

fn line_span(text: &str, line: usize) -> std::ops::Range<usize> {
    let start: usize = text
        .split_inclusive('\n')
        .take(line - 1)
        .map(str::len)
        .sum();
    let len = text[start..].find('\n').unwrap_or(text.len() - start);
    start..start + len
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(config: &str, cli: CliOverrides) -> FixRules {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("adfpg.toml");
        std::fs::write(&file, config).unwrap();
        load(Some(&file), &cli).unwrap().fixes
    }

    #[test]
    fn display_only_fixes_need_their_code_by_name() {
        let all = rules("fixable = [\"ALL\"]\n", CliOverrides::default());
        assert_eq!(
            all.safety("ADFPG004", Safety::DisplayOnly),
            Safety::DisplayOnly
        );
        assert_eq!(all.safety("ADFPG001", Safety::Unsafe), Safety::Unsafe);
        let named = rules(
            "",
            CliOverrides {
                extend_fixable: vec!["adfpg004".into()],
                ..Default::default()
            },
        );
        assert_eq!(
            named.safety("ADFPG004", Safety::DisplayOnly),
            Safety::Unsafe
        );
        assert_eq!(
            named.safety("ADFPG005", Safety::DisplayOnly),
            Safety::DisplayOnly
        );
    }

    #[test]
    fn unfixable_and_unsafe_win() {
        let r = rules(
            "unfixable = [\"ADFPG030\"]\nextend-safe-fixes = [\"ADFPG001\", \"ADFPG004\"]\nextend-unsafe-fixes = [\"ADFPG001\"]\n",
            CliOverrides::default(),
        );
        assert_eq!(r.safety("ADFPG030", Safety::Safe), Safety::DisplayOnly);
        assert_eq!(r.safety("ADFPG001", Safety::Safe), Safety::Unsafe);
        assert_eq!(r.safety("ADFPG004", Safety::DisplayOnly), Safety::Safe);
        // --fixable replaces the config's list
        let r = rules(
            "fixable = [\"ADFPG001\"]\n",
            CliOverrides {
                fixable: Some(vec!["ADFPG030".into()]),
                ..Default::default()
            },
        );
        assert_eq!(r.safety("ADFPG001", Safety::Safe), Safety::DisplayOnly);
        assert_eq!(r.safety("ADFPG030", Safety::Safe), Safety::Safe);
    }
}
