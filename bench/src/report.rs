//! The report: a table of the scenarios, the ratios against the baselines
//! measured in the same run, and one JSON line of it all.

use crate::{
    clients::{LIMITED_RATE_LIMIT, TwoInstances},
    load::{Stats, Tally},
    phases::{BareAndProducts, Concurrency, Delivering, Drain, Provisioned},
    processes::PerOrder,
};
use serde_json::{Value, json};
use std::time::Duration;

/// What the phases measured.
pub(crate) struct Results {
    pub(crate) concurrency: Concurrency,
    pub(crate) duration: Duration,
    /// At `clients` connections.
    pub(crate) narrow: BareAndProducts,
    /// At `wide` connections.
    pub(crate) wide: BareAndProducts,
    pub(crate) two: TwoInstances,
    pub(crate) orders: Stats,
    pub(crate) statements: Option<PerOrder>,
    pub(crate) prepaid: Stats,
    pub(crate) drain: Drain,
    /// The paced orders' deliveries, commit to arrival.
    pub(crate) paced: Stats,
    pub(crate) delivering: Delivering,
    pub(crate) provisioned: Provisioned,
    pub(crate) first_load: Vec<(&'static str, u64)>,
    /// pgbench TPC-B.
    pub(crate) tps: f64,
}

pub(crate) fn print(mut results: Results) {
    let figures = Figures::of(&mut results);
    println!();
    print_requests(&results, &figures);
    print_orders(&results, &figures);
    print_statements(results.statements.as_ref());
    println!("{:<28} {:>10.0} tps", "pgbench TPC-B", figures.tps);
    print_webhooks(&results, &figures);
    println!();
    print_request_ratios(&results, &figures);
    print_order_ratios(&results, &figures);
    print_first_load(&results.first_load);
    println!("{}", summary(&results, &figures));
}

/// One scenario's figures, as its line of the table shows them.
struct Line {
    rate: f64,
    p50: f64,
    p99: f64,
    errors: u64,
    rate_limited: u64,
}

impl Line {
    fn of(s: &mut Stats) -> Line {
        let (rate, p50, p99) = (s.rate(), s.percentile(0.50), s.percentile(0.99));
        Line {
            rate,
            p50,
            p99,
            errors: s.errors,
            rate_limited: s.rate_limited,
        }
    }

    /// The line's name, req/s, latencies and errors.
    fn text(&self, name: &str) -> String {
        let Line {
            rate, p50, p99, errors, ..
        } = self;
        format!("{name:<28} {rate:>10.0} req/s   p50 {p50:>7.2} ms   p99 {p99:>7.2} ms   errors {errors}")
    }
}

/// What the limited reseller of the two-instance scenario was allowed.
#[derive(Clone, Copy)]
struct Limited {
    /// Allowed by each instance.
    per_instance: [u64; 2],
    /// Both instances' answers.
    answers: Tally,
    /// The most allowed in one window.
    max: u64,
    held: bool,
}

impl Limited {
    /// What both reports print: allowed per instance, the answers, the most
    /// in one window, allowed in all, and whether the limit held.
    fn parts(&self) -> ([u64; 2], Tally, u64, u64, &'static str) {
        (
            self.per_instance,
            self.answers,
            self.max,
            self.allowed(),
            self.held_text(),
        )
    }

    fn of(two: &TwoInstances) -> Limited {
        let per_instance = two.limited.each_ref().map(|s| s.answered.success);
        let mut answers = Tally::default();
        for s in &two.limited {
            answers.add(s.answered);
        }
        // Held: no window allowed more than the limit (the load may straddle two
        // windows aligned on the database's clock; in one window, as almost
        // always, that is allowed <= limit).
        let max = two.limited_windows.iter().copied().max().unwrap_or(0);
        Limited {
            per_instance,
            answers,
            max,
            held: max <= LIMITED_RATE_LIMIT,
        }
    }

    fn allowed(&self) -> u64 {
        self.answers.success
    }

