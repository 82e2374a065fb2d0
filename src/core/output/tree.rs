//! Trees like a protocol analyser's detail pane.

use std::fmt::{self, Write};

/// A labelled node with children, rendered with box-drawing guides:
///
/// ```
/// use rtctool::core::output::Tree;
/// let mut t = Tree::new("STUN Binding Success Response");
/// t.push("Transaction ID: b7e7a701bc34d686fa87dfae");
/// t.push_tree({
///     let mut a = Tree::new("XOR-MAPPED-ADDRESS");
///     a.push("192.0.2.1:32853");
///     a
/// });
/// let text = t.to_string();
/// assert!(text.contains("└─ XOR-MAPPED-ADDRESS"));
/// assert!(text.contains("   └─ 192.0.2.1:32853"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Tree {
    label: String,
    children: Vec<Tree>,
}

impl Tree {
    /// A node with no children; text that a terminal would obey is escaped (see
    /// [`super::terminal_safe`]).
    pub fn new(label: impl Into<String>) -> Self {
        let label = label.into();
        let label = match super::terminal_safe(&label) {
            std::borrow::Cow::Borrowed(_) => label,
            std::borrow::Cow::Owned(safe) => safe,
        };
        Tree { label, children: Vec::new() }
    }

    /// Add a leaf.
    pub fn push(&mut self, label: impl Into<String>) -> &mut Self {
        self.children.push(Tree::new(label));
        self
    }

    /// Add a subtree.
    pub fn push_tree(&mut self, child: Tree) -> &mut Self {
        self.children.push(child);
        self
    }

    /// The node's label.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The node's children.
    pub fn children(&self) -> &[Tree] {
        &self.children
    }

    fn render(&self, f: &mut fmt::Formatter<'_>, prefix: &mut String) -> fmt::Result {
        for (i, child) in self.children.iter().enumerate() {
            let last = i + 1 == self.children.len();
            let (branch, guide) = if last { ("└─ ", "   ") } else { ("├─ ", "│  ") };
            // A multi-line label continues under its own guide.
            let mut lines = child.label.lines();
            writeln!(f, "{prefix}{branch}{}", lines.next().unwrap_or(""))?;
            for line in lines {
                writeln!(f, "{prefix}{guide}{line}")?;
            }
            let len = prefix.len();
            prefix.push_str(guide);
            child.render(f, prefix)?;
            prefix.truncate(len);
        }
        Ok(())
    }
}

impl fmt::Display for Tree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label)?;
        f.write_char('\n')?;
        self.render(f, &mut String::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_guides() {
        let mut root = Tree::new("root");
        let mut a = Tree::new("a");
        a.push("a1").push("a2");
        root.push_tree(a).push("b");
        assert_eq!(root.to_string(), "root\n├─ a\n│  ├─ a1\n│  └─ a2\n└─ b\n");
    }

    #[test]
    fn multiline_label() {
        let mut root = Tree::new("r");
        root.push("x\ny").push("z");
        assert_eq!(root.to_string(), "r\n├─ x\n│  y\n└─ z\n");
    }
}
