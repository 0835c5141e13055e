//! The names a move writes: the secret-name template (`{ls}-password`) and its placeholders, filled from
//! a linked service's values; the factory name `{factory}` stands for; the vault's linked-service name.

use super::{Held, Values};
use crate::source::connstr;
use crate::source::json::Node;
use std::path::Path;

pub const PLACEHOLDERS: [&str; 5] = ["factory", "ls", "server", "database", "username"];
/// The secret name when only the vault is given.
pub const DEFAULT_SECRET_NAME: &str = "{ls}-password";

/// A template's pieces: literal text or a placeholder name.
enum Piece<'t> {
    Text(&'t str),
    Slot(&'t str),
}

fn pieces(template: &str) -> Result<Vec<Piece<'_>>, String> {
    let mut out = Vec::new();
    let mut rest = template;
    while !rest.is_empty() {
        match rest.find(['{', '}']) {
            None => {
                out.push(Piece::Text(rest));
                rest = "";
            }
            Some(i) if rest.as_bytes()[i] == b'}' => {
                return Err(format!("`}}` without `{{` in secret-name `{template}`"));
            }
            Some(i) => {
                if i > 0 {
                    out.push(Piece::Text(&rest[..i]));
                }
                let end = rest[i..]
                    .find('}')
                    .ok_or_else(|| format!("`{{` without `}}` in secret-name `{template}`"))?;
                let name = &rest[i + 1..i + end];
                if !PLACEHOLDERS.contains(&name) {
                    return Err(format!(
                        "unknown placeholder `{{{name}}}` in secret-name `{template}`: use {}",
                        PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(", ")
                    ));
                }
                out.push(Piece::Slot(name));
                rest = &rest[i + end + 1..];
            }
        }
    }
    Ok(out)
}

/// Is `name` a valid Key Vault secret name: 1–127 characters, ASCII letters, digits and dashes?
pub fn valid_secret_name(name: &str) -> bool {
    (1..=127).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

const NAME_RULE: &str = "Key Vault secret names are 1–127 characters: letters, digits and dashes";

/// Check a template before anything is read: known placeholders, and literal text Key Vault accepts.
pub fn check_template(template: &str) -> Result<(), String> {
    let parts = pieces(template)?;
    if parts.is_empty() {
        return Err("secret-name is empty".into());
    }
    for p in parts {
        if let Piece::Text(t) = p
            && !t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(format!("secret-name `{template}` holds `{t}`: {NAME_RULE}"));
        }
    }
    Ok(())
}

