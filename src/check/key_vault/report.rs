//! What the operator is told about the secrets, and the one place their values are written: the
//! `plan`/`--fix` section with its `az` lines, the plan's JSON, and `--export-secrets`.

use super::Secret;
use super::names::strip_interpolations_to;
use crate::mask::printable;
use std::path::{Path, PathBuf};

/// The operator's part, for `plan` and the `--fix` summary: each secret, and the `az` line that stores
/// it with the value read from a file (never from the command line).
pub fn render_secrets(secrets: &[Secret], export: Option<&Path>) -> String {
    if secrets.is_empty() {
        return String::new();
    }
    let mut out = String::from("Key Vault secrets to create before deploying:\n");
    for s in secrets {
        let users: Vec<String> = s
            .users()
            .into_iter()
            .map(|ls| format!("`{}`", printable(ls)))
            .collect();
        out.push_str(&format!(
            "  {} in vault linked service `{}`: used by {}; the value is {}{}\n",
            printable(&s.name),
            printable(&s.vault),
            users.join(", "),
            s.source.describe(),
            if s.unsafe_move {
                " (unsafe move: the secret must exist before deploy)"
            } else {
                ""
            }
        ));
    }
    out.push_str("Store each value from a file (never on the command line):\n");
    for s in secrets {
        let file = match (export, s.source.value()) {
            (Some(p), Some(_)) => format!(
                "<(jq -j --arg n {} '.[$n]' {})",
                shell_quote(&s.name),
                shell_quote(&p.display().to_string())
            ),
            _ => "<file holding the value>".to_string(),
        };
        let vault = match &s.vault_resource {
            Some(v) => v.clone(),
            None => format!("<the vault of `{}`>", printable(&s.vault)),
        };
        // an expression in the name: ADF resolves it per run, so one secret per value it takes
        let name = if s.name.contains("@{") {
            out.push_str(&format!(
                "  # `{}` holds an expression: create one secret per value it takes\n",
                printable(&s.name)
            ));
            shell_quote(&printable(&strip_interpolations_to(&s.name, "<value>")))
        } else {
            shell_quote(&printable(&s.name))
        };
        out.push_str(&format!(
            "  az keyvault secret set --vault-name {vault} --name {name} --file {file}\n"
        ));
    }
    out
}

fn shell_quote(s: &str) -> String {
    if s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// `--export-secrets FILE`: the values of the secrets whose value is in the repository, as a JSON object
/// (secret name → value) for `jq -j`. Owner-only (0600), a new file only, never inside a scanned path or
/// its git repository (it must not be committed), written atomically (temp file, flush, hard link).
pub fn export(file: &Path, secrets: &[Secret], scanned: &[PathBuf]) -> Result<usize, String> {
    let shown = file.display();
    if file.symlink_metadata().is_ok() {
        return Err(format!("--export-secrets: {shown} exists; name a new file"));
    }
    let dir = match file.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(d) => d.to_path_buf(),
        None => PathBuf::from("."),
    };
    let dir = std::fs::canonicalize(&dir)
        .map_err(|e| format!("--export-secrets: cannot use folder {}: {e}", dir.display()))?;
    for p in scanned {
        let Ok(p) = std::fs::canonicalize(p) else {
            continue;
        };
        let root = if p.is_dir() {
            p.clone()
        } else {
            p.parent().map(Path::to_path_buf).unwrap_or(p.clone())
        };
        let repo = root.ancestors().find(|a| a.join(".git").exists());
        if dir.starts_with(&root) || repo.is_some_and(|r| dir.starts_with(r)) {
            return Err(format!(
                "--export-secrets: {shown} is inside the scanned files or their repository, where it could be committed; write it elsewhere"
            ));
        }
    }
    let values: serde_json::Map<String, serde_json::Value> = secrets
        .iter()
        .filter_map(|s| Some((s.name.clone(), serde_json::Value::from(s.source.value()?))))
        .collect();
    let n = values.len();
    let mut bytes =
        serde_json::to_vec_pretty(&serde_json::Value::Object(values)).expect("a map serialises");
    bytes.push(b'\n');
    let name = file
        .file_name()
        .ok_or_else(|| format!("--export-secrets: {shown} names no file"))?;
    let target = dir.join(name);
    let tmp = dir.join(format!(
        ".{}.adfpg-{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let write = || -> std::io::Result<()> {
        use std::io::Write;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        // a link, not a rename: it fails rather than replace a file created meanwhile
        std::fs::hard_link(&tmp, &target)?;
        std::fs::File::open(&dir)?.sync_all()
    };
    let result = write();
    let _ = std::fs::remove_file(&tmp);
    result.map_err(|e| format!("--export-secrets: cannot write {shown}: {e}"))?;
    Ok(n)
}

/// The plan's JSON with `key_vault_secrets`: name, vault, linked services, where the value is, safety.
pub fn with_secrets_json(plan: String, secrets: &[Secret]) -> String {
    if secrets.is_empty() {
        return plan;
    }
    let Ok(serde_json::Value::Object(mut doc)) = serde_json::from_str::<serde_json::Value>(&plan)
    else {
        return plan;
    };
    let list: Vec<serde_json::Value> = secrets
        .iter()
        .map(|s| {
            serde_json::json!({
                "name": s.name,
                "vault_linked_service": s.vault,
                "vault": s.vault_resource,
                "linked_services": s.users(),
                "value": s.source.describe(),
                "unsafe": s.unsafe_move,
            })
        })
        .collect();
    doc.insert("key_vault_secrets".into(), serde_json::Value::Array(list));
    let mut out =
        serde_json::to_string_pretty(&serde_json::Value::Object(doc)).expect("serialises");
    out.push('\n');
    out
}
