//! Feedback triage: what a customer's feedback is (complaint, suggestion,
//! praise or question), which aspects of the service it is about, and which
//! team should read it. Pure and synchronous, like `agent`'s understanding,
//! and the only other code that reads free text. Every word it goes by is in
//! `prompts/triage.toml`, and each verdict lists the cues that decided it.
//!
//! How it reads: the text is cut into words and the cues found, the longest
//! first, none overlapping. A negator a few words before a cue turns its
//! polarity ("not hot" complains, "not bad" praises). Complaint and praise
//! add up their cues (an aspect's `bad` and `good` ones count too, and so
//! does a rating of 1-2 or 4-5); a suggestion cue wins ties; a text ending in
//! a question mark, or opening like one with nothing to complain of, is a
//! question.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    Complaint,
    Suggestion,
    Praise,
    Question,
}

impl Class {
    pub const ALL: [Class; 4] = [
        Class::Complaint,
        Class::Suggestion,
        Class::Praise,
        Class::Question,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Class::Complaint => "complaint",
            Class::Suggestion => "suggestion",
            Class::Praise => "praise",
            Class::Question => "question",
        }
    }

    pub fn parse(s: &str) -> Option<Class> {
        Class::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// What triage made of one text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub class: Class,
    /// Aspect ids in the order the text mentions them.
    pub aspects: Vec<String>,
    pub team: String,
    /// The cues that decided it, in the order found.
    pub because: Vec<Evidence>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// The words as the rules spell them ("cold"), or "rating 2" or "?".
    pub cue: String,
    /// What they counted for: a class, or an aspect ("complaint: temperature").
    pub reads_as: String,
}