    fn held_text(&self) -> &'static str {
        if self.held { "yes" } else { "no" }
    }
}

/// The figures the table, the ratios and the JSON line share.
struct Figures {
    bare: Line,
    products: Line,
    bare_wide: Line,
    products_wide: Line,
    /// Products on both instances, as one.
    two: Line,
    limited: Limited,
    orders: Line,
    prepaid: Line,
    delivering: Line,
    provisioned: Line,
    delivery_p50: f64,
    delivery_p99: f64,
    tps: f64,
}

impl Figures {
    fn of(r: &mut Results) -> Figures {
        let [first, second] = std::mem::take(&mut r.two.products);
        Figures {
            bare: Line::of(&mut r.narrow.bare),
            products: Line::of(&mut r.narrow.products),
            bare_wide: Line::of(&mut r.wide.bare),
            products_wide: Line::of(&mut r.wide.products),
            two: Line::of(&mut first.merge(second)),
            limited: Limited::of(&r.two),
            orders: Line::of(&mut r.orders),
            prepaid: Line::of(&mut r.prepaid),
            delivering: Line::of(&mut r.delivering.orders),
            provisioned: Line::of(&mut r.provisioned.orders),
            delivery_p50: r.paced.percentile(0.50),
            delivery_p99: r.paced.percentile(0.99),
            tps: r.tps,
        }
    }

    fn products_ratio(&self) -> f64 {
        self.products.rate / self.bare.rate
    }

    fn products_wide_ratio(&self) -> f64 {
        self.products_wide.rate / self.bare_wide.rate
    }

    fn two_ratio(&self) -> f64 {
        self.two.rate / self.bare.rate
    }

    /// Two instances against one.
    fn two_scale(&self) -> f64 {
        self.two.rate / self.products.rate
    }

    fn orders_ratio(&self) -> f64 {
        self.orders.rate / self.tps
    }

    fn prepaid_ratio(&self) -> f64 {
        self.prepaid.rate / self.tps
    }

    fn delivering_ratio(&self) -> f64 {
        self.delivering.rate / self.tps
    }

    fn provisioned_ratio(&self) -> f64 {
        self.provisioned.rate / self.tps
    }

    /// Orders with provisioning live against the same without it.
    fn provisioned_cost(&self) -> f64 {
        self.provisioned.rate / self.delivering.rate
    }
}

/// The bare endpoint and the products, on one instance and on two.
fn print_requests(r: &Results, f: &Figures) {
    let wide = r.concurrency.wide;
    println!("{}", f.bare.text("bare axum GET"));
    println!("{}", f.products.text("GET /api/v1/products"));
    println!("{}", f.bare_wide.text(&format!("bare axum GET, {wide} conns")));
    println!("{}", f.products_wide.text(&format!("  products, {wide} conns")));
    println!(
        "{}   429s {}",
        f.two.text("  the same, two instances"),
        f.two.rate_limited
    );
    let two = &r.two;
    let (limited_per_instance, limited_answers, limited_max, limited_allowed, limit_held) = f.limited.parts();
    println!(
        "{:<28} {limited_allowed:>10} allowed   429s {}   errors {}   limit held: {limit_held}   \
         ({} + {} per instance; at most {limited_max} in one {} s window, {} window(s) in {} s)",
        format!("  two instances, limit {LIMITED_RATE_LIMIT}"),
        limited_answers.rate_limited,
        limited_answers.failed,
        limited_per_instance[0],
        limited_per_instance[1],
        two.window_secs,
        two.limited_windows.len(),
        two.span.as_secs()
    );
}

fn print_orders(r: &Results, f: &Figures) {
    println!("{}", f.orders.text("POST /api/v1/orders (signed)"));
    println!("{}", f.prepaid.text("  the same, prepaid account"));
    println!("{}", f.delivering.text("  the same, worker delivering"));
    println!(
        "{:<28} {:>10} deliveries arrived meanwhile",
        "", r.delivering.delivered_meanwhile
    );
    println!("{}", f.provisioned.text("  the same, http product"));
    let p = &r.provisioned;
    println!(
        "{:<28} {:>10.0} actions/s      order to active p50 {:>7.2} ms   p99 {:>7.2} ms   ({} actions)",
        "provisioning (http module)", p.per_second, p.p50_ms, p.p99_ms, p.actions
    );
}

