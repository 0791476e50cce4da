//! Slot extraction: the numbers, references, places, ids, money and words a
//! flow needs, read from one message. Deterministic, no model.

use crate::knowledge::Knowledge;

#[derive(Debug, Default, Clone, PartialEq, serde::Serialize)]
pub struct Slots {
    /// A count of packs ("two more", "add 3").
    pub quantity: Option<u32>,
    /// "for 4", "6 people", "serves 2".
    pub servings: Option<u32>,
    /// 1-based position in the last list shown; `usize::MAX` means "the last one".
    pub ordinal: Option<usize>,
    /// Every position named: "the first and the fourth".
    pub ordinals: Vec<usize>,
    /// "those", "them", "it", "all of these".
    pub refers_back: bool,
    pub all: bool,
    /// "both": the two things just asked for.
    pub both: bool,
    /// "two more": relative to what is in the cart.
    pub more: bool,
    pub order_id: Option<String>,
    pub coupon: Option<String>,
    /// An amount of money in minor units ("Rs 200", "₹150", "200 rupees").
    pub money_minor: Option<i64>,
    /// "under 200": a price ceiling in minor units.
    pub max_price_minor: Option<i64>,
    pub tags: Vec<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub ride_type: Option<String>,
    /// How many travel: "for 2 people", "party of 3", "just me".
    pub riders: Option<u32>,
    /// The message asks for particular things to be got, not to browse:
    /// a count or article before them ("one chai latte", "a dozen eggs",
    /// "2 litres of milk") or a request to have them ("can I get", "I'd like").
    pub orders: bool,
    /// The message asks to be given something ("can I get", "I'd like"),
    /// whatever it names.
    pub asks: bool,
    /// The message says the whole name of something we sell (set by the
    /// agent, which knows the catalog's names).
    pub sells: bool,
    /// What the customer already has ("I already have rice and spices").
    pub exclude: Vec<String>,
}

/// Lower-case words, punctuation split off (ids like `o-00012` and `p-x-1`
/// kept whole); "2%" reads as "2 percent", so a percentage is never a count.
pub fn words(text: &str) -> Vec<String> {
    let w = text
        .to_lowercase()
        .replace('%', " percent ")
        .split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '₹' || c == '.'))
        .map(|w| w.trim_matches(|c| c == '.' || c == '-'))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    join_numbers(w)
}

/// "twenty five" and "twenty-five" are "25": a number said in words is one
/// word, as it is in digits, so it counts whatever follows it.
fn join_numbers(w: Vec<String>) -> Vec<String> {
    let value = |x: &str| lexicon().number_words.get(x).copied();
    let tens = |x: &str| value(x).filter(|n| n % 10 == 0 && (20..=90).contains(n));
    let unit =
        |x: &str| value(x).filter(|n| (1..=9).contains(n) && !listed(&lexicon().articles, x));
    let compound = |a: &str, b: &str| Some(tens(a)? + unit(b)?);
    let mut out: Vec<String> = Vec::with_capacity(w.len());
    let mut i = 0;
    while i < w.len() {
        let hyphened = w[i].split_once('-').and_then(|(a, b)| compound(a, b));
        let spaced = w.get(i + 1).and_then(|b| compound(&w[i], b));
        match (hyphened, spaced) {
            (Some(n), _) => out.push(n.to_string()),
            (None, Some(n)) => {
                out.push(n.to_string());
                i += 1;
            }
            (None, None) => out.push(w[i].clone()),
        }
        i += 1;
    }
    out
}

/// Edit distance counting a swap of neighbours as one edit ("cancle"), for
/// typos in the few words rules depend on.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

/// `word` is `target` or one typo away from it ("cancle", "chps").
pub fn near(word: &str, target: &str) -> bool {
    word == target || (word.len() >= 4 && target.len() >= 4 && edit_distance(word, target) <= 1)
}

fn number(w: &str) -> Option<u32> {
    w.parse::<u32>()
        .ok()
        .or_else(|| lexicon().number_words.get(w).copied())
}

/// Rupees in a word like "200", "₹200", "rs200", "200.50" to minor units.
fn rupees(w: &str) -> Option<i64> {
    let w = w.trim_start_matches('₹').trim_start_matches("rs");
    let v: f64 = w.parse().ok()?;
    (0.0..1e9).contains(&v).then(|| (v * 100.0).round() as i64)
}

