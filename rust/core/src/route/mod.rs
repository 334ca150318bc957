//! Weighted load balancing with health for one model group.
//!
//! A [`Balancer`] holds the deployments of a group and picks one per attempt with a strategy:
//! smooth weighted round robin (nginx), weighted random, power-of-two-choices least outstanding
//! requests with weights (Envoy `least_request`), or (the default) power-of-two-choices by
//! peak-EWMA latency x outstanding requests / success rate^8 (Finagle, tower). Both two-choice
//! strategies draw two distinct deployments. A request still waiting for its first byte counts
//! as at least as slow as it has waited, so a stalled deployment looks expensive long before
//! its first answer arrives.
//! Health is tracked per deployment: outlier ejection after consecutive failures or for latency
//! far above the rest of the group, with a growing ejection time, a cooldown after a 429 that
//! honours `Retry-After`, and a concurrency limit. When too large a share of the group is
//! ejected the balancer routes to every deployment (panic mode).
//!
//! Time is passed in explicitly (nanoseconds on any monotonic clock), so behaviour is
//! deterministic under test; randomness comes from a seeded xorshift generator.

mod health;
mod strategy;

pub use health::{Ejection, HealthConfig};
pub use strategy::Strategy;

use health::Health;

/// Per-deployment counters, for metrics.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stats {
    pub in_flight: u32,
    pub successes: u64,
    pub failures: u64,
    pub ejections: u64,
    pub rate_limited: u64,
    /// Peak-EWMA latency estimate, seconds (0 before the first observation).
    pub latency_ewma: f64,
    pub ejected: bool,
    /// Why it is ejected, while it is.
    pub ejected_reason: Option<Ejection>,
    pub cooling_down: bool,
}

/// How an attempt ended.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Outcome {
    Success {
        latency_s: f64,
    },
    /// A failure that counts toward ejection (5xx, reset, timeout).
    Failure {
        latency_s: f64,
    },
    /// 429: cool down for `retry_after_s` (or the configured default); not an outlier failure.
    RateLimited {
        retry_after_s: Option<f64>,
    },
    /// The caller gave up (hedge loser, client went away): only the in-flight count changes.
    Cancelled,
}

#[derive(Debug)]
struct Deployment {
    name: String,
    weight: f64,
    max_concurrency: Option<u32>,
    /// Smooth WRR running weight.
    current: f64,
    in_flight: u32,
    /// In-flight requests still waiting for their first byte, and the sum of their pick times.
    waiting: u32,
    waiting_since: u128,
    ewma: f64,
    ewma_at: u64,
    /// Success-rate EWMA (1: every recent attempt succeeded), recovering toward 1 over time.
    success_rate: f64,
    success_at: u64,
    /// Slow start begins here (added, or back from ejection).
    warm_since: u64,
    health: Health,
    stats: Stats,
}

/// Why no deployment could be picked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PickError {
    /// The group has no deployment with a positive weight.
    Empty,
    /// Every deployment is at its concurrency limit or cooling down after a 429.
    Saturated,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub strategy: Strategy,
    pub health: HealthConfig,
    /// Ramp a new or recovered deployment's weight up over this many seconds (0: off).
    pub slow_start_s: f64,
    /// Weight factor a slow-starting deployment begins with.
    pub slow_start_min: f64,
    /// Peak-EWMA decay time constant, seconds.
    pub ewma_tau_s: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            strategy: Strategy::PeakEwma,
            health: HealthConfig::default(),
            slow_start_s: 0.0,
            slow_start_min: 0.1,
            ewma_tau_s: 10.0,
        }
    }
}

/// The deployments of one group and their state. Not thread-safe by itself: wrap in a mutex.
#[derive(Debug)]
pub struct Balancer {
    config: Config,
    deployments: Vec<Deployment>,
    rng: u64,
    /// Reused by `pick` for the eligible set.
    scratch: Vec<usize>,
}