/// One aspect of the service feedback can be about.
#[derive(Debug, Clone)]
pub struct Aspect {
    pub id: String,
    /// A pain point's title ("Food arrived cold").
    pub label: String,
    pub team: String,
    /// The help article with the first fix.
    pub article: String,
    /// Aspects whose polar cues are this one's when the text names this and
    /// not them by name.
    absorbs: Vec<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Meaning {
    Class(Class),
    /// An aspect (index) with a polarity: Some(Complaint | Praise), or None
    /// when the words only name it.
    Aspect(usize, Option<Class>),
}

/// A cue compiled to words; a word ending in `*` matches any word it begins.
#[derive(Debug, Clone)]
struct Cue {
    words: Vec<String>,
    spelled: String,
    meaning: Meaning,
}

impl Cue {
    fn matches(&self, tokens: &[String], at: usize) -> bool {
        self.words.len() <= tokens.len() - at
            && self
                .words
                .iter()
                .zip(&tokens[at..])
                .all(|(w, t)| match w.strip_suffix('*') {
                    Some(stem) => t.starts_with(stem),
                    None => w == t,
                })
    }
}

pub struct Triage {
    cues: Vec<Cue>,
    negators: Vec<String>,
    openers: Vec<Vec<String>>,
    aspects: Vec<Aspect>,
    teams: BTreeMap<String, String>,
    default_team: String,
    pain_words: PainWords,
    digest: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    negators: Vec<String>,
    question_openers: Vec<String>,
    default_team: String,
    pain_points: PainWords,
    class: BTreeMap<String, ClassFile>,
    aspect: BTreeMap<String, AspectFile>,
    team: BTreeMap<String, TeamFile>,
}

/// The words a pain point is summed up in (`[pain_points]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PainWords {
    pub summary: String,
    pub up: String,
    pub down: String,
    pub level: String,
    pub new: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClassFile {
    cues: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AspectFile {
    label: String,
    team: String,
    article: String,
    #[serde(default)]
    bad: Vec<String>,
    #[serde(default)]
    good: Vec<String>,
    #[serde(default)]
    about: Vec<String>,
    #[serde(default)]
    absorbs: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TeamFile {
    label: String,
}

/// Lower case, apostrophes dropped ("wasn't" is "wasnt"), cut at anything
/// that is not a letter or digit.
fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .replace(['\'', '’'], "")
        .split(|c: char| !c.is_alphanumeric() && c != '*')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// How many words before a cue a negator turns it.
const NEGATION_REACH: usize = 3;

impl Triage {
    /// Reads and checks `prompts/triage.toml`.
    pub fn load(path: &Path) -> anyhow::Result<Triage> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Triage::parse(&text).with_context(|| format!("in {}", path.display()))
    }

    pub fn parse(text: &str) -> anyhow::Result<Triage> {
        let file: File = toml::from_str(text)?;
        let teams: BTreeMap<String, String> =
            file.team.into_iter().map(|(id, t)| (id, t.label)).collect();
        if !teams.contains_key(&file.default_team) {
            bail!("default_team `{}` is not a [team]", file.default_team);
        }
        let mut cues = Vec::new();
        let mut add = |list: &[String], meaning: Meaning, what: &str| -> anyhow::Result<()> {
            for spelled in list {
                let words = words(spelled);
                if words.is_empty() {
                    bail!("an empty cue in {what}");
                }
                cues.push(Cue {
                    words,
                    spelled: spelled.clone(),
                    meaning,
                });
            }
            Ok(())
        };
        for (name, c) in &file.class {
            let class = Class::parse(name).with_context(|| format!("unknown class `{name}`"))?;
            add(&c.cues, Meaning::Class(class), name)?;
        }
        let ids: Vec<String> = file.aspect.keys().cloned().collect();
        let mut aspects = Vec::new();
        for (i, (id, a)) in file.aspect.into_iter().enumerate() {
            if !teams.contains_key(&a.team) {
                bail!(
                    "aspect `{id}` goes to team `{}`, which is not a [team]",
                    a.team
                );
            }
            let absorbs = a
                .absorbs
                .iter()
                .map(|b| {
                    ids.iter().position(|x| x == b).with_context(|| {
                        format!("aspect `{id}` absorbs `{b}`, which is not an aspect")
                    })
                })
                .collect::<anyhow::Result<_>>()?;
            add(&a.bad, Meaning::Aspect(i, Some(Class::Complaint)), &id)?;
            add(&a.good, Meaning::Aspect(i, Some(Class::Praise)), &id)?;
            add(&a.about, Meaning::Aspect(i, None), &id)?;
            aspects.push(Aspect {
                id,
                label: a.label,
                team: a.team,
                article: a.article,
                absorbs,
            });
        }
        // Longest first, so "not fresh" is read before "fresh".
        cues.sort_by_key(|c| std::cmp::Reverse(c.words.len()));
        let digest = hex::encode(&Sha256::digest(text.as_bytes())[..8]);
        Ok(Triage {
            cues,
            negators: file.negators.iter().flat_map(|n| words(n)).collect(),
            openers: file.question_openers.iter().map(|o| words(o)).collect(),
            aspects,
            teams,
            default_team: file.default_team,
            pain_words: file.pain_points,
            digest,
        })
    }

    /// Names of the rules' version: stored verdicts made with another are
    /// made again.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    pub fn aspects(&self) -> &[Aspect] {
        &self.aspects
    }

    pub fn aspect(&self, id: &str) -> Option<&Aspect> {
        self.aspects.iter().find(|a| a.id == id)
    }

    pub fn pain_words(&self) -> &PainWords {
        &self.pain_words
    }

    /// Team ids and their labels.
    pub fn teams(&self) -> &BTreeMap<String, String> {
        &self.teams
    }

    /// Reads `text`, with the rating given beside it if any.
    pub fn classify(&self, text: &str, rating: Option<i64>) -> Verdict {
        let tokens = words(text);
        // (start, cue) of every cue found, none overlapping a longer one.
        let mut taken = vec![false; tokens.len()];
        let mut found: Vec<(usize, &Cue)> = Vec::new();
        for cue in &self.cues {
            for at in 0..tokens.len() {
                let span = at..at + cue.words.len();
                if cue.matches(&tokens, at) && !taken[span.clone()].iter().any(|&t| t) {
                    taken[span].iter_mut().for_each(|t| *t = true);
                    found.push((at, cue));
                }
            }
        }
        found.sort_by_key(|(at, _)| *at);

        // Each cue's meaning, its polarity turned by a negator before it
        // and after the cue before ("not bad, quite tasty" praises twice).
        let mut read: Vec<(&Cue, Meaning)> = found
            .iter()
            .enumerate()
            .map(|(k, &(at, cue))| {
                let after_previous = k
                    .checked_sub(1)
                    .map_or(0, |p| found[p].0 + found[p].1.words.len());
                let from = at.saturating_sub(NEGATION_REACH).max(after_previous);
                let negated = tokens[from.min(at)..at]
                    .iter()
                    .any(|t| self.negators.contains(t));
                let turn = |c: Class| match (negated, c) {
                    (true, Class::Complaint) => Class::Praise,
                    (true, Class::Praise) => Class::Complaint,
                    _ => c,
                };
                let meaning = match cue.meaning {
                    Meaning::Class(c) => Meaning::Class(turn(c)),
                    Meaning::Aspect(i, p) => Meaning::Aspect(i, p.map(turn)),
                };
                (cue, meaning)
            })
            .collect();
        let named: Vec<(usize, bool)> = read
            .iter()
            .filter_map(|(_, m)| match m {
                Meaning::Aspect(i, p) => Some((*i, p.is_none())),
                Meaning::Class(_) => None,
            })
            .collect();
        for (_, m) in &mut read {
            if let Meaning::Aspect(i, Some(p)) = *m {
                let by_name = named.iter().any(|&(j, about)| j == i && about);
                let taker = named
                    .iter()
                    .find(|&&(j, _)| self.aspects[j].absorbs.contains(&i))
                    .map(|&(j, _)| j);
                if let (Some(j), false) = (taker, by_name) {
                    *m = Meaning::Aspect(j, Some(p));
                }
            }
        }

        let mut score: BTreeMap<Class, i32> = BTreeMap::new();
        let mut because = Vec::new();
        // (aspect, polarity) in text order.
        let mut mentioned: Vec<(usize, Option<Class>)> = Vec::new();
        for (cue, meaning) in &read {
            let reads_as = match *meaning {
                Meaning::Class(c) => {
                    *score.entry(c).or_default() += 1;
                    c.as_str().to_string()
                }
                Meaning::Aspect(i, polarity) => {
                    if let Some(c) = polarity {
                        *score.entry(c).or_default() += 1;
                    }
                    mentioned.push((i, polarity));
                    match polarity {
                        Some(c) => format!("{}: {}", c.as_str(), self.aspects[i].id),
                        None => self.aspects[i].id.clone(),
                    }
                }
            };
            because.push(Evidence {
                cue: cue.spelled.clone(),
                reads_as,
            });
        }
        let rated = match rating {
            Some(r) if r <= 2 => Some(Class::Complaint),
            Some(r) if r >= 4 => Some(Class::Praise),
            _ => None,
        };
        if let (Some(c), Some(r)) = (rated, rating) {
            *score.entry(c).or_default() += 1;
            because.push(Evidence {
                cue: format!("rating {r}"),
                reads_as: c.as_str().to_string(),
            });
        }

        let s = |c: Class| score.get(&c).copied().unwrap_or(0);
        let asks = text.trim_end().ends_with('?');
        let opens_like_question = self
            .openers
            .iter()
            .any(|o| tokens.len() >= o.len() && tokens[..o.len()] == o[..]);
        let suggests = s(Class::Suggestion) > 0
            && s(Class::Suggestion) >= s(Class::Complaint)
            && s(Class::Suggestion) >= s(Class::Praise);
        // "What should I do if ...?" asks; "can you add oat milk?" suggests.
        let class = if suggests && !(asks && opens_like_question) {
            Class::Suggestion
        } else if asks || (opens_like_question && s(Class::Complaint) == 0) {
            if asks {
                because.push(Evidence {
                    cue: "?".into(),
                    reads_as: "question".into(),
                });
            }
            Class::Question
        } else if s(Class::Praise) > s(Class::Complaint) {
            Class::Praise
        } else {
            // Nothing to go by reads as a complaint: a person looks at it.
            Class::Complaint
        };

        // Aspects with a polarity, when any has one: "the biryani was cold"
        // is about temperature, not about biryani in general.
        let polar = mentioned.iter().any(|m| m.1.is_some());
        let mut aspects: Vec<usize> = Vec::new();
        for (i, p) in &mentioned {
            if (p.is_some() || !polar) && !aspects.contains(i) {
                aspects.push(*i);
            }
        }
        // The team of the first aspect that carries the class, else the first.
        let lead = mentioned
            .iter()
            .find(|m| m.1 == Some(class))
            .map(|m| m.0)
            .or(aspects.first().copied());
        let team = lead
            .map(|i| self.aspects[i].team.clone())
            .unwrap_or_else(|| self.default_team.clone());
        Verdict {
            class,
            aspects: aspects
                .into_iter()
                .map(|i| self.aspects[i].id.clone())
                .collect(),
            team,
            because,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn triage() -> Triage {
        Triage::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("prompts/triage.toml")).unwrap()
    }

    /// `expect` is "class team aspect,aspect".
    fn check(text: &str, rating: Option<i64>, expect: &str) {
        let v = triage().classify(text, rating);
        let got = format!("{} {} {}", v.class.as_str(), v.team, v.aspects.join(","));
        assert_eq!(got.trim_end(), expect, "{text:?}: because {:?}", v.because);
    }

    #[test]
    fn reads_class_aspects_and_team() {
        check(
            "The biryani was cold and the rider was rude",
            None,
            "complaint merchant temperature,rider_behaviour",
        );
        check(
            "the delivery guy was really polite",
            None,
            "praise fleet rider_behaviour",
        );
        check(
            "please add more vegan options",
            None,
            "suggestion catalog assortment",
        );
        check(
            "can I pay cash on delivery?",
            None,
            "question app_payments payment",
        );
        check(
            "the app keeps crashing at checkout",
            None,
            "complaint app_payments app",
        );
        check("worst experience ever", Some(1), "complaint care");
    }

    #[test]
    fn a_negator_turns_the_polarity() {
        check(
            "the pizza was not hot at all",
            None,
            "complaint merchant temperature",
        );
        check(
            "not bad, quite tasty actually",
            None,
            "praise merchant food_quality",
        );
    }

    #[test]
    fn the_verdict_names_its_cues() {
        let v = triage().classify("the soup was cold", Some(2));
        let cues: Vec<&str> = v.because.iter().map(|e| e.cue.as_str()).collect();
        assert_eq!(cues, ["cold", "rating 2"]);
        assert_eq!(v.because[0].reads_as, "complaint: temperature");
    }

    #[test]
    fn rules_that_name_an_unknown_team_are_refused() {
        let bad = r#"
            negators = []
            question_openers = []
            default_team = "care"
            [pain_points]
            summary = "{label}"
            up = "up"
            down = "down"
            level = "level"
            new = "new"
            [class.complaint]
            cues = ["bad"]
            [aspect.temperature]
            label = "Cold"
            team = "kitchen"
            article = "help-cold-food"
            [team.care]
            label = "Care"
        "#;
        let e = Triage::parse(bad).err().expect("refused").to_string();
        assert!(e.contains("kitchen"), "{e}");
    }
}
