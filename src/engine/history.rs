//! The tree of every path taken in a playthrough: undo, rewind and branches.
//!
//! Each node holds the state after its step, so moving anywhere in the tree
//! is a lookup, not a replay. The RNG travels in the state: taking the same
//! choice again from the same node gives the same roll, and lands on the
//! same child rather than a copy.
//!
//! Moving back (undo, rewind, restart) remembers where you came from, so
//! `redo` can follow the same path down again.
//!
//! Every branch has a number for good: the start is branch 1; a step from
//! the end of a branch carries it on; a step from anywhere else (a choice
//! not taken there before) starts a new branch with the next number. A
//! node's `branch` is the branch it was made on, so the nodes of a branch
//! are a chain from where it forked down to its end, each parent's first
//! child carrying the parent's number on.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::engine::State;

/// One choice taken: the event log's entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Step {
    /// The scene the choice was taken in.
    pub scene: String,
    /// The choice's key.
    pub key: String,
    /// For a random check: the number rolled (1 to 100, absent when forced)
    /// and whether it succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roll: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success: Option<bool>,
}

#[derive(Debug, Clone)]
pub struct Node {
    pub parent: Option<usize>,
    pub step: Option<Step>,
    pub state: State,
    pub children: Vec<usize>,
    pub depth: usize,
    /// The number of the branch this node was made on.
    pub branch: u32,
}

#[derive(Debug, Clone)]
pub struct Tree {
    pub nodes: Vec<Node>,
    pub current: usize,
    /// Which playthrough this is (see `play::save::SaveFile::playthrough`):
    /// set by whoever begins a new game, kept by saves; 0 when unset.
    pub playthrough: u64,
    /// The number the next new branch takes.
    pub next_branch: u32,
    /// Names the player gave branches, by number.
    pub names: BTreeMap<u32, String>,
    /// The deepest node that moving back left, for `redo`: it counts only
    /// while it lies below the current node. Not saved: a loaded game has
    /// nothing to redo.
    came_from: Option<usize>,
}

/// Why a branch name was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameError {
    /// Not 1 to 32 letters, digits, `-` and `_` with a letter among them.
    Malformed,
    /// Another branch has it.
    Taken(u32),
}

impl std::fmt::Display for NameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NameError::Malformed => f.write_str(
                "a branch name is 1 to 32 letters, digits, `-` and `_`, with at least one letter",
            ),
            NameError::Taken(b) => write!(f, "branch {b} has that name already"),
        }
    }
}

impl Tree {
    pub fn new(root: State) -> Tree {
        Tree {
            nodes: vec![Node {
                parent: None,
                step: None,
                state: root,
                children: Vec::new(),
                depth: 0,
                branch: 1,
            }],
            current: 0,
            playthrough: 0,
            next_branch: 2,
            names: BTreeMap::new(),
            came_from: None,
        }
    }

    pub fn state(&self) -> &State {
        &self.nodes[self.current].state
    }

    pub fn depth(&self) -> usize {
        self.nodes[self.current].depth
    }

    /// Records a step from the current node and moves to it. A step equal to
    /// an existing child's (same choice, same outcome) reuses that child.
    pub fn push(&mut self, step: Step, state: State) -> usize {
        let here = self.current;
        if let Some(&child) = self.nodes[here]
            .children
            .iter()
            .find(|&&c| self.nodes[c].step.as_ref() == Some(&step))
        {
            self.nodes[child].state = state;
            self.current = child;
            return child;
        }
        let depth = self.nodes[here].depth + 1;
        // The end of a branch carries it on; anywhere else forks a new one.
        let branch = if self.nodes[here].children.is_empty() {
            self.nodes[here].branch
        } else {
            let b = self.next_branch;
            self.next_branch = self.next_branch.saturating_add(1);
            b
        };
        self.nodes.push(Node {
            parent: Some(here),
            step: Some(step),
            state,
            children: Vec::new(),
            depth,
            branch,
        });
        let id = self.nodes.len() - 1;
        self.nodes[here].children.push(id);
        self.current = id;
        id
    }

    /// Steps back `n` choices (stopping at the start); returns how many.
    pub fn undo(&mut self, n: usize) -> usize {
        let mut node = self.current;
        let mut done = 0;
        while done < n {
            match self.nodes[node].parent {
                Some(p) => {
                    node = p;
                    done += 1;
                }
                None => break,
            }
        }
        self.go_to(node);
        done
    }

    /// Steps forward `n` choices along the path that undo, rewind or restart
    /// left (stopping at its end); returns how many.
    pub fn redo(&mut self, n: usize) -> usize {
        let Some(target) = self.came_from.filter(|&t| self.is_below(t, self.current)) else {
            return 0;
        };
        let path = self.path_to(target);
        let here = self.nodes[self.current].depth;
        let steps = n.min(path.len() - 1 - here);
        self.current = path[here + steps];
        steps
    }

    /// How many steps `redo` can take from here.
    pub fn redoable(&self) -> usize {
        self.came_from
            .filter(|&t| self.is_below(t, self.current))
            .map_or(0, |t| self.nodes[t].depth - self.nodes[self.current].depth)
    }

    /// Moves to any node. Moving back up the path remembers the node left
    /// (or the deeper one remembered before, when it lies below that), so
    /// that `redo` can come back down.
    pub fn go_to(&mut self, node: usize) {
        let left = self.current;
        if self.is_below(left, node) {
            let keep = self
                .came_from
                .is_some_and(|c| c == left || self.is_below(c, left));
            if !keep {
                self.came_from = Some(left);
            }
        }
        self.current = node;
    }

