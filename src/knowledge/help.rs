//! Help articles: TOML front matter between `+++` lines (id, title, audience,
//! tags, and a `[policy]` table of the facts agents act on), then Markdown.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::KnowledgeError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Audience {
    Customer,
    Agent,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    id: String,
    title: String,
    audience: Audience,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    policy: toml::Table,
}

#[derive(Debug, Clone, Serialize)]
pub struct HelpArticle {
    pub id: String,
    pub title: String,
    pub audience: Audience,
    pub tags: Vec<String>,
    /// Policy facts (limits, amounts, time windows) as typed values.
    pub policy: serde_json::Value,
    pub body: String,
}

pub(crate) fn load_dir(dir: &Path) -> Result<Vec<HelpArticle>, KnowledgeError> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| KnowledgeError::new(dir, None, None, e.to_string()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    files.sort();
    let mut out = Vec::with_capacity(files.len());
    for path in files {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| KnowledgeError::new(&path, None, None, e.to_string()))?;
        out.push(parse(&path, &text)?);
    }
    if out.is_empty() {
        return Err(KnowledgeError::new(
            dir,
            None,
            None,
            "no help articles found",
        ));
    }
    Ok(out)
}

pub(crate) fn parse(path: &Path, text: &str) -> Result<HelpArticle, KnowledgeError> {
    let rest = text.strip_prefix("+++\n").ok_or_else(|| {
        KnowledgeError::new(
            path,
            Some(1),
            Some("front matter"),
            "article must start with `+++`",
        )
    })?;
    let end = rest.find("\n+++").ok_or_else(|| {
        KnowledgeError::new(
            path,
            Some(1),
            Some("front matter"),
            "front matter is not closed with `+++`",
        )
    })?;
    let front = &rest[..end + 1];
    let body = rest[end + 4..].trim().to_string();
    let fm: FrontMatter = toml::from_str(front).map_err(|e| {
        // toml spans are byte offsets into the front matter; line 1 is the opening `+++`.
        let line = e
            .span()
            .map(|s| front[..s.start].lines().count().max(1) + 1);
        let msg = e.message().to_string();
        let field = msg.split('`').nth(1).map(str::to_string);
        KnowledgeError::new(path, line, field.as_deref(), msg)
    })?;
    for (field, value) in [("id", &fm.id), ("title", &fm.title)] {
        if value.trim().is_empty() {
            return Err(KnowledgeError::new(
                path,
                None,
                Some(field),
                "must not be empty",
            ));
        }
    }
    if body.is_empty() {
        return Err(KnowledgeError::new(
            path,
            None,
            Some("body"),
            "article has no text",
        ));
    }
    let policy = serde_json::to_value(&fm.policy)
        .map_err(|e| KnowledgeError::new(path, None, Some("policy"), e.to_string()))?;
    Ok(HelpArticle {
        id: fm.id,
        title: fm.title,
        audience: fm.audience,
        tags: fm.tags,
        policy,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_policy_facts() {
        let text = "+++\nid = \"help-x\"\ntitle = \"X\"\naudience = \"agent\"\n[policy]\nmax_reblasts = 3\n+++\n\n# X\nBody.\n";
        let a = parse(Path::new("x.md"), text).unwrap();
        assert_eq!(a.audience, Audience::Agent);
        assert_eq!(a.policy["max_reblasts"], 3);
        assert!(a.body.ends_with("Body."));
    }

    #[test]
    fn bad_audience_names_the_line() {
        let text = "+++\nid = \"help-x\"\ntitle = \"X\"\naudience = \"robots\"\n+++\nBody\n";
        let e = parse(Path::new("x.md"), text).unwrap_err();
        assert_eq!(e.line, Some(4), "{e}");
        assert!(e.message.contains("unknown variant"), "{e}");
    }
}
