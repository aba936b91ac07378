//! Activity: coordinates issued and resolutions per day (last 30 days, by provider), as
//! small hand-drawn SVG bar charts from `GET /stats/daily` — a chart library would weigh
//! more than the console. Each chart has a text summary for screen readers and a table
//! behind a disclosure for exact figures.

use cvi_core::api::{DailySeries, DailyStats};
use leptos::{prelude::*, task::spawn_local};

use super::{
    client::AdminApi,
    problem_text,
    words::{tr, tr_with},
    Note,
};

// The chart's frame in SVG units. Bars are placed in tenths of a unit with integers:
// printing an `f64` brought Rust's float formatting (~10 KB) into the console's bundle.
const WIDTH: u64 = 600;
const HEIGHT: u64 = 140;
const LEFT: u64 = 36;
const BOTTOM: u64 = 20;

/// Tenths of an SVG unit as the attribute's number (`123` → `12.3`).
fn tenths(t: u64) -> String {
    format!("{}.{}", t / 10, t % 10)
}

/// Provider colours: distinguishable, and ≥ 3:1 against both the light and dark card.
fn colour(i: usize) -> &'static str {
    ["#5b5fc7", "#c75b12", "#13855c", "#b3246b"][i % 4]
}

/// A round axis maximum at or above `max`.
fn nice_max(max: u64) -> u64 {
    let mut step = 1;
    loop {
        for m in [1, 2, 5] {
            if m * step >= max.max(1) {
                return m * step;
            }
        }
        step *= 10;
    }
}

/// One stacked bar chart of `metric`'s series.
fn chart(days: &[String], series: &[DailySeries], title: &str) -> impl IntoView {
    let n = days.len().max(1);
    let totals: Vec<u64> = (0..n)
        .map(|d| {
            series
                .iter()
                .map(|s| s.counts.get(d).copied().unwrap_or(0))
                .sum()
        })
        .collect();
    let total: u64 = totals.iter().sum();
    let top = nice_max(totals.iter().copied().max().unwrap_or(0));
    // In tenths: a bar's width, and the height of `v` (at most `top`) from the chart's top.
    let bar = (WIDTH - LEFT) * 10 / n as u64;
    let y = |v: u64| (HEIGHT - BOTTOM) * 10 * (top - v.min(top)) / top;
    let mut rects = Vec::new();
    for (d, day) in days.iter().enumerate() {
        let mut base = 0;
        for (i, s) in series.iter().enumerate() {
            let v = s.counts.get(d).copied().unwrap_or(0);
            if v == 0 {
                continue;
            }
            let (y0, y1) = (y(base), y(base + v));
            rects.push(view! {
                <rect x=tenths(LEFT * 10 + d as u64 * bar + 10) y=tenths(y1)
                      width=tenths(bar.saturating_sub(20).max(10)) height=tenths(y0 - y1)
                      fill=colour(i)>
                    <title>{format!("{day}: {} {v}", s.provider)}</title>
                </rect>
            });
            base += v;
        }
    }
    let summary = format!(
        "{}{}",
        tr_with(
            "{title}: {total} in the last {n} days",
            &[
                ("title", title),
                ("total", &total.to_string()),
                ("n", &n.to_string())
            ]
        ),
        series
            .iter()
            .map(|s| format!(", {} {}", s.provider, s.counts.iter().sum::<u64>()))
            .collect::<String>()
    );
    let first = days.first().cloned().unwrap_or_default();
    let last = days.last().cloned().unwrap_or_default();
    let legend = series
        .iter()
        .enumerate()
        .map(|(i, s)| view! { <li><span class="swatch" style=format!("background:{}", colour(i))></span>{s.provider.clone()}</li> })
        .collect_view();
    let rows = days
        .iter()
        .enumerate()
        .filter(|(d, _)| totals[*d] > 0)
        .map(|(d, day)| view! { <tr><td>{day.clone()}</td><td>{totals[d]}</td></tr> })
        .collect_view();
    view! {
        <figure class="chart">
            <figcaption>{title.to_string()}</figcaption>
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=summary.clone() preserveAspectRatio="none">
                <line x1=LEFT y1="0" x2=LEFT y2=HEIGHT - BOTTOM class="axis" />
                <line x1=LEFT y1=HEIGHT - BOTTOM x2=WIDTH y2=HEIGHT - BOTTOM class="axis" />
                <text x=LEFT - 4 y="10" text-anchor="end" class="tick">{top}</text>
                <text x=LEFT - 4 y=HEIGHT - BOTTOM text-anchor="end" class="tick">"0"</text>
                <text x=LEFT y=HEIGHT - 4 class="tick">{first}</text>
                <text x=WIDTH y=HEIGHT - 4 text-anchor="end" class="tick">{last}</text>
                {rects}
            </svg>
            <ul class="legend">{legend}</ul>
            <p class="hint" data-testid="chart-summary">{summary}</p>
            <details>
                <summary>{tr("Figures")}</summary>
                <table><thead><tr><th scope="col">{tr("Day")}</th><th scope="col">{tr("Count")}</th></tr></thead><tbody>{rows}</tbody></table>
            </details>
        </figure>
    }
}

#[component]
pub fn Activity(api: StoredValue<AdminApi>) -> impl IntoView {
    let stats = RwSignal::new(None::<DailyStats>);
    let note = RwSignal::new(None::<(bool, String)>);
    let load = move || {
        spawn_local(async move {
            match api.get_value().stats().await {
                Ok(s) => stats.set(Some(s)),
                Err(e) => note.set(Some((true, problem_text(&e)))),
            }
        });
    };
    load();
    view! {
        <section id="activity" aria-labelledby="activity-h">
            <h2 id="activity-h">{tr("Activity")}</h2>
            {move || stats.get().map(|s| {
                let of = |m: &str| s.series.iter().filter(|x| x.metric == m).cloned().collect::<Vec<_>>();
                view! {
                    <div class="charts">
                        {chart(&s.days, &of("issued"), tr("Coordinates issued per day"))}
                        {chart(&s.days, &of("resolved"), tr("Resolutions per day"))}
                    </div>
                }
            })}
            <div class="actions"><button type="button" data-action="stats-reload" on:click=move |_| load()>{tr("Reload")}</button></div>
            <Note text=note />
        </section>
    }
}
