//! Price book use cases: write a row now or schedule a version of its
//! prices, change or withdraw a scheduled one, bulk changes, derive from
//! retail, read the grid, the history and a reseller's catalogue, and
//! announce versions as they take effect.

use super::{
    CatalogItem, ExistingServices, GridLine, Impact, PriceChange, PriceRow, PriceRowDraft, PriceVersion, VersionDraft,
    derive, effective_rate,
    versions::{self, BulkChange, BulkLine, BulkScope, PriceNotice, Schedule, check_notice, in_effect, scaled},
};
use crate::{
    audit::Actor,
    catalog::service as catalog,
    error::{AppError, AppResult, ErrorCode},
    ids::{PriceVersionId, ProductId, ResellerId},
    money::{Money, Percent},
    resellers::{Reseller, service as resellers},
    services::Service,
    state::Settings,
    store::{NewAuditEntry, Store, StoreTx},
    terms::TermPrices,
    timestamp::Timestamp,
    webhooks::{EventType, NewEvent, service as webhooks},
};
use serde::Serialize;

/// What `price_book.changed` says happened to a version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum VersionChange {
    Scheduled,
    Changed,
    Withdrawn,
    TookEffect,
}

/// `price_book.changed`: the product, the version and what happened.
#[derive(Serialize)]
struct PriceBookChanged<'a> {
    change: VersionChange,
    #[serde(flatten)]
    version: &'a PriceVersion,
}

/// Creates or replaces the row of `reseller` for `product`: its settings
/// apply at once; its prices become a version, in effect now or from
/// `schedule.effective_from`. Each write has a history entry, an audit
/// entry and (prices) `price_book.changed`. A row saved unchanged writes
/// nothing.
pub async fn put_row(
    store: &Store,
    settings: &Settings,
    actor: &Actor,
    reseller: &ResellerId,
    product: &ProductId,
    draft: PriceRowDraft,
    schedule: Schedule,
) -> AppResult<GridLine> {
    resellers::get(store, reseller).await?;
    catalog::product(store, product).await?;
    let mut tx = store.begin().await?;
    let saved = match schedule.effective_from {
        None => put_now_in(&mut tx, settings, actor, reseller, product, &draft, schedule).await,
        Some(at) => {
            let version = version_draft(&draft, schedule.existing_services);
            schedule_in(&mut tx, settings, actor, reseller, product, &version, at)
                .await
                .map(|_| ())
        }
    };
    tx.finish(saved).await?;
    row(store, reseller, product).await
}

/// The prices and policy of a row's draft.
fn version_draft(draft: &PriceRowDraft, existing_services: ExistingServices) -> VersionDraft {
    VersionDraft {
        prices: draft.prices,
        setup_fee: draft.setup_fee,
        existing_services,
    }
}

/// A row written now: settings, and a version in effect from now when the
/// prices changed.
async fn put_now_in(
    tx: &mut StoreTx,
    settings: &Settings,
    actor: &Actor,
    reseller: &ResellerId,
    product: &ProductId,
    draft: &PriceRowDraft,
    schedule: Schedule,
) -> AppResult<()> {
    let now = tx.now();
    let current = tx.lock_price_row(reseller, product, now).await?;
    let old = current.as_ref().map(PriceRow::draft);
    if old.as_ref() == Some(draft) {
        return Ok(());
    }
    tx.upsert_row_settings(reseller, product, draft, now).await?;
    let priced = current.as_ref().is_some_and(|row| row.version_id.is_some());
    let prices_changed = old
        .as_ref()
        .is_none_or(|o| o.prices != draft.prices || o.setup_fee != draft.setup_fee);
    if prices_changed || !priced {
        let version = version_draft(draft, schedule.existing_services);
        let before = current.as_ref().filter(|_| priced).map(|row| row.prices);
        check_notice(&version, before.as_ref(), now, now, settings.price_notice_days)?;
        let written = write_version_now(tx, reseller, product, &version, now).await?;
        record_change(tx, reseller, &written, VersionChange::TookEffect, now).await?;
    }
    tx.insert_price_change(reseller, product, actor, old.as_ref(), draft, None, now)
        .await?;
    audit(tx, actor, "price_book.put", reseller, product, draft, now).await
}

