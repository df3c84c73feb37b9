//! YKOATH TLV: one-byte tags and BER lengths (`7F`, `81 xx`, `82 hh ll`), protocol reference §2.
//!
//! Written by hand because the TLV crates implement full BER/SIMPLE-TLV tag rules that
//! YKOATH does not follow (its tags are single bytes in the "application" range and its
//! PUT property byte `78` has no length at all), and because this parser faces bytes from
//! a card and from fuzzers: it never panics and never reads past its input.

/// Tag of the PUT property byte, which carries one value byte and no length.
pub const PROPERTY_TAG: u8 = 0x78;

/// One tag with its value, borrowed from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// The tag byte.
    pub tag: u8,
    /// The value bytes.
    pub value: &'a [u8],
}

/// Why bytes are not a TLV sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TlvError {
    /// The input stops inside a tag, length or value.
    #[error("TLV data is truncated")]
    Truncated,
    /// A length form YKOATH never uses (`80`, `83`…`FF`).
    #[error("TLV length uses an unsupported form")]
    BadLength,
}

/// Appends `tag`, the shortest BER length of `value`, and `value`.
pub fn write(out: &mut Vec<u8>, tag: u8, value: &[u8]) {
    out.push(tag);
    let n = value.len();
    if n < 0x80 {
        out.push(n as u8);
    } else if n <= 0xFF {
        out.extend_from_slice(&[0x81, n as u8]);
    } else {
        let n = n.min(0xFFFF) as u16;
        out.push(0x82);
        out.extend_from_slice(&n.to_be_bytes());
    }
    out.extend_from_slice(&value[..value.len().min(0xFFFF)]);
}

/// Reads one TLV from the start of `input` (tag `78` taken as an ordinary TLV);
/// returns it and the rest.
pub fn read(input: &[u8]) -> Result<(Tlv<'_>, &[u8]), TlvError> {
    let (&tag, rest) = input.split_first().ok_or(TlvError::Truncated)?;
    let (len, rest) = read_length(rest)?;
    if rest.len() < len {
        return Err(TlvError::Truncated);
    }
    let (value, rest) = rest.split_at(len);
    Ok((Tlv { tag, value }, rest))
}

fn read_length(input: &[u8]) -> Result<(usize, &[u8]), TlvError> {
    match input {
        [] => Err(TlvError::Truncated),
        [n, rest @ ..] if *n < 0x80 => Ok((*n as usize, rest)),
        [0x81, n, rest @ ..] => Ok((*n as usize, rest)),
        [0x82, hi, lo, rest @ ..] => Ok((u16::from_be_bytes([*hi, *lo]) as usize, rest)),
        [0x81] | [0x82] | [0x82, _] => Err(TlvError::Truncated),
        _ => Err(TlvError::BadLength),
    }
}

/// Parses a whole sequence of ordinary TLVs.
pub fn parse_all(mut input: &[u8]) -> Result<Vec<Tlv<'_>>, TlvError> {
    let mut out = Vec::new();
    while !input.is_empty() {
        let (tlv, rest) = read(input)?;
        out.push(tlv);
        input = rest;
    }
    Ok(out)
}

/// Parses a PUT body, where tag `78` is followed by one property byte and no length.
pub fn parse_put(mut input: &[u8]) -> Result<Vec<Tlv<'_>>, TlvError> {
    let mut out = Vec::new();
    while let Some((&tag, rest)) = input.split_first() {
        if tag == PROPERTY_TAG {
            let value = rest.get(..1).ok_or(TlvError::Truncated)?;
            out.push(Tlv { tag, value });
            input = &rest[1..];
        } else {
            let (tlv, rest) = read(input)?;
            out.push(tlv);
            input = rest;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_forms() {
        for (n, head) in [
            (0usize, vec![0x73, 0x00]),
            (0x7F, vec![0x73, 0x7F]),
            (0x80, vec![0x73, 0x81, 0x80]),
            (0xFF, vec![0x73, 0x81, 0xFF]),
            (0x100, vec![0x73, 0x82, 0x01, 0x00]),
        ] {
            let value = vec![0xAB; n];
            let mut out = Vec::new();
            write(&mut out, 0x73, &value);
            assert_eq!(&out[..head.len()], &head[..], "length {n}");
            let parsed = parse_all(&out).unwrap();
            assert_eq!(parsed, vec![Tlv { tag: 0x73, value: &value }]);
        }
    }

    #[test]
    fn empty_values_are_legal() {
        assert_eq!(parse_all(&[0x74, 0x00, 0x73, 0x00]).unwrap().len(), 2);
    }

    #[test]
    fn errors() {
        assert_eq!(parse_all(&[0x71]), Err(TlvError::Truncated));
        assert_eq!(parse_all(&[0x71, 0x05, 1, 2]), Err(TlvError::Truncated));
        assert_eq!(parse_all(&[0x71, 0x83, 0, 0, 1]), Err(TlvError::BadLength));
        assert_eq!(parse_all(&[0x71, 0x82, 0]), Err(TlvError::Truncated));
    }

    #[test]
    fn property_byte_has_no_length() {
        let body = [0x71, 0x01, b'a', 0x73, 0x03, 0x21, 0x06, 0x00, 0x78, 0x02, 0x7A, 0x04, 0, 0, 0, 5];
        let tlvs = parse_put(&body).unwrap();
        let tags: Vec<u8> = tlvs.iter().map(|t| t.tag).collect();
        assert_eq!(tags, [0x71, 0x73, 0x78, 0x7A]);
        assert_eq!(tlvs[2].value, [0x02]);
        assert_eq!(parse_put(&[0x78]), Err(TlvError::Truncated));
    }
}