pub fn extract(text: &str, k: &Knowledge) -> Slots {
    let w = words(text);
    let mut s = Slots::default();
    let at = |i: usize| w.get(i).map(String::as_str).unwrap_or("");
    // A word already read as part of the one before it.
    let mut taken = None;
    for i in 0..w.len() {
        let word = at(i);
        if taken == Some(i) {
            continue;
        }
        // "the first two", "the top 3": every position up to the count.
        if listed(&lexicon().range_marks, word) {
            if let Some(n) = number(at(i + 1)).filter(|n| (2..=6).contains(n)) {
                s.ordinal.get_or_insert(1);
                s.ordinals.extend(1..=n as usize);
                taken = Some(i + 1);
                continue;
            }
        }
        // Servings: "for 4", "4 people", "serves 4".
        if let Some(n) = number(word) {
            let next = at(i + 1);
            if listed(&lexicon().serving_nouns, next) && n > 1 || at(i.wrapping_sub(1)) == "serves"
            {
                s.servings = Some(n);
                continue;
            }
            if at(i.wrapping_sub(1)) == "for" && word.parse::<u32>().is_ok()
                || (at(i.wrapping_sub(1)) == "for" && n > 1 && !listed(&lexicon().currency, next))
            {
                s.servings.get_or_insert(n);
                continue;
            }
        }
        if listed(&lexicon().price_caps, word) {
            let link = at(i + 1);
            let j = if listed(&lexicon().price_links, link) || listed(&lexicon().currency, link) {
                i + 2
            } else {
                i + 1
            };
            let j = if at(j) == "rs" { j + 1 } else { j };
            if let Some(m) = rupees(at(j)) {
                s.max_price_minor = Some(m);
            }
            continue;
        }
        if word.starts_with('₹')
            || word == "rs"
            || word.starts_with("rs") && word[2..].parse::<f64>().is_ok()
            || at(i + 1) == "rupees"
        {
            let candidate = if word == "rs" || word == "₹" {
                at(i + 1)
            } else {
                word
            };
            if let Some(m) = rupees(candidate) {
                if s.max_price_minor != Some(m) {
                    s.money_minor = Some(m);
                }
            }
            continue;
        }
        if let Some(&o) = lexicon().ordinals.get(word) {
            // 0 in the lexicon is "the last one".
            let o = if o == 0 { usize::MAX } else { o };
            s.ordinal.get_or_insert(o);
            s.ordinals.push(o);
            continue;
        }
        if listed(&lexicon().number_marks, word) {
            if let Ok(n) = at(i + 1).parse::<usize>() {
                s.ordinal = Some(n);
                continue;
            }
        }
        if word.starts_with("o-") && word.len() > 3 {
            s.order_id = Some(word.to_string());
            continue;
        }
        if listed(&lexicon().references, word) {
            s.refers_back = true;
        }
        if word == "all" {
            s.all = true;
        }
        if word == "both" {
            s.both = true;
        }
        if word == "more" || word == "another" {
            s.more = true;
        }
        if s.quantity.is_none() && s.servings.is_none() && !not_a_count(&w, i) {
            if let Some(n) = number(word) {
                // "a"/"an" only count before "more"/"pack": "add a pizza" is one anyway.
                let l = lexicon();
                if !listed(&l.articles, word) || listed(&l.pack_words, at(i + 1)) {
                    s.quantity = Some(n);
                }
            }
        }
        // A shared ride said anywhere stays shared: "a pool car".
        if let Some(t) = lexicon().ride_words.get(word) {
            if s.ride_type.as_deref() != Some("shared") {
                s.ride_type = Some(t.clone());
            }
        }
    }
    s.riders = riders(&w);
    s.asks = asks(&w);
    s.orders = orders(&w, s.asks);
    if w.iter().any(|x| x == "another") && s.quantity.is_none() {
        s.quantity = Some(1);
    }
    let lower = text.to_lowercase();
    for (needle, tag) in [
        ("vegan", "vegan"),
        ("gluten free", "gluten-free"),
        ("gluten-free", "gluten-free"),
        ("halal", "halal"),
        ("organic", "organic"),
    ] {
        if lower.contains(needle) && !s.tags.iter().any(|t| t == tag) {
            s.tags.push(tag.to_string());
        }
    }
    if !s.tags.iter().any(|t| t == "vegan") && (w.iter().any(|x| x == "veg" || x == "vegetarian")) {
        s.tags.push("veg".into());
    }
    for token in text.split(|c: char| !c.is_alphanumeric()) {
        let up = token.to_uppercase();
        if up.len() >= 4
            && k.offers
                .iter()
                .any(|o| o.code.as_deref() == Some(up.as_str()))
        {
            s.coupon = Some(up);
        }
    }
    // "apply coupon FREEFOOD": an unknown code is still a code, to be refused by name.
    if s.coupon.is_none() {
        for pair in w.windows(2) {
            if listed(&lexicon().coupon_words, &pair[0])
                && pair[1].len() >= 4
                && pair[1].chars().all(|c| c.is_ascii_alphanumeric())
                && pair[1]
                    .chars()
                    .any(|c| c.is_ascii_digit() || c.is_ascii_alphabetic())
                && !listed(&lexicon().not_codes, &pair[1])
            {
                s.coupon = Some(pair[1].to_uppercase());
            }
        }
    }
    let (from, to) = places(&lower, k);
    s.from = from;
    s.to = to;
    s.exclude = exclusions(&lower);
    s
}