/// A version in effect from `now`. Another written at this very instant
/// (a frozen clock, two writes in one microsecond) is replaced: nothing can
/// tell the two apart.
async fn write_version_now(
    tx: &mut StoreTx,
    reseller: &ResellerId,
    product: &ProductId,
    draft: &VersionDraft,
    now: Timestamp,
) -> AppResult<PriceVersion> {
    let same_instant = tx
        .row_versions(reseller, product)
        .await?
        .into_iter()
        .find(|v| v.effective_from == now);
    let version = PriceVersion {
        id: same_instant
            .as_ref()
            .map_or_else(PriceVersionId::generate, |v| v.id.clone()),
        product_id: product.clone(),
        effective_from: now,
        prices: draft.prices,
        setup_fee: draft.setup_fee,
        existing_services: draft.existing_services,
    };
    match same_instant {
        Some(_) => tx.update_version(&version, now).await?,
        None => tx.insert_version(reseller, &version, now, true).await?,
    }
    Ok(version)
}

/// Schedules a version of the row's prices from `at` (creating the row,
/// enabled, if it has none: it sells nothing until then). Refused: a time
/// not in the future, a second version at the same time, a rise for
/// services already sold without the notice.
async fn schedule_in(
    tx: &mut StoreTx,
    settings: &Settings,
    actor: &Actor,
    reseller: &ResellerId,
    product: &ProductId,
    draft: &VersionDraft,
    at: Timestamp,
) -> AppResult<PriceVersion> {
    let now = tx.now();
    let current = match tx.lock_price_row(reseller, product, now).await? {
        Some(row) => row,
        None => {
            let new_row = PriceRowDraft {
                is_enabled: true,
                ..PriceRowDraft::default()
            };
            tx.upsert_row_settings(reseller, product, &new_row, now).await?;
            tx.lock_price_row(reseller, product, now)
                .await?
                .ok_or_else(|| AppError::internal("row just written is missing"))?
        }
    };
    let existing = tx.row_versions(reseller, product).await?;
    check_schedulable(&existing, None, draft, at, now, settings)?;
    let version = PriceVersion {
        id: PriceVersionId::generate(),
        product_id: product.clone(),
        effective_from: at,
        prices: draft.prices,
        setup_fee: draft.setup_fee,
        existing_services: draft.existing_services,
    };
    tx.insert_version(reseller, &version, now, false).await?;
    let row_draft = PriceRowDraft {
        prices: draft.prices,
        setup_fee: draft.setup_fee,
        ..current.draft()
    };
    let before = in_effect(&existing, at).map(|v| PriceRowDraft {
        prices: v.prices,
        setup_fee: v.setup_fee,
        ..current.draft()
    });
    tx.insert_price_change(reseller, product, actor, before.as_ref(), &row_draft, Some(at), now)
        .await?;
    audit(tx, actor, "price_book.schedule", reseller, product, &version, now).await?;
    record_change(tx, reseller, &version, VersionChange::Scheduled, now).await?;
    Ok(version)
}

/// The checks of a scheduled version at `at` among the row's `existing`
/// versions (`replacing` the one being changed, if any).
fn check_schedulable(
    existing: &[PriceVersion],
    replacing: Option<&PriceVersionId>,
    draft: &VersionDraft,
    at: Timestamp,
    now: Timestamp,
    settings: &Settings,
) -> AppResult<()> {
    if at <= now {
        return Err(AppError::validation(
            "effective_from",
            "A scheduled change takes effect in the future: leave the date out to change prices now.",
        ));
    }
    let others: Vec<PriceVersion> = existing.iter().filter(|v| Some(&v.id) != replacing).cloned().collect();
    if others.iter().any(|v| v.effective_from == at) {
        return Err(AppError::new(
            ErrorCode::VersionExists,
            format!(
                "This row already has a version from {}: change that one instead.",
                at.short()
            ),
        )
        .with_field("effective_from"));
    }
    let before = in_effect(&others, at).map(|v| v.prices);
    check_notice(draft, before.as_ref(), at, now, settings.price_notice_days)
}

