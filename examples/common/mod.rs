//! Helpers shared by the examples: training curves drawn with `plotters` (SVG backend only, a
//! dev-dependency) into an SVG file that opens in any browser or image viewer.
#![allow(dead_code)]
pub mod bench;

use plotters::prelude::*;

/// One named series of `(x, y)` points with its colour (RGB).
pub struct Series {
    pub name: &'static str,
    pub colour: (u8, u8, u8),
    pub points: Vec<(f32, f32)>,
}

/// The corner of a panel whose quarter holds the fewest points: where the legend covers
/// no line (or the least of one).
fn empty_corner(series: &[Series], x: (f32, f32), y: (f32, f32)) -> SeriesLabelPosition {
    let corners = [
        (SeriesLabelPosition::UpperRight, true, true),
        (SeriesLabelPosition::LowerRight, true, false),
        (SeriesLabelPosition::UpperLeft, false, true),
        (SeriesLabelPosition::LowerLeft, false, false),
    ];
    let inside = |(px, py): (f32, f32), right: bool, upper: bool| {
        let (fx, fy) = ((px - x.0) / (x.1 - x.0), (py - y.0) / (y.1 - y.0));
        (if right { fx > 0.55 } else { fx < 0.45 }) && (if upper { fy > 0.6 } else { fy < 0.4 })
    };
    let count = |right, upper| {
        series
            .iter()
            .flat_map(|s| &s.points)
            .filter(|&&p| inside(p, right, upper))
            .count()
    };
    corners
        .into_iter()
        .min_by_key(|&(_, right, upper)| count(right, upper))
        .map_or(SeriesLabelPosition::UpperRight, |c| c.0)
}

/// Writes line charts side by side (one per `(title, series)` panel) to `path` as SVG: axes
/// with plotters' round tick values, the x axis in epochs, the legend in the emptiest corner.
pub fn write_svg(
    path: &str,
    panels: &[(&str, &[Series])],
) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::new(path, (440 * panels.len() as u32, 320)).into_drawing_area();
    root.fill(&WHITE)?;
    for (area, (title, series)) in root.split_evenly((1, panels.len())).iter().zip(panels) {
        let pts = || series.iter().flat_map(|s| s.points.iter().copied());
        let (x0, x1) = pts().fold((f32::MAX, f32::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
        let (y0, y1) = pts().fold((f32::MAX, f32::MIN), |(a, b), p| (a.min(p.1), b.max(p.1)));
        // a little room above and below the data, and a non-empty range
        let pad = ((y1 - y0) * 0.05).max(1e-3);
        let (y0, y1) = (y0 - pad, y1 + pad);
        let x1 = if x1 > x0 { x1 } else { x0 + 1.0 };
        let mut chart = ChartBuilder::on(area)
            .caption(*title, ("sans-serif", 16))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(52)
            .build_cartesian_2d(x0..x1, y0..y1)?;
        chart
            .configure_mesh()
            .x_desc("epoch")
            .x_labels(8)
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_labels(6)
            .light_line_style(WHITE.mix(0.0))
            .draw()?;
        for s in series.iter() {
            let (r, g, b) = s.colour;
            let colour = RGBColor(r, g, b);
            chart
                .draw_series(LineSeries::new(
                    s.points.iter().copied(),
                    colour.stroke_width(2),
                ))?
                .label(s.name)
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 18, y)], colour.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .position(empty_corner(series, (x0, x1), (y0, y1)))
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.3))
            .draw()?;
    }
    root.present()?;
    Ok(())
}
