//! Fault injection: the planned rules (consumed one count per matching
//! request, first match first) and the seeded random faults.

use vt4g::Command;

use super::ids::Ids;
use crate::config::{FaultKind, FaultRule, RandomFaults};

/// The planned rules and the random-fault setting.
pub(super) struct Faults {
    rules: Vec<FaultRule>,
    random: Option<RandomFaults>,
}

impl Faults {
    pub(super) fn new(rules: Vec<FaultRule>, random: Option<RandomFaults>) -> Faults {
        Faults { rules, random }
    }

    /// The seed of the random faults (0 without them).
    pub(super) fn seed(&self) -> u64 {
        self.random.as_ref().map_or(0, |r| r.seed)
    }

    pub(super) fn add(&mut self, rule: FaultRule) {
        self.rules.push(rule);
    }

    pub(super) fn clear(&mut self) {
        self.rules.clear();
    }

    pub(super) fn planned(&self) -> Vec<FaultRule> {
        self.rules.clone()
    }

    /// The fault for this request, if any (consumes one count of a planned
    /// rule; else draws from `ids`' seeded generator when random faults are on).
    pub(super) fn take(
        &mut self,
        command: Command,
        ident: Option<&str>,
        ids: &mut Ids,
    ) -> Option<FaultKind> {
        let pos = self.rules.iter().position(|r| {
            r.count > 0
                && r.command.as_deref().is_none_or(|c| c == command.as_str())
                && r.payment_id.as_deref().is_none_or(|p| Some(p) == ident)
        });
        if let Some(i) = pos {
            let kind = self.rules[i].fault;
            self.rules[i].count -= 1;
            if self.rules[i].count == 0 {
                self.rules.remove(i);
            }
            return Some(kind);
        }
        let random = self.random.as_ref().filter(|r| r.rate > 0.0)?;
        let draw = (ids.next_rand() >> 11) as f64 / (1u64 << 53) as f64;
        if draw >= random.rate {
            return None;
        }
        let all_but_delay: Vec<FaultKind>;
        let kinds: &[FaultKind] = if random.kinds.is_empty() {
            all_but_delay = FaultKind::ALL
                .iter()
                .copied()
                .filter(|k| *k != FaultKind::Delay)
                .collect();
            &all_but_delay
        } else {
            &random.kinds
        };
        let i = (ids.next_rand() % kinds.len() as u64) as usize;
        Some(kinds[i])
    }
}