/// Changes a scheduled version (prices, policy, date) until it takes
/// effect; one in effect or past is history (409 `version_in_effect`).
#[allow(clippy::too_many_arguments)]
pub async fn change_version(
    store: &Store,
    settings: &Settings,
    actor: &Actor,
    reseller: &ResellerId,
    product: &ProductId,
    id: &PriceVersionId,
    draft: VersionDraft,
    at: Timestamp,
) -> AppResult<GridLine> {
    let mut tx = store.begin().await?;
    let changed = async {
        let now = tx.now();
        let existing = scheduled_version(&mut tx, reseller, product, id, now).await?;
        check_schedulable(&existing, Some(id), &draft, at, now, settings)?;
        let version = PriceVersion {
            id: id.clone(),
            product_id: product.clone(),
            effective_from: at,
            prices: draft.prices,
            setup_fee: draft.setup_fee,
            existing_services: draft.existing_services,
        };
        tx.update_version(&version, now).await?;
        audit(
            &mut tx,
            actor,
            "price_book.version_changed",
            reseller,
            product,
            &version,
            now,
        )
        .await?;
        record_change(&mut tx, reseller, &version, VersionChange::Changed, now).await
    }
    .await;
    tx.finish(changed).await?;
    row(store, reseller, product).await
}

/// Withdraws a scheduled version: what was in effect stays in effect.
pub async fn withdraw_version(
    store: &Store,
    actor: &Actor,
    reseller: &ResellerId,
    product: &ProductId,
    id: &PriceVersionId,
) -> AppResult<GridLine> {
    let mut tx = store.begin().await?;
    let withdrawn = async {
        let now = tx.now();
        let existing = scheduled_version(&mut tx, reseller, product, id, now).await?;
        let version = existing
            .into_iter()
            .find(|v| &v.id == id)
            .ok_or_else(|| AppError::not_found("price version"))?;
        tx.delete_version(id).await?;
        audit(
            &mut tx,
            actor,
            "price_book.version_withdrawn",
            reseller,
            product,
            &version,
            now,
        )
        .await?;
        record_change(&mut tx, reseller, &version, VersionChange::Withdrawn, now).await
    }
    .await;
    tx.finish(withdrawn).await?;
    row(store, reseller, product).await
}

/// Locks the row and reads its versions; `id` must be one of them and
/// still scheduled.
async fn scheduled_version(
    tx: &mut StoreTx,
    reseller: &ResellerId,
    product: &ProductId,
    id: &PriceVersionId,
    now: Timestamp,
) -> AppResult<Vec<PriceVersion>> {
    tx.lock_price_row(reseller, product, now)
        .await?
        .ok_or_else(|| AppError::not_found("price book row"))?;
    let versions = tx.row_versions(reseller, product).await?;
    let version = versions
        .iter()
        .find(|v| &v.id == id)
        .ok_or_else(|| AppError::not_found("price version"))?;
    if version.in_effect_or_past(now) {
        return Err(AppError::new(
            ErrorCode::VersionInEffect,
            "This version has taken effect: it is history now. Schedule a new one instead.",
        ));
    }
    Ok(versions)
}

async fn audit(
    tx: &mut StoreTx,
    actor: &Actor,
    action: &str,
    reseller: &ResellerId,
    product: &ProductId,
    details: &impl Serialize,
    now: Timestamp,
) -> AppResult<()> {
    let subject = format!("{reseller}/{product}");
    let entry = NewAuditEntry {
        details: Some(serde_json::to_value(details).map_err(AppError::internal)?),
        ..NewAuditEntry::new(actor, action, "price_book_row", &subject, now)
    };
    Ok(tx.insert_audit(&entry).await?)
}

