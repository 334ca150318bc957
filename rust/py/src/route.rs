//! Balancer bindings: a frozen, thread-safe balancer per model group and the pick guard.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use mcproute_core::route::{self, Config, HealthConfig, Outcome, PickError, Strategy};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::NoDeploymentAvailable;

#[derive(Debug)]
struct Shared {
    core: Mutex<route::Balancer>,
    epoch: Instant,
    /// Bumped when deployments are removed, so an older pick re-finds its index by name.
    generation: AtomicU64,
}

impl Shared {
    fn now(&self) -> u64 {
        self.epoch.elapsed().as_nanos() as u64
    }

    fn lock(&self) -> MutexGuard<'_, route::Balancer> {
        // A panic while holding the lock cannot leave the balancer inconsistent in a way that
        // matters more than refusing traffic would; keep serving.
        self.core.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// One model group's deployments, health and balancing strategy.
#[derive(Debug)]
#[pyclass(frozen, module = "mcproute._core")]
pub struct Balancer {
    shared: Arc<Shared>,
}

#[pymethods]
impl Balancer {
    #[new]
    #[pyo3(signature = (
        strategy = "peak_ewma", *, consecutive_failures = 5, base_ejection_s = 30.0,
        max_ejection_s = 300.0, max_ejected_share = 0.5, panic_threshold = 0.5,
        default_cooldown_s = 1.0, max_cooldown_s = 60.0, slow_start_s = 0.0,
        slow_start_min = 0.1, ewma_tau_s = 10.0, latency_multiple = 5.0, latency_min_s = 1.0,
        seed = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        strategy: &str,
        consecutive_failures: u32,
        base_ejection_s: f64,
        max_ejection_s: f64,
        max_ejected_share: f64,
        panic_threshold: f64,
        default_cooldown_s: f64,
        max_cooldown_s: f64,
        slow_start_s: f64,
        slow_start_min: f64,
        ewma_tau_s: f64,
        latency_multiple: f64,
        latency_min_s: f64,
        seed: Option<u64>,
    ) -> PyResult<Self> {
        let strategy: Strategy = strategy
            .parse()
            .map_err(|e: String| PyValueError::new_err(format!("strategy: {e}")))?;
        for (name, v) in [
            ("base_ejection_s", base_ejection_s),
            ("max_ejection_s", max_ejection_s),
            ("default_cooldown_s", default_cooldown_s),
            ("max_cooldown_s", max_cooldown_s),
            ("slow_start_s", slow_start_s),
            ("ewma_tau_s", ewma_tau_s),
            ("latency_multiple", latency_multiple),
            ("latency_min_s", latency_min_s),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(PyValueError::new_err(format!(
                    "{name}: must be a finite number >= 0, got {v}"
                )));
            }
        }
        for (name, v) in [
            ("max_ejected_share", max_ejected_share),
            ("panic_threshold", panic_threshold),
            ("slow_start_min", slow_start_min),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(PyValueError::new_err(format!(
                    "{name}: must be between 0 and 1, got {v}"
                )));
            }
        }
        let config = Config {
            strategy,
            health: HealthConfig {
                consecutive_failures,
                base_ejection_s,
                max_ejection_s,
                max_ejected_share,
                panic_threshold,
                default_cooldown_s,
                max_cooldown_s,
                latency_multiple,
                latency_min_s,
            },
            slow_start_s,
            slow_start_min,
            ewma_tau_s,
        };
        let epoch = Instant::now();
        let seed = seed.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0x9e37_79b9, |d| d.as_nanos() as u64)
        });
        Ok(Balancer {
            shared: Arc::new(Shared {
                core: Mutex::new(route::Balancer::new(config, seed)),
                epoch,
                generation: AtomicU64::new(0),
            }),
        })
    }

    #[getter]
    fn strategy(&self) -> &'static str {
        self.shared.lock().config().strategy.as_str()
    }

    /// Add a deployment, or update the weight and limit of an existing one (state is kept).
    #[pyo3(signature = (name, weight = 1.0, max_concurrency = None))]
    fn upsert(&self, name: &str, weight: f64, max_concurrency: Option<u32>) -> PyResult<()> {
        if !(weight.is_finite() && weight >= 0.0) {
            return Err(PyValueError::new_err(format!(
                "weight: must be a finite number >= 0, got {weight}"
            )));
        }
        if max_concurrency == Some(0) {
            return Err(PyValueError::new_err("max_concurrency: must be at least 1"));
        }
        let now = self.shared.now();
        self.shared
            .lock()
            .upsert(name, weight, max_concurrency, now);
        Ok(())
    }

    /// Keep only the named deployments (a configuration reload).
    fn retain(&self, names: Vec<String>) {
        let keep: Vec<&str> = names.iter().map(String::as_str).collect();
        self.shared.lock().retain(&keep);
        self.shared.generation.fetch_add(1, Ordering::Release);
    }

    /// Change a weight at run time; False when no deployment has that name.
    fn set_weight(&self, name: &str, weight: f64) -> PyResult<bool> {
        if !(weight.is_finite() && weight >= 0.0) {
            return Err(PyValueError::new_err(format!(
                "weight: must be a finite number >= 0, got {weight}"
            )));
        }
        Ok(self.shared.lock().set_weight(name, weight))
    }

    fn names(&self) -> Vec<String> {
        let b = self.shared.lock();
        (0..b.len()).map(|i| b.name(i).to_string()).collect()
    }

    fn __len__(&self) -> usize {
        self.shared.lock().len()
    }

    /// Pick a deployment; report the outcome through the returned guard.
    #[pyo3(signature = (exclude = None))]
    fn pick(&self, exclude: Option<Vec<String>>) -> PyResult<Pick> {
        let now = self.shared.now();
        let generation = self.shared.generation.load(Ordering::Acquire);
        let (index, name) = {
            let mut b = self.shared.lock();
            let skip: Vec<usize> = exclude
                .iter()
                .flatten()
                .filter_map(|n| b.index(n))
                .collect();
            match b.pick(now, &skip) {
                Ok(i) => (i, b.name(i).to_string()),
                Err(PickError::Empty) => {
                    return Err(NoDeploymentAvailable::new_err(
                        "no deployment with a positive weight",
                    ))
                }
                Err(PickError::Saturated) => {
                    return Err(NoDeploymentAvailable::new_err(
                        "every deployment is at its concurrency limit or cooling down",
                    ))
                }
            }
        };
        Ok(Pick {
            shared: Arc::clone(&self.shared),
            index,
            generation,
            name,
            started: now,
            first_byte: AtomicU64::new(0),
            done: AtomicBool::new(false),
        })
    }

    /// Per-deployment counters: in_flight, successes, failures, ejections, rate_limited,
    /// latency_ewma (s), ejected, ejected_reason ("failures", "latency" or None), cooling_down.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let now = self.shared.now();
        let b = self.shared.lock();
        let out = PyDict::new(py);
        for i in 0..b.len() {
            let s = b.stats(i, now);
            let d = PyDict::new(py);
            d.set_item("in_flight", s.in_flight)?;
            d.set_item("successes", s.successes)?;
            d.set_item("failures", s.failures)?;
            d.set_item("ejections", s.ejections)?;
            d.set_item("rate_limited", s.rate_limited)?;
            d.set_item("latency_ewma", s.latency_ewma)?;
            d.set_item("ejected", s.ejected)?;
            d.set_item("ejected_reason", s.ejected_reason.map(|r| r.as_str()))?;
            d.set_item("cooling_down", s.cooling_down)?;
            out.set_item(b.name(i), d)?;
        }
        Ok(out)
    }
}

