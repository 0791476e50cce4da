//! Recommendations learned from baskets: co-purchase ("people also like",
//! "goes with your cart"), repeat purchase ("your usual"), popularity over a
//! group and a time window ("top in your area this week"), and TIFU-KNN
//! (Hu et al., SIGIR 2020), a personal repeat vector blended with the
//! customer's nearest neighbours.
//!
//! Pure and synchronous over integer ids: it knows nothing of products,
//! stock or the database, so the same engine serves requests (through
//! `commerce`, which maps ids and filters by stock and diet) and the offline
//! evaluation over any dataset in the next-basket format. Learning is
//! incremental: [`History::add`] updates every count a basket touches, so a
//! new order never rebuilds anything.

use std::collections::{HashMap, HashSet};

pub type Item = u32;
pub type User = u32;

/// One order: who bought which items, when, and the group (area) they live in.
#[derive(Debug, Clone, PartialEq)]
pub struct Basket {
    pub user: User,
    /// Seconds since the epoch, or any increasing number per user.
    pub at: i64,
    pub group: u32,
    pub items: Vec<Item>,
}

/// "Your usual": how much each older order counts against the next. Close
/// to 1, so how often wins and recency breaks ties; on the seed history
/// `errand eval recs` gives recall@10 0.220 here, 0.230 for plain frequency
/// and 0.167 for a decay of 0.8.
pub const USUAL_DECAY: f64 = 0.99;

/// Scored items, best first; ties go to the smaller id so runs repeat.
pub type Ranked = Vec<(Item, f64)>;

/// TIFU-KNN's settings. The defaults are those the next-basket reality
/// check (Li et al., TOIS 2023) runs on Instacart, not tuned on our data.
#[derive(Debug, Clone, Copy)]
pub struct Tifu {
    /// Baskets per group, most recent group last.
    pub group_size: usize,
    /// Decay between baskets inside a group and between groups.
    pub within: f64,
    pub between: f64,
    pub neighbours: usize,
    /// Weight of the customer's own vector against the neighbours'.
    pub alpha: f64,
}

impl Default for Tifu {
    fn default() -> Self {
        Tifu {
            group_size: 3,
            within: 0.9,
            between: 0.7,
            neighbours: 900,
            alpha: 0.9,
        }
    }
}

#[derive(Default)]
pub struct History {
    baskets: Vec<Basket>,
    /// Indexes into `baskets`, in time order.
    by_user: HashMap<User, Vec<usize>>,
    /// How many baskets hold each item.
    freq: HashMap<Item, u32>,
    /// How many baskets hold both items, both ways round.
    co: HashMap<Item, HashMap<Item, u32>>,
    /// Who ever bought each item: the candidates for TIFU's neighbours.
    buyers: HashMap<Item, HashSet<User>>,
    /// Each user's TIFU vector, cached until their next basket.
    vectors: HashMap<User, HashMap<Item, f64>>,
    tifu: Tifu,
}

impl History {
    pub fn new(tifu: Tifu) -> History {
        History {
            tifu,
            ..History::default()
        }
    }

    pub fn len(&self) -> usize {
        self.baskets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.baskets.is_empty()
    }

    /// How many baskets hold `item`.
    pub fn count(&self, item: Item) -> u32 {
        self.freq.get(&item).copied().unwrap_or(0)
    }

    /// Learns one basket; an item listed twice counts once.
    pub fn add(&mut self, mut b: Basket) {
        let mut seen = HashSet::new();
        b.items.retain(|i| seen.insert(*i));
        if b.items.is_empty() {
            return;
        }
        for (n, &i) in b.items.iter().enumerate() {
            *self.freq.entry(i).or_default() += 1;
            self.buyers.entry(i).or_default().insert(b.user);
            for &j in &b.items[n + 1..] {
                *self.co.entry(i).or_default().entry(j).or_default() += 1;
                *self.co.entry(j).or_default().entry(i).or_default() += 1;
            }
        }
        self.vectors.remove(&b.user);
        let at = b.at;
        let index = self.baskets.len();
        let user = b.user;
        self.baskets.push(b);
        let mine = self.by_user.entry(user).or_default();
        let pos = mine.partition_point(|&k| self.baskets[k].at <= at);
        mine.insert(pos, index);
    }

