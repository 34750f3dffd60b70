//! Get Task Counts, kept up to date on every change so that reading them is O(1).

/// The counters of Get Task Counts.
///
/// `running` counts tasks in the running or the preparing state. `succeeded` and `failed`
/// count tasks by `executionInfo/result`, whatever their state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TaskCounts {
    /// Tasks in the active state.
    pub active: u64,
    /// Tasks in the running or preparing state.
    pub running: u64,
    /// Tasks in the completed state.
    pub completed: u64,
    /// Tasks whose `executionInfo/result` is `success`.
    pub succeeded: u64,
    /// Tasks whose `executionInfo/result` is `failure`.
    pub failed: u64,
}

impl TaskCounts {
    /// Counts a task in (`added` true) or out of the counters, given its folded state and
    /// result.
    pub(crate) fn tally(&mut self, state: Option<&str>, result: Option<&str>, added: bool) {
        let state_counter = match state {
            Some("active") => Some(&mut self.active),
            Some("running" | "preparing") => Some(&mut self.running),
            Some("completed") => Some(&mut self.completed),
            _ => None,
        };
        if let Some(counter) = state_counter {
            adjust(counter, added);
        }

        let result_counter = match result {
            Some("success") => Some(&mut self.succeeded),
            Some("failure") => Some(&mut self.failed),
            _ => None,
        };
        if let Some(counter) = result_counter {
            adjust(counter, added);
        }
    }
}

fn adjust(counter: &mut u64, added: bool) {
    // A task is counted out only after it was counted in, so this never goes below zero.
    *counter = if added {
        *counter + 1
    } else {
        counter.saturating_sub(1)
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preparing_counts_as_running() {
        let mut counts = TaskCounts::default();
        counts.tally(Some("preparing"), None, true);
        counts.tally(Some("running"), Some("success"), true);
        assert_eq!(counts.running, 2);
        assert_eq!(counts.succeeded, 1);
        counts.tally(Some("running"), Some("success"), false);
        assert_eq!(counts.running, 1);
        assert_eq!(counts.succeeded, 0);
    }

    #[test]
    fn result_counts_whatever_the_state() {
        let mut counts = TaskCounts::default();
        counts.tally(None, Some("failure"), true);
        counts.tally(Some("completed"), Some("failure"), true);
        assert_eq!(counts.failed, 2);
        assert_eq!(counts.completed, 1);
        assert_eq!(counts.active, 0);
    }
}
