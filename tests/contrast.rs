//! Colour contrast of every theme in static/style.css, computed as WCAG 2.2 defines it
//! (relative luminance, (L1 + 0.05) / (L2 + 0.05)): text colours reach 4.5:1 against every
//! background they are drawn on, in the light, dark and high-contrast themes. Read from the
//! stylesheet itself, so a colour changed there is checked here.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::HashMap;

const CSS: &str = include_str!("../static/style.css");

/// The custom properties (`--name: #hex`) of the rule whose selector starts with `selector`.
fn theme(selector: &str) -> HashMap<String, String> {
    let start = CSS
        .find(selector)
        .unwrap_or_else(|| panic!("no {selector} rule in style.css"));
    let body = &CSS[start..];
    let body = &body[body.find('{').unwrap() + 1..body.find('}').unwrap()];
    body.split(';')
        .filter_map(|decl| {
            let (k, v) = decl.split_once(':')?;
            let k = k.trim();
            k.starts_with("--")
                .then(|| (k.to_string(), v.trim().to_string()))
        })
        .collect()
}

/// `#rgb` or `#rrggbb` → sRGB channels 0..=1.
fn rgb(hex: &str) -> [f64; 3] {
    let h = hex.trim_start_matches('#');
    let h = if h.len() == 3 {
        h.chars().flat_map(|c| [c, c]).collect::<String>()
    } else {
        h.to_string()
    };
    let c = |i: usize| f64::from(u8::from_str_radix(&h[i..i + 2], 16).unwrap()) / 255.0;
    [c(0), c(2), c(4)]
}

fn luminance(hex: &str) -> f64 {
    let lin = |c: f64| {
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let [r, g, b] = rgb(hex);
    0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
}

fn ratio(a: &str, b: &str) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

#[test]
fn wcag_formula_matches_known_pairs() {
    assert!((ratio("#000000", "#ffffff") - 21.0).abs() < 1e-9);
    assert!((ratio("#777777", "#ffffff") - 4.48).abs() < 0.01);
}

#[test]
fn every_theme_reaches_4_5_to_1() {
    // Text colour → the backgrounds it is drawn on (pages, cards, status lines, charts).
    let pairs = [
        ("--fg", "--bg"),
        ("--fg", "--card"),
        ("--muted", "--bg"),
        ("--muted", "--card"),
        ("--accent", "--bg"),
        ("--accent", "--card"),
        ("--accent-fg", "--accent"),
        ("--err", "--bg"),
        ("--ok", "--bg"),
        ("--warn", "--card"),
    ];
    let mut failures = Vec::new();
    for (name, selector) in [
        ("light", ":root {"),
        ("dark", ":root[data-theme=\"dark\"]"),
        ("high contrast", ":root[data-theme=\"contrast\"]"),
    ] {
        let vars = theme(selector);
        for (fg, bg) in pairs {
            let (Some(f), Some(b)) = (vars.get(fg), vars.get(bg)) else {
                failures.push(format!("{name}: {fg} or {bg} is not set"));
                continue;
            };
            let r = ratio(f, b);
            if r < 4.5 {
                failures.push(format!("{name}: {fg} {f} on {bg} {b} is {r:.2}:1"));
            }
        }
    }
    assert!(failures.is_empty(), "below 4.5:1: {failures:#?}");
}