async fn record_change(
    tx: &mut StoreTx,
    reseller: &ResellerId,
    version: &PriceVersion,
    change: VersionChange,
    now: Timestamp,
) -> AppResult<()> {
    let event = NewEvent::of(EventType::PriceBookChanged, &PriceBookChanged { change, version })?;
    webhooks::record(tx, reseller, &[event], now).await
}

/// Announces the versions that took effect by `now` (`price_book.changed`,
/// `took_effect`), each once whichever instance runs the pass; the number
/// announced.
pub async fn announce_due(store: &Store, now: Timestamp) -> AppResult<usize> {
    let mut tx = store.begin().await?;
    let announced = async {
        let mut announced = 0;
        for (reseller, version) in tx.unannounced_versions(now, 500).await? {
            if tx.mark_announced(&version.id, now).await? {
                record_change(&mut tx, &reseller, &version, VersionChange::TookEffect, now).await?;
                announced += 1;
            }
        }
        Ok::<_, AppError>(announced)
    }
    .await;
    tx.finish(announced).await
}

/// The row as in effect now, with its scheduled versions.
pub async fn row(store: &Store, reseller: &ResellerId, product: &ProductId) -> AppResult<GridLine> {
    let now = store.now();
    let row = store
        .price_row(reseller, product, now)
        .await?
        .ok_or_else(|| AppError::not_found("price book row"))?;
    let upcoming = store.upcoming_versions(reseller, Some(product), now).await?;
    Ok(GridLine {
        product: catalog::product(store, product).await?,
        row: Some(row),
        upcoming,
    })
}

/// What scheduling `draft` for the row would do to the services already
/// sold, before it is saved.
pub async fn impact(
    store: &Store,
    reseller: &ResellerId,
    product: &ProductId,
    draft: &VersionDraft,
) -> AppResult<Impact> {
    resellers::get(store, reseller).await?;
    catalog::product(store, product).await?;
    let held = store.held_prices(reseller, product).await?;
    Ok(versions::impact(draft, &held))
}

/// The rows a bulk change would schedule, with their prices before and
/// after: what the operator sees before saving. Rows that price nothing at
/// the date are left out.
pub async fn bulk_preview(store: &Store, change: &BulkChange) -> AppResult<Vec<BulkLine>> {
    match &change.scope {
        BulkScope::Product(product) => {
            catalog::product(store, product).await?;
        }
        BulkScope::Reseller(reseller) => {
            resellers::get(store, reseller).await?;
        }
    }
    let (product, reseller) = match &change.scope {
        BulkScope::Product(p) => (Some(p), None),
        BulkScope::Reseller(r) => (None, Some(r)),
    };
    let rows = store.bulk_rows(product, reseller, change.effective_from).await?;
    let mut lines = Vec::with_capacity(rows.len());
    for (row, reseller_name, product_name) in rows {
        if row.prices.priced().next().is_none() {
            continue;
        }
        let (after, after_setup_fee) = scaled(&row.prices, row.setup_fee, change.percent);
        let draft = VersionDraft {
            prices: after,
            setup_fee: after_setup_fee,
            existing_services: change.existing_services,
        };
        let held = store.held_prices(&row.reseller_id, &row.product_id).await?;
        lines.push(BulkLine {
            impact: versions::impact(&draft, &held),
            reseller_id: row.reseller_id,
            reseller_name,
            product_id: row.product_id,
            product_name,
            before: row.prices,
            before_setup_fee: row.setup_fee,
            after,
            after_setup_fee,
        });
    }
    Ok(lines)
}

