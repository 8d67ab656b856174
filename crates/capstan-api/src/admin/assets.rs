//! The page's files, compiled in (crates/capstan-api/admin/), served with
//! a strict Content-Security-Policy: scripts, styles and sockets of this
//! origin only, no inline code, no framing.

use axum::body::Body;
use axum::response::Response;
use capstan::http::{Asset, Assets};

/// The page and its script and style.
const FILES: &[Asset] = &[
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

const PAGE: Assets = Assets::new(FILES, CSP);

/// The file served at `path`, as a response (without its body for HEAD).
pub(crate) fn response(path: &str, head: bool) -> Option<Response> {
    let asset = PAGE.find(path)?;
    Some(PAGE.response(asset, head).map(Body::new))
}

#[cfg(test)]
mod tests {
    use http::header;

    use super::*;

    #[test]
    fn every_file_is_there_with_the_policy() {
        for asset in FILES {
            assert!(!asset.body.is_empty(), "{}", asset.path);
            let response = response(asset.path, false).expect("served");
            assert_eq!(response.headers()[header::CONTENT_SECURITY_POLICY], CSP);
        }
        assert!(response("/admin/admin.js", true).is_some());
        assert!(response("/admin/../etc/passwd", false).is_none());
    }

    #[test]
    fn the_page_has_no_inline_code_and_no_other_origin() {
        let page = PAGE.find("/admin").unwrap().body;
        assert!(!page.contains("<script>") && !page.contains("style="), "inline code");
        for asset in FILES {
            assert!(!asset.body.contains("http://") && !asset.body.contains("https://"));
        }
    }
}