/// "from X to Y", "X to Y", "to Y": raw place phrases (resolved later).
fn places(lower: &str, k: &Knowledge) -> (Option<String>, Option<String>) {
    let clean = |s: &str| {
        let s = s.trim().trim_end_matches(['?', '.', '!']);
        let padded = format!("{s} ");
        let cut = lexicon()
            .place_ends
            .iter()
            .filter_map(|c| padded.find(&format!(" {c} ")))
            .chain(s.find(','))
            .min()
            .unwrap_or(s.len());
        let s = s[..cut].trim();
        let s = s.strip_prefix("the ").unwrap_or(s).trim();
        // "the invoice from last month", "to get the invoice": a time or a
        // record, not a place.
        let timely = words(s)
            .iter()
            .any(|w| listed(&lexicon().not_place_words, w));
        let verb = words(s)
            .first()
            .is_some_and(|w| listed(&lexicon().not_places, w));
        (!s.is_empty() && !timely && !verb).then(|| s.to_string())
    };
    if let Some(f) = lower.find("from ") {
        let rest = &lower[f + 5..];
        if let Some(t) = rest.find(" to ") {
            return (clean(&rest[..t]), clean(&rest[t + 4..]));
        }
        // "how far is Central Mall from the station": the place before "from" is the goal.
        let before = &lower[..f];
        let asks_distance = lexicon()
            .distance_asks
            .iter()
            .any(|q| before.contains(q.as_str()));
        let goal = lexicon()
            .goal_marks
            .iter()
            .filter(|_| asks_distance)
            .map(|m| format!(" {m} "))
            .filter_map(|m| before.rfind(&m).map(|i| &before[i + m.len()..]))
            .next_back()
            .and_then(clean);
        // "how long to the airport from Central Mall", "a cab to work from here".
        let goal = goal.or_else(|| {
            before
                .rfind(" to ")
                .map(|i| &before[i + 4..])
                .or_else(|| before.strip_prefix("to "))
                .and_then(clean)
        });
        // "a ride home from the mall".
        let goal = goal.or_else(|| {
            lexicon()
                .saved_places
                .iter()
                .find(|(said, _)| before.split_whitespace().any(|w| w == said.as_str()))
                .map(|(_, place)| place.clone())
        });
        return (clean(rest), goal);
    }
    // "pick me up at Domlur", "I'm at the station": where the ride starts.
    let padded = format!(" {lower}");
    let origin = lexicon().origin_marks.iter().find_map(|m| {
        let at = padded.find(&format!(" {m} "))? + m.len() + 2;
        let place = clean(&padded[at..])?;
        // "a cab at 5 pm" is a time.
        let timed = place.starts_with(|c: char| c.is_ascii_digit())
            || place.split_whitespace().next().and_then(number).is_some();
        (!timed).then_some(place)
    });
    // "I want to book a cab to Kanpai": of the words after each "to", a
    // place the gazetteer knows, else the last that is not a verb phrase
    // ("to get there" names no place).
    let mut goals: Vec<String> = Vec::new();
    let starts = lower
        .match_indices(" to ")
        .map(|(i, _)| i + 4)
        .chain(lower.starts_with("to ").then_some(3));
    for at in starts {
        let Some(goal) = clean(&lower[at..]) else {
            continue;
        };
        let first = goal.split_whitespace().next().unwrap_or_default();
        let number = first.chars().all(|c| c.is_ascii_digit()) || number(first).is_some();
        if !listed(&lexicon().not_places, first) && !number {
            goals.push(goal);
        }
    }
    // "the address is X", "my destination is X", "a cab for X".
    for cue in lexicon().destination_cues.iter().map(|c| format!("{c} ")) {
        if let Some(i) = lower.find(cue.as_str()) {
            goals.extend(clean(&lower[i + cue.len()..]));
        }
    }
    goals.retain(|g| Some(g) != origin.as_ref());
    let known = goals
        .iter()
        .find(|g| crate::commerce::resolve_place(k, g).is_ok())
        .cloned()
        // A known place named anywhere, without a "to", that is not where
        // the ride starts.
        .or_else(|| {
            crate::commerce::spot_place(k, lower)
                .map(|p| p.to_lowercase())
                .filter(|p| origin.as_ref().is_none_or(|o| !o.contains(p.as_str())))
        });
    (origin, known.or(goals.last().cloned()))
}

