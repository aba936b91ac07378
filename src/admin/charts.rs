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

const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 140.0;
const LEFT: f64 = 36.0;
const BOTTOM: f64 = 20.0;

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
    let bar = (WIDTH - LEFT) / n as f64;
    let y = |v: u64| (HEIGHT - BOTTOM) * (1.0 - v as f64 / top as f64);
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
                <rect x=format!("{:.1}", LEFT + d as f64 * bar + 1.0) y=format!("{y1:.1}")
                      width=format!("{:.1}", (bar - 2.0).max(1.0)) height=format!("{:.1}", y0 - y1)
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
                <text x=LEFT - 4.0 y="10" text-anchor="end" class="tick">{top}</text>
                <text x=LEFT - 4.0 y=HEIGHT - BOTTOM text-anchor="end" class="tick">"0"</text>
                <text x=LEFT y=HEIGHT - 4.0 class="tick">{first}</text>
                <text x=WIDTH y=HEIGHT - 4.0 text-anchor="end" class="tick">{last}</text>
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
