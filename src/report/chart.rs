//! Charts of the results (feature `plot`): pictures an analyst can look at
//! in a notebook or save as SVG files.
//!
//! | chart | what it shows |
//! | --- | --- |
//! | [`funnel_chart`] | per rep: contacts → prospects engaged → prospects met → sales |
//! | [`close_rates_chart`] | per rep: the contact close rate next to the meeting close rate, with 95 % intervals — the picture of the wrong number |
//! | [`survival_chart`] | Kaplan–Meier curves (time to win, time to first meeting) with their 95 % bands and medians |
//! | [`daily_contacts_chart`] | per rep: how many days had 0, 1, 2, … contacts, with the daily target marked — what quota bunching looks like |
//! | [`activity_by_class_chart`] | per period: the share of contacts that were new, follow-up, reactivated or customer |
//! | [`activity_breakdown_chart`] | per period: the share of contacts by channel (or prospect source) |
//!
//! Every chart is an [`SvgChart`]: the SVG text, which
//! [`SvgChart::save`] writes to a file and [`SvgChart::evcxr_display`]
//! shows in an evcxr (Jupyter) notebook cell. The charts are drawn with
//! plotters' SVG backend, which writes text as SVG `<text>` elements: no
//! font files and no system libraries are involved, and the viewer's
//! sans-serif font is used.
//!
//! # Example
//! ```
//! use sales_metrics::report::close_rates_chart;
//! use sales_metrics::report::{PeriodSpec, Scope};
//! use sales_metrics::{classify, load_folder, ClassifyConfig, Mode};
//!
//! let ledger = load_folder(concat!(env!("CARGO_MANIFEST_DIR"), "/data/demo"), Mode::Strict)?;
//! let classified = classify(&ledger, &ClassifyConfig::default());
//! let report = classified.period_report(&Scope::all(), &PeriodSpec::monthly())?;
//! let chart = close_rates_chart(&report)?;
//! assert!(chart.as_str().starts_with("<svg"));
//! # let dir = std::env::temp_dir().join(format!("sm-chart-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir)?;
//! chart.save(dir.join("close_rates.svg"))?;
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::classify::ContactClass;
use crate::error::{Error, Result};
use crate::ledger::Ledger;
use crate::ratio::Ratio;
use crate::report::breakdown::Breakdown;
use crate::report::period::{PeriodCounts, PeriodReport};
use crate::report::scope::Granularity;
use crate::report::survival::SurvivalCurve;

/// What drawing returns inside this module; plotters' errors are boxed and
/// become an [`Error`] at the edge.
type Draw<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// A chart as an SVG document.
#[derive(Clone, PartialEq, Eq)]
pub struct SvgChart {
    title: String,
    width: u32,
    height: u32,
    svg: String,
}

impl SvgChart {
    /// The chart's title.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// Width and height in pixels.
    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// The SVG document.
    pub fn as_str(&self) -> &str {
        &self.svg
    }

    /// The SVG document, owned.
    pub fn into_string(self) -> String {
        self.svg
    }

    /// Writes the SVG document to `path` (conventionally `*.svg`).
    ///
    /// # Errors
    /// [`Error::Io`] naming the file when it cannot be written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        std::fs::write(path, &self.svg).map_err(|e| Error::io(path, e))
    }

    /// The chart for an HTML page: the `<svg>` element itself.
    pub fn to_html(&self) -> String {
        self.svg.clone()
    }

    /// Shows the chart in an evcxr (Jupyter) notebook cell (the title is
    /// the text alternative, for the terminal REPL).
    pub fn evcxr_display(&self) {
        println!(
            "EVCXR_BEGIN_CONTENT image/svg+xml\n{}\nEVCXR_END_CONTENT\n\
             EVCXR_BEGIN_CONTENT text/plain\n{}\nEVCXR_END_CONTENT",
            self.svg.trim_end(),
            self.describe()
        );
    }

    /// `Contact close rate vs meeting close rate (SVG chart, 1010×480)`.
    fn describe(&self) -> String {
        format!("{} (SVG chart, {}×{})", self.title, self.width, self.height)
    }
}

impl fmt::Debug for SvgChart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SvgChart")
            .field("title", &self.title)
            .field("width", &self.width)
            .field("height", &self.height)
            .field("svg_bytes", &self.svg.len())
            .finish()
    }
}

impl fmt::Display for SvgChart {
    /// The SVG document.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.svg)
    }
}