    /// The user's baskets, oldest first.
    pub fn baskets_of(&self, user: User) -> impl Iterator<Item = &Basket> {
        self.by_user
            .get(&user)
            .into_iter()
            .flatten()
            .map(|&k| &self.baskets[k])
    }

    /// Items by how many baskets hold them, among baskets `keep` accepts.
    pub fn popular(&self, keep: impl Fn(&Basket) -> bool) -> Ranked {
        let mut counts: HashMap<Item, f64> = HashMap::new();
        for b in self.baskets.iter().filter(|b| keep(b)) {
            for &i in &b.items {
                *counts.entry(i).or_default() += 1.0;
            }
        }
        ranked(counts)
    }

    /// All baskets at once, from the running counts (no scan).
    pub fn popular_all(&self) -> Ranked {
        ranked(self.freq.iter().map(|(&i, &n)| (i, f64::from(n))))
    }

    /// The user's own items, each basket worth `decay` times the next one's,
    /// so what they buy lately leads.
    pub fn repeat(&self, user: User, decay: f64) -> Ranked {
        let mut scores: HashMap<Item, f64> = HashMap::new();
        let mut weight = 1.0;
        let mine: Vec<&Basket> = self.baskets_of(user).collect();
        for b in mine.iter().rev() {
            for &i in &b.items {
                *scores.entry(i).or_default() += weight;
            }
            weight *= decay;
        }
        ranked(scores)
    }

    /// Items bought together with `seeds`, by cosine of co-purchase counts
    /// (so a best-seller does not top every list), seeds left out.
    pub fn also_like(&self, seeds: &[Item]) -> Ranked {
        let mut scores: HashMap<Item, f64> = HashMap::new();
        for s in seeds {
            let (Some(with), Some(&fs)) = (self.co.get(s), self.freq.get(s)) else {
                continue;
            };
            for (&j, &c) in with {
                let fj = self.freq.get(&j).copied().unwrap_or(1);
                *scores.entry(j).or_default() +=
                    f64::from(c) / (f64::from(fs) * f64::from(fj)).sqrt();
            }
        }
        for s in seeds {
            scores.remove(s);
        }
        ranked(scores)
    }

    /// How often `a` and `b` were bought together.
    pub fn together(&self, a: Item, b: Item) -> u32 {
        self.co
            .get(&a)
            .and_then(|m| m.get(&b))
            .copied()
            .unwrap_or(0)
    }

    /// TIFU-KNN: the user's time-decayed repeat vector blended with the mean
    /// vector of the users most like them (cosine).
    pub fn tifu(&mut self, user: User) -> Ranked {
        let own = self.vector(user);
        if own.is_empty() {
            return Vec::new();
        }
        let mut candidates: HashSet<User> = HashSet::new();
        for i in own.keys() {
            candidates.extend(self.buyers.get(i).into_iter().flatten().copied());
        }
        candidates.remove(&user);
        let mut candidates: Vec<User> = candidates.into_iter().collect();
        candidates.sort_unstable();
        let norm = |v: &HashMap<Item, f64>| v.values().map(|x| x * x).sum::<f64>().sqrt();
        let own_norm = norm(&own);
        let mut near: Vec<(f64, User)> = Vec::with_capacity(candidates.len());
        for other in candidates {
            let v = self.vector(other);
            let dot: f64 = own
                .iter()
                .filter_map(|(i, x)| v.get(i).map(|y| x * y))
                .sum();
            near.push((dot / (own_norm * norm(&v)).max(f64::EPSILON), other));
        }
        near.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        near.truncate(self.tifu.neighbours);
        let alpha = self.tifu.alpha;
        let mut scores: HashMap<Item, f64> = own.iter().map(|(&i, &x)| (i, alpha * x)).collect();
        if !near.is_empty() {
            let share = (1.0 - alpha) / near.len() as f64;
            for (_, other) in near {
                for (i, y) in self.vector(other) {
                    *scores.entry(i).or_default() += share * y;
                }
            }
        }
        ranked(scores)
    }