/// Word lists from `prompts/lexicon.toml`, compiled in.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Words {
    not_places: Vec<String>,
    not_place_words: Vec<String>,
    destination_cues: Vec<String>,
    people: Vec<String>,
    not_counts: Vec<String>,
    measures: Vec<String>,
    question_words: Vec<String>,
    hedges: Vec<String>,
    quote_cues: Vec<String>,
    pub(crate) yes: Vec<String>,
    pub(crate) no: Vec<String>,
    pub(crate) count_words: Vec<String>,
    pub(crate) complaints: Vec<String>,
    pub(crate) recipe_cues: Vec<String>,
    pub(crate) question_filler: Vec<String>,
    pub(crate) filler: Vec<String>,
    /// Words of "what goes well with ..." around the thing named.
    pub(crate) pairing: Vec<String>,
    pub(crate) item_problems: Vec<String>,
    pub(crate) title_generic: Vec<String>,
    pub(crate) negations: Vec<String>,
    pub(crate) order_asks: Vec<String>,
    pub(crate) option_edits: Vec<String>,
    pub(crate) option_edit_filler: Vec<String>,
    pub(crate) edit_cues: Vec<String>,
    pub(crate) swap_cues: Vec<String>,
    pub(crate) line_references: Vec<String>,
    pub(crate) line_adds: Vec<String>,
    pub(crate) variant_marks: Vec<String>,
    pub(crate) option_talk: Vec<String>,
    pantry: Vec<String>,
    pub(crate) option_nouns: Vec<String>,
    pub(crate) order_talk: Vec<String>,
    asking_verbs: Vec<String>,
    pub(crate) extra_marks: Vec<String>,
    number_words: std::collections::BTreeMap<String, u32>,
    pub(crate) units: std::collections::BTreeMap<String, String>,
    ride_words: std::collections::BTreeMap<String, String>,
    ordinals: std::collections::BTreeMap<String, usize>,
    pub(crate) diet_words: Vec<String>,
    price_caps: Vec<String>,
    coupon_words: Vec<String>,
    not_codes: Vec<String>,
    distance_asks: Vec<String>,
    goal_marks: Vec<String>,
    origin_marks: Vec<String>,
    term_asks: Vec<String>,
    place_ends: Vec<String>,
    pub(crate) saved_places: std::collections::BTreeMap<String, String>,
    range_marks: Vec<String>,
    serving_nouns: Vec<String>,
    currency: Vec<String>,
    price_links: Vec<String>,
    number_marks: Vec<String>,
    references: Vec<String>,
    articles: Vec<String>,
    determiners: Vec<String>,
    pack_words: Vec<String>,
    amount_words: Vec<String>,
    order_openers: Vec<String>,
    pub(crate) spice_words: Vec<String>,
    /// "something crunchy": vague, so read as a snack (the first of `snack_words`).
    pub(crate) vague: Vec<String>,
    pub(crate) snack_words: Vec<String>,
    pub(crate) cheap_picks: Vec<String>,
    pub(crate) fast_picks: Vec<String>,
    pub(crate) assist: AssistWords,
    pub(crate) decide: Decide,
    party: Party,
}

/// What a care agent's assist-chat message asks for (`[assist]`): see `assist::ask`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AssistWords {
    pub(crate) reject: Vec<String>,
    pub(crate) approve: Vec<String>,
    /// An approval said in the first person is a customer's, quoted.
    pub(crate) first_person: Vec<String>,
    /// Stems of the actions: "reblast", "refunds", "escalation".
    pub(crate) action_stems: Vec<String>,
    pub(crate) reply: Vec<String>,
    pub(crate) policies: Vec<String>,
    /// "approve 2", "the second one".
    pub(crate) positions: std::collections::BTreeMap<String, usize>,
}

/// How a party of riders is said (`[party]`): see `riders`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Party {
    groups: Vec<String>,
    be: Vec<String>,
    be_subjects: Vec<String>,
    setting: Vec<String>,
    solo: Vec<String>,
}

