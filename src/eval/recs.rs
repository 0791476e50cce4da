//! `errand eval recs`: next-basket evaluation of the recommendation methods.
//! Each customer's last basket is held out and predicted from everything
//! else (the temporal split of the next-basket literature); Recall@k,
//! NDCG@k, hit rate, catalog coverage and, where items have categories,
//! intra-list diversity are reported per method, beside the popularity and
//! repeat baselines that the TOIS 2023 reality check found hard to beat.
//!
//! Reads our own order history or any dataset in that benchmark's format: a
//! history file and a future file, each `{"user": [[-1], [item, ...], ...,
//! [-1]]}`, baskets in time order between `[-1]` markers. `--export` writes
//! our history in the same format, so the two paths can be checked
//! against each other and against published figures.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use anyhow::{bail, Context};
use serde::Serialize;

use crate::commerce::OrderBasket;
use crate::knowledge::Knowledge;
use crate::recs::{self, Basket, History, Item, Ranked, Tifu, User};

/// Baskets with, for our own data, what each id stands for.
pub struct Dataset {
    pub baskets: Vec<Basket>,
    /// Product id per item id (empty for an external dataset).
    pub item_names: Vec<String>,
    /// Category per item id, for diversity (empty when unknown).
    pub categories: Vec<String>,
    /// Whether baskets carry a real group (area); else `popular_area` is skipped.
    pub grouped: bool,
}

/// Held-out baskets: each evaluated user's last one.
pub struct Split {
    pub train: Vec<Basket>,
    pub future: Vec<(User, Vec<Item>)>,
}

/// Our order history, ids interned in order of first appearance.
pub fn from_orders(orders: &[OrderBasket], k: &Knowledge) -> Dataset {
    let mut users: HashMap<&str, User> = HashMap::new();
    let mut areas: HashMap<&str, u32> = HashMap::new();
    let mut items: HashMap<&str, Item> = HashMap::new();
    let mut item_names: Vec<String> = Vec::new();
    let mut baskets = Vec::with_capacity(orders.len());
    for o in orders {
        let n = users.len() as User;
        let user = *users.entry(&o.customer).or_insert(n);
        let n = areas.len() as u32;
        let group = *areas.entry(&o.area).or_insert(n);
        let mut ids = Vec::with_capacity(o.products.len());
        for p in &o.products {
            let id = *items.entry(p).or_insert_with(|| {
                item_names.push(p.clone());
                (item_names.len() - 1) as Item
            });
            ids.push(id);
        }
        baskets.push(Basket {
            user,
            at: o.at,
            group,
            items: ids,
        });
    }
    let categories = item_names
        .iter()
        .map(|p| {
            k.product(p)
                .map_or_else(|| "?".into(), |p| p.category.clone())
        })
        .collect();
    Dataset {
        baskets,
        item_names,
        categories,
        grouped: true,
    }
}

/// The last basket of every user with two or more, held out.
pub fn leave_last_out(baskets: &[Basket]) -> Split {
    let mut by_user: BTreeMap<User, Vec<usize>> = BTreeMap::new();
    for (i, b) in baskets.iter().enumerate() {
        by_user.entry(b.user).or_default().push(i);
    }
    let mut held: HashSet<usize> = HashSet::new();
    let mut future = Vec::new();
    for (user, mut mine) in by_user {
        if mine.len() < 2 {
            continue;
        }
        // Stable: baskets at the same time keep their order.
        mine.sort_by_key(|&i| baskets[i].at);
        let last = *mine.last().expect("two or more");
        held.insert(last);
        future.push((user, baskets[last].items.clone()));
    }
    let train = baskets
        .iter()
        .enumerate()
        .filter(|(i, _)| !held.contains(i))
        .map(|(_, b)| b.clone())
        .collect();
    Split { train, future }
}

/// One method's scores.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Row {
    pub method: String,
    pub recall: f64,
    pub ndcg: f64,
    pub hit_rate: f64,
    /// Distinct items recommended over all users / items in the dataset.
    pub coverage: f64,
    /// Mean share of pairs in a list from different categories.
    pub diversity: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub k: usize,
    pub users: usize,
    pub items: usize,
    pub train_baskets: usize,
    pub rows: Vec<Row>,
}

