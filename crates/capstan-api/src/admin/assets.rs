//! The page's files, compiled in (crates/capstan-api/admin/), served with
//! a strict Content-Security-Policy: scripts, styles and sockets of this
//! origin only, no inline code, no framing.

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::header;

/// One embedded file.
pub(crate) struct Asset {
    /// Where it is served.
    pub(crate) path: &'static str,
    content_type: &'static str,
    body: &'static str,
}

/// The page and its script and style.
pub(crate) const ASSETS: &[Asset] = &[
    Asset {
        path: "/admin",
        content_type: "text/html; charset=utf-8",
        body: include_str!("../../admin/index.html"),
    },
    Asset {
        path: "/admin/admin.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../admin/admin.js"),
    },
    Asset {
        path: "/admin/admin.css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("../../admin/admin.css"),
    },
];

/// Nothing but this origin's script, style and sockets; forms post here
/// only; no plugin, no frame, no base change.
pub(crate) const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; \
     frame-ancestors 'none'";

impl Asset {
    /// The file, as a response (without its body for HEAD).
    pub(crate) fn response(&self, head: bool) -> Response {
        let body = if head { Bytes::new() } else { Bytes::from_static(self.body.as_bytes()) };
        Response::builder()
            .header(header::CONTENT_TYPE, self.content_type)
            .header(header::CONTENT_LENGTH, self.body.len())
            .header(header::CACHE_CONTROL, "no-cache")
            .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
            .header(header::CONTENT_SECURITY_POLICY, CSP)
            .header(header::REFERRER_POLICY, "no-referrer")
            .header(header::X_FRAME_OPTIONS, "DENY")
            .body(Body::from(body))
            .expect("static headers are valid")
    }
}

/// The file served at `path`, if any.
pub(crate) fn find(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|asset| asset.path == path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_is_there_with_the_policy() {
        for asset in ASSETS {
            assert!(!asset.body.is_empty(), "{}", asset.path);
            let response = asset.response(false);
            assert_eq!(response.headers()[header::CONTENT_SECURITY_POLICY], CSP);
        }
        assert!(find("/admin/admin.js").is_some());
        assert!(find("/admin/../etc/passwd").is_none());
    }

    #[test]
    fn the_page_has_no_inline_code_and_no_other_origin() {
        let page = find("/admin").unwrap().body;
        assert!(!page.contains("<script>") && !page.contains("style="), "inline code");
        for asset in ASSETS {
            assert!(!asset.body.contains("http://") && !asset.body.contains("https://"));
        }
    }
}
