//! What the catalog calls things, for reading a list typed without commas
//! ("eggs bread" asks for eggs and for bread, while "milk bread" is one
//! product) and for knowing when a message names a store ("freshcart",
//! "slice republic", but not "biryani"). Built from the shipped data, so a
//! new category, product or merchant teaches it.

use std::collections::{HashMap, HashSet};

use crate::knowledge::Knowledge;

pub struct Lexicon {
    /// Kinds of product: the last word of each part of a category or
    /// department name ("Chips & Crisps" gives chips and crisps), singular.
    nouns: HashSet<String>,
    /// Product titles as " word word ", singular, for phrase lookups.
    titles: Vec<String>,
    /// What products are called, without store or pack size ("chai
    /// latte", "basmati rice"), as " word word ", singular, and how many
    /// products go by each.
    names: HashMap<String, usize>,
    /// How many products' names hold each word, singular ("xuan" names one
    /// tea, "tea" many), and the name of the last product holding it.
    word_uses: HashMap<String, (usize, String)>,
    /// Each merchant's id and the phrases that name it, as " word word ".
    merchants: Vec<(String, Vec<String>)>,
}

impl Lexicon {
    pub fn new(k: &Knowledge) -> Lexicon {
        let nouns = k
            .products
            .iter()
            .flat_map(|p| [p.category.as_str(), p.department.as_str()])
            .flat_map(|name| name.split(['&', ',']))
            .filter_map(|part| crate::agent::slots::words(part).pop())
            .map(|w| singular(&w))
            .collect();
        let titles: Vec<String> = k.products.iter().map(|p| padded(&p.title)).collect();
        let mut names: HashMap<String, usize> = HashMap::new();
        let mut word_uses: HashMap<String, (usize, String)> = HashMap::new();
        for p in &k.products {
            let name = padded(&super::basket::name_words(k, p));
            let words: HashSet<&str> = name.split_whitespace().collect();
            for w in words {
                let e = word_uses.entry(w.to_string()).or_default();
                *e = (e.0 + 1, name.clone());
            }
            if name.trim().len() >= 3 {
                *names.entry(name).or_default() += 1;
            }
        }
        // A store's first two words name it; its first word alone does when
        // no other store's product uses that word ("freshcart", not "slice").
        let merchants = k
            .merchants
            .iter()
            .map(|m| {
                let words = crate::agent::slots::words(&m.name);
                let mut names = vec![padded(
                    &words.iter().take(2).cloned().collect::<Vec<_>>().join(" "),
                )];
                let first = padded(&words[0]);
                let elsewhere = k
                    .products
                    .iter()
                    .zip(&titles)
                    .any(|(p, t)| p.merchant_id != m.id && t.contains(&first));
                if words[0].len() >= 4 && !elsewhere {
                    names.push(first);
                }
                (m.id.clone(), names)
            })
            .collect();
        Lexicon {
            nouns,
            titles,
            names,
            word_uses,
            merchants,
        }
    }

    /// The name of the one product whose name holds `word`.
    fn named_by(&self, word: &str) -> Option<&str> {
        match self.word_uses.get(&singular(word)) {
            Some((1, name)) if word.len() >= 3 => Some(name.as_str()),
            _ => None,
        }
    }

    /// The name `text` points at without saying it whole: two words of it
    /// in a row, one of them in no other product's name ("a jin xuan",
    /// "the oolong tea", "a cloud and mist tea"), before any "for" (what
    /// follows says what it is for: "snacks for a rainy day").
    pub fn product_hinted(&self, text: &str) -> Option<&str> {
        let padded = padded(text);
        let words: Vec<&str> = padded
            .split_whitespace()
            .take_while(|w| *w != "for")
            .collect();
        words.windows(2).find_map(|pair| {
            pair.iter().find_map(|w| self.named_by(w)).filter(|name| {
                pair.iter()
                    .all(|w| name.split_whitespace().any(|n| n == *w))
            })
        })
    }

    /// Whether `text` names a kind of product ("eggs", "chips") or says a
    /// word of some product's name ("atta", "biryani").
    pub fn names_kind(&self, text: &str) -> bool {
        crate::agent::slots::words(text).iter().any(|w| {
            let w = singular(w);
            self.nouns.contains(&w) || w.len() >= 4 && self.word_uses.contains_key(&w)
        })
    }

    /// Whether `word` is a kind of product ("pizza", "drinks").
    pub fn is_kind(&self, word: &str) -> bool {
        self.nouns.contains(&singular(word))
    }

