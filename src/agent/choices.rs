//! Reads which options of a product a message asks for: "a large oat milk
//! latte, extra shot", "iced with skim", "no whipped cream". The phrases are
//! the catalog's own choice names and aliases, so a new option or alias in
//! `knowledge/` is understood without code; "no", "without" and the like
//! come from `prompts/lexicon.toml`.

use crate::knowledge::{Knowledge, OptionGroup, Product, Selection};

use super::slots::{self, words};

/// What a message says about one product's options.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Said {
    /// Group -> the choices asked for.
    pub chosen: Selection,
    /// (group, choice) asked away: "no whipped cream".
    pub removed: Vec<(String, String)>,
    /// Words the options and the product's name did not account for.
    pub rest: Vec<String>,
}

impl Said {
    pub fn is_empty(&self) -> bool {
        self.chosen.is_empty() && self.removed.is_empty()
    }
}

/// Words with hyphens split too: "quadruple-shot", "sugar-free".
pub(super) fn tokens(text: &str) -> Vec<String> {
    words(&text.replace('-', " "))
}

fn phrases(g: &OptionGroup) -> impl Iterator<Item = (usize, Vec<String>)> + '_ {
    g.choices.iter().enumerate().flat_map(|(i, c)| {
        std::iter::once(&c.name)
            .chain(&c.aliases)
            .map(move |p| (i, tokens(p)))
    })
}

/// Whether `w` says `target`: equal, or one typo away in a longer word ("almnd").
fn same(w: &str, target: &str) -> bool {
    w == target || target.len() >= 5 && slots::near(w, target)
}

/// Where the words of `phrase` stand in `t`, one after another.
fn occurrences<'a>(t: &'a [String], phrase: &'a [String]) -> impl Iterator<Item = usize> + 'a {
    let last = if phrase.is_empty() {
        0
    } else {
        (t.len() + 1).saturating_sub(phrase.len())
    };
    (0..last).filter(move |&start| {
        phrase
            .iter()
            .enumerate()
            .all(|(k, w)| same(&t[start + k], w))
    })
}

/// Whether `w` is a word of the title, singular or plural ("mochas").
pub(super) fn in_title(title: &[String], w: &str) -> bool {
    title
        .iter()
        .any(|x| x == w || x.trim_end_matches('s') == w.trim_end_matches('s'))
}

/// The options of `p` that `text` asks for.
pub fn said(text: &str, p: &Product) -> Said {
    let t = tokens(text);
    let title = tokens(&p.title);
    // The product's own name is not an option: "caramel macchiato" asks for
    // no caramel sauce, "hot chocolate" for no temperature.
    let mut used: Vec<bool> = t.iter().map(|w| in_title(&title, w)).collect();
    // (length, start, group, choice): the longest phrase wins an overlap,
    // so "sugar free vanilla" is not also vanilla.
    let mut found: Vec<(usize, usize, usize, usize)> = Vec::new();
    for (gi, g) in p.options.iter().enumerate() {
        for (ci, ph) in phrases(g) {
            for start in occurrences(&t, &ph) {
                found.push((ph.len(), start, gi, ci));
            }
        }
    }
    found.sort_by_key(|&(len, start, _, _)| (std::cmp::Reverse(len), start));
    let negations = &slots::lexicon().negations;
    let mut out = Said::default();
    let mut picks: Vec<(usize, usize, usize)> = Vec::new(); // (start, group, choice)
    for (len, start, gi, ci) in found {
        if used[start..start + len].iter().any(|&u| u) {
            continue;
        }
        used[start..start + len].iter_mut().for_each(|u| *u = true);
        let g = &p.options[gi];
        let negated = (start.saturating_sub(2)..start).any(|i| slots::listed(negations, &t[i]));
        if negated {
            if g.min == 0 {
                out.removed.push((g.id.clone(), g.choices[ci].id.clone()));
            }
            continue;
        }
        picks.push((start, gi, ci));
    }
    // In the order said, each group holding at most what it allows.
    picks.sort();
    for (_, gi, ci) in picks {
        let g = &p.options[gi];
        let list = out.chosen.entry(g.id.clone()).or_default();
        let id = &g.choices[ci].id;
        if !list.contains(id) && list.len() < g.max as usize {
            list.push(id.clone());
        }
    }
    out.rest = t
        .iter()
        .zip(&used)
        .filter(|(w, &u)| !u && !slots::listed(negations, w))
        .map(|(w, _)| w.clone())
        .collect();
    out
}

/// What one mention of a product asks for: the options said of it, and the
/// variants it is split into ("two lattes, one with oat milk and the other
/// with almond").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// Said of the item itself, before any variant.
    pub shared: Selection,
    pub variants: Vec<Variant>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    /// The options it takes: what was said of the item, then of the variant.
    pub chosen: Selection,
    /// "another (one) with 2%" asks for one more than the count said; "one
    /// with oat" and "the other" are counted in it.
    pub extra: bool,
}