// Okabe–Ito colours: distinguishable with the common colour-vision
// deficiencies, and printable in grey.
const BLUE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
const VERMILION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
const GREEN: RGBColor = RGBColor(0x00, 0x9E, 0x73);
const ORANGE: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
const SKY: RGBColor = RGBColor(0x56, 0xB4, 0xE9);
const PURPLE: RGBColor = RGBColor(0xCC, 0x79, 0xA7);
const YELLOW: RGBColor = RGBColor(0xF0, 0xE4, 0x42);
const GREY: RGBColor = RGBColor(0x99, 0x99, 0x99);
const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
const MUTED: RGBColor = RGBColor(0x66, 0x66, 0x66);
const LIGHT: RGBColor = RGBColor(0xEE, 0xEE, 0xEE);

/// Colours of series in order.
const PALETTE: [RGBColor; 8] = [BLUE, VERMILION, GREEN, ORANGE, PURPLE, SKY, YELLOW, GREY];

const FONT: &str = "sans-serif";

fn palette(i: usize) -> RGBColor {
    PALETTE.get(i % PALETTE.len()).copied().unwrap_or(GREY)
}

fn class_color(class: ContactClass) -> RGBColor {
    match class {
        ContactClass::New => GREEN,
        ContactClass::FollowUp => ORANGE,
        ContactClass::Reactivated => SKY,
        ContactClass::Customer => GREY,
    }
}

/// Draws a chart: a title and a subtitle on top, `body` below.
fn render(
    title: &str,
    subtitle: &str,
    (width, height): (u32, u32),
    body: impl FnOnce(&Area<'_>) -> Draw,
) -> Result<SvgChart> {
    let mut svg = String::new();
    let drawn: Draw = (|| {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE)?;
        let (head, rest) = root.split_vertically(if subtitle.is_empty() { 40 } else { 60 });
        head.draw_text(
            title,
            &(FONT, 20).into_font().style(FontStyle::Bold).color(&INK),
            (12, 10),
        )?;
        if !subtitle.is_empty() {
            head.draw_text(subtitle, &(FONT, 13).into_font().color(&MUTED), (12, 38))?;
        }
        body(&rest)?;
        root.present()?;
        Ok(())
    })();
    drawn.map_err(|e| Error::invalid("chart", format!("{title}: {e}")))?;
    Ok(SvgChart {
        title: title.to_owned(),
        width,
        height,
        svg,
    })
}

fn no_data(area: &Area<'_>) -> Draw {
    area.draw_text(
        "no data in this result",
        &(FONT, 16).into_font().color(&MUTED),
        (20, 20),
    )?;
    Ok(())
}