    /// Whether `node` lies strictly below `above` in the tree.
    pub fn is_below(&self, node: usize, above: usize) -> bool {
        let target = self.nodes[above].depth;
        let mut n = node;
        while self.nodes[n].depth > target {
            match self.nodes[n].parent {
                Some(p) => n = p,
                None => return false,
            }
        }
        n == above && node != above
    }

    /// The nodes from the root to the current node.
    pub fn path(&self) -> Vec<usize> {
        self.path_to(self.current)
    }

    pub fn path_to(&self, mut node: usize) -> Vec<usize> {
        let mut path = vec![node];
        while let Some(p) = self.nodes[node].parent {
            path.push(p);
            node = p;
        }
        path.reverse();
        path
    }

    /// The steps from the root to the current node: the event log.
    pub fn log(&self) -> Vec<Step> {
        self.log_to(self.current)
    }

    /// The steps from the root to `node`.
    pub fn log_to(&self, node: usize) -> Vec<Step> {
        self.path_to(node)
            .iter()
            .filter_map(|&n| self.nodes[n].step.clone())
            .collect()
    }

    /// Goes back to the point where step `n` (1-based) was chosen.
    pub fn rewind(&mut self, n: usize) -> bool {
        let path = self.path();
        match n.checked_sub(1).and_then(|i| path.get(i)) {
            Some(&node) if n < path.len() => {
                self.go_to(node);
                true
            }
            _ => false,
        }
    }

    /// The ends of every branch, in the order they were first explored.
    pub fn leaves(&self) -> Vec<usize> {
        let mut out = Vec::new();
        let mut stack = vec![0];
        while let Some(n) = stack.pop() {
            if self.nodes[n].children.is_empty() {
                out.push(n);
            }
            stack.extend(self.nodes[n].children.iter().rev());
        }
        out
    }

    /// The number of the branch you are on: the one `redo` would follow
    /// when you stepped back from it, else the one this node was made on.
    pub fn branch_here(&self) -> u32 {
        match self.came_from.filter(|&t| self.is_below(t, self.current)) {
            Some(t) => self.nodes[t].branch,
            None => self.nodes[self.current].branch,
        }
    }

    /// The end of branch `number`, if there is such a branch.
    pub fn end_of(&self, number: u32) -> Option<usize> {
        let start = self.nodes.iter().position(|n| n.branch == number)?;
        let mut node = start;
        while let Some(&first) = self.nodes[node].children.first() {
            node = first;
        }
        Some(node)
    }

    /// The branch called `name` (any case).
    pub fn named(&self, name: &str) -> Option<u32> {
        self.names
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(name))
            .map(|(&b, _)| b)
    }

    /// Names branch `number`; `None` takes its name away.
    pub fn name(&mut self, number: u32, name: Option<&str>) -> Result<(), NameError> {
        let Some(name) = name else {
            self.names.remove(&number);
            return Ok(());
        };
        if !is_branch_name(name) {
            return Err(NameError::Malformed);
        }
        match self.named(name) {
            Some(other) if other != number => Err(NameError::Taken(other)),
            _ => {
                self.names.insert(number, name.to_string());
                Ok(())
            }
        }
    }

    /// Gives the branches the numbers a save recorded, by the node each
    /// ends at: each number goes up the chain of first children from its
    /// end. Ends not listed keep the numbers replaying gave them, moved
    /// past the recorded ones so that no number is used twice.
    pub fn renumber(&mut self, ends: &[(usize, u32)], next: u32) {
        let recorded: std::collections::HashSet<u32> = ends.iter().map(|e| e.1).collect();
        let mut next = ends
            .iter()
            .map(|e| e.1.saturating_add(1))
            .fold(next.max(2), u32::max);
        let mut fresh = BTreeMap::new();
        for leaf in self.leaves() {
            let number = match ends.iter().find(|e| e.0 == leaf) {
                Some(&(_, n)) => n,
                None => {
                    let old = self.nodes[leaf].branch;
                    if recorded.contains(&old) || fresh.contains_key(&old) {
                        let n = next;
                        next = next.saturating_add(1);
                        fresh.insert(n, ());
                        n
                    } else {
                        fresh.insert(old, ());
                        next = next.max(old.saturating_add(1));
                        old
                    }
                }
            };
            // Up the chain: while this node is its parent's first child.
            let mut node = leaf;
            loop {
                self.nodes[node].branch = number;
                match self.nodes[node].parent {
                    Some(p) if self.nodes[p].children.first() == Some(&node) => node = p,
                    _ => break,
                }
            }
        }
        self.next_branch = next;
        self.names
            .retain(|b, _| recorded.contains(b) || fresh.contains_key(b));
    }

    /// Every branch as (number, the node it ends at), by number.
    pub fn branches(&self) -> Vec<(u32, usize)> {
        let mut out: Vec<(u32, usize)> = self
            .leaves()
            .into_iter()
            .map(|l| (self.nodes[l].branch, l))
            .collect();
        out.sort_unstable();
        out
    }
}

/// Whether `name` can name a branch: 1 to 32 letters, digits, `-` and `_`,
/// with a letter among them (so that it is never read as a number), and
/// not `name` (which `branch name NAME` reads as its own word).
pub fn is_branch_name(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && name.bytes().any(|b| b.is_ascii_alphabetic())
        && !name.eq_ignore_ascii_case("name")
}
