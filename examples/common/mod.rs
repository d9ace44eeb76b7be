//! Helpers shared by the examples: a training-curve plot written as SVG (opens in any browser or
//! image viewer) with no plotting dependency.
#![allow(dead_code)]
pub mod bench;

use std::fmt::Write as _;

/// One named series of `(x, y)` points with its colour.
pub struct Series {
    pub name: &'static str,
    pub colour: &'static str,
    pub points: Vec<(f32, f32)>,
}

/// Writes line charts side by side (one per `(title, series)` panel) to `path` as SVG.
pub fn write_svg(path: &str, panels: &[(&str, &[Series])]) -> std::io::Result<()> {
    let (pw, ph, m) = (420.0f32, 300.0f32, 48.0f32);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{ph}" font-family="sans-serif" font-size="12">"#,
        pw * panels.len() as f32
    );
    s.push_str(r#"<rect width="100%" height="100%" fill="white"/>"#);
    for (p, (title, series)) in panels.iter().enumerate() {
        let ox = p as f32 * pw;
        let pts = series.iter().flat_map(|s| s.points.iter());
        let (mut x0, mut x1, mut y0, mut y1) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
        for &(x, y) in pts {
            (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
        }
        if x1 <= x0 {
            x1 = x0 + 1.0;
        }
        if y1 <= y0 {
            y1 = y0 + 1.0;
        }
        let (w, h) = (pw - 1.6 * m, ph - 2.0 * m);
        let sx = |x: f32| ox + 1.2 * m + (x - x0) / (x1 - x0) * w;
        let sy = |y: f32| m + h - (y - y0) / (y1 - y0) * h;
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" text-anchor="middle" font-size="14">{title}</text>"#,
            ox + pw / 2.0,
            m * 0.6
        );
        let _ = write!(
            s,
            r#"<rect x="{}" y="{m}" width="{w}" height="{h}" fill="none" stroke="grey"/>"#,
            sx(x0)
        );
        for i in 0..=4 {
            let v = y0 + (y1 - y0) * i as f32 / 4.0;
            let _ = write!(
                s,
                r#"<text x="{}" y="{}" text-anchor="end">{v:.3}</text>"#,
                sx(x0) - 4.0,
                sy(v) + 4.0
            );
        }
        let _ = write!(
            s,
            r#"<text x="{}" y="{}">{x0}</text><text x="{}" y="{}" text-anchor="end">{x1}</text>"#,
            sx(x0),
            m + h + 16.0,
            sx(x1),
            m + h + 16.0
        );
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" text-anchor="middle">epoch</text>"#,
            sx((x0 + x1) / 2.0),
            m + h + 16.0
        );
        for (k, ser) in series.iter().enumerate() {
            let line: Vec<String> = ser
                .points
                .iter()
                .map(|&(x, y)| format!("{:.1},{:.1}", sx(x), sy(y)))
                .collect();
            let _ = write!(
                s,
                r#"<polyline fill="none" stroke="{}" stroke-width="2" points="{}"/>"#,
                ser.colour,
                line.join(" ")
            );
            let _ = write!(
                s,
                r#"<text x="{}" y="{}" fill="{}">{}</text>"#,
                sx(x0) + 8.0,
                m + 16.0 + 14.0 * k as f32,
                ser.colour,
                ser.name
            );
        }
    }
    s.push_str("</svg>\n");
    std::fs::write(path, s)
}
