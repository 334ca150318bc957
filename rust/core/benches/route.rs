//! Cost of one pick + report per strategy (4 deployments, unequal weights).

use criterion::{criterion_group, criterion_main, Criterion};
use mcproute_core::route::{Balancer, Config, Outcome, Strategy};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("route");
    for strategy in [
        Strategy::RoundRobin,
        Strategy::Random,
        Strategy::LeastRequest,
        Strategy::PeakEwma,
    ] {
        let mut b = Balancer::new(
            Config {
                strategy,
                ..Config::default()
            },
            7,
        );
        for (i, w) in [5.0, 3.0, 1.0, 1.0].iter().enumerate() {
            b.upsert(&format!("deployment-{i}"), *w, None, 0);
        }
        let mut now = 0u64;
        g.bench_function(format!("pick_report/{strategy}"), |bench| {
            bench.iter(|| {
                now += 1000;
                let i = b.pick(black_box(now), &[]).unwrap();
                b.report(i, Outcome::Success { latency_s: 0.01 }, Some(now), now);
                i
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
