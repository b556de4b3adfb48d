//! The state shared by both walkers (`Value` and typed): the command's tables, the
//! options, the provider, the findings so far, and the URL fast path's memo.

use vt4g_generated::rules::CommandSpec;

use super::fast_accept::{fast_accept_table, FastAccept, SLOTS};
use super::options::ValidationOptions;
use super::report::{RuleKind, Severity, Violation};
use crate::PayType;

pub(super) struct Ctx<'o> {
    pub(super) spec: &'static CommandSpec,
    /// [`FastAccept`] of each field of `spec` (by field index) and provider slot.
    pub(super) fast: &'static [[FastAccept; SLOTS]],
    pub(super) opts: &'o ValidationOptions,
    pub(super) provider: Option<PayType>,
    pub(super) out: Vec<Violation>,
    pub(super) url_memo: UrlMemo,
}

/// What the URL fast path learned (scheme and port) of an accepted URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct QuickUrlBits {
    pub(super) https: bool,
    pub(super) port: u16,
}

/// The fast path's verdicts of the URL fields seen so far (by field index).
#[derive(Default)]
pub(super) struct UrlMemo {
    pub(super) len: usize,
    pub(super) keys: [u16; 8],
    pub(super) vals: [Option<QuickUrlBits>; 8],
}

/// What a cross-field rule sees of a field: absent, a string, or another present value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum Got<'v> {
    #[default]
    Absent,
    Str(&'v str),
    Other,
}

impl<'v> Got<'v> {
    pub(super) fn is_some(self) -> bool {
        !matches!(self, Got::Absent)
    }

    pub(super) fn as_str(self) -> Option<&'v str> {
        match self {
            Got::Str(s) => Some(s),
            _ => None,
        }
    }
}

impl<'o> Ctx<'o> {
    pub(super) fn new(spec: &'static CommandSpec, opts: &'o ValidationOptions) -> Self {
        Ctx {
            spec,
            fast: fast_accept_table(spec),
            opts,
            provider: None,
            out: Vec::new(),
            url_memo: UrlMemo::default(),
        }
    }

    /// Determines the provider from the body's payType (`from_body`) and the options,
    /// and reports a mismatch, an unsupported command or an unknown provider.
    pub(super) fn begin(&mut self, from_body: Option<PayType>) {
        let command = self.spec.command;
        let spec = self.spec;
        self.provider = self.determine_provider(from_body);
        if let Some(p) = self.provider {
            if !spec.providers.contains(p) {
                self.push_at(
                    String::new(),
                    Some(p),
                    RuleKind::UnsupportedCommand,
                    format!("providers supporting {command}: {}", spec.providers),
                    p.as_str().into(),
                    Severity::Error,
                    format!(
                        "{} does not support the {command} command (supported: {}).",
                        p.display_name(),
                        spec.providers
                    ),
                );
            }
        } else {
            self.push_at(
            String::new(),
            None,
            RuleKind::ProviderLimitsNotChecked,
            "payType needed for provider limits".into(),
            "payType unknown".into(),
            Severity::Info,
            format!(
                "The provider is unknown (no valid order.payType in the body and no pay_type option), so only the spec-level limits of {command} were checked, not the provider's."
            ),
        );
        }
    }
}

impl Ctx<'_> {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn push_at(
        &mut self,
        path: String,
        provider: Option<PayType>,
        rule: RuleKind,
        limit: String,
        actual: String,
        severity: Severity,
        message: String,
    ) {
        self.out.push(Violation {
            path,
            provider,
            rule,
            limit,
            actual,
            severity,
            message,
        });
    }

    fn determine_provider(&mut self, from_body: Option<PayType>) -> Option<PayType> {
        match (from_body, self.opts.pay_type) {
            (Some(b), Some(o)) if b != o => {
                self.push_at(
                    "order.payType".into(),
                    Some(b),
                    RuleKind::PayTypeMismatch,
                    format!("pay_type option {o}"),
                    format!("payType {b}"),
                    Severity::Error,
                    format!(
                        "order.payType is \"{b}\" but the validation was asked for {o}; the body's payType is used."
                    ),
                );
                Some(b)
            }
            (Some(b), _) => Some(b),
            (None, o) => o,
        }
    }
}
