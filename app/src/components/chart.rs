//! Small charts: inline SVG drawn on the server (readable without
//! JavaScript), each with a text alternative and its numbers in a table.
//!
//! Values are exact decimals; only the drawing's geometry is scaled, in
//! decimal too, to whole SVG units.

use leptos::prelude::*;
use rust_decimal::Decimal;

/// How the series are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChartKind {
    /// Side-by-side bars per point.
    Bars,
    /// A line through the points.
    Line,
}

/// One series: a name, and a value per point (as many as the labels).
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub name: &'static str,
    pub values: Vec<Decimal>,
    /// The values as the table shows them (`12.50 EUR`).
    pub shown: Vec<String>,
}

impl Series {
    pub fn counts(name: &'static str, values: impl IntoIterator<Item = i64>) -> Self {
        let values: Vec<Decimal> = values.into_iter().map(Decimal::from).collect();
        let shown = values.iter().map(ToString::to_string).collect();
        Series { name, values, shown }
    }

    pub fn amounts(name: &'static str, values: impl IntoIterator<Item = Decimal>, currency: &str) -> Self {
        let values: Vec<Decimal> = values.into_iter().collect();
        let shown = values
            .iter()
            .map(|v| crate::money::shown(crate::money::Amount::new(*v).unwrap_or_default(), currency))
            .collect();
        Series { name, values, shown }
    }
}

const WIDTH: i64 = 600;
const HEIGHT: i64 = 160;
const PAD: i64 = 24;

/// `value` on a scale from `low` to `high` as a y coordinate (SVG: down).
fn y_of(value: Decimal, low: Decimal, high: Decimal) -> i64 {
    let span = high - low;
    if span.is_zero() {
        return HEIGHT - PAD;
    }
    let plot = Decimal::from(HEIGHT - 2 * PAD);
    let up = ((value - low) * plot / span).round();
    HEIGHT - PAD - i64::try_from(up).unwrap_or(0)
}

/// A chart of `series` over `labels`, with `title` as its name and
/// `summary` as its text alternative; `testid` names its figure.
#[component]
pub fn Chart(
    #[prop(into)] title: String,
    #[prop(into)] summary: String,
    kind: ChartKind,
    labels: Vec<String>,
    series: Vec<Series>,
    testid: &'static str,
    /// Each series on a scale of its own (counts beside amounts).
    #[prop(optional)]
    own_scales: bool,
) -> impl IntoView {
    let n = labels.len().max(1) as i64;
    let range = |values: &mut dyn Iterator<Item = Decimal>| {
        values.fold((Decimal::ZERO, Decimal::ZERO), |(lo, hi), v| (lo.min(v), hi.max(v)))
    };
    let (low, high) = range(&mut series.iter().flat_map(|s| s.values.iter().copied()));
    let step = (WIDTH - 2 * PAD) / n;
    let zero_y = y_of(Decimal::ZERO, low, high);
    let shapes = series
        .iter()
        .enumerate()
        .map(|(si, s)| {
            let class = format!("series-{si}");
            let (low, high) = if own_scales {
                range(&mut s.values.iter().copied())
            } else {
                (low, high)
            };
            let zero_y = y_of(Decimal::ZERO, low, high);
            match kind {
                ChartKind::Bars => {
                    let width = (step / series.len().max(1) as i64 - 1).max(1);
                    s.values
                        .iter()
                        .enumerate()
                        .map(|(i, v)| {
                            let x = PAD + i as i64 * step + si as i64 * (width + 1);
                            let y = y_of(*v, low, high);
                            let (top, height) = if y < zero_y {
                                (y, zero_y - y)
                            } else {
                                (zero_y, y - zero_y)
                            };
                            view! { <rect class=class.clone() x=x y=top width=width height=height.max(0)/> }
                        })
                        .collect_view()
                        .into_any()
                }
                ChartKind::Line => {
                    let points: Vec<String> = s
                        .values
                        .iter()
                        .enumerate()
                        .map(|(i, v)| format!("{},{}", PAD + i as i64 * step + step / 2, y_of(*v, low, high)))
                        .collect();
                    view! { <polyline class=class fill="none" points=points.join(" ")/> }.into_any()
                }
            }
        })
        .collect_view();
    let title_id = format!("{testid}-title");
    let desc_id = format!("{testid}-desc");
    let labelled_by = format!("{title_id} {desc_id}");
    let first = labels.first().cloned().unwrap_or_default();
    let last = labels.last().cloned().unwrap_or_default();
    let legend = series
        .iter()
        .enumerate()
        .map(|(si, s)| view! { <span class=format!("legend series-{si}")>{s.name}</span> })
        .collect_view();
    let heads = series
        .iter()
        .map(|s| view! { <th scope="col">{s.name}</th> })
        .collect_view();
    let rows = labels
        .iter()
        .enumerate()
        .map(|(i, label)| {
            let cells = series
                .iter()
                .map(|s| view! { <td class="num">{s.shown.get(i).cloned().unwrap_or_default()}</td> })
                .collect_view();
            view! { <tr><th scope="row">{label.clone()}</th>{cells}</tr> }
        })
        .collect_view();
    view! {
        <figure class="chart" data-testid=testid>
            <figcaption>{title.clone()} " " {legend}</figcaption>
            <svg
                role="img"
                aria-labelledby=labelled_by
                viewBox=format!("0 0 {WIDTH} {HEIGHT}")
                preserveAspectRatio="none"
            >
                <title id=title_id>{title.clone()}</title>
                <desc id=desc_id>{summary.clone()}</desc>
                <line class="axis" x1=PAD y1=zero_y x2=WIDTH - PAD y2=zero_y/>
                {shapes}
                <text class="tick" x=PAD y=HEIGHT - 4>{first}</text>
                <text class="tick end" x=WIDTH - PAD y=HEIGHT - 4>{last}</text>
            </svg>
            <p class="chart-summary">{summary}</p>
            <details>
                <summary>"The numbers as a table"</summary>
                <div class="table-wrap">
                    <table>
                        <caption>{title}</caption>
                        <thead><tr><th scope="col">"When"</th>{heads}</tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            </details>
        </figure>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_scale_into_the_plot() {
        let (low, high) = (Decimal::from(-10), Decimal::from(10));
        assert_eq!(y_of(Decimal::from(10), low, high), PAD);
        assert_eq!(y_of(Decimal::from(-10), low, high), HEIGHT - PAD);
        assert_eq!(y_of(Decimal::ZERO, low, high), HEIGHT / 2);
        assert_eq!(
            y_of(Decimal::ONE, Decimal::ONE, Decimal::ONE),
            HEIGHT - PAD,
            "flat: the baseline"
        );
    }
}