    /// The user's TIFU vector: baskets in groups of `group_size` (the oldest
    /// group may be short), each group the decayed mean of its baskets, the
    /// user the decayed mean of their groups.
    fn vector(&mut self, user: User) -> HashMap<Item, f64> {
        if let Some(v) = self.vectors.get(&user) {
            return v.clone();
        }
        let t = self.tifu;
        let mine: Vec<&Basket> = self.baskets_of(user).collect();
        let mut groups: Vec<&[&Basket]> = mine.rchunks(t.group_size.max(1)).collect();
        groups.reverse();
        let mut v: HashMap<Item, f64> = HashMap::new();
        let n = groups.len();
        for (g, group) in groups.iter().enumerate() {
            let gw = t.between.powi((n - 1 - g) as i32) / n as f64;
            let m = group.len();
            for (k, b) in group.iter().enumerate() {
                let bw = gw * t.within.powi((m - 1 - k) as i32) / m as f64;
                for &i in &b.items {
                    *v.entry(i).or_default() += bw;
                }
            }
        }
        self.vectors.insert(user, v.clone());
        v
    }
}

fn ranked(scores: impl IntoIterator<Item = (Item, f64)>) -> Ranked {
    let mut v: Ranked = scores.into_iter().collect();
    v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    v
}

/// The first `k` of `first`, then of `fill`, skipping repeats and `skip`.
pub fn top_k(first: &Ranked, fill: &Ranked, k: usize, skip: impl Fn(Item) -> bool) -> Vec<Item> {
    let mut out: Vec<Item> = Vec::with_capacity(k);
    for &(i, _) in first.iter().chain(fill) {
        if out.len() == k {
            break;
        }
        if !skip(i) && !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

/// A row of up to `k` from `ranked`, in order, with at most `cap` of any one
/// kind: an item over the cap waits and only fills places nothing else can.
/// `keep` (a stock check, say) runs only on items that could take a place,
/// and the scan stops once the row is full.
pub fn capped<T, E>(
    ranked: impl IntoIterator<Item = T>,
    k: usize,
    cap: usize,
    kind: impl Fn(&T) -> String,
    mut keep: impl FnMut(&T) -> Result<bool, E>,
) -> Result<Vec<T>, E> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::with_capacity(k);
    let mut waiting = Vec::new();
    for x in ranked {
        if out.len() == k {
            break;
        }
        let n = counts.entry(kind(&x)).or_default();
        let over = *n >= cap;
        if over && waiting.len() >= k || !keep(&x)? {
            continue;
        }
        if over {
            waiting.push(x);
        } else {
            *n += 1;
            out.push(x);
        }
    }
    let short = k - out.len();
    out.extend(waiting.into_iter().take(short));
    Ok(out)
}

/// Share of pairs in `list` of different kinds: 1 is all different.
pub fn diversity<T: Copy>(list: &[T], kind: impl Fn(T) -> String) -> f64 {
    let kinds: Vec<String> = list.iter().map(|&x| kind(x)).collect();
    let mut pairs = 0usize;
    let mut apart = 0usize;
    for a in 0..kinds.len() {
        for b in a + 1..kinds.len() {
            pairs += 1;
            apart += usize::from(kinds[a] != kinds[b]);
        }
    }
    if pairs == 0 {
        0.0
    } else {
        apart as f64 / pairs as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basket(user: User, at: i64, items: &[Item]) -> Basket {
        Basket {
            user,
            at,
            group: 0,
            items: items.to_vec(),
        }
    }

    fn ids(r: &Ranked) -> Vec<Item> {
        r.iter().map(|x| x.0).collect()
    }

    #[test]
    fn co_purchase_is_cosine_and_leaves_the_seed_out() {
        let mut h = History::default();
        // 1 goes with 2 every time; 3 is everywhere, so it is worth less.
        for u in 0..4 {
            h.add(basket(u, 1, &[1, 2, 3]));
        }
        for u in 4..20 {
            h.add(basket(u, 1, &[3, 9]));
        }
        let r = h.also_like(&[1]);
        assert_eq!(ids(&r), vec![2, 3]);
        assert!(r[0].1 > r[1].1);
        assert_eq!(h.together(1, 2), 4);
        assert_eq!(h.together(2, 9), 0);
    }

    #[test]
    fn repeat_puts_recent_habits_first() {
        let mut h = History::default();
        h.add(basket(7, 3, &[5]));
        h.add(basket(7, 1, &[4]));
        h.add(basket(7, 2, &[4, 4]));
        // Added out of order: the history keeps time order.
        assert_eq!(h.baskets_of(7).map(|b| b.at).collect::<Vec<_>>(), [1, 2, 3]);
        // 4 twice (0.5 + 0.25) beats 5 once lately (1.0) only with slow decay.
        assert_eq!(ids(&h.repeat(7, 0.5)), vec![5, 4]);
        assert_eq!(ids(&h.repeat(7, 0.9)), vec![4, 5]);
        assert!(h.repeat(8, 0.9).is_empty());
    }

    #[test]
    fn popularity_counts_baskets_in_the_window() {
        let mut h = History::default();
        h.add(Basket {
            user: 1,
            at: 10,
            group: 1,
            items: vec![1, 2],
        });
        h.add(Basket {
            user: 2,
            at: 20,
            group: 2,
            items: vec![2],
        });
        h.add(Basket {
            user: 3,
            at: 30,
            group: 1,
            items: vec![3, 1],
        });
        assert_eq!(ids(&h.popular_all()), vec![1, 2, 3]);
        assert_eq!(ids(&h.popular(|b| b.group == 1 && b.at >= 15)), vec![1, 3]);
        assert_eq!(h.popular(|_| true), h.popular_all());
    }

    #[test]
    fn tifu_brings_in_what_similar_users_buy() {
        let mut h = History::new(Tifu {
            neighbours: 1,
            ..Tifu::default()
        });
        h.add(basket(1, 1, &[1, 2]));
        h.add(basket(2, 1, &[1, 2, 3]));
        h.add(basket(3, 1, &[8, 9]));
        let r = h.tifu(1);
        // Own items first, then the nearest neighbour's 3; user 3 shares nothing.
        assert_eq!(ids(&r), vec![1, 2, 3]);
        h.add(basket(1, 2, &[8]));
        assert!(
            ids(&h.tifu(1)).contains(&8),
            "the cache is dropped on a new basket"
        );
    }

    #[test]
    fn category_cap_keeps_order_and_fills_from_the_waiting() {
        let kind = |x: &u32| (x / 10).to_string();
        let all = |_: &u32| Ok::<_, ()>(true);
        let list = [10, 11, 12, 20, 13, 30];
        assert_eq!(capped(list, 5, 2, kind, all), Ok(vec![10, 11, 20, 30, 12]));
        assert_eq!(capped(list, 3, 1, kind, all), Ok(vec![10, 20, 30]));
        // What `keep` refuses never takes a place; it is not asked about
        // items after the row is full.
        let mut asked = Vec::new();
        let odd = |x: &u32| {
            asked.push(*x);
            Ok::<_, ()>(x % 2 == 1)
        };
        assert_eq!(capped(list, 2, 2, kind, odd), Ok(vec![11, 13]));
        assert_eq!(asked, vec![10, 11, 12, 20, 13]);
        let kind = |x: u32| (x / 10).to_string();
        assert!((diversity(&[10, 11, 20], kind) - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(diversity(&[10], kind), 0.0);
    }

    #[test]
    fn top_k_fills_and_skips() {
        let first = vec![(1, 3.0), (2, 2.0)];
        let fill = vec![(2, 9.0), (3, 8.0), (4, 7.0)];
        assert_eq!(top_k(&first, &fill, 3, |i| i == 1), vec![2, 3, 4]);
    }
}