/// Reads `text`'s mention of `p`: each variant starts at a word of
/// `variant_marks` or `extra_marks` after the product's name. No variants
/// when the product has no options or the request names none.
pub fn split(text: &str, p: &Product) -> Split {
    let whole = || Split {
        shared: said(text, p).chosen,
        variants: Vec::new(),
    };
    if p.options.is_empty() {
        return whole();
    }
    let t = tokens(text);
    let title = tokens(&p.title);
    let Some(end) = t.iter().rposition(|w| in_title(&title, w)) else {
        return whole();
    };
    let lex = slots::lexicon();
    let mark = |w: &str| slots::listed(&lex.variant_marks, w) || slots::listed(&lex.extra_marks, w);
    // "another one with": one variant, starting at its first mark; a mark
    // that opens an option ("one shot") is the option.
    let opens_option = |i: usize| {
        p.options
            .iter()
            .flat_map(phrases)
            .any(|(_, ph)| t[i..].starts_with(&ph))
    };
    let starts: Vec<usize> = (end + 1..t.len())
        .filter(|&i| mark(&t[i]) && !mark(&t[i - 1]))
        .filter(|&i| !opens_option(i))
        .collect();
    let Some(&first) = starts.first() else {
        return whole();
    };
    let shared = said(&t[..first].join(" "), p).chosen;
    let variants = starts
        .iter()
        .zip(starts.iter().skip(1).copied().chain([t.len()]))
        .map(|(&a, b)| {
            let mut chosen = shared.clone();
            chosen.extend(apply(&shared, &said(&t[a..b].join(" "), p)));
            Variant {
                chosen,
                extra: slots::listed(&lex.extra_marks, &t[a]),
            }
        })
        .collect();
    Split { shared, variants }
}

/// `text` without any phrase that names an option of some product, for
/// searching the thing itself: "large iced latte with oat milk" -> "latte".
pub fn without_options(text: &str, k: &Knowledge) -> String {
    let t = tokens(text);
    let mut used = vec![false; t.len()];
    for g in k.products.iter().flat_map(|p| &p.options) {
        for (_, ph) in phrases(g) {
            for start in occurrences(&t, &ph) {
                used[start..start + ph.len()]
                    .iter_mut()
                    .for_each(|u| *u = true);
            }
        }
    }
    // "a pump of caramel", "vanilla sweetener", "2% milk": the words that
    // carry an option go with it.
    let nouns = &slots::lexicon().option_nouns;
    for _ in 0..2 {
        for i in 0..t.len() {
            let near = |j: Option<usize>| j.and_then(|j| used.get(j)).copied().unwrap_or(false);
            let of = |j: usize| t.get(j).is_some_and(|w| w == "of");
            if !used[i]
                && slots::listed(nouns, &t[i])
                && (near(i.checked_sub(1)) || near(Some(i + 1)) || of(i + 1) && near(Some(i + 2)))
            {
                used[i] = true;
            }
        }
    }
    t.iter()
        .zip(used)
        .filter(|(w, u)| !u && !slots::listed(&slots::lexicon().negations, w))
        .map(|(w, _)| w.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The selection a line ends with after `said`: groups asked for replace
/// the line's choices, choices asked away leave it.
pub fn apply(current: &Selection, said: &Said) -> Selection {
    let mut changed: Selection = said.chosen.clone();
    for (g, c) in &said.removed {
        let list = changed
            .entry(g.clone())
            .or_insert_with(|| current.get(g).cloned().unwrap_or_default());
        list.retain(|x| x != c);
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::shipped;

    fn product(title: &str) -> &'static Product {
        // The one with options: Crispy Coop sells a plain Hot Chocolate too.
        shipped()
            .products
            .iter()
            .find(|p| p.title == title && !p.options.is_empty())
            .unwrap_or_else(|| panic!("no product {title} with options"))
    }

    /// `expect`: "group=choice,choice; -group=choice" (removals), in catalog order.
    fn check(text: &str, title: &str, expect: &str) {
        let s = said(text, product(title));
        let mut got: Vec<String> = s
            .chosen
            .iter()
            .map(|(g, cs)| format!("{g}={}", cs.join(",")))
            .collect();
        got.extend(s.removed.iter().map(|(g, c)| format!("-{g}={c}")));
        assert_eq!(got.join("; "), expect, "{text:?} for {title}");
    }

    #[test]
    fn options_from_real_phrasing() {
        check(
            "a large oat milk latte, extra shot",
            "Latte",
            "milk=oat; shots=double; size=large",
        );
        check(
            "iced mocha with skim milk",
            "Mocha",
            "milk=non-fat; temperature=iced",
        );
        check("make the latte a medium", "Latte", "size=medium");
        check("no whipped cream", "Mocha", "-addons=whipped-cream");
        check(
            "decaf cortado with 2% milk",
            "Cortado",
            "caffeine=decaf; milk=two-percent",
        );
        check("2 lattes", "Latte", "");
        check(
            "caramel macchiato with almnd milk",
            "Caramel Macchiato",
            "milk=almond",
        );
        check(
            "a latte with sugar free vanilla and caramel",
            "Latte",
            "addons=sugar-free-vanilla,caramel",
        );
        check(
            "triple shot americano, black",
            "Americano",
            "milk=none; shots=triple",
        );
        check(
            "hot chocolate with whipped cream",
            "Hot Chocolate",
            "addons=whipped-cream",
        );
        check(
            "a large thin crust margherita",
            "Margherita Pizza",
            "crust=thin; size=large",
        );
        check(
            "half chicken dum biryani, not too spicy",
            "Chicken Dum Biryani",
            "portion=half; spice=mild",
        );
        check("hot wings 12 pieces", "Hot Wings", "pieces=12-pc");
    }

    #[test]
    fn searches_name_the_thing_not_its_options() {
        let k = shipped();
        assert_eq!(
            without_options("large iced latte with oat milk", k),
            "latte with"
        );
        assert_eq!(without_options("2 litres of milk", k), "2 litres of milk");
    }

    #[test]
    fn removals_leave_the_rest_of_a_group() {
        let current: Selection = [(
            "addons".to_string(),
            vec!["caramel".into(), "whipped-cream".into()],
        )]
        .into_iter()
        .collect();
        let s = said("no whipped cream", product("Mocha"));
        assert_eq!(apply(&current, &s)["addons"], vec!["caramel".to_string()]);
    }
}
