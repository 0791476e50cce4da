//! Tools are data: one JSON schema per tool in `tools/`, each bound to one
//! handler in `handlers.rs`. Every call, whoever proposes it (a flow or a
//! model), is validated against its schema here before anything runs.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use serde_json::Value;

pub use crate::llm::ToolSpec;

pub struct Tools {
    specs: BTreeMap<String, ToolSpec>,
    meta: BTreeMap<String, Meta>,
}

/// What a tool file says besides its schema.
#[derive(Debug, Default, Clone, serde::Deserialize)]
struct Meta {
    /// A write that spends money or cannot be undone: it runs only after the
    /// customer has seen its exact terms and said yes.
    #[serde(default)]
    confirm: bool,
    /// Where besides the chat's flows the tool is offered (`mcp`).
    #[serde(default)]
    surfaces: Vec<String>,
}

#[derive(serde::Deserialize)]
struct ToolFile {
    #[serde(flatten)]
    spec: ToolSpec,
    #[serde(flatten)]
    meta: Meta,
}

impl Tools {
    pub fn load(dir: &Path) -> anyhow::Result<Tools> {
        let mut specs = BTreeMap::new();
        let mut meta = BTreeMap::new();
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        for f in files {
            let text = std::fs::read_to_string(&f)?;
            let ToolFile { spec, meta: m }: ToolFile =
                serde_json::from_str(&text).with_context(|| format!("parsing {}", f.display()))?;
            anyhow::ensure!(
                super::handlers::is_bound(&spec.name),
                "{}: tool `{}` has no handler",
                f.display(),
                spec.name
            );
            meta.insert(spec.name.clone(), m);
            specs.insert(spec.name.clone(), spec);
        }
        for name in super::handlers::BOUND {
            anyhow::ensure!(
                specs.contains_key(*name),
                "handler `{name}` has no schema in {}",
                dir.display()
            );
        }
        Ok(Tools { specs, meta })
    }

    pub fn specs(&self) -> impl Iterator<Item = &ToolSpec> {
        self.specs.values()
    }

    /// The tools offered on `surface` (e.g. `mcp`), those needing a yes included.
    pub fn on<'a>(&'a self, surface: &'a str) -> impl Iterator<Item = &'a ToolSpec> + 'a {
        self.specs
            .values()
            .filter(move |s| self.meta[&s.name].surfaces.iter().any(|x| x == surface))
    }

    /// Whether `name` is a write that runs only after a yes to its terms.
    pub fn needs_yes(&self, name: &str) -> bool {
        self.meta.get(name).is_some_and(|m| m.confirm)
    }

    pub fn spec(&self, name: &str) -> Option<&ToolSpec> {
        self.specs.get(name)
    }

    /// Checks `args` against the tool's schema; the error names the field.
    pub fn validate(&self, name: &str, args: &Value) -> Result<(), String> {
        let spec = self
            .specs
            .get(name)
            .ok_or_else(|| format!("unknown tool `{name}`"))?;
        check(&spec.parameters, args, "arguments")
    }
}

/// The JSON Schema subset our tool files use: type, properties, required,
/// additionalProperties (false or a schema for the values), enum, minimum,
/// maximum, maxLength, maxItems, items.
fn check(schema: &Value, v: &Value, at: &str) -> Result<(), String> {
    let ty = schema.get("type").and_then(Value::as_str).unwrap_or("any");
    let ok = match ty {
        "object" => v.is_object(),
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "array" => v.is_array(),
        _ => true,
    };
    if !ok {
        return Err(format!("{at} must be {ty}"));
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array) {
        if !options.contains(v) {
            return Err(format!(
                "{at} must be one of {}",
                Value::Array(options.clone())
            ));
        }
    }
    if let (Some(min), Some(n)) = (schema.get("minimum").and_then(Value::as_i64), v.as_i64()) {
        if n < min {
            return Err(format!("{at} must be at least {min}"));
        }
    }
    if let (Some(max), Some(n)) = (schema.get("maximum").and_then(Value::as_i64), v.as_i64()) {
        if n > max {
            return Err(format!("{at} must be at most {max}"));
        }
    }
    if let (Some(max), Some(s)) = (schema.get("maxLength").and_then(Value::as_u64), v.as_str()) {
        if s.chars().count() as u64 > max {
            return Err(format!("{at} is longer than {max} characters"));
        }
    }
    if let (Some(max), Some(arr)) = (schema.get("maxItems").and_then(Value::as_u64), v.as_array()) {
        if arr.len() as u64 > max {
            return Err(format!("{at} has more than {max} items"));
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), v.as_array()) {
        for (i, item) in arr.iter().enumerate() {
            check(items, item, &format!("{at}[{i}]"))?;
        }
    }
    if let Some(obj) = v.as_object() {
        let props = schema.get("properties").and_then(Value::as_object);
        for req in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !obj.contains_key(req) {
                return Err(format!("{at}.{req} is required"));
            }
        }
        for (key, value) in obj {
            match (
                props.and_then(|p| p.get(key)),
                schema.get("additionalProperties"),
            ) {
                (Some(s), _) => check(s, value, &format!("{at}.{key}"))?,
                (None, Some(Value::Bool(false))) => {
                    return Err(format!("{at}.{key} is not a parameter of this tool"))
                }
                (None, Some(s)) if s.is_object() => check(s, value, &format!("{at}.{key}"))?,
                (None, _) => {}
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_tool_file_loads_and_validation_names_the_field() {
        let tools = Tools::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tools")).unwrap();
        assert!(tools
            .validate("add_to_cart", &json!({"product_id": "p-1", "quantity": 2}))
            .is_ok());
        let e = tools
            .validate("add_to_cart", &json!({"product_id": "p-1", "quantity": 0}))
            .unwrap_err();
        assert!(e.contains("quantity") && e.contains("at least 1"), "{e}");
        let e = tools
            .validate("add_to_cart", &json!({"product_id": "p-1"}))
            .unwrap_err();
        assert!(e.contains("quantity is required"), "{e}");
        let e = tools
            .validate("view_cart", &json!({"customer_id": "c-0002"}))
            .unwrap_err();
        assert!(e.contains("not a parameter"), "{e}");
        let e = tools
            .validate(
                "quote_ride",
                &json!({"from": "a", "to": "b", "ride_type": "rocket"}),
            )
            .unwrap_err();
        assert!(e.contains("ride_type"), "{e}");
        assert!(tools.validate("transfer_money", &json!({})).is_err());
    }
}
