use super::*;

const SEC: u64 = 1_000_000_000;

fn balancer(strategy: Strategy, weights: &[f64]) -> Balancer {
    let mut b = Balancer::new(
        Config {
            strategy,
            ..Config::default()
        },
        42,
    );
    for (i, w) in weights.iter().enumerate() {
        b.upsert(&format!("d{i}"), *w, None, 0);
    }
    b
}

/// `n` equal deployments under the default strategy with this health configuration.
fn with_health(health: HealthConfig, n: usize, seed: u64) -> Balancer {
    let mut b = Balancer::new(
        Config {
            health,
            ..Config::default()
        },
        seed,
    );
    for i in 0..n {
        b.upsert(&format!("d{i}"), 1.0, None, 0);
    }
    b
}

fn counts(b: &mut Balancer, n: usize, now: u64) -> Vec<usize> {
    let mut c = vec![0; b.len()];
    for _ in 0..n {
        let i = b.pick(now, &[]).unwrap();
        b.report(i, Outcome::Success { latency_s: 0.01 }, Some(now), now);
        c[i] += 1;
    }
    c
}

/// Pearson chi-square statistic of observed counts against weights.
fn chi_square(observed: &[usize], weights: &[f64]) -> f64 {
    let n: usize = observed.iter().sum();
    let total: f64 = weights.iter().sum();
    observed
        .iter()
        .zip(weights)
        .filter(|(_, w)| **w > 0.0)
        .map(|(o, w)| {
            let e = n as f64 * w / total;
            (*o as f64 - e).powi(2) / e
        })
        .sum()
}

// 99.9th percentile of chi-square with 3 degrees of freedom.
const CHI2_3DF_999: f64 = 16.27;

#[test]
fn every_strategy_follows_the_weights() {
    let weights = [5.0, 3.0, 1.0, 1.0];
    for strategy in [
        Strategy::RoundRobin,
        Strategy::Random,
        Strategy::LeastRequest,
    ] {
        let mut b = balancer(strategy, &weights);
        let c = counts(&mut b, 20_000, 0);
        let x2 = chi_square(&c, &weights);
        assert!(x2 < CHI2_3DF_999, "{strategy}: {c:?} chi2={x2}");
    }
}

#[test]
fn smooth_wrr_interleaves_exactly() {
    let mut b = balancer(Strategy::RoundRobin, &[5.0, 1.0, 1.0]);
    let seq: Vec<usize> = (0..7)
        .map(|_| {
            let i = b.pick(0, &[]).unwrap();
            b.report(i, Outcome::Cancelled, Some(0), 0);
            i
        })
        .collect();
    // nginx's documented sequence for weights 5,1,1: a a b a c a a
    assert_eq!(seq, [0, 0, 1, 0, 2, 0, 0]);
}

#[test]
fn zero_weight_is_never_picked_and_all_zero_is_empty() {
    let mut b = balancer(Strategy::Random, &[1.0, 0.0, 2.0]);
    assert_eq!(counts(&mut b, 2000, 0)[1], 0);
    let mut z = balancer(Strategy::RoundRobin, &[0.0, 0.0]);
    assert_eq!(z.pick(0, &[]), Err(PickError::Empty));
    assert_eq!(
        Balancer::new(Config::default(), 1).pick(0, &[]),
        Err(PickError::Empty)
    );
}

#[test]
fn least_request_prefers_idle_deployments() {
    let mut b = balancer(Strategy::LeastRequest, &[1.0, 1.0]);
    // hold 10 requests open on whichever is picked first
    let first = b.pick(0, &[]).unwrap();
    for _ in 0..9 {
        b.deployments[first].in_flight += 1;
    }
    let c = (0..100)
        .filter(|_| {
            let i = b.pick(0, &[]).unwrap();
            b.report(i, Outcome::Cancelled, Some(0), 0);
            i == first
        })
        .count();
    assert!(c < 40, "busy deployment picked {c}/100");
}

