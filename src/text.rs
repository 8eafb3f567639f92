//! Small helpers for text shown back to users.

/// At most `max` characters of `s`, with an ellipsis when cut, so an error never echoes a huge input.
pub fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn clip_cuts_on_characters() {
        assert_eq!(super::clip("héllo", 2), "hé…");
        assert_eq!(super::clip("abc", 3), "abc");
    }
}
