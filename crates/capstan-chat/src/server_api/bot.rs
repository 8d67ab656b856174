//! What the server API publishes to a room: a message by a bot, an author
//! no user can be (see [`crate::message::BOT_MARK`]), shown as such
//! (`bot: true`).

use capstan_api::ApiError;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::content;
pub use crate::message::{BOT_MARK, bot_author, bot_name};
use crate::names;

/// The author of API publications that name none.
pub const DEFAULT_BOT: &str = "server";

/// A publication's data as the chat reads it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Data {
    content: String,
    #[serde(default)]
    author: Option<String>,
}

/// The bot's name and the content `data` publishes: a JSON string (the
/// content, by the default bot), or `{"content": "...", "author": "..."}`.
/// Content follows the rules of users' messages (`max_bytes`), the
/// author those of user names.
pub fn read(data: &RawValue, max_bytes: usize) -> Result<(String, String), ApiError> {
    let (author, content) = match serde_json::from_str::<String>(data.get()) {
        Ok(content) => (None, content),
        Err(_) => {
            let data: Data = serde_json::from_str(data.get()).map_err(|e| {
                ApiError::bad_request(format!(
                    "data: a string, or {{\"content\": string, \"author\": string}}: {e}"
                ))
            })?;
            (data.author, data.content)
        }
    };
    content::content(&content, max_bytes)
        .map_err(|refusal| ApiError::bad_request(format!("data.content: {}", refusal.message)))?;
    let author = match author {
        Some(raw) => names::user_name(&raw).map_err(|refusal| {
            ApiError::bad_request(format!("data.author: {}", refusal.message))
        })?,
        None => DEFAULT_BOT.to_owned(),
    };
    Ok((author, content))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(json: &str) -> Box<RawValue> {
        RawValue::from_string(json.to_owned()).unwrap()
    }

    #[test]
    fn a_string_or_an_object_with_content() {
        assert_eq!(read(&raw(r#""hello""#), 100).unwrap(), ("server".into(), "hello".into()));
        let named = read(&raw(r#"{"content":"deploy done","author":"CI"}"#), 100).unwrap();
        assert_eq!(named, ("CI".into(), "deploy done".into()));
    }

    #[test]
    fn content_and_author_follow_the_users_rules() {
        assert!(read(&raw(r#""   ""#), 100).is_err());
        assert!(read(&raw(&format!("\"{}\"", "x".repeat(101))), 100).is_err());
        assert!(read(&raw(r#"{"content":"hi","author":"a|b"}"#), 100).is_err());
        assert!(read(&raw(r#"{"content":"hi","extra":1}"#), 100).is_err());
        assert!(read(&raw("42"), 100).is_err());
    }

    #[test]
    fn bot_authors_are_marked_apart_from_user_names() {
        let author = bot_author("CI");
        assert_eq!(bot_name(&author), Some("CI"));
        assert!(names::user_name(&author).is_err(), "no user can take a bot's author");
        assert_eq!(bot_name("CI"), None);
    }
}