#[test]
fn peak_ewma_avoids_the_slow_deployment() {
    let mut b = balancer(Strategy::PeakEwma, &[1.0, 1.0]);
    let (slow, fast) = (0usize, 1usize);
    for (i, lat) in [(slow, 0.5), (fast, 0.01)] {
        b.deployments[i].in_flight += 1;
        b.report(i, Outcome::Success { latency_s: lat }, Some(0), 0);
    }
    let c = counts(&mut b, 100, SEC);
    assert!(c[fast] > 70, "{c:?}");
    // the estimate decays, so the slow one is probed again eventually
    assert!(b.decayed_ewma(&b.deployments[slow], 120 * SEC) < 0.01);
}

#[test]
fn ejection_after_consecutive_failures_grows_and_recovers() {
    let mut b = balancer(Strategy::RoundRobin, &[1.0, 1.0, 1.0, 1.0]);
    let fail = |b: &mut Balancer, i: usize, now: u64| {
        b.deployments[i].in_flight += 1;
        b.report(i, Outcome::Failure { latency_s: 0.1 }, Some(now), now);
    };
    for _ in 0..5 {
        fail(&mut b, 0, 0);
    }
    assert!(b.stats(0, 1).ejected);
    assert_eq!(counts(&mut b, 300, 1)[0], 0, "ejected deployment picked");
    assert!(!b.stats(0, 31 * SEC).ejected, "first ejection lasts 30 s");
    for _ in 0..5 {
        fail(&mut b, 0, 31 * SEC);
    }
    assert!(
        b.stats(0, 31 * SEC + 59 * SEC).ejected,
        "second ejection lasts 60 s"
    );
    assert_eq!(b.stats(0, 0).ejections, 2);
}

#[test]
fn ejection_is_capped_by_share_and_panic_routes_to_all() {
    let mut b = balancer(Strategy::RoundRobin, &[1.0, 1.0]);
    for i in 0..2 {
        for _ in 0..5 {
            b.deployments[i].in_flight += 1;
            b.report(i, Outcome::Failure { latency_s: 0.1 }, Some(0), 0);
        }
    }
    // one of two may go out (50 %), the second would exceed the share
    assert!(b.stats(0, 1).ejected);
    assert!(!b.stats(1, 1).ejected);
    // panic: with the healthy share below the threshold, everything is routable again
    let mut p = Balancer::new(
        Config {
            strategy: Strategy::RoundRobin,
            health: HealthConfig {
                max_ejected_share: 1.0,
                panic_threshold: 0.5,
                consecutive_failures: 1,
                ..HealthConfig::default()
            },
            ..Config::default()
        },
        7,
    );
    for i in 0..3 {
        p.upsert(&format!("d{i}"), 1.0, None, 0);
    }
    for i in 0..2 {
        p.deployments[i].in_flight += 1;
        p.report(i, Outcome::Failure { latency_s: 0.1 }, Some(0), 0);
    }
    let c = counts(&mut p, 300, 1);
    assert!(c.iter().all(|&n| n > 0), "panic mode routes to all: {c:?}");
}

#[test]
fn rate_limit_cooldown_honours_retry_after() {
    let mut b = balancer(Strategy::RoundRobin, &[1.0, 1.0]);
    b.deployments[0].in_flight += 1;
    b.report(
        0,
        Outcome::RateLimited {
            retry_after_s: Some(2.0),
        },
        Some(0),
        0,
    );
    assert_eq!(counts(&mut b, 50, SEC)[0], 0);
    assert!(counts(&mut b, 50, 3 * SEC)[0] > 0);
    // capped by max_cooldown_s
    b.deployments[1].in_flight += 1;
    b.report(
        1,
        Outcome::RateLimited {
            retry_after_s: Some(1e9),
        },
        Some(0),
        0,
    );
    assert!(!b.stats(1, 61 * SEC).cooling_down);
    // every deployment cooling down: saturated, not a crash
    b.deployments[0].in_flight += 1;
    b.report(
        0,
        Outcome::RateLimited {
            retry_after_s: None,
        },
        Some(10 * SEC),
        10 * SEC,
    );
    b.deployments[1].in_flight += 1;
    b.report(
        1,
        Outcome::RateLimited {
            retry_after_s: None,
        },
        Some(10 * SEC),
        10 * SEC,
    );
    assert_eq!(b.pick(10 * SEC, &[]), Err(PickError::Saturated));
}

