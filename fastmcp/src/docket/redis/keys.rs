//! The key layout (see the table in `mod.rs`) and the Lua scripts: each state change is one
//! script that updates the record and publishes its event together.

use super::*;

pub(super) const SCHEDULE: &str = include_str!("../lua/schedule.lua");

pub(super) const DUE: &str = include_str!("../lua/due.lua");

pub(super) const CLAIM: &str = include_str!("../lua/claim.lua");

pub(super) const FINISH: &str = include_str!("../lua/finish.lua");

pub(super) const CANCEL: &str = include_str!("../lua/cancel.lua");

pub(super) const PROGRESS: &str = include_str!("../lua/progress.lua");

pub(super) const TASK_CREATE: &str = include_str!("../lua/task_create.lua");

pub(super) const TASK_UPDATE: &str = include_str!("../lua/task_update.lua");

pub(super) const TASK_CLAIM: &str = include_str!("../lua/task_claim.lua");

/// Renews a lease field quietly (no change event): only on a record that still exists.
pub(super) const TASK_LEASE: &str = include_str!("../lua/task_lease.lua");

pub(super) struct Keys {
    pub(super) prefix: String,
}

impl Keys {
    pub(super) fn k(&self, suffix: &str) -> String {
        format!("{}:{suffix}", self.prefix)
    }
    pub(super) fn run(&self, key: &str) -> String {
        format!("{}:run:{key}", self.prefix)
    }
    pub(super) fn result(&self, key: &str) -> String {
        format!("{}:result:{key}", self.prefix)
    }
    pub(super) fn progress(&self, key: &str) -> String {
        format!("{}:progress:{key}", self.prefix)
    }
    pub(super) fn task(&self, id: &str) -> String {
        format!("{}:task:{id}", self.prefix)
    }
    pub(super) fn tasks_of(&self, owner: &str) -> String {
        format!("{}:tasks:{owner}", self.prefix)
    }
}

pub(super) struct Scripts {
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
}
