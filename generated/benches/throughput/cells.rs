//! The workloads, W1 to W5, of one (backend, mode) cell.

use super::*;

pub(crate) struct Cell<'a> {
    pub(crate) sizes: &'a Sizes,
    pub(crate) place: &'a Place,
    pub(crate) app: Universe,
    pub(crate) raw: Raw,
    pub(crate) codec: Codec,
    pub(crate) results: Vec<Measured>,
}

impl Cell<'_> {
    pub(crate) fn db(&self) -> usize {
        usize::from(self.place.backend != Backend::Memory)
    }

    pub(crate) fn push(
        &mut self,
        workload: &str,
        order: usize,
        figure: Pace,
        unit: Unit,
        baseline: Option<Pace>,
        target: Target,
    ) {
        let cpu = if figure.cpu_us.is_finite() {
            format!("{:.3} µs CPU", figure.cpu_us)
        } else {
            "no CPU time".to_owned()
        };
        eprintln!(
            "  {workload:<28} {:>20} ({cpu})  baseline {:>20}",
            format_figure(figure.figure, unit),
            baseline.map_or("-".into(), |b| format_figure(b.figure, unit))
        );
        self.results.push(Measured {
            workload: workload.to_owned(),
            order,
            backend: self.place.backend.name(),
            mode: self.place.mode.name(),
            figure: figure.figure,
            unit,
            baseline: baseline.map(|b| b.figure),
            cpu: figure.cpu_us.is_finite().then_some(figure.cpu_us),
            cpu_baseline: baseline.map(|b| b.cpu_us),
            target,
            vs_plain: None,
            other: None,
        });
    }

    /// Issue 13's targets for writes: in memory the rate, at least 0.9 of
    /// the baseline's; on a database the client's CPU per event, at most
    /// 1.15 of the baseline's; with AES + zlib, the rate at least 0.9.
    pub(crate) fn write_target(&self) -> Target {
        if self.place.mode == Mode::AesZlib || self.place.backend == Backend::Memory {
            Target::Ratio(0.9)
        } else {
            Target::CpuAtMost(1.15)
        }
    }

    /// Issue 13's targets for reads: with AES + zlib at least 0.9 of the
    /// baseline; plain, `plain` (W4 in memory: 1.0).
    pub(crate) fn read_target(&self, plain: f64) -> Target {
        Target::Ratio(if self.place.mode == Mode::AesZlib {
            0.9
        } else {
            plain
        })
    }

    /// W1: create a world and save it, N times.
    pub(crate) fn w1(&mut self) {
        let n = self.sizes.w1[self.db()];
        let app = &self.app;
        let raw = &mut self.raw;
        let codec = &self.codec;
        let (figure, baseline) = writes(
            self.sizes.rounds,
            n,
            1,
            self.place.backend != Backend::Memory,
            || {
                black_box(app.create_world("Earth").unwrap());
            },
            || {
                black_box(raw.insert(vec![started_row(codec)]));
            },
        );
        let target = self.write_target();
        self.push(
            &format!("W1 create (N={n})"),
            1,
            figure,
            Unit::PerSecond("events"),
            Some(baseline),
            target,
        );
    }

    /// W2: one world; M times get it, call `make_it_so`, save.
    pub(crate) fn w2(&mut self, m: usize, order: usize) {
        let app = &self.app;
        let codec = &self.codec;
        let id = app.create_world("Earth").unwrap();
        let first = started_row(codec);
        let own_id = first.id;
        // In memory the baseline keeps the world's rows at hand.
        let mut rows = vec![first];
        if !matches!(self.raw, Raw::Memory { .. }) {
            self.raw.insert(std::mem::take(&mut rows));
        }
        // Command by command, runtime then baseline, so both see the same machine.
        let (mut runtime, mut baseline) = (Spent::default(), Spent::default());
        for _ in 0..m {
            runtime += time(|| app.make_it_so(id, "dinosaurs").unwrap()).1;
            baseline += time(|| {
                let events: Vec<WorldEvent> = match &mut self.raw {
                    Raw::Memory { .. } => rows
                        .iter()
                        .map(|r| codec.decode(r.id, r.version, r.topic, &r.state))
                        .collect(),
                    raw => raw.select_events(codec, own_id, false),
                };
                let row = happened_row(codec, own_id, events.len() as u64 + 1);
                match &mut self.raw {
                    Raw::Memory { .. } => rows.push(row),
                    raw => {
                        raw.insert(vec![row]);
                    }
                }
            })
            .1;
        }
        if let Raw::Memory { log } = &mut self.raw {
            log.extend(rows);
        }
        self.push(
            &format!("W2 append (M={m})"),
            order,
            runtime.pace(m),
            Unit::PerSecond("commands"),
            Some(baseline.pace(m)),
            Target::None,
        );
    }

    /// W3: create a world, call `make_it_so` 9 times, save once; repeated.
    pub(crate) fn w3(&mut self) {
        let k = self.sizes.w3[self.db()];
        let app = &self.app;
        let raw = &mut self.raw;
        let codec = &self.codec;
        let (figure, baseline) = writes(
            self.sizes.rounds,
            k,
            10,
            self.place.backend != Backend::Memory,
            || {
                let mut world = World::create("Earth");
                for _ in 0..9 {
                    world.make_it_so("dinosaurs");
                }
                black_box(app.save(&mut world).unwrap());
            },
            || {
                let first = started_row(codec);
                let id = first.id;
                let mut rows = Vec::with_capacity(10);
                rows.push(first);
                for version in 2..=10 {
                    rows.push(happened_row(codec, id, version));
                }
                black_box(raw.insert(rows));
            },
        );
        let target = self.write_target();
        self.push(
            &format!("W3 batch (10 × {k})"),
            4,
            figure,
            Unit::PerSecond("events"),
            Some(baseline),
            target,
        );
    }

    /// W4: `repository.get` of a world with 10,000 events.
    pub(crate) fn w4(&mut self) {
        let n = self.sizes.w4_events;
        let mut world = World::create("Earth");
        for _ in 1..n {
            world.make_it_so("dinosaurs");
            if world.pending_events().len() == 1_000 {
                self.app.save(&mut world).unwrap();
            }
        }
        self.app.save(&mut world).unwrap();
        let id = world.id();
        // In memory the baseline has rows of its own; elsewhere it reads the runtime's.
        let mut own_rows = Vec::new();
        if let Raw::Memory { .. } = self.raw {
            own_rows.push(started_row(&self.codec));
            let own_id = own_rows[0].id;
            for version in 2..=n as u64 {
                own_rows.push(happened_row(&self.codec, own_id, version));
            }
        }
        let app = &self.app;
        let raw = &mut self.raw;
        let codec = &self.codec;
        let (figure, baseline) = alternate(
            self.sizes.w4_reps,
            || {
                let (world, t) = time(|| app.repository().get::<World>(id).unwrap());
                assert_eq!(world.version(), n as u64);
                t.millis(n)
            },
            || {
                let (events, t) = time(|| {
                    if own_rows.is_empty() {
                        raw.select_events(codec, id.uuid(), true)
                    } else {
                        own_rows
                            .iter()
                            .map(|r| codec.decode(r.id, r.version, r.topic, &r.state))
                            .collect()
                    }
                });
                assert_eq!(events.len(), n);
                t.millis(n)
            },
        );
        if let Raw::Memory { log } = &mut self.raw {
            log.extend(own_rows);
        }
        let plain = self.place.mode == Mode::Plain;
        self.push(
            &format!("W4 replay ({n} events)"),
            5,
            figure,
            Unit::Millis,
            Some(baseline),
            if plain && self.place.backend == Backend::Memory {
                self.read_target(1.0)
            } else {
                self.read_target(0.7)
            },
        );
    }

    /// The runtime reading the whole log with the reader, decoding each.
    pub(crate) fn read_log(app: &Universe, section: usize) -> u64 {
        let log = NotificationLog::new(app.as_application().recorder().clone(), section);
        let reader = NotificationLogReader::new(&log).with_section_size(section);
        let mapper = app.as_application().event_store().mapper();
        let mut count = 0;
        for notification in reader.read(1) {
            let n = notification.unwrap();
            let event: WorldEvent = mapper
                .decode_event(n.originator_id, n.originator_version, &n.topic, &n.state)
                .unwrap();
            black_box(event);
            count += 1;
        }
        count
    }

    /// W5: read the whole notification log.
    pub(crate) fn w5(&mut self) -> u64 {
        let mut total = 0;
        for (section, order) in [(10, 6), (1_000, 7)] {
            let app = &self.app;
            let raw = &mut self.raw;
            let codec = &self.codec;
            let (mut runtime_count, mut baseline_count) = (0, 0);
            let (figure, baseline) = alternate(
                self.sizes.w5_rounds,
                || {
                    let (count, t) = time(|| Self::read_log(app, section));
                    runtime_count = count;
                    t.pace(count as usize)
                },
                || {
                    let (count, t) = time(|| raw.read_log(codec, section));
                    baseline_count = count;
                    t.pace(count as usize)
                },
            );
            total = runtime_count;
            // On PostgreSQL, small sections cost a round trip each: at
            // least half the rate of large ones is issue 13's target.
            let target = if self.place.backend == Backend::Postgres
                && self.place.mode == Mode::Plain
                && section == 10
            {
                Target::PartOf(0.5, "section 1000")
            } else {
                self.read_target(0.7)
            };
            self.push(
                &format!("W5 read (section {section}, {runtime_count} notifications)"),
                order,
                figure,
                Unit::PerSecond("notifications"),
                Some(baseline),
                target,
            );
            if self.sizes.quick {
                eprintln!("    (baseline read {baseline_count})");
            }
        }
        total
    }

    /// W5's memory: top the log up to `w5_memory` notifications and read
    /// them all in a fresh process, at section size 1,000.
    pub(crate) fn w5_memory(&mut self, have: u64) {
        let want = self.sizes.w5_memory;
        if self.place.backend != Backend::Memory {
            let (_, t) = time(|| populate(&self.app, want.saturating_sub(have)));
            eprintln!(
                "  (log topped up to {want} notifications in {:.1} s)",
                t.wall.as_secs_f64()
            );
        }
        let exe = std::env::current_exe().unwrap();
        let mut command = Command::new(exe);
        command
            .arg("--w5-memory")
            .arg(self.place.backend.name())
            .arg(want.to_string());
        for (k, v) in self.place.vars() {
            command.arg(format!("{k}={v}"));
        }
        let output = command.output().expect("the W5 memory child");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let line = stdout
            .lines()
            .find_map(|l| l.strip_prefix("W5MEM "))
            .unwrap_or_else(|| {
                panic!(
                    "the W5 memory child failed: {}",
                    String::from_utf8_lossy(&output.stderr)
                )
            });
        let numbers: Vec<f64> = line
            .split_whitespace()
            .map(|x| x.parse().unwrap())
            .collect();
        let (count, growth_kib, secs) = (numbers[0], numbers[1], numbers[2]);
        assert!(count as u64 >= want, "read {count} of {want}");
        eprintln!(
            "    ({count} notifications in {secs:.1} s: {:.0} /s)",
            count / secs
        );
        self.push(
            &format!("W5 peak memory ({want} notifications, section 1000)"),
            8,
            Pace {
                figure: growth_kib / 1024.0,
                cpu_us: f64::NAN,
            },
            Unit::MiB,
            None,
            Target::Below(64.0),
        );
    }
}

