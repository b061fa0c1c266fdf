//! Provisioning: what a reseller buys comes to life on the operator's
//! servers, changes and ends there, through the product's module.
//!
//! `manual` products wait for the operator (the admin API's service
//! actions, the Provisioning page). `http` products send each action
//! (`create`, `suspend`, `unsuspend`, `terminate`, `change`) to the
//! operator's own endpoint as a signed JSON POST (Standard Webhooks, with
//! the product's own `whsec_` secret). Actions are jobs on the queue the
//! webhooks use: at least once, one at a time per service and in order.
//! The endpoint answers 200 `done` (with `details`), 202 `pending` (it
//! reports later through the admin API), or anything else (retried on the
//! webhook schedule, `failed` after the last attempt).
//!
//! What a reseller sees of it is the service's `provisioning` (the latest
//! action's state) and `details`; the endpoint's answers, errors and the
//! product's settings stay operator-only.

pub mod server_fns;
#[cfg(feature = "ssr")]
pub mod service;

use crate::{
    error::{AppError, AppResult},
    ids::{ActionId, ProductId, ResellerId, ServiceId},
    lists::{PageRequest, optional},
    terms::BillingTerm,
    timestamp::Timestamp,
    webhooks::Attempt,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

crate::wire_enum! {
    /// How a product's services are provisioned.
    pub enum Module {
        /// The operator acts by hand (admin API, panel).
        Manual,
        /// A signed call to the operator's own endpoint.
        Http,
    }
}

impl Module {
    pub fn parse(raw: &str) -> Option<Self> {
        raw.trim().parse().ok()
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Manual => "Manual (the operator acts by hand)",
            Self::Http => "HTTP (calls the operator's endpoint)",
        }
    }
}

impl TryFrom<String> for Module {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(&raw).ok_or_else(|| format!("unknown provisioning module `{raw}`"))
    }
}

crate::wire_enum! {
    /// What an action asks the module to do.
    pub enum ActionKind {
        Create,
        Suspend,
        Unsuspend,
        Terminate,
        Change,
    }
}

impl ActionKind {
    pub fn parse(raw: &str) -> Option<Self> {
        raw.trim().parse().ok()
    }
}

impl TryFrom<String> for ActionKind {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(&raw).ok_or_else(|| format!("unknown provisioning action `{raw}`"))
    }
}

crate::wire_enum! {
    /// Where an action is, as the operator sees it.
    pub enum ActionState {
        /// Waiting for its turn (an earlier action of the service) or for
        /// its next attempt.
        Queued,
        /// An attempt is under way.
        Running,
        /// The endpoint answered 202 and reports the outcome later.
        Waiting,
        Done,
        /// The retry schedule ran out; the operator retries it or marks it
        /// done.
        Failed,
    }
}

impl ActionState {
    pub fn parse(raw: &str) -> Option<Self> {
        raw.trim().parse().ok()
    }

    /// Done or failed: the next action of the service may run.
    pub fn is_finished(self) -> bool {
        matches!(self, Self::Done | Self::Failed)
    }

    /// What the reseller is shown: a 202 is still running to them.
    pub fn visible(self) -> VisibleState {
        match self {
            Self::Queued => VisibleState::Queued,
            Self::Running | Self::Waiting => VisibleState::Running,
            Self::Done => VisibleState::Done,
            Self::Failed => VisibleState::Failed,
        }
    }

    /// The states an operator may still report on or retry.
    pub const OPEN: &'static [Self] = &[Self::Queued, Self::Running, Self::Waiting];
}

impl TryFrom<String> for ActionState {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(&raw).ok_or_else(|| format!("unknown action state `{raw}`"))
    }
}

crate::wire_enum! {
    /// An action's state as a reseller sees it.
    pub enum VisibleState {
        Queued,
        Running,
        Done,
        Failed,
    }
}

impl VisibleState {
    pub fn label(self) -> &'static str {
        match self {
            Self::Queued => "Queued",
            Self::Running => "In progress",
            Self::Done => "Done",
            Self::Failed => "Failed (the operator is on it)",
        }
    }
}

/// A service's provisioning as its reseller sees it: its latest action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ServiceProvisioning {
    pub state: VisibleState,
    pub action: ActionKind,
    pub updated_at: Timestamp,
}

