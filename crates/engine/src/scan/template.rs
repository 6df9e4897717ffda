//! Chat templates (Jinja) from GGUF metadata and Hugging Face tokenizer files:
//! parsed, never rendered, and checked for template injection.

use modelvet_formats::template::{self, IssueKind};

use super::Ctx;
use crate::finding::Finding;
use crate::rules::template as rt;

impl Ctx<'_> {
    /// Checks one chat template. `name` says where it came from (the GGUF key
    /// or JSON field) and is added to the findings' location; `offset` is the
    /// template's byte offset, if known.
    pub(super) fn check_chat_template(&mut self, name: &str, text: &str, offset: Option<u64>) {
        let analysis = template::analyze(text);
        self.members.push(name.to_string());
        for issue in analysis.issues {
            let rule = match issue.kind {
                IssueKind::CodeExecution => &rt::template_code_execution::RULE,
                IssueKind::Introspection => &rt::template_introspection::RULE,
                IssueKind::Unparsable => &rt::unparsable_template::RULE,
            };
            let mut evidence = issue.evidence;
            if let (Some(l), Some(c)) = (issue.line, issue.col) {
                evidence = format!("{evidence} (line {l}, column {c})");
            }
            let mut f = Finding::new(rule, issue.message, self.loc(offset));
            if !evidence.trim().is_empty() {
                f = f.evidence(evidence);
            }
            self.finding(f);
        }
        self.members.pop();
    }
}

#[cfg(test)]
mod tests {
    use modelvet_formats::Limits;
    use modelvet_formats::container::Budget;

    use super::super::Ctx;
    use crate::finding::Severity;

    fn check(text: &str) -> Vec<(&'static str, Severity)> {
        let limits = Limits::default();
        let budget = Budget::new(limits.max_total_decompressed_bytes);
        let globals = crate::policy::GlobalPolicy::default();
        let mut ctx = Ctx::new(&limits, &globals, &budget, "tokenizer_config.json".into());
        ctx.check_chat_template("chat_template", text, None);
        assert!(ctx.members.is_empty());
        ctx.findings.iter().map(|f| (f.rule.code, f.severity)).collect()
    }

    #[test]
    fn hugging_face_template_injection() {
        // The tokenizer_config.json `chat_template` case: a ChatML template with a payload appended.
        let t = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}{{ cycler.__init__.__globals__.os.popen('echo modelvet-fixture').read() }}";
        let f = check(t);
        assert!(f.contains(&("TPL001", Severity::Critical)), "{f:?}");
    }

    #[test]
    fn severities() {
        assert!(check("{{ messages | tojson }}").is_empty());
        assert_eq!(check("{{ ''.__class__.__mro__ }}"), vec![("TPL002", Severity::Medium)]);
        assert_eq!(check("{% if %}"), vec![("TPL003", Severity::Medium)]);
        let f = check("{% if %}{{ lipsum.__globals__ }}");
        assert!(f.contains(&("TPL003", Severity::Medium)) && f.contains(&("TPL001", Severity::Critical)), "{f:?}");
    }
}
