//! Tunnels, checked when a story compiles: where each `return` can lead,
//! how deep tunnels can nest, and whether a `return` can be reached with
//! no tunnel to return from.
//!
//! A tunnel's *region* is what a player can reach from the scene it enters
//! without returning from it: by `goto`s and checks, and past a tunnel
//! entered inside it to the scene that one comes back to (the call is
//! summarised by its return). Every `return` in the region of a tunnel
//! can come back to that tunnel's `back`; the start scene's region holds
//! the returns that a player can reach with no tunnel entered (E050). A
//! path through these edges that also enters tunnels counts one level per
//! entry, so a cycle through an entry nests without bound and the longest
//! path is the deepest the stack gets (E051).

use std::collections::VecDeque;

use crate::story::{Action, Choice, ChoiceId, MAX_TUNNEL_DEPTH, Returns, Scene, SceneId};

/// What the analysis found: the stack's greatest depth from any scene
/// (capped at `MAX_TUNNEL_DEPTH`), and the problems, in scene order.
pub(crate) struct Analysis {
    pub(crate) depth: usize,
    pub(crate) problems: Vec<Problem>,
}

pub(crate) enum Problem {
    /// A `return` that a player can reach from the start with no tunnel
    /// entered.
    ReturnOutside(ChoiceId),
    /// A tunnel that can be entered again before it returns.
    Recursive(ChoiceId),
    /// A tunnel entered with this many tunnels nested inside it, in all.
    TooDeep(ChoiceId, usize),
}

/// Past this many steps in all (tunnels entered times the size of the
/// graph), every `return` is taken to come back to any tunnel's `back`:
/// still an over-approximation, computed in linear time.
const REGION_BUDGET: usize = 1 << 25;

/// Checks the tunnels of compiled scenes and fills in where each `return`
/// can lead (`Returns::to`).
pub(crate) fn analyse(start: SceneId, scenes: &[Scene], choices: &mut [Choice]) -> Analysis {
    // Each scene's edges: within its region (goto, check branches, the
    // summary of a tunnel to its `back`), and the tunnels it enters.
    let n = scenes.len();
    let mut local: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut calls: Vec<Vec<(ChoiceId, usize, usize)>> = vec![Vec::new(); n];
    let mut returns: Vec<Vec<ChoiceId>> = vec![Vec::new(); n];
    let mut any_tunnel = false;
    let mut edges = 0;
    for (s, scene) in scenes.iter().enumerate() {
        for &c in &scene.choices {
            match &choices[c.index()].action {
                Action::Goto(t) => local[s].push(t.index()),
                Action::Check(check) => {
                    local[s].push(check.success.goto.index());
                    local[s].push(check.failure.goto.index());
                }
                Action::Tunnel { into, back } => {
                    any_tunnel = true;
                    local[s].push(back.index());
                    calls[s].push((c, into.index(), back.index()));
                }
                Action::Return(_) => returns[s].push(c),
            }
        }
        edges += local[s].len() + calls[s].len();
    }
    let mut problems = Vec::new();
    // Returns reachable from the start with an empty stack.
    let from_start = reach(&local, start.index());
    for (s, reached) in from_start.iter().enumerate() {
        if *reached {
            problems.extend(returns[s].iter().map(|&c| Problem::ReturnOutside(c)));
        }
    }
    if !any_tunnel {
        return Analysis { depth: 0, problems };
    }
    // Where returns lead: the backs of each tunnel whose region holds them.
    let mut backs: Vec<Vec<usize>> = vec![Vec::new(); n];
    for list in &calls {
        for &(_, into, back) in list {
            backs[into].push(back);
        }
    }
    let intos: Vec<usize> = (0..n).filter(|&i| !backs[i].is_empty()).collect();
    for b in &mut backs {
        b.sort_unstable();
        b.dedup();
    }
    let mut to: Vec<Vec<usize>> = vec![Vec::new(); n];
    if intos.len().saturating_mul(n + edges) <= REGION_BUDGET {
        for &into in &intos {
            for (s, reached) in reach(&local, into).into_iter().enumerate() {
                if reached && !returns[s].is_empty() {
                    to[s].extend_from_slice(&backs[into]);
                }
            }
        }
    } else {
        let mut all: Vec<usize> = backs.iter().flatten().copied().collect();
        all.sort_unstable();
        all.dedup();
        for (s, r) in returns.iter().enumerate() {
            if !r.is_empty() {
                to[s].clone_from(&all);
            }
        }
    }
    for (s, list) in returns.iter().enumerate() {
        to[s].sort_unstable();
        to[s].dedup();
        for &c in list {
            if let Action::Return(r) = &mut choices[c.index()].action {
                *r = Returns {
                    to: to[s].iter().map(|&t| SceneId(t as u32)).collect(),
                };
            }
        }
    }
    // Depth: the components of the graph of every edge, entries included.
    let all: Vec<Vec<usize>> = (0..n)
        .map(|s| {
            local[s]
                .iter()
                .copied()
                .chain(calls[s].iter().map(|&(_, t, _)| t))
                .collect()
        })
        .collect();
    let (component, order) = components(&all);
    // One entry is reported for each cycle: the first in scene order.
    let mut reported = vec![false; order.len()];
    let mut recursive = false;
    for (s, list) in calls.iter().enumerate() {
        for &(c, into, _) in list {
            if component[s] == component[into] && !reported[component[s]] {
                reported[component[s]] = true;
                problems.push(Problem::Recursive(c));
                recursive = true;
            }
        }
    }
    if recursive {
        return Analysis {
            depth: MAX_TUNNEL_DEPTH,
            problems,
        };
    }
    // Longest path, in tunnels entered, from each component: the
    // components come successors first.
    let mut deepest = vec![0usize; order.len()];
    for (k, members) in order.iter().enumerate() {
        let mut d = 0;
        for &s in members {
            for &t in &local[s] {
                d = d.max(deepest[component[t]]);
            }
            for &(_, t, _) in &calls[s] {
                d = d.max(deepest[component[t]] + 1);
            }
        }
        deepest[k] = d;
    }
    let depth = deepest.iter().copied().max().unwrap_or(0);
    if depth > MAX_TUNNEL_DEPTH {
        // The outermost entry of the deepest chain.
        let worst = calls
            .iter()
            .flatten()
            .map(|&(c, t, _)| (deepest[component[t]] + 1, c))
            .max_by_key(|&(d, c)| (d, std::cmp::Reverse(c)));
        if let Some((d, c)) = worst {
            problems.push(Problem::TooDeep(c, d));
        }
    }
    Analysis {
        depth: depth.min(MAX_TUNNEL_DEPTH),
        problems,
    }
}