/// What a module returned about a service (hostname, IP address, control
/// panel URL, username): a flat map of strings shown to the reseller.
pub type Details = BTreeMap<String, String>;

/// At most this many keys in `details`...
pub const MAX_DETAILS: usize = 32;
/// ...each key and each value at most this many bytes.
pub const MAX_DETAIL_BYTES: usize = 1024;

/// `details` from an endpoint's answer or an operator's report: absent is
/// empty; otherwise an object of at most [`MAX_DETAILS`] string values,
/// keys and values at most [`MAX_DETAIL_BYTES`] each.
pub fn parse_details(value: Option<&serde_json::Value>) -> Result<Details, String> {
    let map = match value {
        None | Some(serde_json::Value::Null) => return Ok(Details::new()),
        Some(serde_json::Value::Object(map)) => map,
        Some(_) => return Err("`details` must be an object of strings".into()),
    };
    if map.len() > MAX_DETAILS {
        return Err(format!("`details` has {} keys; at most {MAX_DETAILS}", map.len()));
    }
    let mut details = Details::new();
    for (key, value) in map {
        let serde_json::Value::String(text) = value else {
            return Err(format!("`details.{key}` must be a string"));
        };
        if key.is_empty() || key.len() > MAX_DETAIL_BYTES || text.len() > MAX_DETAIL_BYTES {
            return Err(format!("`details` keys and values are 1 to {MAX_DETAIL_BYTES} bytes"));
        }
        details.insert(key.clone(), text.clone());
    }
    Ok(details)
}

/// The most of an endpoint's response that is read (the rest is dropped
/// unread, closing the connection).
pub const RESPONSE_LIMIT: usize = 64 * 1024;
/// The most of it kept with the attempt, for the operator to read.
pub const RESPONSE_KEPT: usize = 1024;

/// What an endpoint's answer means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// 200 `{"status": "done", "details": {...}}`.
    Done(Details),
    /// 202 `{"status": "pending"}`: a report follows.
    Pending,
    /// Anything else: retried; the reason, for the operator.
    Retry(String),
}

/// Reads an endpoint's answer: its status (`None`: no answer) and body.
pub fn read_answer(status: Option<u16>, body: &str, transport_error: Option<&str>) -> Answer {
    let Some(status) = status else {
        return Answer::Retry(transport_error.unwrap_or("no answer").to_owned());
    };
    let parsed: Option<serde_json::Value> = serde_json::from_str(body).ok();
    let said = parsed.as_ref().and_then(|v| v.get("status")).and_then(|s| s.as_str());
    match (status, said) {
        (200, Some("done")) => match parse_details(parsed.as_ref().and_then(|v| v.get("details"))) {
            Ok(details) => Answer::Done(details),
            Err(why) => Answer::Retry(format!("HTTP 200 with unusable details: {why}")),
        },
        (202, Some("pending")) => Answer::Pending,
        (200 | 202, _) => Answer::Retry(format!(
            "HTTP {status} without {}",
            if status == 200 {
                "{\"status\": \"done\"}"
            } else {
                "{\"status\": \"pending\"}"
            }
        )),
        _ => Answer::Retry(format!("HTTP {status}")),
    }
}

/// A product's provisioning as an operator sets it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ModuleConfig {
    pub module: Module,
    /// The endpoint `http` calls (operator-set, so private addresses are
    /// allowed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Sent with every call (server addresses, tokens): never shown to a
    /// reseller.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub settings: serde_json::Map<String, serde_json::Value>,
}

#[cfg(feature = "ssr")]
impl ModuleConfig {
    /// Checks the combination: `http` needs an absolute http(s) URL;
    /// `manual` keeps none.
    pub fn validated(mut self) -> AppResult<Self> {
        match self.module {
            Module::Manual => self.url = None,
            Module::Http => {
                let raw = self.url.as_deref().map(str::trim).unwrap_or_default();
                let ok = raw.len() <= 2048
                    && url::Url::parse(raw)
                        .ok()
                        .is_some_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
                if !ok {
                    return Err(AppError::validation(
                        "provisioning_url",
                        "The http module needs the endpoint's URL, e.g. https://automation.example.net/provision.",
                    ));
                }
                self.url = Some(raw.to_owned());
            }
        }
        if serde_json::to_string(&self.settings).map_or(0, |s| s.len()) > 16 * 1024 {
            return Err(AppError::validation(
                "provisioning_settings",
                "Keep the provisioning settings under 16 KiB.",
            ));
        }
        Ok(self)
    }
}