/// A legend drawn as a column of swatches and names (beside the plot, so
/// it never hides data). A name may have more lines after `\n`, shown
/// smaller below it.
fn legend(area: &Area<'_>, items: &[(String, RGBColor)]) -> Draw {
    let style = (FONT, 13)
        .into_font()
        .color(&INK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    let more = (FONT, 11)
        .into_font()
        .color(&MUTED)
        .pos(Pos::new(HPos::Left, VPos::Center));
    let mut y = 16;
    for (name, color) in items {
        let mut lines = name.lines();
        area.draw(&Rectangle::new([(8, y - 6), (22, y + 6)], color.filled()))?;
        area.draw_text(lines.next().unwrap_or(""), &style, (28, y))?;
        for line in lines {
            y += 16;
            area.draw_text(line, &more, (28, y))?;
        }
        y += 24;
    }
    Ok(())
}

/// The label of category `x` (an integer position) or nothing between
/// categories.
fn category_label(labels: &[String], x: f64) -> String {
    let i = x.round();
    if (x - i).abs() > 1e-6 || i < 0.0 {
        return String::new();
    }
    labels.get(i as usize).cloned().unwrap_or_default()
}

fn percent_label(v: f64) -> String {
    if !(-1e-9..=1.0 + 1e-9).contains(&v) {
        String::new()
    } else {
        format!("{:.0} %", v * 100.0)
    }
}

fn percent(v: f64) -> String {
    format!("{:.1} %", v * 100.0)
}

/// The counts of each rep summed over the report's periods, in rep order.
fn per_rep(report: &PeriodReport) -> Vec<(String, PeriodCounts)> {
    let mut out: Vec<(String, PeriodCounts)> = Vec::new();
    for r in &report.rows {
        match out.last_mut() {
            Some((rep, counts)) if *rep == r.rep_id => counts.merge(&r.counts),
            _ => out.push((r.rep_id.clone(), r.counts.clone())),
        }
    }
    out
}

/// Grid of `n` panels: (rows, columns).
fn grid(n: usize, max_columns: usize) -> (usize, usize) {
    let columns = n.clamp(1, max_columns.max(1));
    (n.div_ceil(columns).max(1), columns)
}

/// Per rep, the funnel from contacts to sales: contacts logged, distinct
/// prospects engaged (reached by a `new`, `follow_up` or `reactivated`
/// contact), distinct prospects met (a held meeting) and sales, each bar
/// with its share of the stage before.
///
/// Counts are summed over the report's periods, so a prospect engaged in
/// two periods counts twice: for distinct prospects over a whole span, use
/// a report with one period covering it
/// ([`PeriodSpec::custom`](crate::report::PeriodSpec::custom)).
///
/// # Errors
/// [`Error::InvalidArgument`] if drawing fails (it does not for SVG).
///
/// # Example
/// ```
/// use chrono::NaiveDate;
/// use sales_metrics::report::funnel_chart;
/// use sales_metrics::report::{PeriodSpec, Scope};
/// use sales_metrics::{classify, load_folder, ClassifyConfig, Mode};
///
/// let ledger = load_folder(concat!(env!("CARGO_MANIFEST_DIR"), "/data/demo"), Mode::Strict)?;
/// let classified = classify(&ledger, &ClassifyConfig::default());
/// let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).ok_or("bad date");
/// let h1 = PeriodSpec::custom([("2026-H1", day(1, 1)?..day(7, 1)?)])?;
/// let report = classified.period_report(&Scope::all(), &h1)?;
/// let chart = funnel_chart(&report)?;
/// assert!(chart.as_str().contains("prospects engaged"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn funnel_chart(report: &PeriodReport) -> Result<SvgChart> {
    let reps = per_rep(report);
    let (rows, columns) = grid(reps.len(), 4);
    let size = (columns as u32 * 290, rows as u32 * 200 + 70);
    let subtitle = format!(
        "{}; each bar's share of the stage before in brackets",
        report.caption()
    );
    render("Funnel per rep", &subtitle, size, |area| {
        if reps.is_empty() {
            return no_data(area);
        }
        let shades = [
            RGBColor(0xCF, 0xE3, 0xF3),
            RGBColor(0xA6, 0xCB, 0xE8),
            RGBColor(0x7F, 0xB3, 0xDC),
            RGBColor(0x5C, 0x9B, 0xD0),
        ];
        let text = (FONT, 12)
            .into_font()
            .color(&INK)
            .pos(Pos::new(HPos::Center, VPos::Center));
        for ((rep, c), panel) in reps.iter().zip(area.split_evenly((rows, columns))) {
            let mut chart = ChartBuilder::on(&panel)
                .margin(6)
                .caption(rep, (FONT, 15).into_font().style(FontStyle::Bold))
                .build_cartesian_2d(-1.0f64..1.0f64, -0.5f64..3.5f64)?;
            let stages = [
                ("contacts", c.contacts),
                ("prospects engaged", c.prospects_engaged),
                ("prospects met", c.prospects_met),
                ("sales", c.sales),
            ];
            let widest = stages.iter().map(|s| s.1).max().unwrap_or(0).max(1) as f64;
            let mut before: Option<u64> = None;
            for (i, ((name, v), shade)) in stages.iter().zip(shades).enumerate() {
                let y = 3.0 - i as f64;
                let half = (*v as f64 / widest).min(1.0) * 0.98;
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(-half.max(0.004), y - 0.36), (half.max(0.004), y + 0.36)],
                    shade.filled(),
                )))?;
                let label = match before {
                    None => format!("{v} {name}"),
                    Some(b) => match Ratio::proportion(*v, b).value() {
                        Some(share) => format!("{v} {name} ({})", percent(share)),
                        None => format!("{v} {name}"),
                    },
                };
                chart.draw_series(std::iter::once(Text::new(label, (0.0, y), text.clone())))?;
                before = Some(*v);
            }
        }
        Ok(())
    })
}

/// The two rate series of [`close_rates_chart`] (name, colour, offset,
/// rates per rep) and the top of its axis.
#[allow(clippy::type_complexity)]
fn close_rate_series(
    reps: &[(String, PeriodCounts)],
) -> ([(String, RGBColor, f64, Vec<Ratio>); 2], f64) {
    let series: [(String, RGBColor, f64, Vec<Ratio>); 2] = [
        (
            "contact close rate (sales ÷ contacts)".to_owned(),
            VERMILION,
            -0.2,
            reps.iter().map(|(_, c)| c.contact_close_rate()).collect(),
        ),
        (
            "meeting close rate (sales ÷ meetings held)".to_owned(),
            BLUE,
            0.2,
            reps.iter().map(|(_, c)| c.meeting_close_rate()).collect(),
        ),
    ];
    let top = series
        .iter()
        .flat_map(|s| s.3.iter())
        .filter_map(|r| {
            let v = r.value()?;
            Some(r.wilson_interval().map_or(v, |(_, hi)| hi.max(v)))
        })
        .fold(0.1f64, f64::max)
        * 1.12;
    (series, top)
}

