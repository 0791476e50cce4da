//! Recipes in Markdown: front matter (title, tags), a `Servings` line, an
//! `## Ingredients` list and `## Directions`.

use std::path::Path;

use serde::Serialize;

use super::KnowledgeError;

#[derive(Debug, Clone, Serialize)]
pub struct Recipe {
    /// The file stem, e.g. `chicken-biryani`.
    pub id: String,
    pub title: String,
    pub tags: Vec<String>,
    /// Servings the quantities are written for, when the recipe says.
    pub servings: Option<u32>,
    /// Ingredient lines as written ("400gm Basmati Rice"); parsed later by the assistant.
    pub ingredients: Vec<String>,
    pub directions: String,
}

pub(crate) fn load_dir(dir: &Path) -> Result<Vec<Recipe>, KnowledgeError> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| KnowledgeError::new(dir, None, None, e.to_string()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|x| x == "md")
                && p.file_name().is_some_and(|n| n != "LICENSE.md")
        })
        .collect();
    files.sort();
    let mut out = Vec::with_capacity(files.len());
    for path in files {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| KnowledgeError::new(&path, None, None, e.to_string()))?;
        out.push(parse(&path, &text)?);
    }
    if out.is_empty() {
        return Err(KnowledgeError::new(dir, None, None, "no recipes found"));
    }
    Ok(out)
}

pub(crate) fn parse(path: &Path, text: &str) -> Result<Recipe, KnowledgeError> {
    let err = |line: usize, field: &str, msg: &str| {
        KnowledgeError::new(path, Some(line), Some(field), msg)
    };
    let mut lines = text.lines().enumerate();
    if lines.next().map(|(_, l)| l.trim()) != Some("---") {
        return Err(err(
            1,
            "front matter",
            "recipe must start with a `---` front matter block",
        ));
    }
    let (mut title, mut tags) = (None, Vec::new());
    let mut closed = false;
    for (_, line) in lines.by_ref() {
        if line.trim() == "---" {
            closed = true;
            break;
        }
        if let Some(v) = line.strip_prefix("title:") {
            title = Some(v.trim().trim_matches(['"', '\'']).to_string());
        } else if let Some(v) = line.strip_prefix("tags:") {
            tags = v
                .trim()
                .trim_matches(['[', ']'])
                .split(',')
                .map(|t| t.trim().trim_matches(['"', '\'']).to_string())
                .filter(|t| !t.is_empty())
                .collect();
        }
    }
    if !closed {
        return Err(err(
            1,
            "front matter",
            "front matter is not closed with `---`",
        ));
    }
    let title = title
        .filter(|t| !t.is_empty())
        .ok_or_else(|| err(1, "title", "missing title"))?;

    let (mut servings, mut ingredients, mut directions) = (None, Vec::new(), String::new());
    let mut section = "";
    let mut ingredients_line = 0;
    for (i, line) in lines {
        let trimmed = line.trim();
        if let Some(h) = trimmed.strip_prefix("## ") {
            section = if h.to_lowercase().starts_with("ingredient") {
                ingredients_line = i + 1;
                "ingredients"
            } else if h.to_lowercase().starts_with("direction")
                || h.to_lowercase().starts_with("instruction")
            {
                "directions"
            } else {
                "other"
            };
            continue;
        }
        if servings.is_none() {
            if let Some(pos) = trimmed.find("Servings:") {
                servings = trimmed[pos + "Servings:".len()..]
                    .trim()
                    .split(|c: char| !c.is_ascii_digit())
                    .next()
                    .and_then(|n| n.parse().ok());
            }
        }
        match section {
            "ingredients" => {
                if let Some(item) = list_item(trimmed) {
                    ingredients.push(strip_links(item));
                }
            }
            "directions" if !trimmed.is_empty() => {
                directions.push_str(trimmed);
                directions.push('\n');
            }
            _ => {}
        }
    }
    if ingredients.is_empty() {
        return Err(err(
            ingredients_line.max(1),
            "ingredients",
            "no `-` ingredient lines under `## Ingredients`",
        ));
    }
    let id = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_string();
    Ok(Recipe {
        id,
        title,
        tags,
        servings,
        ingredients,
        directions,
    })
}

/// A Markdown bullet (`-`, `*` or `+` then whitespace, tabs included) without its marker.
fn list_item(line: &str) -> Option<&str> {
    let rest = line.strip_prefix(['-', '*', '+'])?;
    rest.starts_with(char::is_whitespace)
        .then(|| rest.trim())
        .filter(|r| !r.is_empty())
}

/// "1 tbsp [garam masala](/garam-masala)" -> "1 tbsp garam masala".
fn strip_links(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(open) = rest.find('[') {
        let Some(close) = rest[open..].find("](").map(|c| open + c) else {
            break;
        };
        let Some(end) = rest[close..].find(')').map(|e| close + e) else {
            break;
        };
        out.push_str(&rest[..open]);
        out.push_str(&rest[open + 1..close]);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_front_matter_servings_and_ingredients() {
        let text = "---\ntitle: \"Dal\"\ntags: ['veg', 'indian']\n---\n\n- 🍽️ Servings: 4-6\n\n## Ingredients\n\n- 1 cup toor dal\n- 1 tbsp [garam masala](/garam-masala)\n\n## Directions\n\n1. Cook.\n";
        let r = parse(Path::new("dal.md"), text).unwrap();
        assert_eq!(r.id, "dal");
        assert_eq!(r.title, "Dal");
        assert_eq!(r.tags, vec!["veg", "indian"]);
        assert_eq!(r.servings, Some(4));
        assert_eq!(r.ingredients, vec!["1 cup toor dal", "1 tbsp garam masala"]);
        assert_eq!(r.directions, "1. Cook.\n");
    }

    #[test]
    fn missing_title_names_the_field() {
        let e = parse(
            Path::new("x.md"),
            "---\ntags: []\n---\n## Ingredients\n- salt\n",
        )
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("title"));
    }

    #[test]
    fn recipe_without_ingredients_is_rejected() {
        let e = parse(
            Path::new("x.md"),
            "---\ntitle: X\n---\n## Ingredients\n\n## Directions\nstir\n",
        )
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("ingredients"));
        assert_eq!(e.line, Some(4));
    }
}