    /// The products going by `name` (as [`Self::product_named`] gives it).
    pub fn products_named<'k>(
        &self,
        k: &'k Knowledge,
        name: &str,
    ) -> impl Iterator<Item = &'k crate::knowledge::Product> + 'k {
        let name = name.to_string();
        k.products
            .iter()
            .filter(move |p| padded(&super::basket::name_words(k, p)) == name)
    }

    /// The id of the store `text` names, if it names one.
    pub fn merchant_named(&self, text: &str) -> Option<&str> {
        let text = padded(text);
        self.merchants
            .iter()
            .find(|(_, names)| names.iter().any(|n| text.contains(n.as_str())))
            .map(|(id, _)| id.as_str())
    }

    /// Whether `text` says the whole name of something we sell: "can I get
    /// a latte?" does, "can I get a refund?" does not.
    pub fn names_product(&self, text: &str) -> bool {
        self.product_named(text).is_some()
    }

    /// The longest name of something we sell that `text` says, as " word ".
    pub fn product_named(&self, text: &str) -> Option<&str> {
        let text = padded(text);
        self.names
            .keys()
            .filter(|n| text.contains(n.as_str()))
            .max_by_key(|n| (n.len(), n.as_str()))
            .map(String::as_str)
    }

    /// Whether exactly one product goes by `name` (from [`Self::product_named`]).
    pub fn sold_once(&self, name: &str) -> bool {
        self.names.get(name) == Some(&1)
    }

    /// Whether some product's title holds `phrase` ("caesar salad with chicken").
    pub fn is_title_phrase(&self, phrase: &str) -> bool {
        let words = super::slots::words(phrase).join(" ");
        self.titles.iter().any(|t| t.contains(&padded(&words)))
    }

    /// The items `phrase` lists: one per word when every word is a kind of
    /// product and no product is called by the phrase, else the phrase whole.
    /// "eggs bread" is two items; "milk bread" (a product) and "cold drinks"
    /// ("cold" is no kind of product) are one.
    pub fn items(&self, phrase: &str) -> Vec<String> {
        let words: Vec<&str> = phrase.split_whitespace().collect();
        let list = (2..=4).contains(&words.len())
            && words.iter().all(|w| self.nouns.contains(&singular(w)))
            && !self.titles.iter().any(|t| t.contains(&padded(phrase)));
        if list {
            words.into_iter().map(str::to_string).collect()
        } else {
            vec![phrase.to_string()]
        }
    }
}

/// " eggs bread " -> " egg bread ": word-bounded and plural-blind.
fn padded(text: &str) -> String {
    let words: Vec<String> = crate::agent::slots::words(text)
        .iter()
        .map(|w| singular(w))
        .collect();
    format!(" {} ", words.join(" "))
}

fn singular(w: &str) -> String {
    if let Some(stem) = w.strip_suffix("ies").filter(|s| s.len() >= 3) {
        format!("{stem}y")
    } else if let Some(stem) = w.strip_suffix("oes") {
        stem.to_string() + "o"
    } else if w.len() > 3 && w.ends_with('s') && !w.ends_with("ss") {
        w[..w.len() - 1].to_string()
    } else {
        w.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lexicon() -> Lexicon {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
        Lexicon::new(&Knowledge::load(&root).unwrap())
    }

    #[test]
    fn lists_without_commas_split_only_into_kinds_of_product() {
        let l = lexicon();
        assert_eq!(l.items("eggs bread"), ["eggs", "bread"]);
        assert_eq!(l.items("milk eggs bread"), ["milk", "eggs", "bread"]);
        assert_eq!(l.items("tea coffee"), ["tea", "coffee"]);
        // A product's name, or a word that only describes, keeps the phrase whole.
        for whole in [
            "milk bread",
            "peanut butter",
            "ice cream",
            "chicken biryani",
            "cold drinks",
            "healthy snacks",
            "dark chocolate",
            "chips",
        ] {
            assert_eq!(l.items(whole), [whole], "{whole}");
        }
    }

    #[test]
    fn stores_are_named_by_their_name_not_by_what_they_sell() {
        let l = lexicon();
        assert_eq!(
            l.merchant_named("what's the minimum order at freshcart?"),
            Some("m-freshcart")
        );
        assert_eq!(
            l.merchant_named("menu of Slice Republic"),
            Some("m-slicerepublic")
        );
        assert_eq!(l.merchant_named("a slice of cake"), None);
        assert_eq!(l.merchant_named("chicken biryani for 4"), None);
    }

    #[test]
    fn a_word_only_one_name_holds_points_at_that_product() {
        let l = lexicon();
        for (text, name) in [
            ("a jin xuan please", " jin xuan oolong tea "),
            ("could I have the oolong tea", " jin xuan oolong tea "),
            ("a cloud and mist tea", " cloud and mist green tea "),
        ] {
            assert_eq!(l.product_hinted(text), Some(name), "{text}");
        }
        // Words many names hold, one word alone, or what it is for, point at none.
        for text in ["a green tea", "oolong", "snacks for a rainy day"] {
            assert_eq!(l.product_hinted(text), None, "{text}");
        }
    }

    #[test]
    fn plurals_are_read_as_their_singular() {
        assert_eq!(singular("tomatoes"), "tomato");
        assert_eq!(singular("cookies"), "cooky");
        assert_eq!(singular("eggs"), "egg");
        assert_eq!(singular("glass"), "glass");
        assert_eq!(singular("dal"), "dal");
    }
}