/// Per rep, the contact close rate (sales ÷ contacts, the misleading
/// number) next to the meeting close rate (sales ÷ meetings held), with
/// 95 % Wilson intervals as whiskers. Rates are pooled over the report's
/// periods (sales and denominators summed).
///
/// # Errors
/// [`Error::InvalidArgument`] if drawing fails (it does not for SVG).
///
/// # Example
/// ```
/// use sales_metrics::report::close_rates_chart;
/// use sales_metrics::report::{PeriodSpec, Scope};
/// use sales_metrics::{classify, load_folder, ClassifyConfig, Mode};
///
/// let ledger = load_folder(concat!(env!("CARGO_MANIFEST_DIR"), "/data/demo"), Mode::Strict)?;
/// let classified = classify(&ledger, &ClassifyConfig::default());
/// let june = classified.period_report(&Scope::rep("ana"), &PeriodSpec::monthly())?;
/// let chart = close_rates_chart(&june)?;
/// assert!(chart.as_str().contains("meeting close rate"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn close_rates_chart(report: &PeriodReport) -> Result<SvgChart> {
    let reps = per_rep(report);
    let labels: Vec<String> = reps.iter().map(|(r, _)| r.clone()).collect();
    let (series, top) = close_rate_series(&reps);
    let width = (labels.len() as u32 * 90).clamp(520, 1400) + 290;
    let subtitle = format!(
        "{}; whiskers: 95 % Wilson intervals; pooled over the periods",
        report.caption()
    );
    render(
        "Contact close rate vs meeting close rate",
        &subtitle,
        (width, 480),
        |area| {
            if reps.is_empty() {
                return no_data(area);
            }
            let (plot, side) = area.split_horizontally(width.saturating_sub(290));
            let n = labels.len();
            let mut chart = ChartBuilder::on(&plot)
                .margin(10)
                .x_label_area_size(36)
                .y_label_area_size(64)
                .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0.0f64..top)?;
            let label_of = |x: &f64| category_label(&labels, *x);
            let y_label = |v: &f64| format!("{:.0} %", v * 100.0);
            chart
                .configure_mesh()
                .disable_x_mesh()
                .x_labels(n)
                .x_label_formatter(&label_of)
                .y_label_formatter(&y_label)
                .x_desc("rep")
                .y_desc("close rate")
                .label_style((FONT, 13))
                .axis_desc_style((FONT, 14))
                .max_light_lines(1)
                .light_line_style(LIGHT)
                .draw()?;
            let value_text = (FONT, 11)
                .into_font()
                .color(&INK)
                .pos(Pos::new(HPos::Center, VPos::Bottom));
            for (_, color, offset, rates) in &series {
                chart.draw_series(rates.iter().enumerate().map(|(i, r)| {
                    let x = i as f64 + offset;
                    Rectangle::new(
                        [(x - 0.17, 0.0), (x + 0.17, r.value().unwrap_or(0.0))],
                        color.filled(),
                    )
                }))?;
                for (i, r) in rates.iter().enumerate() {
                    let x = i as f64 + offset;
                    let Some(v) = r.value() else {
                        chart.draw_series(std::iter::once(Text::new(
                            "–".to_owned(),
                            (x, 0.0),
                            value_text.clone(),
                        )))?;
                        continue;
                    };
                    let mut label_at = v;
                    if let Some((lo, hi)) = r.wilson_interval() {
                        let whisker = ShapeStyle::from(&INK).stroke_width(1);
                        chart.draw_series([
                            PathElement::new(vec![(x, lo), (x, hi)], whisker),
                            PathElement::new(vec![(x - 0.06, lo), (x + 0.06, lo)], whisker),
                            PathElement::new(vec![(x - 0.06, hi), (x + 0.06, hi)], whisker),
                        ])?;
                        label_at = hi;
                    }
                    chart.draw_series(std::iter::once(Text::new(
                        percent(v),
                        (x, label_at + top * 0.01),
                        value_text.clone(),
                    )))?;
                }
            }
            let items: Vec<(String, RGBColor)> =
                series.iter().map(|s| (s.0.clone(), s.1)).collect();
            legend(&side.margin(20, 0, 0, 0), &items)
        },
    )
}

