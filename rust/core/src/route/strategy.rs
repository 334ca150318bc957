//! Balancing strategies by name.

use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Smooth weighted round robin, as nginx does it: deterministic, evenly interleaved.
    RoundRobin,
    /// Independent weighted random choices.
    Random,
    /// Power of two choices by outstanding requests per weight (Envoy least_request).
    LeastRequest,
    /// Lowest peak-EWMA latency x load (Finagle, tower).
    PeakEwma,
}

impl Strategy {
    pub const NAMES: [&'static str; 4] = ["round_robin", "random", "least_request", "peak_ewma"];

    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::RoundRobin => "round_robin",
            Strategy::Random => "random",
            Strategy::LeastRequest => "least_request",
            Strategy::PeakEwma => "peak_ewma",
        }
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Strategy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "round_robin" => Ok(Strategy::RoundRobin),
            "random" => Ok(Strategy::Random),
            "least_request" => Ok(Strategy::LeastRequest),
            "peak_ewma" => Ok(Strategy::PeakEwma),
            _ => Err(format!(
                "unknown strategy {s:?} (expected one of: {})",
                Strategy::NAMES.join(", ")
            )),
        }
    }
}
