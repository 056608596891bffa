//! Restart policy: backoff and intensity, as pure logic over timestamps.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// How a supervised child is restarted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestartPolicy {
    /// Restarts allowed within `within` before escalating.
    pub max_restarts: usize,
    pub within: Duration,
    /// Delay before the first restart; doubles per restart in the window.
    pub min_backoff: Duration,
    pub max_backoff: Duration,
    /// How long an escalated child stays down before a fresh start.
    pub escalation_cooldown: Duration,
}

impl Default for RestartPolicy {
    fn default() -> Self {
        Self {
            max_restarts: 5,
            within: Duration::from_secs(30),
            min_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_secs(5),
            escalation_cooldown: Duration::from_secs(30),
        }
    }
}

/// What to do about one restart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestartDecision {
    /// Restart after this delay.
    Backoff(Duration),
    /// Too many restarts: stay down for the cool-down, then start afresh.
    Escalate(Duration),
}

impl RestartPolicy {
    /// Records a restart at `now` in `recent` and decides.
    pub fn decide(&self, recent: &mut VecDeque<Instant>, now: Instant) -> RestartDecision {
        while recent.front().is_some_and(|t| now.duration_since(*t) > self.within) {
            recent.pop_front();
        }
        recent.push_back(now);
        if recent.len() > self.max_restarts {
            recent.clear();
            return RestartDecision::Escalate(self.escalation_cooldown);
        }
        let exponent = (recent.len() - 1).min(16) as u32;
        RestartDecision::Backoff(self.min_backoff.saturating_mul(1 << exponent).min(self.max_backoff))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_within_the_window() {
        let policy = RestartPolicy::default();
        let mut recent = VecDeque::new();
        let t = Instant::now();
        assert_eq!(policy.decide(&mut recent, t), RestartDecision::Backoff(Duration::from_millis(50)));
        assert_eq!(policy.decide(&mut recent, t), RestartDecision::Backoff(Duration::from_millis(100)));
        assert_eq!(policy.decide(&mut recent, t), RestartDecision::Backoff(Duration::from_millis(200)));
    }

    #[test]
    fn exceeding_the_intensity_escalates_and_resets() {
        let policy = RestartPolicy { max_restarts: 2, ..Default::default() };
        let mut recent = VecDeque::new();
        let t = Instant::now();
        policy.decide(&mut recent, t);
        policy.decide(&mut recent, t);
        assert_eq!(policy.decide(&mut recent, t), RestartDecision::Escalate(policy.escalation_cooldown));
        assert!(recent.is_empty());
    }

    #[test]
    fn restarts_outside_the_window_are_forgotten() {
        let policy = RestartPolicy { max_restarts: 1, within: Duration::from_secs(1), ..Default::default() };
        let mut recent = VecDeque::new();
        let t = Instant::now();
        policy.decide(&mut recent, t);
        let later = t + Duration::from_secs(2);
        assert_eq!(policy.decide(&mut recent, later), RestartDecision::Backoff(policy.min_backoff));
    }
}
