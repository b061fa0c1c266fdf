//! Lists, one page at a time, alike everywhere: the partner and admin APIs
//! and the panels' server functions read the same page request and build
//! the same page. Pages are keyset-paginated: the cursor is the last item's
//! key, so a page costs the same however deep it is.

use crate::error::{AppError, AppResult};
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// Items on a page unless the caller asks otherwise.
pub const DEFAULT_LIMIT: u32 = 50;
/// The most a caller may ask for.
pub const MAX_LIMIT: u32 = 200;

/// One page: `{"data": [...], "next_cursor": "..." | null}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub data: Vec<T>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// The page from up to `limit + 1` items fetched: the extra one only
    /// says there is more; the cursor is then the last returned item's key.
    pub fn from_overfetch(mut items: Vec<T>, limit: u32, cursor_of: impl Fn(&T) -> String) -> Self {
        let next_cursor = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items.last().map(cursor_of)
        } else {
            None
        };
        Page {
            data: items,
            next_cursor,
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            data: self.data.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

/// Which page: how many items and after which key (`C`: the list's key
/// type, an id or a row number).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageRequest<C> {
    pub limit: u32,
    pub after: Option<C>,
}

impl<C> Default for PageRequest<C> {
    fn default() -> Self {
        PageRequest {
            limit: DEFAULT_LIMIT,
            after: None,
        }
    }
}

impl<C: FromStr> PageRequest<C> {
    /// `limit` within 1..=200 (default 50) and `cursor` as a previous page
    /// gave it (blank: the first page).
    pub fn parse(limit: Option<u32>, cursor: Option<&str>) -> AppResult<Self> {
        let limit = match limit {
            None => DEFAULT_LIMIT,
            Some(n) if (1..=MAX_LIMIT).contains(&n) => n,
            Some(_) => {
                return Err(AppError::validation(
                    "limit",
                    format!("limit must be between 1 and {MAX_LIMIT}."),
                ));
            }
        };
        let after = blank_to_none(cursor)
            .map(|raw| {
                raw.parse::<C>()
                    .map_err(|_| AppError::validation("cursor", "The cursor is not one a previous page gave."))
            })
            .transpose()?;
        Ok(PageRequest { limit, after })
    }
}

impl<C> PageRequest<C> {
    /// A first page of `limit` items.
    pub fn first(limit: u32) -> Self {
        PageRequest { limit, after: None }
    }

    /// Rows to fetch: one more than the page, to know whether there is more.
    pub fn fetch(&self) -> i64 {
        i64::from(self.limit) + 1
    }
}

/// Optional text from a query or form: trimmed, and blank means absent.
pub fn blank_to_none(raw: Option<&str>) -> Option<&str> {
    raw.map(str::trim).filter(|s| !s.is_empty())
}

/// An optional filter value that must parse (an id, a status): blank is
/// "no filter", anything else must be valid, named by `field` if not.
pub fn optional<T>(field: &str, raw: Option<&str>, parse: impl FnOnce(&str) -> Option<T>) -> AppResult<Option<T>> {
    blank_to_none(raw)
        .map(|value| {
            parse(value).ok_or_else(|| AppError::validation(field, format!("`{value}` is not a valid {field}.")))
        })
        .transpose()
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
pub fn percent_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_and_requests() {
        let page = Page::from_overfetch(vec![1, 2, 3], 2, |n| n.to_string());
        assert_eq!((page.data, page.next_cursor.as_deref()), (vec![1, 2], Some("2")));
        let last = Page::from_overfetch(vec![1, 2], 2, |n| n.to_string());
        assert_eq!(last.next_cursor, None);
        let r = PageRequest::<i64>::parse(None, Some(" ")).unwrap();
        assert_eq!((r.limit, r.after, r.fetch()), (50, None, 51));
        assert_eq!(PageRequest::<i64>::parse(Some(5), Some("42")).unwrap().after, Some(42));
        assert_eq!(
            PageRequest::<i64>::parse(Some(0), None).unwrap_err().field.as_deref(),
            Some("limit")
        );
        assert_eq!(
            PageRequest::<i64>::parse(Some(201), None).unwrap_err().field.as_deref(),
            Some("limit")
        );
        assert_eq!(
            PageRequest::<i64>::parse(None, Some("x")).unwrap_err().field.as_deref(),
            Some("cursor")
        );
        assert_eq!(
            optional("status", Some("nope"), |_| None::<u8>)
                .unwrap_err()
                .field
                .as_deref(),
            Some("status")
        );
        assert_eq!(optional("status", Some(""), |_| None::<u8>).unwrap(), None);
    }
}
