//! ## What it does
//! Reports chat templates that access Python internals (`__class__`,
//! `__mro__`, `__subclasses__()`, other dunder attributes) or look attributes
//! up by a computed name with the `attr` filter, without a chain that reaches
//! code execution.
//!
//! ## Why is this bad?
//! No real chat template touches dunder attributes. Enumerating
//! `''.__class__.__mro__[1].__subclasses__()` is the reconnaissance step of a
//! template-injection attack (it lists every class the renderer can reach); a
//! computed attribute name is how the next step hides. Review the template.
//!
//! ## Example
//! ```text
//! {{ ''.__class__.__mro__[1].__subclasses__() }}
//! ```
//!
//! ## References
//! - CVE-2024-34359 (llama-cpp-python chat_template SSTI)
//! - PortSwigger, server-side template injection
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "TPL002",
    name: "template-introspection",
    severity: Severity::Medium,
    summary: "a chat template inspects Python internals (dunder attributes) without a visible exploit",
    path: "template/template_introspection",
};
