//! A notes server written with the whole DSL: inline argument defaults, a struct as the whole
//! input, destructured `State`, schema constraints that are enforced, a resource that says
//! "not found", and state shared with the lifespan's teardown.
//!
//!     cargo run -p fastmcp-examples --bin notes                            # serve MCP on stdio
//!     FASTMCP_MANIFEST=markdown cargo run -p fastmcp-examples --bin notes  # its reference, in Markdown
//!     FASTMCP_MANIFEST=json cargo run -p fastmcp-examples --bin notes      # its manifest (MCP list shapes)
//!     FASTMCP_MANIFEST=fastmcp cargo run -p fastmcp-examples --bin notes   # as `fastmcp inspect --format fastmcp`

use fastmcp::prelude::*;
use std::sync::{Arc, Mutex};

/// The notes, in memory.
#[derive(Default)]
struct Notebook {
    notes: Mutex<Vec<String>>,
}

/// What `add_note` takes.
#[derive(serde::Deserialize, schemars::JsonSchema)]
struct NewNote {
    /// The text of the note.
    #[schemars(length(min = 1, max = 2000))]
    text: String,
    /// Pin it to the top.
    #[serde(default)]
    pinned: bool,
}

/// Adds a note and returns its id.
#[tool(tags("write"))]
fn add_note(Args(note): Args<NewNote>, State(book): State<Notebook>) -> usize {
    let mut notes = book.notes.lock().unwrap_or_else(|e| e.into_inner());
    if note.pinned {
        notes.insert(0, note.text);
        0
    } else {
        notes.push(note.text);
        notes.len() - 1
    }
}

/// Lists notes, newest last.
#[tool(read_only, tags("read"))]
fn list_notes(
    /// How many notes, at most.
    #[arg(default = 10)]
    #[schemars(range(min = 1, max = 100))]
    limit: u32,
    /// Only notes containing this text.
    contains: Option<String>,
    State(book): State<Notebook>,
) -> Vec<String> {
    let notes = book.notes.lock().unwrap_or_else(|e| e.into_inner());
    notes.iter().filter(|n| contains.as_deref().is_none_or(|c| n.contains(c))).take(limit as usize).cloned().collect()
}

/// One note by id.
#[resource("notes://{id}", mime_type = "text/plain")]
fn note(id: usize, State(book): State<Notebook>) -> Result<String, ErrorObject> {
    let notes = book.notes.lock().unwrap_or_else(|e| e.into_inner());
    notes.get(id).cloned().ok_or_else(|| ErrorObject::resource_not_found(&format!("notes://{id}")))
}

/// Asks the model to summarise the notes.
#[prompt]
fn summarize(
    /// The tone of the summary.
    #[arg(default = "neutral")]
    tone: String,
    State(book): State<Notebook>,
) -> String {
    let notes = book.notes.lock().unwrap_or_else(|e| e.into_inner());
    format!("Summarise these notes in a {tone} tone:\n- {}", notes.join("\n- "))
}

#[tokio::main]
async fn main() -> Result<(), fastmcp::ServerError> {
    fastmcp::logging::init();
    FastMcp::new("notes")
        .version("1.0.0")
        .instructions("Keeps short notes in memory.")
        .lifespan(|| async {
            let book = Arc::new(Notebook::default());
            let closing = book.clone();
            Ok::<_, std::io::Error>(Lifespan::new().with_shared_state(book).on_shutdown(move || async move {
                let count = closing.notes.lock().map(|n| n.len()).unwrap_or(0);
                tracing::info!(count, "notes dropped at shutdown");
            }))
        })
        .run_stdio()
        .await
}