/// Schedules the bulk change: one version per row of the preview, each
/// checked and audited as a single one is, all in one transaction (one
/// refusal schedules none).
pub async fn bulk_schedule(
    store: &Store,
    settings: &Settings,
    actor: &Actor,
    change: &BulkChange,
) -> AppResult<Vec<BulkLine>> {
    let lines = bulk_preview(store, change).await?;
    let mut tx = store.begin().await?;
    let scheduled = async {
        for line in &lines {
            let draft = VersionDraft {
                prices: line.after,
                setup_fee: line.after_setup_fee,
                existing_services: change.existing_services,
            };
            schedule_in(
                &mut tx,
                settings,
                actor,
                &line.reseller_id,
                &line.product_id,
                &draft,
                change.effective_from,
            )
            .await
            .map_err(|e| AppError {
                message: format!("{} / {}: {}", line.reseller_name, line.product_name, e.message),
                ..e
            })?;
        }
        Ok::<_, AppError>(())
    }
    .await;
    tx.finish(scheduled).await?;
    Ok(lines)
}

/// The price a service's renewal for the period from `period_start`
/// charges when an `at_renewal` version moves it; `None`: it keeps its
/// price.
pub async fn renewal_price_in(
    tx: &mut StoreTx,
    reseller: &ResellerId,
    service: &Service,
    period_start: Timestamp,
) -> AppResult<Option<(PriceVersion, Money)>> {
    let candidates = tx
        .renewal_versions(reseller, &service.product_id, service.price_locked_at, period_start)
        .await?;
    Ok(
        versions::renewal_price(&candidates, service.term, service.price_locked_at, period_start)
            .map(|(v, price)| (v.clone(), price)),
    )
}

/// What each service's next renewal will charge: a waiting change's price,
/// else an `at_renewal` version's, else its own.
pub async fn next_renewal_prices(store: &Store, reseller: &ResellerId, services: &[Service]) -> AppResult<Vec<Money>> {
    let Some(oldest) = services.iter().map(|s| s.price_locked_at).min() else {
        return Ok(Vec::new());
    };
    let mut products: Vec<ProductId> = services.iter().map(|s| s.product_id.clone()).collect();
    products.sort();
    products.dedup();
    let candidates = store.renewal_versions_of(reseller, &products, oldest).await?;
    Ok(services
        .iter()
        .map(|s| {
            if let Some(change) = &s.scheduled_change {
                return change.recurring_price;
            }
            let of_product: Vec<PriceVersion> = candidates
                .iter()
                .filter(|v| v.product_id == s.product_id)
                .cloned()
                .collect();
            versions::renewal_price(&of_product, s.term, s.price_locked_at, s.next_renewal_at)
                .map_or(s.recurring_price, |(_, price)| price)
        })
        .collect())
}

/// The `at_renewal` versions of the reseller's book taking effect within
/// the notice period that move the price of services it holds.
pub async fn price_notices(store: &Store, settings: &Settings, reseller: &Reseller) -> AppResult<Vec<PriceNotice>> {
    let now = store.now();
    let horizon = now.plus(time::Duration::days(i64::from(settings.price_notice_days)));
    let upcoming = store.upcoming_versions(&reseller.id, None, now).await?;
    let names: std::collections::HashMap<ProductId, String> = store
        .reseller_catalog(&reseller.id, now)
        .await?
        .into_iter()
        .map(|item| (item.id, item.name))
        .collect();
    let mut notices = Vec::new();
    for version in upcoming
        .iter()
        .filter(|v| v.existing_services == ExistingServices::AtRenewal && v.effective_from <= horizon)
    {
        let draft = VersionDraft {
            prices: version.prices,
            setup_fee: version.setup_fee,
            existing_services: version.existing_services,
        };
        let held = store.held_prices(&reseller.id, &version.product_id).await?;
        let impact = versions::impact(&draft, &held);
        if impact.services_affected == 0 {
            continue;
        }
        notices.push(PriceNotice {
            product_name: names
                .get(&version.product_id)
                .cloned()
                .unwrap_or_else(|| version.product_id.to_string()),
            product_id: version.product_id.clone(),
            effective_from: version.effective_from,
            services_affected: impact.services_affected,
            monthly_change: impact.monthly_revenue_change,
        });
    }
    Ok(notices)
}

