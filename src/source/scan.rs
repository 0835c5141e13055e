//! Byte scanning shared by the skim and the parser: the two loops that see most of a JSON file's bytes
//! (indentation and the inside of strings), eight bytes at a time.

/// The index of the first byte at or after `i` that is not a space: each eight-byte word ends the run
/// where its first other byte is, so an indentation of any width costs a step or two rather than one
/// per byte.
#[inline]
pub fn skip_spaces(s: &[u8], mut i: usize) -> usize {
    const SPACES: u64 = u64::from_le_bytes([b' '; 8]);
    while let Some(w) = s.get(i..i + 8) {
        // little-endian: the lowest set bit belongs to the first byte that is not a space
        let others = u64::from_le_bytes(w.try_into().expect("8 bytes")) ^ SPACES;
        if others != 0 {
            return i + (others.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while s.get(i) == Some(&b' ') {
        i += 1;
    }
    i
}

/// The index of the first `"`, `\` or control character (< 0x20) at or after `i`; eight bytes at a time.
#[inline]
pub fn next_special(s: &[u8], mut i: usize) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    while i + 8 <= s.len() {
        let w = u64::from_le_bytes(s[i..i + 8].try_into().expect("8 bytes"));
        let q = w ^ (LO * b'"' as u64);
        let b = w ^ (LO * b'\\' as u64);
        // the classic "has zero byte" / "has byte less than n" tests: exact for the lowest flagged byte
        let m =
            (q.wrapping_sub(LO) & !q | b.wrapping_sub(LO) & !b | w.wrapping_sub(LO * 0x20) & !w)
                & HI;
        if m != 0 {
            return Some(i + (m.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    while i < s.len() {
        if matches!(s[i], b'"' | b'\\' | 0..0x20) {
            return Some(i);
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_bytes_found_at_every_offset() {
        for n in 0..20 {
            for c in [b'"', b'\\', b'\n', 0x1f] {
                let mut s = vec![b'a'; n];
                s.push(c);
                s.extend_from_slice(b"zzzzzzzzz\xc3\xa9");
                assert_eq!(next_special(&s, 0), Some(n));
            }
        }
        assert_eq!(next_special("é€ abc ~\x7f".as_bytes(), 0), None);
    }

    #[test]
    fn space_runs_of_every_length_end_at_the_first_other_byte() {
        for n in 0..20 {
            for end in [&b"x"[..], b"\n", b"\t", b""] {
                let s = [" ".repeat(n).as_bytes(), end].concat();
                assert_eq!(skip_spaces(&s, 0), n, "{n} {end:?}");
                assert_eq!(skip_spaces(&s, n), n);
            }
        }
    }
}
