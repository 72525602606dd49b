//! Components that come from outside the binary. A source (a proxied remote server, see
//! [`crate::proxy`]) attaches when the server starts, replaces its components whenever its own
//! lists change, and detaches at shutdown. The server knows sources only through this trait.

use super::builder::TagFilter;
use super::*;
use crate::registry::{Prompt, Resource};

/// A provider of components known only at run time.
pub(crate) trait ComponentSource: Send + Sync + 'static {
    /// Connects and installs the first components (with [`Server::sync_source`]); an error
    /// fails the server's start.
    fn attach(self: Arc<Self>, server: WeakServer, scope: SourceScope) -> BoxFuture<Result<(), BoxError>>;
    /// Stops following the source; called at shutdown once requests have drained.
    fn detach(&self) -> BoxFuture<()>;
}

/// Where a source's components go: its mount prefix, and the tag filters of the builders it
/// sits in (a parent's `exclude_tags` applies to what it serves, proxied components included).
#[derive(Clone, Default)]
pub(crate) struct SourceScope {
    pub prefix: Option<String>,
    pub(super) filters: Vec<TagFilter>,
}

impl SourceScope {
    /// The name a tool or prompt named `name` upstream has here.
    pub fn name(&self, name: &str) -> String {
        match &self.prefix {
            Some(p) => format!("{p}_{name}"),
            None => name.to_owned(),
        }
    }

    /// The URI (or URI template) an upstream `uri` has here.
    pub fn uri(&self, uri: &str) -> String {
        match &self.prefix {
            Some(p) => super::builder::prefix_uri(p, uri),
            None => uri.to_owned(),
        }
    }

    /// The upstream URI of a URI read here (the inverse of [`SourceScope::uri`]).
    pub fn upstream_uri(&self, uri: &str) -> Option<String> {
        let Some(p) = &self.prefix else { return Some(uri.to_owned()) };
        match uri.split_once("://") {
            Some((scheme, rest)) => Some(format!("{scheme}://{}", rest.strip_prefix(p.as_str())?.strip_prefix('/')?)),
            None => uri.strip_prefix(p.as_str())?.strip_prefix('/').map(str::to_owned),
        }
    }

    /// Whether the tag filters above the source keep a component with these tags.
    pub fn keeps(&self, tags: &[String]) -> bool {
        self.filters.iter().all(|f| f.keeps(tags))
    }
}

/// One complete set of a source's components, already named for this server.
#[derive(Default)]
pub(crate) struct SourceComponents {
    pub tools: Vec<Tool>,
    pub prompts: Vec<Prompt>,
    pub resources: Vec<Resource>,
}

/// What a source owns in the catalog, so that the next sync removes what vanished upstream.
#[derive(Default)]
pub(crate) struct Owned {
    tools: HashSet<String>,
    prompts: HashSet<String>,
    resources: HashSet<String>,
}

/// A handle on a server that does not keep it alive (a source's background task holds one).
#[derive(Clone)]
pub(crate) struct WeakServer(Weak<ServerInner>);

impl WeakServer {
    /// The server, while it exists.
    pub fn upgrade(&self) -> Option<Server> {
        self.0.upgrade().map(Server::from_inner)
    }
}

impl Server {
    pub(crate) fn downgrade(&self) -> WeakServer {
        WeakServer(Arc::downgrade(&self.inner))
    }

    /// Replaces the components `owned` by a source with `new`, in one update of the catalog,
    /// and tells clients about each list that changed. A name a component of this binary (or of
    /// another source) already uses is left to it, with a warning.
    pub(crate) async fn sync_source(&self, owned: &mut Owned, new: SourceComponents) {
        let mut changed: Vec<&str> = Vec::new();
        {
            let mut c = write(&self.inner.components);
            let mut tools = HashSet::new();
            let mut tools_changed = false;
            for t in new.tools {
                if !owned.tools.contains(&t.name) && c.tools.contains_key(&t.name) {
                    tracing::warn!(tool = %t.name, "a proxied tool's name is already served here; it is left out");
                    continue;
                }
                tools_changed |= c.tools.get(&t.name).is_none_or(|old| old.listing() != t.listing());
                tools.insert(t.name.clone());
                c.tools.insert(t.name.clone(), Arc::new(t));
            }
            for gone in owned.tools.difference(&tools) {
                tools_changed |= c.tools.shift_remove(gone).is_some();
            }
            owned.tools = tools;
            if tools_changed {
                changed.push("tools");
            }

            let mut prompts = HashSet::new();
            let mut prompts_changed = false;
            for p in new.prompts {
                if !owned.prompts.contains(&p.name) && c.prompts.contains_key(&p.name) {
                    tracing::warn!(prompt = %p.name, "a proxied prompt's name is already served here; it is left out");
                    continue;
                }
                prompts_changed |= c.prompts.get(&p.name).is_none_or(|old| old.listing() != p.listing());
                prompts.insert(p.name.clone());
                c.prompts.insert(p.name.clone(), p);
            }
            for gone in owned.prompts.difference(&prompts) {
                prompts_changed |= c.prompts.shift_remove(gone).is_some();
            }
            owned.prompts = prompts;
            if prompts_changed {
                changed.push("prompts");
            }

            let mut resources = HashSet::new();
            let mut resources_changed = false;
            for r in new.resources {
                let map = if r.is_template() { &mut c.templates } else { &mut c.resources };
                if !owned.resources.contains(&r.uri) && map.contains_key(&r.uri) {
                    tracing::warn!(uri = %r.uri, "a proxied resource's URI is already served here; it is left out");
                    continue;
                }
                resources_changed |= map.get(&r.uri).is_none_or(|old| old.listing() != r.listing());
                resources.insert(r.uri.clone());
                map.insert(r.uri.clone(), r);
            }
            for gone in owned.resources.difference(&resources) {
                resources_changed |=
                    c.resources.shift_remove(gone).is_some() || c.templates.shift_remove(gone).is_some();
            }
            owned.resources = resources;
            if resources_changed {
                changed.push("resources");
            }
        }
        for list in changed {
            self.notify_list_changed(list).await;
        }
    }
}