#[cfg(feature = "ssr")]
/// Parses a product form's provisioning fields: the module, its URL and a
/// JSON object of settings. A blank module means "unchanged" (`None`).
pub fn parse_form(module: Option<&str>, url: Option<&str>, settings: Option<&str>) -> AppResult<Option<ModuleConfig>> {
    let blank = |v: Option<&str>| v.map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    let Some(module) = blank(module) else {
        return match blank(settings).or(blank(url)) {
            None => Ok(None),
            Some(_) => Err(AppError::validation(
                "provisioning_module",
                "Choose the provisioning module.",
            )),
        };
    };
    let module = Module::parse(&module)
        .ok_or_else(|| AppError::validation("provisioning_module", "The module is `manual` or `http`."))?;
    let settings = match blank(settings) {
        None => serde_json::Map::new(),
        Some(raw) => match serde_json::from_str::<serde_json::Value>(&raw) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => {
                return Err(AppError::validation(
                    "provisioning_settings",
                    "Provisioning settings must be a JSON object, e.g. {\"node\": \"pve1\"}.",
                ));
            }
        },
    };
    ModuleConfig {
        module,
        url: blank(url),
        settings,
    }
    .validated()
    .map(Some)
}

/// A product's provisioning as its operator reads it back: the module and
/// URL, whether settings are stored (they are write-only) and whether a
/// signing secret exists. `secret` only in the answer that made it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ModuleView {
    pub module: Module,
    pub url: Option<String>,
    pub has_settings: bool,
    pub has_secret: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl Default for ModuleView {
    fn default() -> Self {
        ModuleView {
            module: Module::Manual,
            url: None,
            has_settings: false,
            has_secret: false,
            secret: None,
        }
    }
}

/// For a `change`: what the service was and becomes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PlanChange {
    pub from_product: String,
    pub from_term: BillingTerm,
    pub to_product: String,
    pub to_term: BillingTerm,
}

/// One action, as the operator sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow, utoipa::ToSchema))]
pub struct Action {
    pub id: ActionId,
    pub service_id: ServiceId,
    pub reseller_id: ResellerId,
    pub product_id: ProductId,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "String"))]
    pub action: ActionKind,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "String"))]
    pub state: ActionState,
    pub attempts: i64,
    pub next_attempt_at: Option<Timestamp>,
    /// Why the last attempt failed (the endpoint's status, a timeout).
    pub last_error: Option<String>,
    /// The operator's note when marked done or failed by hand.
    pub note: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub finished_at: Option<Timestamp>,
}

/// An action with its attempts (oldest first).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionDetail {
    #[serde(flatten)]
    pub action: Action,
    pub attempts: Vec<Attempt>,
}

/// Which actions to list: failed first, then newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ActionFilter {
    pub state: Option<ActionState>,
    pub reseller_id: Option<ResellerId>,
    pub product_id: Option<ProductId>,
    pub service_id: Option<ServiceId>,
    pub page: PageRequest<ActionId>,
}

impl ActionFilter {
    /// From a query or form: every value optional, blank means absent.
    pub fn parse(
        state: Option<&str>,
        reseller_id: Option<&str>,
        product_id: Option<&str>,
        service_id: Option<&str>,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> AppResult<Self> {
        Ok(ActionFilter {
            state: optional("state", state, ActionState::parse)?,
            reseller_id: optional("reseller_id", reseller_id, |r| r.parse().ok())?,
            product_id: optional("product_id", product_id, |r| r.parse().ok())?,
            service_id: optional("service_id", service_id, |r| r.parse().ok())?,
            page: PageRequest::parse(limit, cursor)?,
        })
    }
}

/// A `manual` product's service waiting for the operator to set it up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct WaitingService {
    #[cfg_attr(feature = "ssr", sqlx(flatten))]
    pub service: crate::services::Service,
    pub reseller_id: ResellerId,
    pub company_name: String,
    pub product_name: String,
}

