//! SVG line and scatter charts (plotters' SVG backend: no fonts or C libraries needed).

use plotters::prelude::*;
use std::path::Path;

/// One named series of (x, y) points.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend label.
    pub name: String,
    /// Points, in drawing order.
    pub points: Vec<(f64, f64)>,
    /// Draw only markers (no connecting line), e.g. a peer measured at one size.
    pub markers_only: bool,
}

impl Series {
    /// A line series.
    pub fn line(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self {
            name: name.into(),
            points,
            markers_only: false,
        }
    }

    /// A markers-only series.
    pub fn markers(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self {
            name: name.into(),
            points,
            markers_only: true,
        }
    }
}

/// A chart: title, axis labels, log scales and series.
#[derive(Debug, Clone)]
pub struct Chart {
    /// Title, also used in the report's list of charts.
    pub title: String,
    /// X axis label.
    pub x_label: String,
    /// Y axis label.
    pub y_label: String,
    /// Logarithmic x axis (all x must be > 0).
    pub log_x: bool,
    /// Logarithmic y axis (all y must be > 0).
    pub log_y: bool,
    /// The data.
    pub series: Vec<Series>,
}

impl Chart {
    /// An empty chart with linear axes.
    pub fn new(
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
    ) -> Self {
        Self {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            log_x: false,
            log_y: false,
            series: Vec::new(),
        }
    }

    /// Sets log scales.
    pub fn log(mut self, log_x: bool, log_y: bool) -> Self {
        self.log_x = log_x;
        self.log_y = log_y;
        self
    }

    /// Adds a series.
    pub fn with(mut self, series: Series) -> Self {
        self.series.push(series);
        self
    }

    /// The x and y ranges over all finite points (padded when degenerate), skipping
    /// non-positive values on log axes.
    fn ranges(&self) -> Option<((f64, f64), (f64, f64))> {
        let pts = self.series.iter().flat_map(|s| s.points.iter().copied());
        let usable = pts.filter(|(x, y)| {
            x.is_finite() && y.is_finite() && (!self.log_x || *x > 0.0) && (!self.log_y || *y > 0.0)
        });
        let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        let mut any = false;
        for (x, y) in usable {
            any = true;
            x0 = x0.min(x);
            x1 = x1.max(x);
            y0 = y0.min(y);
            y1 = y1.max(y);
        }
        if !any {
            return None;
        }
        let pad = |lo: f64, hi: f64, log: bool| {
            if log {
                (lo / 1.5, hi * 1.5)
            } else if hi > lo {
                let d = (hi - lo) * 0.05;
                (lo - d, hi + d)
            } else {
                (lo - 1.0, hi + 1.0)
            }
        };
        Some((pad(x0, x1, self.log_x), pad(y0, y1, self.log_y)))
    }

    /// Renders to an SVG file.
    pub fn write_svg(&self, path: &Path) -> Result<(), String> {
        let ((x0, x1), (y0, y1)) = self.ranges().ok_or("no finite points to draw")?;
        let root = SVGBackend::new(path, (900, 560)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let mut builder = ChartBuilder::on(&root);
        builder
            .caption(&self.title, ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(70);
        // plotters types differ per scale, so each combination builds its own chart.
        macro_rules! draw {
            ($xr:expr, $yr:expr) => {{
                let mut chart = builder
                    .build_cartesian_2d($xr, $yr)
                    .map_err(|e| e.to_string())?;
                chart
                    .configure_mesh()
                    .x_desc(self.x_label.as_str())
                    .y_desc(self.y_label.as_str())
                    .draw()
                    .map_err(|e| e.to_string())?;
                for (i, s) in self.series.iter().enumerate() {
                    let color = Palette99::pick(i).to_rgba();
                    let pts: Vec<(f64, f64)> = s
                        .points
                        .iter()
                        .copied()
                        .filter(|(x, y)| {
                            x.is_finite()
                                && y.is_finite()
                                && (!self.log_x || *x > 0.0)
                                && (!self.log_y || *y > 0.0)
                        })
                        .collect();
                    let anno = if s.markers_only {
                        chart
                            .draw_series(pts.iter().map(|p| Circle::new(*p, 4, color.filled())))
                            .map_err(|e| e.to_string())?
                    } else {
                        chart
                            .draw_series(pts.iter().map(|p| Circle::new(*p, 2, color.filled())))
                            .map_err(|e| e.to_string())?;
                        chart
                            .draw_series(LineSeries::new(pts.clone(), color.stroke_width(2)))
                            .map_err(|e| e.to_string())?
                    };
                    anno.label(s.name.as_str()).legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(3))
                    });
                }
                chart
                    .configure_series_labels()
                    .background_style(WHITE.mix(0.85))
                    .border_style(BLACK)
                    .draw()
                    .map_err(|e| e.to_string())?;
            }};
        }
        match (self.log_x, self.log_y) {
            (false, false) => draw!(x0..x1, y0..y1),
            (true, false) => draw!((x0..x1).log_scale(), y0..y1),
            (false, true) => draw!(x0..x1, (y0..y1).log_scale()),
            (true, true) => draw!((x0..x1).log_scale(), (y0..y1).log_scale()),
        }
        root.present().map_err(|e| e.to_string())
    }
}
