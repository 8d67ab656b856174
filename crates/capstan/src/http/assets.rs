//! Files compiled into the binary (a web client's page, script and style),
//! served with the headers such a page wants: its Content-Security-Policy,
//! no sniffing, no referrer, no framing, revalidated on every load.

use bytes::Bytes;
use http::{Method, StatusCode, header};
use http_body_util::Full;

use super::fallback::HttpResponse;

/// One embedded file.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    /// Where it is served (`/`, `/app.js`).
    pub path: &'static str,
    /// Its Content-Type (`text/javascript; charset=utf-8`).
    pub content_type: &'static str,
    /// Its content (`include_str!`).
    pub body: &'static str,
}

/// A set of embedded files served under one Content-Security-Policy.
#[derive(Debug, Clone, Copy)]
pub struct Assets {
    files: &'static [Asset],
    policy: &'static str,
}

impl Assets {
    /// `files`, each served with `policy` as its Content-Security-Policy.
    pub const fn new(files: &'static [Asset], policy: &'static str) -> Assets {
        Assets { files, policy }
    }

    /// The file served at `path` (exactly), if any.
    pub fn find(&self, path: &str) -> Option<&'static Asset> {
        self.files.iter().find(|asset| asset.path == path)
    }

    /// The files.
    pub fn files(&self) -> &'static [Asset] {
        self.files
    }

    /// `asset` as a response, without its body for HEAD.
    pub fn response(&self, asset: &Asset, head: bool) -> HttpResponse {
        let body = if head { Bytes::new() } else { Bytes::from_static(asset.body.as_bytes()) };
        http::Response::builder()
            .header(header::CONTENT_TYPE, asset.content_type)
            .header(header::CONTENT_LENGTH, asset.body.len())
            .header(header::CACHE_CONTROL, "no-cache")
            .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
            .header(header::CONTENT_SECURITY_POLICY, self.policy)
            .header(header::REFERRER_POLICY, "no-referrer")
            .header(header::X_FRAME_OPTIONS, "DENY")
            .body(Full::new(body))
            .expect("static headers are valid")
    }

    /// The answer to `method` on `path` when it names a file: the file for
    /// GET and HEAD, 405 for any other method; `None` when no file is
    /// served there.
    pub fn answer(&self, method: &Method, path: &str) -> Option<HttpResponse> {
        let asset = self.find(path)?;
        Some(match *method {
            Method::GET => self.response(asset, false),
            Method::HEAD => self.response(asset, true),
            _ => plain(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD here\n"),
        })
    }
}

/// A one-line plain-text answer.
pub fn plain(status: StatusCode, text: &'static str) -> HttpResponse {
    http::Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(Full::new(Bytes::from_static(text.as_bytes())))
        .expect("static headers are valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILES: &[Asset] = &[
        Asset { path: "/", content_type: "text/html; charset=utf-8", body: "<p>hi</p>" },
        Asset { path: "/app.js", content_type: "text/javascript; charset=utf-8", body: "1" },
    ];
    const SITE: Assets = Assets::new(FILES, "default-src 'self'");

    #[test]
    fn files_come_with_their_type_and_the_policy() {
        let page = SITE.answer(&Method::GET, "/").expect("the page");
        assert_eq!(page.status(), StatusCode::OK);
        assert_eq!(page.headers()[header::CONTENT_TYPE], "text/html; charset=utf-8");
        assert_eq!(page.headers()[header::CONTENT_SECURITY_POLICY], "default-src 'self'");
        assert_eq!(page.headers()[header::CONTENT_LENGTH], "9");
        let head = SITE.answer(&Method::HEAD, "/app.js").expect("the script");
        assert_eq!(head.headers()[header::CONTENT_LENGTH], "1");
    }

    #[test]
    fn other_paths_are_not_files_and_other_methods_are_refused() {
        assert!(SITE.answer(&Method::GET, "/app.js/").is_none());
        assert!(SITE.answer(&Method::GET, "/../etc/passwd").is_none());
        let post = SITE.answer(&Method::POST, "/").expect("a file's path");
        assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
    }
}
