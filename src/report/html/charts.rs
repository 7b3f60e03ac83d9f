//! Inline SVG charts, generated here so the page needs no script and no library to draw them:
//! a **stacked bar** (segments of one whole, e.g. ready / with warnings / blocked users), a
//! **bar** (one value against the largest of its chart) and a **donut** (shares of a total).
//! Every chart carries its numbers as text too (`aria-label`, `<title>` tooltips), and the
//! tables around the charts repeat them, so nothing is only visible as a shape.

use maud::{html, Markup};

/// One segment: a count, the CSS class that colours it, and what it counts.
#[derive(Debug, Clone, Copy)]
pub struct Segment<'a> {
    pub value: usize,
    pub class: &'a str,
    pub label: &'a str,
}

/// Width of the viewBox of bars; the SVG itself stretches to its container.
const WIDTH: f64 = 1000.0;

fn share(value: usize, total: usize) -> f64 {
    if total == 0 {
        0.0
    } else {
        value as f64 / total as f64
    }
}

fn describe(segments: &[Segment<'_>]) -> String {
    segments
        .iter()
        .map(|s| format!("{} {}", s.value, s.label))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A bar split into `segments`, filling the width in proportion to the sum of the segments.
pub fn stacked_bar(segments: &[Segment<'_>]) -> Markup {
    let total: usize = segments.iter().map(|s| s.value).sum();
    let mut x = 0.0;
    let rects: Vec<(f64, f64, &Segment<'_>)> = segments
        .iter()
        .filter(|s| s.value > 0)
        .map(|s| {
            let w = share(s.value, total) * WIDTH;
            let r = (x, w, s);
            x += w;
            r
        })
        .collect();
    html! {
        svg.bar viewBox={ "0 0 " (WIDTH) " 20" } preserveAspectRatio="none" role="img"
            aria-label=(describe(segments)) {
            rect.track x="0" y="0" width=(WIDTH) height="20" {}
            @for (x, w, s) in rects {
                rect class=(s.class) x=(fmt(x)) y="0" width=(fmt(w)) height="20" {
                    title { (s.value) " " (s.label) }
                }
            }
        }
    }
}

/// A single bar: `value` against `max` (the largest value of the chart).
pub fn bar(value: usize, max: usize, class: &str, label: &str) -> Markup {
    // A value above zero stays visible however small it is next to the largest.
    let w = if value == 0 {
        0.0
    } else {
        (share(value, max) * WIDTH).max(4.0)
    };
    html! {
        svg.bar viewBox={ "0 0 " (WIDTH) " 20" } preserveAspectRatio="none" role="img"
            aria-label={ (value) " " (label) } {
            rect.track x="0" y="0" width=(WIDTH) height="20" {}
            @if value > 0 {
                rect class=(class) x="0" y="0" width=(fmt(w)) height="20" {
                    title { (value) " " (label) }
                }
            }
        }
    }
}

/// A donut of `segments` with `center` written in the middle.
pub fn donut(segments: &[Segment<'_>], center: &str, caption: &str) -> Markup {
    let total: usize = segments.iter().map(|s| s.value).sum();
    // Circumference 100 (r = 100 / 2π) so dash lengths are percentages.
    let r = 100.0 / (2.0 * std::f64::consts::PI);
    let mut offset = 0.0;
    let arcs: Vec<(f64, f64, &Segment<'_>)> = segments
        .iter()
        .filter(|s| s.value > 0)
        .map(|s| {
            let len = share(s.value, total) * 100.0;
            let a = (len, offset, s);
            offset += len;
            a
        })
        .collect();
    html! {
        svg.donut viewBox="0 0 42 42" role="img" aria-label={ (caption) ": " (describe(segments)) } {
            circle.track cx="21" cy="21" r=(fmt(r)) fill="none" stroke-width="6" {}
            @for (len, off, s) in arcs {
                circle class=(s.class) cx="21" cy="21" r=(fmt(r)) fill="none" stroke-width="6"
                    stroke-dasharray={ (fmt(len)) " " (fmt(100.0 - len)) }
                    stroke-dashoffset=(fmt(25.0 - off)) {
                    title { (s.value) " " (s.label) }
                }
            }
            text x="21" y="21" text-anchor="middle" dominant-baseline="central" class="donut-text" {
                (center)
            }
        }
    }
}

/// Numbers in SVG attributes: two decimals at most, no exponent.
fn fmt(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stacked_bar_widths_add_up_and_skip_empty_segments() {
        let svg = stacked_bar(&[
            Segment {
                value: 1,
                class: "a",
                label: "one",
            },
            Segment {
                value: 0,
                class: "b",
                label: "none",
            },
            Segment {
                value: 3,
                class: "c",
                label: "three",
            },
        ])
        .into_string();
        assert!(
            svg.contains(r#"class="a" x="0" y="0" width="250""#),
            "{svg}"
        );
        assert!(
            svg.contains(r#"class="c" x="250" y="0" width="750""#),
            "{svg}"
        );
        assert!(!svg.contains(r#"class="b""#), "{svg}");
        assert!(
            svg.contains(r#"aria-label="1 one, 0 none, 3 three""#),
            "{svg}"
        );
    }

    #[test]
    fn numbers_are_plain() {
        assert_eq!(fmt(0.0), "0");
        assert_eq!(fmt(12.5), "12.5");
        assert_eq!(fmt(1.0 / 3.0), "0.33");
        assert_eq!(fmt(1000.0), "1000");
    }
}
