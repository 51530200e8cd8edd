//! Results: what each cell measured, its targets, and the table.

use super::*;

#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Unit {
    PerSecond(&'static str),
    Millis,
    MiB,
}

#[derive(Clone, Copy)]
pub(crate) enum Target {
    None,
    /// Ratio to the baseline at least this.
    Ratio(f64),
    /// Client CPU per operation, runtime over baseline, at most this (the
    /// database writes' headline: their wall time is mostly the disk's).
    CpuAtMost(f64),
    /// At most this, in the figure's unit.
    Below(f64),
    /// At least this part of the rate of the row named (W5 on PostgreSQL:
    /// section 10 against section 1,000).
    PartOf(f64, &'static str),
}

pub(crate) struct Measured {
    pub(crate) workload: String,
    pub(crate) order: usize,
    pub(crate) backend: &'static str,
    pub(crate) mode: &'static str,
    pub(crate) figure: f64,
    pub(crate) unit: Unit,
    pub(crate) baseline: Option<f64>,
    /// CPU per operation, µs: the runtime's and the baseline's.
    pub(crate) cpu: Option<f64>,
    pub(crate) cpu_baseline: Option<f64>,
    pub(crate) target: Target,
    /// AES + zlib over plain, speed: the runtime's, and the baseline's.
    pub(crate) vs_plain: Option<(f64, Option<f64>)>,
    /// For `Target::PartOf`: the other row's figure, once known.
    pub(crate) other: Option<f64>,
}

impl Measured {
    pub(crate) fn ratio(&self) -> Option<f64> {
        let b = self.baseline?;
        Some(match self.unit {
            Unit::PerSecond(_) => self.figure / b,
            Unit::Millis | Unit::MiB => b / self.figure,
        })
    }

    /// Client CPU per operation, runtime over baseline: below 1 is less.
    pub(crate) fn cpu_ratio(&self) -> Option<f64> {
        Some(self.cpu? / self.cpu_baseline?)
    }

    pub(crate) fn met(&self) -> Option<bool> {
        match self.target {
            Target::None => None,
            Target::Ratio(min) => Some(self.ratio()? >= min),
            Target::CpuAtMost(max) => Some(self.cpu_ratio()? <= max),
            Target::Below(max) => Some(self.figure < max),
            Target::PartOf(part, _) => Some(self.figure >= part * self.other?),
        }
    }
}

pub(crate) fn format_figure(value: f64, unit: Unit) -> String {
    match unit {
        Unit::PerSecond(what) => {
            let v = if value >= 100.0 {
                format!("{value:.0}")
            } else {
                format!("{value:.1}")
            };
            format!("{} {what}/s", group(&v))
        }
        Unit::Millis => format!("{value:.2} ms"),
        Unit::MiB => format!("{value:.1} MiB"),
    }
}

/// `1234567` → `1,234,567`.
pub(crate) fn group(number: &str) -> String {
    let (int, frac) = number.split_once('.').unwrap_or((number, ""));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    out
}

pub(crate) fn table(results: &mut [Measured]) -> String {
    let backend_order = |b: &str| {
        ["memory", "sqlite", "postgres", "-"]
            .iter()
            .position(|x| *x == b)
    };
    results.sort_by_key(|r| (r.order, backend_order(r.backend), r.mode != "plain"));
    let mut out = String::new();
    out.push_str(
        "| workload | backend | mode | figure | baseline | ratio | CPU µs/op | baseline CPU | CPU ratio | vs plain | target | met |\n\
         |---|---|---|--:|--:|--:|--:|--:|--:|--:|---|---|\n",
    );
    let us = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.3}"));
    for r in results.iter() {
        let target = match r.target {
            Target::None => "-".to_owned(),
            Target::Ratio(min) => format!("ratio ≥ {min}"),
            Target::CpuAtMost(max) => format!("CPU ratio ≤ {max}"),
            Target::Below(max) => format!("< {}", format_figure(max, r.unit)),
            Target::PartOf(part, other) => format!("≥ {part} × {other}"),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.workload,
            r.backend,
            r.mode,
            format_figure(r.figure, r.unit),
            r.baseline.map_or("-".into(), |b| format_figure(b, r.unit)),
            r.ratio().map_or("-".into(), |x| format!("{x:.2}")),
            us(r.cpu),
            us(r.cpu_baseline),
            r.cpu_ratio().map_or("-".into(), |x| format!("{x:.2}")),
            match r.vs_plain {
                None => "-".into(),
                Some((v, None)) => format!("{v:.2}"),
                Some((v, Some(b))) => format!("{v:.2} ({b:.2})"),
            },
            target,
            match r.met() {
                None => "-",
                Some(true) => "yes",
                Some(false) => "**no**",
            }
        );
    }
    out
}
