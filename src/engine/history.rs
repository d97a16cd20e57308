//! The tree of every path taken in a playthrough: undo, rewind and branches.
//!
//! Each node holds the state after its step, so moving anywhere in the tree
//! is a lookup, not a replay. The RNG travels in the state: taking the same
//! choice again from the same node gives the same roll, and lands on the
//! same child rather than a copy.

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
        let mut done = 0;
        while done < n {
            match self.nodes[self.current].parent {
                Some(p) => {
                    self.current = p;
                    done += 1;
                }
                None => break,
            }
        }
        done
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
                self.current = node;
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
            .position(|&l| self.path_to(l).contains(&node))
            .unwrap_or(0)
    }
}