/// Title, subtitle, longest day and axis floor of [`survival_chart`].
fn survival_texts(curves: &[(&str, &SurvivalCurve)]) -> (String, String, f64, f64) {
    let what = curves
        .first()
        .map(|(_, c)| c.label.as_str())
        .filter(|l| !l.is_empty())
        .unwrap_or("time to event");
    let title = format!(
        "{}{} (Kaplan–Meier)",
        what.get(..1).unwrap_or("").to_uppercase(),
        what.get(1..).unwrap_or("")
    );
    let max_day = curves
        .iter()
        .filter_map(|(_, c)| c.max_day)
        .fold(1.0f64, f64::max);
    // Curves that stay high (few engagements are ever won) would hug the
    // top of a 0–100 % axis: start the axis at a round value below the
    // lowest band instead, and say so.
    let lowest = curves
        .iter()
        .flat_map(|(_, c)| c.points.iter())
        .map(|p| p.lower.unwrap_or(p.survival).min(p.survival))
        .fold(1.0f64, f64::min);
    let floor = (((lowest - 0.05) * 10.0).floor() / 10.0).clamp(0.0, 0.9);
    let subtitle = if floor > 0.0 {
        format!(
            "share of engagements that have not reached it yet, by days since the engagement started; shaded: 95 % band; axis from {:.0} %",
            floor * 100.0
        )
    } else {
        "share of engagements that have not reached it yet, by days since the engagement started; shaded: 95 % band".to_owned()
    };
    (title, subtitle, max_day, floor)
}

/// Kaplan–Meier curves with their 95 % bands (shaded), each named, and
/// the medians where reached (dashed line at one half). Pass curves of the
/// same milestone, for example [`Classified::time_to_win`](crate::Classified::time_to_win)
/// of a few scopes.
///
/// # Errors
/// [`Error::InvalidArgument`] if drawing fails (it does not for SVG).
///
/// # Example
/// ```
/// use sales_metrics::report::survival_chart;
/// use sales_metrics::report::Scope;
/// use sales_metrics::{classify, load_folder, ClassifyConfig, Mode};
///
/// let ledger = load_folder(concat!(env!("CARGO_MANIFEST_DIR"), "/data/demo"), Mode::Strict)?;
/// let classified = classify(&ledger, &ClassifyConfig::default());
/// let north = classified.time_to_win(&Scope::team("north"), None)?;
/// let south = classified.time_to_win(&Scope::team("south"), None)?;
/// let chart = survival_chart(&[("north", &north), ("south", &south)])?;
/// assert!(chart.as_str().contains("north"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn survival_chart(curves: &[(&str, &SurvivalCurve)]) -> Result<SvgChart> {
    let (title, subtitle, max_day, floor) = survival_texts(curves);
    render(&title, &subtitle, (1000, 520), |area| {
        if curves.is_empty() {
            return no_data(area);
        }
        let (plot, side) = area.split_horizontally(700);
        let mut chart = ChartBuilder::on(&plot)
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0f64..max_day, floor..1.02f64)?;
        let y_label = |v: &f64| percent_label(*v);
        let x_label = |v: &f64| format!("{v:.0}");
        chart
            .configure_mesh()
            .y_label_formatter(&y_label)
            .x_label_formatter(&x_label)
            .x_desc("days since the engagement started")
            .y_desc("not reached yet")
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 14))
            .max_light_lines(1)
            .light_line_style(LIGHT)
            .draw()?;
        if floor < 0.5 {
            chart.draw_series(DashedLineSeries::new(
                vec![(0.0, 0.5), (max_day, 0.5)],
                6,
                4,
                ShapeStyle::from(&GREY).stroke_width(1),
            ))?;
        }
        let mut items = Vec::new();
        for (i, (name, curve)) in curves.iter().enumerate() {
            let color = palette(i);
            let end = curve.max_day.unwrap_or(0.0);
            // Step function: S holds until the next event time.
            let mut line = vec![(0.0, 1.0)];
            let mut upper = vec![(0.0, 1.0)];
            let mut lower = vec![(0.0, 1.0)];
            let (mut s, mut lo, mut hi) = (1.0, 1.0, 1.0);
            for p in &curve.points {
                line.extend([(p.day, s), (p.day, p.survival)]);
                upper.extend([(p.day, hi), (p.day, p.upper.unwrap_or(p.survival))]);
                lower.extend([(p.day, lo), (p.day, p.lower.unwrap_or(p.survival))]);
                s = p.survival;
                hi = p.upper.unwrap_or(s);
                lo = p.lower.unwrap_or(s);
            }
            line.push((end, s));
            upper.push((end, hi));
            lower.push((end, lo));
            let mut band = upper;
            band.extend(lower.into_iter().rev());
            chart.draw_series(std::iter::once(Polygon::new(
                band,
                color.mix(0.18).filled(),
            )))?;
            chart.draw_series(std::iter::once(PathElement::new(
                line,
                ShapeStyle::from(&color).stroke_width(2),
            )))?;
            let median = match curve.median() {
                Some(m) => format!("median {m:.0} days"),
                None => "median not reached".to_owned(),
            };
            items.push((
                format!(
                    "{name}\n{} engagements, {} reached it\n{median}",
                    curve.subjects, curve.events
                ),
                color,
            ));
        }
        legend(&side.margin(20, 0, 10, 0), &items)
    })
}

