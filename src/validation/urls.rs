//! The URL checks of the cross-field rules: the fast path's verdict (memoised per
//! field), then `url::Url::parse` for what it does not accept; the webhook rules
//! (https, port 443, a public address).

use vt4g_generated::rules::{CrossRule, FieldSpec, RequestMode};

use super::ctx::{Ctx, QuickUrlBits};
use super::options::UrlPolicy;
use super::report::{RuleKind, Severity};
use super::{ip, url_fast};

impl Ctx<'_> {
    /// The URL fast path's verdict on field `field`'s value `s`, computed once per
    /// field and validation (several URL rules look at the same field).
    /// The memo lookup is inline (a hit costs a few compares); the scan is not.
    #[inline]
    pub(super) fn quick_url(&mut self, field: u16, s: &str) -> Option<QuickUrlBits> {
        let memo = &self.url_memo;
        if let Some(k) = memo.keys[..memo.len].iter().position(|&k| k == field) {
            return memo.vals[k];
        }
        self.quick_url_scan(field, s)
    }

    /// [`Ctx::quick_url`] for a field not seen yet: scans `s` and memoises the verdict.
    #[inline(never)]
    fn quick_url_scan(&mut self, field: u16, s: &str) -> Option<QuickUrlBits> {
        let memo = &mut self.url_memo;
        let v = url_fast::quick_url(s).map(|q| QuickUrlBits {
            https: q.https,
            port: q.port,
        });
        if memo.len < memo.keys.len() {
            memo.keys[memo.len] = field;
            memo.vals[memo.len] = v;
            memo.len += 1;
        }
        v
    }

    pub(super) fn check_url(&mut self, f: &FieldSpec, s: &str, quick: Option<QuickUrlBits>) {
        if quick.is_some() {
            return;
        }
        let parsed = url::Url::parse(s);
        let problem = match &parsed {
            Ok(u) if (u.scheme() == "https" || u.scheme() == "http") && u.host().is_some() => None,
            Ok(u) => Some(format!("scheme \"{}\" without an http(s) host", u.scheme())),
            Err(e) => Some(format!("not parseable ({e})")),
        };
        if let Some(actual) = problem {
            self.push_at(
                f.path.into(),
                None,
                RuleKind::UrlFormat,
                "an absolute http(s) URL".into(),
                actual.clone(),
                Severity::Error,
                format!(
                    "{} must be an absolute http(s) URL but is {actual}.",
                    f.path
                ),
            );
        }
    }

    pub(super) fn check_redirect_url(
        &mut self,
        f: &FieldSpec,
        s: &str,
        quick: Option<QuickUrlBits>,
        rule: &CrossRule,
    ) {
        let is_http = match quick {
            Some(q) => !q.https,
            None => match url::Url::parse(s) {
                Ok(u) => u.scheme() == "http",
                Err(_) => return,
            },
        };
        if self.opts.mode == RequestMode::Live
            && is_http
            && self.opts.url_policy == UrlPolicy::Production
        {
            self.push_at(
                f.path.into(),
                None,
                RuleKind::UrlScheme,
                "https (live mode)".into(),
                "http".into(),
                Severity::Error,
                format!(
                    "{} uses http, which live-mode requests do not accept; use https ({}).",
                    f.path, rule.source
                ),
            );
        }
    }

    pub(super) fn check_webhook_url(
        &mut self,
        f: &FieldSpec,
        s: &str,
        quick: Option<QuickUrlBits>,
        rule: &CrossRule,
    ) {
        if let Some(q) = quick {
            if q.https && q.port == 443 {
                // A domain host (never an IP literal or localhost): nothing more to check offline.
                return;
            }
        }
        let Ok(u) = url::Url::parse(s) else { return };
        if !(u.scheme() == "https" || u.scheme() == "http") {
            return;
        }
        let relaxed = self.opts.url_policy == UrlPolicy::AllowLocalSimulator;
        if u.scheme() != "https" && !relaxed {
            self.push_at(
                f.path.into(),
                None,
                RuleKind::UrlScheme,
                "https".into(),
                u.scheme().into(),
                Severity::Error,
                format!("{} must use https ({}).", f.path, rule.source),
            );
        }
        let port = u.port_or_known_default();
        if port != Some(443) && !relaxed {
            let actual = port.map_or_else(|| "none".to_string(), |p| p.to_string());
            self.push_at(
                f.path.into(),
                None,
                RuleKind::UrlPort,
                "port 443".into(),
                format!("port {actual}"),
                Severity::Error,
                format!(
                    "{} uses port {actual}; only port 443 is permitted ({}).",
                    f.path, rule.source
                ),
            );
        }
        let reason = match ip::host_ip(&u) {
            Some(ip) if relaxed && ip::is_loopback(ip) => None,
            Some(ip) => ip::non_public_reason(ip),
            None if ip::is_localhost_name(&u) && !relaxed => Some("a loopback host name"),
            None => None,
        };
        if let Some(reason) = reason {
            self.push_at(
                f.path.into(),
                None,
                RuleKind::UrlPrivateAddress,
                "a public address".into(),
                reason.into(),
                Severity::Error,
                format!(
                    "{}'s host is {reason}; webhooks cannot be sent to private, loopback, link-local or unspecified addresses ({}).",
                    f.path, rule.source
                ),
            );
        }
    }
}
