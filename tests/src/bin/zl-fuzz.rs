//! The fuzzer's long run (docs/security.md, "The fuzzer"):
//!
//! ```text
//! cargo run --release -p zero-loss-tests --bin zl-fuzz -- \
//!     [--sequences N] [--steps M] [--seed S] [--threads T]
//! ```
//!
//! Runs N sequences of M steps (default 10,000 of 50) from seed S (default
//! 0) on T threads (default 2), each thread in its own bank, and prints what
//! they did on stderr (stdout carries the program's own logs: send it to
//! /dev/null). A broken invariant panics with its seed and step; `--seed S
//! --sequences 1 --threads 1` replays that sequence alone.

use std::process::ExitCode;
use std::time::Instant;

use zero_loss_tests::fuzz::{self, Stats};

struct Args {
    sequences: u64,
    steps: usize,
    seed: u64,
    threads: u64,
}

fn parse() -> Result<Args, String> {
    let mut a = Args {
        sequences: 10_000,
        steps: 50,
        seed: 0,
        threads: 2,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let n: u64 = value
            .parse()
            .map_err(|_| format!("{flag}: not a number: {value}"))?;
        match flag.as_str() {
            "--sequences" => a.sequences = n,
            "--steps" => a.steps = n as usize,
            "--seed" => a.seed = n,
            "--threads" => a.threads = n.max(1),
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(a)
}

fn main() -> ExitCode {
    let a = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("zl-fuzz: {e}");
            eprintln!("usage: zl-fuzz [--sequences N] [--steps M] [--seed S] [--threads T]");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    let per = a.sequences.div_ceil(a.threads);
    let handles: Vec<_> = (0..a.threads)
        .map(|t| {
            let first = a.seed + t * per;
            let n = per.min(a.sequences.saturating_sub(t * per));
            let steps = a.steps;
            std::thread::spawn(move || {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime")
                    .block_on(fuzz::run(first, n, steps))
            })
        })
        .collect();
    let mut total = Stats::default();
    for h in handles {
        match h.join() {
            Ok(s) => total.merge(&s),
            Err(_) => {
                eprintln!("zl-fuzz: an invariant broke (its seed and step are above)");
                return ExitCode::FAILURE;
            }
        }
    }
    eprintln!(
        "{} sequences, {} steps, {:.0} s; partial liquidations {}, kicks {}, steps with bad debt {}, auction finishability checks {}, superseded replays refused {}",
        total.sequences,
        total.steps,
        started.elapsed().as_secs_f64(),
        total.partials,
        total.kicks,
        total.bad_debt_steps,
        total.auctions_checked,
        total.replays_refused
    );
    eprintln!("operation | went through | refused");
    for (op, (ok, refused)) in &total.ops {
        eprintln!("{op} | {ok} | {refused}");
    }
    ExitCode::SUCCESS
}
