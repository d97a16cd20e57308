//! The tree of every path taken in a playthrough: undo, rewind and branches.
//!
//! Each node holds the state after its step, so moving anywhere in the tree
//! is a lookup, not a replay. The RNG travels in the state: taking the same
//! choice again from the same node gives the same roll, and lands on the
//! same child rather than a copy.
//!
//! Moving back (undo, rewind, restart) remembers where you came from, so
//! `redo` can follow the same path down again.

use serde::{Deserialize, Serialize};

use crate::engine::State;

/// One choice taken: the event log's entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
}

#[derive(Debug, Clone)]
pub struct Tree {
    pub nodes: Vec<Node>,
    pub current: usize,
    /// The deepest node that moving back left, for `redo`: it counts only
    /// while it lies below the current node. Not saved: a loaded game has
    /// nothing to redo.
    came_from: Option<usize>,
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
            }],
            current: 0,
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
        self.nodes.push(Node {
            parent: Some(here),
            step: Some(step),
            state,
            children: Vec::new(),
            depth,
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

    /// The branch (index into `leaves`) that the current node lies on: the
    /// first leaf below it.
    pub fn branch_of(&self, node: usize) -> usize {
        let leaves = self.leaves();
        leaves
            .iter()
            .position(|&l| l == node || self.is_below(l, node))
            .unwrap_or(0)
    }
}
