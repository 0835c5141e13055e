//! The fix pipeline (what `--fix --unsafe-fixes` would write): never panics; its output re-parses and
//! fixing it again changes nothing.
#![no_main]
use adfpg_migrate::lint::{FixMode, Settings, fix_bytes};
use adfpg_migrate::rules::Catalog;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn settings() -> &'static Settings {
    static S: OnceLock<Settings> = OnceLock::new();
    S.get_or_init(|| {
        let mut s = Settings::new(Catalog::builtin());
        s.fix = FixMode::Apply { unsafe_fixes: true };
        s.unsafe_fixes = true;
        s
    })
}

fuzz_target!(|bytes: &[u8]| {
    if let Ok(Some(out)) = fix_bytes(bytes.to_vec(), settings()) {
        serde_json::from_str::<serde_json::Value>(out.trim_start_matches('\u{feff}'))
            .expect("fixed output is JSON");
        assert_eq!(
            fix_bytes(out.into_bytes(), settings()),
            Ok(None),
            "idempotent"
        );
    }
});