/// The methods compared, in the table's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Popular,
    /// Only where baskets have areas.
    PopularArea,
    Repeat,
    CoPurchase,
    TifuKnn,
}

impl Method {
    pub const ALL: [Method; 5] = [
        Method::Popular,
        Method::PopularArea,
        Method::Repeat,
        Method::CoPurchase,
        Method::TifuKnn,
    ];

    fn name(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }
}

/// Scores every method at `k` on `split`.
pub fn evaluate(ds: &Dataset, split: &Split, k: usize, progress: bool) -> Report {
    let mut history = History::new(Tifu::default());
    let mut group_of: HashMap<User, u32> = HashMap::new();
    for b in &split.train {
        group_of.insert(b.user, b.group);
        history.add(b.clone());
    }
    let popular = history.popular_all();
    let mut by_group: HashMap<u32, Ranked> = HashMap::new();
    let mut all_items: HashSet<Item> = split.train.iter().flat_map(|b| b.items.clone()).collect();
    all_items.extend(split.future.iter().flat_map(|(_, f)| f.iter().copied()));
    let methods: Vec<Method> = Method::ALL
        .into_iter()
        .filter(|m| ds.grouped || *m != Method::PopularArea)
        .collect();
    let bar = super::progress(
        !progress,
        methods.len() * split.future.len(),
        "users recommended for",
    );
    let mut rows = Vec::new();
    for method in methods {
        let (mut recall, mut ndcg, mut hits, mut diversity) = (0.0, 0.0, 0.0, 0.0);
        let mut shown: HashSet<Item> = HashSet::new();
        for (user, truth) in &split.future {
            let first: Ranked = match method {
                Method::Popular => Vec::new(),
                Method::PopularArea => {
                    let g = group_of.get(user).copied();
                    by_group
                        .entry(g.unwrap_or(u32::MAX))
                        .or_insert_with(|| history.popular(|b| Some(b.group) == g))
                        .clone()
                }
                Method::Repeat => history.repeat(*user, recs::USUAL_DECAY),
                Method::CoPurchase => {
                    let mine: Vec<Item> = history
                        .baskets_of(*user)
                        .flat_map(|b| b.items.iter().copied())
                        .collect::<HashSet<_>>()
                        .into_iter()
                        .collect();
                    history.also_like(&mine)
                }
                Method::TifuKnn => history.tifu(*user),
            };
            let list = recs::top_k(&first, &popular, k, |_| false);
            let truth: HashSet<Item> = truth.iter().copied().collect();
            let mut dcg = 0.0;
            let mut found = 0usize;
            for (rank, i) in list.iter().enumerate() {
                if truth.contains(i) {
                    found += 1;
                    dcg += 1.0 / ((rank + 2) as f64).log2();
                }
            }
            let ideal: f64 = (0..truth.len().min(k))
                .map(|r| 1.0 / ((r + 2) as f64).log2())
                .sum();
            recall += found as f64 / truth.len().max(1) as f64;
            ndcg += if ideal > 0.0 { dcg / ideal } else { 0.0 };
            hits += f64::from(u8::from(found > 0));
            if !ds.categories.is_empty() {
                diversity += recs::diversity(&list, |i| ds.categories[i as usize].clone());
            }
            shown.extend(list);
            bar.inc(1);
        }
        let n = split.future.len().max(1) as f64;
        rows.push(Row {
            method: method.name(),
            recall: recall / n,
            ndcg: ndcg / n,
            hit_rate: hits / n,
            coverage: shown.len() as f64 / all_items.len().max(1) as f64,
            diversity: (!ds.categories.is_empty()).then_some(diversity / n),
        });
    }
    bar.finish_and_clear();
    Report {
        k,
        users: split.future.len(),
        items: all_items.len(),
        train_baskets: split.train.len(),
        rows,
    }
}