/// Per rep of a daily report, in row order: contacts in a day → days.
fn contacts_per_day(daily: &PeriodReport) -> Vec<(String, BTreeMap<u64, u64>)> {
    // rep → (contacts in a day → days).
    let mut reps: Vec<(String, BTreeMap<u64, u64>)> = Vec::new();
    for r in &daily.rows {
        if reps.last().is_none_or(|(rep, _)| *rep != r.rep_id) {
            reps.push((r.rep_id.clone(), BTreeMap::new()));
        }
        if let Some((_, days)) = reps.last_mut() {
            *days.entry(r.counts.contacts).or_default() += 1;
        }
    }
    reps
}

/// Per rep, how many days had 0, 1, 2, … contacts logged, with the rep's
/// daily contact target marked (its bar in vermilion, a dashed line). A
/// pile-up exactly at the target with a gap just above it is quota
/// bunching (SPEC §9): work stopped when the count was met, or padded up
/// to it.
///
/// `daily` must be a period report by day ([`Granularity::Day`]); only
/// days with at least one event of the rep are rows, so days off do not
/// count as days with no contacts.
///
/// # Errors
/// [`Error::InvalidArgument`] when `daily` is not by day, or if drawing
/// fails.
///
/// # Example
/// ```
/// use sales_metrics::report::daily_contacts_chart;
/// use sales_metrics::report::{Granularity, PeriodSpec, Scope};
/// use sales_metrics::{classify, load_folder, ClassifyConfig, Mode};
///
/// let ledger = load_folder(concat!(env!("CARGO_MANIFEST_DIR"), "/data/demo"), Mode::Strict)?;
/// let classified = classify(&ledger, &ClassifyConfig::default());
/// let daily = classified.period_report(&Scope::all(), &PeriodSpec::new(Granularity::Day))?;
/// let chart = daily_contacts_chart(&ledger, &daily)?;
/// assert!(chart.as_str().contains("target 4"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn daily_contacts_chart(ledger: &Ledger, daily: &PeriodReport) -> Result<SvgChart> {
    if daily.periods.granularity() != Some(Granularity::Day) {
        return Err(Error::invalid(
            "daily contacts chart",
            format!(
                "needs a period report by day, not by {}",
                daily.periods.granularity
            ),
        ));
    }
    let reps = contacts_per_day(daily);
    let target_of = |rep: &str| {
        ledger
            .rep_index(rep)
            .and_then(|i| ledger.reps().get(i as usize))
            .and_then(|r| r.daily_contact_target)
            .and_then(|t| u64::try_from(t).ok())
    };
    let most = reps
        .iter()
        .flat_map(|(rep, days)| days.keys().copied().chain(target_of(rep)))
        .max()
        .unwrap_or(1);
    let (rows, columns) = grid(reps.len(), 4);
    let size = (columns as u32 * 300, rows as u32 * 230 + 70);
    let subtitle = format!(
        "days by contacts logged in the day ({}; days with at least one event); the daily target in vermilion",
        daily.scope
    );
    render("Daily contacts per rep", &subtitle, size, |area| {
        if reps.is_empty() {
            return no_data(area);
        }
        let mark = (FONT, 12)
            .into_font()
            .color(&VERMILION)
            .pos(Pos::new(HPos::Left, VPos::Top));
        for ((rep, days), panel) in reps.iter().zip(area.split_evenly((rows, columns))) {
            let target = target_of(rep);
            let total: u64 = days.values().sum();
            let tallest = days.values().copied().max().unwrap_or(1).max(1) as f64 * 1.15;
            let caption = match target {
                Some(t) => format!("{rep} · target {t} · {total} days"),
                None => format!("{rep} · no target · {total} days"),
            };
            let mut chart = ChartBuilder::on(&panel)
                .margin(8)
                .caption(caption, (FONT, 14).into_font().style(FontStyle::Bold))
                .x_label_area_size(34)
                .y_label_area_size(40)
                .build_cartesian_2d(-0.6f64..(most as f64 + 0.6), 0.0f64..tallest)?;
            let whole = |v: &f64| {
                if (v - v.round()).abs() < 1e-6 && *v >= 0.0 {
                    format!("{v:.0}")
                } else {
                    String::new()
                }
            };
            chart
                .configure_mesh()
                .disable_x_mesh()
                .x_labels((most as usize + 1).min(16))
                .y_labels(5)
                .x_label_formatter(&whole)
                .y_label_formatter(&whole)
                .x_desc("contacts in the day")
                .y_desc("days")
                .label_style((FONT, 11))
                .axis_desc_style((FONT, 12))
                .max_light_lines(1)
                .light_line_style(LIGHT)
                .draw()?;
            chart.draw_series(days.iter().map(|(&k, &n)| {
                let color = if Some(k) == target { VERMILION } else { BLUE };
                Rectangle::new(
                    [(k as f64 - 0.4, 0.0), (k as f64 + 0.4, n as f64)],
                    color.filled(),
                )
            }))?;
            if let Some(t) = target {
                let x = t as f64;
                chart.draw_series(DashedLineSeries::new(
                    vec![(x, 0.0), (x, tallest)],
                    5,
                    3,
                    ShapeStyle::from(&VERMILION).stroke_width(2),
                ))?;
                chart.draw_series(std::iter::once(Text::new(
                    format!("target {t}"),
                    (x + 0.15, tallest * 0.98),
                    mark.clone(),
                )))?;
            }
        }
        Ok(())
    })
}

