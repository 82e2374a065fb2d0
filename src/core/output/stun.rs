//! STUN decode reports for people: the tree `stun decode` and `pcap decode -V` print, with
//! checks and problems coloured. The codec (`core::stun`) builds the report; painting it is
//! output's business.

use colored::Colorize;

use super::Tree;
use crate::core::stun::{Check, DecodeReport, Severity, HEADER_LEN};

/// A decode report as a tree for people, coloured when colour is on.
pub fn decode_tree(report: &DecodeReport) -> Tree {
    if report.kind == "channel-data" {
        let channel = report.channel.unwrap_or(0);
        let mut root = Tree::new(format!(
            "{} channel 0x{channel:04x}, {} bytes of {}",
            "TURN ChannelData".bold(),
            report.length,
            report.payload.unwrap_or("other")
        ));
        root.push(format!("Channel number: 0x{channel:04x}"));
        root.push(format!("Length: {}", report.length));
        push_problems(report, &mut root);
        for inner in &report.inner {
            root.push_tree(decode_tree(inner));
        }
        return root;
    }
    let class = match report.class {
        Some("request") => "Request",
        Some("indication") => "Indication",
        Some("success-response") => "Success Response",
        _ => "Error Response",
    };
    let method = report.method.as_deref().unwrap_or("?");
    let mt = report.message_type.unwrap_or(0);
    let via = match report.via {
        Some(v) => format!(" (inside {v})"),
        None => String::new(),
    };
    let mut root = Tree::new(format!(
        "{}{via}, {} bytes",
        format!("STUN {method} {class}").bold(),
        HEADER_LEN + report.length
    ));
    root.push(format!("Message type: 0x{mt:04x} (method {method}, class {class})"));
    root.push(format!("Length: {}", report.length));
    if report.rfc3489 {
        root.push(format!(
            "Transaction ID: {} (RFC 3489, 128 bits)",
            report.transaction_id.as_deref().unwrap_or("")
        ));
    } else {
        root.push("Magic cookie: 0x2112a442");
        root.push(format!("Transaction ID: {}", report.transaction_id.as_deref().unwrap_or("")));
    }
    let mut attrs = Tree::new(format!("Attributes ({})", report.attributes.len()));
    for a in &report.attributes {
        let place = format!("(0x{:04x}, {} bytes at offset {})", a.typ, a.length, a.offset);
        let value = match (&a.error, a.check) {
            (Some(e), _) => format!("{}  {}", a.display, format!("damaged: {e}").red()),
            (None, Some(check)) => format!("{}  {}", a.display, paint_check(check)),
            (None, None) => a.display.clone(),
        };
        attrs.push(format!("{}: {value}  {}", a.name.cyan(), place.dimmed()));
    }
    root.push_tree(attrs);
    let key = report.integrity_key.as_deref().map(|k| format!(" ({k})")).unwrap_or_default();
    root.push(format!(
        "Checks: FINGERPRINT {}, MESSAGE-INTEGRITY {}{key}",
        paint_check(report.fingerprint),
        paint_check(report.integrity)
    ));
    push_problems(report, &mut root);
    for inner in &report.inner {
        root.push_tree(decode_tree(inner));
    }
    root
}

fn push_problems(report: &DecodeReport, root: &mut Tree) {
    if report.problems.is_empty() {
        return;
    }
    let mut node = Tree::new(format!("Problems ({})", report.problems.len()));
    for p in &report.problems {
        let at = p.offset.map(|o| format!("offset {o}: ")).unwrap_or_default();
        let line = format!("{at}{}", p.message);
        node.push(match p.severity {
            Severity::Error => format!("{} {line}", "error:".red().bold()),
            Severity::Warning => format!("{} {line}", "warning:".yellow().bold()),
        });
    }
    root.push_tree(node);
}

fn paint_check(check: Check) -> String {
    match check {
        Check::Ok => "ok".green().to_string(),
        Check::Bad => "BAD".red().bold().to_string(),
        Check::Unchecked => "unchecked (no password given)".yellow().to_string(),
        Check::Absent => "absent".dimmed().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::stun::{attr, Class, MessageBuilder, Method};

    #[test]
    fn the_tree_shows_attributes_checks_and_problems() {
        let mut b = MessageBuilder::new(Class::Request, Method::BINDING, [1; 12]);
        b.text(attr::SOFTWARE, "test").fingerprint();
        let mut bytes = b.finish();
        let last = bytes.len() - 1;
        bytes[last] ^= 1; // a FINGERPRINT that does not verify
        let report = DecodeReport::stun(&bytes, None).unwrap();
        colored::control::set_override(false);
        let text = decode_tree(&report).to_string();
        assert!(text.contains("STUN Binding Request"), "{text}");
        assert!(text.contains("SOFTWARE: "), "{text}");
        assert!(text.contains("Checks: FINGERPRINT BAD"), "{text}");
        assert!(text.contains("Problems (1)"), "{text}");
    }
}
