//! Spinners and progress bars on stderr, silent when stderr is not a terminal.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::Output;

/// A progress indicator that draws only when [`Output::progress`] allows it. Results never go
/// through it: it is decoration on stderr, so scripts and pipes see nothing of it.
#[derive(Debug, Clone)]
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A spinner with a message, ticking on its own.
    pub fn spinner(out: &Output, message: impl Into<String>) -> Self {
        let bar = ProgressBar::with_draw_target(None, target(out));
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} {elapsed}") {
            bar.set_style(style);
        }
        bar.set_message(message.into());
        if out.progress {
            bar.enable_steady_tick(Duration::from_millis(100));
        }
        Progress { bar }
    }

    /// A bar counting up to `len` (bytes, packets...).
    pub fn bar(out: &Output, len: u64, message: impl Into<String>) -> Self {
        let bar = ProgressBar::with_draw_target(Some(len), target(out));
        if let Ok(style) =
            ProgressStyle::with_template("{msg} [{bar:30}] {percent:>3}% {elapsed} (eta {eta})")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(message.into());
        Progress { bar }
    }

    /// Change the message.
    pub fn set_message(&self, message: impl Into<String>) {
        self.bar.set_message(message.into());
    }

    /// Advance by `n`.
    pub fn inc(&self, n: u64) {
        self.bar.inc(n);
    }

    /// Set the position.
    pub fn set_position(&self, pos: u64) {
        self.bar.set_position(pos);
    }

    /// Print a line above the bar without tearing it (stderr).
    pub fn println(&self, line: impl AsRef<str>) {
        self.bar.println(line);
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }

    /// Whether anything is drawn at all.
    pub fn is_hidden(&self) -> bool {
        self.bar.is_hidden()
    }
}

fn target(out: &Output) -> ProgressDrawTarget {
    if out.progress {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_without_terminal() {
        let p = Progress::spinner(&Output::plain(), "probing");
        assert!(p.is_hidden());
        p.inc(1);
        p.finish();
    }
}