/// The terms derived from the product's retail prices at `rate_override`
/// (else the reseller's default): what the panel shows before saving.
pub async fn preview_derive(
    store: &Store,
    reseller: &ResellerId,
    product: &ProductId,
    rate_override: Option<Percent>,
) -> AppResult<TermPrices> {
    let profile = resellers::get(store, reseller).await?;
    let product = catalog::product(store, product).await?;
    Ok(derive(
        &product.retail,
        effective_rate(rate_override, profile.default_discount_rate),
    ))
}

/// Fills the row's five terms from retail with the effective rate and saves
/// it now (the admin API's `derive`). The rest of the row is kept; a new row
/// starts enabled, without a quantity cap, with the retail setup fee.
pub async fn derive_row(
    store: &Store,
    settings: &Settings,
    actor: &Actor,
    reseller: &ResellerId,
    product_id: &ProductId,
) -> AppResult<GridLine> {
    let profile = resellers::get(store, reseller).await?;
    let product = catalog::product(store, product_id).await?;
    let existing = store.price_row(reseller, product_id, store.now()).await?;
    let mut draft = match &existing {
        Some(row) => row.draft(),
        None => PriceRowDraft {
            setup_fee: product.retail_setup_fee,
            is_enabled: true,
            ..PriceRowDraft::default()
        },
    };
    let rate = effective_rate(draft.discount_rate_override, profile.default_discount_rate);
    draft.prices = derive(&product.retail, rate);
    put_row(store, settings, actor, reseller, product_id, draft, Schedule::default()).await
}

/// Every product with the reseller's row as in effect now and its
/// scheduled versions, for the admin grid.
pub async fn grid(store: &Store, reseller: &ResellerId) -> AppResult<Vec<GridLine>> {
    resellers::get(store, reseller).await?;
    let now = store.now();
    let mut upcoming = store.upcoming_versions(reseller, None, now).await?;
    Ok(store
        .price_grid(reseller, now)
        .await?
        .into_iter()
        .map(|(product, row)| {
            let (mine, rest): (Vec<_>, Vec<_>) = upcoming.drain(..).partition(|v| v.product_id == product.id);
            upcoming = rest;
            GridLine {
                product,
                row,
                upcoming: mine,
            }
        })
        .collect())
}

pub async fn history(store: &Store, reseller: &ResellerId, product: Option<&ProductId>) -> AppResult<Vec<PriceChange>> {
    resellers::get(store, reseller).await?;
    Ok(store.price_history(reseller, product).await?)
}

/// The catalogue a reseller sees at `as_of` (default now): priced, enabled
/// rows of active products, each with its versions scheduled after that
/// time, for active and (read-only) suspended resellers; nothing otherwise.
/// A disabled row is hidden at every time.
pub async fn catalog_for(store: &Store, reseller: &Reseller, as_of: Option<Timestamp>) -> AppResult<Vec<CatalogItem>> {
    if !reseller.status.sees_catalog() {
        return Ok(Vec::new());
    }
    let at = as_of.unwrap_or_else(|| store.now());
    let mut items = store.reseller_catalog(&reseller.id, at).await?;
    let upcoming = store.upcoming_versions(&reseller.id, None, at).await?;
    for item in &mut items {
        item.upcoming = upcoming.iter().filter(|v| v.product_id == item.id).cloned().collect();
    }
    Ok(items)
}

/// When the catalogue at `now` next changes by itself: its soonest
/// scheduled version (a cached copy is good until then).
pub fn next_change(items: &[CatalogItem]) -> Option<Timestamp> {
    items
        .iter()
        .flat_map(|item| item.upcoming.iter().map(|v| v.effective_from))
        .min()
}
