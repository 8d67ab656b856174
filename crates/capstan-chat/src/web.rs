//! The web client, compiled into the binary and served on the WebSocket's
//! port.

use capstan::http::{Asset, Assets, HttpResponse, plain};
use http::{Method, StatusCode};

const FILES: &[Asset] = &[
    Asset {
        path: "/",
        content_type: "text/html; charset=utf-8",
        body: include_str!("../web/index.html"),
    },
    Asset {
        path: "/app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../web/app.js"),
    },
    Asset {
        path: "/capstan.js",
        content_type: "text/javascript; charset=utf-8",
        body: capstan::sessions::CLIENT_JS,
    },
    Asset {
        path: "/favicon.svg",
        content_type: "image/svg+xml",
        body: include_str!("../web/favicon.svg"),
    },
    Asset {
        path: "/style.css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("../web/style.css"),
    },
];

/// Scripts and styles from this origin only; sockets to this host.
const SITE: Assets = Assets::new(
    FILES,
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self' ws: wss:; base-uri 'none'; frame-ancestors 'none'",
);

/// The answer to `method` on `path`: an embedded file, `/healthz`, 404 or
/// 405.
pub fn answer(method: &Method, path: &str) -> HttpResponse {
    if method != Method::GET && method != Method::HEAD {
        return plain(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD here\n");
    }
    if path == "/healthz" {
        return plain(StatusCode::OK, "ok\n");
    }
    let path = if path == "/index.html" { "/" } else { path };
    SITE.answer(method, path).unwrap_or_else(|| plain(StatusCode::NOT_FOUND, "not found\n"))
}

#[cfg(test)]
mod tests {
    use http::header;

    use super::*;

    #[test]
    fn serves_the_page_and_its_files() {
        for path in ["/", "/index.html", "/app.js", "/style.css"] {
            let response = answer(&Method::GET, path);
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            assert!(response.headers().contains_key(header::CONTENT_SECURITY_POLICY));
        }
        assert_eq!(answer(&Method::GET, "/healthz").status(), StatusCode::OK);
    }

    #[test]
    fn unknown_paths_and_methods() {
        assert_eq!(answer(&Method::GET, "/etc/passwd").status(), StatusCode::NOT_FOUND);
        assert_eq!(answer(&Method::POST, "/").status(), StatusCode::METHOD_NOT_ALLOWED);
    }
}
