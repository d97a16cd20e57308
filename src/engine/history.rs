//! The tree of every path taken in a playthrough: undo, rewind and branches.
//!
//! The tree keeps the state where play is, and the state after a step only
//! at the start and at every `KEEP_EVERY`th step of a path: moving
//! elsewhere replays the few steps from the nearest kept state above
//! (fewer than `KEEP_EVERY`), which the engine makes exactly as it made
//! them (each node knows its choice and how its check came out). A state
//! per step cost a copy of every visit count at each step: what a long
//! game's save load and its memory grew with. The RNG travels in the
//! state: taking the same choice again from the same node gives the same
//! roll, and lands on the same child rather than a copy.
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

use crate::engine::{ChooseError, Roll, RollMode, State};
use crate::story::{ChoiceId, SceneId, Story};

/// A node keeps its state when its depth is a multiple of this: moving to
/// any node replays fewer steps than this from a kept one.
pub const KEEP_EVERY: usize = 32;

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

impl Step {
    /// How replaying the step decides its check, if it has one.
    pub fn mode(&self) -> RollMode {
        replay_mode(self.roll, self.success)
    }
}

/// How replaying a logged step decides its check, from what the log holds:
/// as it was decided (a number rolled, or an outcome forced), or by the
/// dice for a step with no check.
pub fn replay_mode(roll: Option<i64>, success: Option<bool>) -> RollMode {
    match success {
        Some(s) if roll.is_some() => RollMode::Recorded(s),
        Some(s) => RollMode::Force(s),
        None => RollMode::Random,
    }
}

#[derive(Debug, Clone)]
pub struct Node {
    pub parent: Option<usize>,
    pub step: Option<Step>,
    /// The choice the step took (`None` at the start).
    pub choice: Option<ChoiceId>,
    /// The scene the game is in after the step.
    pub scene: SceneId,
    /// The state after the step: kept at the start and at every
    /// `KEEP_EVERY`th depth, else rebuilt by replay. Boxed: most nodes
    /// keep none.
    kept: Option<Box<State>>,
    pub children: Vec<usize>,
    pub depth: usize,
    /// The number of the branch this node was made on.
    pub branch: u32,
}

