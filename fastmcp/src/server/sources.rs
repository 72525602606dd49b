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
    templates: HashSet<String>,
}

/// Replaces the entries of `map` that `owned` lists with `new` (leaving names others use to
/// them); whether anything a client sees changed.
fn sync_map<T>(
    map: &mut indexmap::IndexMap<String, T>,
    owned: &mut HashSet<String>,
    new: impl Iterator<Item = (String, T)>,
    listing: impl Fn(&T) -> Value,
    kind: &str,
) -> bool {
    let mut kept = HashSet::new();
    let mut changed = false;
    for (name, item) in new {
        if !owned.contains(&name) && map.contains_key(&name) {
            tracing::warn!(kind, name = %name, "a proxied component's name is already served here; it is left out");
            continue;
        }
        changed |= map.get(&name).is_none_or(|old| listing(old) != listing(&item));
        kept.insert(name.clone());
        map.insert(name, item);
    }
    for gone in owned.difference(&kept) {
        changed |= map.shift_remove(gone).is_some();
    }
    *owned = kept;
    changed
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
            let tools = new.tools.into_iter().map(|t| (t.name.clone(), Arc::new(t)));
            if sync_map(&mut c.tools, &mut owned.tools, tools, |t| t.listing().clone(), "tool") {
                changed.push("tools");
            }
            let prompts = new.prompts.into_iter().map(|p| (p.name.clone(), p));
            if sync_map(&mut c.prompts, &mut owned.prompts, prompts, Prompt::listing, "prompt") {
                changed.push("prompts");
            }

            let (templates, statics): (Vec<_>, Vec<_>) = new.resources.into_iter().partition(|r| r.is_template());
            let statics = statics.into_iter().map(|r| (r.uri.clone(), r));
            let templates = templates.into_iter().map(|r| (r.uri.clone(), r));
            let resources_changed =
                sync_map(&mut c.resources, &mut owned.resources, statics, Resource::listing, "resource")
                    | sync_map(
                        &mut c.templates,
                        &mut owned.templates,
                        templates,
                        Resource::listing,
                        "resource template",
                    );
            if resources_changed {
                changed.push("resources");
            }
        }
        for list in changed {
            self.notify_list_changed(list).await;
        }
    }
}
