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

    /// The first component whose extractors need state that `provided` lacks, as an error
    /// naming the component, the state type and the ways to provide it.
    pub(super) fn check_states(&self, provided: &StateMap, lifespans: bool) -> Result<(), ServerError> {
        let needs = self
            .tools
            .values()
            .map(|t| ("tool", &t.name, &t.states))
            .chain(self.prompts.values().map(|p| ("prompt", &p.name, &p.states)))
            .chain(self.resources.values().chain(self.templates.values()).map(|r| ("resource", &r.uri, &r.states)));
        for (kind, name, states) in needs {
            if let Some((_, type_name)) = states.iter().find(|(id, _)| !provided.contains_key(id)) {
                let from = if lifespans { "or return it from a lifespan" } else { "or add a lifespan that returns it" };
                return Err(ServerError::Config(format!(
                    "{kind} `{name}` takes `State<{type_name}>`, but nothing provides a `{type_name}`: \
                     add it with `.state(value)` {from}"
                )));
            }
        }
        Ok(())
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