/// One stacked-shares chart: per period (x), the share of each key.
fn stacked_shares(
    title: &str,
    subtitle: &str,
    periods: &[String],
    keys: &[(String, RGBColor)],
    counts: &[Vec<u64>],
) -> Result<SvgChart> {
    let width = (periods.len() as u32 * 60).clamp(560, 1600) + 220;
    render(title, subtitle, (width, 500), |area| {
        if periods.is_empty() {
            return no_data(area);
        }
        let (plot, side) = area.split_horizontally(width.saturating_sub(220));
        let n = periods.len();
        let mut chart = ChartBuilder::on(&plot)
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0.0f64..1.07f64)?;
        let label_of = |x: &f64| category_label(periods, *x);
        let y_label = |v: &f64| percent_label(*v);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n.min(24))
            .x_label_formatter(&label_of)
            .y_label_formatter(&y_label)
            .y_desc("share of contacts")
            .label_style((FONT, 11))
            .axis_desc_style((FONT, 14))
            .max_light_lines(1)
            .light_line_style(LIGHT)
            .draw()?;
        let totals: Vec<u64> = counts.iter().map(|row| row.iter().sum()).collect();
        let mut base = vec![0.0f64; n];
        for (k, (_, color)) in keys.iter().enumerate() {
            let mut bars = Vec::with_capacity(n);
            for (i, (row, &total)) in counts.iter().zip(&totals).enumerate() {
                let v = row.get(k).copied().unwrap_or(0);
                let share = Ratio::proportion(v, total).value().unwrap_or(0.0);
                let b = base.get(i).copied().unwrap_or(0.0);
                if share > 0.0 {
                    bars.push(Rectangle::new(
                        [(i as f64 - 0.4, b), (i as f64 + 0.4, b + share)],
                        color.filled(),
                    ));
                }
                if let Some(slot) = base.get_mut(i) {
                    *slot = b + share;
                }
            }
            chart.draw_series(bars)?;
        }
        if n <= 24 {
            let small = (FONT, 10)
                .into_font()
                .color(&MUTED)
                .pos(Pos::new(HPos::Center, VPos::Bottom));
            chart.draw_series(
                totals
                    .iter()
                    .enumerate()
                    .map(|(i, t)| Text::new(format!("{t}"), (i as f64, 1.055), small.clone())),
            )?;
        }
        let mut items: Vec<(String, RGBColor)> = keys.to_vec();
        items.reverse(); // top of the stack first, as it is drawn
        items.push(("numbers on top: contacts".to_owned(), WHITE));
        legend(&side.margin(20, 0, 10, 0), &items)
    })
}