#[test]
fn concurrency_limit_is_a_circuit_breaker() {
    let mut b = Balancer::new(Config::default(), 3);
    b.upsert("a", 1.0, Some(2), 0);
    let x = b.pick(0, &[]).unwrap();
    let y = b.pick(0, &[]).unwrap();
    assert_eq!((x, y), (0, 0));
    assert_eq!(b.pick(0, &[]), Err(PickError::Saturated));
    b.report(0, Outcome::Cancelled, Some(0), 0);
    assert_eq!(b.pick(0, &[]), Ok(0));
    assert_eq!(b.stats(0, 0).in_flight, 2);
}

#[test]
fn exclusion_prefers_another_deployment_but_falls_back() {
    let mut b = balancer(Strategy::Random, &[1.0, 1.0]);
    for _ in 0..50 {
        let i = b.pick(0, &[0]).unwrap();
        assert_eq!(i, 1);
        b.report(i, Outcome::Cancelled, Some(0), 0);
    }
    let mut one = balancer(Strategy::Random, &[1.0]);
    assert_eq!(one.pick(0, &[0]), Ok(0));
}

#[test]
fn slow_start_ramps_weight() {
    let mut b = Balancer::new(
        Config {
            strategy: Strategy::RoundRobin,
            slow_start_s: 10.0,
            slow_start_min: 0.1,
            ..Config::default()
        },
        9,
    );
    b.upsert("old", 1.0, None, 0);
    b.upsert("new", 1.0, None, 100 * SEC);
    let early = counts(&mut b, 1000, 100 * SEC);
    assert!(early[1] < 150, "new deployment at 10 % weight: {early:?}");
    let later = counts(&mut b, 1000, 120 * SEC);
    assert!(later[1] > 400, "ramped up: {later:?}");
}

#[test]
fn weights_change_at_run_time_and_reload_keeps_state() {
    let mut b = balancer(Strategy::RoundRobin, &[1.0, 1.0]);
    assert!(b.set_weight("d0", 0.0));
    assert_eq!(counts(&mut b, 100, 0)[0], 0);
    assert!(!b.set_weight("nope", 1.0));
    let stats_before = b.stats(1, 0).successes;
    b.upsert("d1", 3.0, None, 0);
    b.retain(&["d1"]);
    assert_eq!(b.len(), 1);
    assert_eq!(b.stats(0, 0).successes, stats_before);
    // reports for a removed index are ignored
    b.report(5, Outcome::Success { latency_s: 0.1 }, Some(0), 0);
}

#[test]
fn strategy_names_round_trip() {
    for name in Strategy::NAMES {
        assert_eq!(name.parse::<Strategy>().unwrap().as_str(), name);
    }
    assert!("fastest"
        .parse::<Strategy>()
        .unwrap_err()
        .contains("least_request"));
}

#[test]
fn two_choices_are_distinct() {
    // With two candidates both are always compared, so the busier one is never picked.
    for strategy in [Strategy::LeastRequest, Strategy::PeakEwma] {
        let mut b = balancer(strategy, &[1.0, 1.0]);
        b.deployments[0].in_flight = 10;
        for d in &mut b.deployments {
            d.ewma = 0.01; // both measured alike: only the load differs
        }
        let c = counts(&mut b, 1000, 0);
        assert_eq!(c[0], 0, "{strategy}: {c:?}");
    }
}

/// Sustained closed-loop load from `clients` callers on `n` deployments, the last of which
/// never answers; returns the picks of the stalled one in the first and second half.
fn stalled_picks(
    n: usize,
    clients: usize,
    picks: usize,
    seed: u64,
    health: HealthConfig,
) -> (usize, usize) {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    let mut b = with_health(health, n, seed);
    let stalled = n - 1;
    let mut rng = seed | 1;
    let mut jitter = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % 4_000_000 // up to 4 ms
    };
    // (completion time, deployment, pick time)
    let mut queue = BinaryHeap::new();
    let mut made = 0;
    let mut seen = (0, 0);
    let mut launch = |b: &mut Balancer, queue: &mut BinaryHeap<_>, now: u64, made: &mut usize| {
        let i = b.pick(now, &[]).unwrap();
        if i == stalled {
            if *made < picks / 2 {
                seen.0 += 1;
            } else {
                seen.1 += 1;
            }
        } else {
            queue.push(Reverse((now + 3_000_000 + jitter(), i, now)));
        }
        *made += 1;
    };
    for c in 0..clients {
        launch(&mut b, &mut queue, c as u64 * 1000, &mut made);
    }
    while made < picks {
        let Some(Reverse((now, i, started))) = queue.pop() else {
            break; // every client is stuck on the stalled deployment
        };
        let latency_s = (now - started) as f64 / 1e9;
        b.report(i, Outcome::Success { latency_s }, Some(started), now);
        launch(&mut b, &mut queue, now, &mut made);
    }
    assert_eq!(made, picks, "clients all stuck");
    seen
}