/// The scenes reachable from `from` by `edges`, `from` included.
fn reach(edges: &[Vec<usize>], from: usize) -> Vec<bool> {
    let mut seen = vec![false; edges.len()];
    seen[from] = true;
    let mut queue = VecDeque::from([from]);
    while let Some(s) = queue.pop_front() {
        for &t in &edges[s] {
            if !seen[t] {
                seen[t] = true;
                queue.push_back(t);
            }
        }
    }
    seen
}

/// The strongly connected components of a graph (Tarjan's algorithm,
/// without recursion): each node's component, and the components' nodes,
/// each component after every component it reaches.
pub(crate) fn components(succ: &[Vec<usize>]) -> (Vec<usize>, Vec<Vec<usize>>) {
    const NONE: usize = usize::MAX;
    let n = succ.len();
    let (mut index, mut low) = (vec![NONE; n], vec![0; n]);
    let mut on_stack = vec![false; n];
    let mut component = vec![NONE; n];
    let (mut stack, mut out) = (Vec::new(), Vec::new());
    let mut next = 0;
    // Each frame: a node and how many of its successors are done.
    let mut frames: Vec<(usize, usize)> = Vec::new();
    for root in 0..n {
        if index[root] != NONE {
            continue;
        }
        frames.push((root, 0));
        while let Some(&mut (v, ref mut i)) = frames.last_mut() {
            if *i == 0 && index[v] == NONE {
                index[v] = next;
                low[v] = next;
                next += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            if let Some(&w) = succ[v].get(*i) {
                *i += 1;
                if index[w] == NONE {
                    frames.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            frames.pop();
            if let Some(&(parent, _)) = frames.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut members = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component[w] = out.len();
                    members.push(w);
                    if w == v {
                        break;
                    }
                }
                out.push(members);
            }
        }
    }
    (component, out)
}