fn print_statements(statements: Option<&PerOrder>) {
    match statements {
        Some(per_order) => {
            println!(
                "{:<28} {:>10.1} statements per order (pg_stat_statements)",
                "", per_order.total
            );
            for (calls, query) in &per_order.top {
                println!("{:<28} {calls:>10.2}   {query}", "");
            }
        }
        None => println!("{:<28} statements per order: load pg_stat_statements to see them", ""),
    }
}

fn print_webhooks(r: &Results, f: &Figures) {
    let (drain, backlog) = (&r.drain.received, r.drain.backlog);
    println!(
        "{:<28} {:>10.0} deliveries/s   ({} of {backlog} delivered in {:.1} s)",
        "webhook backlog drain",
        drain.rate(),
        drain.count,
        drain.span().as_secs_f64()
    );
    let (delivery_p50, delivery_p99) = (f.delivery_p50, f.delivery_p99);
    println!(
        "{:<28} {:>10} deliveries     p50 {delivery_p50:>7.2} ms   p99 {delivery_p99:>7.2} ms",
        "webhook commit-to-2xx",
        r.paced.latencies_us.len()
    );
}

/// The products against the bare endpoint, and the rate limit held across
/// two instances.
fn print_request_ratios(r: &Results, f: &Figures) {
    let wide = r.concurrency.wide;
    println!(
        "products / bare endpoint     {:.2}x   (target >= 0.50)",
        f.products_ratio()
    );
    println!(
        "  at {wide} connections        {:.2}x   (target >= 0.50)",
        f.products_wide_ratio()
    );
    println!(
        "products, 2 instances / bare {:.2}x   ({:.2}x one instance; 429s {}, other errors {})",
        f.two_ratio(),
        f.two_scale(),
        f.two.rate_limited,
        f.two.errors - f.two.rate_limited
    );
    let (limited_per_instance, limited_answers, limited_max, limited_allowed, limit_held) = f.limited.parts();
    println!(
        "rate limit, 2 instances      {limited_max} of {LIMITED_RATE_LIMIT} in one window   limit held: {limit_held}   \
         ({limited_allowed} allowed: {} + {} per instance; {} 429s)",
        limited_per_instance[0], limited_per_instance[1], limited_answers.rate_limited
    );
}

/// The orders against pgbench, and the webhooks against their targets.
fn print_order_ratios(r: &Results, f: &Figures) {
    println!(
        "orders / pgbench TPC-B       {:.2}x   (target >= 0.50; no credit limit)",
        f.orders_ratio()
    );
    println!(
        "prepaid orders / pgbench     {:.2}x   (admission serialised per reseller)",
        f.prepaid_ratio()
    );
    println!(
        "orders p99                   {:.1} ms   (target < 50 ms at 16 clients)",
        f.orders.p99
    );
    println!(
        "orders, worker delivering    {:.2}x   p99 {:.1} ms   (target >= 0.50, p99 < 50 ms)",
        f.delivering_ratio(),
        f.delivering.p99
    );
    println!(
        "orders, provisioning live    {:.2}x   {:.2}x of the same without it   p99 {:.1} ms   (target >= 0.90x)",
        f.provisioned_ratio(),
        f.provisioned_cost(),
        f.provisioned.p99
    );
    println!(
        "provisioning actions/s       {:.0}   (target >= the webhook drain rate, {:.0})",
        r.provisioned.per_second,
        r.drain.received.rate()
    );
    println!(
        "order to active p50          {:.1} ms   (target < 100 ms)",
        r.provisioned.p50_ms
    );
    println!(
        "webhook deliveries/s         {:.0}   (target >= 2500)",
        r.drain.received.rate()
    );
    println!(
        "webhook commit-to-2xx p50    {:.1} ms   p99 {:.1} ms   (target p50 < 100 ms)",
        f.delivery_p50, f.delivery_p99
    );
}