#[test]
fn a_stalled_deployment_share_of_picks_tends_to_zero() {
    // Property over group sizes and seeds, with latency ejection off (the balancer alone) and
    // on: the stalled deployment gets picks only in the first burst, before its waiting
    // requests look slow (bounded by the callers, not by the requests), and none after.
    for latency_multiple in [0.0, 5.0] {
        let health = HealthConfig {
            latency_multiple,
            ..HealthConfig::default()
        };
        for n in 2..=8 {
            for seed in 1..=25u64 {
                let clients = 16;
                let (early, late) = stalled_picks(n, clients, 4000, seed * 7919, health.clone());
                assert_eq!(late, 0, "n={n} seed={seed}: picked {late} times late");
                assert!(
                    early <= clients / n + clients / 2,
                    "n={n} seed={seed}: {early} early picks"
                );
            }
        }
    }
}

fn observe_all(b: &mut Balancer, latencies: &[f64], now: u64) {
    for (i, &latency_s) in latencies.iter().enumerate() {
        let picked = now.saturating_sub((latency_s * 1e9) as u64);
        b.deployments[i].in_flight += 1;
        b.report(i, Outcome::Success { latency_s }, None, now.max(picked));
    }
}

#[test]
fn a_latency_outlier_is_ejected_and_probed_back_in() {
    let mut b = balancer(Strategy::PeakEwma, &[1.0, 1.0, 1.0]);
    observe_all(&mut b, &[0.01, 0.012, 0.011], SEC);
    assert!(
        (0..3).all(|i| !b.stats(i, SEC).ejected),
        "similar latencies"
    );
    observe_all(&mut b, &[0.01, 0.012, 2.0], 2 * SEC);
    let s = b.stats(2, 2 * SEC);
    assert!(s.ejected);
    assert_eq!(s.ejected_reason, Some(Ejection::Latency));
    assert_eq!(s.ejections, 1);
    assert_eq!(
        counts(&mut b, 200, 3 * SEC)[2],
        0,
        "ejected deployment picked"
    );
    // After the ejection time it is eligible again; a fast answer ends the recovery.
    let later = 33 * SEC;
    assert!(!b.stats(2, later).ejected);
    assert_eq!(b.stats(2, later).ejected_reason, None);
    b.deployments[2].in_flight += 1;
    b.report(2, Outcome::Success { latency_s: 0.011 }, None, later);
    assert!(!b.stats(2, later).ejected);
    assert!(!b.deployments[2].health.ejected(later + 1));
}

#[test]
fn latency_ejection_has_a_floor_and_can_be_off() {
    // 20x slower, but under latency_min_s: not ejected.
    let mut b = balancer(Strategy::PeakEwma, &[1.0, 1.0, 1.0]);
    observe_all(&mut b, &[0.01, 0.01, 0.2], SEC);
    assert!(!b.stats(2, SEC).ejected);
    let off_health = HealthConfig {
        latency_multiple: 0.0,
        ..HealthConfig::default()
    };
    let mut off = with_health(off_health, 3, 5);
    observe_all(&mut off, &[0.01, 0.01, 20.0], 30 * SEC);
    assert!(!off.stats(2, 30 * SEC).ejected);
}