#[derive(Debug, Clone)]
pub struct Tree {
    pub nodes: Vec<Node>,
    /// Where play is, and its state.
    current: usize,
    here: State,
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
                choice: None,
                scene: root.scene,
                kept: Some(Box::new(root.clone())),
                children: Vec::new(),
                depth: 0,
                branch: 1,
            }],
            current: 0,
            here: root,
            playthrough: 0,
            next_branch: 2,
            names: BTreeMap::new(),
            came_from: None,
        }
    }

    /// The state where play is.
    pub fn state(&self) -> &State {
        &self.here
    }

    /// The state the game began in.
    pub fn root(&self) -> &State {
        // The root's state is always kept; `here` stands in for a tree
        // whose root lost it, which no method does.
        self.nodes[0].kept.as_deref().unwrap_or(&self.here)
    }

    /// The node where play is.
    pub fn current(&self) -> usize {
        self.current
    }

    pub fn depth(&self) -> usize {
        self.nodes[self.current].depth
    }

    /// Records a step from the current node, whose result is `state`, and
    /// moves to it. A step equal to an existing child's (same choice, same
    /// outcome) reuses that child.
    pub fn push(&mut self, step: Step, choice: ChoiceId, state: State) -> usize {
        self.here = state;
        self.record(step, choice)
    }

    /// Takes `choice` from the current state, as `State::advance` does, and
    /// records the step: what replaying a log does, with no copy of the
    /// state but the few kept.
    pub fn advance(
        &mut self,
        story: &Story,
        choice: ChoiceId,
        mode: RollMode,
    ) -> Result<Option<Roll>, ChooseError> {
        let scene = story.scene(self.here.scene).id.clone();
        // Refused before anything changes: `here` is as it was.
        let roll = self.here.advance(story, choice, mode)?;
        let step = Step {
            scene,
            key: story.choice(choice).key.clone(),
            roll: roll.as_ref().and_then(|r| r.roll),
            success: roll.as_ref().map(|r| r.success),
        };
        self.record(step, choice);
        Ok(roll)
    }

    /// Moves to the child of the current node that `step` leads to (made
    /// if new), whose state is `here` already.
    fn record(&mut self, step: Step, choice: ChoiceId) -> usize {
        let here = self.current;
        if let Some(&child) = self.nodes[here]
            .children
            .iter()
            .find(|&&c| self.nodes[c].step.as_ref() == Some(&step))
        {
            let node = &mut self.nodes[child];
            node.choice = Some(choice);
            node.scene = self.here.scene;
            if let Some(kept) = &mut node.kept {
                kept.as_mut().clone_from(&self.here);
            }
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
            choice: Some(choice),
            scene: self.here.scene,
            kept: depth
                .is_multiple_of(KEEP_EVERY)
                .then(|| Box::new(self.here.clone())),
            children: Vec::new(),
            depth,
            branch,
        });
        let id = self.nodes.len() - 1;
        self.nodes[here].children.push(id);
        self.current = id;
        id
    }

    /// Gives node `node` the state `state` (a save's snapshot mapped onto
    /// an edited story): it is kept, and the nodes below it that keep none
    /// are replayed from it.
    pub fn set_state(&mut self, node: usize, state: State) {
        if node == self.current {
            self.here = state.clone();
        }
        self.nodes[node].scene = state.scene;
        self.nodes[node].kept = Some(Box::new(state));
    }

    /// The state after node `node`'s step: the nearest kept state above
    /// it (or where play is, when that is nearer), with the steps between
    /// replayed.
    pub fn state_at(&self, story: &Story, node: usize) -> State {
        let mut down = Vec::new();
        let mut n = node;
        let mut state = loop {
            if n == self.current {
                break self.here.clone();
            }
            if let Some(kept) = &self.nodes[n].kept {
                break State::clone(kept);
            }
            down.push(n);
            match self.nodes[n].parent {
                Some(p) => n = p,
                // The root keeps its state: not reached.
                None => break self.root().clone(),
            }
        };
        for &n in down.iter().rev() {
            self.replay_into(story, &mut state, n);
        }
        state
    }

    /// Calls `f` with each node of the path from the root to `node` and
    /// the state after it, in order: one replay along the path.
    pub fn along(&self, story: &Story, node: usize, f: &mut dyn FnMut(usize, &State)) {
        let path = self.path_to(node);
        let mut state = self.root().clone();
        for &n in &path {
            if let Some(kept) = &self.nodes[n].kept {
                state.clone_from(kept);
            } else if n == self.current {
                state.clone_from(&self.here);
            } else {
                self.replay_into(story, &mut state, n);
            }
            f(n, &state);
        }
    }

    /// Node `n`'s step, taken in `state` (its parent's). The tree was made
    /// against `story` by the same engine, so the choice is open and comes
    /// out as it did; one that is not (a tree carried across an edited
    /// story without being rebuilt, which no caller does) is refused by the
    /// engine and leaves the state where it stopped.
    fn replay_into(&self, story: &Story, state: &mut State, n: usize) {
        if let (Some(step), Some(choice)) = (&self.nodes[n].step, self.nodes[n].choice) {
            let _ = state.advance(story, choice, step.mode());
        }
    }

    /// Moves to `node` without remembering where play was (a save being
    /// rebuilt).
    pub fn jump(&mut self, story: &Story, node: usize) {
        if node != self.current {
            self.here = self.state_at(story, node);
            self.current = node;
        }
    }

    /// Steps back `n` choices (stopping at the start); returns how many.
    pub fn undo(&mut self, story: &Story, n: usize) -> usize {
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
        self.go_to(story, node);
        done
    }

    /// Steps forward `n` choices along the path that undo, rewind or restart
    /// left (stopping at its end); returns how many.
    pub fn redo(&mut self, story: &Story, n: usize) -> usize {
        let Some(target) = self.came_from.filter(|&t| self.is_below(t, self.current)) else {
            return 0;
        };
        let path = self.path_to(target);
        let here = self.nodes[self.current].depth;
        let steps = n.min(path.len() - 1 - here);
        self.jump(story, path[here + steps]);
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
    pub fn go_to(&mut self, story: &Story, node: usize) {
        let left = self.current;
        if self.is_below(left, node) {
            let keep = self
                .came_from
                .is_some_and(|c| c == left || self.is_below(c, left));
            if !keep {
                self.came_from = Some(left);
            }
        }
        self.jump(story, node);
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
    pub fn rewind(&mut self, story: &Story, n: usize) -> bool {
        let path = self.path();
        match n.checked_sub(1).and_then(|i| path.get(i)) {
            Some(&node) if n < path.len() => {
                self.go_to(story, node);
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
