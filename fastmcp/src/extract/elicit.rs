//! Typed elicitation: the form's `requestedSchema` generated from a Rust type, the answer
//! decoded into it; and URL-mode elicitation (2025-11-25), where the user goes to a URL.

use super::{ClientRequestError, Context};
use crate::protocol::{ElicitAction, ElicitResult};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

/// What the user did with a typed form.
#[derive(Debug, Clone, PartialEq)]
pub enum Elicitation<T> {
    /// The user answered; the answer decoded into `T`.
    Accept(T),
    /// The user said no.
    Decline,
    /// The user dismissed the request.
    Cancel,
}

/// What the user did with a URL-mode request.
#[derive(Debug, Clone, PartialEq)]
pub struct UrlElicitation {
    /// The id sent with the request; [`Context::elicitation_complete`] names it when the
    /// out-of-band interaction is done.
    pub elicitation_id: String,
    /// Accept means the user agreed to open the URL (not that the interaction there is done).
    pub action: ElicitAction,
}

/// The `requestedSchema` for `T`: a flat object whose properties are strings, numbers,
/// integers, booleans, string enums or arrays of string enums (what the spec allows).
/// `Option<_>` fields are optional.
pub fn requested_schema<T: JsonSchema>() -> Result<Value, String> {
    let mut settings = schemars::generate::SchemaSettings::draft2020_12();
    settings.inline_subschemas = true;
    let schema = settings.into_generator().into_root_schema_for::<T>().to_value();
    if schema.get("type") != Some(&Value::from("object")) {
        return Err(format!("`{}` is not a struct: a form is a flat object", std::any::type_name::<T>()));
    }
    let mut properties = Map::new();
    for (name, prop) in schema.get("properties").and_then(Value::as_object).into_iter().flatten() {
        properties.insert(name.clone(), primitive(name, prop)?);
    }
    let mut out = json!({ "type": "object", "properties": properties });
    if let Some(required) = schema.get("required") {
        out["required"] = required.clone();
    }
    Ok(out)
}

/// One property as a primitive schema, or why it cannot be one.
fn primitive(name: &str, prop: &Value) -> Result<Value, String> {
    let mut p = prop.as_object().cloned().unwrap_or_default();
    // `Option<T>`: `"type": ["string", "null"]` -> `"string"` (absence is the null).
    if let Some(Value::Array(types)) = p.get("type") {
        let kept: Vec<&Value> = types.iter().filter(|t| *t != "null").collect();
        if kept.len() == 1 {
            let only = kept[0].clone();
            p.insert("type".into(), only);
        }
    }
    if let Some(Value::Array(options)) = p.get("anyOf").or_else(|| p.get("oneOf")) {
        let non_null: Vec<&Value> = options.iter().filter(|o| o.get("type") != Some(&Value::from("null"))).collect();
        if let [only] = non_null.as_slice() {
            let mut merged = only.as_object().cloned().unwrap_or_default();
            for key in ["title", "description", "default"] {
                if let Some(v) = p.get(key) {
                    merged.insert(key.into(), v.clone());
                }
            }
            p = merged;
        }
    }
    if let Some(Value::Array(values)) = p.get("enum") {
        let values: Vec<Value> = values.iter().filter(|v| !v.is_null()).cloned().collect();
        p.insert("enum".into(), Value::Array(values));
        p.insert("type".into(), Value::from("string"));
    }
    // Only the formats the spec lists survive (schemars adds `uint32` and the like).
    if let Some(format) = p.remove("format")
        && matches!(format.as_str(), Some("email" | "uri" | "date" | "date-time"))
    {
        p.insert("format".into(), format);
    }
    match p.get("type").and_then(Value::as_str) {
        Some("string" | "number" | "integer" | "boolean") => Ok(Value::Object(p)),
        Some("array") if p.get("items").and_then(|i| i.get("enum")).is_some() => Ok(Value::Object(p)),
        _ => Err(format!(
            "field `{name}` is not a primitive (string, number, integer, boolean or a string enum): \
             elicitation forms are flat"
        )),
    }
}

