//! Decoding of `application/x-www-form-urlencoded` query components.

use std::borrow::Cow;

/// Decodes `%XX` escapes and `+` (a space); invalid escapes stay as they
/// are and invalid UTF-8 becomes U+FFFD.
pub fn percent_decode(input: &str) -> Cow<'_, str> {
    if !input.bytes().any(|b| b == b'%' || b == b'+') {
        return Cow::Borrowed(input);
    }
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match escaped_byte(bytes.get(i + 1..i + 3)) {
                Some(byte) => {
                    out.push(byte);
                    i += 2;
                }
                None => out.push(b'%'),
            },
            other => out.push(other),
        }
        i += 1;
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

fn escaped_byte(digits: Option<&[u8]>) -> Option<u8> {
    let hex = |d: u8| (d as char).to_digit(16);
    match digits? {
        [hi, lo] => Some((hex(*hi)? << 4 | hex(*lo)?) as u8),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_escapes_and_plus() {
        assert_eq!(percent_decode("a%20b+c%2Bd"), "a b c+d");
    }

    #[test]
    fn leaves_invalid_escapes() {
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
        assert_eq!(percent_decode("%4"), "%4");
    }

    #[test]
    fn borrows_when_nothing_to_decode() {
        assert!(matches!(percent_decode("plain"), Cow::Borrowed("plain")));
    }
}