/// The cues `Agent::decide` picks a flow by, from `[decide]` in the lexicon.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Decide {
    pub(crate) refusals: Vec<String>,
    pub(crate) errand_objects: Vec<String>,
    pub(crate) clear_cart: Vec<String>,
    pub(crate) remove_verbs: Vec<String>,
    pub(crate) remove_phrases: Vec<String>,
    pub(crate) add_verbs: Vec<String>,
    pub(crate) order_verbs: Vec<String>,
    pub(crate) set_verbs: Vec<String>,
    pub(crate) ride_cues: Vec<String>,
    pub(crate) ride_hints: Vec<String>,
    pub(crate) quote_picks: Vec<String>,
    pub(crate) alternatives: Vec<String>,
    pub(crate) book_verbs: Vec<String>,
    pub(crate) policy_asks: Vec<String>,
    pub(crate) cancel_stems: Vec<String>,
    pub(crate) cancel_words: Vec<String>,
    pub(crate) order_objects: Vec<String>,
    pub(crate) cancel_filler: Vec<String>,
    pub(crate) status_asks: Vec<String>,
    pub(crate) sells_asks: Vec<String>,
    pub(crate) pantry_have: Vec<String>,
    pub(crate) asks: Vec<Ask>,
}

/// A request named by its words (`[[decide.asks]]`): `intent` when the
/// message says one of `phrases` and none of `unless`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Ask {
    pub(crate) intent: String,
    pub(crate) phrases: Vec<String>,
    #[serde(default)]
    pub(crate) unless: Vec<String>,
    /// Whether it holds in a message about a ride too.
    #[serde(default)]
    pub(crate) rides: bool,
}

pub(crate) fn lexicon() -> &'static Words {
    static WORDS: std::sync::OnceLock<Words> = std::sync::OnceLock::new();
    WORDS.get_or_init(|| {
        // A compile-time constant; `lexicon_parses` checks it in every test run.
        toml::from_str(include_str!("../../prompts/lexicon.toml"))
            .expect("prompts/lexicon.toml parses (checked by the lexicon_parses test)")
    })
}

/// Whether `text` contains one of `phrases` as whole words.
pub(crate) fn says_any(text: &str, phrases: &[String]) -> bool {
    said_in(&words(text), phrases)
}

/// Whether the words of a message contain one of `phrases` as whole words.
pub(crate) fn said_in(w: &[String], phrases: &[String]) -> bool {
    let padded = format!(" {} ", w.join(" "));
    phrases
        .iter()
        .any(|p| padded.contains(&format!(" {} ", words(p).join(" "))))
}

/// Whether `word` opens a question ("how", "can", "is").
pub fn question_word(word: &str) -> bool {
    listed(&lexicon().question_words, word)
}

/// A question, not an instruction: "is it ok to execute the refund?".
pub fn is_question(text: &str) -> bool {
    text.contains('?') || words(text).first().is_some_and(|w| question_word(w))
}

/// A yes held back: "ok wait, let me check first", "yes, but...", a question.
pub fn hedged(text: &str) -> bool {
    is_question(text) || says_any(text, &lexicon().hedges)
}

/// Whether `w` says how much rather than what: a number, a count word, a
/// unit or a pack ("2", "two", "kg", "dozen", "loaf").
pub fn is_amount_word(w: &str) -> bool {
    let l = lexicon();
    w.parse::<f64>().is_ok()
        || number(w).is_some()
        || listed(&l.count_words, w)
        || listed(&l.amount_words, w)
        || l.units.contains_key(w)
}

/// A question about the terms on screen and nothing held back: "How much
/// will it cost?", "when will it arrive" ("but first tell me the total" or
/// "let me check" hold back).
pub fn asks_terms(text: &str) -> bool {
    let lower = text.to_lowercase();
    !says_any(&lower, &lexicon().hedges) && says_any(&lower, &lexicon().term_asks)
}

/// A yes, then a question about the terms on screen and nothing held back:
/// "Yes, that is correct. How much will it cost?" ("yes?" alone, or "yes,
/// but first tell me the total" are no such thing).
pub fn yes_asking_terms(text: &str) -> bool {
    let w = words(text);
    let first_clause = text
        .to_lowercase()
        .split(['.', ',', '!', ';', '?'])
        .next()
        .map(words)
        .unwrap_or_default();
    w.first().is_some_and(|x| listed(&lexicon().yes, x))
        && !first_clause.iter().any(|x| listed(&lexicon().no, x))
        && is_question(text)
        && asks_terms(text)
}

/// Someone else's words pasted in: quotation marks or "the customer said".
pub fn quoted(text: &str) -> bool {
    text.contains(['"', '“', '”', '«', '»']) || says_any(text, &lexicon().quote_cues)
}

pub(crate) fn listed(list: &[String], word: &str) -> bool {
    list.iter().any(|w| w == word)
}