impl Context {
    /// Asks the user to fill in a form generated from `T` (`elicitation/create`, form mode) and
    /// decodes the answer: `Accept(T)`, `Decline` or `Cancel`.
    ///
    /// `T` must be a struct of primitives (`String`, numbers, `bool`, unit enums, `Option` of
    /// those, `Vec` of a unit enum); [`ClientRequestError::Decode`] says which field is not.
    pub async fn elicit_typed<T: JsonSchema + DeserializeOwned>(
        &self,
        message: impl Into<String>,
    ) -> Result<Elicitation<T>, ClientRequestError> {
        let schema = requested_schema::<T>().map_err(ClientRequestError::Decode)?;
        let ElicitResult { action, content } = self.elicit(message, schema).await?;
        Ok(match action {
            ElicitAction::Accept => {
                let content = Value::Object(content.unwrap_or_default());
                Elicitation::Accept(
                    serde_json::from_value(content).map_err(|e| ClientRequestError::Decode(e.to_string()))?,
                )
            }
            ElicitAction::Decline => Elicitation::Decline,
            ElicitAction::Cancel => Elicitation::Cancel,
        })
    }

    /// Asks the user to go to `url` (`elicitation/create`, URL mode, 2025-11-25): for
    /// interactions that must not pass through the client (credentials, payments). Needs the
    /// client's `elicitation.url` capability.
    pub async fn elicit_url(
        &self,
        message: impl Into<String>,
        url: impl Into<String>,
    ) -> Result<UrlElicitation, ClientRequestError> {
        if !self.inner.peer.has_client() {
            return Err(ClientRequestError::NoClient);
        }
        if self.client_capabilities().pointer("/elicitation/url").is_none() {
            self.inner.peer.missing_capability("elicitation");
            return Err(ClientRequestError::NotSupported("elicitation.url"));
        }
        let elicitation_id = uuid::Uuid::new_v4().to_string();
        let params =
            json!({ "mode": "url", "message": message.into(), "url": url.into(), "elicitationId": elicitation_id });
        let result: ElicitResult = self.request_as(None, "elicitation/create", params).await?;
        Ok(UrlElicitation { elicitation_id, action: result.action })
    }

    /// Tells the client the out-of-band interaction of a URL-mode elicitation is done
    /// (`notifications/elicitation/complete`).
    pub async fn elicitation_complete(&self, elicitation_id: &str) {
        self.send_notification("notifications/elicitation/complete", json!({ "elicitationId": elicitation_id })).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(JsonSchema, serde::Deserialize)]
    #[allow(dead_code)]
    enum Size {
        Small,
        Large,
    }

    #[derive(JsonSchema, serde::Deserialize)]
    #[allow(dead_code)]
    struct Order {
        /// Who orders.
        name: String,
        quantity: u32,
        size: Size,
        gift: Option<bool>,
    }

    #[derive(JsonSchema, serde::Deserialize)]
    #[allow(dead_code)]
    struct Nested {
        order: Order,
    }

    #[test]
    fn a_flat_struct_becomes_a_form() {
        let s = requested_schema::<Order>().unwrap();
        assert_eq!(s["properties"]["name"], json!({"type": "string", "description": "Who orders."}));
        assert_eq!(s["properties"]["size"]["enum"], json!(["Small", "Large"]));
        assert_eq!(s["properties"]["size"]["type"], "string");
        assert_eq!(s["properties"]["gift"]["type"], "boolean");
        assert_eq!(s["required"], json!(["name", "quantity", "size"]));
    }

    #[test]
    fn nested_objects_are_refused_with_the_field_name() {
        let e = requested_schema::<Nested>().unwrap_err();
        assert!(e.contains("`order`"), "{e}");
    }
}
