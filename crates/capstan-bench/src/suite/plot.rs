//! SVG drawing with plotters: horizontal bars (one per server) and lines
//! on log-log axes (one per server). Text is SVG `<text>`: no fonts needed.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// A colour.
pub type Colour = RGBColor;

/// One bar.
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub colour: Colour,
}

/// One line: its name (in the legend), its points, and its width in pixels.
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub colour: Colour,
    pub points: Vec<(f64, f64)>,
    pub width: u32,
}

const WIDTH: u32 = 900;
const FONT: &str = "sans-serif";

fn failed<E: std::fmt::Debug>(e: E) -> String {
    format!("drawing the chart: {e:?}")
}

/// Horizontal bars, the first at the top, each with its label on the left
/// and its value (`show`) at its end, on an axis described by `unit`.
pub fn bars(
    title: &str,
    unit: &str,
    bars: &[Bar],
    show: impl Fn(f64) -> String,
) -> Result<String, String> {
    if bars.is_empty() {
        return Err(format!("no bars for {title:?}"));
    }
    let n = bars.len();
    let height = 130 + 40 * n as u32;
    let longest = bars.iter().map(|b| b.label.chars().count()).max().unwrap_or(0) as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(failed)?;
        let top = bars.iter().map(|b| b.value).filter(|v| v.is_finite()).fold(0.0, f64::max);
        let x_max = if top > 0.0 { top * 1.25 } else { 1.0 };
        // Bar i (from the top) spans y in [n-1-i, n-i], shrunk to leave gaps.
        let slot = |i: usize| (n - 1 - i) as f64;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 18))
            .margin(14)
            .x_label_area_size(44)
            .y_label_area_size(24 + 8 * longest)
            .build_cartesian_2d(0f64..x_max, 0f64..n as f64)
            .map_err(failed)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .light_line_style(WHITE)
            .y_labels(0)
            .x_desc(unit)
            .x_label_formatter(&|v| short(*v))
            .label_style((FONT, 13))
            .draw()
            .map_err(failed)?;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, b)| {
                let v = if b.value.is_finite() { b.value.max(0.0) } else { 0.0 };
                Rectangle::new([(0.0, slot(i) + 0.18), (v, slot(i) + 0.82)], b.colour.filled())
            }))
            .map_err(failed)?;
        let anchored = |h| TextStyle::from((FONT, 14).into_font()).pos(Pos::new(h, VPos::Center));
        chart
            .draw_series(bars.iter().enumerate().map(|(i, b)| {
                let v = if b.value.is_finite() { b.value.max(0.0) } else { 0.0 };
                EmptyElement::at((v, slot(i) + 0.5))
                    + Text::new(show(b.value), (6, 0), anchored(HPos::Left))
            }))
            .map_err(failed)?;
        // The labels, right-aligned just left of the axis.
        for (i, b) in bars.iter().enumerate() {
            let (x, y) = chart.backend_coord(&(0.0, slot(i) + 0.5));
            root.draw(&Text::new(b.label.clone(), (x - 8, y), anchored(HPos::Right)))
                .map_err(failed)?;
        }
        root.present().map_err(failed)?;
    }
    Ok(svg)
}

/// Lines on log-log axes, with a legend of the series' names, and the
/// diagonal y = x as a dashed grey reference if `diagonal`.
pub fn log_lines(
    title: &str,
    x_desc: &str,
    y_desc: &str,
    series: &[Series],
    diagonal: bool,
) -> Result<String, String> {
    let points =
        || series.iter().flat_map(|s| s.points.iter()).filter(|(x, y)| *x > 0.0 && *y > 0.0);
    let (x_lo, x_hi) =
        bounds(points().map(|p| p.0)).ok_or_else(|| format!("no points for {title:?}"))?;
    let (mut y_lo, mut y_hi) = bounds(points().map(|p| p.1)).unwrap_or((x_lo, x_hi));
    if diagonal {
        y_lo = y_lo.min(x_lo);
        y_hi = y_hi.max(x_hi);
    }
    // The x values themselves (the offered rates) are the x axis' labels.
    let mut x_keys: Vec<f64> = points().map(|p| p.0).collect();
    x_keys.sort_by(f64::total_cmp);
    x_keys.dedup();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, 560)).into_drawing_area();
        root.fill(&WHITE).map_err(failed)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 20))
            .margin(14)
            .x_label_area_size(48)
            .y_label_area_size(90)
            .build_cartesian_2d(
                (x_lo / 1.3..x_hi * 1.3).log_scale().with_key_points(x_keys),
                (y_lo / 1.3..y_hi * 1.3)
                    .log_scale()
                    .with_key_points(one_two_five(y_lo / 1.3, y_hi * 1.3)),
            )
            .map_err(failed)?;
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc(y_desc)
            .light_line_style(WHITE)
            .x_label_formatter(&|v| short(*v))
            .y_label_formatter(&|v| short(*v))
            .label_style((FONT, 13))
            .draw()
            .map_err(failed)?;
        if diagonal {
            let grey = RGBColor(150, 150, 150);
            let (lo, hi) = (x_lo / 1.3, x_hi * 1.3);
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(lo, lo), (hi, hi)],
                    6,
                    4,
                    grey.stroke_width(1),
                ))
                .map_err(failed)?
                .label("offered (all delivered)")
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], grey));
        }
        for s in series {
            let (colour, width) = (s.colour, s.width);
            let points: Vec<(f64, f64)> =
                s.points.iter().copied().filter(|(x, y)| *x > 0.0 && *y > 0.0).collect();
            chart
                .draw_series(LineSeries::new(points.clone(), colour.stroke_width(width)))
                .map_err(failed)?
                .label(&s.name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(width))
                });
            chart
                .draw_series(points.into_iter().map(|p| Circle::new(p, 4, colour.filled())))
                .map_err(failed)?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .label_font((FONT, 14))
            .draw()
            .map_err(failed)?;
        root.present().map_err(failed)?;
    }
    Ok(svg)
}