/// The operator's Provisioning page: failed actions, open ones, and the
/// `manual` services waiting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overview {
    pub failed: Vec<Action>,
    pub open: Vec<Action>,
    pub waiting: Vec<WaitingService>,
}

/// An operator's (or the endpoint's) report on an action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Report {
    /// Done, with the module's details and an optional note.
    Done { details: Details, note: Option<String> },
    /// Failed, with the reason.
    Failed { error: String },
}

/// A note or error text: trimmed, at most 1,000 characters.
pub fn parse_note(field: &str, raw: Option<&str>, required: bool) -> AppResult<Option<String>> {
    let text = raw.map(str::trim).filter(|s| !s.is_empty());
    match text {
        None if required => Err(AppError::validation(field, format!("Give the {field}."))),
        None => Ok(None),
        Some(t) if t.chars().count() > 1000 => Err(AppError::validation(
            field,
            format!("Keep the {field} under 1,000 characters."),
        )),
        Some(t) => Ok(Some(t.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn answers() {
        assert_eq!(
            read_answer(Some(200), r#"{"status":"done","details":{"ip":"10.0.0.5"}}"#, None),
            Answer::Done(BTreeMap::from([("ip".into(), "10.0.0.5".into())]))
        );
        assert_eq!(
            read_answer(Some(200), r#"{"status":"done"}"#, None),
            Answer::Done(Details::new())
        );
        assert_eq!(read_answer(Some(202), r#"{"status":"pending"}"#, None), Answer::Pending);
        assert!(matches!(read_answer(Some(200), "ok", None), Answer::Retry(_)));
        assert!(matches!(read_answer(Some(202), "{}", None), Answer::Retry(_)));
        assert_eq!(read_answer(Some(500), "", None), Answer::Retry("HTTP 500".into()));
        assert_eq!(
            read_answer(None, "", Some("timed out")),
            Answer::Retry("timed out".into())
        );
        assert!(matches!(
            read_answer(Some(200), r#"{"status":"done","details":{"n":1}}"#, None),
            Answer::Retry(_)
        ));
    }

    #[test]
    fn details_are_a_bounded_flat_map_of_strings() {
        let many: serde_json::Map<_, _> = (0..=MAX_DETAILS).map(|i| (format!("k{i}"), json!("v"))).collect();
        assert!(parse_details(Some(&serde_json::Value::Object(many))).is_err());
        assert!(parse_details(Some(&json!({"k": "x".repeat(MAX_DETAIL_BYTES + 1)}))).is_err());
        assert!(parse_details(Some(&json!({"k": {"nested": "no"}}))).is_err());
        assert!(parse_details(Some(&json!(["a"]))).is_err());
        assert_eq!(
            parse_details(Some(&json!({"k": "x".repeat(MAX_DETAIL_BYTES)})))
                .unwrap()
                .len(),
            1
        );
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn the_http_module_needs_a_url() {
        assert!(parse_form(Some("http"), None, None).is_err());
        assert!(parse_form(Some("http"), Some("ftp://x"), None).is_err());
        assert!(parse_form(Some("proxmox"), None, None).is_err());
        assert!(parse_form(None, None, Some("{}")).is_err(), "settings without a module");
        assert_eq!(parse_form(None, None, None).unwrap(), None);
        let http = parse_form(
            Some("http"),
            Some(" http://10.0.0.2:9000/p "),
            Some(r#"{"node":"pve1"}"#),
        )
        .unwrap()
        .unwrap();
        assert_eq!(http.url.as_deref(), Some("http://10.0.0.2:9000/p"));
        let manual = parse_form(Some("manual"), Some("http://x/"), None).unwrap().unwrap();
        assert_eq!(manual.url, None);
    }

    #[test]
    fn a_pending_answer_is_still_running_to_the_reseller() {
        assert_eq!(ActionState::Waiting.visible(), VisibleState::Running);
        assert!(ActionState::Failed.is_finished() && ActionState::Done.is_finished());
        assert!(!ActionState::Waiting.is_finished());
    }
}
