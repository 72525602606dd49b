//! The key layout (see the table in `mod.rs`) and the Lua scripts: each state change is one
//! script that updates the record and publishes its event together.

use super::*;

/// Helpers the run scripts share (reading and rewriting a record's first line).
const PRELUDE: &str = include_str!("../lua/prelude.lua");

/// A run script with the shared helpers in front.
fn run_script(body: &str) -> Script {
    Script::new(&format!("{PRELUDE}\n{body}"))
}

pub(super) const TASK_CREATE: &str = include_str!("../lua/task_create.lua");

pub(super) const TASK_UPDATE: &str = include_str!("../lua/task_update.lua");

pub(super) const TASK_CLAIM: &str = include_str!("../lua/task_claim.lua");

/// The live ids of an owner's index (its expired entries removed).
pub(super) const TASK_IDS: &str = include_str!("../lua/task_ids.lua");

/// The live task records of an owner, counted or listed (from its expiry index).
pub(super) const TASK_COUNT: &str = include_str!("../lua/task_count.lua");

/// Renews a lease field quietly (no change event): only on a record that still exists.
pub(super) const TASK_LEASE: &str = include_str!("../lua/task_lease.lua");

pub(super) struct Keys {
    pub(super) prefix: String,
}

impl Keys {
    pub(super) fn k(&self, suffix: &str) -> String {
        format!("{}:{suffix}", self.prefix)
    }
    /// A run's record (`record.rs`).
    pub(super) fn run(&self, key: &str) -> String {
        format!("{}:rec:{key}", self.prefix)
    }
    pub(super) fn progress(&self, key: &str) -> String {
        format!("{}:progress:{key}", self.prefix)
    }
    /// A task record (`task_ids.lua` builds the same name).
    pub(super) fn task(&self, id: &str) -> String {
        format!("{}:task:{id}", self.prefix)
    }
    /// An owner's task ids by creation time (for listing).
    pub(super) fn tasks_of(&self, owner: &str) -> String {
        format!("{}:tasks:{owner}", self.prefix)
    }
    /// The same ids by expiry time (for counting the live ones).
    pub(super) fn tasks_expiring(&self, owner: &str) -> String {
        format!("{}:tasks-expiring:{owner}", self.prefix)
    }
}

pub(super) struct Scripts {
    pub(super) trim: Script,
    pub(super) schedule: Script,
    pub(super) due: Script,
    pub(super) claim: Script,
    pub(super) finish: Script,
    pub(super) cancel: Script,
    pub(super) progress: Script,
    pub(super) task_create: Script,
    pub(super) task_update: Script,
    pub(super) task_claim: Script,
    pub(super) task_lease: Script,
    pub(super) task_ids: Script,
    pub(super) task_count: Script,
}

impl Scripts {
    pub(super) fn new() -> Scripts {
        Scripts {
            trim: Script::new(include_str!("../lua/trim.lua")),
            schedule: run_script(include_str!("../lua/schedule.lua")),
            due: run_script(include_str!("../lua/due.lua")),
            claim: run_script(include_str!("../lua/claim.lua")),
            finish: run_script(include_str!("../lua/finish.lua")),
            cancel: run_script(include_str!("../lua/cancel.lua")),
            progress: run_script(include_str!("../lua/progress.lua")),
            task_create: Script::new(TASK_CREATE),
            task_update: Script::new(TASK_UPDATE),
            task_claim: Script::new(TASK_CLAIM),
            task_lease: Script::new(TASK_LEASE),
            task_ids: Script::new(TASK_IDS),
            task_count: Script::new(TASK_COUNT),
        }
    }
}
