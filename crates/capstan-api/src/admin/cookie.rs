//! The session cookie: HttpOnly (no script reads it), SameSite=Strict (no
//! other site's page sends it), scoped to `/admin`, `Secure` when asked.

/// The cookie's name.
pub(crate) const NAME: &str = "capstan_admin";

/// The `Set-Cookie` value that keeps session `id` for `max_age_secs`.
pub(crate) fn set(id: &str, max_age_secs: u64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{NAME}={id}; Path=/admin; Max-Age={max_age_secs}; HttpOnly; SameSite=Strict{secure}")
}

/// The `Set-Cookie` value that removes it.
pub(crate) fn clear(secure: bool) -> String {
    set("", 0, secure)
}

/// The session id in a request's `Cookie` header values, if any.
pub(crate) fn session_id<'a>(headers: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    headers.flat_map(|value| value.split(';')).find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        (name.trim() == NAME).then(|| value.trim()).filter(|v| !v.is_empty())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_httponly_strict_and_scoped() {
        let set = set("abc", 60, false);
        assert_eq!(set, "capstan_admin=abc; Path=/admin; Max-Age=60; HttpOnly; SameSite=Strict");
        assert!(super::set("abc", 60, true).ends_with("; Secure"));
        assert!(clear(false).starts_with("capstan_admin=; Path=/admin; Max-Age=0;"));
    }

    #[test]
    fn finds_the_session_among_other_cookies() {
        let headers = ["a=1; capstan_admin=s1 ", "b=2"];
        assert_eq!(session_id(headers.into_iter()), Some("s1"));
        assert_eq!(session_id(["capstan_admin="].into_iter()), None);
        assert_eq!(session_id(["other=x"].into_iter()), None);
    }
}