/// The deployment chosen for one attempt. Report exactly one outcome; dropping the guard
/// without a report counts as a cancellation (the in-flight count is released).
#[derive(Debug)]
#[pyclass(frozen, module = "mcproute._core")]
pub struct Pick {
    shared: Arc<Shared>,
    index: usize,
    generation: u64,
    name: String,
    started: u64,
    /// When the first byte was reported (0: not yet), nanoseconds since the epoch.
    first_byte: AtomicU64,
    done: AtomicBool,
}

impl Pick {
    /// The deployment's index now (it moves when a reload removes deployments).
    fn index(&self, b: &route::Balancer) -> Option<usize> {
        if self.shared.generation.load(Ordering::Acquire) == self.generation {
            Some(self.index)
        } else {
            b.index(&self.name)
        }
    }

    fn finish(&self, outcome: impl FnOnce(f64) -> Outcome, latency_s: Option<f64>) -> bool {
        if self.done.swap(true, Ordering::AcqRel) {
            return false;
        }
        let now = self.shared.now();
        let first_byte = self.first_byte.load(Ordering::Acquire);
        // After the first byte, the attempt is judged by its time to first byte, not by how
        // long the stream went on.
        let until = if first_byte == 0 { now } else { first_byte };
        let elapsed = latency_s.unwrap_or((until.saturating_sub(self.started)) as f64 / 1e9);
        let waiting_since = (first_byte == 0).then_some(self.started);
        let mut b = self.shared.lock();
        if let Some(i) = self.index(&b) {
            b.report(i, outcome(elapsed), waiting_since, now);
        }
        true
    }
}

#[pymethods]
impl Pick {
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }

    /// Seconds since the pick.
    #[getter]
    fn elapsed(&self) -> f64 {
        self.shared.now().saturating_sub(self.started) as f64 / 1e9
    }

    /// The first byte arrived (streams): its latency is observed now, and the deployment no
    /// longer counts this attempt as waiting. Only the first call counts.
    fn first_byte(&self) -> bool {
        let now = self.shared.now().max(1);
        if self.done.load(Ordering::Acquire)
            || self
                .first_byte
                .compare_exchange(0, now, Ordering::AcqRel, Ordering::Acquire)
                .is_err()
        {
            return false;
        }
        let mut b = self.shared.lock();
        if let Some(i) = self.index(&b) {
            b.first_byte(i, self.started, now);
        }
        true
    }

    /// The attempt succeeded (latency defaults to the time to first byte if reported, else
    /// the time since the pick).
    #[pyo3(signature = (latency_s = None))]
    fn success(&self, latency_s: Option<f64>) -> bool {
        self.finish(|l| Outcome::Success { latency_s: l }, latency_s)
    }

    /// The attempt failed in a way that counts toward ejection (5xx, reset, timeout).
    #[pyo3(signature = (latency_s = None))]
    fn failure(&self, latency_s: Option<f64>) -> bool {
        self.finish(|l| Outcome::Failure { latency_s: l }, latency_s)
    }

    /// The upstream answered 429; cool the deployment down for Retry-After seconds.
    #[pyo3(signature = (retry_after_s = None))]
    fn rate_limited(&self, retry_after_s: Option<f64>) -> bool {
        self.finish(|_| Outcome::RateLimited { retry_after_s }, None)
    }

    /// The caller gave up on the attempt (hedge loser, client gone).
    fn cancel(&self) -> bool {
        self.finish(|_| Outcome::Cancelled, None)
    }

    fn __repr__(&self) -> String {
        format!("<Pick {:?}>", self.name)
    }
}

impl Drop for Pick {
    fn drop(&mut self) {
        self.finish(|_| Outcome::Cancelled, None);
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Balancer>()?;
    m.add_class::<Pick>()?;
    m.add("STRATEGIES", Strategy::NAMES.to_vec())?;
    Ok(())
}
