//! Measuring: wall and CPU time, alternating runtime and baseline.

use super::*;

/// Wall and CPU time spent.
#[derive(Clone, Copy, Default)]
pub(crate) struct Spent {
    pub(crate) wall: Duration,
    pub(crate) cpu: Duration,
}

impl std::ops::AddAssign for Spent {
    fn add_assign(&mut self, other: Self) {
        self.wall += other.wall;
        self.cpu += other.cpu;
    }
}

impl Spent {
    /// `count` operations in this time: the rate by the wall clock, and
    /// the CPU per operation.
    pub(crate) fn pace(self, count: usize) -> Pace {
        Pace {
            figure: rate(count, self.wall),
            cpu_us: self.cpu.as_secs_f64() * 1e6 / count.max(1) as f64,
        }
    }

    /// The same, as milliseconds of wall clock (for W4).
    pub(crate) fn millis(self, count: usize) -> Pace {
        Pace {
            figure: self.wall.as_secs_f64() * 1e3,
            cpu_us: self.cpu.as_secs_f64() * 1e6 / count.max(1) as f64,
        }
    }
}

pub(crate) fn time<T>(f: impl FnOnce() -> T) -> (T, Spent) {
    let (start, cpu) = (Instant::now(), thread_cpu());
    let value = f();
    let spent = Spent {
        wall: start.elapsed(),
        cpu: thread_cpu().saturating_sub(cpu),
    };
    (value, spent)
}

/// One measurement: the figure (in its unit) and the CPU per operation, µs.
#[derive(Clone, Copy)]
pub(crate) struct Pace {
    pub(crate) figure: f64,
    pub(crate) cpu_us: f64,
}

/// The medians of paces, each figure on its own.
pub(crate) fn median_pace(paces: Vec<Pace>) -> Pace {
    Pace {
        figure: median(paces.iter().map(|p| p.figure).collect()),
        cpu_us: median(paces.iter().map(|p| p.cpu_us).collect()),
    }
}

/// Runs `runtime` and `baseline` `rounds` times, alternating which goes
/// first. Returns the medians.
pub(crate) fn alternate(
    rounds: usize,
    mut runtime: impl FnMut() -> Pace,
    mut baseline: impl FnMut() -> Pace,
) -> (Pace, Pace) {
    let (mut r, mut b) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        if round % 2 == 0 {
            r.push(runtime());
            b.push(baseline());
        } else {
            b.push(baseline());
            r.push(runtime());
        }
    }
    (median_pace(r), median_pace(b))
}

/// `n` saves of `events` events each by the runtime and by the baseline,
/// `rounds` times; returns the median paces per event. On a database each
/// save is timed alone and the two take turns save by save, so that both
/// see the same disk (whose flush times drift by several times within a
/// run); in memory they take turns round by round.
pub(crate) fn writes(
    rounds: usize,
    n: usize,
    events: usize,
    save_by_save: bool,
    mut runtime: impl FnMut(),
    mut baseline: impl FnMut(),
) -> (Pace, Pace) {
    if !save_by_save {
        return alternate(
            rounds,
            || time(|| (0..n).for_each(|_| runtime())).1.pace(n * events),
            || time(|| (0..n).for_each(|_| baseline())).1.pace(n * events),
        );
    }
    let (mut r, mut b) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let (mut tr, mut tb) = (Spent::default(), Spent::default());
        for i in 0..n {
            if (i + round) % 2 == 0 {
                tr += time(&mut runtime).1;
                tb += time(&mut baseline).1;
            } else {
                tb += time(&mut baseline).1;
                tr += time(&mut runtime).1;
            }
        }
        r.push(tr.pace(n * events));
        b.push(tb.pace(n * events));
    }
    (median_pace(r), median_pace(b))
}

pub(crate) fn rate(count: usize, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64()
}