/// "I already have rice and spices", "except onions", "without the garlic".
fn exclusions(lower: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (_, after) in pantry_cues(lower) {
        let rest = &lower[after..];
        let end = rest.find(['.', '!', '?', ';']).unwrap_or(rest.len());
        for part in rest[..end].split([',', '&']).flat_map(|p| p.split(" and ")) {
            let p = part
                .trim()
                .trim_start_matches("the ")
                .trim_start_matches("some ")
                .trim_end_matches(" already")
                .trim_end_matches(" at home")
                .trim_end_matches(" too")
                .trim();
            if !p.is_empty() && p.len() < 40 {
                out.push(p.to_string());
            }
        }
    }
    out
}

/// Where each pantry cue first starts and ends in `lower` ("I already have
/// rice", "without onions"), in the order of `pantry` in the lexicon. A cue
/// right after an asking word asks instead: "can I have a mocha".
pub(crate) fn pantry_cues(lower: &str) -> Vec<(usize, usize)> {
    let lex = lexicon();
    lex.pantry
        .iter()
        .filter_map(|cue| {
            lower.match_indices(cue.as_str()).find_map(|(i, _)| {
                let end = i + cue.len();
                let bounded =
                    !lower[..i].ends_with(char::is_alphanumeric) && lower[end..].starts_with(' ');
                let asked = lower[..i]
                    .split_whitespace()
                    .last()
                    .is_some_and(|w| listed(&lex.asking_verbs, w));
                (bounded && !asked).then_some((i, end + 1))
            })
        })
        .collect()
}

/// The amount one item of an order states: "2 litres" is (2, l), "500 g"
/// (500, g), "a dozen" 12 pieces, "two" 2 pieces; a bare article states none.
pub fn amount(part: &str) -> Option<(f64, Option<&'static str>)> {
    let w = words(part);
    for (i, x) in w.iter().enumerate() {
        if not_a_count(&w, i) {
            continue;
        }
        let next = w.get(i + 1).map(String::as_str).unwrap_or("");
        // "2l", "500ml", "1kg" glued together.
        let glued = x.find(|c: char| c.is_alphabetic()).filter(|&j| j > 0);
        let (n, unit_word) = match glued {
            Some(j) => match x[..j].parse::<f64>() {
                Ok(n) => (n, &x[j..]),
                Err(_) => continue,
            },
            None => match x.parse::<f64>().ok().or_else(|| number(x).map(f64::from)) {
                Some(n) => (n, next),
                None => continue,
            },
        };
        if !(n > 0.0 && n < 10_000.0) {
            continue;
        }
        let unit = match unit_word {
            "l" | "litre" | "litres" | "liter" | "liters" | "ltr" => Some("l"),
            "ml" => Some("ml"),
            "kg" | "kilo" | "kilos" | "kgs" => Some("kg"),
            "g" | "gm" | "gms" | "gram" | "grams" => Some("g"),
            "dozen" => return Some((n * 12.0, None)),
            _ => None,
        };
        // "a" and "an" count only as "a dozen" or "a litre".
        if listed(&lexicon().articles, x) && unit.is_none() {
            continue;
        }
        return Some((n, unit));
    }
    None
}

/// A number that counts no product: a price ("under 50", "Rs 200"), a
/// party ("for 4"), a place ("from one place"), or a measure of what goes
/// into one ("2% milk", "3 shots").
fn not_a_count(w: &[String], i: usize) -> bool {
    i > 0 && listed(&lexicon().not_counts, &w[i - 1]) || is_measure(w, i)
}

/// Whether the number at `i` measures what goes into a product ("2% milk", "3 shots").
pub(super) fn is_measure(w: &[String], i: usize) -> bool {
    w.get(i + 1).is_some_and(|x| listed(&lexicon().measures, x))
}

/// Whether the words ask to be given something (see `Slots::asks`).
fn asks(w: &[String]) -> bool {
    says_any(&w.join(" "), &lexicon().order_asks)
        || w.first()
            .is_some_and(|x| listed(&lexicon().order_openers, x))
}

/// Whether the words ask to be given particular things (see `Slots::orders`).
fn orders(w: &[String], asks: bool) -> bool {
    // An article counts only where it opens the request ("a mocha please",
    // "I'd like a mocha", "I'd like the jasmine tea"), not inside a wish
    // ("snacks for a rainy day").
    let l = lexicon();
    let article = w.first().is_some_and(|x| listed(&l.articles, x))
        || asks
            && w.iter()
                .any(|x| listed(&l.articles, x) || listed(&l.determiners, x));
    let counted = (0..w.len()).any(|i| {
        let x = w[i].as_str();
        !listed(&lexicon().articles, x) && number(x).is_some_and(|n| n > 0) && !not_a_count(w, i)
    });
    // "2 litres of milk", "a dozen eggs": an amount of something is an order.
    let measured = w.iter().any(|x| x == "dozen")
        || amount(&w.join(" ")).is_some_and(|(_, unit)| unit.is_some());
    article || measured || counted && (asks || w.len() <= 6)
}