/// Per period, the share of contacts by class (`new`, `follow_up`,
/// `reactivated`, `customer`), all reps of the report together, with the
/// number of contacts on top of each bar. A follow-up share that grows
/// while new prospects shrink is where padding shows (SPEC §9
/// `follow_up_padding`); pass a one-rep report to see one rep.
///
/// # Errors
/// [`Error::InvalidArgument`] if drawing fails (it does not for SVG).
///
/// # Example
/// ```
/// use sales_metrics::report::activity_by_class_chart;
/// use sales_metrics::report::{PeriodSpec, Scope};
/// use sales_metrics::{classify, load_folder, ClassifyConfig, Mode};
///
/// let ledger = load_folder(concat!(env!("CARGO_MANIFEST_DIR"), "/data/demo"), Mode::Strict)?;
/// let classified = classify(&ledger, &ClassifyConfig::default());
/// let dan = classified.period_report(&Scope::rep("dan"), &PeriodSpec::monthly())?;
/// let chart = activity_by_class_chart(&dan)?;
/// assert!(chart.as_str().contains("follow_up"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn activity_by_class_chart(report: &PeriodReport) -> Result<SvgChart> {
    let totals = report.totals_by_period();
    let periods: Vec<String> = totals.iter().map(|r| r.period.clone()).collect();
    let keys: Vec<(String, RGBColor)> = ContactClass::ALL
        .iter()
        .map(|c| (c.as_str().to_owned(), class_color(*c)))
        .collect();
    let counts: Vec<Vec<u64>> = totals
        .iter()
        .map(|r| {
            ContactClass::ALL
                .iter()
                .map(|c| r.counts.contacts_of(*c))
                .collect()
        })
        .collect();
    stacked_shares(
        "Activity mix by contact class",
        &report.caption(),
        &periods,
        &keys,
        &counts,
    )
}

/// Per period, the share of contacts by the breakdown's key — channel or
/// prospect source — all reps of the breakdown together.
///
/// # Errors
/// [`Error::InvalidArgument`] if drawing fails (it does not for SVG).
///
/// # Example
/// ```
/// use sales_metrics::report::activity_breakdown_chart;
/// use sales_metrics::report::{PeriodSpec, Scope, BreakdownBy};
/// use sales_metrics::{classify, load_folder, ClassifyConfig, Mode};
///
/// let ledger = load_folder(concat!(env!("CARGO_MANIFEST_DIR"), "/data/demo"), Mode::Strict)?;
/// let classified = classify(&ledger, &ClassifyConfig::default());
/// let by_channel = classified.breakdown(&Scope::all(), &PeriodSpec::monthly(), BreakdownBy::Channel)?;
/// let chart = activity_breakdown_chart(&by_channel)?;
/// assert!(chart.as_str().contains("in_person"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn activity_breakdown_chart(breakdown: &Breakdown) -> Result<SvgChart> {
    let totals = breakdown.totals_by_period();
    // Keys in order of first appearance in the sorted rows, which is the
    // declaration order of channels or sources.
    let mut key_names: Vec<String> = Vec::new();
    let mut periods: Vec<String> = Vec::new();
    for r in &totals.rows {
        if !key_names.contains(&r.key) {
            key_names.push(r.key.clone());
        }
        if periods.last() != Some(&r.period) {
            periods.push(r.period.clone());
        }
    }
    key_names.sort_by_key(|k| key_rank(breakdown, k));
    let mut counts = vec![vec![0u64; key_names.len()]; periods.len()];
    let mut i = 0usize;
    let mut current: Option<&str> = None;
    for r in &totals.rows {
        if current.is_some_and(|p| p != r.period) {
            i += 1;
        }
        current = Some(&r.period);
        if let Some(k) = key_names.iter().position(|k| *k == r.key)
            && let Some(slot) = counts.get_mut(i).and_then(|row| row.get_mut(k))
        {
            *slot += r.counts.contacts;
        }
    }
    let keys: Vec<(String, RGBColor)> = key_names
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let name = if k.is_empty() { "(none)" } else { k.as_str() };
            (name.to_owned(), palette(i))
        })
        .collect();
    stacked_shares(
        &format!("Activity mix by {}", breakdown.by.column()),
        &breakdown.caption(),
        &periods,
        &keys,
        &counts,
    )
}

fn key_rank(breakdown: &Breakdown, key: &str) -> usize {
    use crate::model::{Channel, Source};
    use crate::report::breakdown::BreakdownBy;
    let pos = match breakdown.by {
        BreakdownBy::Channel => Channel::ALL.iter().position(|c| c.as_str() == key),
        BreakdownBy::Source => Source::ALL.iter().position(|s| s.as_str() == key),
    };
    pos.unwrap_or(usize::MAX)
}