/// 1, 2, 5, 10, 20, 50, … within `lo..=hi`.
fn one_two_five(lo: f64, hi: f64) -> Vec<f64> {
    let mut keys = Vec::new();
    let mut decade = 10f64.powf(lo.max(1e-9).log10().floor());
    while decade <= hi {
        for step in [1.0, 2.0, 5.0] {
            let v = decade * step;
            if (lo..=hi).contains(&v) {
                keys.push(v);
            }
        }
        decade *= 10.0;
    }
    keys
}

/// The smallest and largest of `values`.
fn bounds(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values.fold(None, |acc, v| match acc {
        None => Some((v, v)),
        Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
    })
}

/// `20k`, `1.5M`: short axis labels.
pub fn short(v: f64) -> String {
    let trim = |s: String| {
        if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
    };
    match v.abs() {
        a if a >= 1e6 => format!("{}M", trim(format!("{:.1}", v / 1e6))),
        a if a >= 1e3 => format!("{}k", trim(format!("{:.1}", v / 1e3))),
        a if a >= 1.0 => trim(format!("{v:.1}")),
        _ => trim(format!("{v:.3}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses `svg` as XML and returns every `<text>`'s content.
    pub fn texts(svg: &str) -> Vec<String> {
        let doc = roxmltree::Document::parse(svg).expect("well-formed SVG");
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        doc.descendants()
            .filter(|n| n.has_tag_name("text"))
            .map(|n| n.text().unwrap_or_default().trim().to_string())
            .collect()
    }

    #[test]
    fn bar_chart_is_svg_with_labels() {
        let bars = [
            Bar { label: "capstan".into(), value: 3.25, colour: RED },
            Bar { label: "fastwebsockets (tuned)".into(), value: 5.5, colour: BLUE },
            Bar { label: "node ws <&> (default)".into(), value: 0.0, colour: GREEN },
        ];
        let svg =
            super::bars("server CPU per echo", "µs per echo", &bars, |v| format!("{v:.2} µs"))
                .unwrap();
        let texts = texts(&svg);
        for want in [
            "server CPU per echo",
            "capstan",
            "fastwebsockets (tuned)",
            "node ws <&> (default)",
            "3.25 µs",
            "µs per echo",
        ] {
            assert!(texts.iter().any(|t| t == want), "{want:?} not in {texts:?}");
        }
        assert!(super::bars("t", "u", &[], |v| v.to_string()).is_err());
    }

    #[test]
    fn line_chart_is_svg_with_series_names() {
        let series = [
            Series {
                name: "capstan".into(),
                colour: RED,
                points: vec![(2e4, 2e4), (1e6, 9e5)],
                width: 3,
            },
            Series {
                name: "uWS (tuned)".into(),
                colour: BLUE,
                points: vec![(2e4, 2e4), (1e6, 4e5)],
                width: 2,
            },
        ];
        let svg = log_lines("deliveries", "offered", "achieved", &series, true).unwrap();
        let texts = texts(&svg);
        for want in ["deliveries", "capstan", "uWS (tuned)", "offered (all delivered)", "achieved"]
        {
            assert!(texts.iter().any(|t| t == want), "{want:?} not in {texts:?}");
        }
        assert!(log_lines("t", "x", "y", &[], false).is_err());
    }

    #[test]
    #[ignore = "writes SVG files to look at: BENCH_SUITE_CHARTS=DIR"]
    fn draw_examples() {
        let dir = std::path::PathBuf::from(std::env::var("BENCH_SUITE_CHARTS").unwrap());
        let names = [
            "capstan",
            "tungstenite (default)",
            "tungstenite (tuned)",
            "fastwebsockets (tuned)",
            "uWS (tuned)",
        ];
        let colours = [RED, BLUE, CYAN, GREEN, MAGENTA];
        let bars: Vec<Bar> = names
            .iter()
            .zip(colours)
            .enumerate()
            .map(|(i, (n, c))| Bar { label: n.to_string(), value: 3.0 + i as f64 * 1.7, colour: c })
            .collect();
        std::fs::write(
            dir.join("bars.svg"),
            super::bars("bars", "µs", &bars, |v| format!("{v:.2} µs")).unwrap(),
        )
        .unwrap();
        std::fs::write(
            dir.join("bar1.svg"),
            super::bars("one bar", "µs", &bars[..1], |v| format!("{v:.2} µs")).unwrap(),
        )
        .unwrap();
        let offered: [f64; 4] = [2e4, 1e5, 3e5, 1e6];
        let series: Vec<Series> = names
            .iter()
            .zip(colours)
            .enumerate()
            .map(|(i, (n, c))| Series {
                name: n.to_string(),
                colour: c,
                points: offered.iter().map(|&o| (o, o.min(9e5 / (i + 1) as f64))).collect(),
                width: 2,
            })
            .collect();
        std::fs::write(
            dir.join("lines.svg"),
            log_lines("lines", "offered", "achieved", &series, true).unwrap(),
        )
        .unwrap();
    }

    #[test]
    fn log_keys() {
        assert_eq!(one_two_five(15_000.0, 130_000.0), [20_000.0, 50_000.0, 100_000.0]);
        assert_eq!(one_two_five(0.4, 3.0), [0.5, 1.0, 2.0]);
    }

    #[test]
    fn short_labels() {
        assert_eq!(short(20_000.0), "20k");
        assert_eq!(short(1_500_000.0), "1.5M");
        assert_eq!(short(300.0), "300");
        assert_eq!(short(0.25), "0.25");
    }
}
