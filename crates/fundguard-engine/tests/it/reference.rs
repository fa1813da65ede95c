//! The rule reference in docs/ is current.

use std::path::Path;

#[test]
fn the_rule_reference_in_docs_is_generated_from_the_registry() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/rules.md");
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == fundguard_engine::docs::reference(),
        "docs/rules.md is stale: run `fundguard rules --markdown > docs/rules.md`"
    );
}