/// Parses one file of the next-basket format into `(user, baskets)`.
fn read_baskets(path: &Path) -> anyhow::Result<Vec<(User, Vec<Vec<Item>>)>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let raw: BTreeMap<String, Vec<Vec<i64>>> = serde_json::from_str(&text).with_context(|| {
        format!(
            "{}: expected {{\"user_id\": [[-1], [item, ...], ..., [-1]]}}",
            path.display()
        )
    })?;
    let mut out = Vec::with_capacity(raw.len());
    for (user, baskets) in raw {
        let id: User = user.parse().with_context(|| {
            format!("{}: user id `{user}` is not a whole number", path.display())
        })?;
        let mut mine = Vec::new();
        for b in baskets {
            if b == [-1] {
                continue;
            }
            let items = b
                .iter()
                .map(|&i| Item::try_from(i))
                .collect::<Result<Vec<Item>, _>>()
                .map_err(|_| {
                    anyhow::anyhow!(
                        "{}: user {user} has an item id outside 0..2^32",
                        path.display()
                    )
                })?;
            if !items.is_empty() {
                mine.push(items);
            }
        }
        out.push((id, mine));
    }
    Ok(out)
}

/// An external dataset: history baskets in file order, and each user's
/// next basket from the future file.
pub fn read_external(history: &Path, future: &Path) -> anyhow::Result<(Dataset, Split)> {
    let mut train = Vec::new();
    for (user, baskets) in read_baskets(history)? {
        for (at, items) in baskets.into_iter().enumerate() {
            train.push(Basket {
                user,
                at: at as i64,
                group: 0,
                items,
            });
        }
    }
    let mut next = Vec::new();
    for (user, baskets) in read_baskets(future)? {
        match baskets.as_slice() {
            [] => {}
            [one] => next.push((user, one.clone())),
            _ => bail!(
                "{}: user {user} has {} baskets; the future file holds one per user",
                future.display(),
                baskets.len()
            ),
        }
    }
    if next.is_empty() {
        bail!("{}: no user has a future basket", future.display());
    }
    // By user id, as `leave_last_out` orders them, so sums add up alike.
    next.sort_by_key(|(user, _)| *user);
    let ds = Dataset {
        baskets: Vec::new(),
        item_names: Vec::new(),
        categories: Vec::new(),
        grouped: false,
    };
    Ok((
        ds,
        Split {
            train,
            future: next,
        },
    ))
}

/// Writes `split` as `history.json` and `future.json` in the next-basket
/// format, and `items.json` (item id -> product id) beside them.
pub fn export(ds: &Dataset, split: &Split, dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let wrap = |baskets: Vec<Vec<Item>>| {
        let mut v: Vec<Vec<i64>> = vec![vec![-1]];
        v.extend(
            baskets
                .into_iter()
                .map(|b| b.into_iter().map(i64::from).collect()),
        );
        v.push(vec![-1]);
        v
    };
    let mut history: BTreeMap<String, Vec<Vec<Item>>> = BTreeMap::new();
    let mut order: Vec<&Basket> = split.train.iter().collect();
    order.sort_by_key(|b| (b.user, b.at));
    for b in order {
        history
            .entry(b.user.to_string())
            .or_default()
            .push(b.items.clone());
    }
    let history: BTreeMap<String, Vec<Vec<i64>>> =
        history.into_iter().map(|(u, b)| (u, wrap(b))).collect();
    let future: BTreeMap<String, Vec<Vec<i64>>> = split
        .future
        .iter()
        .map(|(u, f)| (u.to_string(), wrap(vec![f.clone()])))
        .collect();
    let items: BTreeMap<String, &str> = ds
        .item_names
        .iter()
        .enumerate()
        .map(|(i, p)| (i.to_string(), p.as_str()))
        .collect();
    for (name, value) in [
        ("history.json", serde_json::to_string(&history)?),
        ("future.json", serde_json::to_string(&future)?),
        ("items.json", serde_json::to_string_pretty(&items)?),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, value).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

pub fn table(r: &Report) -> String {
    let mut out = format!(
        "next basket: {} users, {} items, {} training baskets, k = {}\n",
        r.users, r.items, r.train_baskets, r.k
    );
    out.push_str(&format!(
        "{:<14} {:>9} {:>9} {:>9} {:>9} {:>9}\n",
        "method",
        format!("recall@{}", r.k),
        format!("ndcg@{}", r.k),
        "hit rate",
        "coverage",
        "diversity"
    ));
    for row in &r.rows {
        out.push_str(&format!(
            "{:<14} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>9}\n",
            row.method,
            row.recall,
            row.ndcg,
            row.hit_rate,
            row.coverage,
            row.diversity
                .map_or_else(|| "-".into(), |d| format!("{d:.3}"))
        ));
    }
    out
}
