//! The catalog: the components a server serves, by name and URI.

use super::*;
use crate::registry::{Prompt, Resource, Tool};
use indexmap::IndexMap;
use serde_json::{Map, Value};
use std::sync::Arc;

/// The components a server serves, by name and URI.
#[derive(Default, Clone)]
pub(crate) struct Components {
    /// Shared, so a call takes a reference count rather than a copy of the tool.
    pub tools: IndexMap<String, Arc<Tool>>,
    pub prompts: IndexMap<String, Prompt>,
    /// Static resources by URI.
    pub resources: IndexMap<String, Resource>,
    /// Resource templates by URI template.
    pub templates: IndexMap<String, Resource>,
}

impl Components {
    /// The static resource with this URI, or the first template matching it with its variables.
    pub(crate) fn find_resource(&self, uri: &str) -> Option<(Resource, Map<String, Value>)> {
        if let Some(r) = self.resources.get(uri) {
            return Some((r.clone(), Map::new()));
        }
        self.templates.values().find_map(|t| {
            let vars = t.template.as_ref()?.matches(uri)?;
            Some((t.clone(), vars.into_iter().map(|(k, v)| (k, Value::String(v))).collect()))
        })
    }

    pub(super) fn add_tool(&mut self, tool: Tool) -> Result<(), ServerError> {
        if self.tools.contains_key(&tool.name) {
            return Err(ServerError::Config(format!("duplicate tool name `{}`: tool names must be unique", tool.name)));
        }
        self.tools.insert(tool.name.clone(), Arc::new(tool));
        Ok(())
    }
    pub(super) fn add_prompt(&mut self, prompt: Prompt) -> Result<(), ServerError> {
        if self.prompts.contains_key(&prompt.name) {
            return Err(ServerError::Config(format!(
                "duplicate prompt name `{}`: prompt names must be unique",
                prompt.name
            )));
        }
        self.prompts.insert(prompt.name.clone(), prompt);
        Ok(())
    }
    pub(super) fn add_resource(&mut self, resource: Resource) -> Result<(), ServerError> {
        let map = if resource.is_template() { &mut self.templates } else { &mut self.resources };
        if map.contains_key(&resource.uri) {
            return Err(ServerError::Config(format!(
                "duplicate resource URI `{}`: resource URIs must be unique",
                resource.uri
            )));
        }
        map.insert(resource.uri.clone(), resource);
        Ok(())
    }
}
