//! Byte scanning shared by the skim and the parser: the two loops that see most of a JSON file's bytes
//! (whitespace and the inside of strings), eight bytes at a time.

/// The index of the first byte at or after `i` that is not `byte`: each eight-byte word ends the run
/// where its first other byte is, so an indentation of any width (spaces or tabs) costs a step or two
/// rather than one per byte.
#[inline]
pub fn skip_run(s: &[u8], mut i: usize, byte: u8) -> usize {
    let same = u64::from_le_bytes([byte; 8]);
    while let Some(w) = s.get(i..i + 8) {
        // little-endian: the lowest set bit belongs to the first other byte
        let others = u64::from_le_bytes(w.try_into().expect("8 bytes")) ^ same;
        if others != 0 {
            return i + (others.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while s.get(i) == Some(&byte) {
        i += 1;
    }
    i
}

/// The index of the first byte at or after `i` that is not JSON whitespace: a line break, then the run
/// of spaces or tabs that indents the next line, each run a word at a time.
#[inline]
pub fn skip_ws(s: &[u8], mut i: usize) -> usize {
    loop {
        match s.get(i) {
            Some(&b @ (b' ' | b'\t')) => i = skip_run(s, i, b),
            Some(b'\n' | b'\r') => i += 1,
            _ => return i,
        }
    }
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
    fn runs_of_every_length_end_at_the_first_other_byte() {
        for n in 0..20 {
            for (run, end) in [
                (" ", &b"x"[..]),
                (" ", b"\n"),
                (" ", b"\t"),
                ("\t", b" "),
                ("\t", b""),
            ] {
                let s = [run.repeat(n).as_bytes(), end].concat();
                assert_eq!(skip_run(&s, 0, run.as_bytes()[0]), n, "{n} {end:?}");
                assert_eq!(skip_run(&s, n, run.as_bytes()[0]), n);
            }
        }
    }
}