/// Check a vault linked-service name (the `referenceName` written): a literal ADF resource name.
pub fn check_vault_name(vault: &str) -> Result<(), String> {
    let ok = !vault.is_empty()
        && vault.len() <= 260
        && !vault.starts_with('@')
        && vault
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | ' ' | '.'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{vault}` is not a linked-service name (letters, digits, `_`, `-`, `.` and spaces)"
        ))
    }
}

/// A placeholder's value as it goes into a secret name: literal text, or an ADF expression written as
/// an `@{…}` interpolation (ADF resolves `secretName` expressions, linked-service parameters included).
fn slot_text(name: &str, value: Option<&str>) -> Result<String, String> {
    let v = value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("`{{{name}}}` has no value in this linked service"))?;
    if v.starts_with('[') && v.ends_with(']') {
        return Err(format!(
            "`{{{name}}}` is an ARM expression here, known only at deployment"
        ));
    }
    if v.starts_with("@{") || (connstr::is_expression(v) && !v.starts_with('@')) {
        return Ok(v.to_string());
    }
    if let Some(expr) = v.strip_prefix('@').filter(|_| !v.starts_with("@@")) {
        return Ok(format!("@{{{expr}}}"));
    }
    Ok(v.replace("@@", "@"))
}

/// The secret name for a linked service, or why none can be made.
pub(super) fn secret_name(
    template: &str,
    factory: &str,
    ls: &str,
    v: &Values,
) -> Result<String, Held> {
    let fatal = |reason: String| Held {
        reason,
        fatal: true,
    };
    let mut out = String::new();
    for p in pieces(template).map_err(fatal)? {
        match p {
            Piece::Text(t) => out.push_str(t),
            Piece::Slot(s) => out.push_str(&match s {
                "factory" => slot_text(s, Some(factory))?,
                "ls" => slot_text(s, Some(ls))?,
                "server" => slot_text(s, v.server.as_deref())?,
                "database" => slot_text(s, v.database.as_deref())?,
                _ => slot_text(s, v.username.as_deref())?,
            }),
        }
    }
    // only the literal text can be checked; an expression's value is known at run time
    let literal = strip_interpolations(&out);
    let valid = if literal.len() == out.len() {
        valid_secret_name(&out)
    } else {
        literal.len() <= 127
            && literal
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if !valid {
        return Err(fatal(format!(
            "secret name `{out}` is not valid: {NAME_RULE}"
        )));
    }
    Ok(out)
}

fn strip_interpolations(s: &str) -> String {
    strip_interpolations_to(s, "")
}

/// `pg-@{linkedService().DbName}` → `pg-<value>`.
pub(super) fn strip_interpolations_to(s: &str, with: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("@{") {
        out.push_str(&rest[..i]);
        match rest[i..].find('}') {
            Some(end) => {
                out.push_str(with);
                rest = &rest[i + end + 1..];
            }
            // not an interpolation: kept, so that the name check sees `@{`
            None => return out + &rest[i..],
        }
    }
    out + rest
}

/// The factory name `{factory}` stands for: the resource in the factory's `factory/` folder (an ADF
/// git repository keeps one there), else the factory folder's name.
pub fn factory_name(root: &Path) -> String {
    let from_file = std::fs::read_dir(root.join("factory")).ok().and_then(|rd| {
        rd.filter_map(|e| e.ok())
            .filter_map(|e| {
                let p = e.path();
                (p.extension()? == "json").then(|| p.file_stem()?.to_str().map(str::to_string))?
            })
            .next()
    });
    from_file.unwrap_or_else(|| {
        root.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    })
}

/// An ARM template's factory name: the `factoryName` (or `workspaceName`) parameter's default.
pub fn template_factory_name(root: &Node) -> Option<String> {
    let params = root.get("parameters")?;
    ["factoryName", "workspaceName"]
        .iter()
        .find_map(|p| params.get(p)?.str_at("defaultValue").map(str::to_string))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_vault_secret_names() {
        assert!(valid_secret_name(&"a".repeat(127)));
        assert!(!valid_secret_name(&"a".repeat(128)));
        assert!(!valid_secret_name(""));
        assert!(valid_secret_name("Pg-Sales-9"));
        for bad in ["pg_sales", "pg.sales", "pg sales", "pgé"] {
            assert!(!valid_secret_name(bad), "{bad}");
        }
    }

    #[test]
    fn templates_are_checked_before_use() {
        assert!(check_template("pg-{factory}-{ls}-{server}-{database}-{username}").is_ok());
        assert!(
            check_template("{lsname}")
                .unwrap_err()
                .contains("unknown placeholder `{lsname}`")
        );
        assert!(
            check_template("pg-}")
                .unwrap_err()
                .contains("`}` without `{`")
        );
        assert!(check_template("").unwrap_err().contains("empty"));
        assert!(
            check_template("pg.{ls}")
                .unwrap_err()
                .contains("holds `pg.`")
        );
    }

    #[test]
    fn placeholders_keep_adf_expressions_and_refuse_arm_ones() {
        assert_eq!(
            slot_text("database", Some("@{linkedService().Db}")).unwrap(),
            "@{linkedService().Db}"
        );
        assert_eq!(
            slot_text("database", Some("@linkedService().Db")).unwrap(),
            "@{linkedService().Db}"
        );
        assert_eq!(slot_text("username", Some("a@@b")).unwrap(), "a@b");
        assert!(slot_text("server", Some("[parameters('s')]")).is_err());
        assert!(
            slot_text("username", None)
                .unwrap_err()
                .contains("has no value")
        );
    }
}
