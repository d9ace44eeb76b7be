//! The rows of a network's summary table (`describe`): one per layer, indented by block depth.
use crate::validate::Node;

/// Summary rows: (layer text, field, output shape, params, macs).
pub(super) fn rows(
    nodes: &[Node],
    depth: usize,
    out: &mut Vec<(String, String, String, u64, u64)>,
) {
    let ind = "  ".repeat(depth);
    for n in nodes {
        match n {
            Node::Leaf(l) => out.push((
                format!("{ind}{}", l.desc),
                l.field.as_ref().map_or_else(String::new, |f| f.to_string()),
                l.output.to_string(),
                l.params,
                l.macs,
            )),
            Node::Residual {
                body,
                shortcut,
                output,
                ..
            } => {
                out.push((
                    format!("{ind}residual"),
                    String::new(),
                    output.to_string(),
                    0,
                    0,
                ));
                rows(body, depth + 1, out);
                if let Some(s) = shortcut {
                    out.push((
                        format!("{ind}shortcut"),
                        String::new(),
                        output.to_string(),
                        0,
                        0,
                    ));
                    rows(s, depth + 1, out);
                }
            }
            Node::Concat {
                branches, output, ..
            } => {
                out.push((
                    format!("{ind}concat"),
                    String::new(),
                    output.to_string(),
                    0,
                    0,
                ));
                for (j, b) in branches.iter().enumerate() {
                    out.push((
                        format!("{ind}  branch {}", j + 1),
                        String::new(),
                        String::new(),
                        0,
                        0,
                    ));
                    rows(b, depth + 2, out);
                }
            }
            Node::Skip {
                body,
                branch,
                tap,
                output,
                ..
            } => {
                out.push((
                    format!("{ind}tap {tap}"),
                    String::new(),
                    n.input().to_string(),
                    0,
                    0,
                ));
                rows(body, depth, out);
                out.push((
                    format!("{ind}skip({tap})"),
                    String::new(),
                    output.to_string(),
                    0,
                    0,
                ));
                rows(branch, depth + 1, out);
            }
        }
    }
}
