//! The 1.0 connection-string parser: never panics, spans stay inside the input and on char boundaries.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|s: &str| {
    let c = adfpg_migrate::connstr::parse(s);
    for p in &c.pairs {
        assert_eq!(&s[p.key_span.clone()], p.key);
        assert!(s.get(p.value_span.clone()).is_some());
    }
    for j in &c.junk {
        assert!(s.get(j.clone()).is_some());
    }
});