/// Saves worlds of up to 1,000 events until `count` more events are stored.
pub(crate) fn populate(app: &Universe, count: u64) {
    let mut left = count;
    while left > 0 {
        let k = left.min(1_000);
        let mut world = World::create("Earth");
        for _ in 1..k {
            world.make_it_so("dinosaurs");
        }
        app.save(&mut world).unwrap();
        left -= k;
    }
}

/// The child process of W5's memory figure: `--w5-memory BACKEND COUNT VAR=VALUE...`.
pub(crate) fn w5_memory_child(args: &[String]) {
    let backend = Backend::parse(&args[0]).expect("a backend");
    let count: u64 = args[1].parse().unwrap();
    let vars: Vec<(String, String)> = args[2..]
        .iter()
        .map(|a| {
            let (k, v) = a.split_once('=').unwrap();
            (k.to_owned(), v.to_owned())
        })
        .collect();
    let app = universe(&vars);
    if backend == Backend::Memory {
        populate(&app, count);
    }
    // Memory freed so far goes back to the system, so that reading cannot
    // reuse it unseen; from here on, the high-water mark counts from the
    // resident size now.
    release_free_memory();
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let before = status_kib(if reset { "VmRSS" } else { "VmHWM" }).unwrap_or(0);
    let (read, t) = time(|| Cell::read_log(&app, 1_000));
    let peak = status_kib("VmHWM").unwrap_or(0);
    println!(
        "W5MEM {read} {} {}",
        peak.saturating_sub(before),
        t.wall.as_secs_f64()
    );
}

// ---------------------------------------------------------------------------
