//! JSON Lines reading with errors that name the line and the field.

use std::path::Path;

use serde::de::DeserializeOwned;

use super::KnowledgeError;

/// Reads one record per non-blank line, then runs `check` on each record.
pub(crate) fn read<T: DeserializeOwned>(
    path: &Path,
    check: fn(&T) -> Result<(), (String, String)>,
) -> Result<Vec<T>, KnowledgeError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| KnowledgeError::new(path, None, None, e.to_string()))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let lineno = Some(i + 1);
        let de = &mut serde_json::Deserializer::from_str(line);
        let record: T = serde_path_to_error::deserialize(de).map_err(|e| {
            let field = e.path().to_string();
            let field = (field != ".").then_some(field);
            let inner = e.into_inner();
            let message = strip_position(&inner.to_string());
            let field = field.or_else(|| missing_field(&message));
            KnowledgeError::new(path, lineno, field.as_deref(), message)
        })?;
        check(&record)
            .map_err(|(field, msg)| KnowledgeError::new(path, lineno, Some(&field), msg))?;
        out.push(record);
    }
    if out.is_empty() {
        return Err(KnowledgeError::new(path, None, None, "file has no records"));
    }
    Ok(out)
}

/// serde_json appends "at line 1 column N"; the line is ours to report.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

fn missing_field(msg: &str) -> Option<String> {
    let rest = msg.strip_prefix("missing field `")?;
    Some(rest[..rest.find('`')?].to_string())
}