const NS: f64 = 1e9;
/// Weight of one attempt in the success-rate EWMA.
const SUCCESS_ALPHA: f64 = 0.1;
/// The cost is divided by the success rate to this power: failing one attempt in three makes
/// a deployment about 25x as expensive (so retries stay rare), one in a hundred about 8 %.
const FAILURE_EXPONENT: i32 = 8;
/// The success rate the cost divides by never goes below this.
const MIN_SUCCESS_RATE: f64 = 0.05;

impl Balancer {
    pub fn new(config: Config, seed: u64) -> Self {
        Balancer {
            config,
            deployments: Vec::new(),
            rng: seed | 1,
            scratch: Vec::new(),
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Add a deployment (or update its weight and limit if the name exists). Returns its index.
    pub fn upsert(
        &mut self,
        name: &str,
        weight: f64,
        max_concurrency: Option<u32>,
        now: u64,
    ) -> usize {
        let weight = if weight.is_finite() {
            weight.max(0.0)
        } else {
            0.0
        };
        if let Some(i) = self.index(name) {
            let d = &mut self.deployments[i];
            d.weight = weight;
            d.max_concurrency = max_concurrency;
            return i;
        }
        self.deployments.push(Deployment {
            name: name.to_string(),
            weight,
            max_concurrency,
            current: 0.0,
            in_flight: 0,
            waiting: 0,
            waiting_since: 0,
            ewma: 0.0,
            ewma_at: now,
            success_rate: 1.0,
            success_at: now,
            warm_since: now,
            health: Health::default(),
            stats: Stats::default(),
        });
        self.deployments.len() - 1
    }

    /// Remove deployments whose names are not in `keep` (a configuration reload).
    pub fn retain(&mut self, keep: &[&str]) {
        self.deployments.retain(|d| keep.contains(&d.name.as_str()));
    }

    pub fn set_weight(&mut self, name: &str, weight: f64) -> bool {
        match self.index(name) {
            Some(i) => {
                self.deployments[i].weight = if weight.is_finite() {
                    weight.max(0.0)
                } else {
                    0.0
                };
                true
            }
            None => false,
        }
    }

    pub fn index(&self, name: &str) -> Option<usize> {
        self.deployments.iter().position(|d| d.name == name)
    }

    pub fn name(&self, i: usize) -> &str {
        &self.deployments[i].name
    }

    pub fn len(&self) -> usize {
        self.deployments.len()
    }

    pub fn is_empty(&self) -> bool {
        self.deployments.is_empty()
    }

    pub fn stats(&self, i: usize, now: u64) -> Stats {
        let d = &self.deployments[i];
        Stats {
            ejected: d.health.ejected(now),
            ejected_reason: d.health.ejection(now),
            cooling_down: d.health.cooling_down(now),
            latency_ewma: d.ewma,
            in_flight: d.in_flight,
            ..d.stats.clone()
        }
    }

    fn next_u64(&mut self) -> u64 {
        // xorshift64*: fast, good enough for load spreading; seeded for reproducible tests.
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// The weight a deployment has now, with slow start applied.
    fn effective_weight(&self, d: &Deployment, now: u64) -> f64 {
        if self.config.slow_start_s <= 0.0 {
            return d.weight;
        }
        let age = now.saturating_sub(d.warm_since) as f64 / NS;
        if age >= self.config.slow_start_s {
            return d.weight;
        }
        let min = self.config.slow_start_min.clamp(0.0, 1.0);
        d.weight * (min + (1.0 - min) * age / self.config.slow_start_s)
    }

    /// Pick a deployment for one attempt, skipping `exclude` (those that already failed this
    /// call, or the one a hedge races) while another is available. The caller must
    /// [`report`](Self::report) the outcome.
    pub fn pick(&mut self, now: u64, exclude: &[usize]) -> Result<usize, PickError> {
        let n = self.deployments.len();
        if n == 0 || self.deployments.iter().all(|d| d.weight <= 0.0) {
            return Err(PickError::Empty);
        }
        self.eject_stalled(now);
        // Eligible: positive weight, below its concurrency limit, not cooling down, not ejected.
        // Panic mode: when too few are healthy, ejection is ignored (route to all).
        let mut healthy = 0usize;
        let mut weighted = 0usize;
        for d in &self.deployments {
            if d.weight > 0.0 {
                weighted += 1;
                if !d.health.ejected(now) {
                    healthy += 1;
                }
            }
        }
        let panic = (healthy as f64) < (weighted as f64) * self.config.health.panic_threshold
            || healthy == 0;
        let mut eligible = std::mem::take(&mut self.scratch);
        for pass in 0..2 {
            eligible.clear();
            for (i, d) in self.deployments.iter().enumerate() {
                let excluded = pass == 0 && exclude.contains(&i);
                let full = d.max_concurrency.is_some_and(|m| d.in_flight >= m);
                let out = d.health.cooling_down(now) || (!panic && d.health.ejected(now));
                if d.weight > 0.0 && !excluded && !full && !out {
                    eligible.push(i);
                }
            }
            if !eligible.is_empty() || exclude.is_empty() {
                break; // the second pass only relaxes the exclusion
            }
        }
        let chosen = match (eligible.is_empty(), self.config.strategy) {
            (true, _) => None,
            (false, Strategy::RoundRobin) => Some(self.pick_smooth_wrr(&eligible, now)),
            (false, Strategy::Random) => Some(self.pick_weighted_random(&eligible, now)),
            (false, Strategy::LeastRequest) => Some(self.pick_least_request(&eligible, now)),
            (false, Strategy::PeakEwma) => Some(self.pick_peak_ewma(&eligible, now)),
        };
        self.scratch = eligible;
        let chosen = chosen.ok_or(PickError::Saturated)?;
        let d = &mut self.deployments[chosen];
        d.in_flight += 1;
        d.waiting += 1;
        d.waiting_since += now as u128;
        Ok(chosen)
    }

    /// Two distinct eligible deployments, uniformly (the caller has at least two).
    fn two_distinct(&mut self, eligible: &[usize]) -> (usize, usize) {
        let n = eligible.len() as u64;
        let a = (self.next_u64() % n) as usize;
        let mut b = (self.next_u64() % (n - 1)) as usize;
        if b >= a {
            b += 1;
        }
        (eligible[a], eligible[b])
    }

    /// Seconds the requests of `d` still waiting for their first byte have waited, on average.
    fn waiting_age(d: &Deployment, now: u64) -> f64 {
        if d.waiting == 0 {
            return 0.0;
        }
        let mean = d.waiting_since / d.waiting as u128;
        (now as u128).saturating_sub(mean) as f64 / NS
    }

    /// The latency `d` is expected to have now: its decayed peak EWMA, or, when its waiting
    /// requests have already waited longer, that wait.
    fn expected_latency(&self, d: &Deployment, now: u64) -> f64 {
        self.decayed_ewma(d, now).max(Self::waiting_age(d, now))
    }

    /// The median latency estimate of the measured, non-ejected deployments other than `i`.
    fn median_of_others(&self, i: usize, now: u64) -> Option<f64> {
        let mut others: Vec<f64> = self
            .deployments
            .iter()
            .enumerate()
            .filter(|(j, d)| *j != i && d.weight > 0.0 && d.ewma > 0.0 && !d.health.ejected(now))
            .map(|(_, d)| self.decayed_ewma(d, now))
            .collect();
        if others.is_empty() {
            return None;
        }
        others.sort_by(f64::total_cmp);
        let m = others.len() / 2;
        Some(if others.len() % 2 == 1 {
            others[m]
        } else {
            (others[m - 1] + others[m]) / 2.0
        })
    }

    /// The share of the group that would be ejected if `i` were ejected too.
    fn share_if_ejected(&self, i: usize, now: u64) -> f64 {
        let others = self
            .deployments
            .iter()
            .enumerate()
            .filter(|(j, o)| *j != i && o.health.ejected(now))
            .count();
        (others + 1) as f64 / self.deployments.len() as f64
    }

    /// Eject `i` for latency when `latency_s` is an outlier against the rest of its group.
    /// Returns true when it was ejected.
    fn eject_if_slow(&mut self, i: usize, latency_s: f64, now: u64) -> bool {
        let cfg = &self.config.health;
        let d = &self.deployments[i];
        if cfg.latency_multiple <= 0.0 || latency_s <= cfg.latency_min_s || d.health.ejected(now) {
            return false;
        }
        let Some(median) = self.median_of_others(i, now) else {
            return false;
        };
        if latency_s <= cfg.latency_multiple * median
            || self.share_if_ejected(i, now) > cfg.max_ejected_share
        {
            return false;
        }
        let cfg = self.config.health.clone();
        let d = &mut self.deployments[i];
        d.health.eject(&cfg, now, Ejection::Latency);
        d.stats.ejections += 1;
        true
    }

    /// A deployment whose requests have waited for their first byte far longer than the rest
    /// of the group answers is ejected before those requests come back.
    fn eject_stalled(&mut self, now: u64) {
        let min = self.config.health.latency_min_s;
        for i in 0..self.deployments.len() {
            let age = Self::waiting_age(&self.deployments[i], now);
            if age > min {
                self.eject_if_slow(i, age, now);
            }
        }
    }

    fn pick_smooth_wrr(&mut self, eligible: &[usize], now: u64) -> usize {
        self.smooth_wrr(eligible, |s, d| s.effective_weight(d, now))
    }

    /// nginx's smooth weighted round robin with weights from `weight_of`.
    fn smooth_wrr(
        &mut self,
        eligible: &[usize],
        weight_of: impl Fn(&Self, &Deployment) -> f64,
    ) -> usize {
        let mut total = 0.0;
        let mut best = eligible[0];
        let mut best_current = f64::NEG_INFINITY;
        for &i in eligible {
            let w = weight_of(self, &self.deployments[i]);
            let d = &mut self.deployments[i];
            d.current += w;
            total += w;
            if d.current > best_current {
                best_current = d.current;
                best = i;
            }
        }
        self.deployments[best].current -= total;
        best
    }

    fn pick_weighted_random(&mut self, eligible: &[usize], now: u64) -> usize {
        let total: f64 = eligible
            .iter()
            .map(|&i| self.effective_weight(&self.deployments[i], now))
            .sum();
        let mut x = self.next_f64() * total;
        for &i in eligible {
            x -= self.effective_weight(&self.deployments[i], now);
            if x < 0.0 {
                return i;
            }
        }
        eligible[eligible.len() - 1]
    }

    /// Envoy's least_request: with equal weights, the less loaded of two uniform random
    /// choices; with unequal weights, weighted round robin over weight / (outstanding + 1).
    fn pick_least_request(&mut self, eligible: &[usize], now: u64) -> usize {
        if eligible.len() == 1 {
            return eligible[0];
        }
        let w0 = self.effective_weight(&self.deployments[eligible[0]], now);
        let equal = eligible
            .iter()
            .all(|&i| self.effective_weight(&self.deployments[i], now) == w0);
        if !equal {
            return self.smooth_wrr(eligible, |s, d| {
                s.effective_weight(d, now) / (d.in_flight as f64 + 1.0)
            });
        }
        let (a, b) = self.two_distinct(eligible);
        if self.deployments[b].in_flight < self.deployments[a].in_flight {
            b
        } else {
            a
        }
    }

    /// Power of two choices by expected cost = expected latency x (outstanding + 1) / weight,
    /// as Finagle and tower pair P2C with peak EWMA.
    fn pick_peak_ewma(&mut self, eligible: &[usize], now: u64) -> usize {
        if eligible.len() == 1 {
            return eligible[0];
        }
        let (a, b) = self.two_distinct(eligible);
        let cost = |s: &Self, i: usize| {
            let d = &s.deployments[i];
            // Unmeasured deployments look cheap so they get probed. Failures raise the cost
            // through the success rate, so fast errors do not attract traffic.
            (s.expected_latency(d, now) + 1e-6) * (d.in_flight as f64 + 1.0)
                / s.effective_weight(d, now).max(f64::MIN_POSITIVE)
                / s.success_rate(d, now)
                    .max(MIN_SUCCESS_RATE)
                    .powi(FAILURE_EXPONENT)
        };
        if cost(self, b) < cost(self, a) {
            b
        } else {
            a
        }
    }

    /// The success rate, recovering toward 1 with the EWMA time constant while unobserved.
    fn success_rate(&self, d: &Deployment, now: u64) -> f64 {
        let dt = now.saturating_sub(d.success_at) as f64 / NS;
        1.0 - (1.0 - d.success_rate) * (-dt / self.config.ewma_tau_s.max(1e-9)).exp()
    }

    fn record_success_rate(&mut self, i: usize, succeeded: bool, now: u64) {
        let rate = self.success_rate(&self.deployments[i], now);
        let d = &mut self.deployments[i];
        d.success_rate = rate * (1.0 - SUCCESS_ALPHA) + if succeeded { SUCCESS_ALPHA } else { 0.0 };
        d.success_at = now;
    }

    fn decayed_ewma(&self, d: &Deployment, now: u64) -> f64 {
        let dt = now.saturating_sub(d.ewma_at) as f64 / NS;
        d.ewma * (-dt / self.config.ewma_tau_s.max(1e-9)).exp()
    }

    /// The first byte of the attempt picked at `started` on deployment `i` arrived: its
    /// latency (time to first byte) is observed now and it no longer counts as waiting. The
    /// final [`report`](Self::report) then passes `waiting_since: None`.
    pub fn first_byte(&mut self, i: usize, started: u64, now: u64) {
        if i >= self.deployments.len() {
            return;
        }
        self.stop_waiting(i, started);
        let latency_s = now.saturating_sub(started) as f64 / NS;
        self.observe(i, latency_s, now);
    }

    fn stop_waiting(&mut self, i: usize, started: u64) {
        let d = &mut self.deployments[i];
        if d.waiting > 0 {
            d.waiting -= 1;
            d.waiting_since = d.waiting_since.saturating_sub(started as u128);
        }
    }

    /// Peak-EWMA: a slower observation takes effect at once, a faster one decays in. Then the
    /// latency outlier check.
    fn observe(&mut self, i: usize, latency_s: f64, now: u64) {
        if !latency_s.is_finite() || latency_s < 0.0 {
            return;
        }
        let decayed = self.decayed_ewma(&self.deployments[i], now);
        let d = &mut self.deployments[i];
        let ewma = if latency_s > decayed || d.ewma == 0.0 {
            latency_s
        } else {
            decayed * 0.7 + latency_s * 0.3
        };
        d.ewma = ewma;
        d.ewma_at = now;
        self.eject_if_slow(i, ewma, now);
    }

    /// Report how an attempt on deployment `i` ended. `waiting_since` is the pick time of an
    /// attempt whose first byte was not reported (None after [`first_byte`](Self::first_byte)).
    pub fn report(&mut self, i: usize, outcome: Outcome, waiting_since: Option<u64>, now: u64) {
        if i >= self.deployments.len() {
            return; // removed by a reload while the attempt ran
        }
        if let Some(started) = waiting_since {
            self.stop_waiting(i, started);
        }
        let health_cfg = self.config.health.clone();
        let d = &mut self.deployments[i];
        d.in_flight = d.in_flight.saturating_sub(1);
        match outcome {
            Outcome::Success { latency_s } => {
                d.stats.successes += 1;
                if d.health.on_success() {
                    d.warm_since = now; // back from ejection: slow start again
                }
                self.record_success_rate(i, true, now);
                self.observe(i, latency_s, now);
            }
            Outcome::Failure { latency_s } => {
                d.stats.failures += 1;
                self.record_success_rate(i, false, now);
                // A failure's latency counts only when slower than expected (a timeout): a fast
                // error says nothing about how fast good answers are.
                if latency_s > self.decayed_ewma(&self.deployments[i], now) {
                    self.observe(i, latency_s, now);
                }
                let share = self.share_if_ejected(i, now);
                let d = &mut self.deployments[i];
                if d.health.on_failure(&health_cfg, now, share) {
                    d.stats.ejections += 1;
                }
            }
            Outcome::RateLimited { retry_after_s } => {
                d.stats.rate_limited += 1;
                d.health.cool_down(&health_cfg, retry_after_s, now);
            }
            Outcome::Cancelled => {}
        }
    }
}

#[cfg(test)]
mod tests;