/// The party size a message states: a count before a word for people
/// ("2 people", "three passengers", "4 of us", "party of 3"), or one person
/// said in words ("just me", "only myself", "alone").
fn riders(w: &[String]) -> Option<u32> {
    let p = &lexicon().party;
    let at = |i: usize| w.get(i).map(String::as_str).unwrap_or("");
    let before = |i: usize, k: usize| (1..=k).map(move |d| at(i.wrapping_sub(d)));
    for i in 0..w.len() {
        let Some(n) = number(at(i)).filter(|n| (1..=20).contains(n)) else {
            continue;
        };
        let next = at(i + 1);
        let people = listed(&lexicon().people, next)
            || next == "of" && at(i + 2) == "us"
            || next == "us"
            || listed(&p.be, at(i.wrapping_sub(1)))
                && before(i, 4).any(|x| listed(&p.be_subjects, x))
                && next.is_empty()
            || listed(&p.groups, at(i.wrapping_sub(1)))
            || at(i.wrapping_sub(1)) == "of" && listed(&p.groups, at(i.wrapping_sub(2)))
            || (i + 2..i + 4).any(|j| listed(&p.groups, at(j))) && next == "in"
            || listed(&p.setting, at(i.wrapping_sub(1)))
                && listed(&lexicon().people, at(i.wrapping_sub(2)));
        // "a"/"an" is a count only before a word for people: "a person".
        if people && (!listed(&lexicon().articles, at(i)) || listed(&lexicon().people, next)) {
            return Some(n);
        }
    }
    said_in(w, &p.solo).then_some(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::knowledge::shipped as k;

    #[test]
    fn lexicon_parses() {
        assert!(!lexicon().not_places.is_empty() && !lexicon().people.is_empty());
        // Ride words name the engine's own ride types.
        for t in lexicon().ride_words.values() {
            assert!(crate::commerce::RIDE_TYPES.contains(&t.as_str()), "{t}");
        }
    }

    #[test]
    fn numbers_in_words_are_one_word() {
        for (text, want) in [
            ("twenty five flat whites", "25 flat whites"),
            ("twenty-one eggs", "21 eggs"),
            ("thirty lattes", "thirty lattes"),
            ("twenty a day", "twenty a day"),
            ("one latte", "one latte"),
        ] {
            assert_eq!(words(text).join(" "), want, "{text}");
        }
    }

    /// Data-driven: a message and the slots it must give.
    fn check(text: &str, expect: impl Fn(&Slots) -> bool) {
        let s = extract(text, k());
        assert!(expect(&s), "{text:?} gave {s:?}");
    }

    #[test]
    fn party_sizes() {
        for (text, n) in [
            ("I need a cab for 2 people", Some(2)),
            ("just 2 of us", Some(2)),
            ("a group of three", Some(3)),
            ("we will be two", Some(2)),
            ("I'm traveling by myself, 1 seat", Some(1)),
            ("just me", Some(1)),
            ("a pool ride for 1 passenger", Some(1)),
            ("two coffees please", None),
            ("there will be three", Some(3)),
            ("Apologies, there is actually 2 in my group", Some(2)),
            ("I need to change the number of people to 4", Some(4)),
            ("Actually, make that ride just for one", Some(1)),
            ("there are 3 lattes in my cart", None),
        ] {
            check(text, |s| s.riders == n);
        }
    }

    #[test]
    fn destinations_from_real_phrasing() {
        for (text, to) in [
            ("I want to book a cab to Central Mall", Some("central mall")),
            ("I need a cab to get there", None),
            (
                "The address is Navapur University, for two",
                Some("navapur university"),
            ),
            (
                "can you book me a pool ride there? the location is Central Mall.",
                Some("central mall"),
            ),
            ("change the number of people to 4", None),
            ("I have to go to Old Town", Some("old town")),
        ] {
            check(text, |s| s.to.as_deref() == to);
        }
        check("a shared taxi please", |s| {
            s.ride_type.as_deref() == Some("shared")
        });
        check("a cab to the airport", |s| s.ride_type.is_none());
    }

    #[test]
    fn orders_name_things_to_get() {
        for (text, orders) in [
            ("one chai latte please", true),
            ("a large iced latte and two cappuccinos", true),
            ("Hi, I would like to order a mocha, please.", true),
            (
                "2 litres of milk, a dozen eggs and a loaf of brown bread",
                true,
            ),
            ("snacks for a rainy day", false),
            ("milk", false),
            ("show me vegan chocolates", false),
            ("movie night for 4", false),
            ("potato chips under 50", false),
        ] {
            check(text, |s| s.orders == orders);
        }
    }

    #[test]
    fn amounts_of_one_item() {
        assert_eq!(amount("2 litres of milk"), Some((2.0, Some("l"))));
        assert_eq!(amount("500g paneer"), Some((500.0, Some("g"))));
        assert_eq!(amount("a dozen eggs"), Some((12.0, None)));
        assert_eq!(amount("two cappuccinos"), Some((2.0, None)));
        assert_eq!(amount("a loaf of brown bread"), None);
        assert_eq!(amount("chips under 50"), None);
    }

    #[test]
    fn how_far_is_a_place_from_another() {
        assert_eq!(
            places("how far is central mall from the railway station", k()),
            (Some("railway station".into()), Some("central mall".into()))
        );
        assert_eq!(
            places("what is the status of my order from slice republic", k()).1,
            None
        );
    }

    #[test]
    fn one_typo_away() {
        assert_eq!(edit_distance("cancle", "cancel"), 1);
        assert_eq!(edit_distance("chps", "chips"), 1);
        assert!(near("cancle", "cancel") && near("chps", "chips"));
        assert!(!near("can", "cancel") && !near("parcel", "cancel"));
    }

    #[test]
    fn quantities_servings_and_references() {
        let s = extract(
            "ingredients for chicken biryani for 4, I already have rice and spices",
            k(),
        );
        assert_eq!(s.servings, Some(4));
        assert_eq!(s.exclude, vec!["rice", "spices"]);
        let s = extract("add two more of those", k());
        assert_eq!((s.quantity, s.more, s.refers_back), (Some(2), true, true));
        let s = extract("add 3 of the second one", k());
        assert_eq!((s.quantity, s.ordinal), (Some(3), Some(2)));
        let s = extract("movie night for 4", k());
        assert_eq!(s.servings, Some(4));
        let s = extract("add the first two", k());
        assert_eq!((s.quantity, s.ordinals), (None, vec![1, 2]));
        let s = extract("add the first one", k());
        assert_eq!((s.quantity, s.ordinals), (Some(1), vec![1]));
    }

    #[test]
    fn a_yes_asking_about_terms_shown_still_accepts() {
        assert!(yes_asking_terms(
            "Yes, that is correct. How much will it cost?"
        ));
        assert!(yes_asking_terms(
            "Yes, that's perfect. How much is it and how long will it take?"
        ));
        for held in [
            "yes?",
            "sure, but first tell me the total again",
            "confirm what the delivery fee is first",
            "yes. no wait",
            "Yes! (just kidding)",
            "yes, is the driver nice?",
            "no, how much is it?",
        ] {
            assert!(!yes_asking_terms(held), "{held}");
        }
    }

    #[test]
    fn places_money_ids_and_codes() {
        let s = extract(
            "How long from the airport to Central Mall and what's the price?",
            k(),
        );
        assert_eq!(
            (s.from.as_deref(), s.to.as_deref()),
            (Some("airport"), Some("central mall"))
        );
        let s = extract("how long to the airport from Central Mall?", k());
        assert_eq!(
            (s.from.as_deref(), s.to.as_deref()),
            (Some("central mall"), Some("airport"))
        );
        // Where the ride starts, said without "from".
        let s = extract("I need the ride at Domlur", k());
        assert_eq!((s.from.as_deref(), s.to.as_deref()), (Some("domlur"), None));
        let s = extract("a cab to the airport, pick me up at Central Mall", k());
        assert_eq!(
            (s.from.as_deref(), s.to.as_deref()),
            (Some("central mall"), Some("airport"))
        );
        let s = extract("I need a cab at 5 pm to the airport", k());
        assert_eq!((s.from, s.to.as_deref()), (None, Some("airport")));
        let s = extract("vegan snacks under Rs 200", k());
        assert_eq!(
            (s.max_price_minor, s.tags.clone()),
            (Some(20000), vec!["vegan".to_string()])
        );
        let s = extract("refund ₹150 on o-00012 please", k());
        assert_eq!(
            (s.money_minor, s.order_id.as_deref()),
            (Some(15000), Some("o-00012"))
        );
        assert_eq!(
            extract("apply save100", k()).coupon.as_deref(),
            Some("SAVE100")
        );
        assert_eq!(
            extract("book the auto", k()).ride_type.as_deref(),
            Some("auto")
        );
    }
}
