//! Product options: the groups a product declares (size, milk, shots,
//! crust, toppings...), and the one function that turns what a customer
//! asked for into a complete, priced choice. Cart, checkout, orders, the API
//! and the chat all go through [`resolve`], so a choice is valid everywhere
//! or nowhere.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::{Check, Product};

/// One group of choices on a product. `min` = 0 makes it optional (add-ons
/// such as syrups); `min` >= 1 with no `default` makes it a question the
/// customer must answer ("What size?").
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionGroup {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub min: u32,
    pub max: u32,
    #[serde(default)]
    pub default: Vec<String>,
    pub choices: Vec<OptionChoice>,
    /// What customers call the whole group ("syrups", "sweeteners"), for
    /// "what syrups do you have?".
    #[serde(default)]
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionChoice {
    pub id: String,
    pub name: String,
    /// Added to the product's price per unit; negative for a smaller size.
    #[serde(default)]
    pub price_minor: i64,
    /// Other ways the catalog names this choice ("venti", "skim").
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// What was asked for: group id -> choice ids. Groups left out take their default.
pub type Selection = BTreeMap<String, Vec<String>>;

/// Options as clients send them: each group names one choice or a list
/// (`{"size": "large", "addons": ["caramel", "vanilla"]}`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Asked(pub Selection);

impl<'de> Deserialize<'de> for Asked {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Choices {
            One(String),
            Many(Vec<String>),
        }
        let m = BTreeMap::<String, Choices>::deserialize(d)?;
        Ok(Asked(
            m.into_iter()
                .map(|(g, c)| {
                    let cs = match c {
                        Choices::One(c) => vec![c],
                        Choices::Many(cs) => cs,
                    };
                    (g, cs)
                })
                .collect(),
        ))
    }
}

/// One chosen choice, priced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Picked {
    pub group: String,
    pub choice: String,
    pub name: String,
    pub price_minor: i64,
    /// False when this is what the product comes with anyway.
    pub chosen: bool,
}

/// A complete choice for one product: every group filled, defaults included.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Chosen {
    pub picks: Vec<Picked>,
}

impl Chosen {
    pub fn delta_minor(&self) -> i64 {
        self.picks.iter().map(|p| p.price_minor).sum()
    }

    /// The canonical text form stored with a cart or order line:
    /// `milk=oat;shots=double;syrup=caramel+vanilla`, groups and choices in
    /// catalog order; empty for a product without options.
    pub fn key(&self) -> String {
        let mut groups: Vec<(String, Vec<&str>)> = Vec::new();
        for p in &self.picks {
            match groups.last_mut() {
                Some((g, cs)) if *g == p.group => cs.push(&p.choice),
                _ => groups.push((p.group.clone(), vec![&p.choice])),
            }
        }
        groups
            .iter()
            .map(|(g, cs)| format!("{g}={}", cs.join("+")))
            .collect::<Vec<_>>()
            .join(";")
    }

    /// What differs from the product as it comes ("Large, Oat milk, Caramel sauce").
    pub fn label(&self) -> String {
        self.picks
            .iter()
            .filter(|p| p.chosen)
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn selection(&self) -> Selection {
        let mut s = Selection::new();
        for p in &self.picks {
            s.entry(p.group.clone()).or_default().push(p.choice.clone());
        }
        s
    }
}

/// Parses [`Chosen::key`] back into a selection.
pub fn parse_key(key: &str) -> Selection {
    key.split(';')
        .filter_map(|g| g.split_once('='))
        .map(|(g, cs)| {
            (
                g.to_string(),
                cs.split('+')
                    .filter(|c| !c.is_empty())
                    .map(str::to_string)
                    .collect(),
            )
        })
        .collect()
}

/// Why a selection does not fit a product; `field()` names the option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptionError {
    UnknownGroup {
        group: String,
    },
    UnknownChoice {
        group: String,
        choice: String,
    },
    TooMany {
        group: String,
        max: u32,
    },
    TooFew {
        group: String,
        min: u32,
    },
    /// A group with no default that the customer must choose.
    Required {
        group: String,
    },
}

impl OptionError {
    pub fn field(&self) -> String {
        let (Self::UnknownGroup { group }
        | Self::UnknownChoice { group, .. }
        | Self::TooMany { group, .. }
        | Self::TooFew { group, .. }
        | Self::Required { group }) = self;
        format!("options.{group}")
    }
}

