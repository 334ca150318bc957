//! Per-deployment health: outlier ejection and 429 cooldown.

const NS: f64 = 1e9;

#[derive(Clone, Debug, PartialEq)]
pub struct HealthConfig {
    /// Consecutive failures that eject a deployment (0: never eject).
    pub consecutive_failures: u32,
    /// First ejection time; each further ejection lasts one more multiple of it.
    pub base_ejection_s: f64,
    /// Longest ejection.
    pub max_ejection_s: f64,
    /// A failure does not eject if that would put more than this share of the group out.
    pub max_ejected_share: f64,
    /// Below this share of healthy deployments, route to all (panic mode).
    pub panic_threshold: f64,
    /// Cooldown after a 429 that carries no Retry-After.
    pub default_cooldown_s: f64,
    /// Longest cooldown a Retry-After can impose.
    pub max_cooldown_s: f64,
    /// Eject a deployment whose latency is this multiple of the median of the rest of its
    /// group (0: never eject for latency).
    pub latency_multiple: f64,
    /// Latency below which a deployment is never ejected for being slow, seconds.
    pub latency_min_s: f64,
}

impl Default for HealthConfig {
    fn default() -> Self {
        HealthConfig {
            consecutive_failures: 5,
            base_ejection_s: 30.0,
            max_ejection_s: 300.0,
            max_ejected_share: 0.5,
            panic_threshold: 0.5,
            default_cooldown_s: 1.0,
            max_cooldown_s: 60.0,
            latency_multiple: 5.0,
            latency_min_s: 1.0,
        }
    }
}

/// Why a deployment is ejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ejection {
    /// Consecutive failures.
    Failures,
    /// Its latency (first byte for streams) stood out from the rest of its group.
    Latency,
}

impl Ejection {
    pub fn as_str(self) -> &'static str {
        match self {
            Ejection::Failures => "failures",
            Ejection::Latency => "latency",
        }
    }
}

#[derive(Clone, Debug, Default)]
pub(super) struct Health {
    consecutive_failures: u32,
    /// Ejections so far (drives the growing ejection time).
    times_ejected: u32,
    ejected_until: u64,
    cooldown_until: u64,
    /// Set while ejected; cleared by the first success after it.
    recovering: bool,
    reason: Option<Ejection>,
}

fn secs(s: f64) -> u64 {
    if s.is_finite() && s > 0.0 {
        (s * NS) as u64
    } else {
        0
    }
}

impl Health {
    pub(super) fn ejected(&self, now: u64) -> bool {
        now < self.ejected_until
    }

    /// Why the deployment is out, while it is.
    pub(super) fn ejection(&self, now: u64) -> Option<Ejection> {
        self.reason.filter(|_| self.ejected(now))
    }

    pub(super) fn cooling_down(&self, now: u64) -> bool {
        now < self.cooldown_until
    }

    /// Returns true when this success ends a recovery (the deployment was ejected before).
    pub(super) fn on_success(&mut self) -> bool {
        self.consecutive_failures = 0;
        std::mem::take(&mut self.recovering)
    }

    /// Returns true when this failure ejects the deployment.
    pub(super) fn on_failure(
        &mut self,
        cfg: &HealthConfig,
        now: u64,
        share_if_ejected: f64,
    ) -> bool {
        self.consecutive_failures += 1;
        if cfg.consecutive_failures == 0
            || self.consecutive_failures < cfg.consecutive_failures
            || self.ejected(now)
            || share_if_ejected > cfg.max_ejected_share
        {
            return false;
        }
        self.consecutive_failures = 0;
        self.eject(cfg, now, Ejection::Failures);
        true
    }

    /// Eject for the next (growing) ejection time; the caller has checked the share.
    pub(super) fn eject(&mut self, cfg: &HealthConfig, now: u64, reason: Ejection) {
        self.times_ejected += 1;
        let duration = (cfg.base_ejection_s * self.times_ejected as f64).min(cfg.max_ejection_s);
        self.ejected_until = now + secs(duration);
        self.recovering = true;
        self.reason = Some(reason);
    }

    pub(super) fn cool_down(&mut self, cfg: &HealthConfig, retry_after_s: Option<f64>, now: u64) {
        let wait = retry_after_s
            .filter(|s| s.is_finite() && *s >= 0.0)
            .unwrap_or(cfg.default_cooldown_s)
            .min(cfg.max_cooldown_s);
        self.cooldown_until = self.cooldown_until.max(now + secs(wait));
    }
}
