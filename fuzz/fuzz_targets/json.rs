//! The located-JSON loader: never panics on any bytes; every span slices valid text and re-parses alone
//! to the same value; it accepts whatever serde_json accepts, and yields the same values.
#![no_main]
use adfpg_migrate::document::Document;
use adfpg_migrate::json::{self, Kind, Node};
use libfuzzer_sys::fuzz_target;

fn check(text: &str, n: &Node) {
    let alone = json::parse(&text[n.span.clone()]).expect("a value's span re-parses");
    assert_eq!(alone.to_value(), n.to_value());
    match &n.kind {
        Kind::Object(members) => {
            for m in members {
                assert!(text[m.key_span.clone()].starts_with('"'));
                check(text, &m.value);
            }
        }
        Kind::Array(items) => items.iter().for_each(|i| check(text, i)),
        _ => {}
    }
}

fuzz_target!(|bytes: &[u8]| {
    let Ok(doc) = Document::decode(bytes.to_vec()) else {
        return;
    };
    let ours = doc.parse();
    let body = &doc.text[doc.body_start..];
    let theirs = serde_json::from_str::<serde_json::Value>(body);
    if let Ok(n) = &ours {
        check(&doc.text, n);
        // we accept a little more (lone surrogates, out-of-range numbers): compare where both do
        if let Ok(v) = &theirs {
            assert_eq!(&n.to_value(), v);
        }
    } else if let Ok(v) = &theirs {
        // serde_json (128 levels) never nests deeper than we allow (256): any refusal of ours is a bug
        panic!("serde_json accepts {v}, we say {:?}", ours.unwrap_err());
    }
});
