//! The JSON path of the value being checked, rendered only when a finding is reported.

#[derive(Clone, Copy)]
pub(super) enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

pub(super) const MAX_DEPTH: usize = 16;

/// The current JSON path as a fixed-size stack (no allocation until reported).
pub(super) struct PathStack<'a> {
    segs: [Seg<'a>; MAX_DEPTH],
    pub(super) len: usize,
}

impl<'a> PathStack<'a> {
    pub(super) fn new() -> Self {
        PathStack {
            segs: [Seg::Index(0); MAX_DEPTH],
            len: 0,
        }
    }

    pub(super) fn push(&mut self, s: Seg<'a>) -> bool {
        if self.len == MAX_DEPTH {
            return false;
        }
        self.segs[self.len] = s;
        self.len += 1;
        true
    }

    pub(super) fn pop(&mut self) {
        self.len = self.len.saturating_sub(1);
    }

    pub(super) fn render(&self) -> String {
        let mut out = String::new();
        for s in &self.segs[..self.len] {
            match s {
                Seg::Key(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                }
                Seg::Index(i) => {
                    out.push('[');
                    out.push_str(&i.to_string());
                    out.push(']');
                }
            }
        }
        out
    }
}

/// Something that renders as the JSON path of a finding (only when one is reported).
pub(super) trait RenderPath {
    fn render(&self) -> String;
}

impl RenderPath for PathStack<'_> {
    fn render(&self) -> String {
        PathStack::render(self)
    }
}

/// A path that is never shown: for checks whose findings are discarded (the typed fast
/// scan's exact fallback), so no path is rendered.
pub(super) struct Unrendered;

impl RenderPath for Unrendered {
    fn render(&self) -> String {
        String::new()
    }
}

/// A path stack plus one more key, not pushed (the typed walk's string fields).
pub(super) struct WithLeaf<'p, 'a> {
    pub(super) stack: &'p PathStack<'a>,
    pub(super) leaf: &'static str,
}

impl RenderPath for WithLeaf<'_, '_> {
    fn render(&self) -> String {
        let mut out = self.stack.render();
        if !out.is_empty() {
            out.push('.');
        }
        out.push_str(self.leaf);
        out
    }
}