#[test]
fn requests_waiting_too_long_eject_before_they_answer() {
    let mut b = balancer(Strategy::PeakEwma, &[1.0, 1.0, 1.0]);
    observe_all(&mut b, &[0.01, 0.01, 0.01], SEC);
    // A request to d2 that has not answered after 2 s, while the others answer in 10 ms.
    b.deployments[2].in_flight += 1;
    b.deployments[2].waiting += 1;
    b.deployments[2].waiting_since += SEC as u128;
    let i = b.pick(3 * SEC, &[]).unwrap();
    assert_ne!(i, 2);
    let s = b.stats(2, 3 * SEC);
    assert_eq!(s.ejected_reason, Some(Ejection::Latency));
    // Its answer arriving releases the waiting count without double counting.
    b.report(2, Outcome::Success { latency_s: 2.0 }, Some(SEC), 3 * SEC);
    assert_eq!(b.deployments[2].waiting, 0);
    assert_eq!(b.deployments[2].waiting_since, 0);
}

#[test]
fn first_byte_latency_is_what_a_stream_is_judged_by() {
    let mut b = balancer(Strategy::PeakEwma, &[1.0, 1.0]);
    let i = b.pick(0, &[]).unwrap();
    b.first_byte(i, 0, SEC / 100);
    assert_eq!(b.deployments[i].waiting, 0);
    assert!((b.deployments[i].ewma - 0.01).abs() < 1e-9);
    // the stream runs on for a minute: still in flight, but not waiting
    assert_eq!(b.stats(i, 60 * SEC).in_flight, 1);
    b.report(i, Outcome::Success { latency_s: 0.01 }, None, 60 * SEC);
    assert_eq!(b.stats(i, 60 * SEC).in_flight, 0);
}

#[test]
fn failures_eject_with_their_reason() {
    // Fast failures, even with no latency floor, are failures, not latency outliers.
    let no_floor = HealthConfig {
        latency_min_s: 0.0,
        ..HealthConfig::default()
    };
    let mut b = with_health(no_floor, 3, 11);
    observe_all(&mut b, &[0.01, 0.01, 0.01], SEC);
    for _ in 0..5 {
        b.deployments[0].in_flight += 1;
        b.report(0, Outcome::Failure { latency_s: 0.001 }, None, SEC);
    }
    assert_eq!(b.stats(0, SEC).ejected_reason, Some(Ejection::Failures));
}

#[test]
fn fast_failures_do_not_attract_traffic() {
    // d0 fails a third of its requests quickly; d1 always succeeds in the same time.
    let mut b = balancer(Strategy::PeakEwma, &[1.0, 1.0]);
    let mut c = [0usize; 2];
    let mut now = 0;
    for k in 0..3000u64 {
        now += SEC / 1000;
        let i = b.pick(now, &[]).unwrap();
        c[i] += 1;
        let outcome = if i == 0 && k % 3 == 0 {
            Outcome::Failure { latency_s: 0.001 }
        } else {
            Outcome::Success { latency_s: 0.005 }
        };
        b.report(i, outcome, Some(now), now);
    }
    assert!(c[0] < c[1], "{c:?}");
}

#[test]
fn a_deployment_failing_a_third_of_its_requests_gets_little_traffic() {
    // Closed loop: 16 callers, both deployments answer in 5 ms, d0 fails every third answer.
    let mut b = balancer(Strategy::PeakEwma, &[1.0, 1.0]);
    let mut in_flight: Vec<(u64, usize, u64)> = Vec::new();
    let mut c = [0usize; 2];
    let mut now = 0;
    let mut answers = 0u64;
    let mut d0_answers = 0u64;
    for k in 0..16u64 {
        let i = b.pick(k, &[]).unwrap();
        in_flight.push((k + 5_000_000, i, k));
    }
    while answers < 4000 {
        in_flight.sort_unstable();
        let (done, i, started) = in_flight.remove(0);
        now = now.max(done);
        answers += 1;
        let latency_s = (now - started) as f64 / 1e9;
        if i == 0 {
            d0_answers += 1;
        }
        let outcome = if i == 0 && d0_answers % 3 == 0 {
            Outcome::Failure { latency_s }
        } else {
            Outcome::Success { latency_s }
        };
        b.report(i, outcome, Some(started), now);
        let j = b.pick(now, &[]).unwrap();
        c[j] += 1;
        in_flight.push((now + 5_000_000, j, now));
    }
    assert!(c[0] * 20 < c[0] + c[1], "failing deployment picked {c:?}");
}