impl fmt::Display for OptionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownGroup { group } => write!(f, "this product has no option `{group}`"),
            Self::UnknownChoice { group, choice } => {
                write!(f, "`{choice}` is not a choice of `{group}`")
            }
            Self::TooMany { group, max } => write!(f, "at most {max} choices of `{group}`"),
            Self::TooFew { group, min } => write!(f, "at least {min} choices of `{group}`"),
            Self::Required { group } => write!(f, "`{group}` must be chosen"),
        }
    }
}

/// Fills `asked` up with the product's defaults and prices it.
pub fn resolve(p: &Product, asked: &Selection) -> Result<Chosen, OptionError> {
    if let Some(g) = asked
        .keys()
        .find(|g| !p.options.iter().any(|o| &o.id == *g))
    {
        return Err(OptionError::UnknownGroup { group: g.clone() });
    }
    let mut picks = Vec::new();
    for g in &p.options {
        let (ids, chosen): (&[String], bool) = match asked.get(&g.id) {
            Some(ids) => (ids, true),
            None if g.default.len() < g.min as usize => {
                return Err(OptionError::Required {
                    group: g.id.clone(),
                })
            }
            None => (&g.default, false),
        };
        if let Some(c) = ids.iter().find(|c| !g.choices.iter().any(|x| &x.id == *c)) {
            return Err(OptionError::UnknownChoice {
                group: g.id.clone(),
                choice: c.clone(),
            });
        }
        // Catalog order, each choice once, so equal selections give equal keys.
        let these: Vec<&OptionChoice> = g.choices.iter().filter(|c| ids.contains(&c.id)).collect();
        if these.len() > g.max as usize {
            return Err(OptionError::TooMany {
                group: g.id.clone(),
                max: g.max,
            });
        }
        if these.len() < g.min as usize {
            return Err(OptionError::TooFew {
                group: g.id.clone(),
                min: g.min,
            });
        }
        for c in these {
            picks.push(Picked {
                group: g.id.clone(),
                choice: c.id.clone(),
                name: c.name.clone(),
                price_minor: c.price_minor,
                chosen: chosen && !g.default.contains(&c.id),
            });
        }
    }
    Ok(Chosen { picks })
}

fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Field checks of a product's option groups, named like `options[1].default`.
pub(super) fn check(c: &mut Check, p: &Product) {
    for (i, g) in p.options.iter().enumerate() {
        let at = |f: &str| format!("options[{i}].{f}");
        if !is_slug(&g.id) {
            c.fail(
                &at("id"),
                format!("`{}` must be lowercase a-z, 0-9 and -", g.id),
            );
        }
        if p.options[..i].iter().any(|o| o.id == g.id) {
            c.fail(&at("id"), format!("option `{}` is declared twice", g.id));
        }
        c.non_empty(&at("name"), &g.name);
        if g.choices.is_empty() {
            c.fail(&at("choices"), "needs at least one choice".into());
        }
        if g.max == 0 || g.max as usize > g.choices.len() || g.min > g.max {
            c.fail(
                &at("max"),
                format!(
                    "min {} and max {} must satisfy 0 <= min <= max <= {} choices, max >= 1",
                    g.min,
                    g.max,
                    g.choices.len()
                ),
            );
        }
        for d in &g.default {
            if !g.choices.iter().any(|x| &x.id == d) {
                c.fail(&at("default"), format!("`{d}` is not one of its choices"));
            }
        }
        if g.default.len() > g.max as usize
            || !g.default.is_empty() && g.default.len() < g.min as usize
        {
            c.fail(
                &at("default"),
                format!(
                    "{} defaults do not fit min {} max {}",
                    g.default.len(),
                    g.min,
                    g.max
                ),
            );
        }
        for (j, x) in g.choices.iter().enumerate() {
            let at = |f: &str| format!("options[{i}].choices[{j}].{f}");
            if !is_slug(&x.id) || g.choices[..j].iter().any(|y| y.id == x.id) {
                c.fail(
                    &at("id"),
                    format!("`{}` must be a unique lowercase id", x.id),
                );
            }
            c.non_empty(&at("name"), &x.name);
            if p.price_minor + x.price_minor <= 0 {
                c.fail(
                    &at("price_minor"),
                    format!("{} would make the product free or negative", x.price_minor),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn latte() -> Product {
        serde_json::from_value(serde_json::json!({
            "id": "p-1", "merchant_id": "m", "title": "Latte", "description": "", "department": "Cafe",
            "category": "Coffee", "price_minor": 18900, "pack_size": 1, "pack_unit": "pc", "tags": [],
            "stock": 5, "added": "2026-01-01",
            "options": [
                {"id": "size", "name": "Size", "min": 1, "max": 1, "default": ["medium"], "choices": [
                    {"id": "small", "name": "Small", "price_minor": -2000},
                    {"id": "medium", "name": "Medium"},
                    {"id": "large", "name": "Large", "price_minor": 5000}]},
                {"id": "syrup", "name": "Syrups", "max": 2, "choices": [
                    {"id": "vanilla", "name": "Vanilla syrup", "price_minor": 3000},
                    {"id": "caramel", "name": "Caramel sauce", "price_minor": 3000},
                    {"id": "hazelnut", "name": "Hazelnut syrup", "price_minor": 3000}]},
                {"id": "crust", "name": "Crust", "min": 1, "max": 1, "choices": [
                    {"id": "thin", "name": "Thin"}]}
            ]
        }))
        .unwrap()
    }

    fn sel(pairs: &[(&str, &[&str])]) -> Selection {
        pairs
            .iter()
            .map(|(g, cs)| (g.to_string(), cs.iter().map(|c| c.to_string()).collect()))
            .collect()
    }

    #[test]
    fn defaults_fill_in_and_keys_are_canonical() {
        let p = latte();
        let a = resolve(
            &p,
            &sel(&[("syrup", &["hazelnut", "vanilla"]), ("crust", &["thin"])]),
        )
        .unwrap();
        assert_eq!(
            a.key(),
            "size=medium;syrup=vanilla+hazelnut;crust=thin",
            "defaults included, catalog order"
        );
        assert_eq!(a.delta_minor(), 6000);
        assert_eq!(a.label(), "Vanilla syrup, Hazelnut syrup, Thin");
        assert_eq!(resolve(&p, &parse_key(&a.key())).unwrap().key(), a.key());
        let b = resolve(&p, &sel(&[("size", &["small"]), ("crust", &["thin"])])).unwrap();
        assert_eq!(b.delta_minor(), -2000);
        assert_eq!(b.label(), "Small, Thin");
    }

    #[test]
    fn bad_selections_name_the_option() {
        let p = latte();
        let e = resolve(&p, &sel(&[("size", &["large"])])).unwrap_err();
        assert_eq!(
            e,
            OptionError::Required {
                group: "crust".into()
            }
        );
        assert_eq!(e.field(), "options.crust");
        let thin = ("crust", &["thin"][..]);
        let e = resolve(&p, &sel(&[("milk", &["oat"]), thin])).unwrap_err();
        assert_eq!(e.field(), "options.milk");
        let e = resolve(&p, &sel(&[("size", &["venti"]), thin])).unwrap_err();
        assert!(matches!(e, OptionError::UnknownChoice { .. }), "{e}");
        let e = resolve(&p, &sel(&[("size", &["large", "small"]), thin])).unwrap_err();
        assert!(matches!(e, OptionError::TooMany { max: 1, .. }), "{e}");
        let e = resolve(
            &p,
            &sel(&[("syrup", &["vanilla", "caramel", "hazelnut"]), thin]),
        )
        .unwrap_err();
        assert!(matches!(e, OptionError::TooMany { max: 2, .. }), "{e}");
        let e = resolve(&p, &sel(&[("size", &[]), thin])).unwrap_err();
        assert!(matches!(e, OptionError::TooFew { min: 1, .. }), "{e}");
    }

    #[test]
    fn catalog_checks_name_the_field() {
        let mut p = latte();
        p.options[0].default = vec!["huge".into()];
        let mut c = Check::new();
        check(&mut c, &p);
        assert_eq!(c.finish().unwrap_err().0, "options[0].default");
        let mut p = latte();
        p.options[1].choices[0].price_minor = -20000;
        let mut c = Check::new();
        check(&mut c, &p);
        assert_eq!(
            c.finish().unwrap_err().0,
            "options[1].choices[0].price_minor"
        );
    }
}
