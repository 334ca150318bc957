//! Weighted load balancing with health for one model group.
//!
//! A [`Balancer`] holds the deployments of a group and picks one per attempt with a strategy:
//! smooth weighted round robin (nginx), weighted random, power-of-two-choices least outstanding
//! requests with weights (Envoy `least_request`), or peak-EWMA latency (Finagle, tower). Health
//! is tracked per deployment: outlier ejection after consecutive failures with a growing ejection
//! time, a cooldown after a 429 that honours `Retry-After`, and a concurrency limit. When too
//! large a share of the group is ejected the balancer routes to every deployment (panic mode).
//!
//! Time is passed in explicitly (nanoseconds on any monotonic clock), so behaviour is
//! deterministic under test; randomness comes from a seeded xorshift generator.

mod health;
mod strategy;

pub use health::HealthConfig;
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
    ewma: f64,
    ewma_at: u64,
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
            strategy: Strategy::LeastRequest,
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
            ewma: 0.0,
            ewma_at: now,
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
        self.deployments[chosen].in_flight += 1;
        Ok(chosen)
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
        let n = eligible.len() as u64;
        let a = eligible[(self.next_u64() % n) as usize];
        let mut b = eligible[(self.next_u64() % n) as usize];
        if b == a {
            b = eligible[(self.next_u64() % n) as usize];
        }
        if self.deployments[b].in_flight < self.deployments[a].in_flight {
            b
        } else {
            a
        }
    }

    /// Power of two choices by expected cost = decayed peak latency x (outstanding + 1) /
    /// weight, as Finagle and tower pair P2C with peak EWMA.
    fn pick_peak_ewma(&mut self, eligible: &[usize], now: u64) -> usize {
        if eligible.len() == 1 {
            return eligible[0];
        }
        let n = eligible.len() as u64;
        let a = eligible[(self.next_u64() % n) as usize];
        let mut b = eligible[(self.next_u64() % n) as usize];
        if b == a {
            b = eligible[(self.next_u64() % n) as usize];
        }
        let cost = |s: &Self, i: usize| {
            let d = &s.deployments[i];
            // Unmeasured deployments look cheap so they get probed.
            (s.decayed_ewma(d, now) + 1e-6) * (d.in_flight as f64 + 1.0)
                / s.effective_weight(d, now).max(f64::MIN_POSITIVE)
        };
        if cost(self, b) < cost(self, a) {
            b
        } else {
            a
        }
    }

    fn decayed_ewma(&self, d: &Deployment, now: u64) -> f64 {
        let dt = now.saturating_sub(d.ewma_at) as f64 / NS;
        d.ewma * (-dt / self.config.ewma_tau_s.max(1e-9)).exp()
    }

    /// Report how an attempt on deployment `i` ended.
    pub fn report(&mut self, i: usize, outcome: Outcome, now: u64) {
        let health_cfg = self.config.health.clone();
        let Some(d) = self.deployments.get(i) else {
            return; // removed by a reload while the attempt ran
        };
        let decayed = self.decayed_ewma(d, now);
        let d = &mut self.deployments[i];
        d.in_flight = d.in_flight.saturating_sub(1);
        match outcome {
            Outcome::Success { latency_s } => {
                d.stats.successes += 1;
                observe(d, decayed, latency_s, now);
                if d.health.on_success() {
                    d.warm_since = now; // back from ejection: slow start again
                }
            }
            Outcome::Failure { latency_s } => {
                d.stats.failures += 1;
                observe(d, decayed, latency_s, now);
                let others_ejected = self
                    .deployments
                    .iter()
                    .enumerate()
                    .filter(|(j, o)| *j != i && o.health.ejected(now))
                    .count();
                let share = (others_ejected + 1) as f64 / self.deployments.len() as f64;
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

/// Peak-EWMA: a slower observation takes effect at once, a faster one decays in.
fn observe(d: &mut Deployment, decayed: f64, latency_s: f64, now: u64) {
    if !latency_s.is_finite() || latency_s < 0.0 {
        return;
    }
    d.ewma = if latency_s > decayed || d.ewma == 0.0 {
        latency_s
    } else {
        decayed * 0.7 + latency_s * 0.3
    };
    d.ewma_at = now;
}

#[cfg(test)]
mod tests;