fn print_first_load(first_load: &[(&'static str, u64)]) {
    for (page, bytes) in first_load {
        println!(
            "first load {page:<17} {:>7.0} KB   (html + js + wasm + css, brotli; target <= 300 KB)",
            *bytes as f64 / 1024.0
        );
    }
}

/// `x` to two decimals.
fn hundredths(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// `x` to one decimal.
fn tenths(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Every figure in one JSON line, for scripts comparing runs.
fn summary(r: &Results, f: &Figures) -> Value {
    let drain = &r.drain.received;
    json!({
        "clients": r.concurrency.clients, "seconds": r.duration.as_secs(),
        "bare_rps": f.bare.rate.round(), "products_rps": f.products.rate.round(), "orders_rps": f.orders.rate.round(),
        "pgbench_tps": f.tps.round(), "products_ratio": hundredths(f.products_ratio()),
        "orders_ratio": hundredths(f.orders_ratio()),
        "prepaid_orders_rps": f.prepaid.rate.round(), "prepaid_orders_ratio": hundredths(f.prepaid_ratio()), "orders_p99_ms": tenths(f.orders.p99),
        "webhook_backlog": r.drain.backlog, "webhook_delivered": drain.count, "webhook_deliveries_per_s": drain.rate().round(),
        "webhook_p50_ms": tenths(f.delivery_p50), "webhook_p99_ms": tenths(f.delivery_p99),
        "wide_clients": r.concurrency.wide, "bare_wide_rps": f.bare_wide.rate.round(), "products_wide_rps": f.products_wide.rate.round(),
        "products_wide_ratio": hundredths(f.products_wide_ratio()),
        "orders_delivering_rps": f.delivering.rate.round(), "orders_delivering_ratio": hundredths(f.delivering_ratio()),
        "orders_delivering_p99_ms": tenths(f.delivering.p99),
        "provisioning": provisioning_summary(r, f),
        "statements_per_order": r.statements.as_ref().map(|s| tenths(s.total)), "delivered_meanwhile": r.delivering.delivered_meanwhile,
        "first_load_bytes": r.first_load.iter().map(|(page, bytes)| (page.to_string(), json!(bytes))).collect::<serde_json::Map<_, _>>(),
        "products_two_instances_rps": f.two.rate.round(), "products_two_instances_ratio": hundredths(f.two_ratio()),
        "products_two_instances_scale": hundredths(f.two_scale()),
        "rate_limit_two_instances": rate_limit_summary(&r.two, &f.limited),
        "errors": {
            "bare": f.bare.errors, "products": f.products.errors, "orders": f.orders.errors,
            "products_two_instances": f.two.errors, "products_two_instances_429": f.two.rate_limited
        }
    })
}

fn provisioning_summary(r: &Results, f: &Figures) -> Value {
    let p = &r.provisioned;
    json!({
        "orders_rps": f.provisioned.rate.round(), "orders_ratio": hundredths(f.provisioned_ratio()),
        "orders_p99_ms": tenths(f.provisioned.p99), "cost": hundredths(f.provisioned_cost()),
        "actions": p.actions, "actions_per_s": p.per_second.round(),
        "order_to_active_p50_ms": tenths(p.p50_ms), "order_to_active_p99_ms": tenths(p.p99_ms)
    })
}

fn rate_limit_summary(two: &TwoInstances, limited: &Limited) -> Value {
    json!({
        "limit": LIMITED_RATE_LIMIT, "window_secs": two.window_secs, "load_secs": two.span.as_secs(),
        "allowed": limited.allowed(), "per_instance": limited.per_instance, "per_window": two.limited_windows,
        "rate_limited": limited.answers.rate_limited, "errors": limited.answers.failed, "held": limited.held
    })
}
